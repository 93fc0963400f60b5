/**
 * A `plug` message into the state (docs/messages.md "plug", R-CP-1..6, R-OFF-2/3), in named parts:
 *
 *   chargePointFor    the charge point's position: known, new, or moved to a new index (R-CP-2)
 *   updateChargePoint its configuration and contact; a start-up announcement is not an outage
 *   syncPlugs         plugs no longer configured removed; each reported plug updated, sessions tracked
 *   backFromOffline   a charge point that returns from a real outage (R-OFF-2/3, issue 9 item 8)
 *
 * and the charging sessions the reports open and close (R-MON-5).
 */
import type { Draft } from './draft';
import { reservedForPlug } from './reserve';
import { floorTo } from './share';
import {
  boardKnown,
  cpOffline,
  cpPosition,
  plugIndex,
  RECENT_TRANSACTIONS,
  wiredLines,
  type BalancerState,
  type BoardState,
  type ChargePointState,
  type PlugState,
} from './state';
import { plugId as plugIdOf } from '../shared/ids';
import { NO_PLATE, PHASE_IDLE_A } from '../shared/params';
import { SITE_BOARD, type PlugLetter, type PlugMessage, type TransactionRecord } from '../shared/types';

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
    phases: 1,
    lines: [],
    phaseCurrentsA: null,
    drawLines: null,
    drawCandidate: null,
    drawSince: null,
  };
}

/** Applies a validated `plug` message to the draft. */
export function applyPlugMessage(d: Draft, m: PlugMessage, now: number): void {
  const known = cpPosition(d.state.chargePoints, m.index);
  const existing = known >= 0 ? d.state.chargePoints[known] : undefined;
  const wasOffline = existing ? cpOffline(existing, now) : true;
  // Issue 9 item 8: a start-up announcement (the charge-point node has not heard its device *yet*)
  // about a charge point the balancer knows and still counts as in contact is not an outage: the
  // device has heard nothing for less than its heartbeat, so it still runs the last setpoints.
  // Keep its contact time and every decision; it turns OFFLINE only when its real silence (since
  // the last report recorded, R-ERR-3) exceeds its heartbeat. Re-send its setpoints at once, which
  // also refreshes the device's own heartbeat.
  const startup = !m.online && m.reported === false && existing !== undefined && !wasOffline;
  const cp = d.cp(existing ? known : chargePointFor(d, m, now));
  updateChargePoint(cp, m, d.state.boards, startup, now);
  syncPlugs(d, cp, m, now);
  if (m.online && wasOffline && existing) backFromOffline(d, cp, now);
  else if (m.online) cp.offlineSince = null;
}

/** A charge point new to the balancer, or the same one under a new index (plug ids move, R-CP-2): inserted; returns its position. */
function chargePointFor(d: Draft, m: PlugMessage, now: number): number {
  const old = d.state.chargePoints.findIndex((c) => c.name === m.chargePoint);
  if (old >= 0) {
    const was = d.state.chargePoints[old];
    for (const letter of was.letters) removePlug(d, plugIdOf(was.index, letter), now);
    d.removeCp(old);
  }
  return d.insertCp({
    name: m.chargePoint,
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
    rotation: m.rotation ?? 'RST',
    board: m.board ?? SITE_BOARD,
    boardKnown: true,
  });
}

/** Removes a plug (closing its session first), if the state has it. */
function removePlug(d: Draft, id: number, now: number): void {
  const i = plugIndex(d.state.plugs, id);
  if (i < 0) return;
  closeSession(d, d.plug(i), now);
  d.removePlug(i);
}

/** The charge point's configuration and contact from the message (R-CP-1/3, R-OFF-1/2). */
function updateChargePoint(cp: ChargePointState, m: PlugMessage, boards: readonly BoardState[], startup: boolean, now: number): void {
  cp.address = m.address ?? cp.address;
  cp.enabled = m.enabled;
  cp.devicePlugs = m.devicePlugs ?? null;
  if (JSON.stringify(cp.offline) !== JSON.stringify(m.offline)) cp.pushConfig = true;
  cp.offline = { ...m.offline };
  cp.rotation = m.rotation ?? 'RST';
  cp.board = m.board ?? SITE_BOARD;
  cp.boardKnown = boardKnown(boards, cp.board);
  if (startup) {
    cp.pushConfig = true;
    return;
  }
  cp.lastReportAt = now;
  cp.online = m.online;
  if (!m.online && cp.offlineSince === null) cp.offlineSince = now;
}

/** Plugs no longer configured are removed; each reported plug takes its configuration and, when online, its live values. */
function syncPlugs(d: Draft, cp: ChargePointState, m: PlugMessage, now: number): void {
  const letters = m.plugs.map((r) => r.letter).sort() as PlugLetter[];
  for (const letter of cp.letters) if (!letters.includes(letter)) removePlug(d, plugIdOf(cp.index, letter), now);
  cp.letters = letters;
  for (const r of m.plugs) {
    const id = plugIdOf(m.index, r.letter);
    let i = plugIndex(d.state.plugs, id);
    if (i < 0) {
      d.insertPlug(newPlug(m.chargePoint, id, r.letter));
      i = plugIndex(d.state.plugs, id);
    }
    const p = d.plug(i);
    p.phase = r.phase;
    p.priority = r.priority;
    p.maxCurrentA = r.maxCurrentA;
    const phases = r.phases ?? 1;
    const lines = wiredLines(phases, cp.rotation, r.phase);
    if (phases !== p.phases || lines.join() !== p.lines.join()) {
      // R-3PH-1: rewired: what was detected of its vehicle no longer applies.
      p.phases = phases;
      p.lines = lines;
      resetDetection(p);
    }
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
    p.phaseCurrentsA = r.phaseCurrentsA ? [r.phaseCurrentsA[0], r.phaseCurrentsA[1], r.phaseCurrentsA[2]] : null;
    // R-3PH-3: a departed vehicle draws nothing; what it may still hold for the reaction delay stays
    // on the lines it was counted on. The next vehicle starts from every wired line.
    if (r.pilot === 'A') {
      p.drawCandidate = null;
      p.drawSince = null;
    } else if (prevPilot === 'A') {
      resetDetection(p);
      noteDrawing(p, now);
    } else noteDrawing(p, now);
    if (r.followsLimits === false) p.ignoresLimits = true;
    else delete p.ignoresLimits;
    // R-VEH: a queued vehicle that asks for current by itself (B → C) rejoins the normal queue.
    if (p.queued && prevPilot === 'B' && (r.pilot === 'C' || r.pilot === 'D')) {
      p.queued = false;
      p.nextRetryAt = null;
    }
    trackSession(d, p, now);
  }
}

/** R-3PH-3: forget what was detected (new vehicle, rewired plug): counted on every wired line. */
function resetDetection(p: PlugState): void {
  p.drawLines = null;
  p.drawCandidate = null;
  p.drawSince = null;
}

/**
 * R-3PH-3: which lines a three-phase plug's vehicle draws from, from its per-phase currents. A line
 * drawing beyond what it is counted on is counted again at once (safe side); drawing on a proper
 * subset becomes a candidate that the allocation adopts after the settling time (allocate.ts).
 * Without current on any phase nothing can be told: what is known stays.
 */
function noteDrawing(p: PlugState, now: number): void {
  if (p.phases !== 3 || p.lines.length !== 3 || !p.phaseCurrentsA) {
    resetDetection(p);
    return;
  }
  const drawing = p.lines.filter((_, j) => p.phaseCurrentsA![j] >= PHASE_IDLE_A);
  if (drawing.length === 0) {
    p.drawCandidate = null;
    p.drawSince = null;
    return;
  }
  const counted = p.drawLines ?? p.lines;
  if (!drawing.every((ph) => counted.includes(ph))) p.drawLines = null; // draws where it is not counted
  const now3 = p.drawLines ?? p.lines;
  if (drawing.length === now3.length) {
    p.drawCandidate = null;
    p.drawSince = null;
  } else if (!p.drawCandidate || p.drawCandidate.join() !== drawing.join()) {
    p.drawCandidate = drawing;
    p.drawSince = now;
  }
}

/**
 * Back from a real outage (R-OFF-2, R-OFF-3): it may have run its offline mode. A plug that was
 * charging continues at what that mode let it draw, so the allocation reduces it properly. A plug
 * the balancer had at 0 A (paused, queued or waiting) that the device started on its own (mode 3)
 * is a new transaction for the balancer (decision, issue 9 item 8): back to 0 A at once, counted
 * at what it may still draw for the reaction delay, and it starts again only through R-ALLOC-6
 * and the resume rules (queue order, minimum pause, hysteresis). The configuration is pushed again.
 */
function backFromOffline(d: Draft, cp: ChargePointState, now: number): void {
  const params = d.state.params;
  cp.offlineSince = null;
  cp.pushConfig = true;
  for (const letter of cp.letters) {
    const p = d.plug(plugIndex(d.state.plugs, plugIdOf(cp.index, letter)));
    const worst = reservedForPlug(cp, p, params, now);
    const drawing = p.setpointA > 0 && (p.pilot === 'C' || p.pilot === 'D') ? Math.min(p.maxCurrentA, worst) : 0;
    p.setpointA = drawing >= params.minCurrentA ? floorTo(drawing, params.resolutionA) : 0;
    p.holdA = worst;
    p.holdUntil = now + params.reactionDelayS * 1000;
  }
}

// ---------------------------------------------------------------------------------------------
// Charging sessions (R-MON-5)
// ---------------------------------------------------------------------------------------------

export function trackSession(d: Draft, p: PlugState, now: number): void {
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

export function closeSession(d: Draft, p: PlugState, now: number): void {
  if (!p.session) return;
  const rec: TransactionRecord = { ...p.session, stop: now, plate: p.plate };
  p.session = null;
  d.closed.push(rec);
  const recent = d.state.recentTransactions.concat([rec]);
  d.state.recentTransactions = recent.length > RECENT_TRANSACTIONS ? recent.slice(recent.length - RECENT_TRANSACTIONS) : recent;
}

// ---------------------------------------------------------------------------------------------
// Reports that change measurements only (issue 13)
// ---------------------------------------------------------------------------------------------

/**
 * What a report from a charge point in contact may change without changing any decision: its
 * contact time, and per plug the live measurements, the session's energy and peak, and a pending
 * single-phase detection (adopted by the allocation after `phaseSettleS`). Anything else — pilot,
 * fault, configuration, the lines a vehicle is counted on, a device that stops following limits, a
 * plate, a session opened or closed, a plug added or removed — is a plug change.
 */
const LIVE_CP_FIELDS: ReadonlySet<string> = new Set(['lastReportAt']);
const LIVE_PLUG_FIELDS: ReadonlySet<string> = new Set(['measuredA', 'energyWh', 'phaseCurrentsA', 'session', 'drawCandidate', 'drawSince']);

/** Same value: primitives by value, arrays and plain objects by content (small values: lines, offline config, last sent). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

/** Are `a` and `b` the same in every field but the live ones? */
function sameExcept(a: object, b: object, live: ReadonlySet<string>): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (live.has(k)) continue;
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/**
 * Did applying the report `m` at `now` change only measurements (see LIVE_*_FIELDS)? Only for a
 * charge point the balancer knows and counts as in contact (a report that ends an outage is a
 * change), with the same plugs, no session closed. The step then does not re-allocate: the
 * measurements are taken in by the next meter reading or tick (decision, docs/requirements.md).
 */
export function measurementsOnly(before: BalancerState, d: Draft, m: PlugMessage, now: number): boolean {
  const after = d.state;
  if (d.closed.length || !m.online) return false;
  if (after.chargePoints.length !== before.chargePoints.length || after.plugs.length !== before.plugs.length) return false;
  const at = cpPosition(before.chargePoints, m.index);
  if (at < 0) return false;
  const cp0 = before.chargePoints[at];
  if (cpOffline(cp0, now) || cp0.name !== m.chargePoint) return false;
  if (!sameExcept(cp0, after.chargePoints[at], LIVE_CP_FIELDS)) return false;
  for (const letter of cp0.letters) {
    const i = plugIndex(before.plugs, plugIdOf(cp0.index, letter));
    if (i < 0 || !sameExcept(before.plugs[i], after.plugs[i], LIVE_PLUG_FIELDS)) return false;
  }
  return true;
}
