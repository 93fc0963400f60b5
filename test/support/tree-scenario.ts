/**
 * Driver of the property tests of the real site model (issue 11, SPEC §10): random trees of boards
 * (depth ≤ 4), mixed single- and three-phase plugs with random rotations, vehicles drawing on
 * some of their phases, board meters, random event orders. The driver keeps its own model of what
 * every meter said, which plug is on which board and line, what each vehicle last drew on which
 * line, and what was sent, and checks R-ALLOC-9 on every board and line at every step against
 * that model — not against the core's bookkeeping.
 */
import { strict as assert } from 'assert';
import fc from 'fast-check';
import { initialState, step } from '../../lib/core/balancer';
import { chargePointOf, cpOffline, effectiveA, type BalancerState, type DlmEvent } from '../../lib/core/state';
import { plugId } from '../../lib/shared/ids';
import { DEFAULT_PARAMS, PHASE_IDLE_A } from '../../lib/shared/params';
import {
  ROTATIONS,
  SITE_BOARD,
  type BoardConfig,
  type OfflineMode,
  type Phase,
  type PilotState,
  type PlugLetter,
  type Rotation,
  type SiteParams,
} from '../../lib/shared/types';
import { checkQuiet, reportChecker } from './quiet';
import { plugMsg, type CpSpec } from './site';

const EPS = 1e-6;
const LINES: Phase[] = ['L1', 'L2', 'L3'];
const LINE_OF: Record<string, Phase> = { R: 'L1', S: 'L2', T: 'L3' };

export interface TreeStats {
  steps: number;
  boards: number;
  threePhasePlugs: number;
  partialDraws: number;
  trimmedSpread: number;
  /** Plug reports that changed measurements only (no allocation, issue 13). */
  quiet: number;
}

// ------------------------------------------------------------------------------------------
// Generators
// ------------------------------------------------------------------------------------------

export const treeParamsArb: fc.Arbitrary<SiteParams> = fc
  .record({
    supplyPhases: fc.constantFrom(3 as const, 3 as const, 3 as const, 1 as const),
    mccbA: fc.integer({ min: 20, max: 400 }),
    contractedKW: fc.integer({ min: 10, max: 300 }),
    minCurrentA: fc.constantFrom(6, 8),
    resolutionA: fc.constantFrom(1, 0.5),
    marginPct: fc.integer({ min: 0, max: 20 }),
    reactionDelayS: fc.integer({ min: 0, max: 6 }),
    minPauseS: fc.integer({ min: 0, max: 40 }),
    resumeHysteresisA: fc.constantFrom(0, 1),
    minIncreaseA: fc.constantFrom(0, 1),
    stateBDetection: fc.boolean(),
    analyserEnabled: fc.boolean().map((b) => b || Math.random() < 0.7),
    meterOfflineCurrentA: fc.integer({ min: 0, max: 40 }),
    meterPeakWindowMin: fc.constantFrom(0, 1),
    meterTimeoutS: fc.integer({ min: 2, max: 8 }),
    unbalanceLimitA: fc.oneof(fc.constant(0), fc.integer({ min: 5, max: 40 })),
    phaseSettleS: fc.integer({ min: 5, max: 40 }),
  })
  .map((r) => ({ ...DEFAULT_PARAMS, ...r }));

export interface BoardGen {
  /** Position of the parent among the earlier boards; −1 = the site. */
  parent: number;
  limitA: number;
  marginPct: number | null;
  hasMeter: boolean;
  otherLoadA: number;
}

/** Up to 7 boards; each hangs on the site or an earlier board, never deeper than 4 levels. */
export const boardsArb: fc.Arbitrary<BoardConfig[]> = fc
  .array(
    fc.record({
      parent: fc.integer({ min: -1, max: 6 }),
      limitA: fc.integer({ min: 10, max: 160 }),
      marginPct: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 25 })),
      hasMeter: fc.boolean(),
      otherLoadA: fc.integer({ min: 0, max: 15 }),
    }),
    { maxLength: 7 },
  )
  .map((gens) => {
    const depth: number[] = [];
    return gens.map((g, j) => {
      let parent = g.parent < j ? g.parent : -1;
      if (parent >= 0 && depth[parent] >= 4) parent = -1;
      depth[j] = parent < 0 ? 1 : depth[parent] + 1;
      return {
        name: `B${j + 1}`,
        parent: parent < 0 ? SITE_BOARD : `B${parent + 1}`,
        limitA: g.limitA,
        marginPct: g.marginPct,
        hasMeter: g.hasMeter,
        otherLoadA: g.otherLoadA,
      };
    });
  });

export interface TreeCpGen {
  board: number;
  rotation: Rotation;
  plugs: { phases: 1 | 3; phase: Phase; priority: boolean; max: number }[];
  mode: OfflineMode;
  heartbeatS: number;
  offlineA: number;
  enabled: boolean;
}

export const treeCpArb: fc.Arbitrary<TreeCpGen> = fc.record({
  board: fc.integer({ min: -1, max: 6 }),
  rotation: fc.constantFrom(...ROTATIONS),
  plugs: fc.array(
    fc.record({
      phases: fc.constantFrom(1 as const, 3 as const),
      phase: fc.constantFrom(...LINES),
      priority: fc.boolean(),
      max: fc.oneof(fc.constant(32), fc.constant(16), fc.integer({ min: 6, max: 40 })),
    }),
    { minLength: 1, maxLength: 2 },
  ),
  mode: fc.constantFrom<OfflineMode>(0, 1, 2, 3),
  heartbeatS: fc.constantFrom(10, 30, 120),
  offlineA: fc.constantFrom(6, 8, 16),
  enabled: fc.boolean().map((b) => b || Math.random() < 0.85),
});

export type TreeEv =
  | { k: 'tick'; dt: number }
  | { k: 'meter'; a: [number, number, number]; dt: number }
  | { k: 'boardMeter'; board: number; a: [number, number, number]; dt: number }
  | { k: 'meterLost'; dt: number }
  | { k: 'pilot'; cp: number; letter: PlugLetter; pilot: PilotState; dt: number }
  /** The vehicle draws `frac` of its setpoint on the charger phases of `mask` (bit j = phase j+1). */
  | { k: 'draw'; cp: number; letter: PlugLetter; mask: number; frac: number; dt: number }
  | { k: 'online'; cp: number; on: boolean; dt: number }
  | { k: 'params'; change: Record<string, unknown>; dt: number };

const dtArb = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: 0, max: 3000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 20_000, max: 300_000 }) },
);
const amps = (max: number) => fc.tuple(fc.integer({ min: 0, max }), fc.integer({ min: 0, max }), fc.integer({ min: 0, max }));
const cpIdx = fc.nat(1000);
const letterArb = fc.constantFrom<PlugLetter>('A', 'B');

export const treeEvArb: fc.Arbitrary<TreeEv> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ k: fc.constant('tick' as const), dt: dtArb }) },
  { weight: 8, arbitrary: fc.record({ k: fc.constant('meter' as const), a: amps(120), dt: dtArb }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('boardMeter' as const), board: fc.nat(6), a: amps(40), dt: dtArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('meterLost' as const), dt: dtArb }) },
  {
    weight: 12,
    arbitrary: fc.record({
      k: fc.constant('pilot' as const),
      cp: cpIdx,
      letter: letterArb,
      pilot: fc.constantFrom<PilotState>('A', 'B', 'C', 'C', 'C', 'C', 'E'),
      dt: dtArb,
    }),
  },
  {
    weight: 12,
    arbitrary: fc.record({
      k: fc.constant('draw' as const),
      cp: cpIdx,
      letter: letterArb,
      mask: fc.constantFrom(1, 1, 7, 7, 3, 2, 4, 5, 6),
      frac: fc.constantFrom(0, 0.5, 0.9, 1, 1),
      dt: dtArb,
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('online' as const), cp: cpIdx, on: fc.boolean(), dt: dtArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('params' as const),
      change: fc.oneof(
        fc.record({ marginPct: fc.integer({ min: 0, max: 30 }) }),
        fc.record({ mccbA: fc.integer({ min: 10, max: 400 }) }),
        fc.record({ unbalanceLimitA: fc.integer({ min: 0, max: 30 }) }),
        fc.record({ reactionDelayS: fc.integer({ min: 0, max: 8 }) }),
      ),
      dt: dtArb,
    }),
  },
);

// ------------------------------------------------------------------------------------------
// The test's own model of the meters
// ------------------------------------------------------------------------------------------

/** A meter as the test knows it: fresh readings count as read; otherwise `lost` (a lower bound of the core's assumption). */
class MeterModel {
  online = false;
  at: number | null = null;
  a: [number, number, number] = [0, 0, 0];
  used(timeoutS: number, now: number, lost: number): [number, number, number] {
    const fresh = this.online && this.at !== null && now - this.at <= timeoutS * 1000;
    return fresh ? this.a : [lost, lost, lost];
  }
}

// ------------------------------------------------------------------------------------------
// The driver
// ------------------------------------------------------------------------------------------

export function runTreeScenario(
  params: SiteParams,
  boards: BoardConfig[],
  gens: TreeCpGen[],
  events: TreeEv[],
  stats: TreeStats,
): BalancerState {
  let now = Date.UTC(2026, 5, 1, 6, 0, 0);
  let state = initialState(params, now, boards);
  assert.deepEqual(state.errors, [], 'generated boards are valid');
  stats.boards += boards.length;
  const site = new MeterModel();
  const boardMeters = boards.map(() => new MeterModel());
  const parentOf = boards.map((b) => (b.parent === SITE_BOARD ? -1 : Number(b.parent.slice(1)) - 1));
  const cps: (CpSpec & { boardPos: number })[] = gens.map((g, k) => {
    const boardPos = g.board >= 0 && g.board < boards.length ? g.board : -1;
    return {
      name: `CP${String(k + 1).padStart(2, '0')}`,
      index: k + 1,
      enabled: g.enabled,
      online: true,
      rotation: g.rotation,
      board: boardPos < 0 ? undefined : boards[boardPos].name,
      boardPos,
      offline: { heartbeatS: g.heartbeatS, mode: g.mode, currentA: g.offlineA },
      plugs: g.plugs.map((p, j) => ({
        letter: (j === 0 ? 'A' : 'B') as PlugLetter,
        phase: p.phase,
        phases: p.phases,
        priority: p.priority,
        maxCurrentA: p.max,
        pilot: 'A' as PilotState,
        measuredA: 0,
      })),
    };
  });
  for (const cp of cps) for (const p of cp.plugs) if (p.phases === 3) stats.threePhasePlugs++;
  const sent = new Map<number, number>();
  /** Lines each plug's vehicle last drew on (≥ PHASE_IDLE_A), as the test reported them. */
  const drawing = new Map<number, Set<Phase>>();

  const wiredOf = (cp: CpSpec, p: CpSpec['plugs'][number]): Phase[] =>
    p.phases === 3 ? [...cp.rotation!].map((c) => LINE_OF[c]) : [p.phase as Phase];

  const check = (before: BalancerState, after: BalancerState, kind: string, at: number) => {
    const pr = after.params;
    const supply: Phase[] = pr.supplyPhases === 3 ? LINES : ['L1'];
    const nB = boards.length + 1;
    // Per board (0 = site) and line: setpoints, what may be drawn, the reservations' lower bound.
    const sp = Array.from({ length: nB }, () => [0, 0, 0]);
    const eff = Array.from({ length: nB }, () => [0, 0, 0]);
    const lower = Array.from({ length: nB }, () => [0, 0, 0]);
    const rose = Array.from({ length: nB }, () => [false, false, false]);
    const beforeById = new Map(before.plugs.map((x) => [x.id, x]));
    for (const cp of cps) {
      const cs = after.chargePoints.find((c) => c.name === cp.name);
      if (!cs) continue;
      const chain: number[] = [];
      for (let b = cp.boardPos; b >= 0; b = parentOf[b]) chain.push(b + 1);
      chain.push(0);
      const off = cpOffline(cs, at);
      for (const spec of cp.plugs) {
        const id = plugId(cp.index, spec.letter);
        const q = after.plugs.find((x) => x.id === id);
        if (!q) continue;
        const wired = wiredOf(cp, spec).filter((ph) => supply.includes(ph));
        if (off) {
          const last = sent.get(id) ?? 0;
          const o = Math.min(cs.offline.currentA, q.maxCurrentA);
          const m = cs.offline.mode;
          const a = m === 0 ? 0 : m === 1 ? last : m === 2 ? (last > 0 ? Math.min(last, o) : 0) : o;
          for (const ph of wired) for (const b of chain) lower[b][LINES.indexOf(ph)] += a;
          continue;
        }
        // R-3PH-3: counted at least on every wired line the vehicle draws on at, never on lines it is not wired to.
        const counted = q.drawLines ?? q.lines;
        for (const ph of counted) assert.ok(wiredOf(cp, spec).includes(ph), `plug ${id} counted on ${ph}, not wired there`);
        for (const ph of drawing.get(id) ?? [])
          assert.ok(counted.includes(ph), `plug ${id} draws on ${ph} but is not counted there (${kind})`);
        if (counted.length < q.lines.length) stats.partialDraws++;
        if (q.setpointA > 0) {
          assert.ok(q.setpointA >= pr.minCurrentA - EPS, `plug ${id}: ${q.setpointA} A below I_min`);
          assert.ok(q.setpointA <= q.maxCurrentA + EPS, `plug ${id}: ${q.setpointA} A above its max`);
        }
        const prev = beforeById.get(id);
        const prevCp = prev && chargePointOf(before, prev);
        const rises = !!prev && !!prevCp && !cpOffline(prevCp, at) && effectiveA(q, at) > effectiveA(prev, at) + EPS;
        for (const ph of counted) {
          if (!supply.includes(ph)) continue;
          for (const b of chain) {
            if (rises) rose[b][LINES.indexOf(ph)] = true;
            sp[b][LINES.indexOf(ph)] += q.setpointA;
            eff[b][LINES.indexOf(ph)] += effectiveA(q, at);
          }
        }
      }
    }
    // Non-EV load per board as the test knows it: its own (meter or assumption) plus its sub-boards'.
    const other = Array.from({ length: nB }, () => [0, 0, 0]);
    for (let j = boards.length - 1; j >= 0; j--) {
      const own = boards[j].hasMeter
        ? boardMeters[j].used(pr.meterTimeoutS, at, boards[j].otherLoadA)
        : [boards[j].otherLoadA, boards[j].otherLoadA, boards[j].otherLoadA];
      // Sub-boards come after their parent: theirs are already in other[j + 1].
      for (let k = 0; k < 3; k++) other[j + 1][k] += own[k];
      if (parentOf[j] >= 0) for (let k = 0; k < 3; k++) other[parentOf[j] + 1][k] += other[j + 1][k];
    }
    other[0] = pr.analyserEnabled ? site.used(pr.meterTimeoutS, at, pr.meterOfflineCurrentA) : [0, 0, 0];
    const limitA = Math.min(pr.mccbA, (pr.contractedKW * 1000) / (pr.voltageV * pr.supplyPhases));
    for (let b = 0; b < nB; b++) {
      const cfg = b === 0 ? null : boards[b - 1];
      const working = cfg ? cfg.limitA * (1 - (cfg.marginPct ?? pr.marginPct) / 100) : limitA * (1 - pr.marginPct / 100);
      const view = after.view.boards.find((x) => x.name === (b === 0 ? SITE_BOARD : cfg!.name))!;
      assert.ok(view, `board ${b} in the view`);
      for (const ph of supply) {
        const k = LINES.indexOf(ph);
        const reserved = view.reservedA[k];
        assert.ok(reserved >= lower[b][k] - EPS, `${view.name} ${ph}: reserved ${reserved} < ${lower[b][k]} offline chargers may draw`);
        const usable = Math.max(0, working - other[b][k] - reserved);
        // R-ALLOC-9 on every board and line (R-CIRC-1): setpoints within what the board has.
        assert.ok(sp[b][k] <= usable + EPS, `${view.name} ${ph} after ${kind}: setpoints ${sp[b][k]} > usable ${usable}`);
        // Whenever a plug on it may draw more, everything that may be drawn there fits too (R-ALLOC-7).
        if (rose[b][k])
          assert.ok(eff[b][k] <= usable + EPS, `${view.name} ${ph} after ${kind}: ${eff[b][k]} may be drawn > usable ${usable}`);
      }
    }
    if (after.params.unbalanceLimitA > 0 && after.view.spreadA <= after.params.unbalanceLimitA + EPS) stats.trimmedSpread++;
  };

  /** Time of the allocation the state describes. */
  let allocAt = now;
  const apply = (e: DlmEvent, kind: string) => {
    const before = state;
    const r = step(before, e, now);
    stats.steps++;
    if (r.error !== null) {
      assert.equal(r.state, before, `refused ${kind} returned a new state`);
      return r;
    }
    state = r.state;
    for (const m of r.setpoints) {
      const c = state.chargePoints.find((x) => x.name === m.chargePoint)!;
      for (const [l, a] of Object.entries(m.plugs)) sent.set(plugId(c.index, l as PlugLetter), a as number);
    }
    checkQuiet(before, state, r, stats);
    if (r.allocated) allocAt = now;
    check(before, state, kind, allocAt);
    return r;
  };
  /** A report that changes anything but measurements allocates at once (issue 13). */
  const sendReport = reportChecker((plug) => apply({ type: 'plug', plug }, 'plug'));
  const report = (cp: CpSpec) => sendReport(plugMsg(cp, now));

  for (const cp of cps) report(cp);
  for (const e of events) {
    now += e.dt;
    const cp = 'cp' in e ? cps[e.cp % cps.length] : undefined;
    const plugOf = (letter: PlugLetter) => cp!.plugs.find((x) => x.letter === letter) ?? cp!.plugs[0];
    switch (e.k) {
      case 'tick':
        apply({ type: 'tick' }, 'tick');
        continue;
      case 'meter':
        site.online = true;
        site.at = now;
        site.a = e.a;
        apply({ type: 'meter', meter: { online: true, currentA: e.a, timestamp: now } }, 'meter');
        continue;
      case 'boardMeter': {
        if (boards.length === 0) continue;
        const j = e.board % boards.length;
        const r = step(state, { type: 'meter', meter: { online: true, currentA: e.a, timestamp: now, board: boards[j].name } }, now);
        if (!boards[j].hasMeter) {
          assert.match(String(r.error), /no meter configured/);
          stats.steps++;
          continue;
        }
        boardMeters[j].online = true;
        boardMeters[j].at = now;
        boardMeters[j].a = e.a;
        apply({ type: 'meter', meter: { online: true, currentA: e.a, timestamp: now, board: boards[j].name } }, 'boardMeter');
        continue;
      }
      case 'meterLost':
        site.online = false;
        apply({ type: 'meter', meter: { online: false, timestamp: now } }, 'meterLost');
        continue;
      case 'pilot': {
        const q = plugOf(e.letter);
        cp!.plugs = cp!.plugs.map((x) =>
          x === q ? { ...x, pilot: e.pilot, ...(e.pilot === 'A' ? { measuredA: 0, phaseCurrentsA: undefined } : {}) } : x,
        );
        if (e.pilot === 'A') drawing.delete(plugId(cp!.index, q.letter));
        break;
      }
      case 'draw': {
        const q = plugOf(e.letter);
        const id = plugId(cp!.index, q.letter);
        const spA = state.plugs.find((x) => x.id === id)?.setpointA ?? 0;
        const a = Math.round(spA * e.frac * 10) / 10;
        if (q.phases === 3) {
          const pc: [number, number, number] = [0, 1, 2].map((j) => (e.mask & (1 << j) ? a : 0)) as [number, number, number];
          cp!.plugs = cp!.plugs.map((x) => (x === q ? { ...x, measuredA: Math.max(...pc), phaseCurrentsA: pc } : x));
        } else cp!.plugs = cp!.plugs.map((x) => (x === q ? { ...x, measuredA: a } : x));
        break;
      }
      case 'online':
        cp!.online = e.on;
        break;
      case 'params':
        apply({ type: 'params', params: e.change }, 'params');
        continue;
    }
    if (cp) {
      const r = report(cp);
      if (r.error === null && cp.online)
        for (const q of cp.plugs) {
          const id = plugId(cp.index, q.letter);
          if (q.phases !== 3 || !q.phaseCurrentsA || q.pilot === 'A') {
            drawing.delete(id);
            continue;
          }
          const lines = wiredOf(cp, q);
          drawing.set(id, new Set(lines.filter((_, j) => q.phaseCurrentsA![j] >= PHASE_IDLE_A)));
        }
    }
  }
  return state;
}
