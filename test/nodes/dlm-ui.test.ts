import { strict as assert } from 'assert';

const helper: any = require('node-red-node-test-helper');
import dlmUi = require('../../nodes/dlm-ui/dlm-ui');
import { statusOf } from '../../lib/core/status';
import type { StatusMessage } from '../../lib/shared/types';
import { Site } from '../support/site';
import { NODE_RED_PATH } from '../support/nr';

helper.init(NODE_RED_PATH);

const TYPES = [
  'dlm-ui-plugs',
  'dlm-ui-table',
  'dlm-ui-consumption',
  'dlm-ui-boards',
  'dlm-ui-analyser',
  'dlm-ui-params',
  'dlm-ui-schedule',
  'dlm-ui-power',
  'dlm-ui-transactions',
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

/** Waits until `probe` is true (the helper delivers messages asynchronously). */
async function until(probe: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (probe()) return;
    await wait(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('dlm-ui widget nodes — without node-red-dashboard', () => {
  afterEach(async () => {
    await helper.unload();
  });

  it('every widget type loads, shows a red "node-red-dashboard not installed" and passes nothing on (no crash)', async () => {
    // Inside the test helper RED.require('node-red-dashboard') throws module_not_allowed, exactly
    // like a Node-RED that does not have the dashboard.
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
    await helper.load([spyStatus, dlmUi], flow);
    for (const type of TYPES) {
      const s = seen.filter((x) => x.type === type);
      assert.equal(s.length, 1, `${type} set one status`);
      assert.deepEqual(s[0].s, { fill: 'red', shape: 'ring', text: 'node-red-dashboard not installed' });
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
 * With a recording stand-in for node-red-dashboard's widget API, the server side of each widget
 * is exercised exactly as the dashboard drives it: `convert`/`beforeEmit` on input, `beforeSend`
 * with the browser's message for edits. (The real dashboard and browser: test/e2e/dashboard.test.ts.)
 */
describe('dlm-ui widget nodes — server side with the dashboard API', () => {
  let widgets: Map<string, any>;
  let removed: string[];

  function dashboardStandIn(RED: any) {
    widgets = new Map();
    removed = [];
    RED.require = (name: string) => {
      if (name !== 'node-red-dashboard') throw new Error('module_not_allowed');
      return () => ({
        addWidget(opts: any) {
          widgets.set(opts.node.id, opts);
          return () => {
            removed.push(opts.node.id);
          };
        },
      });
    };
    RED.nodes.registerType('ui_group', function (this: any, n: any) {
      RED.nodes.createNode(this, n);
      this.config = { width: n.width, tab: n.tab };
    });
  }

  const flow = (type: string, extra: Record<string, unknown> = {}) => [
    { id: 'g1', type: 'ui_group', width: 12, tab: 't1' },
    { id: 'w', type, group: 'g1', wires: [['out']], ...extra },
    { id: 'out', type: 'helper' },
    { id: 'c', type: 'catch', scope: ['w'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];

  afterEach(async () => {
    await helper.unload();
  });

  it('registers a widget in the group, options so that only edits leave the node', async () => {
    await helper.load([dashboardStandIn, dlmUi], flow('dlm-ui-table'));
    const o = widgets.get('w');
    assert.ok(o);
    assert.equal(o.group, 'g1');
    assert.equal(o.width, 12);
    assert.equal(o.forwardInputMessages, false);
    assert.equal(o.storeFrontEndInputAsState, false);
    assert.equal(typeof o.format, 'string');
    // The browser code: only the relayout helper for a display widget.
    assert.equal(typeof o.initController, 'string');
    assert.doesNotThrow(() => new Function(`return (${o.initController})`)());
    // Every user-text binding is {{ }}: no HTML injection path in any template.
    assert.doesNotMatch(o.format, /ng-bind-html|innerHTML|\$sce/);
  });

  it('turns a balancer status into the table view (SPEC §4) and refuses a bad status with an error (R-ERR-1)', async () => {
    await helper.load([dashboardStandIn, dlmUi], flow('dlm-ui-table'));
    const w = helper.getNode('w');
    const caught = helper.getNode('caught');
    const errors: any[] = [];
    caught.on('input', (m: any) => errors.push(m));
    const s = status();
    w.receive({ payload: s });
    await until(() => widgets.get('w').convert() !== null, 'the view');
    const view = widgets.get('w').beforeEmit().msg.payload;
    assert.deepEqual(
      view.groups.map((g: any) => g.name),
      ['ALL'],
    );
    assert.equal(view.rows.length, 9);
    w.receive({ payload: { hello: 'world' } });
    await until(() => errors.length > 0, 'the error');
    assert.match(errors[0].error.message, /not a balancer status/);
    // The last good view is kept.
    assert.deepEqual(widgets.get('w').beforeEmit().msg.payload, view);
  });

  it('issue 11, R-CIRC-2: the boards widget turns a status into the boards view (site first, per line headroom) and its template renders names with {{ }} only', async () => {
    await helper.load([dashboardStandIn, dlmUi], flow('dlm-ui-boards'));
    const w = helper.getNode('w');
    const s = status();
    s.boards = [
      {
        name: 'site',
        parent: null,
        depth: 0,
        limitA: 50,
        marginPct: 10,
        workingLimitA: 45,
        meter: { online: true, lastReadingAt: s.timestamp },
        otherA: { L1: 10, L2: 10, L3: 10 },
        evA: { L1: 12, L2: 0, L3: 0 },
        reservedA: { L1: 0, L2: 0, L3: 0 },
        loadA: { L1: 22, L2: 10, L3: 10 },
        headroomA: { L1: 23, L2: 35, L3: 35 },
        chargePoints: 1,
      },
    ];
    w.receive({ payload: s });
    await until(() => widgets.get('w').convert() !== null, 'the view');
    const view = widgets.get('w').beforeEmit().msg.payload;
    assert.deepEqual(
      view.boards.map((b: any) => [b.label, b.lines.map((l: any) => l.headroom)]),
      [['Site (main board)', ['23', '35', '35']]],
    );
    assert.doesNotMatch(widgets.get('w').format, /ng-bind-html|innerHTML|\$sce/);
  });

  it('plate edit from the page (R-CP-6): a valid plate leaves as {topic:"plate"}, an empty one is refused server side', async () => {
    await helper.load([dashboardStandIn, dlmUi], flow('dlm-ui-plugs', { edits: 'open' }));
    const w = helper.getNode('w');
    const caught = helper.getNode('caught');
    const errors: any[] = [];
    caught.on('input', (m: any) => errors.push(m));
    w.receive({ payload: status() });
    const o = widgets.get('w');
    await until(() => o.convert() !== null, 'the view');
    assert.match(o.initController, /saveEdit/);

    const good: any = { id: 'w', msg: { topic: 'plate', payload: { plugId: 1, plate: ' <b>X</b> ' } }, socketid: 's1' };
    const sent = o.beforeSend({ payload: undefined }, good);
    assert.equal(good._dontSend, undefined);
    assert.deepEqual({ topic: sent.topic, payload: sent.payload }, { topic: 'plate', payload: { plugId: 1, plate: '<b>X</b>' } });

    const empty: any = { id: 'w', msg: { topic: 'plate', payload: { plugId: 1, plate: '' } } };
    o.beforeSend({ payload: undefined }, empty);
    assert.equal(empty._dontSend, true);
    await until(() => errors.length === 1, 'the refusal');
    assert.match(errors[0].error.message, /empty/);
    // The refusal is shown on the page.
    await until(() => o.beforeEmit().msg.payload.serverNote !== null, 'the note');
    assert.match(o.beforeEmit().msg.payload.serverNote.text, /empty/);

    const unknown: any = { id: 'w', msg: { topic: 'plate', payload: { plugId: 42, plate: 'AB' } } };
    o.beforeSend({ payload: undefined }, unknown);
    assert.equal(unknown._dontSend, true);

    const otherTopic: any = { id: 'w', msg: { topic: 'params', payload: { mccbA: 63 } } };
    o.beforeSend({ payload: undefined }, otherTopic);
    assert.equal(otherTopic._dontSend, true);
  });

  it("parameter edit (R-MON-3, R-SEC-2): validated with the balancer's rules against the current parameters and the deployed ceiling", async () => {
    await helper.load([dashboardStandIn, dlmUi], flow('dlm-ui-params', { edits: 'open' }));
    const w = helper.getNode('w');
    w.receive({ payload: status() });
    const o = widgets.get('w');
    await until(() => o.convert() !== null, 'the view');
    const ok: any = { msg: { topic: 'params', payload: { mccbA: 45, stateBDetection: false } } };
    assert.deepEqual(o.beforeSend({}, ok).payload, { mccbA: 45, stateBDetection: false });
    // { mccbA: 63 } is above the deployed 50 A (R-SEC-2).
    for (const bad of [{ mccbA: 1 }, { mccbA: '63' }, { minCurrentA: 8.5 }, { nope: 1 }, [], { mccbA: 63 }, { marginPct: 0 }]) {
      const m: any = { msg: { topic: 'params', payload: bad } };
      o.beforeSend({}, m);
      assert.equal(m._dontSend, true, JSON.stringify(bad));
    }
  });

  it('schedule edit (R-PRIO-1): {enabled, slots[24]} only', async () => {
    await helper.load([dashboardStandIn, dlmUi], flow('dlm-ui-schedule', { edits: 'open' }));
    const o = widgets.get('w');
    const slots = new Array(24).fill(false);
    slots[7] = true;
    const ok: any = { msg: { topic: 'schedule', payload: { enabled: true, slots } } };
    assert.deepEqual(o.beforeSend({}, ok).payload, { enabled: true, slots });
    const bad: any = { msg: { topic: 'schedule', payload: { enabled: true, slots: slots.slice(2) } } };
    o.beforeSend({}, bad);
    assert.equal(bad._dontSend, true);
  });

  it('issue 9 item 2 (R-SEC-1): edits "protected" (the default) without a dashboard login, and "readonly", send nothing; the page and a warning say why', async () => {
    for (const [type, extra, msg] of [
      ['dlm-ui-plugs', {}, { topic: 'plate', payload: { plugId: 1, plate: 'AB-1' } }],
      ['dlm-ui-params', { edits: 'protected' }, { topic: 'params', payload: { marginPct: 10 } }],
      ['dlm-ui-schedule', { edits: 'readonly' }, { topic: 'schedule', payload: { enabled: false, slots: new Array(24).fill(false) } }],
    ] as const) {
      await helper.load([dashboardStandIn, dlmUi], flow(type, extra));
      const w = helper.getNode('w');
      const warnings: string[] = [];
      const warn = w.warn.bind(w);
      w.warn = (t: string) => {
        warnings.push(t);
        warn(t);
      };
      w.receive({ payload: status() });
      const o = widgets.get('w');
      await until(() => o.convert() !== null, 'the view');
      // Shown before anyone tries.
      assert.match(o.beforeEmit().msg.payload.serverNote.text, /Edits (refused|are off)/, type);
      const edit: any = { id: 'w', msg, socketid: 's1' };
      o.beforeSend({ payload: undefined }, edit);
      assert.equal(edit._dontSend, true, `${type}: nothing leaves the widget`);
      assert.equal(warnings.length, 1, type);
      assert.ok(warnings[0].length <= 200, type);
      assert.match(warnings[0], extra.edits === 'readonly' ? /read-only/ : /no login.*ui\.middleware and ui\.ioMiddleware/, type);
      await helper.unload();
    }
  });

  it('power graphs keep the history in node context (R-MON-4) and the transactions link defaults to /dlm/transactions.csv', async () => {
    await helper.load(
      [dashboardStandIn, dlmUi],
      [...flow('dlm-ui-power'), { id: 'tx', type: 'dlm-ui-transactions', group: 'g1', wires: [] }],
    );
    const w = helper.getNode('w');
    const s = status();
    w.receive({ payload: s });
    w.receive({ payload: { ...s, timestamp: s.timestamp + 1000 } });
    await until(() => (w.context().get('powerHistory')?.live?.length ?? 0) === 2, 'the history');
    const h = w.context().get('powerHistory');
    assert.equal(h.buckets.length >= 1, true);
    const view = widgets.get('w').beforeEmit().msg.payload;
    assert.equal(view.now[3].value, '36 kW');

    const tx = helper.getNode('tx');
    tx.receive({ payload: s });
    await until(() => widgets.get('tx').convert() !== null, 'the transactions view');
    assert.equal(widgets.get('tx').convert().csvUrl, '/dlm/transactions.csv');
  });

  it('removes the widget on close', async () => {
    await helper.load([dashboardStandIn, dlmUi], flow('dlm-ui-analyser'));
    await helper.unload();
    assert.deepEqual(removed, ['w']);
  });
});
