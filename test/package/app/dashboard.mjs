// The dashboard of the installed package, offline: a runtime with the app's compiled job
// module serves its page, and this script fetches the page, its script, its style, uPlot (all
// from the package, no CDN), a snapshot and /metrics with the token, and a control without it.
// It prints one JSON line of what it saw; the test asserts it.
import { Runtime } from 'cpuhp';

const rt = await Runtime.start({ cpus: 2, modules: [new URL('./dist/jobs.js', import.meta.url)] });
try {
  const dashboard = await rt.serveDashboard();
  const get = async (path, headers = {}) => {
    const res = await fetch(new URL(path, dashboard.url), { headers, redirect: 'manual' });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
  };
  const withToken = { 'x-cpuhp-token': dashboard.token };
  const page = await get('/');
  const script = await get('/assets/js/main.js');
  const style = await get('/assets/style.css');
  const uplot = await get('/assets/uPlot.iife.min.js');
  const snapshot = await get('/api/snapshot', withToken);
  const metrics = await get('/metrics', withToken);
  const refused = await fetch(new URL('/api/control', dashboard.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ op: 'cpuDown', cpu: 1 }),
  });
  console.log(
    JSON.stringify({
      url: dashboard.url,
      page: [page.status, page.type.split(';')[0], page.body.includes('/assets/js/main.js')],
      script: [script.status, script.type.split(';')[0]],
      style: [style.status, style.type.split(';')[0]],
      uplot: [uplot.status, uplot.body.length > 10_000],
      cpus: snapshot.status === 200 ? JSON.parse(snapshot.body).cpus.length : snapshot.status,
      metrics: [metrics.status, /^cpuhp_cpu_state\{/m.test(metrics.body)],
      refused: refused.status,
      cpu1: rt.cpuState(1),
    }),
  );
} finally {
  await rt.shutdown();
}
