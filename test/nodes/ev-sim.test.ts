import { strict as assert } from 'assert';
import { clearInbox, helper, next, peek, pending, recorderNode, resetFlow, sleep } from '../support/nr';

const sinon: any = require('sinon');
const evSimNode = require('../../nodes/ev-sim/ev-sim');

/** Reads reports until one satisfies `ok` (at most `max` messages). */
async function until(id: string, ok: (m: any) => boolean, max = 40): Promise<any> {
  for (let i = 0; i < max; i++) {
    const m = await next(id);
    if (ok(m)) return m;
  }
  throw new Error('no such message');
}

const NODES = [evSimNode, recorderNode];
function flow(sim: Record<string, unknown> = {}) {
  return [
    { id: 'f1', type: 'tab', label: 'test' },
    {
      id: 'sim',
      z: 'f1',
      type: 'ev-sim',
      name: 'CP01 sim',
      plugCount: 2,
      seed: 1,
      arrivals: 0,
      script: '',
      reportS: 1,
      timeScale: 1,
      enabled: true,
      wires: [['out']],
      ...sim,
    },
    { id: 'out', z: 'f1', type: 'recorder' },
    { id: 'catcher', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'recorder' },
  ];
}
const command = (plugs: Record<string, unknown>, offline = { heartbeatS: 120, mode: 3, currentA: 8 }) => ({
  topic: 'command',
  payload: { chargePoint: 'CP01', address: '', plugs, offline, timestamp: 0 },
});
const pilots = (m: any) => m.payload.plugs.map((p: any) => p.pilot).join('');

describe('ev-sim node', function () {
  let clock: any = null;
  afterEach(async () => {
    await resetFlow(clock);
    clock = null;
  });

  it('emits a device report at once and then every report interval: no vehicle → pilot A', async () => {
    await helper.load(NODES, flow());
    const first = await next('out');
    assert.equal(first.topic, 'device');
    assert.deepEqual(first.payload, {
      plugs: [
        { letter: 'A', pilot: 'A', currentA: 0, energyWh: 0 },
        { letter: 'B', pilot: 'A', currentA: 0, energyWh: 0 },
      ],
      devicePlugs: 2,
    });
    const second = await next('out');
    assert.deepEqual(second.payload, first.payload, 'periodic report');
  });

  it('issue 11 (R-3PH-1, R-3PH-3): a three-phase plug reports phaseCurrentsA — a three-phase car on all phases, a single-phase car on phase 1 only', async () => {
    await helper.load(NODES, flow({ reportS: 60, phasesA: 3, phasesB: '1' }));
    const first = await next('out');
    assert.deepEqual(first.payload.plugs, [
      { letter: 'A', pilot: 'A', currentA: 0, energyWh: 0, phaseCurrentsA: [0, 0, 0] },
      { letter: 'B', pilot: 'A', currentA: 0, energyWh: 0 },
    ]);
    const sim = helper.getNode('sim');
    sim.receive({ topic: 'vehicle', payload: { letter: 'A', action: 'arrive', obcPhases: 3, obcMaxA: 16, reactionDelayS: 0.2 } });
    sim.receive(command({ A: 20, B: 0 }));
    const three = await until('out', (m) => m.payload.plugs[0].pilot === 'C');
    assert.equal(three.payload.plugs[0].currentA, 16);
    assert.deepEqual(three.payload.plugs[0].phaseCurrentsA, [16, 16, 16]);
    sim.receive({ topic: 'vehicle', payload: { letter: 'A', action: 'leave' } });
    sim.receive({ topic: 'vehicle', payload: { letter: 'A', action: 'arrive', obcPhases: 1, obcMaxA: 32, reactionDelayS: 0.2 } });
    sim.receive(command({ A: 20, B: 0 }));
    const one = await until('out', (m) => m.payload.plugs[0].pilot === 'C' && m.payload.plugs[0].currentA === 20);
    assert.deepEqual(one.payload.plugs[0].phaseCurrentsA, [20, 0, 0], 'a single-phase car on a three-phase plug: phase 1 only');
  });

  it('issue 11: bad plug phases or share of single-phase cars make the node inert with the reason (R-ERR-1)', async () => {
    await helper.load(NODES, flow({ phasesA: 2, singlePhasePct: 120 }));
    helper.getNode('sim').receive(command({ A: 8 }));
    const err = (await next('caught')).error.message;
    assert.match(err, /invalid configuration: .*plug A phases must be 1 or 3/);
    assert.match(err, /single-phase vehicles on three-phase plugs \(%\) must be a number from 0 to 100/);
    await sleep(300);
    assert.equal(pending('out'), 0, 'no report from an inert node');
  });

  it('vehicle arrive → pilot B at once; a command → it follows after its reaction delay (pilot C at the setpoint, capped by its charger); leave → A', async () => {
    await helper.load(NODES, flow({ reportS: 60 }));
    await next('out');
    const sim = helper.getNode('sim');
    sim.receive({ topic: 'vehicle', payload: { letter: 'A', action: 'arrive', socPct: 30, obcMaxA: 16, reactionDelayS: 0.3 } });
    assert.equal(pilots(await next('out')), 'BA', 'reported at once on the pilot change');
    sim.receive(command({ A: 32, B: 0 }));
    const charging = await until('out', (m) => m.payload.plugs[0].pilot === 'C');
    assert.equal(charging.payload.plugs[0].currentA, 16, 'a 16 A car offered 32 A draws 16 A');
    sim.receive(command({ A: 0, B: 0 }));
    const paused = await until('out', (m) => m.payload.plugs[0].pilot === 'B');
    assert.equal(paused.payload.plugs[0].currentA, 0);
    sim.receive({ topic: 'vehicle', payload: { letter: 'A', action: 'leave' } });
    assert.equal(pilots(await until('out', (m) => pilots(m) === 'AA')), 'AA');
    assert.equal(pending('caught'), 0);
  });

  it('R-ERR-1: bad input gives a Catch-able error and changes nothing', async () => {
    await helper.load(NODES, flow({ reportS: 60 }));
    await next('out');
    const sim = helper.getNode('sim');
    const bad = [
      { topic: 'nonsense', payload: {} },
      command({ A: 3 }),
      command({ C: 16 }),
      command({ A: 16 }, { heartbeatS: 0, mode: 3, currentA: 8 } as any),
      { topic: 'vehicle', payload: { letter: 'A', action: 'leave' } },
      { topic: 'vehicle', payload: { letter: 'C', action: 'arrive' } },
      { topic: 'vehicle', payload: { letter: 'A', action: 'arrive', socPct: 150 } },
    ];
    for (const m of bad) {
      sim.receive(m);
      const c = await next('caught');
      assert.ok(c.error && /ev-sim/.test(c.error.message), JSON.stringify(c.error));
    }
    sim.receive({ topic: 'vehicle', payload: { letter: 'A', action: 'arrive' } });
    await next('out');
    sim.receive({ topic: 'vehicle', payload: { letter: 'A', action: 'arrive' } });
    assert.match((await next('caught')).error.message, /already has a vehicle/);
  });

  it('R-OFF-1: with no command for the heartbeat interval it falls back to its offline mode (mode 0: pause), and follows commands again when they return', async () => {
    // Fake clock for Date and the node's poll interval only; the recorder's timeouts stay real.
    clock = sinon.useFakeTimers({ now: Date.UTC(2026, 2, 2, 8), toFake: ['Date', 'setInterval', 'clearInterval'] });
    await helper.load(NODES, flow({ reportS: 60 }));
    await next('out');
    const sim = helper.getNode('sim');
    sim.receive({ topic: 'vehicle', payload: { letter: 'A', action: 'arrive', socPct: 10, capacityKWh: 100, reactionDelayS: 1 } });
    await next('out');
    sim.receive(command({ A: 20, B: 0 }, { heartbeatS: 10, mode: 0, currentA: 8 }));
    clock.tick(1200);
    const c = await until('out', (m) => m.payload.plugs[0].pilot === 'C');
    assert.equal(c.payload.plugs[0].currentA, 20);
    clock.tick(7000); // 8.2 s of silence: still within the heartbeat
    assert.equal(peek('out').filter((m) => m.payload.plugs[0].pilot === 'B').length, 0);
    clock.tick(4000); // 12.2 s: fell back at 10 s, the vehicle followed 1 s later
    const b = await until('out', (m) => m.payload.plugs[0].pilot === 'B');
    assert.equal(b.payload.plugs[0].currentA, 0);
    assert.match(sim.status.lastCall.args[0].text, /offline mode 0/);
    sim.receive(command({ A: 12, B: 0 }, { heartbeatS: 10, mode: 0, currentA: 8 }));
    clock.tick(1200);
    const back = await until('out', (m) => m.payload.plugs[0].pilot === 'C');
    assert.equal(back.payload.plugs[0].currentA, 12);
  });

  it('disabled: no reports, inputs ignored; an invalid configuration refuses every input', async () => {
    await helper.load(NODES, flow({ enabled: false }));
    const sim = helper.getNode('sim');
    sim.receive(command({ A: 16 }));
    await sleep(400);
    assert.equal(pending('out'), 0);
    assert.equal(pending('caught'), 0);
    await helper.unload();
    clearInbox();
    await helper.load(NODES, flow({ plugCount: 3 }));
    helper.getNode('sim').receive(command({ A: 16 }));
    assert.match((await next('caught')).error.message, /invalid configuration: plug count/);
  });

  it('close releases its timer: no report after the flow stops', async () => {
    await helper.load(NODES, flow({ reportS: 1 }));
    await next('out');
    await helper.unload();
    clearInbox();
    await sleep(1300);
    assert.equal(pending('out'), 0);
  });
});
