/**
 * Ctrl-C (SIGINT) and kill (SIGTERM) while a command runs. The first signal asks the run to
 * stop: the command's AbortSignal fires, the run winds down (its actors stopped, its runtimes
 * shut down, each within a bound), and the command prints and writes what it has. It then
 * exits as a shell reports a process the signal ended, 128 + the signal's number: 130 for
 * SIGINT, 143 for SIGTERM. A second signal, or a wind-down that outlasts `windDownMs`,
 * exits at once with the same code, after showing the terminal cursor again (a progress bar
 * hides it) and printing what repeats the run.
 */

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** 128 + the signal's number, as a shell reports it. */
export const SIGNAL_EXIT_CODE: Readonly<Record<StopSignal, 130 | 143>> = { SIGINT: 130, SIGTERM: 143 };

/** The escape that shows the cursor again (DECTCEM). */
export const SHOW_CURSOR = '\x1b[?25h';

export interface Interruption {
  /** Aborted at the first signal; its reason is the signal's name. */
  readonly signal: AbortSignal;
  /** The first signal received, if any. */
  received(): StopSignal | undefined;
  /**
   * What to print if the command must exit before it could print its report: the seed and
   * the command that repeats the run. Called only then.
   */
  setLastWords(words: () => string): void;
  /** Stops listening: the default action (the process ends) is back. */
  dispose(): void;
}

/** Shows the cursor on every terminal the command writes to; harmless where it is shown. */
export function restoreTerminal(): void {
  for (const stream of [process.stdout, process.stderr]) if (stream.isTTY) stream.write(SHOW_CURSOR);
}

/**
 * Listens for SIGINT and SIGTERM for the command `name` (for its messages). `windDownMs`
 * bounds how long the run may take to stop after the first signal.
 */
export function watchInterrupts(name: string, windDownMs: number): Interruption {
  const controller = new AbortController();
  let first: StopSignal | undefined;
  let lastWords: (() => string) | undefined;
  let bound: NodeJS.Timeout | undefined;

  const exitNow = (why: string): never => {
    restoreTerminal();
    const words = lastWords === undefined ? '' : `\n${lastWords()}`;
    process.stderr.write(`cpuhp ${name}: ${why}; exiting without the report${words}\n`);
    process.exit(SIGNAL_EXIT_CODE[first ?? 'SIGINT']);
  };
  const onSignal = (signal: StopSignal): void => {
    if (first !== undefined) exitNow(`${signal} again`);
    first = signal;
    const seconds = Math.round(windDownMs / 1000);
    process.stderr.write(`\ncpuhp ${name}: ${signal}: stopping, then printing what was done (within ${seconds} s); ${signal === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again exits at once\n`);
    // Unref'd: a run that has wound down exits on its own, without waiting for this.
    bound = setTimeout(() => exitNow(`the run did not stop within ${seconds} s of ${signal}`), windDownMs).unref();
    controller.abort(signal);
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    received: () => first,
    setLastWords: (words) => {
      lastWords = words;
    },
    dispose: () => {
      clearTimeout(bound);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
