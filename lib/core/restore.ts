/**
 * The check of a stored balancer state before it is used again (SPEC R-ERR-2, R-SEC-3, issue 9
 * item 4). A stored value is untrusted: a damaged file, an old version or a hand edit must give a
 * clear reason and a fresh start, never a crash loop. The check is total: it never throws, and
 * it covers every field of `BalancerState` (types, ranges, enum values, the references and
 * orders the core relies on), so whatever passes can be stepped. Its reasons name the field path,
 * never the stored value. Pure: no Node-RED, no I/O, no clock.
 */
import { cpIndexOf, plugId as plugIdOf } from '../shared/ids';
import { validatePlate } from '../shared/plate';
import { BOARD_LIMITS, isValidTimeZone, PARAM_SPECS, SANITY, validateBoards, validateOffline, validateParams } from '../shared/params';
import { validateSchedule } from '../shared/schedule';
import { RECENT_TRANSACTIONS, STATE_VERSION, type BalancerState } from './state';
import {
  CONFIG_HASH_MAX_LENGTH,
  FIELD_NAME_SHOWN_MAX_LENGTH,
  INDEX_MAX,
  NAME_MAX_LENGTH,
  STORED_COUNT_MAX,
  STORED_ERRORS_MAX,
  STORED_HISTORY_LIMITS,
  STORED_PEAKS_MAX,
  STORED_RECORD_LIMITS,
  STORED_SAMPLES_MAX,
  STORED_STATE_LIMITS,
  STORED_TEXT_MAX_LENGTH,
  TRANSACTION_HISTORY,
} from '../shared/params';
import { boundedText, untrustedProblem } from '../shared/guard';
import { LOAD_STATES, PHASES, PILOT_STATES, ROTATIONS, type TransactionRecord } from '../shared/types';

/** Bounds of a stored balancer state and history: lib/shared/params.ts (one home of every limit). */
export { STORED_HISTORY_LIMITS, STORED_STATE_LIMITS };

/** Largest charge point index (as the `plug` message check) and the plug ids it gives (R-CP-2). */
const MAX_INDEX = INDEX_MAX;
/** Times are ms since the epoch: finite and within the range of a JavaScript Date. */
const MAX_TIME = 8.64e15;

// ---------------------------------------------------------------------------------------------
// A small schema checker: a check takes a value and returns what is wrong with it, or null.
// ---------------------------------------------------------------------------------------------

/** What is wrong with a value, or null. The caller prefixes the field path. */
export type Check = (v: unknown) => string | null;

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const bool: Check = (v) => (typeof v === 'boolean' ? null : 'must be true or false');

const num =
  (min: number, max: number, integer = false): Check =>
  (v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a finite number';
    if (integer && !Number.isInteger(v)) return 'must be a whole number';
    return v < min || v > max ? `must be between ${min} and ${max}` : null;
  };

const text =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === 'string' && v.length >= min && v.length <= max ? null : `must be a text of ${min} to ${max} characters`;

const oneOf =
  (options: readonly unknown[]): Check =>
  (v) =>
    options.includes(v) ? null : `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}`;

const nullable =
  (c: Check): Check =>
  (v) =>
    v === null ? null : c(v);

const time = num(-MAX_TIME, MAX_TIME);
const current = num(0, SANITY.maxCurrentA);
const count = num(0, STORED_COUNT_MAX, true);

/** A plate as the core may keep it: one the plate check accepts (the core keeps it untrimmed). */
const plate: Check = (v) => (validatePlate(v).ok ? null : 'must be a valid plate (R-CP-6)');
const energy = num(0, Number.MAX_VALUE);

/** A problem at `path`, or null. */
type Found = string | null;
const at = (path: string, problem: string | null): Found => (problem === null ? null : `${path} ${problem}`);

/** An array of at most `max` items, each checked by `item` (which gets the item's path). */
function arrayOf(v: unknown, path: string, max: number, item: (x: unknown, path: string) => Found): Found {
  if (!Array.isArray(v)) return `${path} must be an array`;
  if (v.length > max) return `${path} must have at most ${max} entries`;
  for (let i = 0; i < v.length; i++) {
    const p = item(v[i], `${path}[${i}]`);
    if (p) return p;
  }
  return null;
}

/** An object with exactly the fields of `shape`, each checked; sub-objects may use `deep`. */
type OptionalCheck = Check & { optional?: true };
/** A field that may be absent (a stored state from before it existed); checked when present. */
const optional = (c: Check): OptionalCheck => Object.assign((x: unknown) => c(x), { optional: true as const });

function record(
  v: unknown,
  path: string,
  shape: Record<string, Check>,
  deep: Record<string, (x: unknown, path: string) => Found> = {},
): Found {
  if (!isObj(v)) return `${path} must be an object`;
  for (const k of Object.keys(v)) {
    if (!(k in shape) && !(k in deep)) return `${path} has an unexpected field ${boundedText(k, FIELD_NAME_SHOWN_MAX_LENGTH)}`;
  }
  for (const [k, c] of Object.entries(shape)) {
    if (!(k in v)) {
      if ((c as OptionalCheck).optional) continue;
      return `${path}.${k} is missing`;
    }
    const p = at(`${path}.${k}`, c(v[k]));
    if (p) return p;
  }
  for (const [k, c] of Object.entries(deep)) {
    if (!(k in v)) return `${path}.${k} is missing`;
    const p = c(v[k], `${path}.${k}`);
    if (p) return p;
  }
  return null;
}

const triple = (v: unknown, path: string): Found => {
  if (!Array.isArray(v) || v.length !== 3) return `${path} must be an array of 3 numbers`;
  for (let i = 0; i < 3; i++) {
    const p = at(`${path}[${i}]`, current(v[i]));
    if (p) return p;
  }
  return null;
};

// ---------------------------------------------------------------------------------------------
// The shapes of BalancerState (lib/core/state.ts, lib/core/meter.ts, lib/shared/types.ts)
// ---------------------------------------------------------------------------------------------

const TRANSACTION: Record<string, Check> = {
  plugId: num(1, 2 * MAX_INDEX, true),
  chargePoint: text(1, NAME_MAX_LENGTH),
  letter: oneOf(['A', 'B']),
  plate,
  start: time,
  stop: nullable(time),
  energyWh: energy,
  peakA: current,
  pauses: count,
};

/** The problem of one transaction record (R-MON-5) at `path`; `open` = stop must be null, closed = a time. */
export function transactionProblem(v: unknown, path = 'record', open?: boolean): Found {
  const p = record(v, path, TRANSACTION);
  if (p || open === undefined) return p;
  const r = v as unknown as TransactionRecord;
  if (open && r.stop !== null) return `${path}.stop must be null for an open session`;
  if (!open && r.stop === null) return `${path}.stop must be a time for a closed session`;
  return null;
}

/** A field whose value a whole-object check (validateOffline, validateParams …) looks at. */
const later: Check = () => null;

const OFFLINE: Record<string, Check> = { heartbeatS: later, mode: later, currentA: later };

function offlineProblem(v: unknown, path: string): Found {
  const shape = record(v, path, OFFLINE);
  if (shape) return shape;
  const errs = validateOffline(v);
  return errs.length ? `${path}: ${errs[0]}` : null;
}

function lastSentProblem(v: unknown, path: string): Found {
  if (v === null) return null;
  if (!isObj(v)) return `${path} must be null or an object`;
  for (const k of Object.keys(v)) {
    if (k !== 'A' && k !== 'B') return `${path} has an unexpected field ${boundedText(k, FIELD_NAME_SHOWN_MAX_LENGTH)}`;
    const p = at(`${path}.${k}`, current(v[k]));
    if (p) return p;
  }
  return null;
}

function lettersProblem(v: unknown, path: string): Found {
  const p = arrayOf(v, path, 2, (x, q) => at(q, oneOf(['A', 'B'])(x)));
  if (p) return p;
  const l = v as string[];
  return l.length === 2 && (l[0] !== 'A' || l[1] !== 'B') ? `${path} must be sorted and without repeats` : null;
}

const CHARGE_POINT: Record<string, Check> = {
  name: text(1, NAME_MAX_LENGTH),
  index: num(1, MAX_INDEX, true),
  address: text(0, STORED_TEXT_MAX_LENGTH),
  enabled: bool,
  online: bool,
  devicePlugs: nullable(oneOf([1, 2])),
  lastReportAt: time,
  offlineSince: nullable(time),
  lastSentAt: nullable(time),
  pushConfig: bool,
  rotation: oneOf(ROTATIONS),
  board: text(1, NAME_MAX_LENGTH),
  boardKnown: bool,
};
const CHARGE_POINT_DEEP = { offline: offlineProblem, letters: lettersProblem, lastSent: lastSentProblem };

const PLUG: Record<string, Check> = {
  id: num(1, 2 * MAX_INDEX, true),
  chargePoint: text(1, NAME_MAX_LENGTH),
  letter: oneOf(['A', 'B']),
  phase: nullable(oneOf(PHASES)),
  priority: bool,
  maxCurrentA: current,
  pilot: oneOf(PILOT_STATES),
  measuredA: current,
  energyWh: energy,
  fault: nullable(text(0, STORED_TEXT_MAX_LENGTH)),
  plate,
  reportedPlate: plate,
  setpointA: current,
  holdA: current,
  holdUntil: time,
  pausedAt: nullable(time),
  bSince: nullable(time),
  lowSince: nullable(time),
  underSince: nullable(time),
  released: bool,
  queued: bool,
  // Issue 12: the device does not follow limits (an OCPP charger seen drawing above its profile).
  ignoresLimits: optional(bool),
  retriesUsed: count,
  nextRetryAt: nullable(time),
  phases: oneOf([1, 3]),
  drawSince: nullable(time),
};
/** Supply lines, each at most once (R-3PH-1/3). */
const linesProblem = (v: unknown, path: string): Found => {
  const p = arrayOf(v, path, 3, (x, q) => at(q, oneOf(PHASES)(x)));
  return p ?? (new Set(v as string[]).size === (v as string[]).length ? null : `${path} must not repeat a line`);
};
const nullableDeep =
  (c: (v: unknown, path: string) => Found) =>
  (v: unknown, path: string): Found =>
    v === null ? null : c(v, path);
const PLUG_DEEP = {
  lines: linesProblem,
  drawLines: nullableDeep(linesProblem),
  drawCandidate: nullableDeep(linesProblem),
  phaseCurrentsA: nullableDeep((v, path) => triple(v, path)),
  session: (v: unknown, path: string) => (v === null ? null : transactionProblem(v, path, true)),
};

const SAMPLE_DEEP = { t: (v: unknown, path: string) => at(path, time(v)), a: triple };

const METER: Record<string, Check> = { online: bool, lastValidAt: nullable(time), reason: nullable(text(0, STORED_TEXT_MAX_LENGTH)) };
const PEAK_DEEP = { minute: (v: unknown, path: string) => at(path, time(v)), a: triple };
const METER_DEEP = {
  realtimeA: triple,
  samples: (v: unknown, path: string) => arrayOf(v, path, STORED_SAMPLES_MAX, (x, q) => record(x, q, {}, SAMPLE_DEEP)),
  // One per minute of the peak window (R-MTR-4 amended; at most 1 440 minutes plus the current one).
  peaks: (v: unknown, path: string) => arrayOf(v, path, STORED_PEAKS_MAX, (x, q) => record(x, q, {}, PEAK_DEEP)),
};

const ROW: Record<string, Check> = {
  state: oneOf(LOAD_STATES),
  maxAllowed: count,
  charging: count,
  paused: count,
  total: count,
  availableA: num(0, Number.MAX_SAFE_INTEGER),
  sharedA: num(0, Number.MAX_SAFE_INTEGER),
  nextAllowed: count,
  nextPaused: count,
};

function perPhaseProblem(v: unknown, path: string): Found {
  if (v === null) return null;
  if (!isObj(v)) return `${path} must be null or an object`;
  for (const k of Object.keys(v)) {
    if (!PHASES.includes(k as never)) return `${path} has an unexpected field ${boundedText(k, FIELD_NAME_SHOWN_MAX_LENGTH)}`;
    const p = record(v[k], `${path}.${k}`, ROW);
    if (p) return p;
  }
  return null;
}

const VIEW_DEEP = {
  table: (v: unknown, path: string) => record(v, path, {}, { PRIORITY: perPhaseProblem, NORMAL: perPhaseProblem, ALL: perPhaseProblem }),
  buildingA: triple,
  reservedA: triple,
  usableA: triple,
  boards: (v: unknown, path: string) => arrayOf(v, path, BOARD_LIMITS.maxBoards + 1, (x, q) => record(x, q, BOARD_LOAD, BOARD_LOAD_DEEP)),
};
const VIEW: Record<string, Check> = {
  priorityActive: bool,
  limitA: num(0, Number.MAX_SAFE_INTEGER),
  workingLimitA: num(0, Number.MAX_SAFE_INTEGER),
  spreadA: num(0, Number.MAX_SAFE_INTEGER),
};
const BOARD_LOAD: Record<string, Check> = {
  name: text(1, NAME_MAX_LENGTH),
  limitA: num(0, Number.MAX_SAFE_INTEGER),
  marginPct: num(BOARD_LIMITS.marginPct.min, BOARD_LIMITS.marginPct.max),
  workingLimitA: num(0, Number.MAX_SAFE_INTEGER),
};
const BOARD_LOAD_DEEP = { otherA: triple, evA: triple, reservedA: triple };

function paramsProblem(v: unknown, path: string): Found {
  const shape = record(v, path, Object.fromEntries(PARAM_SPECS.map((s) => [s.key, later])));
  if (shape) return shape;
  const errs = validateParams(v as never);
  return errs.length ? `${path}: ${errs[0]}` : null;
}

function scheduleProblem(v: unknown, path: string): Found {
  const shape = record(v, path, {
    enabled: later,
    slots: later,
    timeZone: nullable((z) => (isValidTimeZone(z) ? null : 'must be an IANA time zone')),
  });
  if (shape) return shape;
  const errs = validateSchedule(v);
  return errs.length ? `${path}: ${errs[0]}` : null;
}

const STATE_DEEP = {
  params: paramsProblem,
  // Replaced by the editor configuration at every start (R-SEC-2); still checked, like every field.
  deployed: paramsProblem,
  errors: (v: unknown, path: string) => arrayOf(v, path, STORED_ERRORS_MAX, (x, q) => at(q, text(0, STORED_TEXT_MAX_LENGTH)(x))),
  schedule: scheduleProblem,
  meter: (v: unknown, path: string) => record(v, path, METER, METER_DEEP),
  chargePoints: (v: unknown, path: string) => arrayOf(v, path, MAX_INDEX, (x, q) => record(x, q, CHARGE_POINT, CHARGE_POINT_DEEP)),
  plugs: (v: unknown, path: string) => arrayOf(v, path, 2 * MAX_INDEX, (x, q) => record(x, q, PLUG, PLUG_DEEP)),
  recentTransactions: (v: unknown, path: string) => arrayOf(v, path, RECENT_TRANSACTIONS, (x, q) => transactionProblem(x, q, false)),
  view: (v: unknown, path: string) => record(v, path, VIEW, VIEW_DEEP),
  // Replaced by the editor configuration at every start (withDeployedBoards); still checked.
  boards: (v: unknown, path: string) => {
    const p = arrayOf(v, path, BOARD_LIMITS.maxBoards, (x, q) =>
      record(
        x,
        q,
        {},
        {
          config: (c, cq) => (isObj(c) ? null : `${cq} must be an object`),
          meter: nullableDeep((m, mq) => record(m, mq, METER, METER_DEEP)),
        },
      ),
    );
    if (p) return p;
    const errs = validateBoards((v as { config: unknown }[]).map((b) => b.config));
    return errs.length ? `${path}: ${errs[0]}` : null;
  },
};

// ---------------------------------------------------------------------------------------------
// References and orders the core relies on
// ---------------------------------------------------------------------------------------------

/** Charge points sorted by index, names unique; plugs sorted by id, each on its charge point (R-CP-2). */
function referenceProblem(st: BalancerState): Found {
  const names = new Set<string>();
  const cps = st.chargePoints;
  for (let i = 0; i < cps.length; i++) {
    if (i > 0 && !(cps[i - 1].index < cps[i].index))
      return `chargePoints[${i}].index is out of order (charge points must be sorted by index, without repeats)`;
    if (names.has(cps[i].name)) return `chargePoints[${i}].name repeats another charge point's name`;
    names.add(cps[i].name);
  }
  const byIndex = new Map(cps.map((c) => [c.index, c]));
  for (let i = 0; i < st.plugs.length; i++) {
    const p = st.plugs[i];
    const path = `plugs[${i}]`;
    if (i > 0 && !(st.plugs[i - 1].id < p.id)) return `${path}.id is out of order (plugs must be sorted by id, without repeats)`;
    const cp = byIndex.get(cpIndexOf(p.id));
    if (!cp) return `${path}.id has no charge point`;
    if (p.id !== plugIdOf(cp.index, p.letter)) return `${path}.letter does not match its id (R-CP-2: 2k-1 is A, 2k is B)`;
    if (p.chargePoint !== cp.name) return `${path}.chargePoint is not the name of the charge point with its index`;
    if (!cp.letters.includes(p.letter)) return `${path}.letter is not configured on its charge point`;
    const s = p.session;
    if (s && (s.plugId !== p.id || s.chargePoint !== p.chargePoint || s.letter !== p.letter))
      return `${path}.session belongs to another plug`;
  }
  // Every plug is on a configured letter of its charge point; the counts agree, so every
  // configured letter has its plug (the core looks them up without checking).
  let expected = 0;
  for (const c of cps) expected += c.letters.length;
  return st.plugs.length === expected ? null : 'plugs are missing for letters configured on their charge points';
}

/** How far a stored "when it happened" time may lie after the restore time (clock adjustments), ms. */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;

/**
 * A time of the past that lies after `now`: the clock went back (a device without a real-time
 * clock booting before NTP) or the value is damaged. A future `lastReportAt` or meter reading
 * would keep a silent charge point or meter counted online (R-ERR-3), so the state is not used.
 * Times meant to lie ahead (holdUntil, nextRetryAt) are not checked.
 */
function futureProblem(st: BalancerState, now: number): Found {
  const limit = now + FUTURE_TOLERANCE_MS;
  const late = (t: number | null) => t !== null && t > limit;
  const m = st.meter;
  if (late(m.lastValidAt)) return 'meter.lastValidAt';
  for (let j = 0; j < m.samples.length; j++) if (late(m.samples[j].t)) return `meter.samples[${j}].t`;
  for (let j = 0; j < m.peaks.length; j++) if (late(m.peaks[j].minute)) return `meter.peaks[${j}].minute`;
  for (let i = 0; i < st.chargePoints.length; i++) {
    const c = st.chargePoints[i];
    for (const k of ['lastReportAt', 'offlineSince', 'lastSentAt'] as const) if (late(c[k])) return `chargePoints[${i}].${k}`;
  }
  for (let i = 0; i < st.plugs.length; i++) {
    const p = st.plugs[i];
    for (const k of ['pausedAt', 'bSince', 'lowSince', 'underSince'] as const) if (late(p[k])) return `plugs[${i}].${k}`;
    if (p.session && late(p.session.start)) return `plugs[${i}].session.start`;
  }
  for (let i = 0; i < st.recentTransactions.length; i++) {
    if (late(st.recentTransactions[i].stop)) return `recentTransactions[${i}].stop`;
  }
  return null;
}

/**
 * The problem of a stored balancer state (R-ERR-2), or null when it can be used as it is: the
 * same version, every field of the expected type and range, every reference consistent and,
 * given the restore time `now`, no past event dated after it. Never throws, whatever `x` is. The
 * reason names the field path, never the stored value.
 */
export function restoreProblem(x: unknown, now?: number): string | null {
  try {
    const g = untrustedProblem(x, 'stored state', STORED_STATE_LIMITS);
    if (g) return g;
    if (!isObj(x)) return 'stored state is not an object';
    if (x.version !== STATE_VERSION) return `stored state has another version (expected ${STATE_VERSION})`;
    const p = record(x, 'state', { version: later }, STATE_DEEP) ?? referenceProblem(x as unknown as BalancerState);
    if (p !== null) return boundedText(`stored state field ${p}`);
    const f = typeof now === 'number' && Number.isFinite(now) ? futureProblem(x as unknown as BalancerState, now) : null;
    return f === null ? null : boundedText(`stored state field state.${f} lies after the current time (clock set back?)`);
  } catch {
    return 'stored state cannot be read';
  }
}

/** The balancer node's stored value: the state and the editor configuration it was made under. */
export interface StoredBalancer {
  version: 1;
  configHash: string;
  state: BalancerState;
}

/** The problem of the node's stored value (the wrapper, then the state at `now`), or null. Never throws. */
export function storedProblem(x: unknown, now?: number): string | null {
  try {
    if (!isObj(x)) return 'stored value is not an object';
    if (x.version !== 1) return 'stored value has an unknown format';
    if (typeof x.configHash !== 'string' || x.configHash.length > CONFIG_HASH_MAX_LENGTH) return 'stored value has no configuration hash';
    return restoreProblem(x.state, now);
  } catch {
    return 'stored value cannot be read';
  }
}

/**
 * The readable records of a stored history (R-MON-5): each record checked on its own; unreadable
 * ones are dropped and counted. Never throws. The history is stored as one compact JSON text
 * (issue 13) or, as before, an array; anything else — text that is not JSON of an array, another
 * value — gives no records (dropped 1).
 */
export function readableHistory(stored: unknown): { records: TransactionRecord[]; dropped: number } {
  try {
    let x = stored;
    if (typeof x === 'string') x = JSON.parse(x) as unknown;
    if (x === undefined || x === null) return { records: [], dropped: 0 };
    if (!Array.isArray(x)) return { records: [], dropped: 1 };
    if (untrustedProblem(x, 'history', STORED_HISTORY_LIMITS)) return readLargeHistory(x);
    const records: TransactionRecord[] = [];
    for (const r of x) if (transactionProblem(r, 'record', false) === null) records.push({ ...(r as TransactionRecord) });
    return { records, dropped: x.length - records.length };
  } catch {
    return { records: [], dropped: 1 };
  }
}

/** A history over the bounds as a whole: each record is checked with its own bounds. */
function readLargeHistory(x: unknown[]): { records: TransactionRecord[]; dropped: number } {
  const records: TransactionRecord[] = [];
  const n = Math.min(x.length, 10 * TRANSACTION_HISTORY);
  for (let i = x.length - n; i < x.length; i++) {
    const r = x[i];
    if (untrustedProblem(r, 'record', STORED_RECORD_LIMITS) === null && transactionProblem(r, 'record', false) === null) {
      records.push({ ...(r as TransactionRecord) });
    }
  }
  return { records, dropped: x.length - records.length };
}
