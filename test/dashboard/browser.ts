/**
 * The browser the dashboard's page tests drive: Debian's /usr/bin/chromium through
 * playwright-core (which ships no browser), headless, with a fresh user-data directory that
 * is removed when the test ends. A machine without it fails the tests, saying what to
 * install: a skipped browser test would pass CI without testing the page.
 */

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** Exactly these flags (the issue's): no sandbox (CI runs as root), nothing fetched in the background. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** How long a page may take to show a state: generous, for a loaded 2-core machine. */
export const PAGE_PATIENCE_MS = 30_000;

/** Launches chromium for this test, closed (and its profile removed) at the test's end. */
export async function openBrowser(t: Test): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the dashboard's browser tests drive Debian's chromium; install it with: apt-get install chromium`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'cpuhp-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 1000 },
      timeout: PAGE_PATIENCE_MS * 2,
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  t.teardown(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  return context;
}

/**
 * What went wrong in a page: uncaught errors, console errors (a CSP refusal is one). Not the
 * line chromium logs for every answer with an error status: the page asks for those (a
 * refused control is a 409 it shows) and handles them.
 */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' && !text.startsWith('Failed to load resource: the server responded with a status of')) errors.push(`console: ${text}`);
  });
  return errors;
}

/** The text of the element with this data-testid, trimmed. */
export async function textOf(page: Page, testId: string): Promise<string> {
  return ((await page.getByTestId(testId).textContent({ timeout: PAGE_PATIENCE_MS })) ?? '').trim();
}

/** Waits until the element with this data-testid has `attribute` equal to `value`. */
export async function waitForAttribute(page: Page, testId: string, attribute: string, value: string): Promise<void> {
  await page.locator(`[data-testid="${testId}"][${attribute}="${value}"]`).waitFor({ state: 'attached', timeout: PAGE_PATIENCE_MS });
}

/** The snapshot seq the page's header shows (NaN before the first snapshot). */
export async function shownSeq(page: Page): Promise<number> {
  return Number(await textOf(page, 'seq'));
}

/**
 * The little of the page's DOM that functions run in the page use (the tests compile without
 * the DOM library): such a function reads it as `(globalThis as InPage).document`.
 */
export interface InPage {
  readonly document: {
    querySelector(selector: string): { readonly textContent: string | null; getAttribute(name: string): string | null } | null;
  };
}

/** Waits until the number the element with this data-testid shows is above `above`. */
export async function waitForNumberAbove(page: Page, testId: string, above: number): Promise<number> {
  await page.waitForFunction(
    ([id, n]) => Number((globalThis as unknown as InPage).document.querySelector(`[data-testid="${id}"]`)?.textContent) > n,
    [testId, above] as const,
    { timeout: PAGE_PATIENCE_MS },
  );
  return Number(await textOf(page, testId));
}

/** Waits until the page's header shows a snapshot seq above `above`. */
export function waitForSeqAbove(page: Page, above: number): Promise<number> {
  return waitForNumberAbove(page, 'seq', above);
}
