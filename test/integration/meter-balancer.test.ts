/**
 * Issue 4, end to end with the balancer: a real Node-RED 4.1 runtime (child process) where
 * node-red-contrib-modbus reads the CVM-MINI simulator over Modbus TCP on 127.0.0.1, and
 * cvm-mini-reader feeds dlm-balancer (R-MTR-1, R-MTR-4, R-MTR-5, R-ERR-3, R-ALLOC-7, R-ALLOC-9).
 *
 * The flow:
 *
 *   Flex-Getter ⇄ cvm-mini-reader ─► [meter tap] ─► dlm-balancer ─ 1 ─► [setpoint tap]
 *                                                      │  ─ 2 ─► [status tap] ─► http response
 *   POST /dlm-test/plug ─► topic plug ────────────────►│
 *   GET /dlm-test/status ─► topic status ─────────────►│
 *   status node (balancer) ─► [node status tap];  catch (balancer) ─► [error tap]
 *   GET /dlm-test/state ─► the taps' records (flow context) ─► http response
 *
 * Every tap appends to ONE log in flow context with a shared sequence number, so the order in
 * which meter readings and setpoints crossed the flow is known exactly. The meter tap forwards
 * each reading to the balancer followed, in the same send, by a `status` request tagged with
 * the reading's sequence number: the balancer answers it right after the step that took the
 * reading, so `analyser.lastReadingAt` of that answer is the time (`now`) of that step.
 */
import { strict as assert } from 'assert';
import { start, getJson, waitFor, type RunningNodeRed } from '../support/node-red-runner';
import { cvmMiniPipeline } from '../support/modbus-flow';
import { startMeterSim, type MeterSim, type Triple } from '../../tools/sim-meter';
import { DEFAULT_OFFLINE, DEFAULT_PARAMS, DEFAULT_PLUG_MAX_A, phaseLimitA } from '../../lib/shared/params';
import type { Phase, PhaseConsumption, PlugMessage, StatusMessage } from '../../lib/shared/types';

const POLL_S = 0.5;
const WATCHDOG_S = 2;
const PHASES: Phase[] = ['L1', 'L2', 'L3'];
/**
 * The site: a 80 A MCCB and 60 kW contracted (60 000 / (230 V × 3) = 87 A), so I_limit = 80 A
 * and the working limit 72 A with the default 10 % margin (R-SITE-2, R-ALLOC-1). Everything else
 * (offline current 25 A, average window 10 s, reaction delay 5 s …) is the default.
 */
const SITE = { mccbA: 80, contractedKW: 60 };
const LIMIT_A = phaseLimitA({ ...DEFAULT_PARAMS, ...SITE });
const OFFLINE_A = DEFAULT_PARAMS.meterOfflineCurrentA;
/** Charge point k (index k) has both plugs on phase Lk: plug ids 2k-1, 2k (R-CP-2). */
const CPS: { name: string; index: number; phase: Phase }[] = [
  { name: 'CP01', index: 1, phase: 'L1' },
  { name: 'CP02', index: 2, phase: 'L2' },
  { name: 'CP03', index: 3, phase: 'L3' },
];
const BEFORE_A: Triple = [10, 10, 10];
const STEP_A: Triple = [10, 40, 10]; // +30 A on L2
/** After the outage: every phase at or above what it was, so max(realtime, average) = realtime (R-MTR-5). */
const AFTER_A: Triple = [12, 45, 11];
/** Assumed while the meter is lost after STEP_A (R-MTR-4 amended): max(offline current, recent peak). */
const LOST_A = {
  L1: Math.max(DEFAULT_PARAMS.meterOfflineCurrentA, STEP_A[0]),
  L2: Math.max(DEFAULT_PARAMS.meterOfflineCurrentA, STEP_A[1]),
  L3: Math.max(DEFAULT_PARAMS.meterOfflineCurrentA, STEP_A[2]),
};

type Rec =
  | { seq: number; kind: 'meter'; online: boolean; currentA: Triple | null; reason: string | null; timestamp: number }
  | { seq: number; kind: 'setpoint'; chargePoint: string; plugs: Record<string, number>; timestamp: number }
  | {
      seq: number;
      kind: 'status';
      meterSeq: number | null;
      timestamp: number;
      online: boolean;
      lastReadingAt: number | null;
      usedA: Record<string, number>;
      consumption: Record<string, PhaseConsumption>;
      setpoints: Record<string, number>;
    };
interface TestState {
  log: Rec[];
  nodeStatus: { fill: string; shape: string; text: string }[];
  errors: string[];
}

const FN = (id: string, func: string, wires: string[][]) => ({
  id,
  type: 'function',
  z: 'tab',
  name: id,
  func,
  outputs: wires.length,
  wires,
});
/** Shared by every tap: append to the one ordered log, bounded. */
const APPEND = `function append(rec) {
  const seq = (flow.get('seq') || 0) + 1;
  flow.set('seq', seq);
  rec.seq = seq;
  const log = flow.get('log') || [];
  log.push(rec);
  if (log.length > 3000) log.shift();
  flow.set('log', log);
  return seq;
}
`;

function testFlow(simPort: number) {
  return [
    { id: 'tab', type: 'tab', label: 'meter → balancer integration' },
    ...cvmMiniPipeline({ key: 'M', tab: 'tab', simPort, pollS: POLL_S, watchdogS: WATCHDOG_S, meterWires: ['meterTap'] }),
    FN(
      'meterTap',
      APPEND +
        `
const p = msg.payload || {};
const seq = append({ kind: 'meter', online: !!p.online, currentA: p.currentA || null, reason: p.reason || null, timestamp: p.timestamp });
msg.meterSeq = seq;
return [[msg, { topic: 'status', meterSeq: seq }]];`,
      [['balancer']],
    ),
    {
      id: 'balancer',
      type: 'dlm-balancer',
      z: 'tab',
      name: 'site',
      mccbA: SITE.mccbA,
      contractedKW: SITE.contractedKW,
      wires: [['setpointTap'], ['statusTap'], []],
    },
    FN(
      'setpointTap',
      APPEND +
        `
append({ kind: 'setpoint', chargePoint: msg.payload.chargePoint, plugs: msg.payload.plugs, timestamp: msg.payload.timestamp });
return null;`,
      [[]],
    ),
    FN(
      'statusTap',
      APPEND +
        `
const s = msg.payload;
const setpoints = {};
for (const p of s.plugs) setpoints[p.id] = p.setpointA;
append({ kind: 'status', meterSeq: msg.meterSeq === undefined ? null : msg.meterSeq, timestamp: s.timestamp,
  online: s.analyser.online, lastReadingAt: s.analyser.lastReadingAt, usedA: s.analyser.usedA,
  consumption: s.consumption, setpoints });
return msg.res ? msg : null;`,
      [['httpRes']],
    ),
    { id: 'statusWatch', type: 'status', z: 'tab', scope: ['balancer'], wires: [['nodeStatusTap']] },
    FN(
      'nodeStatusTap',
      `
const h = flow.get('nodeStatus') || [];
const st = msg.status || {};
const last = h[h.length - 1];
if (!last || last.text !== st.text || last.fill !== st.fill) h.push({ fill: st.fill, shape: st.shape, text: st.text });
flow.set('nodeStatus', h.slice(-200));
return null;`,
      [[]],
    ),
    { id: 'catchBalancer', type: 'catch', z: 'tab', scope: ['balancer'], uncaught: false, wires: [['errorTap']] },
    FN(
      'errorTap',
      `
const e = flow.get('errors') || [];
e.push(String(msg.error && msg.error.message));
flow.set('errors', e.slice(-100));
return null;`,
      [[]],
    ),
    // POST /dlm-test/plug: the JSON body goes to the balancer as a `plug` message.
    { id: 'plugIn', type: 'http in', z: 'tab', url: '/dlm-test/plug', method: 'post', upload: false, swaggerDoc: '', wires: [['plugFwd']] },
    FN(
      'plugFwd',
      `
const fwd = { topic: 'plug', payload: msg.payload };
msg.payload = { forwarded: true };
return [fwd, msg];`,
      [['balancer'], ['httpRes']],
    ),
    // GET /dlm-test/status: the balancer's own answer to a `status` request.
    {
      id: 'statusIn',
      type: 'http in',
      z: 'tab',
      url: '/dlm-test/status',
      method: 'get',
      upload: false,
      swaggerDoc: '',
      wires: [['statusReq']],
    },
    FN(
      'statusReq',
      `msg.topic = 'status';
return msg;`,
      [['balancer']],
    ),
    // GET /dlm-test/state: what the taps recorded.
    {
      id: 'stateIn',
      type: 'http in',
      z: 'tab',
      url: '/dlm-test/state',
      method: 'get',
      upload: false,
      swaggerDoc: '',
      wires: [['stateFn']],
    },
    FN(
      'stateFn',
      `msg.payload = { log: flow.get('log') || [], nodeStatus: flow.get('nodeStatus') || [], errors: flow.get('errors') || [] };
return msg;`,
      [['httpRes']],
    ),
    { id: 'httpRes', type: 'http response', z: 'tab', statusCode: '', headers: {}, wires: [] },
  ];
}

/** A charge point with both plugs on `phase`, vehicles charging (pilot C). */
function plugMessage(cp: { name: string; index: number; phase: Phase }): PlugMessage {
  return {
    chargePoint: cp.name,
    index: cp.index,
    address: '',
    enabled: true,
    online: true,
    devicePlugs: 2,
    offline: { ...DEFAULT_OFFLINE },
    plugs: (['A', 'B'] as const).map((letter, k) => ({
      letter,
      id: 2 * cp.index - 1 + k,
      phase: cp.phase,
      priority: false,
      maxCurrentA: DEFAULT_PLUG_MAX_A,
      pilot: 'C' as const,
      measuredA: 16,
      energyWh: 0,
      plate: '-',
    })),
    timestamp: Date.now(),
  };
}

const idsOn = (phase: Phase) => {
  const cp = CPS.find((c) => c.phase === phase)!;
  return [2 * cp.index - 1, 2 * cp.index];
};
const asPhases = (t: Triple) => ({ L1: t[0], L2: t[1], L3: t[2] });
/** Setpoints by plug id from a status. */
const setpointsOf = (s: StatusMessage) => Object.fromEntries(s.plugs.map((p) => [p.id, p.setpointA])) as Record<number, number>;
const phaseSetpoints = (s: StatusMessage, ph: Phase) => idsOn(ph).map((id) => setpointsOf(s)[id]);

/** R-ALLOC-9, per phase: sum of setpoints + building (as used) + reserved ≤ I_limit. */
function checkInvariant(consumption: Record<string, PhaseConsumption>, where: string) {
  for (const ph of PHASES) {
    const c = consumption[ph];
    assert.ok(c, `${where}: no consumption for ${ph}`);
    assert.ok(
      c.evSetpointA + c.buildingA + c.reservedA <= c.limitA + 1e-9,
      `${where}: ${ph} setpoints ${c.evSetpointA} + building ${c.buildingA} + reserved ${c.reservedA} > limit ${c.limitA}`,
    );
  }
}

describe('integration: CVM-MINI simulator → node-red-contrib-modbus → cvm-mini-reader → dlm-balancer (real Node-RED, Modbus TCP on 127.0.0.1)', function () {
  this.timeout(60000);
  let red: RunningNodeRed | null = null;
  let sim: MeterSim | null = null;
  const status = () => getJson<StatusMessage>(red!.url + '/dlm-test/status');
  const state = () => getJson<TestState>(red!.url + '/dlm-test/state');
  const statusWhere = (what: string, pred: (s: StatusMessage) => boolean, timeoutMs: number, everyMs = 200) =>
    waitFor(
      what,
      async () => {
        const s = await status();
        return pred(s) ? s : undefined;
      },
      timeoutMs,
      everyMs,
    );
  const lastSeq = async () => {
    const log = (await state()).log;
    return log.length ? log[log.length - 1].seq : 0;
  };
  let stepSeq = 0;
  let stopSeq = 0;

  before(async () => {
    sim = await startMeterSim({ host: '127.0.0.1', mode: 'constant', currentsA: BEFORE_A });
    red = await start(testFlow(sim.port));
  });

  after(async () => {
    if (red) await red.stop();
    if (sim) await sim.stop();
  });

  it('R-MTR-1 / R-ALLOC-3: the balancer uses the building current read over Modbus; two vehicles per phase settle at their equal share', async () => {
    await statusWhere(
      "the balancer online with the simulator's currents",
      (s) => s.analyser.online && JSON.stringify(s.analyser.usedA) === JSON.stringify(asPhases(BEFORE_A)),
      20000,
    );
    for (const cp of CPS) {
      const res = await fetch(red!.url + '/dlm-test/plug', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(plugMessage(cp)),
      });
      assert.equal(res.status, 200);
    }
    // (72 A working limit − 10 A building) / 2 plugs = 31 A each, on every phase.
    const s = await statusWhere('every plug at 31 A', (x) => x.plugs.length === 6 && x.plugs.every((p) => p.setpointA === 31), 10000);
    for (const ph of PHASES) {
      assert.equal(s.consumption[ph]!.limitA, LIMIT_A);
      assert.equal(s.consumption[ph]!.buildingA, 10);
      assert.equal(s.consumption[ph]!.evSetpointA, 62);
    }
    assert.ok(s.plugs.every((p) => p.status === 'CHARGING'));
    assert.deepEqual((await state()).errors, []);
  });

  it('R-ALLOC-7 / R-MTR-5: a +30 A building step on L2 reduces the L2 setpoints in the very step that takes the reading; L1/L3 unchanged', async () => {
    stepSeq = await lastSeq();
    sim!.setCurrents(STEP_A);
    // (72 − 40) / 2 = 16 A on L2.
    await statusWhere('L2 plugs reduced', (s) => phaseSetpoints(s, 'L2').every((a) => a === 16), 10000);
    const log = (await state()).log.filter((r) => r.seq > stepSeq);

    const meters = log.filter((r): r is Extract<Rec, { kind: 'meter' }> => r.kind === 'meter');
    const m = meters.find((r) => r.online && r.currentA![1] === STEP_A[1]);
    assert.ok(m, 'a meter message with the new L2 current');
    assert.deepEqual(m.currentA, STEP_A);
    // Every reading before it still had the old L2 current, and no setpoint moved before it.
    assert.ok(meters.filter((r) => r.seq < m.seq).every((r) => r.currentA![1] === BEFORE_A[1]));
    const setpoints = log.filter((r): r is Extract<Rec, { kind: 'setpoint' }> => r.kind === 'setpoint');
    assert.deepEqual(
      setpoints.filter((r) => r.seq < m.seq),
      [],
      'no setpoint before the reading',
    );

    // The first setpoint message after that reading already carries the reduction…
    const first = setpoints.find((r) => r.seq > m.seq);
    assert.ok(first, 'a setpoint message after the reading');
    assert.equal(first.chargePoint, 'CP02');
    assert.deepEqual(first.plugs, { A: 16, B: 16 });
    // …and was decided in the balancer step that took the reading: the status the balancer
    // answered right after that reading has lastReadingAt = the time of that step.
    const reply = log.find((r): r is Extract<Rec, { kind: 'status' }> => r.kind === 'status' && r.meterSeq === m.seq);
    assert.ok(reply, 'the status answer that followed the reading');
    assert.equal(first.timestamp, reply.lastReadingAt);
    // …and left the balancer before it answered the message queued right behind the reading.
    assert.ok(first.seq < reply.seq, `setpoint #${first.seq} before status answer #${reply.seq}`);
    assert.equal(reply.usedA.L2, STEP_A[1]);
    assert.deepEqual([reply.setpoints[3], reply.setpoints[4]], [16, 16]);
    assert.deepEqual([reply.setpoints[1], reply.setpoints[2], reply.setpoints[5], reply.setpoints[6]], [31, 31, 31, 31]);
    // L1 and L3 untouched: no setpoint for CP01/CP03 carries anything but 31 A.
    for (const r of setpoints.filter((x) => x.chargePoint !== 'CP02')) assert.deepEqual(r.plugs, { A: 31, B: 31 }, JSON.stringify(r));

    const s = await status();
    assert.deepEqual(phaseSetpoints(s, 'L1'), [31, 31]);
    assert.deepEqual(phaseSetpoints(s, 'L3'), [31, 31]);
    assert.equal(s.consumption.L2!.buildingA, 40);
    checkInvariant(s.consumption as Record<string, PhaseConsumption>, 'after the step');
  });

  it('R-MTR-4 / R-ERR-3: simulator stopped → meter online:false within the watchdog time; the balancer assumes the offline current on every phase and its node status says the meter is lost', async () => {
    stopSeq = await lastSeq();
    await sim!.stop();
    // Bound: the last reading may be at most one poll old when the simulator stops, plus scheduling slack.
    const s = await statusWhere(
      'the balancer with the meter offline',
      (x) => x.analyser.online === false,
      (WATCHDOG_S + POLL_S) * 1000 + 1500,
      100,
    );
    // R-MTR-4 amended (issue 9 item 10): max(offline current, highest recent reading) — L2 drew 40 A.
    assert.deepEqual(s.analyser.usedA, LOST_A);
    for (const ph of PHASES) assert.equal(s.consumption[ph]!.buildingA, LOST_A[ph]);
    assert.equal(
      s.analyser.lostAssumption,
      `meter lost: assuming L1 ${OFFLINE_A} A (offline current), L2 ${STEP_A[1]} A (recent peak), L3 ${OFFLINE_A} A (offline current)`,
    );
    assert.equal(s.analyser.offlineCurrentA, OFFLINE_A);
    checkInvariant(s.consumption as Record<string, PhaseConsumption>, 'meter offline');

    const st = await state();
    const off = st.log.find((r): r is Extract<Rec, { kind: 'meter' }> => r.seq > stopSeq && r.kind === 'meter' && !r.online);
    assert.ok(off, 'the reader sent online:false');
    assert.match(off.reason!, new RegExp(`no valid reading for ${WATCHDOG_S} s`));

    const ns = await waitFor(
      "the balancer's node status says the meter is lost",
      async () => {
        const h = (await state()).nodeStatus;
        const last = h[h.length - 1];
        return last && /meter lost/.test(last.text) ? last : undefined;
      },
      5000,
    );
    assert.match(ns.text, new RegExp(`meter lost: L1 ${OFFLINE_A} · L2 ${STEP_A[1]} · L3 ${OFFLINE_A} A assumed`));
    assert.equal(ns.fill, 'red');

    // L1/L3: (72 − 25) / 2 = 23.5 → 23 A (R-ALLOC-3 rounds down), decided in the step that took the
    // reader's online:false; L2 keeps (72 − 40) / 2 = 16 A — the old rule would have raised it to
    // 23 A while the building still drew 40 A (issue 9 item 10).
    const lostSetpoints = (x: { plugs: { phase: string | null; setpointA: number }[] }) =>
      x.plugs.every((p) => p.setpointA === (p.phase === 'L2' ? 16 : 23));
    const s2 = await statusWhere('L1/L3 plugs at 23 A, L2 plugs at 16 A', lostSetpoints, 5000);
    assert.equal(s2.analyser.online, false);
    checkInvariant(s2.consumption as Record<string, PhaseConsumption>, 'meter offline, settled');
    const log = (await state()).log.filter((r) => r.seq > off.seq);
    const cuts = log.filter((r): r is Extract<Rec, { kind: 'setpoint' }> => r.kind === 'setpoint' && r.plugs.A === 23);
    const answer = log.find((r): r is Extract<Rec, { kind: 'status' }> => r.kind === 'status' && r.meterSeq === off.seq);
    assert.ok(answer, 'the status answer that followed online:false');
    // The answer right after the reader's online:false already has the offline figure and the new
    // setpoints: ~2 s after the last reading, before the balancer's own 5 s timeout could say so.
    assert.equal(answer.online, false);
    assert.deepEqual(answer.usedA, LOST_A);
    assert.deepEqual(Object.values(answer.setpoints), [23, 23, 16, 16, 23, 23]);
    const lastReading = [...(await state()).log].reverse().find((r) => r.kind === 'meter' && r.online && r.seq < off.seq)!;
    assert.ok(answer.timestamp - lastReading.timestamp < DEFAULT_PARAMS.meterTimeoutS * 1000);
    for (const cp of CPS.filter((c) => c.phase !== 'L2')) {
      const c = cuts.find((r) => r.chargePoint === cp.name);
      assert.ok(c, `${cp.name} told 23 A`);
      assert.deepEqual(c.plugs, { A: 23, B: 23 });
    }
    assert.ok(
      !log.some((r) => r.kind === 'setpoint' && r.chargePoint === 'CP02' && (r.plugs.A > 16 || r.plugs.B > 16)),
      'L2 never raised while its building peak is assumed',
    );
  });

  it('R-MTR-4: simulator back → measured values again, node status no longer says meter lost', async () => {
    sim!.setCurrents(AFTER_A);
    await sim!.start();
    const s = await statusWhere(
      'the balancer online with the new currents',
      (x) => x.analyser.online && JSON.stringify(x.analyser.usedA) === JSON.stringify(asPhases(AFTER_A)),
      20000,
    );
    for (const ph of PHASES) assert.equal(s.consumption[ph]!.buildingA, asPhases(AFTER_A)[ph]);
    // L2: (72 − 45) / 2 = 13.5 → 13 A, a reduction, sent at once. L1: (72 − 12) / 2 = 30 and
    // L3: (72 − 11) / 2 = 30.5 → 30, up from 23 A at once: within the reaction delay after their
    // drop from 31 A, but 30 A adds nothing to what their vehicles may still draw (R-ALLOC-7).
    assert.deepEqual(phaseSetpoints(s, 'L2'), [13, 13]);
    assert.deepEqual([...phaseSetpoints(s, 'L1'), ...phaseSetpoints(s, 'L3')], [30, 30, 30, 30]);
    checkInvariant(s.consumption as Record<string, PhaseConsumption>, 'meter back');
    const ns = await waitFor(
      'node status without meter lost',
      async () => {
        const h = (await state()).nodeStatus;
        const last = h[h.length - 1];
        return last && !/meter lost/.test(last.text) ? last : undefined;
      },
      5000,
    );
    assert.notEqual(ns.fill, 'red');
  });

  it('R-ALLOC-9: on every status sample recorded during the run, per phase, setpoints + building + reserved ≤ I_limit', async () => {
    const st = await state();
    const samples = st.log.filter((r): r is Extract<Rec, { kind: 'status' }> => r.kind === 'status');
    // Samples from every situation above: online before and after the step, offline, back.
    assert.ok(samples.some((r) => r.online && r.usedA.L2 === STEP_A[1]));
    assert.ok(samples.some((r) => !r.online && r.usedA.L2 === STEP_A[1] && r.usedA.L1 === OFFLINE_A));
    assert.ok(samples.some((r) => r.online && r.usedA.L2 === AFTER_A[1]));
    assert.ok(samples.some((r) => Object.values(r.setpoints).some((a) => a > 0)));
    for (const r of samples) {
      checkInvariant(r.consumption, `status #${r.seq}`);
      for (const ph of PHASES) assert.equal(r.consumption[ph].limitA, LIMIT_A);
    }
    assert.deepEqual(st.errors, [], 'no message refused by the balancer');
  });
});
