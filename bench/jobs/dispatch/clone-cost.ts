/**
 * What copying one trivial request costs on the main thread, by the two ways the dispatch
 * paths copy values: v8.serialize + v8.deserialize (what the ring does, per value, in
 * JavaScript) and structuredClone (the algorithm postMessage runs natively). It explains
 * most of the gap between the ring and the ports: the ring pays the first twice per job.
 */

import { deserialize, serialize } from 'node:v8';
import type { Request } from './wire.js';

export interface CloneCost {
  /** Values copied per way. */
  readonly values: number;
  /** Mean µs per value: serialize to bytes, then deserialize them. */
  readonly v8SerializeUs: number;
  /** Mean µs per value: one structuredClone. */
  readonly structuredCloneUs: number;
}

/** Copies before the timed ones, so both ways are compiled and warm. */
const WARMUP = 2_000;

function meanUs(values: number, copy: (request: Request) => unknown): number {
  let sink = 0;
  for (let i = 0; i < WARMUP; i++) sink += copy({ id: i, a: { x: i } }) === undefined ? 0 : 1;
  const started = performance.now();
  for (let i = 0; i < values; i++) sink += copy({ id: i, a: { x: i } }) === undefined ? 0 : 1;
  const us = ((performance.now() - started) * 1000) / values;
  if (sink < 0) throw new Error('unreachable: keeps the copies from being optimised away');
  return us;
}

export function measureCloneCost(values: number): CloneCost {
  return {
    values,
    v8SerializeUs: meanUs(values, (request) => deserialize(serialize(request))),
    structuredCloneUs: meanUs(values, (request) => structuredClone(request)),
  };
}
