/**
 * The balancer: one pure step function (DESIGN "functional core"). It takes the state, one event
 * and the time, and returns the new state, the setpoints to send and the finished charging
 * sessions. The step validates the event (validate, R-ERR-1), applies it (plug-message, meter,
 * params, schedule, plate), allocates the site (allocate: classify, decide, grant, R-ALLOC-1..9)
 * and collects the setpoints to send (R-OFF-1/2). No Node-RED, no timers, no clock.
 */
import { allocate } from './allocate';
import { Draft } from './draft';
import { initialMeter, takeReading } from './meter';
import { applyPlugMessage, measurementsOnly } from './plug-message';
import {
  addMeasured,
  boardKnown,
  cpOffline,
  plugIndex,
  STATE_VERSION,
  type BalancerState,
  type PlugState,
  type DlmEvent,
  type StepResult,
  type StepView,
} from './state';
import { validateEvent } from './validate';
import { DEFAULT_SCHEDULE, mergeParams, validateBoards, validateParams } from '../shared/params';
import { validatePlate } from '../shared/plate';
import { SITE_BOARD, type BoardConfig, type PlugLetter, type SetpointMessage, type SiteParams, type Triple } from '../shared/types';

/**
 * A fresh state from the deployed configuration: the site's parameters and its sub-boards
 * (R-CIRC-1; parents are ordered before their children). Invalid boards are site errors (R-ERR-1).
 */
export function initialState(params: SiteParams, now: number, boards: readonly BoardConfig[] = []): BalancerState {
  const boardErrors = validateBoards(boards);
  const state: BalancerState = {
    version: STATE_VERSION,
    params: { ...params },
    deployed: { ...params },
    errors: validateParams(params).concat(boardErrors),
    schedule: { enabled: DEFAULT_SCHEDULE.enabled, slots: [...DEFAULT_SCHEDULE.slots], timeZone: null },
    meter: initialMeter(),
    chargePoints: [],
    plugs: [],
    boards: boardErrors.length
      ? []
      : treeOrder(boards).map((config) => ({ config: { ...config }, meter: config.hasMeter ? initialMeter() : null })),
    recentTransactions: [],
    view: emptyView(),
  };
  const d = new Draft(state);
  allocate(d, now);
  return d.state;
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
    boards: [],
    spreadA: 0,
  };
}

/** Boards ordered parents first, depth-first in the deployed order (validated: no cycle). */
function treeOrder(boards: readonly BoardConfig[]): BoardConfig[] {
  const out: BoardConfig[] = [];
  const visit = (parent: string) => {
    for (const b of boards)
      if (b.parent === parent) {
        out.push(b);
        visit(b.name);
      }
  };
  visit(SITE_BOARD);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Setpoints to send (R-OFF-1 refresh, R-OFF-2 push)
// ---------------------------------------------------------------------------------------------

/** Do the plugs at positions [first, at) differ from what their charge point was last sent (or in number)? */
function setpointsChanged(
  plugs: readonly PlugState[],
  first: number,
  at: number,
  lastSent: Partial<Record<PlugLetter, number>> | null,
): boolean {
  if (lastSent === null) return true;
  const sent = (lastSent.A !== undefined ? 1 : 0) + (lastSent.B !== undefined ? 1 : 0);
  if (sent !== at - first) return true;
  for (let k = first; k < at; k++) if (plugs[k].setpointA !== lastSent[plugs[k].letter]) return true;
  return false;
}

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
    if (!due && !setpointsChanged(s.plugs, first, at, cp0.lastSent)) continue;
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
  for (const p of state.plugs) addMeasured(p, t);
  return t;
}

/**
 * Applies one event at time `now` (ms) and re-allocates. A refused event returns the same state
 * object, no setpoints, and the reason (R-ERR-1).
 */
export function step(state: BalancerState, event: DlmEvent, now: number): StepResult {
  if (typeof now !== 'number' || !Number.isFinite(now))
    return { state, error: 'time must be a finite number of ms', setpoints: [], closedTransactions: [], allocated: false };
  const error = validateEvent(state, event);
  if (error) return { state, error, setpoints: [], closedTransactions: [], allocated: false };
  const d = new Draft(state);
  switch (event.type) {
    case 'meter': {
      const board = event.meter.board;
      if (board === undefined) {
        // Only a grid-position meter needs the EV current taken off (R-MTR-2).
        const ev: Triple = state.params.meterPosition === 'grid' ? evMeasured(state) : [0, 0, 0];
        d.state.meter = takeReading(state.meter, event.meter, state.params, ev, now);
        break;
      }
      // R-CIRC-1: a sub-board's meter, the non-EV loads on that board (validated: known, with a meter).
      d.state.boards = state.boards.map((b) =>
        b.config.name === board && b.meter
          ? { config: b.config, meter: takeReading(b.meter, event.meter, { ...state.params, meterPosition: 'building' }, [0, 0, 0], now) }
          : b,
      );
      break;
    }
    case 'plug':
      applyPlugMessage(d, event.plug, now);
      // Issue 13: new measurements alone change no decision at once; the next meter reading or
      // tick (at most a second away) allocates with them. Any plug change allocates now.
      if (measurementsOnly(state, d, event.plug, now))
        return { state: d.state, error: null, setpoints: [], closedTransactions: [], allocated: false };
      break;
    case 'schedule':
      d.state.schedule = {
        enabled: event.schedule.enabled,
        slots: [...event.schedule.slots],
        timeZone: event.timeZone ?? state.schedule.timeZone,
      };
      break;
    case 'params': {
      const r = mergeParams(state.params, event.params, state.deployed);
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
  allocate(d, now);
  const setpoints = collectSetpoints(d, now);
  return { state: d.state, error: null, setpoints, closedTransactions: d.closed, allocated: true };
}

/**
 * The state with the deployed boards (R-CIRC-1, like `deployed`, R-SEC-2): the node calls it after
 * restoring a stored state, so the boards always come from the editor. A board whose configuration
 * is unchanged keeps its meter readings; every charge point's board is looked up again. Invalid
 * boards are site errors (every plug at 0 A, R-ERR-1).
 */
export function withDeployedBoards(state: BalancerState, boards: readonly BoardConfig[]): BalancerState {
  const errors = validateBoards(boards);
  if (errors.length) return { ...state, boards: [], errors: [...new Set(state.errors.concat(errors))] };
  const old = new Map(state.boards.map((b) => [JSON.stringify(b.config), b.meter]));
  const next = treeOrder(boards).map((config) => {
    const kept = old.get(JSON.stringify(config));
    return { config: { ...config }, meter: config.hasMeter ? (kept ?? initialMeter()) : null };
  });
  const chargePoints = state.chargePoints.map((cp) => ({ ...cp, boardKnown: boardKnown(next, cp.board) }));
  return { ...state, boards: next, chargePoints };
}
