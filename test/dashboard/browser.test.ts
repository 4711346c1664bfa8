/**
 * The dashboard's page in a real browser (Debian's chromium, through playwright-core): it
 * shows every CPU, its buttons call the runtime (and the runtime agrees with what the page
 * then shows), a control without the token is refused and changes nothing, a refused
 * operation's error is shown, and the page keeps updating through a torture run.
 *
 * Waits are on what the page shows (attributes and text, each bounded by PAGE_PATIENCE_MS),
 * never sleeps; what is asserted is the runtime's state once the page shows it.
 */

import tap, { type Test } from 'tap';
import type { BrowserContext, Page } from 'playwright-core';
import type { Dashboard, Runtime } from '../../src/index.js';
import { showTorture } from '../../src/dashboard/torture-view.js';
import { runTorture } from '../../src/torture/engine.js';
import { startJobRuntime } from '../helpers.js';
import { base } from '../torture/settings.js';
import { openBrowser, PAGE_PATIENCE_MS, shownSeq, textOf, waitForAttribute, waitForNumberAbove, waitForSeqAbove, watchErrors } from './browser.js';

let browser: BrowserContext | undefined;

/** The file's one browser (launching it is the slow part), opened by the first test, closed at the end. */
async function theBrowser(): Promise<BrowserContext> {
  browser ??= await openBrowser(tap);
  return browser;
}

interface Opened {
  readonly page: Page;
  readonly errors: string[];
}

/** A new tab on `address`, waiting until it shows its first snapshot; closed at the test's end. */
async function openPage(t: Test, address: string, waitForSnapshot = true): Promise<Opened> {
  const page = await (await theBrowser()).newPage();
  t.teardown(() => page.close());
  const errors = watchErrors(page);
  await page.goto(address, { timeout: PAGE_PATIENCE_MS });
  if (waitForSnapshot) await waitForSeqAbove(page, 0);
  return { page, errors };
}

/** The page opened as a user does: the address the runtime printed, with the token. */
async function openDashboard(t: Test, rt: Runtime): Promise<Opened & { readonly dashboard: Dashboard }> {
  const dashboard = await rt.serveDashboard({ intervalMs: 100 });
  return { dashboard, ...(await openPage(t, dashboard.urlWithToken)) };
}

function noErrors(t: Test, errors: readonly string[]): void {
  t.same(errors, [], 'no uncaught error and no console error in the page (a CSP refusal would be one)');
}

tap.test('the page shows every CPU, and the token left the address bar', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 3 });
  const { page, errors, dashboard } = await openDashboard(t, rt);
  t.equal(page.url(), dashboard.url, 'the page is at / after the 303 (no token in the address)');
  t.equal(await page.locator('.tile').count(), 3, 'one tile per CPU');
  for (let cpu = 0; cpu < 3; cpu++) await waitForAttribute(page, `cpu-${cpu}`, 'data-state', 'online');
  t.equal(await textOf(page, 'cpus-online'), '3 / 3');
  t.equal(await textOf(page, 'strategy'), rt.stats().strategy);
  t.equal(await textOf(page, 'connection'), 'live');
  t.ok(await page.getByTestId('cpu-0-down').isEnabled(), 'the controls are enabled: the page holds the token');
  noErrors(t, errors);
});

tap.test('"down" takes the CPU offline on the page and in the runtime; "up" brings it back', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 3 });
  const { page, errors } = await openDashboard(t, rt);
  await page.getByTestId('cpu-1-down').click();
  await waitForAttribute(page, 'cpu-1', 'data-state', 'offline');
  t.equal(rt.cpuState(1), 'offline', 'the runtime agrees');
  t.match(await textOf(page, 'cpu-1-result'), /^cpuDown\(1\): ok, now offline/, 'the answer is shown by the tile');
  t.equal(await textOf(page, 'cpus-online'), '2 / 3');
  await page.getByTestId('cpu-1-up').click();
  await waitForAttribute(page, 'cpu-1', 'data-state', 'online');
  t.equal(rt.cpuState(1), 'online', 'the runtime agrees');
  t.match(await textOf(page, 'cpu-1-result'), /^cpuUp\(1\): ok, now online/);
  t.match(await textOf(page, 'control-log'), /cpuDown\(1\): ok/, 'the control log has both');
  noErrors(t, errors);
});

tap.test('a control from the page without the token is refused with 403 and changes nothing', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 3 });
  const { page } = await openDashboard(t, rt);
  // The page's cookie goes with this request, as with any same-origin fetch: it must not be enough.
  const answers = await page.evaluate(async () => {
    const send = async (headers: Record<string, string>): Promise<{ status: number; code: unknown }> => {
      const response = await fetch('/api/control', { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ op: 'cpuDown', cpu: 1 }) });
      const body = (await response.json()) as { error?: { code?: unknown } };
      return { status: response.status, code: body.error?.code };
    };
    return [await send({}), await send({ 'X-Cpuhp-Token': 'not-the-token-0123456789' })];
  });
  t.same(answers, [{ status: 403, code: 'FORBIDDEN' }, { status: 403, code: 'FORBIDDEN' }], 'no token, a wrong token: 403');
  t.equal(rt.cpuState(1), 'online', 'CPU 1 is still online');
  // Two snapshots later the page still shows it online: nothing changed in between either.
  await waitForSeqAbove(page, (await shownSeq(page)) + 1);
  t.equal(await page.getByTestId('cpu-1').getAttribute('data-state'), 'online');
});

tap.test('a refused operation shows the runtime\'s error on the page', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2 });
  const { page, errors } = await openDashboard(t, rt);
  await page.getByTestId('cpu-1-down').click();
  await waitForAttribute(page, 'cpu-1', 'data-state', 'offline');
  // What the runtime itself says to a cpuDown of its last online CPU (refused: nothing changes).
  const refusal = await rt.cpuDown(0).then(
    () => null,
    (error: unknown) => error as { code: string; message: string },
  );
  if (refusal === null) {
    t.fail('cpuDown of the last online CPU succeeded');
    return;
  }
  t.equal(refusal.code, 'ERR_CPUHP_LAST_CPU');
  await page.getByTestId('cpu-0-down').click();
  await page.locator('[data-testid="cpu-0-result"].error').waitFor({ timeout: PAGE_PATIENCE_MS });
  const shown = await textOf(page, 'cpu-0-result');
  t.ok(shown.includes('ERR_CPUHP_LAST_CPU'), `the code is shown: ${shown}`);
  t.ok(shown.includes(refusal.message), 'and the runtime\'s message as it gave it');
  t.equal(rt.cpuState(0), 'online', 'CPU 0 is still online');
  t.equal(await page.getByTestId('cpu-0').getAttribute('data-state'), 'online');
  noErrors(t, errors);
});

tap.test('inject failure from the page: the next cpuDown through that step rolls back, and the page shows it', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 3 });
  const { page, errors } = await openDashboard(t, rt);
  const step = 'smpboot:threads';
  await page.getByTestId('inject-cpu').selectOption('1');
  await page.getByTestId('inject-step').selectOption(step);
  await page.getByTestId('inject-failure').click();
  await page.getByTestId('inject-result').filter({ hasText: /^injectFailure\(cpu 1, at smpboot:threads\): ok/ }).waitFor({ timeout: PAGE_PATIENCE_MS });
  await page.getByTestId('cpu-1-down').click();
  await page.locator('[data-testid="cpu-1-result"].error').waitFor({ timeout: PAGE_PATIENCE_MS });
  const shown = await textOf(page, 'cpu-1-result');
  t.match(shown, /^cpuDown\(1\): ERR_CPUHP_STEP_FAILED: .*injected failure/, `the failure is shown: ${shown}`);
  t.equal(rt.cpuState(1), 'online', 'rolled back: CPU 1 is online in the runtime');
  await waitForAttribute(page, 'cpu-1', 'data-state', 'online');
  t.ok((await waitForNumberAbove(page, 'cpu-1-rollbacks', 0)) > 0, 'and its tile counts the rollback');
  noErrors(t, errors);
});

tap.test('park, unpark and stop a thread from the page', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2 });
  const thread = await rt.kthreadCreateOnCpu(1, 'spinner', { name: 'spin/1' });
  const { page, errors } = await openDashboard(t, rt);
  const id = thread.id;
  await waitForAttribute(page, `thread-${id}`, 'data-shown', 'running');
  await page.getByTestId(`thread-${id}-park`).click();
  await waitForAttribute(page, `thread-${id}`, 'data-shown', 'parked');
  t.equal(rt.kthreadInfo(thread).state, 'parked', 'the runtime agrees');
  t.equal(await textOf(page, `thread-${id}-state`), 'parked');
  await page.getByTestId(`thread-${id}-unpark`).click();
  await page.locator(`[data-testid="thread-${id}"]:not([data-shown="parked"])`).waitFor({ state: 'attached', timeout: PAGE_PATIENCE_MS });
  t.match(await page.getByTestId(`thread-${id}`).getAttribute('data-shown'), /^(running|sleeping)$/, 'the page shows it running again');
  t.equal(rt.kthreadInfo(thread).state, 'running', 'unparked in the runtime');
  await page.getByTestId(`thread-${id}-stop`).click();
  // The answer goes to the control log too, which stays when the exited thread's row goes.
  await page.getByTestId('control-log').filter({ hasText: `kthreadStop(thread ${id}): ok` }).waitFor({ timeout: PAGE_PATIENCE_MS });
  t.notOk(rt.kthreadList().some((h) => h.id === id), 'stopped in the runtime: it no longer lists it');
  await page.locator(`[data-testid="thread-${id}"]:not([data-shown="exited"])`).waitFor({ state: 'detached', timeout: PAGE_PATIENCE_MS });
  t.pass('the page shows it exited, or no longer lists it');
  noErrors(t, errors);
});

tap.test('a read-only page (publicView, no token) shows the state and says why it has no controls', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2 });
  const dashboard = await rt.serveDashboard({ publicView: true, intervalMs: 100 });
  const { page, errors } = await openPage(t, dashboard.url);
  await waitForAttribute(page, 'cpu-1', 'data-state', 'online');
  t.match(await textOf(page, 'banner'), /Read-only view/);
  t.ok(await page.getByTestId('cpu-1-down').isDisabled(), 'the buttons are disabled');
  t.ok(await page.getByTestId('inject-failure').isDisabled(), 'inject too');
  noErrors(t, errors);
});

tap.test('a page opened without the token, and no publicView, says how to open it', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2 });
  const dashboard = await rt.serveDashboard();
  const { page } = await openPage(t, dashboard.url, false);
  await page.getByTestId('banner').filter({ hasText: /needs its token/ }).waitFor({ timeout: PAGE_PATIENCE_MS });
  t.equal(await page.locator('.tile').count(), 0, 'it shows nothing of the runtime');
});

tap.test('the page keeps updating during a torture run, and shows its counters', async (t) => {
  // A real torture run (no injected faults: this tests the page, not the runtime), its page
  // served from runTorture's onStart hook as `cpuhp torture --dashboard` does; stopped once
  // the page has shown enough, as Ctrl-C stops it.
  const stop = new AbortController();
  let served: (dashboard: Dashboard) => void = () => undefined;
  const dashboard = new Promise<Dashboard>((resolve) => (served = resolve));
  const run = runTorture({ ...base, ops: undefined, durationMs: 120_000 }, undefined, stop.signal, {
    onStart: async (rt, view) => {
      const d = await rt.serveDashboard({ intervalMs: 100 });
      showTorture(d, view);
      served(d);
    },
  });
  t.teardown(async () => {
    stop.abort();
    await run;
  });
  const { page, errors } = await openPage(t, (await dashboard).urlWithToken);
  await page.getByTestId('torture').waitFor({ state: 'visible', timeout: PAGE_PATIENCE_MS });
  const first = await shownSeq(page);
  const firstOps = Number(await textOf(page, 'torture-operations'));
  t.ok((await waitForSeqAbove(page, first + 10)) > first + 10, 'the snapshot seq shown increases');
  t.ok((await waitForNumberAbove(page, 'torture-operations', firstOps)) > firstOps, 'the torture\'s operations counter increases');
  t.ok((await waitForNumberAbove(page, 'torture-offlineSuccesses', 0)) > 0, 'its counters are shown by name (CPUs taken down)');
  t.equal(await textOf(page, 'torture-violations'), '0', 'no violation shown');
  t.match(await textOf(page, 'torture-summary'), /no violation/);
  t.equal(await textOf(page, 'connection'), 'live');
  stop.abort();
  const result = await run;
  t.equal(result.violations.length, 0, 'the run found no violation');
  // The runtime's shutdown ends the stream with a last snapshot that says so.
  await page.getByTestId('connection').filter({ hasText: 'closed' }).waitFor({ timeout: PAGE_PATIENCE_MS });
  t.match(await textOf(page, 'banner'), /shut down/, 'the page says the runtime has shut down');
  noErrors(t, errors);
});
