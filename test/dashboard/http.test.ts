/**
 * The dashboard's HTTP answers, code by code (protocol.ts's table), and who may do what:
 * every refused request changes nothing (the CPU is still online after each).
 */

import t, { type Test } from 'tap';
import { startJobRuntime } from '../helpers.js';
import { control, json, request, type Answer } from './http-client.js';
import type { ControlAnswer, ErrorAnswer, SessionAnswer } from '../../src/dashboard/protocol.js';
import { MAX_CONTROL_BODY_BYTES } from '../../src/dashboard/protocol.js';

/** No answer ever carries a CORS header. */
function noCors(t: Test, answer: Answer, what: string): void {
  const cors = Object.keys(answer.headers).filter((h) => h.startsWith('access-control-'));
  t.same(cors, [], `${what}: no Access-Control-* header`);
}

t.test('every answer code, and nothing changes on a refusal', async (t) => {
  const rt = await startJobRuntime(t);
  const d = await rt.serveDashboard();
  const token = { 'x-cpuhp-token': d.token };
  const unchanged = (what: string): void => {
    t.equal(rt.cpuState(1), 'online', `${what}: CPU 1 is still online`);
  };

  t.test('403: reads without the token, controls without it in a header', async (t) => {
    const read = await request(d.port, '/api/snapshot');
    t.equal(read.status, 403);
    t.equal(json<ErrorAnswer>(read).error.code, 'FORBIDDEN');
    t.equal((await request(d.port, '/metrics')).status, 403, '/metrics');
    t.equal((await request(d.port, '/events')).status, 403, '/events');
    t.equal((await request(d.port, '/api/session')).status, 403, '/api/session');
    t.equal((await request(d.port, '/api/snapshot?token=wrong-token-0123456789')).status, 403, 'a wrong token in the query');
    t.equal((await request(d.port, '/api/snapshot', { headers: { 'x-cpuhp-token': `${d.token}x` } })).status, 403, 'a wrong token in the header');

    const down = { op: 'cpuDown', cpu: 1 };
    for (const [what, headers] of [
      ['no token', {}],
      ['a wrong token', { 'x-cpuhp-token': 'A'.repeat(32) }],
      ['a token one character short', { 'x-cpuhp-token': d.token.slice(1) }],
      ['a wrong Bearer token', { authorization: 'Bearer nope-nope-nope-nope' }],
      ['the token in the cookie only', { cookie: `cpuhp_dashboard_${d.port}=${d.token}` }],
    ] as const) {
      const answer = await control(d, down, headers);
      t.equal(answer.status, 403, `${what}: 403`);
      const body = json<ErrorAnswer>(answer);
      t.equal(body.error.code, 'FORBIDDEN', `${what}: its code`);
      t.match(body.error.message, /X-Cpuhp-Token/, `${what}: the message says where the token goes`);
      unchanged(what);
    }
    const viaQuery = await request(d.port, `/api/control?token=${d.token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(down) });
    t.equal(viaQuery.status, 403, 'the token in the query only: 403');
    unchanged('the token in the query');
  });

  t.test('read access by header, Bearer, query or cookie', async (t) => {
    for (const [what, path, headers] of [
      ['X-Cpuhp-Token', '/api/snapshot', token],
      ['Authorization: Bearer', '/api/snapshot', { authorization: `Bearer ${d.token}` }],
      ['?token=', `/api/snapshot?token=${d.token}`, {}],
      ['the cookie', '/api/snapshot', { cookie: `other=1; cpuhp_dashboard_${d.port}=${d.token}` }],
    ] as const) {
      const answer = await request(d.port, path, { headers });
      t.equal(answer.status, 200, `${what}: 200`);
      t.equal(json<{ controls: boolean }>(answer).controls, true, `${what}: the snapshot says controls`);
    }
  });

  t.test('400: malformed controls, each with a message; nothing changes', async (t) => {
    const raw = (body: string): Promise<Answer> => request(d.port, '/api/control', { method: 'POST', headers: { ...token, 'content-type': 'application/json' }, body });
    const cases: Array<[string, Promise<Answer>, RegExp]> = [
      ['bad JSON', raw('{"op": "cpuDown", "cpu": 1'), /not JSON/],
      ['NaN (not JSON)', raw('{"op": "cpuDown", "cpu": NaN}'), /not JSON/],
      ['an empty body', raw(''), /not JSON/],
      ['an array', raw('[{"op":"cpuDown","cpu":1}]'), /JSON object/],
      ['a string', raw('"cpuDown"'), /JSON object/],
      ['null', raw('null'), /JSON object/],
      ['an unknown op', control(d, { op: 'cpuOffline', cpu: 1 }), /op must be one of cpuDown/],
      ['no op', control(d, { cpu: 1 }), /op must be one of/],
      ['cpu -1', control(d, { op: 'cpuDown', cpu: -1 }), /cpuDown\(cpu\): cpu must be a whole number from 0 to 1/],
      ['cpu 1e9', control(d, { op: 'cpuDown', cpu: 1e9 }), /cpu must be a whole number from 0 to 1/],
      ['cpu 1.5', control(d, { op: 'cpuDown', cpu: 1.5 }), /cpu must be a CPU's number/],
      ['cpu "1"', control(d, { op: 'cpuDown', cpu: '1' }), /cpu must be a CPU's number \(a whole number\), got '1'/],
      ['cpu null', control(d, { op: 'cpuDown', cpu: null }), /got null/],
      ['no cpu', control(d, { op: 'cpuDown' }), /got undefined/],
      ['an unknown key', control(d, { op: 'cpuDown', cpu: 1, force: true }), /unknown key 'force'/],
      ['a thread key on a CPU op', control(d, { op: 'cpuDown', cpu: 1, thread: 1 }), /unknown key 'thread'/],
      ['a thread that is not a number', control(d, { op: 'kthreadPark', thread: 'kworker/1' }), /thread must be a thread's id/],
      ['an unknown step', control(d, { op: 'injectFailure', cpu: 1, step: 'nope:nope' }), /no hotplug state named 'nope:nope'/],
      ['a step that is not a string', control(d, { op: 'injectFailure', cpu: 1, step: 3 }), /step must be the name of a hotplug step/],
    ];
    for (const [what, pending, message] of cases) {
      const answer = await pending;
      t.equal(answer.status, 400, `${what}: 400`);
      const body = json<ControlAnswer>(answer);
      t.equal(body.ok, false, `${what}: ok is false`);
      if (!body.ok) {
        t.equal(body.error.code, 'ERR_CPUHP_INVALID_ARG', `${what}: the runtime's code for a bad argument`);
        t.match(body.error.message, message, `${what}: the message says what is wrong`);
      }
      noCors(t, answer, what);
      unchanged(what);
    }
    // A step rejected above is not armed: the CPU goes down and up cleanly.
    t.equal((await control(d, { op: 'cpuDown', cpu: 1 })).status, 200, 'a good control after them works');
    t.equal((await control(d, { op: 'cpuUp', cpu: 1 })).status, 200);
  });

  t.test('404: an unknown path, an unknown thread id', async (t) => {
    for (const path of ['/nope', '/api', '/api/snapshot/1', '/assets/', '/assets/js/', '/assets/js/Main.js', '/assets/js/a.b.js', '/assets/js/%2e%2e%2fpackage.js', '/assets/js/../../package.json', '/assets/../package.json', '/index.html', '/dashboard/index.html']) {
      const answer = await request(d.port, path, { headers: token });
      t.equal(answer.status, 404, `${path}: 404`);
      t.equal(json<ErrorAnswer>(answer).error.code, 'NOT_FOUND', `${path}: its code`);
    }
    for (const op of ['kthreadPark', 'kthreadUnpark', 'kthreadStop']) {
      const answer = await control(d, { op, thread: 987_654 });
      t.equal(answer.status, 404, `${op} of an unknown thread: 404`);
      const body = json<ControlAnswer>(answer);
      t.match(body, { ok: false, op, error: { code: 'NOT_FOUND', message: /no thread with id 987654/ } });
    }
  });

  t.test('405: a known path with another method, OPTIONS included; Allow says which', async (t) => {
    for (const [method, path, allow] of [
      ['GET', '/api/control', 'POST'],
      ['PUT', '/api/control', 'POST'],
      ['OPTIONS', '/api/control', 'POST'],
      ['POST', '/api/snapshot', 'GET'],
      ['DELETE', '/events', 'GET'],
      ['OPTIONS', '/api/snapshot', 'GET'],
      ['POST', '/', 'GET'],
      ['HEAD', '/metrics', 'GET'],
    ] as const) {
      const answer = await request(d.port, path, { method, headers: { ...token, origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-cpuhp-token' } });
      t.equal(answer.status, 405, `${method} ${path}: 405`);
      t.equal(answer.headers.allow, allow, `${method} ${path}: Allow ${allow}`);
      noCors(t, answer, `${method} ${path}`);
    }
    unchanged('405s');
  });

  t.test('413: a body over MAX_CONTROL_BODY_BYTES, declared or streamed', async (t) => {
    const big = JSON.stringify({ op: 'cpuDown', cpu: 1, pad: 'x'.repeat(MAX_CONTROL_BODY_BYTES) });
    for (const chunked of [false, true]) {
      const answer = await request(d.port, '/api/control', { method: 'POST', headers: { ...token, 'content-type': 'application/json' }, body: big, chunked });
      t.equal(answer.status, 413, `${chunked ? 'chunked' : 'with Content-Length'}: 413`);
      t.equal(json<ErrorAnswer>(answer).error.code, 'PAYLOAD_TOO_LARGE');
      unchanged('413');
    }
  });

  t.test('415: a control whose Content-Type is not application/json', async (t) => {
    for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx']) {
      const headers: Record<string, string> = { ...token };
      if (type !== undefined) headers['content-type'] = type;
      const answer = await request(d.port, '/api/control', { method: 'POST', headers, body: '{"op":"cpuDown","cpu":1}' });
      t.equal(answer.status, 415, `${type ?? 'none'}: 415`);
      t.equal(json<ErrorAnswer>(answer).error.code, 'UNSUPPORTED_MEDIA_TYPE');
      unchanged(`Content-Type ${type ?? 'none'}`);
    }
    const withCharset = await control(d, { op: 'cpuUp', cpu: 1 }, { ...token, 'content-type': 'application/json; charset=utf-8' });
    t.equal(withCharset.status, 200, 'application/json with a charset is taken');
  });

  t.test('421: a Host that is not the server (DNS rebinding); its own names are answered', async (t) => {
    for (const host of ['evil.example', `evil.example:${d.port}`, `127.0.0.1:${d.port + 1}`, `localhost.evil.example:${d.port}`]) {
      const answer = await request(d.port, '/api/snapshot', { headers: { ...token, host } });
      t.equal(answer.status, 421, `Host ${JSON.stringify(host)}: 421`);
      t.equal(json<ErrorAnswer>(answer).error.code, 'MISDIRECTED_REQUEST');
    }
    const rebound = await control(d, { op: 'cpuDown', cpu: 1 }, { ...token, host: `evil.example:${d.port}` });
    t.equal(rebound.status, 421, 'a control with a foreign Host: 421');
    unchanged('421');
    for (const host of [`127.0.0.1:${d.port}`, `localhost:${d.port}`, `LOCALHOST:${d.port}`, `[::1]:${d.port}`]) {
      t.equal((await request(d.port, '/api/snapshot', { headers: { ...token, host } })).status, 200, `Host ${host}: 200`);
    }
  });

  t.test('409: the runtime refused (the last CPU), with its code and message', async (t) => {
    t.equal((await control(d, { op: 'cpuDown', cpu: 1 })).status, 200);
    const answer = await control(d, { op: 'cpuDown', cpu: 0 });
    t.equal(answer.status, 409);
    t.match(json<ControlAnswer>(answer), { ok: false, op: 'cpuDown', error: { code: 'ERR_CPUHP_LAST_CPU', message: /CPU 0 is the last online CPU/ } });
    t.equal(rt.cpuState(0), 'online', 'CPU 0 is still online');
    t.equal((await control(d, { op: 'cpuUp', cpu: 1 })).status, 200);
    unchanged('after 409');
  });

  t.test('headers: nosniff, no-store, no-referrer, a strict CSP on the page, never CORS', async (t) => {
    for (const path of ['/api/snapshot', '/api/session', '/metrics']) {
      const answer = await request(d.port, path, { headers: { ...token, origin: 'https://evil.example' } });
      t.equal(answer.headers['x-content-type-options'], 'nosniff', `${path}: nosniff`);
      t.equal(answer.headers['cache-control'], 'no-store', `${path}: no-store`);
      t.equal(answer.headers['referrer-policy'], 'no-referrer', `${path}: no-referrer`);
      noCors(t, answer, path);
    }
    const forbidden = await request(d.port, '/api/snapshot');
    t.equal(forbidden.headers['cache-control'], 'no-store', 'a 403 is not cached either');
    const page = await request(d.port, '/');
    t.equal(page.status, 200, 'the page is served without a token (it holds no data)');
    t.match(page.headers['content-type'], /^text\/html; charset=utf-8$/);
    const csp = page.headers['content-security-policy'] ?? '';
    t.match(csp, /default-src 'self'/, 'CSP: default-src self');
    t.match(csp, /script-src 'self'(;|$)/, 'CSP: scripts from the server only');
    t.notMatch(csp, /unsafe-inline|unsafe-eval/, 'CSP: no inline script');
    t.match(csp, /frame-ancestors 'none'/, 'CSP: never framed');
    t.equal(page.headers['x-content-type-options'], 'nosniff');
    noCors(t, page, '/');
    for (const [path, type] of [
      ['/assets/uPlot.iife.min.js', /^text\/javascript/],
      ['/assets/uPlot.min.css', /^text\/css/],
      ['/assets/style.css', /^text\/css/],
      ['/assets/js/main.js', /^text\/javascript/],
    ] as const) {
      const answer = await request(d.port, path);
      t.equal(answer.status, 200, `${path}: 200`);
      t.match(answer.headers['content-type'], type, `${path}: its Content-Type`);
      t.equal(answer.headers['x-content-type-options'], 'nosniff', `${path}: nosniff`);
    }
  });

  t.test('GET /?token=: the right one sets the cookie and 303s to /; a wrong one is 403', async (t) => {
    const answer = await request(d.port, `/?token=${d.token}`);
    t.equal(answer.status, 303);
    t.equal(answer.headers.location, '/', 'to /: the token leaves the address bar');
    const cookie = answer.headers['set-cookie']?.[0] ?? '';
    t.match(cookie, new RegExp(`^cpuhp_dashboard_${d.port}=${d.token};`), 'the cookie carries the token');
    t.match(cookie, /; HttpOnly(;|$)/, 'HttpOnly');
    t.match(cookie, /; SameSite=Strict(;|$)/, 'SameSite=Strict');
    t.match(cookie, /; Path=\/(;|$)/, 'Path=/');
    const wrong = await request(d.port, '/?token=not-the-token-0123456789');
    t.equal(wrong.status, 403);
    t.equal(wrong.headers['set-cookie'], undefined, 'no cookie for a wrong token');
  });

  t.test('GET /api/session: the token only to a request that holds it', async (t) => {
    const withCookie = json<SessionAnswer>(await request(d.port, '/api/session', { headers: { cookie: `cpuhp_dashboard_${d.port}=${d.token}` } }));
    t.same(withCookie, { controls: true, token: d.token });
    const otherPort = await request(d.port, '/api/session', { headers: { cookie: `cpuhp_dashboard_${d.port + 1}=${d.token}` } });
    t.equal(otherPort.status, 403, "another port's cookie gives no access");
  });
});

t.test('publicView: reads without the token, controls still need it', async (t) => {
  const rt = await startJobRuntime(t);
  const d = await rt.serveDashboard({ publicView: true });
  const snapshot = await request(d.port, '/api/snapshot');
  t.equal(snapshot.status, 200, 'a snapshot without the token');
  t.equal(json<{ controls: boolean }>(snapshot).controls, false, 'it says: no controls');
  t.same(json<SessionAnswer>(await request(d.port, '/api/session')), { controls: false, token: null }, 'the session gives no token');
  t.same(json<SessionAnswer>(await request(d.port, '/api/session', { headers: { cookie: `cpuhp_dashboard_${d.port}=${d.token}` } })), { controls: true, token: d.token }, 'but does to the cookie');
  t.equal((await request(d.port, '/metrics')).status, 200, '/metrics without the token');
  const down = await control(d, { op: 'cpuDown', cpu: 1 }, {});
  t.equal(down.status, 403, 'a control without the token: 403');
  t.equal(rt.cpuState(1), 'online', 'and CPU 1 is still online');
  t.equal((await request(d.port, '/?token=wrong-wrong-wrong-wrong')).status, 403, 'a wrong token in the address is still refused');
});

t.test('not publicView: the session needs the token', async (t) => {
  const rt = await startJobRuntime(t);
  const d = await rt.serveDashboard({ publicView: false, token: 'a-given-token_0123456789' });
  t.equal(d.token, 'a-given-token_0123456789', 'the embedder\'s token');
  t.equal(d.urlWithToken, `${d.url}?token=a-given-token_0123456789`);
  t.match(d.url, new RegExp(`^http://127\\.0\\.0\\.1:${d.port}/$`));
  t.equal((await request(d.port, '/api/session')).status, 403);
  t.same(json<SessionAnswer>(await request(d.port, '/api/session', { headers: { 'x-cpuhp-token': d.token } })), { controls: true, token: d.token });
});
