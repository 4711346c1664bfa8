/**
 * The page's boot: ask GET /api/session whether this page holds the token (from the HttpOnly
 * cookie set when it was opened with ?token=), then follow GET /events: a 'snapshot' event
 * (DashboardSnapshot) every interval, 'trace' events (TraceBatch) with the trace stream.
 * Every view keeps its elements and updates them in place (dom.ts), so a snapshot costs a
 * few text writes, not a rebuild.
 *
 * The stream's cookie is sent by EventSource as by any same-origin request; the token itself
 * is needed only for controls, in a header (controls.ts).
 */

import type { DashboardSnapshot, SessionAnswer, TraceBatch } from './wire.js';
import { Charts } from './charts.js';
import { Controls } from './controls.js';
import { CpuGrid } from './cpu-grid.js';
import { byId, setText, show } from './dom.js';
import { Header } from './header.js';
import { Inject } from './inject.js';
import { Jobs } from './jobs.js';
import { Threads } from './threads.js';
import { Torture } from './torture.js';
import { TraceLog } from './trace-log.js';

function banner(text: string, kind: 'info' | 'error'): void {
  const node = byId('banner');
  setText(node, text);
  node.classList.toggle('error', kind === 'error');
  show(node, text !== '');
}

/** The session, or null when this page may not read the dashboard (said in the banner). */
async function session(): Promise<SessionAnswer | null> {
  let response: Response;
  try {
    response = await fetch('/api/session', { headers: { Accept: 'application/json' } });
  } catch (error) {
    banner(`The dashboard does not answer (${error instanceof Error ? error.message : String(error)}). Is the runtime still running?`, 'error');
    return null;
  }
  if (response.status === 403) {
    banner('This dashboard needs its token: open the address the runtime printed when it started (the one ending in ?token=…).', 'error');
    return null;
  }
  if (!response.ok) {
    banner(`The dashboard answered ${response.status} to /api/session.`, 'error');
    return null;
  }
  return (await response.json()) as SessionAnswer;
}

async function boot(): Promise<void> {
  const controls = new Controls(null, byId('log'), byId('toasts'));
  const header = new Header();
  const inject = new Inject(controls);
  const grid = new CpuGrid(byId('cpus'), controls);
  const threads = new Threads(byId<HTMLTableElement>('threads').closest('table')!, controls);
  const jobs = new Jobs(byId('jobs'));
  const charts = new Charts(byId('charts'));
  const torture = new Torture(byId('torture'), byId('torture-body'));
  const trace = new TraceLog(byId('trace'), byId<HTMLButtonElement>('trace-pause'), byId('trace-note'));

  const answer = await session();
  if (answer === null) {
    header.setConnection('closed');
    return;
  }
  controls.setToken(answer.token);
  document.body.classList.toggle('read-only', answer.token === null);
  if (answer.token === null) {
    banner('Read-only view: this page was opened without the dashboard\'s token, so the controls are disabled. Open the address the runtime printed (with ?token=…) to use them.', 'info');
  }

  const source = new EventSource('/events');
  let opened = false;
  source.addEventListener('open', () => {
    // After a reconnect the stream begins with the trace backlog again.
    if (opened) trace.reset();
    opened = true;
    header.setConnection('live');
  });
  source.addEventListener('error', () => {
    // EventSource reconnects by itself unless the server refused the stream (CLOSED).
    header.setConnection(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  });
  source.addEventListener('snapshot', (event) => {
    const snapshot = JSON.parse((event as MessageEvent<string>).data) as DashboardSnapshot;
    header.update(snapshot);
    inject.update(snapshot);
    grid.update(snapshot);
    threads.update(snapshot);
    jobs.update(snapshot);
    charts.update(snapshot);
    torture.update(snapshot);
    if (snapshot.closed) {
      source.close();
      header.setConnection('closed');
      banner('The runtime has shut down: this page shows its last state.', 'info');
    }
  });
  source.addEventListener('trace', (event) => {
    trace.add(JSON.parse((event as MessageEvent<string>).data) as TraceBatch);
  });
}

void boot();
