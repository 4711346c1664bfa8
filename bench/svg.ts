/**
 * How every picture is drawn (the strategy chart, the job chart, the trace timeline): a
 * Vega-Lite spec compiled to Vega and rendered headless in Node (vega's renderer 'none' plus
 * toSVG(); no canvas, no browser).
 *
 * vega and vega-lite are development dependencies: they are loaded by dynamic import when a
 * picture is drawn, never when the library or another command is loaded. An installed
 * package may not have them; then the command says so in one line and goes on without the
 * picture (writeSvg). Only the types are imported statically, and those are erased.
 */

import { writeFileSync } from 'node:fs';
import type { TopLevelSpec } from 'vega-lite';
import { errorCode } from '../src/common/errors.js';
import { textWidth } from './text-width.js';

export interface VegaLibraries {
  readonly vega: typeof import('vega');
  readonly vegaLite: typeof import('vega-lite');
}

/** Loads vega and vega-lite; injected by tests to stand for a package installed without them. */
export type VegaLoader = () => Promise<VegaLibraries>;

export const loadVega: VegaLoader = async () => {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  return { vega, vegaLite };
};

/** What to run to get them; a clone has them already (npm ci installs devDependencies). */
export const VEGA_HINT = 'npm install --no-save vega vega-lite, or run from a clone of the repository';

/** The loader failed because a module is not installed (Node's ERR_MODULE_NOT_FOUND), not because vega itself broke. */
export class VegaMissingError extends Error {
  override readonly name = 'VegaMissingError';
  readonly code = 'ERR_VEGA_MISSING';

  constructor(cause: unknown) {
    super(`the picture needs vega and vega-lite, which are not installed (${VEGA_HINT})`, { cause });
  }
}

/** The spec rendered to SVG text; the view is finalised so it holds no timers after. Rejects with VegaMissingError when vega or vega-lite is not installed. */
export async function renderSpec(spec: TopLevelSpec, load: VegaLoader = loadVega): Promise<string> {
  let libraries: VegaLibraries;
  try {
    libraries = await load();
  } catch (error) {
    if (errorCode(error) === 'ERR_MODULE_NOT_FOUND') throw new VegaMissingError(error);
    throw error;
  }
  const { vega, vegaLite } = libraries;
  // Without a canvas vega guesses text far too wide, and lays out blank columns (text-width.ts).
  // vega exports vega-scenegraph's textMetrics, which its typings leave out.
  const metrics = (vega as unknown as { readonly textMetrics?: { width: typeof textWidth } }).textMetrics;
  if (metrics !== undefined) metrics.width = textWidth;
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface WriteSvgOptions {
  /** Who speaks in the one line written when vega is missing, e.g. 'cpuhp bench'. */
  readonly command: string;
  /** What the picture is called in that line (default 'chart'). */
  readonly what?: string;
  readonly load?: VegaLoader;
  /** Where that line goes (default: stderr, so that --json output stays one object). */
  readonly warn?: (line: string) => void;
}

/**
 * Renders `spec` for `file`: the SVG text, or undefined, having said why in one line, when vega
 * or vega-lite is not installed: a benchmark that ran for minutes must still print and write
 * its figures. Any other error rejects.
 */
export async function renderSvgOrSay(file: string, spec: TopLevelSpec, options: WriteSvgOptions): Promise<string | undefined> {
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  try {
    return await renderSpec(spec, options.load);
  } catch (error) {
    if (!(error instanceof VegaMissingError)) throw error;
    const what = options.what ?? 'chart';
    warn(`${options.command}: no ${what} written to ${file}: the ${what} needs vega and vega-lite, which are not installed (${VEGA_HINT}); going on without it`);
    return undefined;
  }
}

/** Renders `spec` into `file`. Resolves true once written; false when vega is missing (renderSvgOrSay). */
export async function writeSvg(file: string, spec: TopLevelSpec, options: WriteSvgOptions): Promise<boolean> {
  const svg = await renderSvgOrSay(file, spec, options);
  if (svg === undefined) return false;
  writeFileSync(file, svg);
  return true;
}
