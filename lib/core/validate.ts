/**
 * Checks of everything that reaches the balancer (R-ERR-1): events. Each returns the problem in
 * words, or null. (A stored state is checked by lib/core/restore.ts, R-ERR-2.)
 */
import {
  ADDRESS_MAX_LENGTH,
  DEVICE_PLUGS_MAX,
  ENERGY_MAX_WH,
  FAULT_MAX_LENGTH,
  INDEX_MAX,
  MEASURED_MAX_A,
  NAME_MAX_LENGTH,
} from '../shared/params';
import { plugId as plugIdOf } from '../shared/ids';
import { validatePlate } from '../shared/plate';
import { validateMeterMessage } from './meter';
import { isValidTimeZone, mergeParams, PLUG_MAX_LIMITS, validateOffline } from '../shared/params';
import { validateSchedule } from '../shared/schedule';
import { chargePointAt, findPlug, type BalancerState } from './state';
import { ROTATIONS, SITE_BOARD, type Phase, type PilotState, type PlugLetter, type Rotation } from '../shared/types';
import { PHASES, PILOT_STATES } from '../shared/types';
import { describeValue } from '../shared/guard';

/** The error of an unacceptable plate (R-CP-6), or null. */
export function plateError(x: unknown): string | null {
  const r = validatePlate(x);
  return r.ok ? null : r.error;
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const inRange = (x: unknown, min: number, max: number): x is number => isNum(x) && x >= min && x <= max;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The charge point part of a `plug` message, field by field as docs/messages.md says (R-ERR-1). */
function plugHeaderProblem(p: Record<string, unknown>): string | null {
  if (typeof p.chargePoint !== 'string' || !p.chargePoint.trim() || p.chargePoint.length > NAME_MAX_LENGTH || CONTROL.test(p.chargePoint)) {
    return `plug.chargePoint must be a non-empty name of at most ${NAME_MAX_LENGTH} characters, no control characters`;
  }
  if (!Number.isInteger(p.index) || (p.index as number) < 1 || (p.index as number) > INDEX_MAX) {
    return `plug.index must be a whole number from 1 to ${INDEX_MAX} (CP01 → 1)`;
  }
  if (typeof p.enabled !== 'boolean') return 'plug.enabled must be true or false';
  if (typeof p.online !== 'boolean') return 'plug.online must be true or false';
  if (p.reported !== undefined && typeof p.reported !== 'boolean') return 'plug.reported must be true or false';
  if (p.address !== undefined && (typeof p.address !== 'string' || p.address.length > ADDRESS_MAX_LENGTH))
    return `plug.address must be text of at most ${ADDRESS_MAX_LENGTH} characters`;
  if (
    p.devicePlugs !== undefined &&
    p.devicePlugs !== null &&
    !(Number.isInteger(p.devicePlugs) && (p.devicePlugs as number) >= 1 && (p.devicePlugs as number) <= DEVICE_PLUGS_MAX)
  ) {
    return `plug.devicePlugs must be a whole number from 1 to ${DEVICE_PLUGS_MAX}`;
  }
  if (p.timestamp !== undefined && !inRange(p.timestamp, 0, Number.MAX_SAFE_INTEGER))
    return 'plug.timestamp must be a time in ms since 1970';
  const offErr = validateOffline(p.offline);
  if (offErr.length) return offErr.join('; ');
  if (!Array.isArray(p.plugs) || p.plugs.length > 2) return 'plug.plugs must be an array of at most 2 plugs';
  if (p.rotation !== undefined && !ROTATIONS.includes(p.rotation as Rotation))
    return `plug.rotation must be one of ${ROTATIONS.join(', ')} (R = L1, S = L2, T = L3; letter i = the line of charger phase i)`;
  if (
    p.board !== undefined &&
    (typeof p.board !== 'string' || !p.board.trim() || p.board.length > NAME_MAX_LENGTH || CONTROL.test(p.board))
  )
    return `plug.board must be "${SITE_BOARD}" or a board's name of at most ${NAME_MAX_LENGTH} characters`;
  return null;
}

/** One entry of `plug.plugs`, with its bounds from docs/messages.md (R-ERR-1, R-CP-1/2/5/6). */
function plugEntryProblem(index: number, name: string, q: Record<string, unknown>): string | null {
  if (q.letter !== 'A' && q.letter !== 'B') return 'plug letter must be "A" or "B"';
  const expectId = plugIdOf(index, q.letter);
  if (q.id !== expectId) return `plug ${name} ${q.letter} must have id ${expectId} (R-CP-2), not ${describeValue(q.id)}`;
  if (q.phase !== null && !PHASES.includes(q.phase as Phase)) return 'plug phase must be "L1", "L2", "L3" or null';
  if (typeof q.priority !== 'boolean') return 'plug priority must be true or false';
  if (!inRange(q.maxCurrentA, PLUG_MAX_LIMITS.min, PLUG_MAX_LIMITS.max))
    return `plug maxCurrentA must be a current from ${PLUG_MAX_LIMITS.min} to ${PLUG_MAX_LIMITS.max} A`;
  if (!PILOT_STATES.includes(q.pilot as PilotState)) return 'plug pilot must be one of A, B, C, D, E, F';
  if (!inRange(q.measuredA, 0, MEASURED_MAX_A)) return `plug measuredA must be a current from 0 to ${MEASURED_MAX_A} A`;
  if (!inRange(q.energyWh, 0, ENERGY_MAX_WH)) return `plug energyWh must be a number from 0 to ${ENERGY_MAX_WH} Wh`;
  if (
    q.fault !== undefined &&
    q.fault !== null &&
    (typeof q.fault !== 'string' || q.fault.length > FAULT_MAX_LENGTH || CONTROL.test(q.fault))
  ) {
    return `plug fault must be text of at most ${FAULT_MAX_LENGTH} characters, no control characters`;
  }
  if (q.followsLimits !== undefined && typeof q.followsLimits !== 'boolean') return 'plug followsLimits must be true or false';
  if (q.phases !== undefined && q.phases !== 1 && q.phases !== 3) return 'plug phases must be 1 or 3 (R-3PH-1)';
  if (q.phaseCurrentsA !== undefined) {
    const c = q.phaseCurrentsA;
    if (!Array.isArray(c) || c.length !== 3 || !c.every((x) => inRange(x, 0, MEASURED_MAX_A)))
      return `plug phaseCurrentsA must be 3 currents (charger phases 1, 2, 3) from 0 to ${MEASURED_MAX_A} A`;
  }
  return plateError(q.plate);
}

function validatePlugMessage(m: unknown, state: BalancerState): string | null {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return 'plug payload must be an object';
  const p = m as Record<string, unknown>;
  const header = plugHeaderProblem(p);
  if (header) return header;
  const seen = new Set<string>();
  for (const r of p.plugs as unknown[]) {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) return 'each plug report must be an object';
    const q = r as Record<string, unknown>;
    const e = plugEntryProblem(p.index as number, p.chargePoint as string, q);
    if (e) return e;
    if (seen.has(q.letter as string)) return `plug ${q.letter as string} reported twice`;
    seen.add(q.letter as string);
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
    case 'meter': {
      const problem = validateMeterMessage(ev.meter);
      if (problem) return problem;
      const board = (ev.meter as { board?: unknown }).board;
      if (board === undefined) return null;
      const b = typeof board === 'string' ? state.boards.find((x) => x.config.name === board) : undefined;
      if (!b) return `meter.board ${describeValue(board)} is not a board of this balancer (R-CIRC-1)`;
      if (!b.meter) return `board ${b.config.name} has no meter configured (hasMeter): reading refused`;
      return null;
    }
    case 'plug':
      return validatePlugMessage(ev.plug, state);
    case 'schedule': {
      const errs = validateSchedule(ev.schedule);
      if (errs.length) return errs.join('; ');
      if (ev.timeZone !== undefined && !isValidTimeZone(ev.timeZone))
        return 'schedule time zone must be an IANA time zone such as Europe/Madrid';
      return null;
    }
    case 'params': {
      const r = mergeParams(state.params, ev.params, state.deployed);
      return r.ok ? null : r.errors.join('; ');
    }
    case 'plate': {
      if (typeof ev.plugId !== 'number' || !Number.isInteger(ev.plugId))
        return `plate.plugId must be a whole number, not ${describeValue(ev.plugId)}`;
      if (!findPlug(state, ev.plugId)) return `unknown plug id ${ev.plugId}`;
      return plateError(ev.plate);
    }
    default:
      return `unknown event type ${describeValue(ev.type)}`;
  }
}
