/**
 * dlm-ui2 (issue 14): the FlowFuse Dashboard 2.0 widget nodes, server side, in
 * node-red-node-test-helper (Node-RED 4.1, and Node-RED 5 through tools/test-nr5.js):
 *  - without Dashboard 2.0 every type loads, says what is missing and passes nothing on;
 *  - with a recording stand-in for Dashboard 2.0's `ui-group` (`register(node, config, evts)`),
 *    the widget's hooks exactly as the dashboard drives them: `beforeSend` on a status from the
 *    flow (view model) and on a widget action from the browser (an edit, authorised and checked);
 *  - the authorisation rule (SPEC R-SEC-1): protected / open / readonly, and what counts as a login.
 * The real dashboard in a browser: test/e2e/dashboard2.test.ts.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const helper: any = require('node-red-node-test-helper');
import dlmUi2 = require('../../nodes/dlm-ui2/dlm-ui2');
import { dashboardProtected, editAccess } from '../../lib/dashboard/edits';
import * as D from '../../lib/dashboard/dashboard';
import { statusOf } from '../../lib/core/status';
import type { StatusMessage } from '../../lib/shared/types';
import { Site } from '../support/site';
import { NODE_RED_PATH } from '../support/nr';
import { REPO_ROOT } from '../support/node-red-runner';

helper.init(NODE_RED_PATH);

const TYPES = [
  'dlm-ui2-plugs',
  'dlm-ui2-table',
  'dlm-ui2-consumption',
  'dlm-ui2-boards',
  'dlm-ui2-analyser',
  'dlm-ui2-params',
  'dlm-ui2-schedule',
  'dlm-ui2-power',
  'dlm-ui2-transactions',
];

function status(): StatusMessage {
  const site = new Site();
  site.report({
    name: 'CP01',
    index: 1,
    plugs: [
      { letter: 'A', phase: 'L1', pilot: 'C', measuredA: 12, plate: 'AE-1111-FF' },
      { letter: 'B', phase: 'L1', pilot: 'A' },
    ],
  });
  site.meter([10, 10, 10]);
  site.run(3, [10, 10, 10]);
  return statusOf(site.state, site.now);
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(probe: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (probe()) return;
    await wait(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('dlm-ui2 widget nodes — without FlowFuse Dashboard 2.0 (issue 14)', () => {
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
  });

  it('every widget type loads, shows a red "@flowfuse/node-red-dashboard not installed" and passes nothing on (no crash)', async () => {
    const flow: any[] = TYPES.map((type, i) => ({ id: `w${i}`, type, group: 'g1', wires: [['out']] }));
    flow.push({ id: 'out', type: 'helper' });
    const seen: { type: string; s: any }[] = [];
    const spyStatus = (RED: any) => {
      const createNode = RED.nodes.createNode;
      RED.nodes.createNode = (node: any, config: any) => {
        createNode(node, config);
        const st = node.status.bind(node);
        node.status = (s: any) => {
          seen.push({ type: config.type, s });
          return st(s);
        };
      };
    };
    await helper.load([spyStatus, dlmUi2], flow);
    for (const type of TYPES) {
      const s = seen.filter((x) => x.type === type);
      assert.equal(s.length, 1, `${type} set one status`);
      assert.deepEqual(s[0].s, { fill: 'red', shape: 'ring', text: '@flowfuse/node-red-dashboard not installed' });
    }
    const out = helper.getNode('out');
    let received = 0;
    out.on('input', () => {
      received++;
    });
    for (let i = 0; i < TYPES.length; i++) helper.getNode(`w${i}`).receive({ payload: status() });
    await wait(50);
    assert.equal(received, 0);
  });
});

/**
 * A stand-in for Dashboard 2.0: a `ui-group` whose register() records the widget and which, like
 * the real ui-base, runs the widget's beforeSend on every input before anything else, keeps the
 * result as the widget's last message (datastore) and emits it to the pages.
 */
describe('dlm-ui2 widget nodes — server side with the Dashboard 2.0 API (issue 14)', () => {
  let widgets: Map<string, { props: any; evts: any }>;
  let emitted: { event: string; msg: any }[];
  let stored: Map<string, any>;

  function dashboardStandIn(RED: any) {
    widgets = new Map();
    emitted = [];
    stored = new Map();
    const base = {
      uiShared: { contribs: {} as Record<string, any> },
      stores: { data: { save: (_b: unknown, node: any, msg: any) => stored.set(node.id, msg) } },
      emit: (event: string, msg: any) => emitted.push({ event, msg }),
    };
    RED.nodes.registerType('ui-group', function (this: any, n: any) {
      RED.nodes.createNode(this, n);
      this.getBase = () => base;
      this.register = (node: any, props: any, evts: any) => {
        widgets.set(node.id, { props, evts });
        node.on('input', async (msg: any, _send: any, done: (e?: Error) => void) => {
          try {
            const out = await evts.beforeSend(msg);
            if (out) {
              stored.set(node.id, out);
              emitted.push({ event: 'msg-input:' + node.id, msg: out });
            }
            done();
          } catch (e) {
            done(e as Error);
          }
        });
      };
      (this as any).base = base;
    });
  }

  const flow = (type: string, extra: Record<string, unknown> = {}) => [
    { id: 'g1', type: 'ui-group', name: 'group' },
    { id: 'w', type, group: 'g1', wires: [['out']], ...extra },
    { id: 'out', type: 'helper' },
    { id: 'c', type: 'catch', scope: ['w'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];

  /** The view the page was sent last. */
  const lastView = () => stored.get('w')?.payload;

  afterEach(async () => {
    await helper.unload();
    helper.settings({});
  });

  it('registers the widget in its group: only edits leave the node, the bundle is announced to the dashboard', async () => {
    await helper.load([dashboardStandIn, dlmUi2], flow('dlm-ui2-table', { width: 0, height: 0 }));
    const w = widgets.get('w')!;
    assert.ok(w, 'registered');
    assert.equal(w.props.passthru, false, 'input messages are not forwarded');
    assert.equal(w.props.width, '0');
    // Dashboard 2.0 sets a widget action's msg.topic from these: the topic the page sent is kept.
    assert.deepEqual([w.props.topic, w.props.topicType], ['topic', 'msg']);
    assert.equal(w.evts.onAction, true);
    const base = (helper.getNode('g1') as any).base;
    assert.deepEqual(
      { ...base.uiShared.contribs['dlm-ui2-table'], path: undefined },
      { package: '@evdlm/node-red-dlm', name: 'dlm-ui2-table', src: 'dlm-ui2.umd.js', path: undefined, component: 'DlmUi2Table' },
    );
  });

  it('a status from the flow becomes the table view (SPEC §4, same view model as dlm-ui); a bad status is refused to a Catch node and the last view kept (R-ERR-1)', async () => {
    await helper.load([dashboardStandIn, dlmUi2], flow('dlm-ui2-table'));
    const w = helper.getNode('w');
    const errors: any[] = [];
    helper.getNode('caught').on('input', (m: any) => errors.push(m));
    const s = status();
    w.receive({ payload: s });
    await until(() => lastView() !== undefined, 'the view');
    assert.deepEqual(lastView(), JSON.parse(JSON.stringify(D.tableView(s))));
    const before = lastView();
    w.receive({ payload: { hello: 'world' } });
    await until(() => errors.length > 0, 'the error');
    assert.match(errors[0].error.message, /not a balancer status/);
    assert.equal(lastView(), before);
  });

  it('a status from the flow is shown even when a Dashboard 2.0 plugin hands beforeSend a copy of the message; a browser message shaped like a status is not', async () => {
    await helper.load([dashboardStandIn, dlmUi2], flow('dlm-ui2-table'));
    const w = helper.getNode('w');
    const { evts } = widgets.get('w')!;
    const s = status();
    let copy: any = null;
    w.on('input', (msg: any) => {
      copy = { ...msg };
    });
    w.receive({ payload: s });
    await until(() => copy !== null, 'the input');
    assert.deepEqual(await evts.beforeSend(copy), { payload: JSON.parse(JSON.stringify(D.tableView(copy.payload))) });
    assert.equal(await evts.beforeSend(JSON.parse(JSON.stringify({ payload: s }))), null);
  });

  it('plate edit with Edits = open (R-CP-6): a valid plate leaves as {topic:"plate"}; empty, unknown plug and other topics are refused with the reason on the page', async () => {
    await helper.load([dashboardStandIn, dlmUi2], flow('dlm-ui2-plugs', { edits: 'open' }));
    const w = helper.getNode('w');
    const errors: any[] = [];
    helper.getNode('caught').on('input', (m: any) => errors.push(m));
    w.receive({ payload: status() });
    await until(() => lastView() !== undefined, 'the view');
    assert.deepEqual(lastView().access, { mode: 'open', allowed: true, reason: '', note: '' });
    const { evts } = widgets.get('w')!;
    // A widget action from the browser: Dashboard 2.0 adds _client and calls beforeSend.
    const sent = await evts.beforeSend({ topic: 'plate', payload: { plugId: 1, plate: ' <b>X</b> ' }, _client: { socketId: 's1' } });
    assert.deepEqual(sent, { topic: 'plate', payload: { plugId: 1, plate: '<b>X</b>' } });
    for (const [bad, reason] of [
      [{ topic: 'plate', payload: { plugId: 1, plate: '' } }, /empty/],
      [{ topic: 'plate', payload: { plugId: 42, plate: 'AB' } }, /no plug 42/],
    ] as const) {
      const n = errors.length;
      assert.equal(await evts.beforeSend({ ...bad }), null, JSON.stringify(bad));
      await until(() => errors.length === n + 1, 'the refusal');
      assert.match(errors[n].error.message, reason);
      await until(() => lastView().serverNote !== null && reason.test(lastView().serverNote.text), 'the note on the page');
    }
    // A hostile shape (prototype key, deep nesting) is refused by lib/guard first, without echo (R-SEC-3).
    for (const payload of [
      JSON.parse('{"plugId": 1, "plate": "AB", "__proto__": {"x": 1}}'),
      { plugId: 1, plate: 'AB', deep: JSON.parse('['.repeat(40) + ']'.repeat(40)) },
    ]) {
      const k = errors.length;
      assert.equal(await evts.beforeSend({ topic: 'plate', payload }), null);
      await until(() => errors.length === k + 1, 'the refusal');
      assert.match(errors[k].error.message, /^plate edit refused: msg\.payload/);
      assert.ok(errors[k].error.message.length <= 200);
      assert.equal(errors[k].payload, undefined, 'the refused payload is not passed on');
    }
    // Nothing but the widget's own edit topic leaves it (and no error for that).
    const n = errors.length;
    assert.equal(await evts.beforeSend({ topic: 'params', payload: { mccbA: 63 } }), null);
    assert.equal(await evts.beforeSend({ payload: status() }), null, 'a status-looking browser message is not forwarded');
    await wait(30);
    assert.equal(errors.length, n);
  });

  it('Edits = protected (the default) refuses edits while Dashboard 2.0 has no login, and says so on the page (R-SEC-1)', async () => {
    await helper.load([dashboardStandIn, dlmUi2], flow('dlm-ui2-schedule'));
    const w = helper.getNode('w');
    const errors: any[] = [];
    helper.getNode('caught').on('input', (m: any) => errors.push(m));
    w.receive({ payload: status() });
    await until(() => lastView() !== undefined, 'the view');
    assert.equal(lastView().access.mode, 'protected');
    assert.equal(lastView().access.allowed, false);
    assert.match(lastView().access.note, /no login/);
    const slots = new Array(24).fill(false);
    assert.equal(await widgets.get('w')!.evts.beforeSend({ topic: 'schedule', payload: { enabled: true, slots } }), null);
    await until(() => errors.length === 1, 'the refusal');
    assert.match(errors[0].error.message, /schedule edit refused: the dashboard has no login/);
  });

  it("Edits = protected accepts edits once settings.js puts Dashboard 2.0's socket behind a login (dashboard.ioMiddleware) (R-SEC-1)", async () => {
    helper.settings({ dashboard: { ioMiddleware: (_socket: unknown, next: () => void) => next() } });
    await helper.load([dashboardStandIn, dlmUi2], flow('dlm-ui2-schedule'));
    helper.getNode('w').receive({ payload: status() });
    await until(() => lastView() !== undefined, 'the view');
    assert.equal(lastView().access.allowed, true);
    const slots = new Array(24).fill(false);
    slots[7] = true;
    assert.deepEqual(await widgets.get('w')!.evts.beforeSend({ topic: 'schedule', payload: { enabled: true, slots } }), {
      topic: 'schedule',
      payload: { enabled: true, slots },
    });
    assert.equal(await widgets.get('w')!.evts.beforeSend({ topic: 'schedule', payload: { enabled: true, slots: slots.slice(1) } }), null);
  });

  it('Edits = readonly refuses every edit even behind a login; display widgets never edit (R-SEC-1)', async () => {
    helper.settings({ dashboard: { ioMiddleware: [(_s: unknown, next: () => void) => next()] } });
    await helper.load([dashboardStandIn, dlmUi2], flow('dlm-ui2-params', { edits: 'readonly' }));
    helper.getNode('w').receive({ payload: status() });
    await until(() => lastView() !== undefined, 'the view');
    assert.deepEqual(lastView().access, { mode: 'readonly', allowed: false, reason: 'this widget is read-only (option Edits)', note: '' });
    assert.equal(await widgets.get('w')!.evts.beforeSend({ topic: 'params', payload: { mccbA: 63 } }), null);
  });

  it("parameter edit (R-MON-3, R-SEC-2): checked with the balancer's rules against the current parameters and the deployed ceiling", async () => {
    await helper.load([dashboardStandIn, dlmUi2], flow('dlm-ui2-params', { edits: 'open' }));
    helper.getNode('w').receive({ payload: status() });
    await until(() => lastView() !== undefined, 'the view');
    const { evts } = widgets.get('w')!;
    assert.deepEqual(await evts.beforeSend({ topic: 'params', payload: { mccbA: 40, stateBDetection: false } }), {
      topic: 'params',
      payload: { mccbA: 40, stateBDetection: false },
    });
    // { mccbA: 63 } and { marginPct: 0 } are less safe than the deployed 50 A / 10 % (R-SEC-2).
    for (const bad of [{ mccbA: 1 }, { mccbA: '63' }, { minCurrentA: 8.5 }, { nope: 1 }, [], { mccbA: 63 }, { marginPct: 0 }]) {
      assert.equal(await evts.beforeSend({ topic: 'params', payload: bad }), null, JSON.stringify(bad));
    }
  });

  it('power graphs keep their 24 h history in the node context and read it back (R-MON-4, R-ERR-2)', async () => {
    const s = status();
    let h = D.emptyPowerHistory();
    for (let t = s.timestamp - 3600_000; t < s.timestamp - 60_000; t += 60_000) h = D.addPowerSample(h, s.power, t);
    await helper.load([dashboardStandIn, dlmUi2], flow('dlm-ui2-power'));
    const w = helper.getNode('w');
    await new Promise<void>((r) => w.context().set('powerHistory', h, () => r()));
    w.receive({ payload: s });
    await until(() => lastView() !== undefined, 'the view');
    // Saved before the first status: the widget reads the context when it starts, so only this run's reading is in.
    const saved = w.context().get('powerHistory');
    assert.ok(D.isPowerHistory(saved));
    assert.ok(saved.buckets.length >= 1);
    assert.match(lastView().now[0].value, / kW$/);
  });

  it('transactions: the CSV link is a safe link or nothing', async () => {
    await helper.load([dashboardStandIn, dlmUi2], flow('dlm-ui2-transactions', { csvUrl: 'javascript:alert(1)' }));
    helper.getNode('w').receive({ payload: status() });
    await until(() => lastView() !== undefined, 'the view');
    assert.equal(lastView().csvUrl, null);
  });
});

describe('dlm-ui2 browser code (R-CP-6, issue 14)', () => {
  it('the Vue components render text only: no v-html, innerHTML or other HTML sinks in ui2/', () => {
    const dir = path.join(REPO_ROOT, 'ui2');
    const files = fs
      .readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => /\.(vue|js)$/.test(f));
    assert.ok(files.length >= 10, `ui2 sources: ${files}`);
    for (const f of files) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      assert.doesNotMatch(text, /v-html|innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/, f);
    }
  });
});

describe('dlm-ui2 edit authorisation rule (SPEC R-SEC-1, issue 14)', () => {
  it('protected needs a login, open always, readonly never', () => {
    assert.equal(editAccess('protected', false).allowed, false);
    assert.equal(editAccess('protected', true).allowed, true);
    assert.equal(editAccess('open', false).allowed, true);
    assert.equal(editAccess('readonly', true).allowed, false);
  });

  it("a login is an ioMiddleware for Dashboard 2.0's socket: dashboard.ioMiddleware, else ui.ioMiddleware (the fallback Dashboard 2.0 uses); httpMiddleware alone is not", () => {
    const fn = () => undefined;
    assert.equal(dashboardProtected({ dashboard: { ioMiddleware: fn } }), true);
    assert.equal(dashboardProtected({ dashboard: { ioMiddleware: [fn, fn] } }), true);
    assert.equal(dashboardProtected({ ui: { ioMiddleware: fn } }), true);
    assert.equal(
      dashboardProtected({ dashboard: {}, ui: { ioMiddleware: fn } }),
      false,
      'Dashboard 2.0 reads only dashboard when it is there',
    );
    assert.equal(dashboardProtected({ dashboard: { middleware: fn } }), false);
    assert.equal(dashboardProtected({ dashboard: { ioMiddleware: [] } }), false);
    assert.equal(dashboardProtected({ dashboard: { ioMiddleware: ['x'] } }), false);
    assert.equal(dashboardProtected({ dashboard: { ioMiddleware: true } }), false);
    assert.equal(dashboardProtected({}), false);
    assert.equal(dashboardProtected(null), false);
  });
});
