/**
 * The installed-package app's kthread module (test/package/install.test.ts): a bound thread
 * that counts until it is stopped, parking whenever its CPU goes down.
 */

import { defineKthread } from 'cpuhp/kthread';

export interface TickerData {
  ticks: number;
}

export const ticker = defineKthread<TickerData, number>(async (kt) => {
  while (!kt.shouldStop()) {
    if (kt.boundShouldStop()) {
      await kt.parkme();
      continue;
    }
    kt.data.ticks += 1;
    await kt.schedule();
    await kt.sleep(2);
  }
  return kt.data.ticks;
});
