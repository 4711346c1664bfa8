#!/usr/bin/env node
// Dev only (not shipped): the screenshot of the dashboard in docs/. Runs
// `cpuhp torture --dashboard 0` from a build, opens the address it prints in headless
// chromium at 1400x1000 (the flags the browser tests use, a fresh profile), waits until the
// torture's counters show and the charts have some history, saves docs/dashboard.png, and
// stops the run with SIGINT as a person's Ctrl-C would.
//
//   node scripts/dashboard-screenshot.mjs [--build dist] [--out docs/dashboard.png] [--full]
//
// --build is the tsc output directory holding src/cli.js and page/ (dist after
// `npm run build`; a checkout's own .build-NAME works too); --full shoots the whole page,
// not only the window: docs/dashboard.png is made with it, so that it shows every panel
// (docs/dashboard.md's picture: the grid, charts, jobs, threads and the trace log).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const ROOT = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({ options: { build: { type: 'string', default: 'dist' }, out: { type: 'string', default: 'docs/dashboard.png' }, full: { type: 'boolean', default: false } } });
const cli = resolve(ROOT, values.build, 'src/cli.js');
const out = resolve(ROOT, values.out);
const PATIENCE_MS = 60_000;
/** How much of the run the picture waits for: operations done and snapshots shown. */
const OPERATIONS = 150;
const SNAPSHOTS = 60;

const run = spawn(process.execPath, [cli, 'torture', '--cpus', '4', '--duration', '5m', '--fail-rate', '0.05', '--seed', '14', '--dashboard', '0'], {
  cwd: ROOT,
  stdio: ['ignore', 'ignore', 'pipe'],
});
const exited = new Promise((done) => run.on('exit', (code, signal) => done({ code, signal })));

/** The page's address with its token: the run prints `dashboard: URL` on stderr. */
const address = await new Promise((found, fail) => {
  let text = '';
  const timer = setTimeout(() => fail(new Error(`the torture run printed no dashboard address within ${PATIENCE_MS} ms:\n${text}`)), PATIENCE_MS);
  run.stderr.setEncoding('utf8');
  run.stderr.on('data', (chunk) => {
    text += chunk;
    const match = /dashboard: (http\S+)/.exec(text);
    if (match !== null) {
      clearTimeout(timer);
      found(match[1]);
    }
  });
  run.on('exit', () => fail(new Error(`the torture run ended before it served its page:\n${text}`)));
});

const profile = mkdtempSync(join(tmpdir(), 'cpuhp-screenshot-'));
let failed = false;
try {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1000 },
  });
  try {
    const page = await context.newPage();
    await page.goto(address, { timeout: PATIENCE_MS });
    await page.getByTestId('torture').waitFor({ state: 'visible', timeout: PATIENCE_MS });
    const above = (testId, n) =>
      page.waitForFunction(([id, min]) => Number(document.querySelector(`[data-testid="${id}"]`)?.textContent) >= min, [testId, n], { timeout: PATIENCE_MS * 3 });
    await above('torture-operations', OPERATIONS);
    await above('seq', SNAPSHOTS);
    await page.screenshot({ path: out, fullPage: values.full });
    console.log(`saved ${out}`);
  } finally {
    await context.close();
  }
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  rmSync(profile, { recursive: true, force: true });
  run.kill('SIGINT');
  await exited;
}
process.exitCode = failed ? 1 : 0;
