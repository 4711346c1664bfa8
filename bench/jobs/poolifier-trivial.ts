/** The trivial workload as a poolifier worker file: a ThreadWorker around the same function. */

import { ThreadWorker } from 'poolifier';
import { poolifierTask } from './poolifier-task.js';
import { increment, type TrivialArgs } from './work.js';

export default new ThreadWorker<TrivialArgs, number>(poolifierTask(increment));
