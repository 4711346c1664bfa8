/** The CPU-bound workload as a poolifier worker file: a ThreadWorker around the same function. */

import { ThreadWorker } from 'poolifier';
import { poolifierTask } from './poolifier-task.js';
import { spin, type SpinArgs } from './work.js';

export default new ThreadWorker<SpinArgs, number>(poolifierTask(spin));
