/**
 * The balancer: one pure step function (DESIGN "functional core"). It takes the state, one event
 * and the time, and returns the new state, the setpoints to send and the finished charging
 * sessions. The rules live here and in the small modules it calls: share (water-filling),
 * loadstate (states 1–5), meter (building current), vehicle (R-VEH), reserve (R-OFF-3),
 * validate (R-ERR-1), state (lookups and statuses), draft (copy-on-write). No Node-RED, no
 * timers, no clock.
 */
import { Draft } from './draft';
import { loadRow } from './loadstate';
import { buildingUsedA, initialMeter, takeReading, type Triple } from './meter';
import { DEFAULT_SCHEDULE, mergeParams, NO_PLATE, phaseLimitA, validateParams } from './params';
import { plugId as plugIdOf, validatePlate } from './chargepoint';
import { reservedForPlug } from './reserve';
import { isPriorityActive } from './schedule';
import { floorTo, share } from './share';
import {
  cpOffline, cpPosition, effectiveA, EPS, offlineIndexes, phaseIdx, plugIndex, plugStatus, requesting, sitePhases,
  RECENT_TRANSACTIONS, STATE_VERSION, type BalancerState, type DlmEvent, type PlugState, type StepResult, type StepView,
} from './state';
import { validateEvent } from './validate';
import { capOf, vehicleTimers } from './vehicle';
import type { Phase, PhaseGroupRow, PhaseTable, PlugLetter, PlugMessage, SetpointMessage, SiteParams, TransactionRecord } from './types';

export * from './state';
export { reservedForPlug } from './reserve';
export { restoreProblem } from './validate';

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
    if (r.followsLimits === false) p.ignoresLimits = true;
    else delete p.ignoresLimits;
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
  if (typeof now !== 'number' || !Number.isFinite(now)) return { state, error: 'time must be a finite number of ms', setpoints: [], closedTransactions: [] };
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


