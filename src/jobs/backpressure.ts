/**
 * Backpressure, after piscina's `needsDrain` and `'drain'` (and a Node stream's write() and
 * 'drain'): a producer that stops queueing while `rt.needsDrain` is true, and resumes on
 * 'drain', never has jobs wait in the runtime's queues for long, and never meets a
 * 'queue-full' refusal.
 *
 *   needsDrain  becomes true when the jobs waiting in the controller's queues (queued, not
 *               yet handed to a CPU) reach what the online CPUs can still be handed
 *               (Handover.room): a job queued now would wait. maxQueue is never reached
 *               before that: queueWork refuses only once maxQueue jobs wait beyond the room.
 *   'drain'     once needsDrain was true, when the queues have emptied and a CPU has room
 *               again: a job queued now would be handed over at once.
 *
 * piscina compares the tasks in flight with its threads' capacity, and emits 'drain' as soon
 * as one slot frees; here the CPUs hold a window of jobs each (placement.ts), and 'drain'
 * waits for the queue to empty, as a stream's does, so a producer resumes with room for a
 * batch rather than one job. Each is emitted once per change, on a later microtask.
 */

import type { BackpressureEvent } from '../trace/delivery.js';
import type { JobQueues } from './queues.js';

export interface BackpressureHost {
  readonly queues: JobQueues;
  /** Jobs the accepting CPUs could still be handed now (Handover.room). */
  room(): number;
  /** Emits the event to the runtime's listeners (on a later microtask). */
  emit(event: BackpressureEvent): void;
}

export class Backpressure {
  private saturated = false;
  private closed = false;

  constructor(private readonly host: BackpressureHost) {}

  /** Whether a job queued now would wait: set on reaching the CPUs' room, cleared on 'drain'. */
  get needsDrain(): boolean {
    return this.saturated;
  }

  /**
   * Called whenever the queues or the room may have changed: a job queued, a hand-over, a job
   * settled. Cheap when nothing can change: the room is counted only when jobs wait and the
   * queues were not full, or when they have emptied while full.
   */
  update(): void {
    if (this.closed) return;
    const waiting = this.host.queues.waiting;
    if (!this.saturated) {
      if (waiting === 0 || waiting < this.host.room()) return;
      this.saturated = true;
      this.host.emit('needsDrain');
      return;
    }
    if (waiting > 0 || this.host.room() === 0) return;
    this.saturated = false;
    this.host.emit('drain');
  }

  /**
   * shutdown(): the queues have been emptied (every job not started was rejected), so a
   * producer waiting for 'drain' hears it, and its next queueWork is refused as the runtime
   * shuts down. Nothing changes after this.
   */
  close(): void {
    if (this.saturated) {
      this.saturated = false;
      this.host.emit('drain');
    }
    this.closed = true;
  }
}
