/**
 * The allocation of one step (SPEC §4, R-ALLOC-1..9), in named phases:
 *
 *   classify        which plugs ask for current, per phase and group; vehicle timers; offline
 *                   charge points' reservations; everything not managed goes to 0 A at once
 *   decideTargets   per phase: groups in service order (priority first), pause / resume / share
 *                   (allocateGroup), and the decreases, sent at once (R-ALLOC-7)
 *   grantIncreases  the increases, each within what the phase has left while reduced vehicles
 *                   may still draw their old current (R-ALLOC-7, R-ALLOC-9)
 *   pauseBelowMin   no plug left between 0 and I_min (R-SITE-3)
 *
 * Every phase reads and writes the step's Draft (copy-on-write: the input state is never modified).
 */
import type { Draft } from './draft';
import { loadRow } from './loadstate';
import { buildingUsedA } from './meter';
import { reservedForPlug } from './reserve';
import { floorTo, share } from './share';
import {
  cpOffline,
  effectiveA,
  EPS,
  offlineIndexes,
  phaseIdx,
  plugStatus,
  requesting,
  sitePhases,
  type BalancerState,
  type PlugState,
} from './state';
import { capOf, vehicleTimers } from './vehicle';
import { cpIndexOf } from '../shared/ids';
import { phaseLimitA } from '../shared/params';
import { isPriorityActive } from '../shared/schedule';
import type { Phase, PhaseGroupRow, PhaseTable, SiteParams, Triple } from '../shared/types';

/** What every phase of one allocation works from. */
interface Frame {
  d: Draft;
  /** The draft's state (the same object as d.state). */
  s: BalancerState;
  params: SiteParams;
  now: number;
  priorityActive: boolean;
  /** Invalid site parameters: every plug held at 0 A (R-ERR-1). */
  invalidParams: boolean;
}

/** Requesting plugs (positions in state.plugs, ascending id) per phase and group. */
type Requesters = Record<Phase, { prio: number[]; normal: number[] }>;

interface Classified {
  reservedA: Triple;
  requesters: Requesters;
  /** Enabled plugs per phase and group, for the table's TOTAL PLUGS row. */
  enabledCount: Record<Phase, { prio: number; normal: number }>;
}

interface Decided {
  table: PhaseTable;
  usableA: Triple;
  /** Per phase, the groups in the order they are served. */
  groups: { ph: Phase; members: number[][] }[];
  /** Target current per plug position. */
  target: Float64Array;
}

/** Sets a plug to 0 A at once, remembering what it may still draw for the reaction delay. */
export function cut(p: PlugState, params: SiteParams, now: number): void {
  if (p.setpointA > 0) {
    p.holdA = effectiveA(p, now);
    p.holdUntil = now + params.reactionDelayS * 1000;
    p.setpointA = 0;
  }
}

/** Evaluates the whole site at `now` and sets every plug's setpoint in the draft (R-ALLOC-1..9). */
export function allocate(d: Draft, now: number): void {
  const s = d.state;
  const params = s.params;
  const f: Frame = {
    d,
    s,
    params,
    now,
    priorityActive: isPriorityActive(s.schedule, s.schedule.timeZone ?? params.timeZone, now),
    invalidParams: s.errors.length > 0,
  };
  const limitA = phaseLimitA(params);
  const workingLimitA = limitA * (1 - params.marginPct / 100);
  const buildingA = buildingUsedA(s.meter, params, now);
  const c = classify(f);
  const usable = (k: number) => (f.invalidParams ? 0 : Math.max(0, workingLimitA - buildingA[k] - c.reservedA[k]));
  const decided = decideTargets(f, c, usable);
  const offline = offlineIndexes(s, now);
  grantIncreases(f, decided, offline);
  pauseBelowMin(f, offline);
  d.state.view = {
    priorityActive: f.priorityActive,
    table: decided.table,
    limitA,
    workingLimitA,
    buildingA,
    reservedA: c.reservedA,
    usableA: decided.usableA,
    boards: [],
    spreadA: 0,
  };
}

/** Phase 1: classify every plug; vehicle timers; reservations of offline charge points (R-OFF-3). */
function classify(f: Frame): Classified {
  const { d, s, params, now } = f;
  const reservedA: Triple = [0, 0, 0];
  const requesters: Requesters = { L1: { prio: [], normal: [] }, L2: { prio: [], normal: [] }, L3: { prio: [], normal: [] } };
  const enabledCount = { L1: { prio: 0, normal: 0 }, L2: { prio: 0, normal: 0 }, L3: { prio: 0, normal: 0 } };
  const threePhase = params.supplyPhases === 3;
  let cpAt = -1;
  let cp = s.chargePoints[0];
  let cpOff = false;
  for (let i = 0; i < s.plugs.length; i++) {
    let p = s.plugs[i];
    // Plugs (by id) and charge points (by index) are both sorted: walk them together.
    if (cpAt < 0 || cp.index !== cpIndexOf(p.id)) {
      do cpAt++;
      while (s.chargePoints[cpAt].index < cpIndexOf(p.id));
      cp = s.chargePoints[cpAt];
      cpOff = cpOffline(cp, now);
    }
    const onSupply = p.phase !== null && (threePhase || p.phase === 'L1');
    if (cpOff) {
      // R-OFF-3: whatever its status here (even disabled), the device runs its offline mode.
      // A device that ignores limits may draw its maximum offline too, whatever its mode (issue 12).
      if (onSupply) reservedA[phaseIdx(p.phase as Phase)] += p.ignoresLimits ? p.maxCurrentA : reservedForPlug(cp, p, params, now);
      continue; // its last setpoint stays as what it was told
    }
    if (p.ignoresLimits && p.pilot !== 'A') {
      // Issue 12: a device that does not follow limits may draw its maximum whatever it is told:
      // reserve that on its phase, and share only the rest (the promise holds).
      if (onSupply) reservedA[phaseIdx(p.phase as Phase)] += p.maxCurrentA;
      if (p.setpointA > 0) cut(d.plug(i), params, now);
      continue;
    }
    const status = plugStatus(cp, p, params, now);
    if (onSupply && cp.enabled && status !== 'ERR_CFG') enabledCount[p.phase as Phase][p.priority ? 'prio' : 'normal']++;
    if ((status !== 'CHARGING' && status !== 'PAUSED') || f.invalidParams) {
      if (p.setpointA > 0) cut(d.plug(i), params, now);
      continue;
    }
    p = runVehicleTimers(f, i, p);
    if (!requesting(p)) {
      if (p.setpointA > 0) cut(d.plug(i), params, now);
      continue;
    }
    const bucket = requesters[p.phase as Phase];
    (f.priorityActive && p.priority ? bucket.prio : bucket.normal).push(i);
  }
  return { reservedA, requesters, enabledCount };
}

/** R-VEH-1..4 timers of one managed plug; returns the plug as it now is. */
function runVehicleTimers(f: Frame, i: number, p: PlugState): PlugState {
  const patch = vehicleTimers(p, f.params, f.now);
  if (!patch) return p;
  const q = f.d.plug(i);
  if (patch.queueNow) cut(q, f.params, f.now);
  q.queued = patch.queued;
  q.bSince = patch.bSince;
  q.lowSince = patch.lowSince;
  q.nextRetryAt = patch.nextRetryAt;
  q.retriesUsed = patch.retriesUsed;
  q.underSince = patch.underSince;
  q.released = patch.released;
  return q;
}

/** Phase 2: per phase, groups → targets and table rows; pauses recorded; decreases at once. */
function decideTargets(f: Frame, c: Classified, usable: (k: number) => number): Decided {
  const { s, params, now } = f;
  const table: PhaseTable = f.priorityActive ? { PRIORITY: {}, NORMAL: {}, ALL: null } : { PRIORITY: null, NORMAL: null, ALL: {} };
  const usableA: Triple = [0, 0, 0];
  const groups: Decided['groups'] = [];
  const target = new Float64Array(s.plugs.length);
  for (const ph of sitePhases(params)) {
    const k = phaseIdx(ph);
    usableA[k] = usable(k);
    const r = c.requesters[ph];
    const n = c.enabledCount[ph];
    let paused: number[];
    if (f.priorityActive) {
      // R-ALLOC-2: priority plugs share first; what they leave is the normal group's.
      const pr = allocateGroup(s.plugs, r.prio, n.prio, usableA[k], params, now, target);
      const nr = allocateGroup(s.plugs, r.normal, n.normal, Math.max(0, usableA[k] - pr.used), params, now, target);
      table.PRIORITY![ph] = pr.row;
      table.NORMAL![ph] = nr.row;
      paused = pr.paused.concat(nr.paused);
      groups.push({ ph, members: [r.prio, r.normal] });
    } else {
      const all = allocateGroup(s.plugs, r.normal, n.normal + n.prio, usableA[k], params, now, target);
      table.ALL![ph] = all.row;
      paused = all.paused;
      groups.push({ ph, members: [r.normal] });
    }
    markPaused(f, paused);
    for (const members of groups[groups.length - 1].members) applyDecreases(f, members, target);
  }
  return { table, usableA, groups, target };
}

/** Plugs paused in this step: the pause time (R-ALLOC-8) and the session's pause count (R-MON-5). */
function markPaused(f: Frame, paused: readonly number[]): void {
  for (const i of paused) {
    const p = f.d.plug(i);
    p.pausedAt = f.now;
    if (p.session) p.session = { ...p.session, pauses: p.session.pauses + 1 };
  }
}

/** R-ALLOC-7: decreases first, at once; the vehicle may draw its old current for the reaction delay. */
function applyDecreases(f: Frame, members: readonly number[], target: Float64Array): void {
  for (const i of members) {
    if (target[i] < f.s.plugs[i].setpointA - EPS) {
      const p = f.d.plug(i);
      p.holdA = effectiveA(p, f.now);
      p.holdUntil = f.now + f.params.reactionDelayS * 1000;
      p.setpointA = target[i];
    }
  }
}

/**
 * Phase 3: increases, priority plugs first then by id, each within what its phase has left while
 * every plug may still draw what it drew before (R-ALLOC-7, R-ALLOC-9).
 */
function grantIncreases(f: Frame, decided: Decided, offline: ReadonlySet<number>): void {
  const { s, now } = f;
  // Headroom left on each phase, counting every plug at what it may still draw (one pass).
  const drawn: Triple = [0, 0, 0];
  for (const p of s.plugs) {
    if (p.phase === null || offline.has(cpIndexOf(p.id))) continue; // offline: in reservedA
    drawn[phaseIdx(p.phase)] += effectiveA(p, now);
  }
  for (const { ph, members } of decided.groups) {
    let headroom = decided.usableA[phaseIdx(ph)] - drawn[phaseIdx(ph)];
    for (const group of members) {
      // R-ALLOC-5 (issue 13): a batch's starts stay in id order. A plug of the batch that cannot
      // start yet (its current is still drawn by reduced vehicles) holds back the ones behind it,
      // even one whose own old current would let it start; they all start after the one delay.
      let startsBlocked = false;
      for (const i of group) {
        const starting = s.plugs[i].setpointA === 0 && decided.target[i] > 0;
        if (starting && startsBlocked) continue;
        headroom -= grantOne(f, i, decided.target[i], headroom);
        if (starting && s.plugs[i].setpointA === 0) startsBlocked = true;
      }
    }
  }
}

/** Raises plug `i` towards `t` within `headroom`; returns what the phase's worst case grew by. */
function grantOne(f: Frame, i: number, t: number, headroom: number): number {
  const { params, now } = f;
  const p0 = f.s.plugs[i];
  if (t <= p0.setpointA + EPS) return 0;
  if (p0.setpointA > 0 && t - p0.setpointA < params.minIncreaseA - EPS) return 0; // R-ALLOC-8
  const before = effectiveA(p0, now);
  // Rising to g adds max(hold, g) − before to the phase: g may reach before + headroom.
  let grant = Math.min(t, floorTo(before + Math.max(0, headroom), params.resolutionA));
  if (grant < params.minCurrentA - EPS) grant = 0;
  if (grant <= p0.setpointA + EPS) return 0;
  if (p0.setpointA > 0 && grant - p0.setpointA < params.minIncreaseA - EPS) return 0;
  const started = p0.setpointA === 0;
  const p = f.d.plug(i); // may be p0 itself when already copied in this step
  p.setpointA = grant;
  if (started) {
    p.pausedAt = null;
    // R-VEH-1/2/3: the waiting time to start drawing counts from the moment it gets current.
    if (params.stateBDetection && p.pilot === 'B') p.bSince = now;
    if (params.lowConsumption && p.pilot !== 'B' && p.measuredA < params.lowConsumptionA) p.lowSince = now;
  }
  return effectiveA(p, now) - before;
}

/** Phase 4 (R-SITE-3): a plug whose increase had to wait may sit below a newly raised I_min: pause it. */
function pauseBelowMin(f: Frame, offline: ReadonlySet<number>): void {
  const { s, params, now } = f;
  for (let i = 0; i < s.plugs.length; i++) {
    const p = s.plugs[i];
    if (p.setpointA > 0 && p.setpointA < params.minCurrentA - EPS && !offline.has(cpIndexOf(p.id))) {
      const q = f.d.plug(i);
      cut(q, params, now);
      q.pausedAt = now;
    }
  }
}

interface GroupResult {
  row: PhaseGroupRow;
  paused: number[];
  used: number;
}

/**
 * One group on one phase (R-ALLOC-3..6): pause highest ids while the share is below I_min,
 * otherwise resume the waiting plugs, lowest id first, as many as the share supports
 * (resumeBatch), then water-fill. `members` are positions in state.plugs of requesting plugs,
 * ascending id.
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
  const resumed = paused.length === 0 ? resumeBatch(plugs, active, waiting, availableA, params, now) : [];
  let shares = share(
    Math.max(0, availableA),
    active.map((i) => capOf(plugs[i], params)),
    params.resolutionA,
  );
  // R-SITE-3: never a share between 0 and I_min, whatever the rounding did: pause more if so.
  while (active.length > 0 && shares.some((x) => x < minA - EPS)) {
    const undo = resumed.pop(); // first undo this step's resumes, highest id first
    if (undo !== undefined) {
      active.splice(active.indexOf(undo), 1);
      waiting.unshift(undo);
    } else paused.push(active.pop()!);
    shares = share(
      Math.max(0, availableA),
      active.map((i) => capOf(plugs[i], params)),
      params.resolutionA,
    );
  }
  let used = 0;
  for (let k = 0; k < active.length; k++) {
    target[active[k]] = shares[k];
    used += shares[k];
  }
  for (const i of waiting) target[i] = 0;
  for (const i of paused) target[i] = 0;
  return { row: groupRow(plugs, active, waiting, paused, enabledTotal, availableA, minA), paused, used };
}

/**
 * R-ALLOC-5/6 (issue 13): resume in batches, in order. Waiting plugs come back lowest id first,
 * as many in one step as the share supports: each only if, with it, every plug of the group still
 * gets I_min (+ hysteresis for a plug the balancer paused) and its minimum pause is over. The queue
 * head blocks the others: the first that may not resume ends the batch. Moves the resumed plugs
 * from `waiting` into `active` (kept in id order); returns them, ascending id.
 */
function resumeBatch(
  plugs: readonly PlugState[],
  active: number[],
  waiting: number[],
  availableA: number,
  params: SiteParams,
  now: number,
): number[] {
  let k = 0;
  while (k < waiting.length) {
    const head = plugs[waiting[k]];
    const wasPaused = head.pausedAt !== null;
    const need = (active.length + k + 1) * (params.minCurrentA + (wasPaused ? params.resumeHysteresisA : 0));
    const pauseOver = !wasPaused || now - (head.pausedAt as number) >= params.minPauseS * 1000;
    if (availableA < need - EPS || !pauseOver) break;
    k++;
  }
  const resumed = waiting.splice(0, k);
  if (resumed.length > 0) {
    // Both ascending by id: one merge keeps `active` in id order.
    const merged: number[] = [];
    let a = 0;
    let r = 0;
    while (a < active.length || r < resumed.length) {
      const takeActive = r >= resumed.length || (a < active.length && plugs[active[a]].id < plugs[resumed[r]].id);
      merged.push(takeActive ? active[a++] : resumed[r++]);
    }
    active.length = 0;
    for (const i of merged) active.push(i);
  }
  return resumed;
}

/**
 * The table row of a group (SPEC §4): n charging, w waiting for current. `waiting` is ascending
 * and `paused` descending by id, so the lowest waiting id is at an end of each.
 */
function groupRow(
  plugs: readonly PlugState[],
  active: number[],
  waiting: number[],
  paused: number[],
  total: number,
  availableA: number,
  minA: number,
): PhaseGroupRow {
  const lowestWaiting = Math.min(
    waiting.length ? plugs[waiting[0]].id : Infinity,
    paused.length ? plugs[paused[paused.length - 1]].id : Infinity,
  );
  return loadRow({
    availableA,
    charging: active.length,
    waiting: waiting.length + paused.length,
    total,
    minA,
    nextAllowed: Number.isFinite(lowestWaiting) ? lowestWaiting : 0,
    nextPaused: active.length ? plugs[active[active.length - 1]].id : 0,
  });
}
