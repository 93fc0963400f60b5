/**
 * The balancer's status (topic "status", SPEC §8 R-MON-1/2/4): built from the state on demand so
 * the step stays fast on large sites.
 */
import { averageA, meterOnline } from './meter';
import { chargePointOf, configError, cpOffline, plugStatus, sitePhases, type BalancerState, type PlugState } from './balancer';
import type { AnalyserView, PerPhase, PhaseConsumption, PlugView, StatusMessage, TransactionRecord } from './types';

const r2 = (x: number) => Math.round(x * 100) / 100;

/** Why a plug has 0 A, in words (for the dashboard), or null when it charges or has no vehicle. */
function reasonOf(state: BalancerState, p: PlugState, now: number): string | null {
  const cp = chargePointOf(state, p);
  const status = plugStatus(cp, p, state.params, now);
  switch (status) {
    case 'DISABLED': return 'charge point disabled';
    case 'ERR_CFG': return configError(cp, p, state.params);
    case 'OFFLINE': return `no contact: offline mode ${cp.offline.mode}`;
    case 'FAULTED': return p.fault || `pilot state ${p.pilot}`;
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
    };
  });
}

/** The full status message at `now`. */
export function statusOf(state: BalancerState, now: number): StatusMessage {
  const params = state.params;
  const v = state.view;
  const phases = sitePhases(params);
  const online = meterOnline(state.meter, params, now);
  const avg = averageA(state.meter, params, now);
  const consumption: PerPhase<PhaseConsumption> = {};
  const analyser: AnalyserView = {
    enabled: params.analyserEnabled,
    online,
    position: params.meterPosition,
    offlineCurrentA: params.meterOfflineCurrentA,
    lastReadingAt: state.meter.lastValidAt,
    realtimeA: {},
    averageA: {},
    usedA: {},
    limitA: {},
    workingLimitA: {},
    marginPct: params.marginPct,
  };
  let evW = 0;
  let buildingW = 0;
  phases.forEach((ph) => {
    const k = ph === 'L1' ? 0 : ph === 'L2' ? 1 : 2;
    let evA = 0;
    let evSetpointA = 0;
    for (const p of state.plugs) {
      if (p.phase !== ph) continue;
      if (cpOffline(chargePointOf(state, p), now)) continue;
      evA += p.measuredA;
      evSetpointA += p.setpointA;
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
    analyser.limitA[ph] = r2(v.limitA);
    analyser.workingLimitA[ph] = r2(v.workingLimitA);
    evW += evA * params.voltageV;
    buildingW += buildingA * params.voltageV;
  });
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
    power: {
      buildingW: Math.round(buildingW),
      evW: Math.round(evW),
      totalW: Math.round(buildingW + evW),
      contractedW: params.contractedKW * 1000,
    },
    transactions: state.recentTransactions.concat(open),
  };
}
