/**
 * End to end over real Modbus TCP on 127.0.0.1: a real Node-RED 4.1 runtime with
 * node-red-contrib-modbus (Modbus-Client + Modbus-Flex-Getter) reads the CVM-MINI simulator, and
 * cvm-mini-reader decodes it (R-MTR-1) and watches it (R-MTR-4, R-ERR-3).
 *
 * Two pipelines in one flow: A reads a simulator that answers every unit id; B asks unit 1 of a
 * simulator that only answers unit 7. The flow keeps the readers' last `meter` messages and the
 * errors a Catch node saw in flow context and serves them at GET /dlm-test/meter.
 */
import { strict as assert } from 'assert';
import { start, getJson, waitFor, type RunningNodeRed } from '../support/node-red-runner';
import { startMeterSim, profileFactor, DAILY_PROFILE, type MeterSim } from '../../tools/sim-meter';
import { decodeRegisters } from '../../lib/cvm-mini/cvm-mini';
import { cvmMiniPipeline } from '../support/modbus-flow';

const ModbusRTU = require('modbus-serial');
import type { MeterMessage } from '../../lib/shared/types';

const POLL_S = 0.5;
const WATCHDOG_S = 2;

interface State {
  meters: Record<string, MeterMessage | undefined>;
  counts: Record<string, { online: number; offline: number } | undefined>;
  errors: { source: string; message: string }[];
}

function pipeline(key: string, simPort: number, unitId: number) {
  const store = `
const key = ${JSON.stringify(key)};
const meters = flow.get('meters') || {};
meters[key] = msg.payload;
flow.set('meters', meters);
const counts = flow.get('counts') || {};
const c = counts[key] || { online: 0, offline: 0 };
if (msg.payload && msg.payload.online) c.online++; else c.offline++;
counts[key] = c;
flow.set('counts', counts);
return null;`;
  return [
    ...cvmMiniPipeline({ key, tab: 'tab', simPort, unitId, pollS: POLL_S, watchdogS: WATCHDOG_S, meterWires: [`store${key}`] }),
    { id: `store${key}`, type: 'function', z: 'tab', name: `store ${key}`, func: store, outputs: 1, wires: [[]] },
  ];
}

function testFlow(portA: number, portB: number) {
  return [
    { id: 'tab', type: 'tab', label: 'cvm-mini integration' },
    ...pipeline('A', portA, 1),
    ...pipeline('B', portB, 1),
    {
      id: 'catchB',
      type: 'catch',
      z: 'tab',
      scope: ['getterB', 'readerB'],
      uncaught: false,
      wires: [['errors']],
    },
    {
      id: 'errors',
      type: 'function',
      z: 'tab',
      name: 'errors',
      outputs: 1,
      wires: [[]],
      func: `const e = flow.get('errors') || [];
e.push({ source: (msg.error && msg.error.source && msg.error.source.id) || '', message: String(msg.error && msg.error.message) });
flow.set('errors', e.slice(-100));
return null;`,
    },
    { id: 'httpIn', type: 'http in', z: 'tab', url: '/dlm-test/meter', method: 'get', upload: false, swaggerDoc: '', wires: [['state']] },
    {
      id: 'state',
      type: 'function',
      z: 'tab',
      name: 'state',
      outputs: 1,
      wires: [['httpOut']],
      func: `msg.payload = { meters: flow.get('meters') || {}, counts: flow.get('counts') || {}, errors: flow.get('errors') || [] };
return msg;`,
    },
    { id: 'httpOut', type: 'http response', z: 'tab', statusCode: '', headers: {}, wires: [] },
  ];
}

describe('integration: node-red-contrib-modbus → cvm-mini-reader against the CVM-MINI simulator (real Node-RED, Modbus TCP on 127.0.0.1)', function () {
  this.timeout(60000);
  let red: RunningNodeRed | null = null;
  let simA: MeterSim | null = null;
  let simB: MeterSim | null = null;
  const state = () => getJson<State>(red!.url + '/dlm-test/meter');
  const meterWith = (key: string, pred: (m: MeterMessage) => boolean) => async () => {
    const m = (await state()).meters[key];
    return m && pred(m) ? m : undefined;
  };
  const sameCurrents = (sim: MeterSim) => (m: MeterMessage) =>
    m.online && JSON.stringify(m.currentA) === JSON.stringify(sim.reading().currentA);

  before(async () => {
    simA = await startMeterSim({ host: '127.0.0.1', mode: 'constant', currentsA: [12.5, 20, 31.25], seed: 1 });
    simB = await startMeterSim({ host: '127.0.0.1', mode: 'constant', currentsA: [10, 10, 10], unitId: 7 });
    red = await start(testFlow(simA.port, simB.port));
  });

  after(async () => {
    if (red) await red.stop();
    if (simA) await simA.stop();
    if (simB) await simB.stop();
  });

  it('R-MTR-1: the decoded meter message equals what the simulator serves (every field)', async () => {
    const m = await waitFor("meter A online with the simulator's currents", meterWith('A', sameCurrents(simA!)), 20000);
    const r = simA!.reading();
    assert.deepEqual(m.currentA, [12.5, 20, 31.25]);
    assert.deepEqual(m.voltageV, r.voltageV);
    assert.deepEqual(m.powerW, r.powerW);
    assert.deepEqual(m.powerFactor, r.powerFactor);
    assert.equal(m.totalPowerW, r.totalPowerW);
    assert.equal(m.frequencyHz, r.frequencyHz);
    assert.ok(simA!.requests > 0);
  });

  it('R-MTR-1: a load change on the simulator shows in the next readings', async () => {
    simA!.setCurrents([5, 45.5, 18]);
    const m = await waitFor('meter A with the new currents', meterWith('A', sameCurrents(simA!)), 10000);
    assert.deepEqual(m.currentA, [5, 45.5, 18]);
  });

  it('R-MTR-4 / R-ERR-3: simulator stopped → meter online:false with a reason within the watchdog time', async () => {
    await simA!.stop();
    // Bound: the last reading may be at most one poll old when the simulator stops, plus scheduling slack.
    const off = await waitFor(
      'meter A offline',
      meterWith('A', (m) => m.online === false),
      (WATCHDOG_S + POLL_S) * 1000 + 1500,
      100,
    );
    assert.match(off.reason!, new RegExp(`no valid reading for ${WATCHDOG_S} s`));
    assert.equal(off.currentA, undefined);
  });

  it('R-MTR-4: simulator back → measured values again', async () => {
    simA!.setCurrents([7, 8, 9]);
    await simA!.start();
    const m = await waitFor('meter A online again', meterWith('A', sameCurrents(simA!)), 20000);
    assert.deepEqual(m.currentA, [7, 8, 9]);
  });

  it('R-MTR-4 / R-ERR-1: wrong unit id (simulator answers 7, reader asks 1) → a clear error and the meter offline, never online', async () => {
    const off = await waitFor(
      'meter B offline',
      meterWith('B', (m) => m.online === false),
      15000,
    );
    assert.match(off.reason!, /no valid reading for 2 s/);
    const s = await waitFor(
      'an error from pipeline B',
      async () => {
        const st = await state();
        return st.errors.length > 0 && st.meters.B?.reason?.includes('last error') ? st : undefined;
      },
      15000,
    );
    assert.equal(s.counts.B?.online ?? 0, 0);
    assert.ok(
      s.errors.every((e) => e.source === 'getterB' || e.source === 'readerB'),
      JSON.stringify(s.errors),
    );
    assert.ok(
      s.errors.some((e) => /Timed out/i.test(e.message)),
      JSON.stringify(s.errors),
    );
    assert.match(s.meters.B!.reason!, /last error: Timed out/i);
  });
});

describe('tools/sim-meter — the CVM-MINI simulator over Modbus TCP on 127.0.0.1', function () {
  this.timeout(20000);
  const sims: MeterSim[] = [];
  const clients: any[] = [];
  after(async () => {
    for (const c of clients) if (c.isOpen) await new Promise<void>((r) => c.close(() => r()));
    for (const s of sims) await s.stop();
  });
  async function client(port: number, unit: number) {
    const c = new ModbusRTU();
    clients.push(c);
    await c.connectTCP('127.0.0.1', { port });
    c.setID(unit);
    c.setTimeout(500);
    return c;
  }

  it('serves the map as input (FC 4) and holding (FC 3) registers; decoding gives back reading(); beyond 0x29 → exception 02', async () => {
    const sim = await startMeterSim({ currentsA: [1.234, 0, 99.9], voltageV: 231.4, powerFactor: 0.9 });
    sims.push(sim);
    const c = await client(sim.port, 1);
    const fc4 = await c.readInputRegisters(0, 42);
    const fc3 = await c.readHoldingRegisters(0, 42);
    assert.deepEqual(fc4.data, fc3.data);
    assert.deepEqual(fc4.data, sim.registers());
    const d = decodeRegisters(fc4.buffer, 0);
    assert.ok(d.ok);
    const r = sim.reading();
    assert.deepEqual(d.meter.currentA, [1.234, 0, 99.9]);
    assert.deepEqual(d.meter.voltageV, r.voltageV);
    assert.deepEqual(d.meter.powerW, r.powerW);
    assert.equal(d.meter.totalPowerW, r.powerW[0] + r.powerW[1] + r.powerW[2]);
    await assert.rejects(c.readInputRegisters(40, 4), /exception 2/i);
  });

  it('--unit 7 answers unit 7 only; other unit ids time out', async () => {
    const sim = await startMeterSim({ unitId: 7 });
    sims.push(sim);
    assert.equal((await (await client(sim.port, 7)).readInputRegisters(0, 42)).data.length, 42);
    await assert.rejects((await client(sim.port, 1)).readInputRegisters(0, 42), (e: { message?: string }) =>
      /Timed out/.test(String(e.message)),
    );
  });

  it('stop() refuses connections, start() serves again on the same port', async () => {
    const sim = await startMeterSim({ currentsA: [3, 4, 5] });
    sims.push(sim);
    const port = sim.port;
    await sim.stop();
    assert.equal(sim.running, false);
    await assert.rejects(client(port, 1), /ECONNREFUSED/);
    await sim.start();
    assert.equal(sim.port, port);
    assert.equal((await (await client(port, 1)).readInputRegisters(0, 42)).data.length, 42);
  });

  it('walk: same seed → same walk, bounded; profile: follows the daily curve; setCurrents applies at once', async () => {
    let now = 0;
    const clock = () => now;
    const mk = async (seed: number) => {
      const s = await startMeterSim({ mode: 'walk', currentsA: [20, 20, 20], seed, stepA: 5, minA: 10, maxA: 30, clock });
      sims.push(s);
      return s;
    };
    const a = await mk(42);
    const b = await mk(42);
    const c = await mk(43);
    const seen: number[][] = [];
    for (let k = 0; k < 200; k++) {
      now += 1000;
      const ra = a.reading().currentA;
      assert.deepEqual(ra, b.reading().currentA);
      seen.push(c.reading().currentA);
      for (const x of ra) assert.ok(x >= 10 && x <= 30, String(x));
    }
    assert.notDeepEqual(seen[199], a.reading().currentA);
    a.setCurrents([1, 2, 3]);
    assert.deepEqual(a.reading().currentA, [1, 2, 3]);

    const p = await startMeterSim({ mode: 'profile', currentsA: [100, 50, 10], clock: () => new Date(2024, 0, 15, 19, 0, 0).getTime() });
    sims.push(p);
    assert.equal(profileFactor(19), DAILY_PROFILE[19]);
    assert.deepEqual(p.reading().currentA, [100 * DAILY_PROFILE[19], 50 * DAILY_PROFILE[19], 10 * DAILY_PROFILE[19]]);
    assert.equal(profileFactor(3.5), (DAILY_PROFILE[3] + DAILY_PROFILE[4]) / 2);
  });
});
