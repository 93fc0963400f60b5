/**
 * The balancer's status (topic "status", SPEC §8 R-MON-1/2/4): built from the state on demand so
 * the step stays fast on large sites.
 */
import { averageA, meterOnline, offlineAssumptionA, recentPeakA } from './meter';
import {
  addMeasured,
  chargePointOf,
  configError,
  countedLines,
  cpOffline,
  phaseIdx,
  plugStatus,
  sitePhases,
  type BalancerState,
  type PlugState,
} from './state';
import { fallbackBudget, type BudgetChargePoint } from './budget';
import { type FallbackBudget } from '../shared/types';
import { phaseLimitA } from '../shared/params';
import {
  SITE_BOARD,
  type AnalyserView,
  type BoardView,
  type PerPhase,
  type PhaseConsumption,
  type PlugView,
  type StatusMessage,
  type TransactionRecord,
  type Triple,
} from '../shared/types';
import { cpIndexOf } from '../shared/ids';

const r2 = (x: number) => Math.round(x * 100) / 100;

/** Why a plug has 0 A, in words (for the dashboard), or null when it charges or has no vehicle. */
function reasonOf(state: BalancerState, p: PlugState, now: number): string | null {
  const cp = chargePointOf(state, p);
  const status = plugStatus(cp, p, state.params, now);
  switch (status) {
    case 'DISABLED':
      return 'charge point disabled';
    case 'ERR_CFG':
      return configError(cp, p, state.params);
    case 'OFFLINE':
      return `no contact: offline mode ${cp.offline.mode}`;
    case 'FAULTED':
      return p.fault || `pilot state ${p.pilot}`;
    case 'PAUSED':
      if (p.ignoresLimits) return 'does not follow limits: reserved at its maximum';
      if (state.errors.length) return 'site parameters invalid';
      if (p.queued) {
        return p.nextRetryAt !== null
          ? `queued: vehicle not drawing, retry ${p.retriesUsed + 1} of ${state.params.retries} at ${new Date(p.nextRetryAt).toISOString()}`
          : 'queued: vehicle not drawing, no retries left until unplugged';
      }
      return p.pausedAt !== null ? 'paused: not enough current' : 'waiting for current';
    default:
      return null;
  }
}

/** The plug list of the dashboard (R-CP-4, R-CP-6). */
export function plugViews(state: BalancerState, now: number): PlugView[] {
  return state.plugs.map((p) => {
    const cp = chargePointOf(state, p);
    return {
      id: p.id,
      chargePoint: p.chargePoint,
      letter: p.letter,
      phase: p.phase,
      priority: p.priority,
      status: plugStatus(cp, p, state.params, now),
      pilot: p.pilot,
      pluggedIn: p.pilot !== 'A' && !cpOffline(cp, now),
      setpointA: p.setpointA,
      measuredA: p.measuredA,
      maxCurrentA: p.maxCurrentA,
      energyWh: p.energyWh,
      plate: p.plate,
      queued: p.queued,
      retriesUsed: p.retriesUsed,
      reason: reasonOf(state, p, now),
      phases: p.phases,
      lines: [...p.lines],
      drawLines: [...countedLines(p)],
      board: cp.board,
    };
  });
}

/** The board tree with limit, load and headroom per line (R-CIRC-2). */
export function boardViews(state: BalancerState, now: number): BoardView[] {
  const phases = sitePhases(state.params);
  const parentOf = new Map<string, string>(state.boards.map((b) => [b.config.name, b.config.parent]));
  const boardOf = new Map(state.boards.map((b) => [b.config.name, b]));
  // Boards are kept parents first (balancer.ts treeOrder): a parent's depth is known before its children's.
  const depths = new Map<string, number>([[SITE_BOARD, 0]]);
  for (const b of state.boards) depths.set(b.config.name, (depths.get(b.config.parent) ?? 0) + 1);
  const depthOf = (name: string): number => depths.get(name) ?? 0;
  const cps = new Map<string, number>();
  for (const cp of state.chargePoints) cps.set(cp.board, (cps.get(cp.board) ?? 0) + 1);
  const perPhase = (t: Triple): PerPhase<number> => Object.fromEntries(phases.map((ph) => [ph, r2(t[phaseIdx(ph)])]));
  return state.view.boards.map((b) => {
    const board = boardOf.get(b.name);
    const load: Triple = [0, 1, 2].map((k) => b.otherA[k] + b.evA[k] + b.reservedA[k]) as Triple;
    const meter =
      b.name === SITE_BOARD
        ? { online: meterOnline(state.meter, state.params, now), lastReadingAt: state.meter.lastValidAt }
        : board?.meter
          ? { online: meterOnline(board.meter, state.params, now), lastReadingAt: board.meter.lastValidAt }
          : null;
    return {
      name: b.name,
      parent: b.name === SITE_BOARD ? null : (parentOf.get(b.name) ?? SITE_BOARD),
      depth: depthOf(b.name),
      limitA: r2(b.limitA),
      marginPct: b.marginPct,
      workingLimitA: r2(b.workingLimitA),
      meter,
      otherA: perPhase(b.otherA),
      evA: perPhase(b.evA),
      reservedA: perPhase(b.reservedA),
      loadA: perPhase(load),
      headroomA: perPhase([0, 1, 2].map((k) => b.workingLimitA - load[k]) as Triple),
      chargePoints: cps.get(b.name) ?? 0,
    };
  });
}

/**
 * The building current assumed per phase if the balancer disappears (R-SEC-4): the analyser's
 * offline assumption, max(offline current, recent peak) (R-MTR-4 amended); 0 when the analyser
 * is disabled (supply dedicated to EVs, R-MTR-3).
 */
export function fallbackBuildingA(state: BalancerState): PerPhase<number> {
  const a = state.params.analyserEnabled ? offlineAssumptionA(state.meter, state.params) : [0, 0, 0];
  return { L1: a[0], L2: a[1], L3: a[2] };
}

/** The fallback budget of the site as the balancer knows it (R-SEC-4): every charge point that has announced itself. */
export function fallbackOf(state: BalancerState, buildingA: number | PerPhase<number> = fallbackBuildingA(state)): FallbackBudget {
  const byIndex = new Map<number, BudgetChargePoint>();
  const chargePoints: BudgetChargePoint[] = state.chargePoints.map((cp) => {
    const b: BudgetChargePoint = { name: cp.name, offline: cp.offline, plugs: [] };
    byIndex.set(cp.index, b);
    return b;
  });
  for (const p of state.plugs) byIndex.get(cpIndexOf(p.id))?.plugs.push({ phase: p.phase, maxCurrentA: p.maxCurrentA, lines: p.lines });
  return fallbackBudget({ phases: sitePhases(state.params), limitA: phaseLimitA(state.params), buildingA, chargePoints });
}

/** The full status message at `now`. */
export function statusOf(state: BalancerState, now: number): StatusMessage {
  const params = state.params;
  const v = state.view;
  const { consumption, analyser, evW, buildingW } = phaseFigures(state, now);
  const open: TransactionRecord[] = state.plugs.filter((p) => p.session).map((p) => ({ ...(p.session as TransactionRecord) }));
  return {
    timestamp: now,
    errors: [...state.errors],
    priorityActive: v.priorityActive,
    schedule: { enabled: state.schedule.enabled, slots: [...state.schedule.slots], timeZone: state.schedule.timeZone ?? params.timeZone },
    table: v.table,
    consumption,
    analyser,
    plugs: plugViews(state, now),
    params: { ...params },
    deployedParams: { ...state.deployed },
    power: {
      buildingW: Math.round(buildingW),
      evW: Math.round(evW),
      totalW: Math.round(buildingW + evW),
      contractedW: params.contractedKW * 1000,
    },
    transactions: state.recentTransactions.concat(open),
    fallback: fallbackOf(state),
    boards: boardViews(state, now),
    unbalance:
      params.unbalanceLimitA > 0
        ? { limitA: params.unbalanceLimitA, spreadA: r2(v.spreadA), ok: v.spreadA <= params.unbalanceLimitA + 1e-6 }
        : null,
  };
}

/** The analyser panel without its per-phase figures (R-MON-2). */
function analyserBase(state: BalancerState, online: boolean): AnalyserView {
  const params = state.params;
  return {
    enabled: params.analyserEnabled,
    online,
    position: params.meterPosition,
    offlineCurrentA: params.meterOfflineCurrentA,
    lastReadingAt: state.meter.lastValidAt,
    realtimeA: {},
    averageA: {},
    usedA: {},
    recentPeakA: {},
    peakWindowMin: params.meterPeakWindowMin,
    lostAssumption: null,
    limitA: {},
    workingLimitA: {},
    marginPct: params.marginPct,
  };
}

/** Consumption per phase (R-MON-1), the analyser's figures (R-MON-2) and the power totals (R-MON-4). */
function phaseFigures(
  state: BalancerState,
  now: number,
): { consumption: PerPhase<PhaseConsumption>; analyser: AnalyserView; evW: number; buildingW: number } {
  const params = state.params;
  const v = state.view;
  const phases = sitePhases(params);
  const online = meterOnline(state.meter, params, now);
  const avg = averageA(state.meter, params, now);
  const peak = recentPeakA(state.meter, params);
  const consumption: PerPhase<PhaseConsumption> = {};
  const analyser = analyserBase(state, online);
  let evW = 0;
  let buildingW = 0;
  for (const ph of phases) {
    const k = phaseIdx(ph);
    let evA = 0;
    let evSetpointA = 0;
    for (const p of state.plugs) {
      if (!p.lines.includes(ph) || cpOffline(chargePointOf(state, p), now)) continue;
      const m: Triple = [0, 0, 0];
      addMeasured(p, m);
      evA += m[k];
      if (countedLines(p).includes(ph)) evSetpointA += p.setpointA;
    }
    const buildingA = v.buildingA[k];
    consumption[ph] = {
      mccbA: params.mccbA,
      limitA: r2(v.limitA),
      totalA: r2(buildingA + evA),
      buildingA: r2(buildingA),
      evA: r2(evA),
      evSetpointA: r2(evSetpointA),
      reservedA: r2(v.reservedA[k]),
    };
    analyser.realtimeA[ph] = r2(state.meter.realtimeA[k]);
    analyser.averageA[ph] = r2(avg[k]);
    analyser.usedA[ph] = r2(buildingA);
    analyser.recentPeakA[ph] = r2(peak[k]);
    analyser.limitA[ph] = r2(v.limitA);
    analyser.workingLimitA[ph] = r2(v.workingLimitA);
    evW += evA * params.voltageV;
    buildingW += buildingA * params.voltageV;
  }
  if (params.analyserEnabled && !online) analyser.lostAssumption = lostAssumptionText(analyser, phases, params.meterOfflineCurrentA);
  return { consumption, analyser, evW, buildingW };
}

/**
 * The meter-lost assumption in words (R-MTR-4 amended), e.g. "meter lost: assuming L1 40 A
 * (recent peak), L2 25 A, L3 25 A (offline current)".
 */
export function lostAssumptionText(a: Pick<AnalyserView, 'usedA' | 'recentPeakA'>, phases: readonly string[], offlineA: number): string {
  const parts = phases.map((ph) => {
    const used = a.usedA[ph as keyof typeof a.usedA] ?? 0;
    const why = used > offlineA ? 'recent peak' : 'offline current';
    return `${ph} ${used} A (${why})`;
  });
  return `meter lost: assuming ${parts.join(', ')}`;
}
