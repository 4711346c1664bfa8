/**
 * Every error the runtime throws has a stable code. The list of codes is fixed here, so that
 * renaming or dropping one (which would break callers that switch on it) fails a test; every
 * code the sources use is in ERROR_CODES; and no source of the runtime throws a plain Error.
 */

import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { ERROR_CODES, WARNING_CODES } from '../src/index.js';

const ROOT = new URL('../../', import.meta.url);

t.test('the stable codes: every one of them, by name', async (t) => {
  t.same(Object.entries(ERROR_CODES), [
    ['INVALID_ARG', 'ERR_CPUHP_INVALID_ARG'],
    ['MODULE_LOAD', 'ERR_CPUHP_MODULE_LOAD'],
    ['SHUT_DOWN', 'ERR_CPUHP_SHUT_DOWN'],
    ['START_FAILED', 'ERR_CPUHP_START_FAILED'],
    ['DRAIN_TIMEOUT', 'ERR_CPUHP_DRAIN_TIMEOUT'],
    ['TRACE_WRITE', 'ERR_CPUHP_TRACE_WRITE'],
    ['INTERNAL', 'ERR_CPUHP_INTERNAL'],
    ['DASHBOARD_LISTEN', 'ERR_CPUHP_DASHBOARD_LISTEN'],
    ['LAST_CPU', 'ERR_CPUHP_LAST_CPU'],
    ['CPU_OFFLINE', 'ERR_CPUHP_CPU_OFFLINE'],
    ['STEP_FAILED', 'ERR_CPUHP_STEP_FAILED'],
    ['ROLLBACK_INCOMPLETE', 'ERR_CPUHP_ROLLBACK_INCOMPLETE'],
    ['WORKER_DIED', 'ERR_CPUHP_WORKER_DIED'],
    ['WRITER_STARVED', 'ERR_CPUHP_WRITER_STARVED'],
    ['SETUP_FAILED', 'ERR_CPUHP_SETUP_FAILED'],
    ['TEARDOWN_FAILED', 'ERR_CPUHP_TEARDOWN_FAILED'],
    ['INJECTED_FAILURE', 'ERR_CPUHP_INJECTED_FAILURE'],
    ['CALLBACK_TIMEOUT', 'ERR_CPUHP_CALLBACK_TIMEOUT'],
    ['WORKER_TIMEOUT', 'ERR_CPUHP_WORKER_TIMEOUT'],
    ['PARK_TIMEOUT', 'ERR_CPUHP_PARK_TIMEOUT'],
    ['STOP_TIMEOUT', 'ERR_CPUHP_STOP_TIMEOUT'],
    ['NOT_A_HANDLE', 'ERR_CPUHP_NOT_A_HANDLE'],
    ['THREAD_GONE', 'ERR_CPUHP_THREAD_GONE'],
    ['THREAD_EXITED', 'ERR_CPUHP_THREAD_EXITED'],
    ['THREAD_THREW', 'ERR_CPUHP_THREAD_THREW'],
    ['RESULT_LOST', 'ERR_CPUHP_RESULT_LOST'],
    ['KWORKER', 'ERR_CPUHP_KWORKER'],
    ['NO_SLOTS', 'ERR_CPUHP_NO_SLOTS'],
    ['CREATE_TIMEOUT', 'ERR_CPUHP_CREATE_TIMEOUT'],
    ['CREATE_FAILED', 'ERR_CPUHP_CREATE_FAILED'],
    ['NOT_IN_KTHREAD', 'ERR_CPUHP_NOT_IN_KTHREAD'],
    ['JOB_THREW', 'ERR_CPUHP_JOB_THREW'],
    ['JOB_ABORTED', 'ABORT_ERR'],
    ['JOB_WORKER_DIED', 'ERR_CPUHP_JOB_WORKER_DIED'],
    ['JOB_ARGS_LOST', 'ERR_CPUHP_JOB_ARGS_LOST'],
    ['JOB_QUEUE_FULL', 'ERR_CPUHP_JOB_QUEUE_FULL'],
    ['JOB_CPU_OFFLINE', 'ERR_CPUHP_JOB_CPU_OFFLINE'],
    ['JOB_SOFT_LOCKUP', 'ERR_CPUHP_JOB_SOFT_LOCKUP'],
    ['BROKER_MISSING', 'ERR_CPUHP_BROKER_MISSING'],
    ['REDIS_MISSING', 'ERR_CPUHP_REDIS_MISSING'],
    ['REDIS_START_FAILED', 'ERR_CPUHP_REDIS_START_FAILED'],
    ['REDIS_UNREACHABLE', 'ERR_CPUHP_REDIS_UNREACHABLE'],
    ['CLUSTER_JOB_FAILED', 'ERR_CPUHP_CLUSTER_JOB_FAILED'],
    ['CLUSTER_TIMEOUT', 'ERR_CPUHP_CLUSTER_TIMEOUT'],
    ['CLUSTER_NO_JOB', 'ERR_CPUHP_CLUSTER_NO_JOB'],
    ['CLUSTER_CLOSED', 'ERR_CPUHP_CLUSTER_CLOSED'],
  ], 'a code is never renamed or dropped: new situations get new codes, added to this list (fixed at the first release, 0.1.0, when cancelled jobs took Node\'s ABORT_ERR; the cluster codes came with cpuhp/cluster, DASHBOARD_LISTEN with rt.serveDashboard)');
});

/** The runtime's sources: src/ less the command line, the torture and what they share, which are tools built on the runtime. */
function runtimeSources(dir = new URL('src/', ROOT), base = 'src/'): Array<[string, string]> {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry): Array<[string, string]> => {
    const name = `${base}${entry.name}`;
    if (entry.isDirectory()) return ['src/cli', 'src/torture', 'src/common'].includes(name) ? [] : runtimeSources(new URL(`${entry.name}/`, dir), `${name}/`);
    return name.endsWith('.ts') ? [[name, readFileSync(new URL(entry.name, dir), 'utf8')]] : [];
  });
}

t.test('every code the runtime gives an error is one of ERROR_CODES', async (t) => {
  const known = new Set<string>([...Object.values(ERROR_CODES), ...Object.values(WARNING_CODES)]);
  let found = 0;
  for (const [name, text] of runtimeSources()) {
    for (const [, code] of text.matchAll(/\bcode: '([A-Z_]+)'/g)) {
      found++;
      t.ok(known.has(code!), `${name}: ${code} is in ERROR_CODES`);
    }
  }
  t.ok(found > 20, `the sources were read (${found} codes found)`);
});

/**
 * Plain errors left in the runtime, each for a reason: none of them reaches a caller as it is.
 * The worker side's own errors cross to the controller through comlink, which keeps only a
 * name and a message, and reach a caller as the `cause` of a typed error (MODULE_LOAD, ...).
 */
const PLAIN_ERRORS_ALLOWED: Readonly<Record<string, string>> = {
  'src/errors.ts': 'the process warning of emitCpuhpWarning, which has its own WARNING_CODES code',
  'src/controller/cpu-worker.ts': "kill(): the reason a worker was ended, which is never thrown: it becomes the text of the CPU's failure",
  'src/protocol/layout.ts': 'attachSharedMemory runs in a CPU worker: its error fails the module load (ERR_CPUHP_MODULE_LOAD)',
};

t.test('the runtime throws no plain Error, TypeError or RangeError', async (t) => {
  for (const [name, text] of runtimeSources()) {
    const plain = [...text.matchAll(/\bnew (?:Error|TypeError|RangeError)\(/g)].length;
    if (name in PLAIN_ERRORS_ALLOWED) t.ok(plain > 0, `${name} has its plain error still (${PLAIN_ERRORS_ALLOWED[name]}); drop it from the list if not`);
    else t.equal(plain, 0, `${name} makes no plain error`);
  }
});
