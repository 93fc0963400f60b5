/**
 * Issue 9 item 1 / R-SEC-3 in a real Node-RED runtime: tens of thousands of fuzzed messages —
 * random JSON-like values, the contract's messages with one field broken, and the crafted shapes
 * of the report (6 000-deep arrays, circular payloads, BigInt, prototype keys, huge texts) — sent
 * to every node of the package. Asserted: no crash, no unhandled rejection or exception, every
 * message ends (done or Catch), every error text bounded and free of the input, and afterwards
 * the site still balances within its limit on every phase.
 */
import { strict as assert } from 'assert';
import * as fc from 'fast-check';
import { DEFAULT_OFFLINE, phaseLimitA } from '../../lib/shared/params';
import { plugMsg } from '../support/site';
import { clearInbox, coreNode, drain, helper, next, nextWhere, recorderNode, sleep } from '../support/nr';

const NODES = [
  require('../../nodes/dlm-balancer/dlm-balancer'),
  require('../../nodes/charge-point/charge-point'),
  require('../../nodes/priority-schedule/priority-schedule'),
  require('../../nodes/offline-mode-config/offline-mode-config'),
  require('../../nodes/cvm-mini-reader/cvm-mini-reader'),
  require('../../nodes/ev-sim/ev-sim'),
  require('../../nodes/dlm-ui/dlm-ui'),
  recorderNode,
  coreNode('core/common/24-complete.js'),
];

/** A stand-in for node-red-dashboard's widget API, so the widgets run their real input and edit paths. */
const widgets = new Map<string, any>();
function dashboardStandIn(RED: any) {
  RED.require = (name: string) => {
    if (name !== 'node-red-dashboard') throw new Error('module_not_allowed');
    return () => ({
      addWidget(opts: any) {
        widgets.set(opts.node.id, opts);
        return () => widgets.delete(opts.node.id);
      },
    });
  };
  RED.nodes.registerType('ui_group', function (this: any, n: any) {
    RED.nodes.createNode(this, n);
    this.config = { width: 12 };
  });
}

const SITE = { mccbA: 40, contractedKW: 100, marginPct: 10, analyserEnabled: true, meterTimeoutS: 5 };
const BOARDS = JSON.stringify([{ name: 'B1', parent: 'site', limitA: 32, marginPct: null, hasMeter: true, otherLoadA: 4 }]);
const TARGETS = ['dlm', 'cp1', 'cp2', 'ps', 'r', 'r2', 'sim', 'w'];

function flow() {
  return [
    { id: 'f1', type: 'tab', label: 'fuzz' },
    { id: 'oc', type: 'offline-mode-config', name: '', heartbeatS: 120, mode: 2, currentA: 8 },
    { id: 'g1', type: 'ui_group', width: 12 },
    { id: 'ps', z: 'f1', type: 'priority-schedule', enabled: false, slots: [], timeZone: 'Europe/Madrid', wires: [['dlm']] },
    // Issue 11: one sub-board with a meter (R-CIRC-1), so board meter messages are part of the contract fuzzed.
    { id: 'dlm', z: 'f1', type: 'dlm-balancer', name: 'site', ...SITE, boards: BOARDS, wires: [['cp1', 'cp2', 'sp'], ['st', 'w'], ['tx']] },
    {
      id: 'cp1',
      z: 'f1',
      type: 'charge-point',
      name: 'CP01',
      index: 101,
      address: '',
      plugCount: 2,
      phaseA: 'L1',
      phaseB: 'L1',
      maxCurrentA: 32,
      maxCurrentB: 32,
      enabled: true,
      offline: 'oc',
      wires: [['dlm'], ['cmd']],
    },
    {
      id: 'cp2',
      z: 'f1',
      type: 'charge-point',
      name: 'CP02',
      index: 102,
      address: '',
      plugCount: 2,
      phaseA: 'L2',
      phaseB: 'L3',
      // Issue 11 (R-3PH-1): plug A three-phase on a rotated charger; plug B single-phase.
      rotation: 'STR',
      phasesA: 3,
      phasesB: 1,
      maxCurrentA: 32,
      maxCurrentB: 16,
      enabled: true,
      offline: 'oc',
      wires: [['dlm'], ['cmd']],
    },
    { id: 'r', z: 'f1', type: 'cvm-mini-reader', name: 'meter', poll: false, wires: [['dlm'], []] },
    { id: 'r2', z: 'f1', type: 'cvm-mini-reader', name: 'B1 meter', poll: false, board: 'B1', wires: [['dlm'], []] },
    {
      id: 'sim',
      z: 'f1',
      type: 'ev-sim',
      name: 'CP09 simulator',
      plugCount: 2,
      seed: 1,
      arrivals: 0,
      script: '',
      reportS: 3600,
      timeScale: 1,
      enabled: true,
      wires: [['simout']],
    },
    { id: 'w', z: 'f1', type: 'dlm-ui-params', group: 'g1', wires: [['dlm']] },
    { id: 'sp', z: 'f1', type: 'recorder' },
    { id: 'st', z: 'f1', type: 'recorder' },
    { id: 'tx', z: 'f1', type: 'recorder' },
    { id: 'cmd', z: 'f1', type: 'recorder' },
    { id: 'simout', z: 'f1', type: 'recorder' },
    { id: 'catcher', z: 'f1', type: 'catch', scope: TARGETS, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'recorder' },
    { id: 'completer', z: 'f1', type: 'complete', scope: TARGETS, uncaught: false, wires: [['completed']] },
    { id: 'completed', z: 'f1', type: 'recorder' },
  ];
}

/** An array nested `n` deep. */
function nested(n: number, leaf: unknown = 1): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < n; i++) v = [v];
  return v;
}

const SECRET = 'FUZZSECRET';

/** The crafted shapes of issue 9, made fresh for each use (some are mutable). */
function crafted(i: number): unknown {
  const circ: any = { chargePoint: 'CP01', plugs: [] };
  circ.plugs.push(circ);
  const shapes: (() => unknown)[] = [
    () => ({ plugId: nested(6000), plate: 'X' }),
    () => ({ enabled: true, slots: [], timeZone: nested(6000) }),
    () => circ,
    () => ({ plugId: 10n, plate: 'X' }),
    () => ({ currentA: [1n, 2n, 3n], online: true }),
    () => JSON.parse(`{"__proto__": {"polluted": "${SECRET}"}, "plugs": []}`),
    () => ({ constructor: { prototype: { polluted: SECRET } } }),
    () => ({ plugId: SECRET.repeat(100000), plate: SECRET }),
    () => ({ letter: SECRET.repeat(500), plate: 'X' }),
    () => nested(6000, SECRET),
    () => ({ plugs: [{ letter: nested(5000), pilot: 'C', currentA: 1 }] }),
    () => new Array(50000).fill({ plugs: [] }),
    () => ({ data: new Array(42).fill(1n) }),
    () => ({ A: 10n }),
    () => ({ chargePoint: 'CP01', plugs: { A: Symbol('x') } }),
    () => ({ chargePoint: 'CP01', plugs: { A: () => 32 } }),
  ];
  return shapes[i % shapes.length]();
}

/** A valid message of the node's contract with one field replaced by a random value. */
const contractMsgs: Record<string, () => { topic?: string; payload: any }[]> = {
  dlm: () => [
    // Index 9: far from the charge points of the flow (101, 102), which must still work afterwards.
    { topic: 'plug', payload: plugMsg({ name: 'CP09', index: 9, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] }, Date.now()) },
    { topic: 'meter', payload: { online: true, currentA: [5, 5, 5], timestamp: Date.now() } },
    // Issue 11: a three-phase plug on a rotated charger on a sub-board, with per-phase currents; a board meter.
    {
      topic: 'plug',
      payload: {
        ...plugMsg({ name: 'CP08', index: 8, plugs: [{ letter: 'A', phase: 'L2', pilot: 'C', measuredA: 9 }] }, Date.now()),
        rotation: 'STR',
        board: 'B1',
        plugs: [
          {
            ...plugMsg({ name: 'CP08', index: 8, plugs: [{ letter: 'A', phase: 'L2', pilot: 'C' }] }, 0).plugs[0],
            phases: 3,
            phaseCurrentsA: [9, 8.5, 0.4],
          },
        ],
      },
    },
    { topic: 'meter', payload: { online: true, currentA: [3, 2, 1], timestamp: Date.now(), board: 'B1' } },
    { topic: 'plate', payload: { plugId: 1, plate: 'AB-123' } },
    { topic: 'params', payload: { marginPct: 20 } },
    { topic: 'schedule', payload: { enabled: true, slots: new Array(24).fill(false), timeZone: 'UTC' } },
  ],
  cp1: () => [
    { topic: 'device', payload: { plugs: [{ letter: 'A', pilot: 'C', currentA: 10, energyWh: 5 }], devicePlugs: 2 } },
    // Issue 11 (R-3PH-3): per-phase currents in charger phase order, currentA their highest or left out.
    { topic: 'device', payload: { plugs: [{ letter: 'A', pilot: 'C', currentA: 10, phaseCurrentsA: [10, 9.5, 0] }] } },
    { topic: 'device', payload: { plugs: [{ letter: 'B', pilot: 'C', phaseCurrentsA: [7, 0, 0] }] } },
    { topic: 'setpoint', payload: { chargePoint: 'CP01', plugs: { A: 16, B: 0 }, timestamp: Date.now() } },
    { topic: 'plate', payload: { letter: 'B', plate: 'ZZ-9' } },
  ],
  ps: () => [{ payload: { enabled: true, slots: '07-08,09-13', timeZone: 'Europe/Madrid' } }],
  r: () => [{ payload: new Array(42).fill(0) }],
  sim: () => [
    {
      topic: 'command',
      payload: { chargePoint: 'CP01', address: '', plugs: { A: 16 }, offline: { ...DEFAULT_OFFLINE }, timestamp: Date.now() },
    },
    { topic: 'vehicle', payload: { letter: 'A', action: 'arrive' } },
  ],
  w: () => [{ payload: {} }],
};
contractMsgs.cp2 = contractMsgs.cp1;
contractMsgs.r2 = contractMsgs.r;

const anyValue = fc.anything({
  maxDepth: 4,
  withBigInt: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withDate: true,
  withNullPrototype: true,
  withBoxedValues: true,
  withSparseArray: true,
});
const topicArb = fc.oneof(
  fc.constantFrom(
    'plug',
    'meter',
    'plate',
    'params',
    'schedule',
    'status',
    'transactions',
    'device',
    'setpoint',
    'command',
    'vehicle',
    undefined,
  ),
  anyValue,
);

/** Replaces the value at a random path of a copy of `base` by `v`. */
function mutate(base: any, pathPick: number, v: unknown): any {
  const copy = structuredClone(base);
  let o = copy;
  for (let depth = 0; depth < 4; depth++) {
    if (o === null || typeof o !== 'object') break;
    const keys = Object.keys(o);
    if (!keys.length) break;
    const k = keys[(pathPick >> (depth * 3)) % keys.length];
    if (depth === 3 || o[k] === null || typeof o[k] !== 'object' || (pathPick >> (depth * 3 + 2)) % 2) {
      o[k] = v;
      return copy;
    }
    o = o[k];
  }
  return { ...copy, extra: v };
}

/** The fuzzed messages for one node: a deterministic mix of the three kinds. */
function messagesFor(target: string, n: number, seed: number): any[] {
  const samples = fc.sample(fc.tuple(fc.nat(9), topicArb, anyValue, fc.nat()), { seed, numRuns: n });
  const contract = contractMsgs[target]();
  return samples.map(([kind, topic, value, pick], i) => {
    if (kind <= 3) return { topic, payload: value };
    if (kind <= 7) {
      const base = contract[pick % contract.length];
      return { topic: pick % 7 === 0 ? topic : base.topic, payload: mutate(base.payload, pick, value) };
    }
    return { topic: contract[pick % contract.length].topic, payload: crafted(i) };
  });
}

describe('issue 9 item 1 — fuzzed messages to every node in a real Node-RED runtime (R-SEC-3, R-ERR-1)', function () {
  this.timeout(240000);
  /** 1 500 per node: 12 000 messages in all, every node of the package fuzzed. */
  const PER_NODE = Number(process.env.DLM_FUZZ_PER_NODE) || 1500;
  let unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => {
    unhandled.push(e);
  };

  before(() => {
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
  });
  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
    await helper.unload();
    clearInbox();
  });

  it(`${PER_NODE} messages to each of the ${TARGETS.length} nodes: 0 crashes, 0 unhandled, every message ends, errors bounded and input-free; the limit holds afterwards`, async () => {
    unhandled = [];
    await helper.load([dashboardStandIn, ...NODES], flow());
    await sleep(200);
    const errors: string[] = [];
    const ended = new Set<string>();
    const caught = helper.getNode('caught');
    const completed = helper.getNode('completed');
    // Count each fuzzed message once, whether it ended in done() or in a Catch.
    for (const [node, failed] of [
      [caught, true],
      [completed, false],
    ] as const) {
      node.on('input', (m: any) => {
        if (m && m._fuzz !== undefined) ended.add(String(m._fuzz));
        if (failed && m && m.error) errors.push(String(m.error.message));
      });
    }
    let sent = 0;
    let seed = 9;
    for (const target of TARGETS) {
      const node = helper.getNode(target);
      const t0 = Date.now();
      const msgs = messagesFor(target, PER_NODE, seed++);
      const t1 = Date.now();
      for (let i = 0; i < msgs.length; i++) {
        const m = msgs[i];
        m._fuzz = `${target}-${i}`;
        node.receive(m);
        sent++;
        if (i % 500 === 499) await sleep(1); // let timers and the event loop breathe, as a real flow would
      }
      if (process.env.DLM_FUZZ_TIMES) console.log(target, 'gen', t1 - t0, 'send', Date.now() - t1);
      // The widget's edit path: fuzzed payloads from the browser.
      if (target === 'w') {
        const o = widgets.get('w');
        for (const m of msgs.slice(0, 2000)) {
          const orig: any = { msg: { topic: 'params', payload: m.payload } };
          assert.doesNotThrow(() => o.beforeSend({}, orig));
        }
      }
    }
    for (let i = 0; i < 200 && ended.size < sent; i++) await sleep(25);
    assert.equal(unhandled.length, 0, `unhandled: ${String(unhandled[0]).slice(0, 200)}`);
    assert.equal(ended.size, sent, `messages that never ended: ${sent - ended.size} of ${sent}`);
    assert.ok(errors.length > sent / 2, `most fuzz is refused (${errors.length})`);
    for (const e of errors) {
      assert.ok(e.length <= 200, `error text of ${e.length} characters: ${e.slice(0, 240)}`);
      assert.ok(!e.includes(SECRET), `an error quotes the input: ${e.slice(0, 80)}`);
    }
    assert.equal(({} as any).polluted, undefined, 'no prototype pollution');

    // Afterwards the site still runs and holds its limit (R-ALLOC-9). Random but valid parameter
    // changes may have lowered limits or raised the minimum current: back to the deployed values.
    const sp = helper.getNode('dlm');
    sp.receive({
      topic: 'params',
      payload: { ...SITE, minCurrentA: 8, meterOfflineCurrentA: 25, meterPeakWindowMin: 15, meterAverageS: 1 },
    });
    sp.receive({ topic: 'schedule', payload: { enabled: false, slots: new Array(24).fill(false), timeZone: 'Europe/Madrid' } });
    await sleep(1100); // the moving average forgets fuzzed readings (R-MTR-5)
    helper.getNode('dlm').receive({ topic: 'meter', payload: { online: true, currentA: [10, 12, 8], timestamp: Date.now() } });
    for (const id of ['cp1', 'cp2']) {
      helper.getNode(id).receive({
        topic: 'device',
        payload: {
          plugs: [
            { letter: 'A', pilot: 'C', currentA: 6 },
            { letter: 'B', pilot: 'C', currentA: 6 },
          ],
        },
      });
    }
    await sleep(100);
    drain('st');
    helper.getNode('dlm').receive({ topic: 'status' });
    const st = (await nextWhere('st', (m) => m.topic === 'status' && m.payload && Array.isArray(m.payload.plugs), 5000)).payload;
    assert.ok(st.plugs.length >= 4);
    const deployedLimit = phaseLimitA({ ...st.deployedParams });
    for (const ph of ['L1', 'L2', 'L3']) {
      const c = st.consumption[ph];
      assert.ok(c.limitA <= deployedLimit + 1e-9, `${ph}: limit ${c.limitA} above the deployed ${deployedLimit}`);
      assert.ok(
        c.buildingA + c.evSetpointA + c.reservedA <= c.limitA + 1e-9,
        `${ph}: ${c.buildingA} + ${c.evSetpointA} + ${c.reservedA} > ${c.limitA}`,
      );
    }
    assert.ok(
      st.plugs.some((p: any) => p.setpointA > 0),
      `vehicles still charge: ${JSON.stringify(st.plugs.map((p: any) => [p.id, p.status, p.pilot, p.setpointA, p.reason]))} ${JSON.stringify(st.errors)} ${JSON.stringify(st.consumption)}`,
    );
    await next('st', 3000);
  });
});
