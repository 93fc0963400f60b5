import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_OFFLINE } from '../../lib/shared/params';
import { clearInbox, closeStore, helper, loadWithStore, next, pending, recorderNode, resetFlow, restartWithStore } from '../support/nr';

const sinon: any = require('sinon');
const chargePointNode = require('../../nodes/charge-point/charge-point');
const offlineNode = require('../../nodes/offline-mode-config/offline-mode-config');

const NODES = [chargePointNode, offlineNode, recorderNode];

function flow(cp: Record<string, unknown> = {}, offline: Record<string, unknown> | null = {}) {
  const nodes: any[] = [
    { id: 'f1', type: 'tab', label: 'test' },
    {
      id: 'cp',
      z: 'f1',
      type: 'charge-point',
      name: 'CP07',
      index: '',
      address: '192.168.110.34',
      plugCount: 2,
      phaseA: 'L2',
      phaseB: 'L2',
      priorityA: true,
      priorityB: false,
      maxCurrentA: 32,
      maxCurrentB: 16,
      enabled: true,
      offline: offline ? 'oc' : '',
      wires: [['plug'], ['cmd']],
      ...cp,
    },
    { id: 'plug', z: 'f1', type: 'recorder' },
    { id: 'cmd', z: 'f1', type: 'recorder' },
    { id: 'catcher', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'recorder' },
  ];
  if (offline) nodes.push({ id: 'oc', type: 'offline-mode-config', heartbeatS: 120, mode: 3, currentA: 8, ...offline });
  return nodes;
}

const report = (plugs: unknown[], extra: Record<string, unknown> = {}) => ({ topic: 'device', payload: { plugs, ...extra } });
const setpoint = (plugs: Record<string, unknown>, chargePoint = 'CP07') => ({
  topic: 'setpoint',
  payload: { chargePoint, plugs, offline: DEFAULT_OFFLINE, timestamp: 0 },
});
const withoutTime = (m: any) => ({ ...m.payload, timestamp: 0 });

describe('charge-point node', function () {
  let clock: any = null;
  afterEach(async () => {
    await resetFlow(clock);
    clock = null;
  });

  it('R-CP-2/R-OFF-3: at start it announces its configuration, offline with pilot A until the device reports', async () => {
    await helper.load(NODES, flow());
    const m = await next('plug');
    assert.equal(m.topic, 'plug');
    const p = m.payload;
    assert.equal(p.chargePoint, 'CP07');
    assert.equal(p.index, 7);
    assert.equal(p.address, '192.168.110.34');
    assert.equal(p.enabled, true);
    assert.equal(p.online, false);
    assert.deepEqual(p.offline, { heartbeatS: 120, mode: 3, currentA: 8 });
    assert.deepEqual(
      p.plugs.map((x: any) => [x.letter, x.id, x.phase, x.priority, x.maxCurrentA, x.pilot, x.measuredA, x.plate]),
      [
        ['A', 13, 'L2', true, 32, 'A', 0, '-'],
        ['B', 14, 'L2', false, 16, 'A', 0, '-'],
      ],
    );
    assert.equal(typeof p.timestamp, 'number');
    const status = helper.getNode('cp');
    assert.ok(status);
  });

  it('R-CP-3: a new charge point (editor default) is disabled and says so; without an offline config the defaults apply', async () => {
    await helper.load(NODES, flow({ enabled: false }, null));
    const p = (await next('plug')).payload;
    assert.equal(p.enabled, false);
    assert.deepEqual(p.offline, DEFAULT_OFFLINE);
    const cp = helper.getNode('cp');
    const statusCall = cp.status.lastCall;
    assert.equal(statusCall.args[0].text, 'disabled');
    // a disabled charge point is commanded 0 A whatever the setpoint says
    cp.receive(setpoint({ A: 16, B: 10 }));
    assert.deepEqual((await next('cmd')).payload.plugs, { A: 0, B: 0 });
  });

  it('device report → plug message; the first report re-pushes the offline configuration to the device (R-OFF-2)', async () => {
    await helper.load(NODES, flow({}, { heartbeatS: 60, mode: 2, currentA: 10 }));
    await next('plug');
    const cp = helper.getNode('cp');
    cp.receive(
      report(
        [
          { letter: 'A', pilot: 'C', currentA: 15.5, energyWh: 1200 },
          { letter: 'B', pilot: 'B', currentA: 0 },
        ],
        { devicePlugs: 2 },
      ),
    );
    const p = (await next('plug')).payload;
    assert.equal(p.online, true);
    assert.equal(p.devicePlugs, 2);
    assert.deepEqual(
      p.plugs.map((x: any) => [x.pilot, x.measuredA, x.energyWh]),
      [
        ['C', 15.5, 1200],
        ['B', 0, 0],
      ],
    );
    const push = await next('cmd');
    assert.equal(push.topic, 'command');
    assert.deepEqual(push.payload.plugs, {});
    assert.deepEqual(push.payload.offline, { heartbeatS: 60, mode: 2, currentA: 10 });
    assert.equal(push.payload.address, '192.168.110.34');
    // the second report does not push again
    cp.receive(report([{ letter: 'A', pilot: 'C', currentA: 16 }]));
    assert.equal((await next('plug')).payload.plugs[0].measuredA, 16);
    cp.receive(setpoint({ A: 16 }));
    const c = await next('cmd');
    assert.deepEqual(c.payload.plugs, { A: 16 }, 'the next command is the setpoint, no second push');
  });

  it('R-3PH-1, R-3PH-3, R-CIRC-1: a three-phase plug on a rotated charger on a sub-board: the plug message carries rotation, board, phases, the line of charger phase 1 and the per-phase currents', async () => {
    await helper.load(NODES, flow({ rotation: 'TRS', board: 'Garage-1', phasesA: '3', phaseA: 'L1', phasesB: 1, phaseB: 'L2' }));
    const start = (await next('plug')).payload;
    assert.equal(start.rotation, 'TRS');
    assert.equal(start.board, 'Garage-1');
    assert.deepEqual(
      start.plugs.map((x: any) => [x.letter, x.phases, x.phase]),
      [
        ['A', 3, 'L3'],
        ['B', 1, 'L2'],
      ],
    );
    const cp = helper.getNode('cp');
    // A single-phase vehicle on the three-phase plug: charger phase 1 draws, 2 and 3 idle; currentA left out.
    cp.receive(
      report([
        { letter: 'A', pilot: 'C', phaseCurrentsA: [15.8, 0.2, 0.1] },
        { letter: 'B', pilot: 'C', currentA: 10 },
      ]),
    );
    const p = (await next('plug')).payload;
    await next('cmd');
    assert.deepEqual(p.plugs[0].phaseCurrentsA, [15.8, 0.2, 0.1]);
    assert.equal(p.plugs[0].measuredA, 15.8, 'measuredA is the highest phase');
    assert.equal(p.plugs[1].phaseCurrentsA, undefined);
    assert.equal(p.plugs[1].measuredA, 10);
    // Setpoints stay one current per plug (R-3PH-2): 16 A = 16 A on each of its lines.
    cp.receive(setpoint({ A: 16, B: 0 }));
    assert.deepEqual((await next('cmd')).payload.plugs, { A: 16, B: 0 });
  });

  it('R-ERR-1, R-3PH-3: a device report with phaseCurrentsA out of range is refused whole (Catch), nothing is sent and the plug keeps its values', async () => {
    await helper.load(NODES, flow({ rotation: 'STR', phasesA: 3 }));
    await next('plug');
    const cp = helper.getNode('cp');
    cp.receive(report([{ letter: 'A', pilot: 'C', currentA: 12, phaseCurrentsA: [12, 11, 10] }]));
    const before = withoutTime(await next('plug'));
    await next('cmd');
    cp.receive(
      report([
        { letter: 'A', pilot: 'C', currentA: 12, phaseCurrentsA: [12, 11, 81] },
        { letter: 'B', pilot: 'C', currentA: 5 },
      ]),
    );
    const caught = await next('caught');
    assert.match(caught.error.message, /CP07: bad device report: plug A phaseCurrentsA phase 3 must be a number 0\.\.80 A/);
    assert.equal(pending('plug'), 0);
    cp.receive({ topic: 'plate', payload: { letter: 'A', plate: '-' } });
    assert.deepEqual(withoutTime(await next('plug')), before, 'plug B was not applied either');
  });

  it('setpoint → device command with per-plug current and the offline config; status "A 16 A · B paused"', async () => {
    await helper.load(NODES, flow());
    await next('plug');
    const cp = helper.getNode('cp');
    cp.receive(
      report([
        { letter: 'A', pilot: 'C', currentA: 16 },
        { letter: 'B', pilot: 'C', currentA: 0 },
      ]),
    );
    await next('plug');
    await next('cmd'); // offline push
    cp.receive(setpoint({ A: 16, B: 0 }));
    const c = await next('cmd');
    assert.deepEqual(c, {
      topic: 'command',
      payload: {
        chargePoint: 'CP07',
        address: '192.168.110.34',
        plugs: { A: 16, B: 0 },
        offline: DEFAULT_OFFLINE,
        timestamp: c.payload.timestamp,
      },
      _msgid: c._msgid,
    });
    assert.equal(cp.status.lastCall.args[0].text, 'A 16 A · B paused');
    assert.equal(pending('plug'), 0, 'a setpoint sends nothing to the balancer');
  });

  it('a setpoint addressed to another charge point is ignored without error (one balancer output to all)', async () => {
    await helper.load(NODES, flow());
    await next('plug');
    const cp = helper.getNode('cp');
    cp.receive(setpoint({ A: 16 }, 'CP08'));
    cp.receive(setpoint({ A: 10 }));
    assert.deepEqual((await next('cmd')).payload.plugs, { A: 10 }, 'only the CP07 setpoint became a command');
    assert.equal(pending('caught'), 0);
  });

  it('plate → stored and sent to the balancer (R-CP-6); "-" clears it', async () => {
    await helper.load(NODES, flow());
    await next('plug');
    const cp = helper.getNode('cp');
    cp.receive({ topic: 'plate', payload: { letter: 'B', plate: '  RR-0000-FE ' } });
    assert.deepEqual(
      (await next('plug')).payload.plugs.map((x: any) => x.plate),
      ['-', 'RR-0000-FE'],
    );
    cp.receive({ topic: 'plate', payload: { letter: 'B', plate: '-' } });
    assert.deepEqual(
      (await next('plug')).payload.plugs.map((x: any) => x.plate),
      ['-', '-'],
    );
  });

  it('R-OFF-3: no report for longer than the heartbeat → one plug message with online:false, status OFFLINE; back online re-pushes', async () => {
    clock = sinon.useFakeTimers({
      now: Date.parse('2026-05-01T10:00:00Z'),
      toFake: ['setTimeout', 'clearTimeout', 'Date'],
      shouldAdvanceTime: true,
    });
    await helper.load(NODES, flow({}, { heartbeatS: 10 }));
    await next('plug');
    const cp = helper.getNode('cp');
    cp.receive(report([{ letter: 'A', pilot: 'C', currentA: 16 }]));
    const online = await next('plug');
    assert.equal(online.payload.online, true);
    await next('cmd');
    const reportedAt = online.payload.timestamp;
    await clock.tickAsync(9_000);
    assert.equal(pending('plug'), 0, 'still online within the heartbeat');
    await clock.tickAsync(2_000);
    const off = await next('plug');
    assert.equal(off.payload.online, false);
    assert.ok(off.payload.timestamp - reportedAt > 10_000);
    assert.equal(cp.status.lastCall.args[0].text, 'OFFLINE');
    assert.equal(cp.status.lastCall.args[0].fill, 'red');
    await clock.tickAsync(60_000);
    assert.equal(pending('plug'), 0, 'OFFLINE is announced once');
    cp.receive(report([{ letter: 'A', pilot: 'C', currentA: 8 }]));
    assert.equal((await next('plug')).payload.online, true);
    assert.deepEqual((await next('cmd')).payload, {
      chargePoint: 'CP07',
      address: '192.168.110.34',
      plugs: {},
      offline: { heartbeatS: 10, mode: 3, currentA: 8 },
      timestamp: Date.now(),
    });
  });

  it('R-OFF-3: regular reports keep it online', async () => {
    clock = sinon.useFakeTimers({
      now: Date.parse('2026-05-01T10:00:00Z'),
      toFake: ['setTimeout', 'clearTimeout', 'Date'],
      shouldAdvanceTime: true,
    });
    await helper.load(NODES, flow({}, { heartbeatS: 10 }));
    await next('plug');
    const cp = helper.getNode('cp');
    for (let i = 0; i < 5; i++) {
      cp.receive(report([{ letter: 'A', pilot: 'C', currentA: 16 }]));
      assert.equal((await next('plug')).payload.online, true);
      await clock.tickAsync(8_000);
    }
    assert.equal(pending('plug'), 0);
  });

  describe('R-ERR-1 bad input: an error a Catch node receives, nothing sent, nothing changed', () => {
    const good = { letter: 'A', pilot: 'C', currentA: 16 };
    const badInputs: [string, any][] = [
      ['no topic', { payload: { plugs: [good] } }],
      ['unknown topic', { topic: 'refresh', payload: {} }],
      ['device: null', { topic: 'device', payload: null }],
      ['device: string', { topic: 'device', payload: 'C' }],
      ['device: array', { topic: 'device', payload: [good] }],
      ['device: no plugs', { topic: 'device', payload: {} }],
      ['device: unknown plug letter', report([{ ...good, letter: 'C' }])],
      ['device: plug B on a single-plug charge point', report([{ ...good, letter: 'B' }])],
      ['device: bad pilot', report([{ ...good, pilot: 'X' }])],
      ['device: NaN current', report([{ ...good, currentA: NaN }])],
      ['device: negative current', report([{ ...good, currentA: -3 }])],
      ['device: absurd current', report([{ ...good, currentA: 5000 }])],
      ['device: current as text', report([{ ...good, currentA: '16' }])],
      ['device: missing current', report([{ letter: 'A', pilot: 'C' }])],
      ['device: negative energy', report([{ ...good, energyWh: -1 }])],
      // Issue 11, R-3PH-3: per-phase currents are three numbers 0..80 A.
      ['device: phaseCurrentsA above 80 A', report([{ ...good, phaseCurrentsA: [81, 0, 0] }])],
      ['device: phaseCurrentsA negative', report([{ ...good, phaseCurrentsA: [16, -1, 0] }])],
      ['device: phaseCurrentsA two values', report([{ ...good, phaseCurrentsA: [16, 16] }])],
      ['device: phaseCurrentsA text', report([{ ...good, phaseCurrentsA: '16,16,16' }])],
      ['device: phaseCurrentsA NaN', report([{ ...good, phaseCurrentsA: [NaN, 1, 1] }])],
      ['device: phaseCurrentsA with current as text', report([{ ...good, currentA: '16', phaseCurrentsA: [16, 16, 16] }])],
      ['setpoint: null', { topic: 'setpoint', payload: null }],
      ['setpoint: array', { topic: 'setpoint', payload: [16] }],
      ['setpoint: number', { topic: 'setpoint', payload: 16 }],
      ['setpoint: no chargePoint', { topic: 'setpoint', payload: { plugs: { A: 16 } } }],
      ['setpoint: no plugs', { topic: 'setpoint', payload: { chargePoint: 'CP02' } }],
      ['setpoint: unknown plug', setpoint({ B: 16 }, 'CP02')],
      ['setpoint: NaN', setpoint({ A: NaN }, 'CP02')],
      ['setpoint: negative', setpoint({ A: -16 }, 'CP02')],
      ['setpoint: below 6 A', setpoint({ A: 4 }, 'CP02')],
      ['setpoint: above plug max', setpoint({ A: 33 }, 'CP02')],
      ['setpoint: absurd', setpoint({ A: 1e9 }, 'CP02')],
      ['setpoint: text', setpoint({ A: '16' }, 'CP02')],
      ['plate: null', { topic: 'plate', payload: null }],
      ['plate: string', { topic: 'plate', payload: 'AE-1111-FF' }],
      ['plate: empty', { topic: 'plate', payload: { letter: 'A', plate: '' } }],
      ['plate: blank', { topic: 'plate', payload: { letter: 'A', plate: '   ' } }],
      ['plate: number', { topic: 'plate', payload: { letter: 'A', plate: 1234 } }],
      ['plate: too long', { topic: 'plate', payload: { letter: 'A', plate: 'X'.repeat(33) } }],
      ['plate: control characters', { topic: 'plate', payload: { letter: 'A', plate: 'AB\r\n12' } }],
      ['plate: unknown plug', { topic: 'plate', payload: { letter: 'B', plate: 'X' } }],
      ['plate: missing letter', { topic: 'plate', payload: { plate: 'X' } }],
    ];
    it(`each of ${badInputs.length} bad inputs is caught with a clear message and changes nothing`, async () => {
      await helper.load(NODES, flow({ name: 'CP02', plugCount: 1, maxCurrentA: 32 }));
      await next('plug');
      const cp = helper.getNode('cp');
      cp.receive(report([good]));
      await next('plug');
      await next('cmd');
      cp.receive({ topic: 'plate', payload: { letter: 'A', plate: 'AE-1111-FF' } });
      const before = withoutTime(await next('plug'));
      for (const [label, msg] of badInputs) {
        cp.receive(msg);
        const caught = await next('caught');
        assert.equal(caught.error.source.id, 'cp', label);
        assert.ok(
          typeof caught.error.message === 'string' && /^(Error: )?CP02: /.test(caught.error.message),
          `${label}: ${caught.error.message}`,
        );
        // A probe that changes nothing shows the state as it was; had the bad input sent anything, it would arrive first.
        cp.receive({ topic: 'plate', payload: { letter: 'A', plate: 'AE-1111-FF' } });
        assert.deepEqual(withoutTime(await next('plug')), before, label);
        assert.equal(pending('cmd'), 0, label);
      }
      assert.equal(pending('caught'), 0);
    });
  });

  describe('configuration validation (R-CP-1, R-ERR-1)', () => {
    const badConfigs: [string, Record<string, unknown>, Record<string, unknown> | null][] = [
      ['empty name', { name: '' }, {}],
      ['no index and no number in the name', { name: 'Garage' }, {}],
      ['index 0', { index: '0' }, {}],
      ['3 plugs', { plugCount: 3 }, {}],
      ['phase L4', { phaseA: 'L4' }, {}],
      ['max current 5 A', { maxCurrentA: 5 }, {}],
      ['max current 100 A', { maxCurrentB: 100 }, {}],
      ['max current text', { maxCurrentA: 'lots' }, {}],
      ['offline config heartbeat 5 s', {}, { heartbeatS: 5 }],
      ['offline config mode 7', {}, { mode: 7 }],
      ['offline config current 2 A', {}, { currentA: 2 }],
      ['offline config reference to nothing', { offline: 'missing' }, null],
      // Issue 11 (R-3PH-1, R-CIRC-1, R-ERR-1).
      ['a rotation that does not parse (R-3PH-1)', { rotation: 'XYZ' }, {}],
      ['rotation written as lines (R-3PH-1)', { rotation: 'L1L2L3' }, {}],
      ['2 phases on plug A (R-3PH-1)', { phasesA: 2 }, {}],
      ['phases "three" on plug B (R-3PH-1)', { phasesB: 'three' }, {}],
      ['a board name of 65 characters (R-CIRC-1)', { board: 'b'.repeat(65) }, {}],
    ];
    for (const [label, cp, oc] of badConfigs) {
      it(`refuses ${label}: red status, an error, inputs refused, nothing sent`, async () => {
        await helper.load(NODES, flow(cp, oc));
        const node = helper.getNode('cp');
        assert.equal(node.status.lastCall.args[0].fill, 'red');
        assert.ok(node.error.called, 'an error is logged');
        node.receive(report([{ letter: 'A', pilot: 'C', currentA: 16 }]));
        const caught = await next('caught');
        assert.match(caught.error.message, /invalid configuration/);
        assert.equal(pending('plug'), 0);
      });
    }
    it('R-3PH-1, R-ERR-1: the refusal names the problem (rotation that does not parse, phases 1 or 3)', async () => {
      await helper.load(NODES, flow({ rotation: 'XYZ', phasesB: 2 }));
      const node = helper.getNode('cp');
      const text = String(node.error.firstCall.args[0]);
      assert.match(text, /rotation must be one of RST, RTS, SRT, STR, TRS, TSR/);
      assert.match(text, /plug B phases must be 1 \(single-phase\) or 3 \(three-phase\)/);
    });
    it('numeric editor text is accepted and the index may be given explicitly', async () => {
      await helper.load(NODES, flow({ name: 'Garage east', index: '12', maxCurrentA: '20', plugCount: '1' }));
      const p = (await next('plug')).payload;
      assert.equal(p.index, 12);
      assert.deepEqual(
        p.plugs.map((x: any) => [x.id, x.maxCurrentA]),
        [[23, 20]],
      );
    });
    it('R-CP-3: enabled with a phase not set → status ERR_CFG (the balancer gives it 0 A)', async () => {
      await helper.load(NODES, flow({ phaseB: '' }));
      const p = (await next('plug')).payload;
      assert.equal(p.plugs[1].phase, null);
      assert.match(helper.getNode('cp').status.lastCall.args[0].text, /^ERR_CFG: plug B: phase not set/);
    });
  });

  describe('R-ERR-2 plates survive a redeploy and a restart', () => {
    it('redeploy with a configured context store: the plate is restored and announced with the new configuration', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-cp-ctx-'));
      try {
        await loadWithStore(NODES, flow(), dir);
        await next('plug');
        helper.getNode('cp').receive({ topic: 'plate', payload: { letter: 'A', plate: 'AE-1111-FF' } });
        assert.equal((await next('plug')).payload.plugs[0].plate, 'AE-1111-FF');
        await helper.setFlows(flow({ address: '192.168.110.99' }), 'full');
        const p = (await next('plug')).payload;
        assert.equal(p.address, '192.168.110.99', 'the redeployed configuration');
        assert.deepEqual(
          p.plugs.map((x: any) => x.plate),
          ['AE-1111-FF', '-'],
        );
      } finally {
        await closeStore();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('restart with a localfilesystem context store: plates are back; a plug removed from the config drops its plate', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-cp-ctx-'));
      try {
        await loadWithStore(NODES, flow(), dir);
        await next('plug');
        const cp = helper.getNode('cp');
        cp.receive({ topic: 'plate', payload: { letter: 'A', plate: 'AE-1111-FF' } });
        await next('plug');
        cp.receive({ topic: 'plate', payload: { letter: 'B', plate: 'RR-0000-FE' } });
        await next('plug');
        await restartWithStore(NODES, flow(), dir);
        let p = (await next('plug')).payload;
        assert.deepEqual(
          p.plugs.map((x: any) => x.plate),
          ['AE-1111-FF', 'RR-0000-FE'],
        );
        assert.equal(p.online, false, 'after a restart the device is offline until it reports');
        await restartWithStore(NODES, flow({ plugCount: 1 }), dir);
        p = (await next('plug')).payload;
        assert.deepEqual(
          p.plugs.map((x: any) => x.plate),
          ['AE-1111-FF'],
        );
      } finally {
        await closeStore();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('without a configured context store Node-RED deletes node context on redeploy and restart (why one must be configured)', async () => {
      await helper.load(NODES, flow());
      await next('plug');
      helper.getNode('cp').receive({ topic: 'plate', payload: { letter: 'A', plate: 'AE-1111-FF' } });
      await next('plug');
      await helper.setFlows(flow({ address: '192.168.110.99' }), 'full');
      assert.equal((await next('plug')).payload.plugs[0].plate, '-', 'redeploy');
      helper.getNode('cp').receive({ topic: 'plate', payload: { letter: 'A', plate: 'AE-1111-FF' } });
      await next('plug');
      await helper.unload();
      clearInbox();
      await helper.load(NODES, flow());
      assert.equal((await next('plug')).payload.plugs[0].plate, '-', 'restart');
    });
  });

  it('close releases the heartbeat timer', async () => {
    clock = sinon.useFakeTimers({
      now: Date.parse('2026-05-01T10:00:00Z'),
      toFake: ['setTimeout', 'clearTimeout', 'Date'],
      shouldAdvanceTime: true,
    });
    await helper.load(NODES, flow({}, { heartbeatS: 10 }));
    await next('plug');
    helper.getNode('cp').receive(report([{ letter: 'A', pilot: 'C', currentA: 16 }]));
    await next('plug');
    assert.equal(clock.countTimers() > 0, true);
    const before = clock.countTimers();
    await helper._redNodes.stopFlows();
    assert.equal(clock.countTimers(), before - 1, 'the heartbeat timer is cleared on close');
    await clock.tickAsync(20_000);
    assert.equal(pending('plug'), 0);
  });
});
