/**
 * Checks of everything that reaches the balancer (R-ERR-1): events, and a stored state before it
 * is restored (R-ERR-2). Each returns the problem in words, or null.
 */
import { plugId as plugIdOf, validatePlate } from './chargepoint';
import { validateMeterMessage } from './meter';
import { isValidTimeZone, mergeParams, validateOffline, validateParams } from './params';
import { validateSchedule } from './schedule';
import { chargePointAt, cpPosition, findPlug, STATE_VERSION, type BalancerState } from './state';
import type { Phase, PilotState, PlugLetter } from './types';
import { PHASES, PILOT_STATES } from './types';

/**
 * A stored state checked before use (R-ERR-2): the same version, the expected shape, valid
 * parameters, charge points sorted by index and every plug's charge point present. Returns the
 * problem, or null when the state can be used as it is. A state that fails is not repaired.
 */
export function restoreProblem(x: unknown): string | null {
  if (x === null || typeof x !== 'object') return 'not an object';
  const st = x as Partial<BalancerState>;
  if (st.version !== STATE_VERSION) return `stored state version ${String(st.version)}, expected ${STATE_VERSION}`;
  if (!st.params || validateParams(st.params).length) return 'stored parameters are invalid';
  if (!Array.isArray(st.chargePoints) || !Array.isArray(st.plugs) || !Array.isArray(st.recentTransactions)) return 'stored state has the wrong shape';
  if (!st.meter || !st.schedule || !st.view || validateSchedule(st.schedule).length) return 'stored state has the wrong shape';
  for (let i = 1; i < st.chargePoints.length; i++) {
    if (!(st.chargePoints[i - 1].index < st.chargePoints[i].index)) return 'stored charge points are not sorted by index';
  }
  for (let i = 0; i < st.plugs.length; i++) {
    const p = st.plugs[i];
    if (i > 0 && !(st.plugs[i - 1].id < p.id)) return 'stored plugs are not sorted by id';
    if (cpPosition(st.chargePoints, (p.id + 1) >> 1) < 0) return `stored plug ${p.id} has no charge point`;
  }
  return null;
}



/** The error of an unacceptable plate (R-CP-6), or null. */
export function plateError(x: unknown): string | null {
  const r = validatePlate(x);
  return r.ok ? null : r.error;
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const MAX_A = 10000;

function validatePlugMessage(m: unknown, state: BalancerState): string | null {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return 'plug payload must be an object';
  const p = m as Record<string, unknown>;
  if (typeof p.chargePoint !== 'string' || !p.chargePoint.trim() || p.chargePoint.length > 64) {
    return 'plug.chargePoint must be a non-empty name (≤ 64 characters)';
  }
  if (!Number.isInteger(p.index) || (p.index as number) < 1 || (p.index as number) > 100000) {
    return 'plug.index must be a whole number from 1 to 100000 (CP01 → 1)';
  }
  if (typeof p.enabled !== 'boolean') return 'plug.enabled must be true or false';
  if (typeof p.online !== 'boolean') return 'plug.online must be true or false';
  if (p.address !== undefined && typeof p.address !== 'string') return 'plug.address must be text';
  if (p.devicePlugs !== undefined && p.devicePlugs !== null && !(p.devicePlugs === 1 || p.devicePlugs === 2)) {
    return 'plug.devicePlugs must be 1 or 2';
  }
  const offErr = validateOffline(p.offline);
  if (offErr.length) return offErr.join('; ');
  if (!Array.isArray(p.plugs) || p.plugs.length > 2) return 'plug.plugs must be an array of at most 2 plugs';
  const seen = new Set<string>();
  for (const r of p.plugs as unknown[]) {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) return 'each plug report must be an object';
    const q = r as Record<string, unknown>;
    if (q.letter !== 'A' && q.letter !== 'B') return 'plug letter must be "A" or "B"';
    if (seen.has(q.letter)) return `plug ${q.letter} reported twice`;
    seen.add(q.letter);
    const expectId = plugIdOf(p.index as number, q.letter);
    if (q.id !== expectId) return `plug ${p.chargePoint} ${q.letter} must have id ${expectId} (R-CP-2), not ${String(q.id)}`;
    if (q.phase !== null && !PHASES.includes(q.phase as Phase)) return 'plug phase must be "L1", "L2", "L3" or null';
    if (typeof q.priority !== 'boolean') return 'plug priority must be true or false';
    if (!isNum(q.maxCurrentA) || q.maxCurrentA < 0 || q.maxCurrentA > MAX_A) return 'plug maxCurrentA must be a current in A';
    if (!PILOT_STATES.includes(q.pilot as PilotState)) return 'plug pilot must be one of A, B, C, D, E, F';
    if (!isNum(q.measuredA) || q.measuredA < 0 || q.measuredA > MAX_A) return 'plug measuredA must be a current from 0 to 10000 A';
    if (!isNum(q.energyWh) || q.energyWh < 0) return 'plug energyWh must be a number ≥ 0';
    if (q.fault !== undefined && q.fault !== null && typeof q.fault !== 'string') return 'plug fault must be text';
    if (q.followsLimits !== undefined && typeof q.followsLimits !== 'boolean') return 'plug followsLimits must be true or false';
    const pe = plateError(q.plate);
    if (pe) return pe;
  }
  // Indexes are unique: plug ids derive from them (R-CP-2).
  const sameIndex = chargePointAt(state, p.index as number);
  if (sameIndex && sameIndex.name !== p.chargePoint) {
    return `index ${p.index} already belongs to ${sameIndex.name}: give ${p.chargePoint} another index`;
  }
  // Plug ids are fixed by the index (R-CP-2): two charge points may not claim the same ones.
  for (const r of p.plugs as { letter: PlugLetter }[]) {
    const other = findPlug(state, plugIdOf(p.index as number, r.letter));
    if (other && other.chargePoint !== p.chargePoint) {
      return `plug id ${other.id} already belongs to ${other.chargePoint}: give ${p.chargePoint} another index`;
    }
  }
  return null;
}

export function validateEvent(state: BalancerState, e: unknown): string | null {
  if (e === null || typeof e !== 'object') return 'event must be an object';
  const ev = e as { type?: unknown } & Record<string, unknown>;
  switch (ev.type) {
    case 'tick':
      return null;
    case 'meter':
      return validateMeterMessage(ev.meter);
    case 'plug':
      return validatePlugMessage(ev.plug, state);
    case 'schedule': {
      const errs = validateSchedule(ev.schedule);
      if (errs.length) return errs.join('; ');
      if (ev.timeZone !== undefined && !isValidTimeZone(ev.timeZone)) return 'schedule time zone must be an IANA time zone such as Europe/Madrid';
      return null;
    }
    case 'params': {
      const r = mergeParams(state.params, ev.params);
      return r.ok ? null : r.errors.join('; ');
    }
    case 'plate': {
      if (typeof ev.plugId !== 'number' || !Number.isInteger(ev.plugId)) return `plate.plugId must be a whole number, not ${JSON.stringify(ev.plugId) ?? 'undefined'}`;
      if (!findPlug(state, ev.plugId)) return `unknown plug id ${ev.plugId}`;
      return plateError(ev.plate);
    }
    default:
      return `unknown event type ${JSON.stringify(ev.type)}`;
  }
}

