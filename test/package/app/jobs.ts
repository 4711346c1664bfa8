/**
 * The installed-package app's job module (test/package/install.test.ts): what an app
 * developer writes, importing the definition helpers from `cpuhp/kthread` by package name.
 */

import { defineJob } from 'cpuhp/kthread';

export interface SquareArgs {
  readonly n: number;
}

export interface Square {
  readonly n: number;
  readonly square: number;
  readonly cpu: number;
}

export const square = defineJob((args: SquareArgs, ctx): Square => ({ n: args.n, square: args.n * args.n, cpu: ctx.cpu }));
