/**
 * Driver of the property-based tests of the allocation core (issue 2): random sites and random event orders,
 * invariants asserted at every step. The test keeps its own view of what the meter said and what
 * was sent, so the safety invariant (R-ALLOC-9) is checked against the inputs, not against the
 * core's own bookkeeping.
 */
import { strict as assert } from 'assert';
import fc from 'fast-check';
import {
  chargePointOf,
  cpOffline,
  effectiveA,
  findChargePoint,
  plugStatus,
  sitePhases,
  type BalancerState,
  type DlmEvent,
} from '../../lib/core/state';
import { initialState, step } from '../../lib/core/balancer';
import { plugId } from '../../lib/shared/ids';
import { DEFAULT_PARAMS, phaseLimitA } from '../../lib/shared/params';
import type { OfflineMode, Phase, PilotState, PlugLetter, SiteParams } from '../../lib/shared/types';
import { checkQuiet, reportChecker } from './quiet';
import { plugMsg, type CpSpec } from './site';

const EPS = 1e-6;
const PHASE_OF: Phase[] = ['L1', 'L2', 'L3'];
const idx = (ph: Phase) => PHASE_OF.indexOf(ph);

// ------------------------------------------------------------------------------------------
// Generators
// ------------------------------------------------------------------------------------------

export const paramsArb: fc.Arbitrary<SiteParams> = fc
  .record({
    supplyPhases: fc.constantFrom(1 as const, 3 as const, 3 as const),
    voltageV: fc.constantFrom(220, 230, 240),
    mccbA: fc.integer({ min: 16, max: 400 }),
    contractedKW: fc.integer({ min: 4, max: 300 }),
    minCurrentA: fc.constantFrom(6, 8, 10),
    resolutionA: fc.constantFrom(1, 0.5),
    marginPct: fc.integer({ min: 0, max: 20 }),
    reactionDelayS: fc.integer({ min: 0, max: 8 }),
    minPauseS: fc.integer({ min: 0, max: 60 }),
    resumeHysteresisA: fc.constantFrom(0, 1, 2),
    minIncreaseA: fc.constantFrom(0, 0.5, 1),
    stateBDetection: fc.boolean(),
    waitingTimeS: fc.integer({ min: 5, max: 120 }),
    retries: fc.integer({ min: 0, max: 3 }),
    retryPeriodS: fc.integer({ min: 10, max: 300 }),
    lowConsumption: fc.boolean(),
    releaseUnused: fc.boolean(),
    meterPosition: fc.constantFrom('building' as const, 'grid' as const),
    meterTimeoutS: fc.integer({ min: 2, max: 10 }),
    analyserEnabled: fc.boolean().map((b) => b || Math.random() < 0.7),
    meterOfflineCurrentA: fc.integer({ min: 0, max: 50 }),
    meterPeakWindowMin: fc.constantFrom(0, 1, 15),
  })
  .map((r) => ({ ...DEFAULT_PARAMS, ...r }));

export interface PlugGen {
  phase: Phase | null;
  priority: boolean;
  max: number;
}
export interface CpGen {
  plugs: PlugGen[];
  mode: OfflineMode;
  heartbeatS: number;
  offlineA: number;
  enabled: boolean;
}

export const plugArb = (phases: 1 | 3): fc.Arbitrary<PlugGen> =>
  fc.record({
    phase: fc.oneof(
      { weight: 20, arbitrary: fc.constantFrom<Phase>(...(phases === 1 ? (['L1'] as Phase[]) : PHASE_OF)) },
      { weight: 1, arbitrary: fc.constant<Phase | null>(null) },
      { weight: 1, arbitrary: fc.constant<Phase>('L2') },
    ),
    priority: fc.boolean(),
    max: fc.oneof({ weight: 5, arbitrary: fc.constant(32) }, { weight: 3, arbitrary: fc.integer({ min: 6, max: 40 }) }),
  });

export const cpArb = (phases: 1 | 3): fc.Arbitrary<CpGen> =>
  fc.record({
    plugs: fc.array(plugArb(phases), { minLength: 1, maxLength: 2 }),
    mode: fc.constantFrom<OfflineMode>(0, 1, 2, 3),
    heartbeatS: fc.constantFrom(10, 30, 120),
    offlineA: fc.constantFrom(6, 8, 10, 16),
    enabled: fc.boolean().map((b) => b || Math.random() < 0.8),
  });

export type Ev =
  | { k: 'tick'; dt: number }
  | { k: 'meter'; a: [number, number, number]; dt: number }
  | { k: 'meterLost'; dt: number }
  | { k: 'pilot'; cp: number; letter: PlugLetter; pilot: PilotState; dt: number }
  | { k: 'measured'; cp: number; letter: PlugLetter; frac: number; dt: number }
  | { k: 'online'; cp: number; on: boolean; dt: number }
  | { k: 'enable'; cp: number; on: boolean; dt: number }
  | { k: 'priority'; cp: number; letter: PlugLetter; on: boolean; dt: number }
  | { k: 'maxA'; cp: number; letter: PlugLetter; max: number; dt: number }
  | { k: 'schedule'; enabled: boolean; slots: boolean[]; dt: number }
  | { k: 'params'; change: Record<string, unknown>; dt: number }
  | { k: 'plate'; cp: number; letter: PlugLetter; plate: string; dt: number }
  | { k: 'bad'; which: number; dt: number };

const dtArb = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: 0, max: 2500 }) },
  { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 900_000 }) },
);
const letterArb = fc.constantFrom<PlugLetter>('A', 'B');
const cpIdx = fc.nat(1000);

const paramChangeArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ mccbA: fc.integer({ min: 10, max: 400 }) }),
  fc.record({ marginPct: fc.integer({ min: 0, max: 30 }) }),
  fc.record({ minCurrentA: fc.constantFrom(6, 8, 10, 5, 7.5) }),
  fc.record({ contractedKW: fc.integer({ min: 2, max: 300 }) }),
  fc.record({ analyserEnabled: fc.boolean() }),
  fc.record({ meterOfflineCurrentA: fc.integer({ min: 0, max: 60 }) }),
  fc.record({ stateBDetection: fc.boolean(), lowConsumption: fc.boolean() }),
  fc.record({ releaseUnused: fc.boolean() }),
  fc.record({ reactionDelayS: fc.integer({ min: 0, max: 8 }) }),
  fc.record({ mccbA: fc.constantFrom(-5, Number.NaN, 1e9) }),
  fc.record({ bogus: fc.integer() }),
);

export const evArb: fc.Arbitrary<Ev> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ k: fc.constant('tick' as const), dt: dtArb }) },
  {
    weight: 10,
    arbitrary: fc.record({
      k: fc.constant('meter' as const),
      a: fc.tuple(
        fc.float({ min: 0, max: 120, noNaN: true }),
        fc.float({ min: 0, max: 120, noNaN: true }),
        fc.float({ min: 0, max: 120, noNaN: true }),
      ),
      dt: dtArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('meterLost' as const), dt: dtArb }) },
  {
    weight: 14,
    arbitrary: fc.record({
      k: fc.constant('pilot' as const),
      cp: cpIdx,
      letter: letterArb,
      pilot: fc.constantFrom<PilotState>('A', 'B', 'B', 'C', 'C', 'C', 'D', 'E', 'F'),
      dt: dtArb,
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      k: fc.constant('measured' as const),
      cp: cpIdx,
      letter: letterArb,
      frac: fc.float({ min: 0, max: Math.fround(1.2), noNaN: true }),
      dt: dtArb,
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('online' as const), cp: cpIdx, on: fc.boolean(), dt: dtArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('enable' as const), cp: cpIdx, on: fc.boolean(), dt: dtArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('priority' as const), cp: cpIdx, letter: letterArb, on: fc.boolean(), dt: dtArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('maxA' as const),
      cp: cpIdx,
      letter: letterArb,
      max: fc.integer({ min: 6, max: 40 }),
      dt: dtArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('schedule' as const),
      enabled: fc.boolean(),
      slots: fc.array(fc.boolean(), { minLength: 24, maxLength: 24 }),
      dt: dtArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('params' as const), change: paramChangeArb, dt: dtArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('plate' as const),
      cp: cpIdx,
      letter: letterArb,
      plate: fc.oneof(fc.string({ maxLength: 40 }), fc.constant('-'), fc.constant('')),
      dt: dtArb,
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('bad' as const), which: fc.nat(9), dt: dtArb }) },
);

// ------------------------------------------------------------------------------------------
// The driver: turns generated events into core events and checks the invariants at each step
// ------------------------------------------------------------------------------------------

function badEvent(which: number, now: number): unknown {
  const cp: CpSpec = { name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1' }] };
  switch (which) {
    case 0:
      return { type: 'meter', meter: { online: true, currentA: [Number.NaN, 1, 1], timestamp: now } };
    case 1:
      return { type: 'meter', meter: { online: true, currentA: [-3, 1, 1], timestamp: now } };
    case 2:
      return { type: 'meter', meter: { online: true, currentA: ['5', 1, 1], timestamp: now } };
    case 3:
      return {
        type: 'plug',
        plug: { ...plugMsg(cp, now), plugs: [{ ...plugMsg(cp, now).plugs[0], measuredA: Number.POSITIVE_INFINITY }] },
      };
    case 4:
      return { type: 'plug', plug: null };
    case 5:
      return { type: 'plug', plug: { ...plugMsg(cp, now), index: 0 } };
    case 6:
      return { type: 'schedule', schedule: { enabled: 'yes', slots: [] } };
    case 7:
      return { type: 'plate', plugId: 999999, plate: 'X' };
    case 8:
      return { type: 'params', params: [1, 2] };
    default:
      return { type: 'explode' };
  }
}

export interface Stats {
  steps: number;
  increases: number;
  pauses: number;
  resumes: number;
  refusals: number;
  /** Plug reports that changed measurements only (no allocation, issue 13). */
  quiet: number;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}

/** What the test itself knows the meter said (R-MTR-2..4), independent of the core's bookkeeping. */
class MeterModel {
  online = false;
  lastValidAt: number | null = null;
  building: [number, number, number] = [0, 0, 0];
  /** Valid readings inside the peak window (pruned with the window in force at each reading). */
  readings: { t: number; a: [number, number, number] }[] = [];
  read(a: [number, number, number], params: SiteParams, now: number): void {
    this.online = true;
    this.lastValidAt = now;
    this.building = a;
    this.readings = this.readings.filter((r) => r.t > now - params.meterPeakWindowMin * 60000);
    this.readings.push({ t: now, a });
  }
  used(params: SiteParams, now: number): [number, number, number] {
    if (!params.analyserEnabled) return [0, 0, 0];
    const fresh = this.online && this.lastValidAt !== null && now - this.lastValidAt <= params.meterTimeoutS * 1000;
    if (fresh) return this.building;
    // R-MTR-4 amended: max(offline current, highest reading of the window before the meter was lost).
    const off = params.meterOfflineCurrentA;
    const out: [number, number, number] = [off, off, off];
    if (this.lastValidAt === null || params.meterPeakWindowMin <= 0) return out;
    for (const r of this.readings) {
      if (r.t <= this.lastValidAt - params.meterPeakWindowMin * 60000) continue;
      for (let k = 0; k < 3; k++) out[k] = Math.max(out[k], r.a[k]);
    }
    return out;
  }
}

export function runScenario(
  params: SiteParams,
  cpGens: CpGen[],
  events: Ev[],
  stats: Stats,
  opts: { freeze: boolean },
): { outputs: string[]; state: BalancerState } {
  let now = Date.UTC(2026, 5, 1, 6, 0, 0);
  let state = initialState(params, now);
  if (opts.freeze) deepFreeze(state);
  const meter = new MeterModel();
  const outputs: string[] = [];
  const cps: CpSpec[] = cpGens.map((g, k) => ({
    name: `CP${String(k + 1).padStart(2, '0')}`,
    index: k + 1,
    enabled: g.enabled,
    online: true,
    offline: { heartbeatS: g.heartbeatS, mode: g.mode, currentA: g.offlineA },
    plugs: g.plugs.map((p, j) => ({
      letter: (j === 0 ? 'A' : 'B') as PlugLetter,
      phase: p.phase,
      priority: p.priority,
      maxCurrentA: p.max,
      pilot: 'A' as PilotState,
      measuredA: 0,
    })),
  }));
  /** Last current sent per plug id (R-OFF-3 check). */
  const sent = new Map<number, number>();
  /** Measured current per plug as last reported while online (grid meter model). */
  const measured = new Map<number, number>();

  /** Time of the allocation the state describes. */
  let allocAt = now;
  const apply = (e: DlmEvent | unknown, kind: string) => {
    const before = state;
    const r = step(before, e as DlmEvent, now);
    stats.steps++;
    if (r.error !== null) {
      // (f) a refused event changes nothing
      assert.equal(r.state, before, `refused ${kind} returned a new state`);
      assert.deepEqual(r.setpoints, []);
      stats.refusals++;
      return r;
    }
    if (opts.freeze) deepFreeze(r.state);
    state = r.state;
    for (const m of r.setpoints) {
      const cp = findChargePoint(state, m.chargePoint)!;
      for (const [l, a] of Object.entries(m.plugs)) sent.set(plugId(cp.index, l as PlugLetter), a as number);
    }
    outputs.push(JSON.stringify(r.setpoints));
    checkQuiet(before, state, r, stats);
    if (r.allocated) allocAt = now;
    checkStep(before, state, kind, allocAt);
    return r;
  };

  const checkStep = (before: BalancerState, after: BalancerState, kind: string, at: number) => {
    const p = after.params;
    const phases = sitePhases(p);
    const working = phaseLimitA(p) * (1 - p.marginPct / 100);
    const building = meter.used(p, at);
    const beforeById = new Map(before.plugs.map((x) => [x.id, x]));
    for (const ph of phases) {
      const k = idx(ph);
      const reserved = after.view.reservedA[k];
      // R-OFF-3: the core reserves at least what each offline charge point's mode lets it draw.
      let lower = 0;
      for (const q of after.plugs) {
        const cp = chargePointOf(after, q);
        if (q.phase !== ph || !cpOffline(cp, at)) continue;
        const last = sent.get(q.id) ?? 0;
        const off = Math.min(cp.offline.currentA, q.maxCurrentA);
        lower +=
          cp.offline.mode === 0 ? 0 : cp.offline.mode === 1 ? last : cp.offline.mode === 2 ? (last > 0 ? Math.min(last, off) : 0) : off;
      }
      assert.ok(reserved >= lower - EPS, `${ph}: reserved ${reserved} < ${lower} that offline charge points may draw`);
      const usable = Math.max(0, working - building[k] - reserved);
      let spSum = 0;
      let effAfter = 0;
      let rose = false;
      for (const q of after.plugs) {
        if (q.phase !== ph || cpOffline(chargePointOf(after, q), at)) continue;
        spSum += q.setpointA;
        effAfter += effectiveA(q, at);
        const prev = beforeById.get(q.id);
        const prevCp = prev && chargePointOf(before, prev);
        if (prev && prevCp && !cpOffline(prevCp, at) && effectiveA(q, at) > effectiveA(prev, at) + EPS) rose = true;
      }
      // (a) R-ALLOC-9 on setpoints: building + reserved + setpoints within the working limit.
      assert.ok(
        spSum <= usable + EPS,
        `${ph} after ${kind}: setpoints ${spSum} > usable ${usable} (limit ${working}, building ${building[k]}, reserved ${reserved})`,
      );
      // (a) counting reduced plugs at their old setpoint until the reaction delay has passed:
      // whenever the step lets a plug draw more, everything that may be drawn fits the limit.
      if (rose) assert.ok(effAfter <= usable + EPS, `${ph} after ${kind}: a plug may draw more while ${effAfter} > usable ${usable}`);
    }
    const prioNow = after.view.priorityActive;
    const samePrio = before.view.priorityActive === prioNow;
    const groups = new Map<string, { active: number[]; waiting: number[]; paused: number[]; resumed: number[] }>();
    for (const q of after.plugs) {
      const cp = chargePointOf(after, q);
      if (cpOffline(cp, at)) continue;
      // (b) no setpoint between 0 and I_min, none above the plug maximum (R-SITE-3, R-ALLOC-3)
      if (q.setpointA > 0) {
        assert.ok(q.setpointA >= p.minCurrentA - EPS, `plug ${q.id}: ${q.setpointA} A below I_min ${p.minCurrentA}`);
        assert.ok(q.setpointA <= q.maxCurrentA + EPS, `plug ${q.id}: ${q.setpointA} A above its max ${q.maxCurrentA}`);
      }
      const status = plugStatus(cp, q, p, at);
      if ((status !== 'CHARGING' && status !== 'PAUSED') || q.queued || !q.phase) continue;
      const prev = beforeById.get(q.id);
      const g = `${q.phase}|${prioNow && q.priority ? 'P' : 'N'}`;
      if (!groups.has(g)) groups.set(g, { active: [], waiting: [], paused: [], resumed: [] });
      const grp = groups.get(g)!;
      (q.setpointA > 0 ? grp.active : grp.waiting).push(q.id);
      const prevCp = prev && chargePointOf(before, prev);
      // a charge point back from offline was paused by its own offline mode, not by the balancer
      if (prev && prevCp && !cpOffline(prevCp, at) && prev.priority === q.priority) {
        if (prev.setpointA > 0 && q.setpointA === 0 && !prev.queued) grp.paused.push(q.id);
        if (prev.setpointA === 0 && q.setpointA > 0) grp.resumed.push(q.id);
      }
    }
    if (kind === 'params' || !samePrio) return; // a new I_min or a group change re-sorts everything
    for (const [g, grp] of groups) {
      // (c) pauses go highest id first, resumes lowest id first, within a group and phase
      for (const id of grp.paused) {
        stats.pauses++;
        for (const a of grp.active) assert.ok(a < id, `${g}: paused ${id} while ${a} keeps charging`);
      }
      for (const id of grp.resumed) {
        stats.resumes++;
        for (const w of grp.waiting) assert.ok(w > id, `${g}: resumed ${id} while ${w} waits`);
      }
      // Several may resume in one step (issue 13: batches, in order); the check above keeps the order.
    }
  };

  /** A report that changes anything but measurements allocates at once (issue 13). */
  const sendReport = reportChecker((plug) => apply({ type: 'plug', plug }, 'plug'));
  const report = (cp: CpSpec) => sendReport(plugMsg(cp, now));

  for (const cp of cps) report(cp);
  for (const e of events) {
    now += e.dt;
    const cp = 'cp' in e ? cps[e.cp % cps.length] : undefined;
    const plugOf = (letter: PlugLetter) => cp!.plugs.find((x) => x.letter === letter) ?? cp!.plugs[0];
    const setPlug = (letter: PlugLetter, change: object) => {
      const target = plugOf(letter);
      cp!.plugs = cp!.plugs.map((x) => (x === target ? { ...x, ...change } : x));
    };
    switch (e.k) {
      case 'tick':
        apply({ type: 'tick' }, 'tick');
        break;
      case 'meter': {
        let a: [number, number, number] = [e.a[0], e.a[1], e.a[2]];
        if (state.params.meterPosition === 'grid') {
          const ev = [0, 0, 0];
          for (const q of state.plugs) if (q.phase) ev[idx(q.phase)] += measured.get(q.id) ?? 0;
          a = [Math.max(0, a[0] - ev[0]), Math.max(0, a[1] - ev[1]), Math.max(0, a[2] - ev[2])];
        }
        const saved = { ...meter };
        meter.read(a, state.params, now);
        const r = apply({ type: 'meter', meter: { online: true, currentA: [e.a[0], e.a[1], e.a[2]], timestamp: now } }, 'meter');
        if (r.error !== null) Object.assign(meter, saved);
        break;
      }
      case 'meterLost':
        meter.online = false;
        apply({ type: 'meter', meter: { online: false, timestamp: now } }, 'meterLost');
        break;
      case 'pilot':
        setPlug(e.letter, { pilot: e.pilot, ...(e.pilot === 'A' ? { measuredA: 0 } : {}) });
        break;
      case 'measured': {
        const q = plugOf(e.letter);
        const id = plugId(cp!.index, q.letter);
        const sp = state.plugs.find((x) => x.id === id)?.setpointA ?? 0;
        setPlug(e.letter, { measuredA: Math.round(sp * e.frac * 10) / 10 });
        break;
      }
      case 'online':
        cp!.online = e.on;
        break;
      case 'enable':
        cp!.enabled = e.on;
        break;
      case 'priority':
        setPlug(e.letter, { priority: e.on });
        break;
      case 'maxA':
        setPlug(e.letter, { maxCurrentA: e.max });
        break;
      case 'schedule':
        apply({ type: 'schedule', schedule: { enabled: e.enabled, slots: e.slots } }, 'schedule');
        continue;
      case 'params':
        apply({ type: 'params', params: e.change }, 'params');
        continue;
      case 'plate':
        apply({ type: 'plate', plugId: plugId(cp!.index, plugOf(e.letter).letter), plate: e.plate }, 'plate');
        continue;
      case 'bad': {
        const r = step(state, badEvent(e.which, now) as DlmEvent, now);
        stats.steps++;
        assert.equal(typeof r.error, 'string', `bad event ${e.which} accepted`);
        assert.equal(r.state, state);
        stats.refusals++;
        continue;
      }
    }
    if (cp) {
      const r = report(cp);
      if (r.error === null && cp.online) for (const q of cp.plugs) measured.set(plugId(cp.index, q.letter), q.measuredA ?? 0);
    }
  }
  return { outputs, state };
}

/** The plug message a live device would send now, from what the core knows of it. */
export function reportOf(state: BalancerState, name: string, now: number) {
  const cp = findChargePoint(state, name)!;
  return {
    chargePoint: name,
    index: cp.index,
    address: cp.address,
    enabled: cp.enabled,
    online: true,
    offline: cp.offline,
    plugs: cp.letters.map((l) => {
      const q = state.plugs.find((x) => x.id === plugId(cp.index, l))!;
      return {
        letter: l,
        id: q.id,
        phase: q.phase,
        priority: q.priority,
        maxCurrentA: q.maxCurrentA,
        pilot: q.pilot,
        measuredA: q.measuredA,
        energyWh: q.energyWh,
        plate: q.reportedPlate,
      };
    }),
    timestamp: now,
  };
}
