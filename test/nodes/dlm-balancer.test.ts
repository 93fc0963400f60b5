import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_PARAMS, PARAM_SPECS } from '../../lib/shared/params';
import { plugMsg, type CpSpec } from '../support/site';
import {
  clearInbox,
  closeStore,
  drain,
  helper,
  loadWithStore,
  next,
  nextWhere,
  pending,
  recorderNode,
  restartWithStore,
  sleep,
} from '../support/nr';

const balancerNode = require('../../nodes/dlm-balancer/dlm-balancer');
const NODES = [balancerNode, recorderNode];

function flow(cfg: Record<string, unknown> = {}) {
  return [
    { id: 'f1', type: 'tab', label: 'test' },
    { id: 'dlm', z: 'f1', type: 'dlm-balancer', name: 'site', ...cfg, wires: [['sp'], ['st'], ['tx']] },
    { id: 'sp', z: 'f1', type: 'recorder' },
    { id: 'st', z: 'f1', type: 'recorder' },
    { id: 'tx', z: 'f1', type: 'recorder' },
    { id: 'catcher', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'recorder' },
    { id: 'watch', z: 'f1', type: 'status', scope: ['dlm'], wires: [['nodestatus']] },
    { id: 'nodestatus', z: 'f1', type: 'recorder' },
  ];
}

/** The node status shown last (from a Status node). */
async function lastNodeStatus(pred: (s: any) => boolean = () => true): Promise<any> {
  const m = await nextWhere('nodestatus', (x) => pred(x.status), 4000);
  return m.status;
}

const cp1: CpSpec = {
  name: 'CP01',
  index: 1,
  plugs: [
    { letter: 'A', phase: 'L1', pilot: 'C' },
    { letter: 'B', phase: 'L1', pilot: 'A' },
  ],
};
const plug = (cp: CpSpec) => ({ topic: 'plug', payload: plugMsg(cp, Date.now()) });

/** Asks the balancer for its status and returns it. */
async function status(): Promise<any> {
  drain('st');
  helper.getNode('dlm').receive({ topic: 'status' });
  const m = await nextWhere('st', (x) => x.topic === 'status' && x.payload && x.payload.plugs !== undefined);
  return m.payload;
}
const stable = (s: any) => JSON.stringify({ ...s, timestamp: 0, analyser: { ...s.analyser, lastReadingAt: 0 } });

describe('dlm-balancer node', function () {
  this.timeout(20000);
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    clearInbox();
  });

  it('R-ALLOC-3: a charging plug gets a setpoint at once, one message per charge point', async () => {
    await helper.load(NODES, flow({ analyserEnabled: false, mccbA: 40, marginPct: 0 }));
    helper.getNode('dlm').receive(plug(cp1));
    const m = await next('sp');
    assert.equal(m.topic, 'setpoint');
    assert.equal(m.payload.chargePoint, 'CP01');
    assert.deepEqual(m.payload.plugs, { A: 32, B: 0 });
    assert.deepEqual(m.payload.offline, { heartbeatS: 120, mode: 3, currentA: 8 });
  });

  it('answers a status query on output 2 with the same message (http in → http response)', async () => {
    await helper.load(NODES, flow({ analyserEnabled: false, mccbA: 40 }));
    const dlm = helper.getNode('dlm');
    dlm.receive(plug(cp1));
    await next('sp');
    const req = { topic: 'status', _msgid: 'q1', res: { marker: 1 } };
    dlm.receive(req);
    const m = await nextWhere('st', (x) => x._msgid === 'q1');
    assert.deepEqual(m.res, { marker: 1 });
    assert.equal(m.payload.plugs.length, 2);
    assert.equal(m.payload.plugs[0].status, 'CHARGING');
    assert.equal(m.payload.params.mccbA, 40);
    assert.equal(m.payload.table.ALL.L1.charging, 1);
  });

  it('emits its status every second and re-evaluates on its 1 s tick (R-MTR-4: meter lost)', async () => {
    await helper.load(NODES, flow({ meterTimeoutS: 3 }));
    const dlm = helper.getNode('dlm');
    dlm.receive({ topic: 'meter', payload: { online: true, currentA: [5, 6, 7], timestamp: Date.now() } });
    const s1 = await nextWhere('st', (x) => x.payload.analyser.online === true, 8000);
    assert.deepEqual(s1.payload.analyser.usedA, { L1: 5, L2: 6, L3: 7 });
    const s2 = await nextWhere('st', (x) => x.payload.analyser.online === false, 8000);
    assert.deepEqual(s2.payload.analyser.usedA, { L1: 25, L2: 25, L3: 25 });
    const st = await lastNodeStatus((x) => /meter lost/.test(x.text));
    assert.equal(st.fill, 'red');
    assert.match(st.text, /meter lost: L1 25 · L2 25 · L3 25 A assumed/);
  });

  it('issue 13: the node status (O(plugs) to build) is drawn on the 1 s tick, not after every event', async () => {
    await helper.load(NODES, flow({ analyserEnabled: false, mccbA: 40 }));
    const dlm = helper.getNode('dlm');
    dlm.receive(plug(cp1));
    await lastNodeStatus((x) => /L1/.test(x.text));
    drain('nodestatus');
    for (let k = 0; k < 30; k++) dlm.receive(plug(cp1));
    await sleep(2500);
    const drawn = drain('nodestatus').length;
    assert.ok(drawn >= 1 && drawn <= 4, `drawn ${drawn} times in 2.5 s (30 events, 2–3 ticks)`);
  });

  it('R-SEC-4 (issue 9 item 6): status.fallback and the node status say when the offline modes could overload a phase', async () => {
    await helper.load(NODES, flow()); // analyser on: 25 A assumed; MCCB 50 A
    const dlm = helper.getNode('dlm');
    const offline = { heartbeatS: 120, mode: 3 as const, currentA: 8 };
    dlm.receive({ topic: 'meter', payload: { online: true, currentA: [5, 5, 5], timestamp: Date.now() } }); // not "meter lost"
    // Three dual charge points on L1, mode 3 / 8 A: 25 + 6 × 8 = 73 A > 50 A.
    for (const k of [1, 2, 3])
      dlm.receive(
        plug({
          name: `CP0${k}`,
          index: k,
          offline,
          plugs: [
            { letter: 'A', phase: 'L1' },
            { letter: 'B', phase: 'L1' },
          ],
        }),
      );
    await sleep(100);
    let s = await status();
    assert.deepEqual(s.fallback.phases.L1, { buildingA: 25, chargersA: 48, totalA: 73, limitA: 50, overA: 23 });
    assert.deepEqual(s.fallback.phases.L2, { buildingA: 25, chargersA: 0, totalA: 25, limitA: 50, overA: 0 });
    assert.equal(s.fallback.ok, false);
    assert.equal(s.fallback.warning, 'fallback budget exceeded on L1: 73 A if Node-RED stops (limit 50 A)');
    const over = await lastNodeStatus((x) => /fallback over on L1 \+23 A/.test(x.text));
    assert.equal(over.fill, 'yellow');
    assert.match(over.text, /^fallback over on L1 \+23 A · /);
    // Two of them on mode 0: 25 + 2 × 8 = 41 A, within the limit; the usual status text comes back.
    dlm.receive({ topic: 'meter', payload: { online: true, currentA: [5, 5, 5], timestamp: Date.now() } });
    for (const k of [2, 3])
      dlm.receive(
        plug({
          name: `CP0${k}`,
          index: k,
          offline: { ...offline, mode: 0 },
          plugs: [
            { letter: 'A', phase: 'L1' },
            { letter: 'B', phase: 'L1' },
          ],
        }),
      );
    await sleep(100);
    s = await status();
    assert.equal(s.fallback.ok, true);
    assert.equal(s.fallback.phases.L1.totalA, 41);
    const back = await lastNodeStatus((x) => !/fallback/.test(x.text));
    assert.doesNotMatch(back.text, /fallback/);
  });

  it('issue 9 item 7 (R-ERR-1): a plug message with maxCurrentA 500 is refused (Catch, bounded reason), the plug never gets more than its real maximum', async () => {
    await helper.load(NODES, flow({ analyserEnabled: false, mccbA: 50, marginPct: 10, contractedKW: 100 }));
    const dlm = helper.getNode('dlm');
    const bad = plug({ ...cp1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C', maxCurrentA: 500 }] });
    dlm.receive(bad);
    const c = await next('caught');
    assert.match(c.error.message, /maxCurrentA must be a current from 6 to 80 A/);
    assert.ok(c.error.message.length <= 200);
    let s = await status();
    assert.equal(s.plugs.length, 0, 'the refused message changed nothing');
    dlm.receive(plug({ ...cp1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C', maxCurrentA: 32 }] }));
    await sleep(50);
    s = await status();
    assert.equal(s.plugs[0].setpointA, 32); // 45 A usable, capped at the plug's real 32 A
    assert.equal(pending('caught'), 0);
  });

  it('R-MON-3, R-SEC-2: a valid params message is applied; an invalid or less safe one is refused (Catch) and changes nothing', async () => {
    await helper.load(NODES, flow({ mccbA: 80, marginPct: 5 }));
    const dlm = helper.getNode('dlm');
    dlm.receive({ topic: 'params', payload: { mccbA: 63, marginPct: 12 } });
    await sleep(50);
    let s = await status();
    assert.equal(s.params.mccbA, 63);
    assert.equal(s.params.marginPct, 12);
    assert.equal(s.deployedParams.mccbA, 80);
    const refused = [
      { minCurrentA: 5 },
      { mccbA: 'x' },
      { nope: 1 },
      null,
      [1],
      'mccbA=3',
      { timeZone: 'Mars/Olympus' },
      // R-SEC-2: above the deployed configuration, or less safe than it.
      { mccbA: 81 },
      { contractedKW: 37 },
      { marginPct: 4 },
      { analyserEnabled: false },
      { meterPosition: 'grid' },
      { meterOfflineCurrentA: 24 },
    ];
    for (const bad of refused) {
      dlm.receive({ topic: 'params', payload: bad });
      const c = await next('caught');
      assert.match(c.error.message, /params rejected/);
    }
    s = await status();
    assert.equal(s.params.mccbA, 63);
    assert.equal(s.params.marginPct, 12);
    assert.equal(s.params.analyserEnabled, true);
    assert.equal(pending('caught'), 0);
    // Back up to the deployed value is allowed (the ceiling is the deployment, not the last change).
    dlm.receive({ topic: 'params', payload: { mccbA: 80, marginPct: 5 } });
    await sleep(50);
    s = await status();
    assert.equal(s.params.mccbA, 80);
    assert.equal(pending('caught'), 0);
  });

  describe('configuration validation (R-ERR-1: bad configuration keeps plugs at 0 A, reason visible)', () => {
    const bad: [string, unknown][] = [];
    for (const spec of PARAM_SPECS) {
      if (spec.type === 'number' || spec.type === 'integer') {
        bad.push([spec.key, 'abc']);
        if (spec.min !== undefined) bad.push([spec.key, spec.min - 1]);
        if (spec.max !== undefined) bad.push([spec.key, spec.max + 1]);
      } else if (spec.type === 'enum') bad.push([spec.key, 'other']);
      else if (spec.type === 'boolean') bad.push([spec.key, 'maybe']);
      else bad.push([spec.key, 'Not/AZone']);
    }
    for (const [key, value] of bad) {
      it(`${key} = ${JSON.stringify(value)} → red status, every plug 0 A`, async () => {
        await helper.load(NODES, flow({ analyserEnabled: false, [key]: value }));
        const dlm = helper.getNode('dlm');
        dlm.receive(plug(cp1));
        const m = await next('sp');
        assert.deepEqual(m.payload.plugs, { A: 0, B: 0 });
        const s = await status();
        assert.ok(s.errors.length > 0);
        assert.ok(s.plugs.every((p: any) => p.setpointA === 0));
        assert.match(s.plugs[0].reason, /parameters invalid/);
        const st = await lastNodeStatus((x) => /invalid configuration/.test(x.text));
        assert.equal(st.fill, 'red');
      });
    }

    it("the editor defaults are the manual's (one source of truth)", async () => {
      await helper.load(NODES, flow());
      const s = await status();
      assert.deepEqual(s.params, DEFAULT_PARAMS);
    });
  });

  describe('R-ERR-1: bad input of every kind → an error a Catch node sees, no output, no state change', () => {
    const base = plugMsg(cp1, 0);
    const bad: [string, unknown][] = [
      ['no topic', { payload: {} }],
      ['unknown topic', { topic: 'reboot', payload: {} }],
      ['meter null', { topic: 'meter', payload: null }],
      ['meter string', { topic: 'meter', payload: '5,5,5' }],
      ['meter array', { topic: 'meter', payload: [5, 5, 5] }],
      ['meter missing currents', { topic: 'meter', payload: { online: true } }],
      ['meter NaN', { topic: 'meter', payload: { online: true, currentA: [NaN, 1, 1] } }],
      ['meter negative', { topic: 'meter', payload: { online: true, currentA: [-1, 1, 1] } }],
      ['meter absurd', { topic: 'meter', payload: { online: true, currentA: [1e7, 1, 1] } }],
      ['meter strings', { topic: 'meter', payload: { online: true, currentA: ['1', '1', '1'] } }],
      ['plug null', { topic: 'plug', payload: null }],
      ['plug array', { topic: 'plug', payload: [base] }],
      ['plug missing name', { topic: 'plug', payload: { ...base, chargePoint: undefined } }],
      ['plug bad index', { topic: 'plug', payload: { ...base, index: -1 } }],
      ['plug wrong id', { topic: 'plug', payload: { ...base, plugs: [{ ...base.plugs[0], id: 3 }] } }],
      ['plug NaN current', { topic: 'plug', payload: { ...base, plugs: [{ ...base.plugs[0], measuredA: NaN }] } }],
      ['plug negative current', { topic: 'plug', payload: { ...base, plugs: [{ ...base.plugs[0], measuredA: -4 }] } }],
      ['plug absurd max', { topic: 'plug', payload: { ...base, plugs: [{ ...base.plugs[0], maxCurrentA: 1e6 }] } }],
      ['plug unknown pilot', { topic: 'plug', payload: { ...base, plugs: [{ ...base.plugs[0], pilot: 'Z' }] } }],
      ['plug empty plate', { topic: 'plug', payload: { ...base, plugs: [{ ...base.plugs[0], plate: '' }] } }],
      ['plug three plugs', { topic: 'plug', payload: { ...base, plugs: [base.plugs[0], base.plugs[1], base.plugs[1]] } }],
      ['plug bad offline mode', { topic: 'plug', payload: { ...base, offline: { heartbeatS: 120, mode: 7, currentA: 8 } } }],
      ['schedule null', { topic: 'schedule', payload: null }],
      ['schedule 12 slots', { topic: 'schedule', payload: { enabled: true, slots: new Array(12).fill(true) } }],
      ['schedule string', { topic: 'schedule', payload: 'on' }],
      ['plate unknown plug', { topic: 'plate', payload: { plugId: 77, plate: 'X' } }],
      ['plate empty', { topic: 'plate', payload: { plugId: 1, plate: '' } }],
      ['plate number', { topic: 'plate', payload: { plugId: 1, plate: 1234 } }],
      ['plate null', { topic: 'plate', payload: null }],
      ['params array', { topic: 'params', payload: [] }],
    ];
    for (const [name, msg] of bad) {
      it(name, async () => {
        await helper.load(NODES, flow({ analyserEnabled: false }));
        const dlm = helper.getNode('dlm');
        dlm.receive(plug(cp1));
        await next('sp');
        const before = stable(await status());
        drain('sp');
        drain('tx');
        dlm.receive(msg);
        const c = await next('caught');
        assert.ok(c.error.message.length > 10, c.error.message);
        assert.equal(pending('sp'), 0);
        assert.equal(pending('tx'), 0);
        assert.equal(stable(await status()), before);
      });
    }
  });

  it('R-MON-5: transactions are sent when a session ends and served as JSON or CSV on request', async () => {
    await helper.load(NODES, flow({ analyserEnabled: false }));
    const dlm = helper.getNode('dlm');
    dlm.receive(plug(cp1));
    dlm.receive({ topic: 'plate', payload: { plugId: 1, plate: '=HYPERLINK("x")' } });
    dlm.receive(plug({ ...cp1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'A', energyWh: 1500 }, cp1.plugs[1]] }));
    const t = await next('tx');
    assert.equal(t.topic, 'transaction');
    assert.equal(t.payload.plugId, 1);
    assert.equal(t.payload.plate, '=HYPERLINK("x")');
    dlm.receive({ topic: 'transactions', _msgid: 'j' });
    const j = await nextWhere('tx', (m) => m._msgid === 'j');
    assert.equal(j.payload.length, 1);
    dlm.receive({ topic: 'transactions', format: 'csv', _msgid: 'c' });
    const c = await nextWhere('tx', (m) => m._msgid === 'c');
    assert.match(c.headers['content-type'], /text\/csv/);
    const lines = c.payload.trim().split('\r\n');
    assert.equal(lines[0], 'plug_id,charge_point,plug,plate,start,stop,energy_kwh,peak_a,pauses');
    assert.match(lines[1], /^1,"CP01","A","'=HYPERLINK\(""x""\)"/);
  });

  it('R-ERR-2: queue order, retry counters, plates and run-time parameters survive a restart (localfilesystem store)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-bal-'));
    const cfg = { analyserEnabled: false, mccbA: 20, marginPct: 0, waitingTimeS: 1, retryPeriodS: 3600, minPauseS: 600, reactionDelayS: 0 };
    try {
      await loadWithStore(NODES, flow(cfg), dir);
      let dlm = helper.getNode('dlm');
      const two: CpSpec = {
        name: 'CP01',
        index: 1,
        plugs: [
          { letter: 'A', phase: 'L1', pilot: 'C' },
          { letter: 'B', phase: 'L1', pilot: 'C' },
        ],
      };
      const cp2: CpSpec = { name: 'CP02', index: 2, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] };
      dlm.receive(plug(two));
      dlm.receive(plug(cp2));
      dlm.receive({ topic: 'plate', payload: { plugId: 3, plate: 'AE-1111-FF' } });
      dlm.receive({ topic: 'params', payload: { contractedKW: 30 } });
      // plug 2 rests in B: queued after the 1 s waiting time (R-VEH-1)
      dlm.receive(plug({ ...two, plugs: [two.plugs[0], { letter: 'B', phase: 'L1', pilot: 'B' }] }));
      await sleep(2500);
      const before = await status();
      const p2 = before.plugs.find((p: any) => p.id === 2);
      assert.equal(p2.queued, true);
      const p3 = before.plugs.find((p: any) => p.id === 3);
      await sleep(2100); // let the node persist
      await restartWithStore(NODES, flow(cfg), dir);
      dlm = helper.getNode('dlm');
      const after = await status();
      assert.equal(after.params.contractedKW, 30);
      const q2 = after.plugs.find((p: any) => p.id === 2);
      assert.equal(q2.queued, true);
      assert.equal(q2.retriesUsed, p2.retriesUsed);
      assert.equal(after.plugs.find((p: any) => p.id === 3).plate, 'AE-1111-FF');
      assert.equal(after.plugs.find((p: any) => p.id === 3).setpointA, p3.setpointA);
      assert.deepEqual(after.transactions.map((t: any) => t.plugId).sort(), before.transactions.map((t: any) => t.plugId).sort());
    } finally {
      await closeStore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('R-ERR-2: a changed editor configuration wins over stored run-time parameters, the queue is kept', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-bal-'));
    try {
      await loadWithStore(NODES, flow({ analyserEnabled: false }), dir);
      let dlm = helper.getNode('dlm');
      dlm.receive(plug(cp1));
      dlm.receive({ topic: 'params', payload: { mccbA: 80 } });
      dlm.receive({ topic: 'plate', payload: { plugId: 1, plate: 'KEEP-1' } });
      await sleep(2200);
      await restartWithStore(NODES, flow({ analyserEnabled: false, mccbA: 45 }), dir);
      dlm = helper.getNode('dlm');
      const s = await status();
      assert.equal(s.params.mccbA, 45);
      assert.equal(s.plugs.find((p: any) => p.id === 1).plate, 'KEEP-1');
    } finally {
      await closeStore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('R-ERR-2: a stored state of another format is not used: a warning, a fresh safe start, no crash', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-bal-'));
    try {
      await loadWithStore(NODES, flow({ analyserEnabled: false }), dir);
      let dlm = helper.getNode('dlm');
      dlm.receive(plug(cp1));
      await next('sp');
      // Stop the flow (the node stores its state on close), then put an old-format state in its place.
      await helper._redNodes.stopFlows();
      const ctx = helper._context.get('dlm', 'f1');
      await new Promise<void>((resolve, reject) =>
        ctx.set(
          'dlmBalancerState',
          {
            version: 1,
            configHash: 'x',
            state: { version: 1, chargePoints: { CP01: { name: 'CP01' } }, plugs: [{ id: 1, chargePoint: 'CP01' }] },
          },
          (e: unknown) => (e ? reject(e) : resolve()),
        ),
      );
      await helper._context.close();
      helper._context.init(helper._settings);
      await helper.unload();
      clearInbox();
      await loadWithStore(NODES, flow({ analyserEnabled: false }), dir);
      dlm = helper.getNode('dlm');
      const warned = helper.log().args.filter((a: any) => /not used/.test(JSON.stringify(a)));
      assert.ok(warned.length >= 1, 'a warning says the stored state is not used');
      const s = await status();
      assert.deepEqual(s.plugs, []);
      dlm.receive(plug(cp1));
      assert.deepEqual((await next('sp')).payload.plugs, { A: 32, B: 0 });
    } finally {
      await closeStore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('releases its timer on close: no output after the flow stops', async () => {
    await helper.load(NODES, flow({ analyserEnabled: false }));
    helper.getNode('dlm').receive(plug(cp1));
    await next('sp');
    await helper.unload();
    clearInbox();
    await sleep(1500);
    assert.equal(pending('st') + pending('sp'), 0);
  });
});
