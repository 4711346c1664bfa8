/**
 * Telling errors apart by code, never by message (src/common/errors.ts), and the benchmarks'
 * tally of rejections built on it (bench/jobs/tally.ts).
 */

import t from 'tap';
import { ConfigError, HotplugError, JobError } from '../../src/index.js';
import { codeNote, errorCode } from '../../src/common/errors.js';
import { errorKind } from '../../bench/errors.js';
import { Tally } from '../../bench/jobs/tally.js';

t.test("errorCode: an error's string code, whatever its message; nothing for anything else", async (t) => {
  t.equal(errorCode(new HotplugError('refused, in any words', { code: 'ERR_CPUHP_LAST_CPU', cpu: 0 })), 'ERR_CPUHP_LAST_CPU');
  t.equal(errorCode(Object.assign(new Error('x'), { code: 'ERR_WORKER_OUT_OF_MEMORY' })), 'ERR_WORKER_OUT_OF_MEMORY', "Node's codes too");
  t.equal(errorCode(new Error('ERR_CPUHP_LAST_CPU')), undefined, 'a message that looks like a code is not one');
  t.equal(errorCode(Object.assign(new Error('x'), { code: 42 })), undefined, 'a code that is not a string');
  t.equal(errorCode('ERR_CPUHP_LAST_CPU'), undefined);
  t.equal(errorCode(null), undefined);
  const hostile = Object.defineProperty({}, 'code', {
    get() {
      throw new Error('no');
    },
  });
  t.equal(errorCode(hostile), undefined, 'a getter that throws yields no code, and no throw');
  t.equal(codeNote(new ConfigError('bad', { code: 'ERR_CPUHP_INVALID_ARG' })), ' (code ERR_CPUHP_INVALID_ARG)');
  t.equal(codeNote(new Error('bad')), '');
});

t.test('the benchmarks tally rejections by kind: code, or class for an error without one', async (t) => {
  t.equal(errorKind(new ConfigError('bad', { code: 'ERR_CPUHP_INVALID_ARG' })), 'ERR_CPUHP_INVALID_ARG');
  t.equal(errorKind(new TypeError('Terminating worker thread')), 'TypeError');
  t.equal(errorKind('a string'), 'string');
  const tally = new Tally('pool');
  tally.add(new HotplugError('CPU 1 is the last online CPU', { code: 'ERR_CPUHP_LAST_CPU', cpu: 1 }));
  tally.add(new HotplugError('reworded: CPU 1 stays up', { code: 'ERR_CPUHP_LAST_CPU', cpu: 1 }));
  tally.add(new Error('Terminating worker thread'));
  t.same(
    tally.toJSON(),
    { "pool: ERR_CPUHP_LAST_CPU (e.g. 'CPU 1 is the last online CPU')": 2, "pool: Error (e.g. 'Terminating worker thread')": 1 },
    'two messages of one code are one kind, labelled with the first',
  );
  t.equal(tally.size, 2);
  const job = new JobError('job x was aborted', { job: 'x', id: 1, cpu: 0, reason: 'aborted', started: false });
  t.equal(errorKind(job), 'ABORT_ERR');
});
