/**
 * The balancer: one pure step function (DESIGN "functional core"). It takes the state, one event
 * and the time, and returns the new state, the setpoints to send and the finished charging
 * sessions. Everything in SPEC §1–§7 that decides a current lives here or in the small modules
 * it calls (share, loadstate, meter, vehicle, reserve). No Node-RED, no timers, no clock.
 */
import { loadRow } from './loadstate';
import { buildingUsedA, initialMeter, meterOnline, takeReading, validateMeterMessage, type MeterState, type Triple } from './meter';
import { DEFAULT_SCHEDULE, IEC_MIN_CURRENT_A, isValidTimeZone, mergeParams, NO_PLATE, phaseLimitA, validateOffline, validateParams } from './params';
import { plugId as plugIdOf, validatePlate } from './chargepoint';
import { isPriorityActive, validateSchedule } from './schedule';
import { ceilTo, floorTo, share } from './share';
import type {
  GroupName,
  MeterMessage,
  OfflineConfig,
  Phase,
  PhaseGroupRow,
  PhaseTable,
  PilotState,
  PlugLetter,
  PlugMessage,
  PlugStatus,
  Schedule,
  SetpointMessage,
  SiteParams,
  TransactionRecord,
} from './types';
import { PHASES, PILOT_STATES } from './types';

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

/** A plug as the balancer keeps it. */
export interface PlugState {
  id: number;
  chargePoint: string;
  letter: PlugLetter;
  phase: Phase | null;
  priority: boolean;
  maxCurrentA: number;
  pilot: PilotState;
  measuredA: number;
  energyWh: number;
  fault: string | null;
  plate: string;
  /** The plate the charge point last reported; a change there overrides the balancer's copy. */
  reportedPlate: string;
  /** Setpoint last decided, A (0 = paused / not charging). */
  setpointA: number;
  /** R-ALLOC-7: after a reduction the vehicle may still draw `holdA` until `holdUntil`. */
  holdA: number;
  holdUntil: number;
  /** R-ALLOC-8: when the balancer last paused this plug (null = not paused by the balancer). */
  pausedAt: number | null;
  /** R-VEH-1/3: since when an active vehicle is in state B / draws below the low limit. */
  bSince: number | null;
  lowSince: number | null;
  /** R-VEH-4: since when the vehicle draws well below its setpoint; released = unused part given away. */
  underSince: number | null;
  released: boolean;
  /** R-VEH-1/2: queued by State B or low consumption detection. */
  queued: boolean;
  retriesUsed: number;
  nextRetryAt: number | null;
  /** Open charging session (R-MON-5). */
  session: TransactionRecord | null;
}

/** A charge point as the balancer keeps it. */
export interface ChargePointState {
  name: string;
  index: number;
  address: string;
  enabled: boolean;
  online: boolean;
  devicePlugs: number | null;
  offline: OfflineConfig;
  letters: PlugLetter[];
  /** ms epoch of the last `plug` message (R-ERR-3: stale → offline). */
  lastReportAt: number;
  /** ms epoch since when it is offline (R-OFF-3 transition). */
  offlineSince: number | null;
  /** What was last sent, and when (R-OFF-1 refresh). */
  lastSent: Partial<Record<PlugLetter, number>> | null;
  lastSentAt: number | null;
  /** Push the configuration again with the next setpoint (R-OFF-2: after it reconnects). */
  pushConfig: boolean;
}

/** What the last step computed for display (derived, kept so status needs no recomputation). */
export interface StepView {
  priorityActive: boolean;
  table: PhaseTable;
  limitA: number;
  workingLimitA: number;
  buildingA: Triple;
  reservedA: Triple;
  usableA: Triple;
}

/** Version of the state's shape; a stored state of another version is not restored. */
export const STATE_VERSION = 2;

export interface BalancerState {
  version: typeof STATE_VERSION;
  params: SiteParams;
  /** Problems with the parameters themselves (after a restore); empty when valid. */
  errors: string[];
  schedule: Schedule & { timeZone: string | null };
  meter: MeterState;
  /** All charge points, sorted by index k (unique). */
  chargePoints: ChargePointState[];
  /** All plugs, sorted by id. */
  plugs: PlugState[];
  /** Recently closed sessions, newest last (bounded). */
  recentTransactions: TransactionRecord[];
  view: StepView;
}

export type DlmEvent =
  | { type: 'meter'; meter: MeterMessage }
  | { type: 'plug'; plug: PlugMessage }
  | { type: 'schedule'; schedule: Schedule; timeZone?: string }
  | { type: 'params'; params: Partial<SiteParams> }
  | { type: 'plate'; plugId: number; plate: string }
  | { type: 'tick' };

export interface StepResult {
  state: BalancerState;
  error: string | null;
  setpoints: SetpointMessage[];
  closedTransactions: TransactionRecord[];
}

/** Closed sessions kept in the state for the status (the node keeps the full history). */
export const RECENT_TRANSACTIONS = 50;
const EPS = 1e-6;

export function initialState(params: SiteParams, now: number): BalancerState {
  const state: BalancerState = {
    version: STATE_VERSION,
    params: { ...params },
    errors: validateParams(params),
    schedule: { enabled: DEFAULT_SCHEDULE.enabled, slots: [...DEFAULT_SCHEDULE.slots], timeZone: null },
    meter: initialMeter(),
    chargePoints: [],
    plugs: [],
    recentTransactions: [],
    view: emptyView(),
  };
  return allocate(state, now).state;
}

function emptyView(): StepView {
  return {
    priorityActive: false,
    table: { PRIORITY: null, NORMAL: null, ALL: null },
    limitA: 0,
    workingLimitA: 0,
    buildingA: [0, 0, 0],
    reservedA: [0, 0, 0],
    usableA: [0, 0, 0],
  };
}

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

// ---------------------------------------------------------------------------------------------
// Validation of events (R-ERR-1: a bad event is refused and changes nothing)
// ---------------------------------------------------------------------------------------------

/** The error of an unacceptable plate (R-CP-6), or null. */
function plateError(x: unknown): string | null {
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

function validateEvent(state: BalancerState, e: unknown): string | null {
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

// ---------------------------------------------------------------------------------------------
// Helpers on the state
// ---------------------------------------------------------------------------------------------

function plugIndex(plugs: readonly PlugState[], id: number): number {
  let lo = 0;
  let hi = plugs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = plugs[mid].id;
    if (v === id) return mid;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

/** The plug with this id, or undefined. */
export function findPlug(state: BalancerState, id: number): PlugState | undefined {
  const i = plugIndex(state.plugs, id);
  return i >= 0 ? state.plugs[i] : undefined;
}

/** Position of the charge point with index k in the sorted list, or −(insertion point) − 1. */
function cpPosition(cps: readonly ChargePointState[], k: number): number {
  let lo = 0;
  let hi = cps.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = cps[mid].index;
    if (v === k) return mid;
    if (v < k) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

/** The charge point with index k, or undefined. */
export function chargePointAt(state: BalancerState, k: number): ChargePointState | undefined {
  const i = cpPosition(state.chargePoints, k);
  return i >= 0 ? state.chargePoints[i] : undefined;
}

/** The charge point a plug belongs to (plug ids 2k−1 and 2k belong to charge point k, R-CP-2). */
export function chargePointOf(state: BalancerState, p: PlugState): ChargePointState {
  return chargePointAt(state, (p.id + 1) >> 1) as ChargePointState;
}

/** The charge point with this name, or undefined. */
export function findChargePoint(state: BalancerState, name: string): ChargePointState | undefined {
  return state.chargePoints.find((c) => c.name === name);
}

/** The current a plug may still be drawing: its setpoint, or more while a reduction settles (R-ALLOC-7). */
export function effectiveA(p: PlugState, now: number): number {
  return p.holdUntil > now ? Math.max(p.holdA, p.setpointA) : p.setpointA;
}

/** Supply phases of the site (R-SITE-1). */
export function sitePhases(params: SiteParams): readonly Phase[] {
  return params.supplyPhases === 1 ? ['L1'] : PHASES;
}

const phaseIdx = (ph: Phase): 0 | 1 | 2 => (ph === 'L1' ? 0 : ph === 'L2' ? 1 : 2);

/** Is the charge point offline at `now`: reported so, or silent longer than its heartbeat (R-ERR-3)? */
export function cpOffline(cp: ChargePointState, now: number): boolean {
  return !cp.online || now - cp.lastReportAt > cp.offline.heartbeatS * 1000;
}

/**
 * Why an enabled plug's configuration cannot work (R-CP-3), or null: no phase, a phase the
 * supply lacks, a plug count that disagrees with the device, a maximum below I_min.
 */
export function configError(cp: ChargePointState, p: PlugState, params: SiteParams): string | null {
  if (cp.letters.length === 0) return 'no plugs configured';
  if (cp.devicePlugs !== null && cp.devicePlugs !== cp.letters.length) {
    return `configured with ${cp.letters.length} plug(s) but the device has ${cp.devicePlugs}`;
  }
  if (p.phase === null) return 'no phase set';
  if (!sitePhases(params).includes(p.phase)) return `phase ${p.phase} on a single-phase supply`;
  if (p.maxCurrentA < params.minCurrentA) return `max current ${p.maxCurrentA} A is below the minimum ${params.minCurrentA} A`;
  return null;
}

/** The seven plug statuses (R-CP-4), in order of precedence. */
export function plugStatus(cp: ChargePointState, p: PlugState, params: SiteParams, now: number): PlugStatus {
  if (!cp.enabled) return 'DISABLED';
  if (configError(cp, p, params)) return 'ERR_CFG';
  if (cpOffline(cp, now)) return 'OFFLINE';
  if (p.pilot === 'E' || p.pilot === 'F' || p.fault) return 'FAULTED';
  if (p.pilot === 'A') return 'AVAILABLE';
  return p.setpointA > 0 ? 'CHARGING' : 'PAUSED';
}

/** Indexes of the charge points offline at `now`. */
function offlineIndexes(state: BalancerState, now: number): Set<number> {
  const out = new Set<number>();
  for (const cp of state.chargePoints) if (cpOffline(cp, now)) out.add(cp.index);
  return out;
}

/** A vehicle asking for current: connected (B, C or D) and not queued by R-VEH (R-CP-5). */
function requesting(p: PlugState): boolean {
  return (p.pilot === 'B' || p.pilot === 'C' || p.pilot === 'D') && !p.queued;
}

/**
 * What an offline charge point's plug may draw (R-OFF-3): mode 0 nothing, 1 its last setpoint,
 * 2 min(last setpoint, offline current) when active, 3 the offline current on every plug. Until
 * the charge point has had a heartbeat interval (plus the reaction delay) to fall back, it may
 * still draw its last setpoint, so that is reserved too.
 */
export function reservedForPlug(cp: ChargePointState, p: PlugState, params: SiteParams, now: number): number {
  // What it was last told may be more than the balancer's own figure (a cut it never received).
  const last = Math.max(effectiveA(p, now), cp.lastSent?.[p.letter] ?? 0);
  const off = Math.min(cp.offline.currentA, p.maxCurrentA);
  let byMode: number;
  switch (cp.offline.mode) {
    case 0: byMode = 0; break;
    case 1: byMode = last; break;
    case 2: byMode = last > 0 ? Math.min(last, off) : 0; break;
    default: byMode = off; break;
  }
  // The charge point falls back once it has heard nothing from us for its heartbeat interval.
  const fallenBack = cp.lastSentAt === null || now - cp.lastSentAt >= (cp.offline.heartbeatS + params.reactionDelayS) * 1000;
  return fallenBack ? byMode : Math.max(byMode, last);
}

// ---------------------------------------------------------------------------------------------
// Copy-on-write draft of the state: the input state is never modified (determinism, R-ERR-1).
// ---------------------------------------------------------------------------------------------

class Draft {
  state: BalancerState;
  /** Which array positions already hold this step's own copy (null = the array itself is shared). */
  private plugOwn: Uint8Array | null = null;
  private cpOwn: Uint8Array | null = null;
  closed: TransactionRecord[] = [];

  constructor(base: BalancerState) {
    this.state = { ...base };
  }

  private plugFlags(): Uint8Array {
    if (!this.plugOwn) {
      this.state.plugs = this.state.plugs.slice();
      this.plugOwn = new Uint8Array(this.state.plugs.length);
    }
    return this.plugOwn;
  }

  private cpFlags(): Uint8Array {
    if (!this.cpOwn) {
      this.state.chargePoints = this.state.chargePoints.slice();
      this.cpOwn = new Uint8Array(this.state.chargePoints.length);
    }
    return this.cpOwn;
  }

  /** A writable copy of the plug at array position i. */
  plug(i: number): PlugState {
    const own = this.plugFlags();
    if (!own[i]) {
      this.state.plugs[i] = { ...this.state.plugs[i] };
      own[i] = 1;
    }
    return this.state.plugs[i];
  }

  /** Inserts a new plug keeping the order by id. */
  insertPlug(p: PlugState): void {
    const own = this.plugFlags();
    const at = -plugIndex(this.state.plugs, p.id) - 1;
    this.state.plugs.splice(at, 0, p);
    this.plugOwn = spliceFlags(own, at, 1);
  }

  /** Removes the plug at position i. */
  removePlug(i: number): void {
    const own = this.plugFlags();
    this.state.plugs.splice(i, 1);
    this.plugOwn = spliceFlags(own, i, -1);
  }

  /** A writable copy of the charge point at array position i. */
  cp(i: number): ChargePointState {
    const own = this.cpFlags();
    if (!own[i]) {
      this.state.chargePoints[i] = { ...this.state.chargePoints[i] };
      own[i] = 1;
    }
    return this.state.chargePoints[i];
  }

  /** Inserts a new charge point keeping the order by index; returns its position. */
  insertCp(cp: ChargePointState): number {
    const own = this.cpFlags();
    const at = -cpPosition(this.state.chargePoints, cp.index) - 1;
    this.state.chargePoints.splice(at, 0, cp);
    this.cpOwn = spliceFlags(own, at, 1);
    return at;
  }

  /** Removes the charge point at position i. */
  removeCp(i: number): void {
    const own = this.cpFlags();
    this.state.chargePoints.splice(i, 1);
    this.cpOwn = spliceFlags(own, i, -1);
  }
}

/** The ownership flags after inserting (delta 1, the new entry is owned) or removing (−1) at `at`. */
function spliceFlags(flags: Uint8Array, at: number, delta: 1 | -1): Uint8Array {
  const out = new Uint8Array(flags.length + delta);
  out.set(flags.subarray(0, at), 0);
  if (delta === 1) {
    out[at] = 1;
    out.set(flags.subarray(at), at + 1);
  } else {
    out.set(flags.subarray(at + 1), at);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

function newPlug(cpName: string, id: number, letter: PlugLetter): PlugState {
  return {
    id,
    chargePoint: cpName,
    letter,
    phase: null,
    priority: false,
    maxCurrentA: 0,
    pilot: 'A',
    measuredA: 0,
    energyWh: 0,
    fault: null,
    plate: NO_PLATE,
    reportedPlate: NO_PLATE,
    setpointA: 0,
    holdA: 0,
    holdUntil: 0,
    pausedAt: null,
    bSince: null,
    lowSince: null,
    underSince: null,
    released: false,
    queued: false,
    retriesUsed: 0,
    nextRetryAt: null,
    session: null,
  };
}

/** Sets a plug to 0 A at once, remembering what it may still draw for the reaction delay. */
function cut(p: PlugState, params: SiteParams, now: number): void {
  if (p.setpointA > 0) {
    p.holdA = effectiveA(p, now);
    p.holdUntil = now + params.reactionDelayS * 1000;
    p.setpointA = 0;
  }
}

function applyPlugMessage(d: Draft, m: PlugMessage, now: number): void {
  const params = d.state.params;
  const name = m.chargePoint;
  let pos = cpPosition(d.state.chargePoints, m.index);
  const existing = pos >= 0 ? d.state.chargePoints[pos] : undefined;
  const wasOffline = existing ? cpOffline(existing, now) : true;
  if (!existing) {
    // New, or the same charge point under a new index: plug ids move (R-CP-2), drop the old ones.
    const old = d.state.chargePoints.findIndex((c) => c.name === name);
    if (old >= 0) {
      const was = d.state.chargePoints[old];
      for (const letter of was.letters) {
        const i = plugIndex(d.state.plugs, plugIdOf(was.index, letter));
        if (i >= 0) {
          closeSession(d, d.plug(i), now);
          d.removePlug(i);
        }
      }
      d.removeCp(old);
    }
    pos = d.insertCp({
      name,
      index: m.index,
      address: m.address ?? '',
      enabled: m.enabled,
      online: m.online,
      devicePlugs: m.devicePlugs ?? null,
      offline: { ...m.offline },
      letters: [],
      lastReportAt: now,
      offlineSince: m.online ? null : now,
      lastSent: null,
      lastSentAt: null,
      pushConfig: true,
    });
  }
  const cp = d.cp(pos);
  cp.address = m.address ?? cp.address;
  cp.enabled = m.enabled;
  cp.devicePlugs = m.devicePlugs ?? null;
  if (JSON.stringify(cp.offline) !== JSON.stringify(m.offline)) cp.pushConfig = true;
  cp.offline = { ...m.offline };
  cp.lastReportAt = now;
  cp.online = m.online;
  if (!m.online && cp.offlineSince === null) cp.offlineSince = now;

  const letters = m.plugs.map((r) => r.letter).sort() as PlugLetter[];
  // Plugs no longer configured are removed.
  for (const letter of cp.letters) {
    if (!letters.includes(letter)) {
      const i = plugIndex(d.state.plugs, plugIdOf(cp.index, letter));
      if (i >= 0) {
        closeSession(d, d.plug(i), now);
        d.removePlug(i);
      }
    }
  }
  cp.letters = letters;

  for (const r of m.plugs) {
    const id = plugIdOf(m.index, r.letter);
    let i = plugIndex(d.state.plugs, id);
    if (i < 0) {
      d.insertPlug(newPlug(name, id, r.letter));
      i = plugIndex(d.state.plugs, id);
    }
    const p = d.plug(i);
    p.phase = r.phase;
    p.priority = r.priority;
    p.maxCurrentA = r.maxCurrentA;
    if (r.plate !== p.reportedPlate) {
      p.plate = r.plate;
      p.reportedPlate = r.plate;
    }
    if (!m.online) continue; // an offline report carries no live values
    const prevPilot = p.pilot;
    p.pilot = r.pilot;
    p.measuredA = r.measuredA;
    p.energyWh = r.energyWh;
    p.fault = r.fault ? String(r.fault) : null;
    // R-VEH: a queued vehicle that asks for current by itself (B → C) rejoins the normal queue.
    if (p.queued && prevPilot === 'B' && (r.pilot === 'C' || r.pilot === 'D')) {
      p.queued = false;
      p.nextRetryAt = null;
    }
    trackSession(d, p, now);
  }

  if (m.online && wasOffline && existing) {
    // Back from offline (R-OFF-2, R-OFF-3): it was running on its offline mode; take that as its
    // setpoint so the allocation reduces it properly, and push the configuration again.
    cp.offlineSince = null;
    cp.pushConfig = true;
    for (const letter of cp.letters) {
      const i = plugIndex(d.state.plugs, plugIdOf(cp.index, letter));
      const p = d.plug(i);
      const worst = reservedForPlug(cp, p, params, now);
      const drawing = p.pilot === 'C' || p.pilot === 'D' ? Math.min(p.maxCurrentA, worst) : 0;
      p.setpointA = drawing >= params.minCurrentA ? floorTo(drawing, params.resolutionA) : 0;
      p.holdA = worst;
      p.holdUntil = now + params.reactionDelayS * 1000;
    }
  } else if (m.online) {
    cp.offlineSince = null;
  }
}

// ---------------------------------------------------------------------------------------------
// Charging sessions (R-MON-5)
// ---------------------------------------------------------------------------------------------

function trackSession(d: Draft, p: PlugState, now: number): void {
  if (p.pilot === 'A') {
    if (p.session) closeSession(d, p, now);
    // Unplugged: R-VEH counters start afresh with the next vehicle (R-VEH-2).
    p.queued = false;
    p.retriesUsed = 0;
    p.nextRetryAt = null;
    p.bSince = null;
    p.lowSince = null;
    p.underSince = null;
    p.released = false;
    p.pausedAt = null;
    return;
  }
  if (!p.session) {
    p.session = {
      plugId: p.id,
      chargePoint: p.chargePoint,
      letter: p.letter,
      plate: p.plate,
      start: now,
      stop: null,
      energyWh: 0,
      peakA: 0,
      pauses: 0,
    };
  }
  const s = { ...p.session };
  s.energyWh = Math.max(s.energyWh, p.energyWh);
  s.peakA = Math.max(s.peakA, p.measuredA);
  s.plate = p.plate;
  p.session = s;
}

function closeSession(d: Draft, p: PlugState, now: number): void {
  if (!p.session) return;
  const rec: TransactionRecord = { ...p.session, stop: now, plate: p.plate };
  p.session = null;
  d.closed.push(rec);
  const recent = d.state.recentTransactions.concat([rec]);
  d.state.recentTransactions = recent.length > RECENT_TRANSACTIONS ? recent.slice(recent.length - RECENT_TRANSACTIONS) : recent;
}

// ---------------------------------------------------------------------------------------------
// Vehicle behaviour (R-VEH-1..4)
// ---------------------------------------------------------------------------------------------


/** What the vehicle timers change on a plug, or null when nothing changes (the common case). */
interface TimerPatch {
  queueNow: boolean;
  queued: boolean;
  bSince: number | null;
  lowSince: number | null;
  nextRetryAt: number | null;
  retriesUsed: number;
  underSince: number | null;
  released: boolean;
}

/**
 * Timers of State B and low consumption detection, the retries and the release of unused
 * current (R-VEH-1..4). Pure: reads the plug, returns the change (null = none) so the step copies
 * a plug only when one of its timers fires.
 */
function vehicleTimers(p: PlugState, params: SiteParams, now: number): TimerPatch | null {
  const active0 = p.setpointA > 0;
  const drawing0 = p.pilot === 'C' || p.pilot === 'D';
  // Fast path: no timer running and none about to start — nothing can change.
  if (
    !p.queued && p.bSince === null && p.lowSince === null && p.underSince === null && !p.released &&
    !(params.stateBDetection && active0 && p.pilot === 'B') &&
    !(params.lowConsumption && active0 && drawing0 && p.measuredA < params.lowConsumptionA) &&
    !(params.releaseUnused && active0 && drawing0 && p.measuredA + params.releaseHeadroomA < p.setpointA)
  ) {
    return null;
  }
  let { queued, bSince, lowSince, nextRetryAt, retriesUsed, underSince, released } = p;
  let queueNow = false;
  let active = p.setpointA > 0;
  const wait = params.waitingTimeS * 1000;
  const drawing = p.pilot === 'C' || p.pilot === 'D';
  // R-VEH-1: an active vehicle resting in B keeps its current for the waiting time, then queues.
  if (params.stateBDetection && active && p.pilot === 'B') {
    if (bSince === null) bSince = now;
    else if (now - bSince >= wait) {
      queueNow = true;
      active = false;
    }
  }
  // R-VEH-3: low consumption, same queue.
  if (params.lowConsumption && active && drawing && p.measuredA < params.lowConsumptionA) {
    if (lowSince === null) lowSince = now;
    else if (now - lowSince >= wait) {
      queueNow = true;
      active = false;
    }
  }
  if (queueNow) {
    queued = true;
    nextRetryAt = retriesUsed < params.retries ? now + params.retryPeriodS * 1000 : null;
  }
  if (!(params.stateBDetection && active && p.pilot === 'B')) bSince = null;
  if (!(params.lowConsumption && active && drawing && p.measuredA < params.lowConsumptionA)) lowSince = null;
  // R-VEH-2: after each retry period a queued vehicle is offered current again.
  if (queued && !queueNow && nextRetryAt !== null && now >= nextRetryAt) {
    queued = false;
    retriesUsed += 1;
    nextRetryAt = null;
  }
  // R-VEH-4: a vehicle steadily drawing well below its setpoint gives the unused part away.
  if (params.releaseUnused && active && drawing) {
    if (p.measuredA + params.releaseHeadroomA < p.setpointA) {
      if (underSince === null) underSince = now;
      else if (now - underSince >= params.releaseAfterS * 1000) released = true;
    } else if (!released) {
      underSince = null;
    }
  } else {
    underSince = null;
    released = false;
  }
  if (
    !queueNow && queued === p.queued && bSince === p.bSince && lowSince === p.lowSince && nextRetryAt === p.nextRetryAt &&
    retriesUsed === p.retriesUsed && underSince === p.underSince && released === p.released
  ) {
    return null;
  }
  return { queueNow, queued, bSince, lowSince, nextRetryAt, retriesUsed, underSince, released };
}

/** The cap a plug's share is water-filled against: its maximum, or less when released (R-VEH-4). */
function capOf(p: PlugState, params: SiteParams): number {
  if (!p.released) return p.maxCurrentA;
  const c = ceilTo(p.measuredA + params.releaseHeadroomA, params.resolutionA);
  return Math.min(p.maxCurrentA, Math.max(params.minCurrentA, c));
}

// ---------------------------------------------------------------------------------------------
// Allocation (R-ALLOC-1..9)
// ---------------------------------------------------------------------------------------------

interface GroupResult {
  row: PhaseGroupRow;
  paused: number[];
  resumed: number | null;
  used: number;
}

/**
 * One group on one phase (R-ALLOC-3..6): pause highest ids while the share is below I_min,
 * otherwise resume the lowest waiting id when the share would stay ≥ I_min (+ hysteresis for a
 * plug the balancer paused, after its minimum pause time), then water-fill.
 * `members` are positions in state.plugs of requesting plugs, ascending id.
 */
function allocateGroup(
  plugs: readonly PlugState[],
  members: number[],
  enabledTotal: number,
  availableA: number,
  params: SiteParams,
  now: number,
  target: Float64Array,
): GroupResult {
  const minA = params.minCurrentA;
  const active: number[] = [];
  const waiting: number[] = [];
  for (const i of members) (plugs[i].setpointA > 0 ? active : waiting).push(i);
  const paused: number[] = [];
  // R-ALLOC-4: pause, highest plug id first, until the rest can charge at ≥ I_min.
  while (active.length > 0 && availableA < active.length * minA - EPS) paused.push(active.pop()!);
  let resumed: number | null = null;
  if (paused.length === 0 && waiting.length > 0) {
    // R-ALLOC-5/6: one at a time, lowest id first; the queue head blocks the others.
    const head = plugs[waiting[0]];
    const wasPaused = head.pausedAt !== null;
    const need = (active.length + 1) * (minA + (wasPaused ? params.resumeHysteresisA : 0));
    const pauseOver = !wasPaused || now - (head.pausedAt as number) >= params.minPauseS * 1000;
    if (availableA >= need - EPS && pauseOver) {
      resumed = waiting.shift()!;
      let at = active.length;
      while (at > 0 && plugs[active[at - 1]].id > plugs[resumed].id) at--;
      active.splice(at, 0, resumed);
    }
  }
  let caps = active.map((i) => capOf(plugs[i], params));
  let shares = share(Math.max(0, availableA), caps, params.resolutionA);
  // R-SITE-3: never a share between 0 and I_min, whatever the rounding did: pause more if so.
  while (active.length > 0 && shares.some((x) => x < minA - EPS)) {
    if (resumed !== null) {
      active.splice(active.indexOf(resumed), 1); // first undo this step's resume
      waiting.unshift(resumed);
      resumed = null;
    } else paused.push(active.pop()!);
    caps = active.map((i) => capOf(plugs[i], params));
    shares = share(Math.max(0, availableA), caps, params.resolutionA);
  }
  let used = 0;
  for (let k = 0; k < active.length; k++) {
    target[active[k]] = shares[k];
    used += shares[k];
  }
  for (const i of waiting) target[i] = 0;
  for (const i of paused) target[i] = 0;
  // Table rows (SPEC §4) describe the decision: n charging, w waiting for current. Both lists
  // are in id order (waiting ascending, paused descending), so the lowest waiting id is at an end.
  const lowestWaiting = Math.min(waiting.length ? plugs[waiting[0]].id : Infinity, paused.length ? plugs[paused[paused.length - 1]].id : Infinity);
  const row = loadRow({
    availableA,
    charging: active.length,
    waiting: waiting.length + paused.length,
    total: enabledTotal,
    minA,
    nextAllowed: Number.isFinite(lowestWaiting) ? lowestWaiting : 0,
    nextPaused: active.length ? plugs[active[active.length - 1]].id : 0,
  });
  return { row, paused, resumed, used };
}

/** Evaluates the whole site at `now` and sets every plug's setpoint. */
function allocate(base: BalancerState, now: number, draft?: Draft): { state: BalancerState; closed: TransactionRecord[] } {
  const d = draft ?? new Draft(base);
  const s = d.state;
  const params = s.params;
  const phases = sitePhases(params);
  const limitA = phaseLimitA(params);
  const workingLimitA = limitA * (1 - params.marginPct / 100);
  const buildingA = buildingUsedA(s.meter, params, now);
  const priorityActive = isPriorityActive(s.schedule, s.schedule.timeZone ?? params.timeZone, now);
  const invalidParams = s.errors.length > 0;

  // Pass 1: classify plugs; vehicle timers; everything not managed goes to 0 A at once.
  const reservedA: Triple = [0, 0, 0];
  const requesters: Record<Phase, { prio: number[]; normal: number[] }> = {
    L1: { prio: [], normal: [] },
    L2: { prio: [], normal: [] },
    L3: { prio: [], normal: [] },
  };
  const enabledCount: Record<Phase, { prio: number; normal: number }> = {
    L1: { prio: 0, normal: 0 },
    L2: { prio: 0, normal: 0 },
    L3: { prio: 0, normal: 0 },
  };
  const plugsNow = s.plugs;
  const threePhase = params.supplyPhases === 3;
  let cpAt = -1;
  let cp = s.chargePoints[0];
  let cpOff = false;
  for (let i = 0; i < plugsNow.length; i++) {
    let p = s.plugs[i];
    // Plugs (by id) and charge points (by index) are both sorted: walk them together.
    if (cpAt < 0 || cp.index !== (p.id + 1) >> 1) {
      do cpAt++;
      while (s.chargePoints[cpAt].index < (p.id + 1) >> 1);
      cp = s.chargePoints[cpAt];
      cpOff = cpOffline(cp, now);
    }
    const onSupply = p.phase !== null && (threePhase || p.phase === 'L1');
    if (cpOff) {
      // R-OFF-3: whatever its status here (even disabled), the device runs its offline mode.
      if (onSupply) reservedA[phaseIdx(p.phase as Phase)] += reservedForPlug(cp, p, params, now);
      continue; // its last setpoint stays as what it was told
    }
    const status = plugStatus(cp, p, params, now);
    if (onSupply && cp.enabled && status !== 'ERR_CFG') {
      enabledCount[p.phase as Phase][p.priority ? 'prio' : 'normal']++;
    }
    if (status !== 'CHARGING' && status !== 'PAUSED' || invalidParams) {
      if (p.setpointA > 0) cut(d.plug(i), params, now);
      continue;
    }
    const patch = vehicleTimers(p, params, now);
    if (patch) {
      p = d.plug(i);
      if (patch.queueNow) cut(p, params, now);
      p.queued = patch.queued;
      p.bSince = patch.bSince;
      p.lowSince = patch.lowSince;
      p.nextRetryAt = patch.nextRetryAt;
      p.retriesUsed = patch.retriesUsed;
      p.underSince = patch.underSince;
      p.released = patch.released;
    }
    if (!requesting(p)) {
      if (p.setpointA > 0) cut(d.plug(i), params, now);
      continue;
    }
    const bucket = requesters[p.phase as Phase];
    (priorityActive && p.priority ? bucket.prio : bucket.normal).push(i);
  }

  // Pass 2: per phase, groups → targets; decreases at once, increases within the headroom.
  const table: PhaseTable = priorityActive ? { PRIORITY: {}, NORMAL: {}, ALL: null } : { PRIORITY: null, NORMAL: null, ALL: {} };
  const usableA: Triple = [0, 0, 0];
  const decided: { ph: Phase; groups: number[][] }[] = [];
  const target = new Float64Array(s.plugs.length);
  for (const ph of phases) {
    const k = phaseIdx(ph);
    const usable = invalidParams ? 0 : Math.max(0, workingLimitA - buildingA[k] - reservedA[k]);
    usableA[k] = usable;
    const pausedNow: number[] = [];
    // Groups in the order they are served: priority plugs first (R-ALLOC-2).
    const groups = priorityActive ? [requesters[ph].prio, requesters[ph].normal] : [requesters[ph].normal];
    decided.push({ ph, groups });
    if (priorityActive) {
      const pr = allocateGroup(s.plugs, requesters[ph].prio, enabledCount[ph].prio, usable, params, now, target);
      const nr = allocateGroup(s.plugs, requesters[ph].normal, enabledCount[ph].normal, Math.max(0, usable - pr.used), params, now, target);
      table.PRIORITY![ph] = pr.row;
      table.NORMAL![ph] = nr.row;
      pausedNow.push(...pr.paused, ...nr.paused);
    } else {
      const all = allocateGroup(s.plugs, requesters[ph].normal, enabledCount[ph].normal + enabledCount[ph].prio, usable, params, now, target);
      table.ALL![ph] = all.row;
      pausedNow.push(...all.paused);
    }
    for (const i of pausedNow) {
      const p = d.plug(i);
      p.pausedAt = now;
      if (p.session) p.session = { ...p.session, pauses: p.session.pauses + 1 };
    }
    // R-ALLOC-7: decreases first, at once.
    for (const members of groups) {
      for (const i of members) {
        if (target[i] < s.plugs[i].setpointA - EPS) {
          const p = d.plug(i);
          p.holdA = effectiveA(p, now);
          p.holdUntil = now + params.reactionDelayS * 1000;
          p.setpointA = target[i];
        }
      }
    }
  }
  // Headroom left on each phase, counting every plug at what it may still draw (one pass).
  const drawn: Triple = [0, 0, 0];
  const offline = offlineIndexes(s, now);
  for (const p of s.plugs) {
    if (p.phase === null || offline.has((p.id + 1) >> 1)) continue; // offline: in reservedA
    drawn[phaseIdx(p.phase)] += effectiveA(p, now);
  }
  for (const { ph, groups } of decided) {
    let headroom = usableA[phaseIdx(ph)] - drawn[phaseIdx(ph)];
    // Increases, priority plugs first then by id; each within the headroom (R-ALLOC-7, R-ALLOC-9).
    for (const i of groups.length === 1 ? groups[0] : groups[0].concat(groups[1])) {
      const t = target[i];
      const p0 = s.plugs[i];
      if (t <= p0.setpointA + EPS) continue;
      if (p0.setpointA > 0 && t - p0.setpointA < params.minIncreaseA - EPS) continue; // R-ALLOC-8
      const before = effectiveA(p0, now);
      // Rising to g adds max(hold, g) − before to the phase: g may reach before + headroom.
      let grant = Math.min(t, floorTo(before + Math.max(0, headroom), params.resolutionA));
      if (grant < params.minCurrentA - EPS) grant = 0;
      if (grant <= p0.setpointA + EPS) continue;
      if (p0.setpointA > 0 && grant - p0.setpointA < params.minIncreaseA - EPS) continue;
      const started = p0.setpointA === 0;
      const p = d.plug(i); // may be p0 itself when already copied in this step
      p.setpointA = grant;
      if (started) {
        p.pausedAt = null;
        // R-VEH-1/2/3: the waiting time to start drawing counts from the moment it gets current.
        if (params.stateBDetection && p.pilot === 'B') p.bSince = now;
        if (params.lowConsumption && p.pilot !== 'B' && p.measuredA < params.lowConsumptionA) p.lowSince = now;
      }
      headroom -= effectiveA(p, now) - before;
    }
  }

  // R-SITE-3: a plug whose increase had to wait may sit below a newly raised I_min: pause it.
  for (let i = 0; i < s.plugs.length; i++) {
    const p = s.plugs[i];
    if (p.setpointA > 0 && p.setpointA < params.minCurrentA - EPS && !offline.has((p.id + 1) >> 1)) {
      const q = d.plug(i);
      cut(q, params, now);
      q.pausedAt = now;
    }
  }
  d.state.view = {
    priorityActive,
    table,
    limitA,
    workingLimitA,
    buildingA,
    reservedA,
    usableA,
  };
  return { state: d.state, closed: d.closed };
}

// ---------------------------------------------------------------------------------------------
// Setpoints to send (R-OFF-1 refresh, R-OFF-2 push)
// ---------------------------------------------------------------------------------------------

function collectSetpoints(d: Draft, now: number): SetpointMessage[] {
  const out: SetpointMessage[] = [];
  const s = d.state;
  let at = 0; // plugs and charge points are both sorted: walk them together
  for (let c = 0; c < s.chargePoints.length; c++) {
    const cp0 = s.chargePoints[c];
    // This charge point's plugs (ids 2k−1, 2k) are the next ones in the plug list.
    while (at < s.plugs.length && s.plugs[at].id < 2 * cp0.index - 1) at++;
    const first = at;
    while (at < s.plugs.length && s.plugs[at].id <= 2 * cp0.index) at++;
    if (cpOffline(cp0, now)) continue; // nothing reaches it; its offline mode rules (R-OFF-3)
    const due = cp0.pushConfig || cp0.lastSentAt === null || now - cp0.lastSentAt >= (cp0.offline.heartbeatS * 1000) / 2;
    let changed = cp0.lastSent === null || Object.keys(cp0.lastSent).length !== at - first;
    for (let k = first; !changed && !due && k < at; k++) {
      if (s.plugs[k].setpointA !== cp0.lastSent![s.plugs[k].letter]) changed = true;
    }
    if (!changed && !due) continue;
    const plugs: Partial<Record<PlugLetter, number>> = {};
    for (let k = first; k < at; k++) plugs[s.plugs[k].letter] = s.plugs[k].setpointA;
    const cp = d.cp(c);
    cp.lastSent = plugs;
    cp.lastSentAt = now;
    cp.pushConfig = false;
    out.push({ chargePoint: cp0.name, plugs: { ...plugs }, offline: { ...cp.offline }, timestamp: now });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The step
// ---------------------------------------------------------------------------------------------

/** Measured EV current per phase, A (for a grid-position meter, R-MTR-2). */
function evMeasured(state: BalancerState): Triple {
  const t: Triple = [0, 0, 0];
  for (const p of state.plugs) if (p.phase) t[phaseIdx(p.phase)] += p.measuredA;
  return t;
}

/**
 * Applies one event at time `now` (ms) and re-allocates. A refused event returns the same state
 * object, no setpoints, and the reason (R-ERR-1).
 */
export function step(state: BalancerState, event: DlmEvent, now: number): StepResult {
  if (!isNum(now)) return { state, error: 'time must be a finite number of ms', setpoints: [], closedTransactions: [] };
  const error = validateEvent(state, event);
  if (error) return { state, error, setpoints: [], closedTransactions: [] };
  const d = new Draft(state);
  switch (event.type) {
    case 'meter':
      d.state.meter = takeReading(state.meter, event.meter, state.params, evMeasured(state), now);
      break;
    case 'plug':
      applyPlugMessage(d, event.plug, now);
      break;
    case 'schedule':
      d.state.schedule = {
        enabled: event.schedule.enabled,
        slots: [...event.schedule.slots],
        timeZone: event.timeZone ?? state.schedule.timeZone,
      };
      break;
    case 'params': {
      const r = mergeParams(state.params, event.params);
      if (r.ok) {
        d.state.params = r.params;
        d.state.errors = [];
      }
      break;
    }
    case 'plate': {
      const i = plugIndex(state.plugs, event.plugId);
      const p = d.plug(i);
      p.plate = (validatePlate(event.plate) as { plate: string }).plate;
      if (p.session) p.session = { ...p.session, plate: p.plate };
      break;
    }
    case 'tick':
      break;
  }
  const { closed } = allocate(state, now, d);
  const setpoints = collectSetpoints(d, now);
  return { state: d.state, error: null, setpoints, closedTransactions: closed };
}

export { IEC_MIN_CURRENT_A, meterOnline };
export type { GroupName };
