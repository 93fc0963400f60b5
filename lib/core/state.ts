/**
 * The balancer's state and the questions asked of it: which plug, which charge point, is it
 * offline, what is its status (R-CP-1..5), what may it still draw (R-ALLOC-7). Pure data and
 * pure functions; the step lives in balancer.ts.
 */
import type { MeterState } from './meter';
import type {
  MeterMessage,
  OfflineConfig,
  Phase,
  Triple,
  BoardConfig,
  Rotation,
  PhaseTable,
  PilotState,
  PlugLetter,
  PlugMessage,
  PlugStatus,
  Schedule,
  SetpointMessage,
  SiteParams,
  TransactionRecord,
} from '../shared/types';
import { PHASES, SITE_BOARD } from '../shared/types';
import { cpIndexOf } from '../shared/ids';

/** Tolerance of current comparisons, A. */
export const EPS = 1e-6;

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
  /** The device said it does not follow limits (issue 12): reserved at its maximum while a vehicle is connected. */
  ignoresLimits?: boolean;
  /** 1 or 3 phases (R-3PH-1). */
  phases: 1 | 3;
  /** Supply lines it is wired to, in charger phase order (1φ: [phase]; [] while no phase is set). */
  lines: Phase[];
  /** Last measured current per charger phase 1..3, A; null = not reported (R-3PH-3). */
  phaseCurrentsA: Triple | null;
  /** R-3PH-3: the lines its vehicle is counted on when detected on fewer than `lines`; null = all of `lines`. */
  drawLines: Phase[] | null;
  /** R-3PH-3: the subset seen last and since when (settling); null = none pending. */
  drawCandidate: Phase[] | null;
  drawSince: number | null;
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
  /** Phase rotation (R-3PH-1). */
  rotation: Rotation;
  /** The board it hangs on (R-CIRC-1): SITE_BOARD or a board's name. */
  board: string;
  /** Is `board` the site or a deployed board? (kept with the boards: plug-message, withBoards) */
  boardKnown: boolean;
}

/** A sub-board as the balancer keeps it (R-CIRC-1): its deployed configuration and its meter. */
export interface BoardState {
  config: BoardConfig;
  /** Readings of its meter (same rules as the analyser's, R-MTR-4/5); null without a meter. */
  meter: MeterState | null;
}

/** One board's figures of the last step, per line, A (the site first). */
export interface BoardLoad {
  name: string;
  limitA: number;
  marginPct: number;
  workingLimitA: number;
  otherA: Triple;
  evA: Triple;
  reservedA: Triple;
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
  /** Every board's figures, the site first (R-CIRC-2). */
  boards: BoardLoad[];
  /** Most minus least loaded line at the site (building + EV setpoints + reserved), A; 0 without a limit (R-UNB-1). */
  spreadA: number;
}

/** Version of the state's shape; a stored state of another version is not restored. */
export const STATE_VERSION = 4;

export interface BalancerState {
  version: typeof STATE_VERSION;
  params: SiteParams;
  /**
   * The configuration deployed in the editor: the ceiling of every run-time change (R-SEC-2).
   * The node sets it from its editor configuration at every start; it is never taken from a store.
   */
  deployed: SiteParams;
  /** Problems with the parameters themselves (after a restore); empty when valid. */
  errors: string[];
  schedule: Schedule & { timeZone: string | null };
  meter: MeterState;
  /** All charge points, sorted by index k (unique). */
  chargePoints: ChargePointState[];
  /** All plugs, sorted by id. */
  plugs: PlugState[];
  /** The deployed sub-boards (R-CIRC-1), parents before children; set from the editor at every start, never from a store. */
  boards: BoardState[];
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
  /**
   * Did this step allocate the site? False for a refused event and for a plug report that changed
   * measurements only (issue 13: the next meter reading or tick allocates with them); the state's
   * `view` and every setpoint are then those of the last allocation.
   */
  allocated: boolean;
}

/** Closed sessions kept in the state for the status (the node keeps the full history). */
export const RECENT_TRANSACTIONS = 50;

export function plugIndex(plugs: readonly PlugState[], id: number): number {
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
export function cpPosition(cps: readonly ChargePointState[], k: number): number {
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
  return chargePointAt(state, cpIndexOf(p.id)) as ChargePointState;
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

export const phaseIdx = (ph: Phase): 0 | 1 | 2 => (ph === 'L1' ? 0 : ph === 'L2' ? 1 : 2);

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
  if (!cp.boardKnown) return `board ${cp.board} is not declared in the balancer (R-CIRC-1)`;
  if (p.phases === 3 && params.supplyPhases !== 3) return 'three-phase plug on a single-phase supply';
  if (p.phases !== 3 && p.phase === null) return 'no phase set';
  if (p.phases !== 3 && params.supplyPhases !== 3 && p.phase !== 'L1') return `phase ${p.phase} on a single-phase supply`;
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
export function offlineIndexes(state: BalancerState, now: number): Set<number> {
  const out = new Set<number>();
  for (const cp of state.chargePoints) if (cpOffline(cp, now)) out.add(cp.index);
  return out;
}

/** A vehicle asking for current: connected (B, C or D) and not queued by R-VEH (R-CP-5). */
export function requesting(p: PlugState): boolean {
  return (p.pilot === 'B' || p.pilot === 'C' || p.pilot === 'D') && !p.queued;
}

/** The supply line each rotation letter names (R-3PH-1): R = L1, S = L2, T = L3. */
const LINE_OF: Record<string, Phase> = { R: 'L1', S: 'L2', T: 'L3' };

/**
 * The supply lines a plug is wired to, in charger phase order (R-3PH-1): a three-phase plug's come
 * from its charger's rotation; a single-phase plug is on its `phase` (none while it has no phase).
 */
export function wiredLines(phases: 1 | 3, rotation: Rotation, phase: Phase | null): Phase[] {
  if (phases === 3) return [LINE_OF[rotation[0]], LINE_OF[rotation[1]], LINE_OF[rotation[2]]];
  return phase ? [phase] : [];
}

/** The lines a plug's vehicle is counted on (R-3PH-3): the detected subset, or every wired line. */
export function countedLines(p: PlugState): readonly Phase[] {
  return p.drawLines ?? p.lines;
}

/**
 * Measured current per supply line of one plug, added into `into` (R-3PH-3, R-MON-1): a plug that
 * reports per charger phase is mapped through its wiring; otherwise its one current is counted on
 * each line it is counted on.
 */
export function addMeasured(p: PlugState, into: Triple): void {
  if (p.phaseCurrentsA && p.phases === 3 && p.lines.length === 3) {
    for (let j = 0; j < 3; j++) into[phaseIdx(p.lines[j])] += p.phaseCurrentsA[j];
    return;
  }
  for (const ph of countedLines(p)) into[phaseIdx(ph)] += p.measuredA;
}

/** Is `name` the site or one of the deployed boards (R-CIRC-1)? */
export function boardKnown(boards: readonly BoardState[], name: string): boolean {
  return name === SITE_BOARD || boards.some((b) => b.config.name === name);
}
