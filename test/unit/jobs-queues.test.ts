/** The controller's job FIFOs (src/jobs/queues.ts): order, front insertion, and settled jobs leaving the counts. */

import t from 'tap';
import { Job, NOT_HANDED } from '../../src/jobs/job.js';
import { JobQueues } from '../../src/jobs/queues.js';

const CPUS = 2;

function job(id: number): Job {
  const ignore = (): void => undefined;
  return new Job(id, 'test', undefined, undefined, undefined, false, false, ignore, ignore);
}

t.test('each FIFO keeps its order; revoked jobs go to the front', async (t) => {
  const queues = new JobQueues(CPUS);
  t.equal(queues.shared, CPUS, 'the shared FIFO comes after the CPUs');
  const [a, b, c, d] = [job(1), job(2), job(3), job(4)];
  queues.enqueue(a, queues.shared, false);
  queues.enqueue(b, queues.shared, false);
  queues.enqueue(c, 1, false);
  t.same([a.queuedIn, a.handedTo, c.queuedIn], [CPUS, NOT_HANDED, 1], 'a queued job names its FIFO and no slot');
  t.same([queues.waiting, queues.waitingIn(queues.shared), queues.waitingIn(1), queues.waitingIn(0)], [3, 2, 1, 0]);
  queues.enqueue(d, queues.shared, true);
  t.same([queues.next(queues.shared)?.id, queues.next(queues.shared)?.id, queues.next(queues.shared)?.id], [4, 1, 2]);
  t.equal(queues.next(queues.shared), undefined);
  t.equal(a.queuedIn, -1, 'a job taken from its FIFO is in none');
  t.same([queues.waiting, queues.waitingIn(queues.shared)], [1, 0]);
  t.same(
    queues.takeAll(1).map((j) => j.id),
    [3],
  );
  t.equal(queues.waiting, 0);
});

t.test('a job settled while queued leaves the counts at once and its FIFO when reached', async (t) => {
  const queues = new JobQueues(CPUS);
  const jobs = [job(1), job(2), job(3)];
  for (const j of jobs) queues.enqueue(j, 0, false);
  jobs[0]!.reject(new Error('aborted'));
  queues.unqueue(jobs[0]!);
  queues.unqueue(jobs[0]!); // a second unqueue changes nothing
  t.same([queues.waiting, queues.waitingIn(0), queues.held(0)], [2, 2, 3], 'counted out, still held');
  jobs[2]!.reject(new Error('aborted'));
  queues.unqueue(jobs[2]!);
  t.equal(queues.next(0)?.id, 2, 'the settled job at the front is dropped');
  t.same(queues.takeAll(0), [], 'and so is the one behind');
  t.same([queues.waiting, queues.held(0)], [0, 0]);
});
