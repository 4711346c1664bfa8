/**
 * The page's static files, from a fixed whitelist of URLs (no path from a request ever
 * reaches the file system: a script's name must match /^[a-z0-9-]+$/ and is joined to one
 * directory), each with its own Content-Type:
 *
 *   GET /                          dashboard/index.html            (the package's, as shipped)
 *   GET /assets/style.css          dashboard/style.css
 *   GET /assets/js/<name>.js       <outDir>/page/dashboard/src/<name>.js (the page's build)
 *   GET /assets/uPlot.iife.min.js  the uplot package's dist files, so the page works offline
 *   GET /assets/uPlot.min.css
 *
 * Where they are: this file is <outDir>/src/dashboard/assets.js, so the package root is three
 * levels up (outDir is dist/ in a package, .build-NAME/ in a checkout) and the page's
 * scripts are in <outDir>/page/. Files are read at each request (the page loads once).
 */

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const PACKAGE_ROOT = new URL('../../../', import.meta.url);
const PAGE_SCRIPTS = new URL('../../page/dashboard/src/', import.meta.url);
const SCRIPT_NAME = /^[a-z0-9-]+$/;

const HTML = 'text/html; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';

/**
 * The page's Content-Security-Policy: everything from this server only, no inline script or
 * style element, no plugins, never framed (the controls cannot be clickjacked).
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface Asset {
  readonly file: string;
  readonly type: string;
  /** The page itself (it gets the Content-Security-Policy). */
  readonly page: boolean;
}

const uplotFile = (name: string): string => createRequire(import.meta.url).resolve(`uplot/dist/${name}`);

/** The asset a GET of `path` serves, or undefined (404). */
export function assetFor(path: string): Asset | undefined {
  switch (path) {
    case '/':
      return { file: fileURLToPath(new URL('dashboard/index.html', PACKAGE_ROOT)), type: HTML, page: true };
    case '/assets/style.css':
      return { file: fileURLToPath(new URL('dashboard/style.css', PACKAGE_ROOT)), type: CSS, page: false };
    case '/assets/uPlot.iife.min.js':
      return { file: uplotFile('uPlot.iife.min.js'), type: JS, page: false };
    case '/assets/uPlot.min.css':
      return { file: uplotFile('uPlot.min.css'), type: CSS, page: false };
  }
  const script = /^\/assets\/js\/([^/]+)\.js$/.exec(path);
  if (script !== null && SCRIPT_NAME.test(script[1]!)) return { file: fileURLToPath(new URL(`${script[1]!}.js`, PAGE_SCRIPTS)), type: JS, page: false };
  return undefined;
}

/** The asset's bytes, or undefined when the file is not there (a page that was not built). */
export async function readAsset(asset: Asset): Promise<Buffer | undefined> {
  try {
    return await readFile(asset.file);
  } catch {
    return undefined;
  }
}
