/**
 * The job module the cpuhp runtime of the job benchmark loads into its CPU workers: the
 * two workloads as defineJob exports, run by each CPU's built-in kworker.
 *
 * It imports defineJob directly rather than the package index, so that the CPU workers do
 * not load the controller side (runtime, histograms, mutex) they never use.
 */

import { defineJob } from '../../src/kthread/define.js';
import { increment, spin as spinFor, type SpinArgs, type TrivialArgs } from './work.js';

export const trivial = defineJob<TrivialArgs, number>((args) => increment(args));

export const spin = defineJob<SpinArgs, number>((args) => spinFor(args));
