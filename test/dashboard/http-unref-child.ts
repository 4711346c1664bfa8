/**
 * A program that serves a dashboard and ends without shutting anything down: the dashboard
 * must not hold its process open (http-lifecycle.test.ts opens a stream to it and waits for
 * this process to exit on its own). It prints its port and token, then returns.
 */

import { Runtime } from '../../src/index.js';

const rt = await Runtime.start({ cpus: 2 });
const dashboard = await rt.serveDashboard({ intervalMs: 50 });
process.stdout.write(`${dashboard.port} ${dashboard.token}\n`);
// Wait for the parent's stream to connect (a line on stdin), so the process ends with a page open.
process.stdin.once('data', () => {
  process.stdin.pause();
  process.stdin.unref?.();
});
