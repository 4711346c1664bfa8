/**
 * POST /api/control: one ControlRequest (protocol.ts) is checked for its shape here, then is
 * exactly the runtime's own call of the same name, which checks its arguments as it always
 * does. So a control can do nothing a caller of the API could not, and says what the API
 * would say:
 *   400  not a ControlRequest (unknown op, a key missing, unknown or of the wrong type), or
 *        the runtime's ConfigError for an argument (a CPU it does not have, a step it does not
 *        know): its code ERR_CPUHP_INVALID_ARG and its message
 *   404  a thread id the runtime does not list
 *   409  the runtime refused or failed the operation: its error's code and message
 * A thread is named by its id, the one handle the runtime issued for it looked up in
 * rt.kthreadList(): the page never holds a handle.
 */

import { ConfigError, CpuhpError, ERROR_CODES } from '../errors.js';
import { describeValue } from '../controller/arguments.js';
import type { KthreadHandle } from '../kthread/registry.js';
import type { CpuStateName } from '../protocol/cpu-state.js';
import type { KthreadStateName } from '../protocol/kthread-state.js';
import type { Runtime } from '../runtime.js';
import { CONTROL_OPS, type ControlAnswer, type ControlOp, type ControlRequest } from './protocol.js';
import { ANSWER_CODES } from './respond.js';

/** An answer and its HTTP status. */
export interface ControlResult {
  readonly status: number;
  readonly answer: ControlAnswer;
}

/** The keys each op takes besides `op`: exactly these, no more, no fewer. */
const KEYS: Readonly<Record<ControlOp, readonly ('cpu' | 'thread' | 'step')[]>> = {
  cpuDown: ['cpu'],
  cpuUp: ['cpu'],
  kthreadPark: ['thread'],
  kthreadUnpark: ['thread'],
  kthreadStop: ['thread'],
  injectFailure: ['cpu', 'step'],
};

const EXAMPLE = '{"op":"cpuDown","cpu":1}';

/** A malformed request: 400 with the runtime's code for a bad argument. */
function malformed(op: ControlOp | null, message: string): ControlResult {
  return { status: 400, answer: { ok: false, op, error: { code: ERROR_CODES.INVALID_ARG, message } } };
}

/** The body, parsed as JSON (already bounded by size), to a ControlRequest or a 400. */
export function parseControl(body: string): ControlRequest | ControlResult {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    return malformed(null, `the body is not JSON (${error instanceof Error ? error.message : 'parse error'}); send one ControlRequest such as ${EXAMPLE}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return malformed(null, `the body must be a JSON object, one ControlRequest such as ${EXAMPLE}; got ${describeValue(value)}`);
  }
  const fields = value as Record<string, unknown>;
  const op = fields.op;
  if (!CONTROL_OPS.includes(op as ControlOp)) {
    return malformed(null, `op must be one of ${CONTROL_OPS.join(', ')}, got ${describeValue(op)}`);
  }
  const known = KEYS[op as ControlOp];
  for (const key of Object.keys(fields)) {
    if (key !== 'op' && !(known as readonly string[]).includes(key)) return malformed(op as ControlOp, `${op as string}: unknown key ${describeValue(key)}; it takes ${known.join(' and ')}`);
  }
  for (const key of known) {
    const v = fields[key];
    if (key === 'step') {
      if (typeof v !== 'string') return malformed(op as ControlOp, `${op as string}: step must be the name of a hotplug step (a string), got ${describeValue(v)}`);
    } else if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      return malformed(op as ControlOp, `${op as string}: ${key} must be ${key === 'cpu' ? "a CPU's number" : "a thread's id"} (a whole number), got ${describeValue(v)}`);
    }
  }
  return fields as unknown as ControlRequest;
}

/** Runs the request with the runtime's own call; never throws. */
export async function runControl(rt: Runtime, request: ControlRequest): Promise<ControlResult> {
  const started = performance.now();
  const done = (extra: { readonly cpuState?: CpuStateName; readonly threadState?: KthreadStateName }): ControlResult => ({
    status: 200,
    answer: { ok: true, op: request.op, ms: performance.now() - started, ...extra },
  });
  try {
    switch (request.op) {
      case 'cpuDown':
        await rt.cpuDown(request.cpu);
        return done({ cpuState: rt.cpuState(request.cpu) });
      case 'cpuUp':
        await rt.cpuUp(request.cpu);
        return done({ cpuState: rt.cpuState(request.cpu) });
      case 'injectFailure':
        rt.injectFailure(request.cpu, request.step);
        return done({ cpuState: rt.cpuState(request.cpu) });
      case 'kthreadPark':
      case 'kthreadUnpark':
      case 'kthreadStop': {
        const thread = findThread(rt, request.thread);
        if (thread === undefined) {
          return { status: 404, answer: { ok: false, op: request.op, error: { code: ANSWER_CODES.NOT_FOUND, message: `${request.op}: no thread with id ${request.thread}; the runtime's threads are listed in the snapshot's threads` } } };
        }
        if (request.op === 'kthreadPark') await rt.kthreadPark(thread);
        else if (request.op === 'kthreadUnpark') await rt.kthreadUnpark(thread);
        else {
          await rt.kthreadStop(thread);
          return done({ threadState: 'exited' });
        }
        return done({ threadState: rt.kthreadInfo(thread).state });
      }
    }
  } catch (error) {
    return refused(request.op, error);
  }
}

function findThread(rt: Runtime, id: number): KthreadHandle | undefined {
  return rt.kthreadList().find((t) => t.id === id);
}

/** The runtime's error: a ConfigError is a bad argument (400), any other its refusal (409). */
function refused(op: ControlOp, error: unknown): ControlResult {
  if (error instanceof ConfigError) return { status: 400, answer: { ok: false, op, error: { code: error.code, message: error.message } } };
  if (error instanceof CpuhpError) return { status: 409, answer: { ok: false, op, error: { code: error.code, message: error.message } } };
  return { status: 500, answer: { ok: false, op, error: { code: ANSWER_CODES.INTERNAL, message: `${op} failed unexpectedly: ${error instanceof Error ? error.message : describeValue(error)}` } } };
}
