/**
 * A work function as a poolifier task function: poolifier passes `data` as optional (a task
 * may be executed with none), and every job of the benchmark has arguments.
 */

export function poolifierTask<Args, Result>(fn: (args: Args) => Result): (data?: Args) => Result {
  return (data) => {
    if (data === undefined) throw new TypeError('a job of the benchmark was executed without its arguments');
    return fn(data);
  };
}
