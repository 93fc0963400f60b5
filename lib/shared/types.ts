/**
 * The domain vocabulary of the load manager (SPEC.md). Pure types: no Node-RED, no I/O.
 * Every message between our nodes is one of the `*Message` shapes below: they are the public
 * contract documented in docs/messages.md.
 */

/** A supply phase. Single-phase sites use L1 only (R-SITE-1). */
export type Phase = 'L1' | 'L2' | 'L3';
export const PHASES: readonly Phase[] = ['L1', 'L2', 'L3'];

/** IEC 61851-1 control pilot state (R-CP-5). D counts as C; E and F are errors. */
export type PilotState = 'A' | 'B' | 'C' | 'D' | 'E' | 'F';
export const PILOT_STATES: readonly PilotState[] = ['A', 'B', 'C', 'D', 'E', 'F'];

/** The seven plug statuses, exactly (R-CP-4). */
export type PlugStatus = 'AVAILABLE' | 'CHARGING' | 'PAUSED' | 'OFFLINE' | 'FAULTED' | 'ERR_CFG' | 'DISABLED';
export const PLUG_STATUSES: readonly PlugStatus[] = ['AVAILABLE', 'CHARGING', 'PAUSED', 'OFFLINE', 'FAULTED', 'ERR_CFG', 'DISABLED'];

export type PlugLetter = 'A' | 'B';

/**
 * A charger's phase rotation (R-3PH-1, OCPP `ConnectorPhaseRotation` notation): letter i is the
 * supply line its phase i+1 is wired to, R = L1, S = L2, T = L3. "STR": phase 1 on L2, 2 on L3, 3 on L1.
 */
export type Rotation = 'RST' | 'RTS' | 'SRT' | 'STR' | 'TRS' | 'TSR';
export const ROTATIONS: readonly Rotation[] = ['RST', 'RTS', 'SRT', 'STR', 'TRS', 'TSR'];

/** The name of the root board: the site itself (R-CIRC-1). */
export const SITE_BOARD = 'site';

/**
 * A sub-board of the site (R-CIRC-1), as deployed in the balancer's editor. The root is the site
 * (MCCB, contracted power, margin of SiteParams); every other board hangs on the site or on another board.
 */
export interface BoardConfig {
  /** Unique name, not "site". */
  name: string;
  /** The board it is fed from: "site" or another board's name. */
  parent: string;
  /** Its breaker, A per phase. */
  limitA: number;
  /** Its own safety margin, %; null = the site's margin. */
  marginPct: number | null;
  /** It has its own meter for the non-EV loads on it (meter messages with `board`). */
  hasMeter: boolean;
  /** Non-EV load assumed on it, A per phase: always without a meter, while its meter is lost (at least). */
  otherLoadA: number;
}

/** Where the building analyser is wired (R-MTR-2). */
export type MeterPosition = 'building' | 'grid';

/** Charge point behaviour when it stops hearing from the balancer (R-OFF-1). */
export type OfflineMode = 0 | 1 | 2 | 3;

/** Load management state per phase and group, SPEC §4 table: 1..5. */
export type LoadState = 1 | 2 | 3 | 4 | 5;
export const LOAD_STATES: readonly LoadState[] = [1, 2, 3, 4, 5];

/** Group of plugs sharing one available current (R-ALLOC-2). */
export type GroupName = 'PRIORITY' | 'NORMAL' | 'ALL';

/** Site parameters: everything the electrician sets (SPEC §1, §3, §4, §5). Defaults and ranges in lib/shared/params.ts. */
export interface SiteParams {
  /** 1 = single-phase supply (L1 only), 3 = three-phase (R-SITE-1). */
  supplyPhases: 1 | 3;
  /** Nominal phase-to-neutral voltage, V. */
  voltageV: number;
  /** Main breaker rating, A per phase. */
  mccbA: number;
  /** Contracted power, kW (whole site). */
  contractedKW: number;
  /** Minimum charging current per socket, A; ≥ 6 (R-SITE-3). */
  minCurrentA: number;
  /** Building analyser enabled; disabled = supply dedicated to EVs, building 0 A (R-MTR-3). */
  analyserEnabled: boolean;
  /** Building current assumed on every phase while the analyser is offline, A (R-MTR-4). */
  meterOfflineCurrentA: number;
  /** Meter lost: the highest building reading of this many minutes before it was lost is assumed when above the offline current, min (R-MTR-4 amended; 0 = offline current only). */
  meterPeakWindowMin: number;
  /** No valid meter reading for this long → analyser offline, s (R-MTR-4). */
  meterTimeoutS: number;
  /** Window of the short moving average of building current, s (R-MTR-5). */
  meterAverageS: number;
  /** Where the analyser is wired (R-MTR-2). */
  meterPosition: MeterPosition;
  /** Safety margin / working range, percent of I_limit kept unused (R-ALLOC-1). */
  marginPct: number;
  /** Setpoint resolution of the chargers, A; setpoints are rounded down to it (R-ALLOC-3). */
  resolutionA: number;
  /** Extra current above I_min a paused plug's share must have before it resumes, A (R-ALLOC-5). */
  resumeHysteresisA: number;
  /** Time a vehicle gets to follow a reduction before freed current is reused, s (R-ALLOC-7). */
  reactionDelayS: number;
  /** A paused plug is not resumed within this time of being paused, s (R-ALLOC-8). */
  minPauseS: number;
  /** Upward changes smaller than this are not sent, A (R-ALLOC-8). */
  minIncreaseA: number;
  /** State B detection (R-VEH-1). */
  stateBDetection: boolean;
  /** Waiting time a vehicle in B (or drawing little) keeps its current, s (R-VEH-1). */
  waitingTimeS: number;
  /** Retries offered to a queued vehicle (R-VEH-2). */
  retries: number;
  /** Period between retries, s (R-VEH-2). */
  retryPeriodS: number;
  /** Low consumption detection (R-VEH-3). */
  lowConsumption: boolean;
  /** Below this measured current a charging vehicle counts as low consumption, A (R-VEH-3: 6 A). */
  lowConsumptionA: number;
  /** Give the unused part of a steadily under-drawing vehicle's setpoint to the others (R-VEH-4). */
  releaseUnused: boolean;
  /** Headroom an under-drawing vehicle keeps above its measured current, A (R-VEH-4). */
  releaseHeadroomA: number;
  /** How long a vehicle must under-draw before its unused part is released, s (R-VEH-4). */
  releaseAfterS: number;
  /** IANA time zone of the site, for the priority schedule (R-PRIO-1). */
  timeZone: string;
  /** Largest difference between the most and least loaded line at the site, A; 0 = no limit (R-UNB-1). */
  unbalanceLimitA: number;
  /** A vehicle must draw on fewer lines than its plug offers this long before it is counted on those only, s (R-3PH-3). */
  phaseSettleS: number;
}

/** Offline behaviour pushed to a charge point (R-OFF-1, R-OFF-2). */
export interface OfflineConfig {
  /** The balancer refreshes the charge point at least this often; silence this long → offline mode, s. */
  heartbeatS: number;
  /** 0..3, the manual's table. */
  mode: OfflineMode;
  /** Current for modes 2 and 3, A. */
  currentA: number;
}

/** One plug's configuration (R-CP-1). */
export interface PlugConfig {
  letter: PlugLetter;
  /** Supply phase the socket is wired to; null = not set yet (→ ERR_CFG when enabled, R-CP-3). */
  phase: Phase | null;
  priority: boolean;
  /** Maximum output current of the plug, A. */
  maxCurrentA: number;
  /** 1 = single-phase (on `phase`), 3 = three-phase (on the charger's rotation) (R-3PH-1). Absent = 1. */
  phases?: 1 | 3;
}

/** A charge point's configuration (R-CP-1). */
export interface ChargePointConfig {
  /** Name, e.g. "CP01". */
  name: string;
  /** Position k of the charge point on the site (CP01 → 1); plug ids are 2k-1 and 2k (R-CP-2). */
  index: number;
  /** Network address (informational, never contacted by lib/). */
  address: string;
  enabled: boolean;
  plugs: PlugConfig[];
  offline: OfflineConfig;
  /** Phase rotation of the charger (R-3PH-1); absent = RST. */
  rotation?: Rotation;
  /** The board it hangs on (R-CIRC-1); absent or "site" = the site's main board. */
  board?: string;
}

/** The priority schedule (R-PRIO-1). */
export interface Schedule {
  enabled: boolean;
  /** 24 one-hour slots, index h = h:00–h+1:00 local time; true = priority slot. */
  slots: boolean[];
}

// ---------------------------------------------------------------------------------------------
// Messages between nodes (docs/messages.md). All currents in A, voltages in V, powers in W,
// times in ms since the Unix epoch.
// ---------------------------------------------------------------------------------------------

/** topic "meter": cvm-mini-reader → dlm-balancer. */
export interface MeterMessage {
  online: boolean;
  /** Per-phase current, A, index 0..2 = L1..L3. Present when online. */
  currentA?: [number, number, number];
  voltageV?: [number, number, number];
  powerW?: [number, number, number];
  powerFactor?: [number, number, number];
  /** Three-phase active power, W. */
  totalPowerW?: number;
  frequencyHz?: number;
  /** Time of the reading, ms epoch. */
  timestamp: number;
  /** Why the meter is offline, when it is. */
  reason?: string;
  /** A sub-board's meter (R-CIRC-1): the non-EV loads on that board. Absent = the building analyser. */
  board?: string;
}

/** One plug's live report, part of a `plug` message. */
export interface PlugReport {
  letter: PlugLetter;
  /** Plug id 2k-1 / 2k (R-CP-2). */
  id: number;
  phase: Phase | null;
  priority: boolean;
  maxCurrentA: number;
  /** Pilot state A..F (R-CP-5). */
  pilot: PilotState;
  /** Measured current, A. */
  measuredA: number;
  /** Energy of the current session, Wh. */
  energyWh: number;
  /** Device-reported fault (besides pilot E/F). */
  fault?: string;
  /** Licence plate / identifier, "-" for none, never empty (R-CP-6). */
  plate: string;
  /** false = the device does not follow limits: the balancer reserves the plug's maximum (issue 12). Absent = it does. */
  followsLimits?: boolean;
  /** 1 = single-phase on `phase`, 3 = three-phase on the charge point's rotation (R-3PH-1). Absent = 1. */
  phases?: 1 | 3;
  /** Measured current per charger phase 1, 2, 3 (not per supply line), A (R-3PH-3). Absent = unknown. */
  phaseCurrentsA?: Triple;
}

/** topic "plug": charge-point → dlm-balancer. One message per charge point, all its plugs. */
export interface PlugMessage {
  chargePoint: string;
  index: number;
  address: string;
  enabled: boolean;
  /** Contact with the device: false = OFFLINE (R-OFF-3). */
  online: boolean;
  /**
   * Has the device reported since the charge-point node started? `false` marks the start-up
   * announcement (`online: false` because nothing was heard *yet*, not because the device went
   * silent): a balancer that already knows the charge point keeps its decisions until the
   * device's real silence exceeds its heartbeat (issue 9 item 8). Absent = true (a real outage).
   */
  reported?: boolean;
  /** Number of plugs the device itself reports, when known (R-CP-3: must agree with config). */
  devicePlugs?: number;
  offline: OfflineConfig;
  plugs: PlugReport[];
  timestamp: number;
  /** Phase rotation (R-3PH-1); absent = RST. */
  rotation?: Rotation;
  /** The board the charge point hangs on (R-CIRC-1); absent = "site". */
  board?: string;
}

/** topic "setpoint": dlm-balancer → charge-point. */
export interface SetpointMessage {
  chargePoint: string;
  /** Per plug letter: current in A, 0 = paused. */
  plugs: Partial<Record<PlugLetter, number>>;
  /** Offline configuration to (re-)push to the device (R-OFF-2). */
  offline: OfflineConfig;
  timestamp: number;
}

/** topic "schedule": priority-schedule → dlm-balancer. */
export interface ScheduleMessage extends Schedule {
  timeZone: string;
  /** Whether priority is active at `timestamp` (informational: the balancer evaluates it too). */
  active: boolean;
  timestamp: number;
}

// ---------------------------------------------------------------------------------------------
// The generic device interface of the charge-point node (DESIGN: "a generic message form first").
// Any transport (Modbus, MQTT, OCPP gateway, the simulator) converts to and from these.
// ---------------------------------------------------------------------------------------------

/** One plug in a device report. */
export interface DevicePlugReport {
  letter: PlugLetter;
  /** IEC 61851-1 pilot state A..F. */
  pilot: PilotState;
  /** Measured current, A (≥ 0); may be left out when `phaseCurrentsA` is given. */
  currentA?: number;
  /** Energy of the current session, Wh (≥ 0); optional. */
  energyWh?: number;
  /** A device error text; any non-empty text makes the plug FAULTED. */
  fault?: string;
  /** false = the device is known not to follow limits (e.g. an OCPP charger seen drawing above its profile). */
  followsLimits?: boolean;
  /** Measured current per charger phase 1, 2, 3, A (three-phase plugs, R-3PH-3); `currentA` then is their highest. */
  phaseCurrentsA?: Triple;
}

/** Input of charge-point from its device (msg.topic "device", msg.payload). */
export interface DeviceReport {
  plugs: DevicePlugReport[];
  /** Plug count the device says it has (R-CP-3 checks it against the configuration). */
  devicePlugs?: number;
}

/** Output of charge-point to its device (msg.topic "command", msg.payload). */
export interface DeviceCommand {
  chargePoint: string;
  address: string;
  /** Per plug: current limit in A; 0 = pause (PWM off / state B hold). */
  plugs: Partial<Record<PlugLetter, number>>;
  /** Offline behaviour the device must apply if it hears nothing for heartbeatS (R-OFF-2). */
  offline: OfflineConfig;
  timestamp: number;
}

// ---------------------------------------------------------------------------------------------
// The balancer's status (topic "status"): what the dashboard, the HTTP API and any BMS read.
// ---------------------------------------------------------------------------------------------

/** One column of the per-phase table (SPEC §4 rows). */
export interface PhaseGroupRow {
  /** STATE 1..5. */
  state: LoadState;
  /** MAX. ALLOWED PLUGS = min(n+w, floor(A / I_min)). */
  maxAllowed: number;
  /** CHARGING n. */
  charging: number;
  /** PAUSED w (plugs waiting for current). */
  paused: number;
  /** TOTAL PLUGS: enabled plugs of the group on the phase. */
  total: number;
  /** AVAILABLE CURRENT (A). */
  availableA: number;
  /** SHARED CURRENT (A) = A / MAX. ALLOWED PLUGS, 0 when none. */
  sharedA: number;
  /** NEXT ALLOWED PLUG: lowest id waiting, 0 if none. */
  nextAllowed: number;
  /** NEXT PAUSED PLUG: highest id charging, 0 if none. */
  nextPaused: number;
}

/** Per phase; only the supply's phases are present (L1 only on a single-phase site). */
/** One phase of the fallback budget, A. */
export interface FallbackPhase {
  buildingA: number;
  chargersA: number;
  totalA: number;
  limitA: number;
  /** max(0, total − limit). */
  overA: number;
}

export interface FallbackBudget {
  /** No phase over its limit. */
  ok: boolean;
  phases: PerPhase<FallbackPhase>;
  /** e.g. "fallback budget exceeded on L1: 97 A if Node-RED stops (limit 50 A)"; null when ok. */
  warning: string | null;
}

/** One value per supply line, L1 L2 L3 (currents in A). */
export type Triple = [number, number, number];

export type PerPhase<T> = Partial<Record<Phase, T>>;

/** The table per phases: PRIORITY and NORMAL while a priority slot is active, else ALL. */
export interface PhaseTable {
  PRIORITY: PerPhase<PhaseGroupRow> | null;
  NORMAL: PerPhase<PhaseGroupRow> | null;
  ALL: PerPhase<PhaseGroupRow> | null;
}

/** Consumption per phase (R-MON-1), A. */
export interface PhaseConsumption {
  /** MCCB max current. */
  mccbA: number;
  /** I_limit = min(MCCB, contracted) (R-SITE-2). */
  limitA: number;
  /** Building + EV. */
  totalA: number;
  /** Building current as used by the balancer (R-MTR-4/5). */
  buildingA: number;
  /** Sum of measured EV currents. */
  evA: number;
  /** Sum of EV setpoints. */
  evSetpointA: number;
  /** Reserved for offline charge points (R-OFF-3). */
  reservedA: number;
}

/** Analyser panel (R-MON-2). */
export interface AnalyserView {
  enabled: boolean;
  online: boolean;
  position: MeterPosition;
  offlineCurrentA: number;
  /** ms epoch of the last valid reading, null if none yet. */
  lastReadingAt: number | null;
  realtimeA: PerPhase<number>;
  averageA: PerPhase<number>;
  /** What the balancer uses: max(realtime, average), or max(offline current, recent peak) while lost (R-MTR-4/5). */
  usedA: PerPhase<number>;
  /** Highest building reading of the peak window before the last valid reading (R-MTR-4 amended). */
  recentPeakA: PerPhase<number>;
  /** Length of that window, min. */
  peakWindowMin: number;
  /** While the analyser is enabled but lost: what is assumed and why, in words; null otherwise. */
  lostAssumption: string | null;
  /** Thresholds acted on, per phase: the limit and the limit less the safety margin. */
  limitA: PerPhase<number>;
  workingLimitA: PerPhase<number>;
  marginPct: number;
}

/** One plug as the dashboard shows it. */
export interface PlugView {
  id: number;
  chargePoint: string;
  letter: PlugLetter;
  phase: Phase | null;
  priority: boolean;
  status: PlugStatus;
  pilot: PilotState;
  /** Vehicle indicator: a vehicle is plugged in (pilot B..F). */
  pluggedIn: boolean;
  setpointA: number;
  measuredA: number;
  maxCurrentA: number;
  energyWh: number;
  plate: string;
  /** Queued by State B / low consumption detection (R-VEH). */
  queued: boolean;
  retriesUsed: number;
  /** Why the plug has 0 A, in words, when it has. */
  reason: string | null;
  /** 1 or 3 (R-3PH-1). */
  phases: 1 | 3;
  /** Supply lines the plug is wired to, in charger phase order (1φ: [phase]). */
  lines: Phase[];
  /** Lines its vehicle is counted on (R-3PH-3): `lines`, or the detected subset a vehicle draws from. */
  drawLines: Phase[];
  /** The board it hangs on ("site" = the main board). */
  board: string;
}

/** One board of the tree as the status shows it (R-CIRC-2), per supply line, A. */
export interface BoardView {
  name: string;
  /** null for the site itself. */
  parent: string | null;
  /** 0 = the site, 1 = a board on the site, … */
  depth: number;
  /** Breaker (the site: I_limit, R-SITE-2). */
  limitA: number;
  marginPct: number;
  /** limit less its margin. */
  workingLimitA: number;
  /** Its meter: null = no meter (otherLoadA assumed). The site's is the analyser. */
  meter: { online: boolean; lastReadingAt: number | null } | null;
  /** Non-EV load counted on the board (with its sub-boards'), per line. */
  otherA: PerPhase<number>;
  /** EV current counted (what vehicles may draw now: setpoints, or more while a reduction settles). */
  evA: PerPhase<number>;
  /** Reserved for offline charge points / devices that ignore limits. */
  reservedA: PerPhase<number>;
  /** other + EV + reserved. */
  loadA: PerPhase<number>;
  /** workingLimit − load (negative = over). */
  headroomA: PerPhase<number>;
  /** Charge points on the board itself. */
  chargePoints: number;
}

/** The unbalance limit at the site (R-UNB-1); null when off. */
export interface UnbalanceView {
  limitA: number;
  /** Most minus least loaded line at the site, building + EV setpoints + reserved, A. */
  spreadA: number;
  ok: boolean;
}

/** Power figures for the graphs (R-MON-4), W. */
export interface PowerView {
  buildingW: number;
  evW: number;
  totalW: number;
  contractedW: number;
}

/** A charging session (R-MON-5). */
export interface TransactionRecord {
  plugId: number;
  chargePoint: string;
  letter: PlugLetter;
  plate: string;
  /** ms epoch. */
  start: number;
  /** ms epoch; null while the vehicle is still plugged in. */
  stop: number | null;
  energyWh: number;
  peakA: number;
  /** Times the balancer paused this session. */
  pauses: number;
}

/** topic "status": dlm-balancer → dashboard / API. */
export interface StatusMessage {
  timestamp: number;
  /** Configuration errors of the site (empty when valid). */
  errors: string[];
  priorityActive: boolean;
  schedule: Schedule & { timeZone: string };
  table: PhaseTable;
  consumption: PerPhase<PhaseConsumption>;
  analyser: AnalyserView;
  plugs: PlugView[];
  params: SiteParams;
  /** The configuration deployed in the editor: run-time changes may only be safer (R-SEC-2). */
  deployedParams: SiteParams;
  power: PowerView;
  /** Open sessions (stop null) and the most recent closed ones. */
  transactions: TransactionRecord[];
  /** What the site could draw per phase if the balancer disappeared (R-SEC-4, lib/core/budget.ts). */
  fallback: FallbackBudget;
  /** The board tree, the site first, then depth-first in the deployed order (R-CIRC-2). */
  boards: BoardView[];
  /** R-UNB-1; null when no unbalance limit is set. */
  unbalance: UnbalanceView | null;
}
