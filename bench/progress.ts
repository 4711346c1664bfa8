/**
 * How a long benchmark run shows where it is: a redrawn progress bar (cli-progress) for a
 * person at a terminal, plain lines for a log or a pipe. Neither is used on stdout when
 * stdout carries JSON: the caller then gives lines on stderr.
 */

import cliProgress from 'cli-progress';
import type { BenchProgress } from './task.js';

/** A bar redrawn in place, labelled with the command's `name`; cleared when the run ends so only the report stays on screen. */
export function barProgress(stream: NodeJS.WriteStream, name = 'cpuhp bench'): BenchProgress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${name} [{bar}] {value}/{total} {step}`,
      clearOnComplete: true,
      hideCursor: true,
      // The bar is redrawn on each step and on a timer; the timer keeps the elapsed time moving
      // during a long step without the bench itself touching the terminal.
      fps: 4,
    },
    cliProgress.Presets.shades_classic,
  );
  let finished = 0;
  return {
    start: (total) => bar.start(total, 0, { step: 'starting' }),
    // The bar counts finished steps: a step shown is the one running now.
    step: (label) => bar.update(Math.min(finished++, bar.getTotal()), { step: label }),
    stop: () => {
      bar.update(bar.getTotal(), { step: 'done' });
      bar.stop();
    },
  };
}

/** One line per step, numbered, for logs and pipes. */
export function lineProgress(stream: NodeJS.WritableStream, name = 'cpuhp bench'): BenchProgress {
  let total = 0;
  let index = 0;
  return {
    start: (n) => {
      total = n;
    },
    step: (label) => {
      stream.write(`${name} [${++index}/${total}] ${label}\n`);
    },
    stop: () => undefined,
  };
}

/**
 * The progress a benchmark command shows: a bar on a terminal, lines otherwise. stdout carries
 * the report, and in --json mode nothing but the JSON object, so lines then go to stderr.
 */
export function benchProgress(json: boolean, name = 'cpuhp bench'): BenchProgress {
  if (!json && process.stdout.isTTY) return barProgress(process.stdout, name);
  return lineProgress(process.stderr, name);
}
