/**
 * The floor of a CPU worker's start: a worker that does nothing but say it is ready. The
 * start-time rows start as many of these at once as a runtime has CPUs (start-time.ts).
 */

import { parentPort } from 'node:worker_threads';

parentPort?.postMessage('ready');
