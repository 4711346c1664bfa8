/**
 * What every command writes besides its report: the output flags they all have (`--json`,
 * `--out <file>`), and the files a run produces at its end (--out, --trace, --svg). Each path
 * is checked before the run starts (flags.ts, assertWritable); if writing still fails at the
 * end, the results are printed anyway and the failure is one line on stderr, so that a long
 * run is never lost to a full disk or a directory removed meanwhile.
 */

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ExitCode } from './exit.js';
import { assertWritable } from './flags.js';

export interface OutputFlags {
  readonly json?: boolean;
  readonly out?: string;
}

/** Adds `--json` and `--out <file>`, worded alike on every command. */
export function addOutputOptions(command: Command): Command {
  return command
    .option('--json', 'print one JSON object instead of tables (progress lines go to stderr)')
    .option('--out <file>', 'also write the JSON object to this file (with or without --json)');
}

/** After the tables of an interrupted benchmark: what it did not measure. Empty when it measured everything. */
export function renderNotDone(notDone: readonly string[]): string {
  if (notDone.length === 0) return '';
  const first = notDone[0]!;
  return `interrupted: ${notDone.length === 1 ? 'one measurement was' : `${notDone.length} measurements were`} not done, from "${first}" on; the tables hold what was measured until then\n`;
}

/** Files written at the end of a run, and whether any could not be. */
export class OutputFiles {
  private failures = 0;
  /** The flag that names each path checked, so that two flags cannot name one file. */
  private readonly paths = new Map<string, string>();

  /** `name` is the command's, for the messages. */
  constructor(private readonly name: string) {}

  /** Refuses an unwritable path, or one another flag names, before the run starts (exit 2, one line naming the flag). */
  check(command: Command, flag: string, file: string | undefined): void {
    if (file === undefined) return;
    assertWritable(command, flag, file);
    const path = resolve(file);
    const other = this.paths.get(path);
    if (other !== undefined) command.error(`error: ${flag} ${JSON.stringify(file)}: ${other} names the same file; give each its own`, { exitCode: ExitCode.ERROR });
    this.paths.set(path, flag);
  }

  /**
   * Writes `text` (or what `make` returns) to `file`; a failure, to make the text or to write
   * it, is one line naming the flag, and the run goes on to print its results.
   */
  async write(flag: string, file: string, text: string | (() => string | Promise<string>)): Promise<boolean> {
    try {
      writeFileSync(file, typeof text === 'string' ? text : await text());
      return true;
    } catch (error) {
      this.failures++;
      const why = error instanceof Error ? error.message : String(error);
      process.stderr.write(`cpuhp ${this.name}: ${flag} ${JSON.stringify(file)} could not be written: ${why}\n`);
      return false;
    }
  }

  /** Whether a file could not be written: the command then exits 2, after printing its results. */
  get failed(): boolean {
    return this.failures > 0;
  }
}
