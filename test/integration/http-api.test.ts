/**
 * The package's HTTP API on Node-RED's admin server, in a REAL Node-RED (issue 9 items 2, 3, 9;
 * SPEC R-SEC-1, R-SEC-3; nodes/common/http-api.ts). One Node-RED with `adminAuth` (an admin with
 * all permissions, a viewer with `dlm.read` only), one without (the demo's setting).
 */
import { strict as assert } from 'assert';
import { MANUAL_SCHEDULE_SLOTS } from '../../lib/shared/params';
import { hoursToSlots } from '../../lib/shared/schedule';
import { start, type RunningNodeRed } from '../support/node-red-runner';

const bcrypt: any = require('bcryptjs');

const FLOW = [
  { id: 'f1', type: 'tab', label: 'api' },
  { id: 'dlm', z: 'f1', type: 'dlm-balancer', name: 'site', mccbA: 50, contractedKW: 36, wires: [[], [], []] },
  {
    id: 'ps',
    z: 'f1',
    type: 'priority-schedule',
    name: 'prio',
    enabled: true,
    slots: hoursToSlots(MANUAL_SCHEDULE_SLOTS),
    timeZone: 'Europe/Madrid',
    wires: [[]],
  },
];

const ADMIN = { username: 'admin', password: 'admin-pass-1' };
const VIEWER = { username: 'viewer', password: 'viewer-pass-1' };

function authSettings() {
  return {
    adminAuth: {
      type: 'credentials',
      users: [
        { username: ADMIN.username, password: bcrypt.hashSync(ADMIN.password, 8), permissions: '*' },
        { username: VIEWER.username, password: bcrypt.hashSync(VIEWER.password, 8), permissions: ['dlm.read'] },
      ],
    },
  };
}

async function token(red: RunningNodeRed, user: { username: string; password: string }, scope: string): Promise<string> {
  const res = await fetch(`${red.url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope, ...user }),
  });
  assert.equal(res.status, 200, `login of ${user.username}`);
  return ((await res.json()) as any).access_token;
}

interface Reply {
  status: number;
  text: string;
  headers: Headers;
}
async function call(
  red: RunningNodeRed,
  method: string,
  path: string,
  opts: { token?: string; json?: unknown; body?: string; type?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined = opts.body;
  if (opts.json !== undefined) body = JSON.stringify(opts.json);
  if (body !== undefined) headers['content-type'] = opts.type ?? 'application/json';
  const res = await fetch(red.url + path, { method, headers, body });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** Nested arrays `depth` deep around `inner`, as JSON text (no recursion). */
const nested = (depth: number, inner = '1') => '['.repeat(depth) + inner + ']'.repeat(depth);

describe('HTTP API on the admin server with adminAuth (issue 9 items 2, 3, 9; R-SEC-1, R-SEC-3)', function () {
  this.timeout(60_000);
  let red: RunningNodeRed;
  let adminToken = '';
  let viewerToken = '';

  before(async () => {
    red = await start(FLOW, { settings: authSettings() });
    adminToken = await token(red, ADMIN, '*');
    viewerToken = await token(red, VIEWER, 'dlm.read');
  });
  after(async () => {
    await red?.stop();
  });

  it('R-SEC-1: anonymous GET and POST of every route → 401, nothing changed', async () => {
    for (const p of ['/dlm/status', '/dlm/transactions', '/dlm/transactions.csv']) {
      assert.equal((await call(red, 'GET', p)).status, 401, p);
    }
    const raise = { mccbA: 6300, contractedKW: 10000, marginPct: 0, analyserEnabled: false };
    assert.equal((await call(red, 'POST', '/dlm/params', { json: raise })).status, 401);
    assert.equal((await call(red, 'POST', '/dlm/plate', { json: { plugId: 1, plate: 'X' } })).status, 401);
    assert.equal((await call(red, 'POST', '/dlm/schedule', { json: { enabled: false } })).status, 401);
    const s = JSON.parse((await call(red, 'GET', '/dlm/status', { token: adminToken })).text);
    assert.equal(s.params.mccbA, 50);
    assert.equal(s.params.contractedKW, 36);
  });

  it('R-SEC-1: a user with dlm.read only reads the status (200) and is refused every change (403)', async () => {
    const st = await call(red, 'GET', '/dlm/status', { token: viewerToken });
    assert.equal(st.status, 200);
    assert.equal(JSON.parse(st.text).params.mccbA, 50);
    assert.equal((await call(red, 'GET', '/dlm/transactions.csv', { token: viewerToken })).status, 200);
    assert.equal((await call(red, 'POST', '/dlm/params', { token: viewerToken, json: { mccbA: 40 } })).status, 403);
    assert.equal((await call(red, 'POST', '/dlm/schedule', { token: viewerToken, json: { enabled: false } })).status, 403);
    assert.equal((await call(red, 'POST', '/dlm/plate', { token: viewerToken, json: { plugId: 1, plate: 'X' } })).status, 403);
  });

  it('R-SEC-1: a user with all permissions changes params and the schedule (200 {ok:true}); a refused change → 400 with the reason', async () => {
    const ok = await call(red, 'POST', '/dlm/params', { token: adminToken, json: { mccbA: 40 } });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(JSON.parse(ok.text), { ok: true });
    const s = JSON.parse((await call(red, 'GET', '/dlm/status', { token: adminToken })).text);
    assert.equal(s.params.mccbA, 40);
    const sched = await call(red, 'POST', '/dlm/schedule', { token: adminToken, json: { enabled: false } });
    assert.equal(sched.status, 200, sched.text);
    const bad = await call(red, 'POST', '/dlm/plate', { token: adminToken, json: { plugId: 77, plate: 'X' } });
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.text).error, /unknown plug id/);
    const json = await call(red, 'GET', '/dlm/transactions', { token: adminToken });
    assert.equal(json.status, 200);
    assert.ok(Array.isArray(JSON.parse(json.text)));
  });

  it('R-SEC-1: ?balancer= chooses by id or name; an unknown one → 404 without echoing it', async () => {
    assert.equal((await call(red, 'GET', '/dlm/status?balancer=dlm', { token: adminToken })).status, 200);
    assert.equal((await call(red, 'GET', '/dlm/status?balancer=site', { token: adminToken })).status, 200);
    const unknown = await call(red, 'GET', '/dlm/status?balancer=nosuchbalancer', { token: adminToken });
    assert.equal(unknown.status, 404);
    assert.ok(!unknown.text.includes('nosuchbalancer'));
  });

  it('issue 9 item 3: no Access-Control-Allow-Origin on replies or pre-flights, even for a page of another origin', async () => {
    const origin = { origin: 'http://evil.example' };
    const get = await call(red, 'GET', '/dlm/status', { token: adminToken, headers: origin });
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('access-control-allow-origin'), null);
    const pre = await call(red, 'OPTIONS', '/dlm/params', {
      headers: { ...origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
    assert.equal(pre.headers.get('access-control-allow-headers'), null);
    const anon = await call(red, 'POST', '/dlm/params', { json: { mccbA: 30 }, headers: origin });
    assert.equal(anon.headers.get('access-control-allow-origin'), null);
  });

  it('issue 9 item 3: a form-encoded POST (a cross-site "simple request") → 415, nothing changed', async () => {
    const r = await call(red, 'POST', '/dlm/params', {
      token: adminToken,
      body: 'meterPosition=grid',
      type: 'application/x-www-form-urlencoded',
    });
    assert.equal(r.status, 415);
    const t = await call(red, 'POST', '/dlm/plate', { token: adminToken, body: '{"plugId":1,"plate":"X"}', type: 'text/plain' });
    assert.equal(t.status, 415);
    const s = JSON.parse((await call(red, 'GET', '/dlm/status', { token: adminToken })).text);
    assert.notEqual(s.params.meterPosition, 'grid');
  });

  it('issue 9 item 9: a 4 MB body → 413 with a short JSON error (no stack, no server path)', async () => {
    const big = JSON.stringify({ plugId: 'x'.repeat(4 * 1024 * 1024), plate: 'X' });
    const r = await call(red, 'POST', '/dlm/plate', { token: adminToken, body: big });
    assert.equal(r.status, 413);
    assert.ok(r.text.length <= 300, `${r.text.length} bytes`);
    assert.ok(typeof JSON.parse(r.text).error === 'string');
    assert.doesNotMatch(r.text, /node_modules|\/work|\bat \w|Error:|xxxx/);
  });

  it('issue 9 item 9: refused plugIds (60 KB, 9 000 characters) → 400, reply ≤ 300 bytes without the input', async () => {
    for (const n of [60_000, 9_000]) {
      const id = 'Q'.repeat(n);
      const r = await call(red, 'POST', '/dlm/plate', { token: adminToken, json: { plugId: id, plate: 'X' } });
      assert.equal(r.status, 400, `${n}: ${r.text.slice(0, 100)}`);
      assert.ok(Buffer.byteLength(r.text) <= 300, `${n}: ${r.text.length} bytes`);
      assert.ok(!r.text.includes('QQQQ'), `${n}: the reply quotes the input`);
    }
  });

  it('issue 9 items 1, 9: a body nested 6 000 deep → 400 (plate and schedule); Node-RED still answers', async () => {
    const deepPlate = `{"plugId":${nested(6000)},"plate":"X"}`;
    const a = await call(red, 'POST', '/dlm/plate', { token: adminToken, body: deepPlate });
    assert.equal(a.status, 400, a.text.slice(0, 200));
    assert.match(JSON.parse(a.text).error, /nested deeper/);
    const deepTz = `{"enabled":true,"timeZone":${nested(6000, '"x"')}}`;
    const b = await call(red, 'POST', '/dlm/schedule', { token: adminToken, body: deepTz });
    assert.equal(b.status, 400);
    const bad = await call(red, 'POST', '/dlm/params', { token: adminToken, body: '{"mccbA":' });
    assert.equal(bad.status, 400);
    assert.equal((await call(red, 'GET', '/dlm/status', { token: adminToken })).status, 200);
    assert.doesNotMatch(red.log(), /Unhandled|uncaught/i);
  });
});

describe("HTTP API without adminAuth (the demo's setting; issue 9 items 3, 9)", function () {
  this.timeout(60_000);
  let red: RunningNodeRed;
  before(async () => {
    red = await start(FLOW);
  });
  after(async () => {
    await red?.stop();
  });

  it('open to anyone who reaches the port (documented), but still JSON only, bounded and without CORS headers', async () => {
    const get = await call(red, 'GET', '/dlm/status', { headers: { origin: 'http://evil.example' } });
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('access-control-allow-origin'), null);
    const pre = await call(red, 'OPTIONS', '/dlm/schedule', {
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
    assert.equal(
      (await call(red, 'POST', '/dlm/schedule', { body: 'enabled=false', type: 'application/x-www-form-urlencoded' })).status,
      415,
    );
    assert.equal((await call(red, 'POST', '/dlm/schedule', { json: { enabled: false } })).status, 200);
    // The rest of the admin API keeps Node-RED's own behaviour.
    assert.equal((await call(red, 'GET', '/settings')).status, 200);
  });

  it('no balancer deployed → 503 with a short JSON error', async () => {
    const res = await fetch(`${red.url}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'node-red-deployment-type': 'full' },
      body: JSON.stringify([FLOW[0], FLOW[2]]),
    });
    assert.ok(res.ok, `deploy: ${res.status}`);
    const r = await call(red, 'GET', '/dlm/status');
    assert.equal(r.status, 503);
    assert.match(JSON.parse(r.text).error, /no dlm-balancer/);
  });
});
