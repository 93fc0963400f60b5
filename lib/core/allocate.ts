/**
 * The allocation of one step (SPEC §4, R-ALLOC-1..9, and §10: three-phase plugs, boards,
 * unbalance), in named phases:
 *
 *   classify        which plugs ask for current, per group; vehicle timers; what a vehicle draws
 *                   on (R-3PH-3); offline charge points' reservations on every board above them;
 *                   everything not managed goes to 0 A at once
 *   decideTargets   the groups in service order (priority first): pause / resume / share
 *                   (allocateGroup) over every capacity a plug uses, the unbalance trim (R-UNB-1),
 *                   and the decreases, sent at once (R-ALLOC-7)
 *   grantIncreases  the increases, each within what every capacity it uses has left while reduced
 *                   vehicles may still draw their old current (R-ALLOC-7, R-ALLOC-9)
 *   pauseBelowMin   no plug left between 0 and I_min (R-SITE-3)
 *
 * A *capacity* is one supply line of one board (the site is board 0): what the board's working
 * limit leaves on that line after its non-EV load and its reservations. A plug uses the capacity
 * of each line it is counted on (R-3PH-2/3), on its board and on every board above it (R-CIRC-1).
 * On the manual's site (one board, single-phase plugs) every plug uses exactly one capacity, its
 * phase at the site, and every rule below reduces to the per-phase rules of SPEC §4.
 *
 * Every phase reads and writes the step's Draft (copy-on-write: the input state is never modified).
 */
import type { Draft } from './draft';
import { loadRow } from './loadstate';
import { buildingUsedA, type MeterState } from './meter';
import { reservedForPlug } from './reserve';
import { floorTo } from './share';
import {
  countedLines,
  cpOffline,
  effectiveA,
  EPS,
  phaseIdx,
  plugStatus,
  requesting,
  sitePhases,
  type BalancerState,
  type BoardLoad,
  type ChargePointState,
  type PlugState,
} from './state';
import { capOf, vehicleTimers } from './vehicle';
import { cpIndexOf } from '../shared/ids';
import { phaseLimitA } from '../shared/params';
import { isPriorityActive } from '../shared/schedule';
import {
  SITE_BOARD,
  type BoardConfig,
  type PerPhase,
  type Phase,
  type PhaseGroupRow,
  type PhaseTable,
  type SiteParams,
  type Triple,
} from '../shared/types';

/** Most rounds of the unbalance trim (R-UNB-1): each tightens the heaviest line once. */
const UNBALANCE_ROUNDS = 6;

/** What every phase of one allocation works from. */
interface Frame {
  d: Draft;
  /** The draft's state (the same object as d.state). */
  s: BalancerState;
  params: SiteParams;
  now: number;
  priorityActive: boolean;
  /** Invalid site parameters or boards: every plug held at 0 A (R-ERR-1). */
  invalidParams: boolean;
  /** Boards, the site first: parent position (−1 for the site). */
  parent: Int32Array;
  /** Board position by name. */
  boardAt: Map<string, number>;
  /** Number of capacities: 3 per board, then 3 unbalance trims (one per line). */
  nCap: number;
  /** Position of the first unbalance capacity. */
  unbBase: number;
}

/** Requesting plugs (positions in state.plugs, ascending id) per group. */
interface Requesters {
  prio: number[];
  normal: number[];
}

interface Classified {
  /** Reserved per capacity (offline charge points, devices that ignore limits). */
  reservedA: Float64Array;
  requesters: Requesters;
  /** Capacities each requesting plug uses (by plug position). */
  caps: (number[] | undefined)[];
  /** Lines each requesting plug is counted on (by plug position), for the unbalance trim. */
  lines: (readonly Phase[] | undefined)[];
  /** Board position of each plug's charge point, and whether it is offline (by plug position). */
  boardOfPlug: Int32Array;
  offline: Uint8Array;
  /** Enabled plugs per line and group, for the table's TOTAL PLUGS row (a 3φ plug on each of its lines). */
  enabledCount: Record<Phase, { prio: number; normal: number }>;
}

interface Plan {
  table: PhaseTable;
  /** Target current per plug position. */
  target: Float64Array;
  /** Plugs paused by this plan. */
  paused: number[];
  /** Groups in service order (members ascending id). */
  groups: number[][];
}

/** Sets a plug to 0 A at once, remembering what it may still draw for the reaction delay. */
export function cut(p: PlugState, params: SiteParams, now: number): void {
  if (p.setpointA > 0) {
    p.holdA = effectiveA(p, now);
    p.holdUntil = now + params.reactionDelayS * 1000;
    p.setpointA = 0;
  }
}

/** Boards' meter readings read as the analyser's are, with the board's own assumption while lost (R-CIRC-1). */
function boardMeterParams(params: SiteParams, b: BoardConfig): SiteParams {
  return { ...params, analyserEnabled: true, meterPosition: 'building', meterOfflineCurrentA: b.otherLoadA };
}

/** The non-EV load of a sub-board itself, per line: its meter (R-MTR-4/5 rules) or its assumption. */
export function boardOtherA(params: SiteParams, b: BoardConfig, meter: MeterState | null, now: number): Triple {
  return meter ? buildingUsedA(meter, boardMeterParams(params, b), now) : [b.otherLoadA, b.otherLoadA, b.otherLoadA];
}

/** Evaluates the whole site at `now` and sets every plug's setpoint in the draft (R-ALLOC-1..9, §10). */
export function allocate(d: Draft, now: number): void {
  const s = d.state;
  const params = s.params;
  const nB = s.boards.length + 1;
  const parent = new Int32Array(nB);
  const boardAt = new Map<string, number>([[SITE_BOARD, 0]]);
  parent[0] = -1;
  s.boards.forEach((b, j) => boardAt.set(b.config.name, j + 1));
  s.boards.forEach((b, j) => (parent[j + 1] = boardAt.get(b.config.parent) ?? 0));
  const f: Frame = {
    d,
    s,
    params,
    now,
    priorityActive: isPriorityActive(s.schedule, s.schedule.timeZone ?? params.timeZone, now),
    invalidParams: s.errors.length > 0,
    parent,
    boardAt,
    nCap: nB * 3 + 3,
    unbBase: nB * 3,
  };
  const limitA = phaseLimitA(params);
  const workingLimitA = limitA * (1 - params.marginPct / 100);
  const buildingA = buildingUsedA(s.meter, params, now);
  // Non-EV load per board and line, each board with its sub-boards'; the site: the analyser (which
  // measures the whole building) or the boards' sum, whichever is higher.
  const otherA: Triple[] = [[0, 0, 0]];
  const limits: { limitA: number; marginPct: number; working: number }[] = [
    { limitA, marginPct: params.marginPct, working: workingLimitA },
  ];
  for (const b of s.boards) {
    otherA.push(boardOtherA(params, b.config, b.meter, now));
    const margin = b.config.marginPct ?? params.marginPct;
    limits.push({ limitA: b.config.limitA, marginPct: margin, working: b.config.limitA * (1 - margin / 100) });
  }
  for (let j = nB - 1; j >= 2; j--) for (let k = 0; k < 3; k++) if (parent[j] > 0) otherA[parent[j]][k] += otherA[j][k];
  const sumBoards: Triple = [0, 0, 0];
  for (let j = 1; j < nB; j++) if (parent[j] === 0) for (let k = 0; k < 3; k++) sumBoards[k] += otherA[j][k];
  otherA[0] = [0, 1, 2].map((k) => Math.max(buildingA[k], sumBoards[k])) as Triple;
  const c = classify(f);
  const usable = new Float64Array(f.nCap);
  for (let j = 0; j < nB; j++)
    for (let k = 0; k < 3; k++)
      usable[j * 3 + k] = f.invalidParams ? 0 : Math.max(0, limits[j].working - otherA[j][k] - c.reservedA[j * 3 + k]);
  for (let k = 0; k < 3; k++) usable[f.unbBase + k] = Infinity;
  const plan = decideTargets(f, c, usable, otherA[0]);
  applyPlan(f, plan);
  // What every capacity may carry after the grants; pauseBelowMin's cuts keep what a plug may
  // still draw (R-ALLOC-7), so it is also the boards' EV load after the step.
  const drawn = grantIncreases(f, c, plan, usable);
  pauseBelowMin(f, plan);
  const boards = boardLoads(f, c, otherA, limits, drawn);
  d.state.view = {
    priorityActive: f.priorityActive,
    table: plan.table,
    limitA,
    workingLimitA,
    buildingA,
    reservedA: [c.reservedA[0], c.reservedA[1], c.reservedA[2]],
    usableA: [usable[0], usable[1], usable[2]],
    boards,
    spreadA: spreadOf(f, c, boards[0]),
  };
}

/** Position of a charge point's board; an unknown board (ERR_CFG) counts at the site only. */
function boardOf(f: Frame, name: string): number {
  return f.boardAt.get(name) ?? 0;
}

/** Adds `a` on line k of board j and every board above it. */
function addUp(f: Frame, into: Float64Array, j: number, k: number, a: number): void {
  for (let b = j; b >= 0; b = f.parent[b]) into[b * 3 + k] += a;
}

/** Phase 1: classify every plug; vehicle timers; reservations of offline charge points (R-OFF-3). */
function classify(f: Frame): Classified {
  const { d, s, params, now } = f;
  const reservedA = new Float64Array(f.nCap);
  const requesters: Requesters = { prio: [], normal: [] };
  const caps: (number[] | undefined)[] = new Array(s.plugs.length);
  const lines: (readonly Phase[] | undefined)[] = new Array(s.plugs.length);
  const enabled = new Int32Array(6); // per line: normal, priority
  const useCache: number[][] = [];
  const boardOfPlug = new Int32Array(s.plugs.length);
  const offline = new Uint8Array(s.plugs.length);
  let cpAt = -1;
  let cp = s.chargePoints[0];
  let cpOff = false;
  let board = 0;
  for (let i = 0; i < s.plugs.length; i++) {
    let p = s.plugs[i];
    // Plugs (by id) and charge points (by index) are both sorted: walk them together.
    if (cpAt < 0 || cp.index !== cpIndexOf(p.id)) {
      do cpAt++;
      while (s.chargePoints[cpAt].index < cpIndexOf(p.id));
      cp = s.chargePoints[cpAt];
      cpOff = cpOffline(cp, now);
      board = boardOf(f, cp.board);
    }
    boardOfPlug[i] = board;
    offline[i] = cpOff ? 1 : 0;
    if (reserveUnmanaged(f, reservedA, cp, cpOff, i, p, board)) continue;
    p = adoptDetection(f, i, p);
    const status = plugStatus(cp, p, params, now);
    const counted = p.drawLines ?? p.lines;
    if (cp.enabled && status !== 'ERR_CFG') for (const ph of counted) enabled[phaseIdx(ph) * 2 + (p.priority ? 1 : 0)]++;
    if ((status !== 'CHARGING' && status !== 'PAUSED') || f.invalidParams) {
      if (p.setpointA > 0) cut(d.plug(i), params, now);
      continue;
    }
    p = runVehicleTimers(f, i, p);
    if (!requesting(p)) {
      if (p.setpointA > 0) cut(d.plug(i), params, now);
      continue;
    }
    const use = capacitiesOf(f, useCache, board, counted);
    caps[i] = use;
    lines[i] = counted;
    (f.priorityActive && p.priority ? requesters.prio : requesters.normal).push(i);
  }
  const enabledCount = {
    L1: { prio: enabled[1], normal: enabled[0] },
    L2: { prio: enabled[3], normal: enabled[2] },
    L3: { prio: enabled[5], normal: enabled[4] },
  };
  return { reservedA, requesters, caps, lines, boardOfPlug, offline, enabledCount };
}

/**
 * Reservations of a plug the balancer cannot steer (R-OFF-3, issue 12) on every line it is wired
 * to the supply has, on its board and every board above (R-3PH-1, R-CIRC-1). True when the plug is
 * such a plug (nothing more to decide for it).
 */
function reserveUnmanaged(
  f: Frame,
  reservedA: Float64Array,
  cp: ChargePointState,
  cpOff: boolean,
  i: number,
  p: PlugState,
  board: number,
): boolean {
  if (!cpOff && !(p.ignoresLimits && p.pilot !== 'A')) return false;
  const { params, now } = f;
  // A plug on a line the supply lacks draws nothing (it is ERR_CFG).
  const lines = p.lines.length === 1 && !sitePhases(params).includes(p.lines[0]) ? [] : p.lines;
  if (cpOff) {
    // R-OFF-3: whatever its status here (even disabled), the device runs its offline mode. A device
    // that ignores limits may draw its maximum offline too, whatever its mode (issue 12). Its last
    // setpoint stays as what it was told.
    const a = p.ignoresLimits ? p.maxCurrentA : lines.length ? reservedForPlug(cp, p, params, now) : 0;
    for (const ph of lines) addUp(f, reservedA, board, phaseIdx(ph), a);
    return true;
  }
  // Issue 12: a device that does not follow limits may draw its maximum whatever it is told:
  // reserve that, and share only the rest (the promise holds).
  for (const ph of lines) addUp(f, reservedA, board, phaseIdx(ph), p.maxCurrentA);
  if (p.setpointA > 0) cut(f.d.plug(i), params, now);
  return true;
}

/** R-3PH-3: a vehicle that has drawn on fewer lines for the settling time is counted there only. Returns the plug as it now is. */
function adoptDetection(f: Frame, i: number, p: PlugState): PlugState {
  if (p.drawCandidate === null || p.drawSince === null || f.now - p.drawSince < f.params.phaseSettleS * 1000) return p;
  const q = f.d.plug(i);
  q.drawLines = q.drawCandidate;
  q.drawCandidate = null;
  q.drawSince = null;
  return q;
}

/** The capacities a plug on `board` counted on `counted` uses; plugs on the same board and lines share one read-only list. */
function capacitiesOf(f: Frame, cache: number[][], board: number, counted: readonly Phase[]): number[] {
  let mask = 0;
  for (const ph of counted) mask |= 1 << phaseIdx(ph);
  let use = cache[board * 8 + mask];
  if (!use) {
    use = [];
    for (const ph of counted) for (let b = board; b >= 0; b = f.parent[b]) use.push(b * 3 + phaseIdx(ph));
    cache[board * 8 + mask] = use;
  }
  return use;
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

/**
 * Phase 2: the groups in service order → targets, pauses and table rows (R-ALLOC-2..6), then the
 * unbalance trim (R-UNB-1): while the most and least loaded lines at the site differ by more than
 * the limit, the plugs counted on fewer than three lines on the heaviest line get a common
 * capacity that much smaller, and the plan is made again.
 */
function decideTargets(f: Frame, c: Classified, usable: Float64Array, siteOtherA: Triple): Plan {
  let plan = planGroups(f, c, usable);
  const limit = f.params.unbalanceLimitA;
  if (!(limit > 0) || f.params.supplyPhases !== 3) return plan;
  for (let round = 0; round < UNBALANCE_ROUNDS; round++) {
    const load: Triple = [0, 1, 2].map((k) => siteOtherA[k] + c.reservedA[k]) as Triple;
    const asym: Triple = [0, 0, 0];
    for (const group of plan.groups)
      for (const i of group) {
        const ls = c.lines[i]!;
        for (const ph of ls) {
          load[phaseIdx(ph)] += plan.target[i];
          if (ls.length < 3) asym[phaseIdx(ph)] += plan.target[i];
        }
      }
    const heavy = load.indexOf(Math.max(...load));
    const excess = load[heavy] - Math.min(...load) - limit;
    if (excess <= EPS || asym[heavy] <= EPS) break;
    const cap = f.unbBase + heavy;
    usable[cap] = Math.min(usable[cap], Math.max(0, asym[heavy] - excess));
    for (const group of plan.groups)
      for (const i of group) {
        const ls = c.lines[i]!;
        if (ls.length < 3 && ls.includes((['L1', 'L2', 'L3'] as const)[heavy]) && !c.caps[i]!.includes(cap))
          c.caps[i] = c.caps[i]!.concat(cap);
      }
    plan = planGroups(f, c, usable);
  }
  return plan;
}

/** The plan of every group for the capacities `usable`: targets, pauses, table rows. Pure (nothing written to the draft). */
function planGroups(f: Frame, c: Classified, usable: Float64Array): Plan {
  const { s, params, now } = f;
  const table: PhaseTable = f.priorityActive ? { PRIORITY: {}, NORMAL: {}, ALL: null } : { PRIORITY: null, NORMAL: null, ALL: {} };
  const target = new Float64Array(s.plugs.length);
  const left = Float64Array.from(usable);
  const groups = f.priorityActive ? [c.requesters.prio, c.requesters.normal] : [c.requesters.normal];
  const names: ('PRIORITY' | 'NORMAL' | 'ALL')[] = f.priorityActive ? ['PRIORITY', 'NORMAL'] : ['ALL'];
  const paused: number[] = [];
  groups.forEach((members, g) => {
    // R-ALLOC-2: priority plugs share first; what they leave is the normal group's.
    const r = allocateGroup(s.plugs, members, c.caps, left, f.nCap, params, now, target);
    const total = (ph: Phase) => {
      const n = c.enabledCount[ph];
      return f.priorityActive ? (g === 0 ? n.prio : n.normal) : n.normal + n.prio;
    };
    table[names[g]] = groupRows(s.plugs, r, c, total, sitePhases(params), left, params.minCurrentA);
    for (const i of r.active) for (const k of c.caps[i]!) left[k] = Math.max(0, left[k] - target[i]);
    paused.push(...r.paused);
  });
  return { table, target, paused, groups };
}

/** Writes a plan into the draft: pause times and counts (R-ALLOC-8, R-MON-5), decreases at once (R-ALLOC-7). */
function applyPlan(f: Frame, plan: Plan): void {
  for (const i of plan.paused) {
    const p = f.d.plug(i);
    p.pausedAt = f.now;
    if (p.session) p.session = { ...p.session, pauses: p.session.pauses + 1 };
  }
  for (const members of plan.groups)
    for (const i of members) {
      if (plan.target[i] < f.s.plugs[i].setpointA - EPS) {
        const p = f.d.plug(i);
        p.holdA = effectiveA(p, f.now);
        p.holdUntil = f.now + f.params.reactionDelayS * 1000;
        p.setpointA = plan.target[i];
      }
    }
}

/**
 * Phase 3: increases, priority plugs first then by id, each within what every capacity it uses
 * has left while every plug may still draw what it drew before (R-ALLOC-7, R-ALLOC-9).
 */
function grantIncreases(f: Frame, c: Classified, plan: Plan, usable: Float64Array): Float64Array {
  const { s, now } = f;
  // What each capacity carries now, every plug at what it may still draw (one pass). Offline
  // charge points are in the reservations.
  const drawn = new Float64Array(f.nCap);
  for (let i = 0; i < s.plugs.length; i++) {
    if (c.offline[i]) continue;
    const p = s.plugs[i];
    const a = effectiveA(p, now);
    if (a > 0) for (const ph of countedLines(p)) addUp(f, drawn, c.boardOfPlug[i], phaseIdx(ph), a);
  }
  for (const group of plan.groups) {
    // R-ALLOC-5 (issue 13): a batch's starts stay in id order. A plug of the batch that cannot
    // start yet (its current is still drawn by reduced vehicles) holds back the ones behind it on
    // the same capacities, even one whose own old current would let it start; they all start
    // after the one delay.
    const startsBlocked = new Uint8Array(f.nCap);
    for (const i of group) {
      const use = c.caps[i]!;
      const starting = s.plugs[i].setpointA === 0 && plan.target[i] > 0;
      if (starting && use.some((k) => startsBlocked[k])) continue;
      let headroom = Infinity;
      for (const k of use) if (k < f.unbBase) headroom = Math.min(headroom, usable[k] - drawn[k]);
      const grown = grantOne(f, i, plan.target[i], headroom);
      if (grown !== 0) for (const k of use) drawn[k] += grown;
      if (starting && f.d.state.plugs[i].setpointA === 0) for (const k of use) startsBlocked[k] = 1;
    }
  }
  return drawn;
}

/** Raises plug `i` towards `t` within `headroom`; returns what each of its capacities' worst case grew by. */
function grantOne(f: Frame, i: number, t: number, headroom: number): number {
  const { params, now } = f;
  const p0 = f.d.state.plugs[i];
  if (t <= p0.setpointA + EPS) return 0;
  if (p0.setpointA > 0 && t - p0.setpointA < params.minIncreaseA - EPS) return 0; // R-ALLOC-8
  const before = effectiveA(p0, now);
  // Rising to g adds max(hold, g) − before to the capacity: g may reach before + headroom.
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

/**
 * Phase 4 (R-SITE-3): a plug whose increase had to wait may sit below a newly raised I_min: pause
 * it. Only managed plugs can (every other plug was cut to 0 A or is offline, and keeps what it was told).
 */
function pauseBelowMin(f: Frame, plan: Plan): void {
  const { params, now } = f;
  for (const group of plan.groups)
    for (const i of group) {
      const p = f.d.state.plugs[i];
      if (p.setpointA > 0 && p.setpointA < params.minCurrentA - EPS) {
        const q = f.d.plug(i);
        cut(q, params, now);
        q.pausedAt = now;
      }
    }
}

interface GroupResult {
  active: number[];
  waiting: number[];
  paused: number[];
}

/**
 * One group (R-ALLOC-3..6) over its capacities: pause highest ids while some capacity cannot give
 * every plug on it I_min; otherwise resume the waiting plugs, lowest id first, as many as the
 * capacities support (resumeBatch); then share (maxMinShare: equal shares, water-filled, a plug
 * taking the smallest its capacities give it, R-3PH-4). `members` are positions in state.plugs
 * of requesting plugs, ascending id; `left` the current each capacity has for this group.
 */
function allocateGroup(
  plugs: readonly PlugState[],
  members: number[],
  caps: readonly (number[] | undefined)[],
  left: Float64Array,
  nCap: number,
  params: SiteParams,
  now: number,
  target: Float64Array,
): GroupResult {
  const minA = params.minCurrentA;
  const active: number[] = [];
  const waiting: number[] = [];
  for (const i of members) (plugs[i].setpointA > 0 ? active : waiting).push(i);
  const count = new Int32Array(nCap);
  for (const i of active) for (const k of caps[i]!) count[k]++;
  const over = (k: number) => left[k] < count[k] * minA - EPS;
  // R-ALLOC-4: pause, highest plug id first, until every capacity gives its plugs ≥ I_min. Counts
  // only fall, so one pass from the highest id pauses exactly the plugs the rule pauses.
  const paused: number[] = [];
  const blocked = new Uint8Array(nCap); // capacities that paused or whose queue head must wait
  for (let a = active.length - 1; a >= 0; a--) {
    const i = active[a];
    if (!caps[i]!.some(over)) continue;
    paused.push(i);
    active.splice(a, 1);
    for (const k of caps[i]!) {
      count[k]--;
      blocked[k] = 1;
    }
  }
  const resumed = resumeBatch(plugs, active, waiting, caps, left, count, blocked, params, now);
  let shares = maxMinShare(plugs, active, caps, left, nCap, params);
  // R-SITE-3: never a share between 0 and I_min, whatever the rounding did: pause more if so.
  for (;;) {
    const short = new Uint8Array(nCap);
    let any = false;
    for (let a = 0; a < active.length; a++)
      if (shares[a] < minA - EPS) {
        any = true;
        for (const k of caps[active[a]]!) short[k] = 1;
      }
    if (!any) break;
    const touches = (i: number) => caps[i]!.some((k) => short[k]);
    // First undo this step's resumes, highest id first; then pause the highest id.
    let undo = -1;
    for (let r = resumed.length - 1; r >= 0 && undo < 0; r--) if (touches(resumed[r])) undo = r;
    if (undo >= 0) {
      const i = resumed.splice(undo, 1)[0];
      active.splice(active.indexOf(i), 1);
      waiting.splice(sortedIndex(plugs, waiting, plugs[i].id), 0, i);
    } else {
      let a = active.length - 1;
      while (!touches(active[a])) a--;
      paused.push(active.splice(a, 1)[0]);
    }
    shares = maxMinShare(plugs, active, caps, left, nCap, params);
  }
  for (let a = 0; a < active.length; a++) target[active[a]] = shares[a];
  for (const i of waiting) target[i] = 0;
  for (const i of paused) target[i] = 0;
  return { active, waiting, paused };
}

/** Where a plug with this id goes in a list of positions sorted by id. */
function sortedIndex(plugs: readonly PlugState[], list: readonly number[], id: number): number {
  let at = 0;
  while (at < list.length && plugs[list[at]].id < id) at++;
  return at;
}

/**
 * R-ALLOC-5/6 (issue 13): resume in batches, in order. Waiting plugs come back lowest id first, as
 * many in one step as the capacities support: each only if, with it, every plug on each of its
 * capacities still gets I_min (+ hysteresis for a plug the balancer paused) and its minimum pause
 * is over. A head that may not resume holds back every later plug on the capacities it lacks room
 * on (all of its capacities while its minimum pause runs): at the site, per line, the manual's
 * queue per phase. Moves the resumed plugs from `waiting` into `active`
 * (kept in id order); returns them, ascending id.
 */
function resumeBatch(
  plugs: readonly PlugState[],
  active: number[],
  waiting: number[],
  caps: readonly (number[] | undefined)[],
  left: Float64Array,
  count: Int32Array,
  blocked: Uint8Array,
  params: SiteParams,
  now: number,
): number[] {
  const resumed: number[] = [];
  for (let w = 0; w < waiting.length; w++) {
    const i = waiting[w];
    const use = caps[i]!;
    if (use.some((k) => blocked[k])) continue; // behind a head that waits
    const head = plugs[i];
    const wasPaused = head.pausedAt !== null;
    const perPlug = params.minCurrentA + (wasPaused ? params.resumeHysteresisA : 0);
    const pauseOver = !wasPaused || now - (head.pausedAt as number) >= params.minPauseS * 1000;
    const short = (k: number) => left[k] < (count[k] + 1) * perPlug - EPS;
    if (!pauseOver) {
      for (const k of use) blocked[k] = 1;
      continue;
    }
    if (use.some(short)) {
      // It holds back the queue where it lacks room only: a three-phase plug waiting for L3 does
      // not stop a single-phase plug on L1 from using L1's room (R-3PH-4).
      for (const k of use) if (short(k)) blocked[k] = 1;
      continue;
    }
    for (const k of use) count[k]++;
    resumed.push(i);
  }
  if (resumed.length > 0) {
    const back = new Set(resumed);
    const still = waiting.filter((i) => !back.has(i));
    waiting.length = 0;
    for (const i of still) waiting.push(i);
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

/** Members of each capacity (positions in `active`), sorted by their cap; and the capacities used. */
function capacityMembers(
  active: readonly number[],
  caps: readonly (number[] | undefined)[],
  cap: readonly number[],
): { members: number[][]; used: number[] } {
  const members: number[][] = [];
  const used: number[] = [];
  for (let a = 0; a < active.length; a++)
    for (const k of caps[active[a]]!) {
      if (!members[k]) {
        members[k] = [];
        used.push(k);
      }
      members[k].push(a);
    }
  for (const k of used) {
    const m = members[k];
    let sorted = true;
    for (let j = 1; j < m.length && sorted; j++) if (cap[m[j]] < cap[m[j - 1]]) sorted = false;
    if (!sorted) m.sort((x, y) => cap[x] - cap[y]);
  }
  return { members, used };
}

/**
 * The water level of `available` over the plugs `sorted` (ascending by cap) not yet frozen: every
 * such plug gets min(cap, level); Infinity when all their caps fit (or none is left). The same
 * arithmetic as waterfill (share.ts).
 */
function levelOf(available: number, sorted: readonly number[], cap: readonly number[], frozen: Uint8Array): number {
  let n = 0;
  for (const a of sorted) if (!frozen[a]) n++;
  let remaining = available;
  let k = 0;
  for (const a of sorted) {
    if (frozen[a]) continue;
    const level = remaining / (n - k);
    if (cap[a] <= level) remaining -= cap[a];
    else return level;
    k++;
  }
  return Infinity;
}

/** A binary min-heap of (level, capacity) pairs, ordered by level, then capacity position. */
class LevelHeap {
  private levels: number[] = [];
  private ks: number[] = [];
  get size(): number {
    return this.ks.length;
  }
  private less(i: number, j: number): boolean {
    return this.levels[i] < this.levels[j] || (this.levels[i] === this.levels[j] && this.ks[i] < this.ks[j]);
  }
  private swap(i: number, j: number): void {
    [this.levels[i], this.levels[j]] = [this.levels[j], this.levels[i]];
    [this.ks[i], this.ks[j]] = [this.ks[j], this.ks[i]];
  }
  push(level: number, k: number): void {
    this.levels.push(level);
    this.ks.push(k);
    for (let i = this.ks.length - 1; i > 0;) {
      const up = (i - 1) >> 1;
      if (!this.less(i, up)) break;
      this.swap(i, up);
      i = up;
    }
  }
  pop(): [number, number] {
    const top: [number, number] = [this.levels[0], this.ks[0]];
    const last = this.ks.length - 1;
    this.swap(0, last);
    this.levels.pop();
    this.ks.pop();
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < last && this.less(l, m)) m = l;
      if (r < last && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }
}

/**
 * Equal shares over several capacities (R-ALLOC-3, R-3PH-4): the max-min fair shares — raise every
 * plug's current together; a plug stops at its maximum, and every plug on a capacity that is full
 * stops there — each rounded down to the resolution (never up). With one capacity per plug this
 * is the water-filling of SPEC §4 exactly. Returns the shares in `active`'s order.
 */
function maxMinShare(
  plugs: readonly PlugState[],
  active: readonly number[],
  caps: readonly (number[] | undefined)[],
  left: Float64Array,
  nCap: number,
  params: SiteParams,
): number[] {
  const n = active.length;
  const out = new Array<number>(n).fill(0);
  if (n === 0) return out;
  const cap = active.map((i) => capOf(plugs[i], params));
  const { members, used } = capacityMembers(active, caps, cap);
  const remaining = new Float64Array(nCap);
  for (const k of used) remaining[k] = Math.max(0, left[k]);
  const frozen = new Uint8Array(n);
  // Every capacity's water level, in a heap by level (then position). A level only rises as plugs
  // freeze elsewhere (they get at most it), so a stale level is a lower bound: a capacity is only
  // recomputed when it reaches the top of the heap after plugs on it froze (dirty).
  const level = new Float64Array(nCap);
  const dirty = new Uint8Array(nCap);
  const heap = new LevelHeap();
  for (const k of used) {
    level[k] = levelOf(remaining[k], members[k], cap, frozen);
    heap.push(level[k], k);
  }
  let unfrozen = n;
  while (unfrozen > 0 && heap.size > 0) {
    const [best, k] = heap.pop();
    if (best !== level[k]) continue; // an outdated entry
    if (dirty[k]) {
      dirty[k] = 0;
      level[k] = levelOf(remaining[k], members[k], cap, frozen);
      heap.push(level[k], k);
      continue;
    }
    if (best === Infinity) break; // no capacity fills
    // The capacity that fills first sets the level of every plug on it.
    for (const a of members[k]) {
      if (frozen[a]) continue;
      out[a] = Math.min(cap[a], best);
      frozen[a] = 1;
      unfrozen--;
      for (const j of caps[active[a]]!)
        if (j !== k) {
          remaining[j] -= out[a];
          dirty[j] = 1;
        }
    }
    remaining[k] = 0;
    level[k] = Infinity;
  }
  // Plugs no capacity stops get their maximum.
  for (let a = 0; a < n; a++) if (!frozen[a]) out[a] = cap[a];
  return out.map((x) => floorTo(x, params.resolutionA));
}

/**
 * The table rows of a group, one per line at the site (SPEC §4): n charging, w waiting for
 * current, a three-phase plug on each of its lines (R-3PH-4). One pass over the group.
 */
function groupRows(
  plugs: readonly PlugState[],
  r: GroupResult,
  c: Classified,
  total: (ph: Phase) => number,
  phases: readonly Phase[],
  left: Float64Array,
  minA: number,
): PerPhase<PhaseGroupRow> {
  const charging = [0, 0, 0];
  const nextPaused = [0, 0, 0];
  const waiting = [0, 0, 0];
  const lowestWaiting = [Infinity, Infinity, Infinity];
  for (const i of r.active)
    for (const ph of c.lines[i]!) {
      const k = phaseIdx(ph);
      charging[k]++;
      if (plugs[i].id > nextPaused[k]) nextPaused[k] = plugs[i].id;
    }
  for (const list of [r.waiting, r.paused])
    for (const i of list)
      for (const ph of c.lines[i]!) {
        const k = phaseIdx(ph);
        waiting[k]++;
        if (plugs[i].id < lowestWaiting[k]) lowestWaiting[k] = plugs[i].id;
      }
  const out: PerPhase<PhaseGroupRow> = {};
  for (const ph of phases) {
    const k = phaseIdx(ph);
    out[ph] = loadRow({
      availableA: left[k],
      charging: charging[k],
      waiting: waiting[k],
      total: total(ph),
      minA,
      nextAllowed: Number.isFinite(lowestWaiting[k]) ? lowestWaiting[k] : 0,
      nextPaused: nextPaused[k],
    });
  }
  return out;
}

/** Every board's figures after the step, per line (R-CIRC-2): non-EV, EV (what may be drawn), reserved. */
function boardLoads(
  f: Frame,
  c: Classified,
  otherA: Triple[],
  limits: { limitA: number; marginPct: number; working: number }[],
  ev: Float64Array,
): BoardLoad[] {
  const s = f.d.state;
  const triple = (arr: Float64Array, j: number): Triple => [arr[j * 3], arr[j * 3 + 1], arr[j * 3 + 2]];
  return limits.map((l, j) => ({
    name: j === 0 ? SITE_BOARD : s.boards[j - 1].config.name,
    limitA: l.limitA,
    marginPct: l.marginPct,
    workingLimitA: l.working,
    otherA: otherA[j],
    evA: triple(ev, j),
    reservedA: triple(c.reservedA, j),
  }));
}

/** Most minus least loaded supply line at the site (building + EV setpoints + reserved), A (R-UNB-1); 0 without a limit. */
function spreadOf(f: Frame, c: Classified, site: BoardLoad): number {
  if (f.params.supplyPhases !== 3 || !(f.params.unbalanceLimitA > 0)) return 0;
  // What the vehicles are allowed to draw from now on (their setpoints), as the trim decides it:
  // a reduction that is still settling (R-ALLOC-7) is not an unbalance the balancer keeps.
  const load: Triple = [site.otherA[0] + site.reservedA[0], site.otherA[1] + site.reservedA[1], site.otherA[2] + site.reservedA[2]];
  const plugs = f.d.state.plugs;
  for (let i = 0; i < plugs.length; i++) {
    if (c.offline[i] || plugs[i].setpointA <= 0) continue;
    for (const ph of countedLines(plugs[i])) load[phaseIdx(ph)] += plugs[i].setpointA;
  }
  return Math.max(...load) - Math.min(...load);
}
