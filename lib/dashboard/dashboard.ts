/**
 * The dashboard's pure logic (issue 6, SPEC §8 R-MON-1..5, manual chapter 7 "SCREENS"): turns a
 * StatusMessage into what each widget shows (named states, units, colours), keeps and downsamples
 * the power history, lays out the power graphs, and re-validates the edits that come back from
 * the browser. No Node-RED, no timers, no clock reads: time is an argument.
 */
import { validatePlate } from '../shared/plate';
import {
  checkParam,
  LINK_MAX_LENGTH,
  POWER_LIVE_SAMPLES_MAX,
  TRANSACTION_ROWS_DEFAULT,
  mergeParams,
  NO_PLATE,
  PARAM_SPECS,
  PLATE_MAX_LENGTH,
  type ParamSpec,
} from '../shared/params';
import { MAX_ERROR_TEXT } from '../shared/guard';
import { validateSchedule } from '../shared/schedule';
import type {
  BoardView,
  GroupName,
  LoadState,
  PerPhase,
  Phase,
  PhaseGroupRow,
  PlugStatus,
  PowerView,
  Schedule,
  SiteParams,
  StatusMessage,
  TransactionRecord,
} from '../shared/types';
import { PHASES, PLUG_STATUSES, SITE_BOARD } from '../shared/types';

// ---------------------------------------------------------------------------------------------
// Names, colours, numbers
// ---------------------------------------------------------------------------------------------

/** SPEC §4 load management state names (manual §7.4.2). */
export const STATE_NAMES: Readonly<Record<LoadState, string>> = Object.freeze({
  1: 'Available power',
  2: 'Power decreasing',
  3: 'Limited power',
  4: 'Power exceeded',
  5: 'Unavailable power',
});

/** What each state means for the electrician (manual §7.4.2 comments). */
export const STATE_HINTS: Readonly<Record<LoadState, string>> = Object.freeze({
  1: 'every vehicle can charge at least at the minimum current',
  2: 'waiting vehicles start progressively',
  3: 'new charging sessions are queued',
  4: 'charging sessions must be paused to avoid an overload',
  5: 'not enough current: every session is paused',
});

/** Colour of each state: green → red. */
export const STATE_COLOURS: Readonly<Record<LoadState, string>> = Object.freeze({
  1: '#2e7d32',
  2: '#558b2f',
  3: '#f9a825',
  4: '#ef6c00',
  5: '#c62828',
});

/** The seven plug statuses (R-CP-4) as the manual names and explains them (§7.2.1 b). */
export const PLUG_STATUS_INFO: Readonly<Record<PlugStatus, { label: string; colour: string; text: string; definition: string }>> =
  Object.freeze({
    AVAILABLE: { label: 'AVAILABLE', colour: '#2e7d32', text: '#ffffff', definition: 'The plug is available and ready.' },
    CHARGING: { label: 'CHARGING', colour: '#1565c0', text: '#ffffff', definition: 'The vehicle in this plug is charging.' },
    PAUSED: { label: 'PAUSED', colour: '#f9a825', text: '#000000', definition: 'The charging transaction is paused.' },
    OFFLINE: {
      label: 'OFFLINE',
      colour: '#616161',
      text: '#ffffff',
      definition: 'No network connection between the load manager and the charge point.',
    },
    FAULTED: {
      label: 'FAULTED',
      colour: '#c62828',
      text: '#ffffff',
      definition: 'The charge point reports an error: contact technical assistance.',
    },
    ERR_CFG: {
      label: 'ERR. CFG',
      colour: '#6a1b9a',
      text: '#ffffff',
      definition: 'The charge point configuration must be corrected (commissioning).',
    },
    DISABLED: { label: 'DISABLED', colour: '#9e9e9e', text: '#000000', definition: 'The charge point is disabled.' },
  });

/** Rounds to at most `decimals` decimals and drops trailing zeros: 13.333 → "13.3", 80 → "80". */
export function num(x: number, decimals = 1): string {
  if (!Number.isFinite(x)) return '–';
  const f = 10 ** decimals;
  const r = Math.round(x * f) / f;
  return String(Object.is(r, -0) ? 0 : r);
}

/** A current with its unit: "12.5 A". */
export function amps(x: number, decimals = 1): string {
  return `${num(x, decimals)} A`;
}

/** A power in W shown in kW: 12345 → "12.35 kW". */
export function kw(w: number, decimals = 2): string {
  return `${num(w / 1000, decimals)} kW`;
}

/** An energy in Wh shown in kWh: 12345 → "12.35 kWh". */
export function kwh(wh: number): string {
  return `${num(wh / 1000, 2)} kWh`;
}

/** Plug id as the manual prints it: 1 → "01". */
export function plugIdText(id: number): string {
  return String(id).padStart(2, '0');
}

/** The slot label of hour h: "07h - 08h" (manual §7.4.1). */
export function slotLabel(h: number): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(h)}h - ${two((h + 1) % 24)}h`;
}

/** Local date and time in the site's zone: "2024-05-01 13:05:09"; "–" for null. */
export function dateTime(t: number | null, timeZone: string): string {
  if (t === null || !Number.isFinite(t)) return '–';
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(t));
  const get = (k: string) => parts.find((p) => p.type === k)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`;
}

/** Local "HH:MM" in the site's zone. */
export function clock(t: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(t));
}

/** A duration: 3725000 ms → "1 h 02 min"; under an hour "12 min 05 s". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m} min ${String(sec).padStart(2, '0')} s`;
}

// ---------------------------------------------------------------------------------------------
// Input check
// ---------------------------------------------------------------------------------------------

/**
 * Checks that `x` has the shape of a StatusMessage as far as the widgets read it (R-ERR-1: a bad
 * message is refused with a reason, nothing changes). Returns the problems (empty = usable).
 */
export function statusProblems(x: unknown): string[] {
  if (x === null || typeof x !== 'object' || Array.isArray(x))
    return ['payload must be the balancer status object (msg.payload of its status output)'];
  const s = x as Record<string, unknown>;
  const errors: string[] = [];
  const isObj = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (typeof s.timestamp !== 'number' || !Number.isFinite(s.timestamp)) errors.push('status.timestamp must be a number (ms)');
  if (!Array.isArray(s.plugs)) errors.push('status.plugs must be an array');
  if (!isObj(s.table)) errors.push('status.table must be an object');
  if (!isObj(s.consumption)) errors.push('status.consumption must be an object');
  if (!isObj(s.analyser)) errors.push('status.analyser must be an object');
  if (!isObj(s.params)) errors.push('status.params must be an object');
  if (!isObj(s.power)) errors.push('status.power must be an object');
  if (!isObj(s.schedule)) errors.push('status.schedule must be an object');
  if (!Array.isArray(s.transactions)) errors.push('status.transactions must be an array');
  if (typeof s.priorityActive !== 'boolean') errors.push('status.priorityActive must be true or false');
  // Issue 11 fields: optional (a status from an older balancer has none), but of the right kind when present.
  if (s.boards !== undefined && !Array.isArray(s.boards)) errors.push('status.boards must be an array');
  if (s.unbalance !== undefined && s.unbalance !== null && !isObj(s.unbalance)) errors.push('status.unbalance must be an object or null');
  if (errors.length === 0) {
    const p = s.power as Record<string, unknown>;
    for (const k of ['buildingW', 'evW', 'totalW', 'contractedW']) {
      if (typeof p[k] !== 'number' || !Number.isFinite(p[k] as number)) errors.push(`status.power.${k} must be a number (W)`);
    }
  }
  return errors;
}

/** Phases present in the status (L1 only on a single-phase site). */
export function phasesOf(status: StatusMessage): Phase[] {
  return PHASES.filter((ph) => status.consumption[ph] !== undefined);
}

/** The site's time zone as the status gives it. */
function zoneOf(status: StatusMessage): string {
  return status.schedule?.timeZone || status.params?.timeZone || 'UTC';
}

// ---------------------------------------------------------------------------------------------
// Charge points / plug status (manual §7.2.1, R-CP-4, R-CP-6)
// ---------------------------------------------------------------------------------------------

export interface PlugRowView {
  id: number;
  idText: string;
  letter: string;
  phase: string;
  status: PlugStatus;
  statusLabel: string;
  statusColour: string;
  statusText: string;
  statusDefinition: string;
  pluggedIn: boolean;
  priority: boolean;
  /** Vehicle indicator in words: "Priority · plugged in". */
  vehicle: string;
  setpoint: string;
  measured: string;
  max: string;
  energy: string;
  /** Untrusted text: always rendered as text. */
  plate: string;
  reason: string;
  /** "1φ" or "3φ" (R-3PH-1). */
  phases: string;
  /** The supply lines wired, in charger phase order: "L1", "L2 L3 L1"; "phase not set" for a 1φ plug without one. */
  lines: string;
  /** The lines its vehicle is counted on when fewer than wired (R-3PH-3): "drawing L2"; "" otherwise. */
  drawing: string;
  /** All of it in one text: "3φ L1 L2 L3 → drawing L2", "1φ L2". */
  wiring: string;
  /** The board it hangs on (R-CIRC-1): "site" = the main board. Untrusted text. */
  board: string;
}

export interface ChargePointView {
  name: string;
  plugs: PlugRowView[];
}

export interface PlugsWidgetView {
  chargePoints: ChargePointView[];
  /** The site has sub-boards (or a plug names one): the plug rows show their board ("on Garage"). */
  showBoards: boolean;
  counts: { status: PlugStatus; label: string; colour: string; text: string; count: number }[];
  noPlate: string;
  plateMaxLength: number;
  errors: string[];
  updated: string;
}

/** The vehicle indicator of manual §7.2.1 (a) in words. */
export function vehicleText(priority: boolean, pluggedIn: boolean): string {
  return `${priority ? 'Priority' : 'Non-priority'} · ${pluggedIn ? 'plugged in' : 'not plugged in'}`;
}

const PHASE_SET = new Set<string>(PHASES);
/** The supply lines of a list from the status, in its order; anything that is not a line is left out. */
function lineList(x: unknown): Phase[] {
  return Array.isArray(x) ? (x.filter((ph) => PHASE_SET.has(ph)) as Phase[]) : [];
}

/**
 * How a plug is wired and where its vehicle is counted (R-3PH-1, R-3PH-3): "1φ L2",
 * "3φ L2 L3 L1", "3φ L1 L2 L3 → drawing L2" when its vehicle is detected drawing on fewer lines.
 * A status without the issue 11 fields (an older balancer) reads as a single-phase plug on `phase`.
 */
export function plugWiring(p: { phase: Phase | null; phases?: unknown; lines?: unknown; drawLines?: unknown }): {
  phases: string;
  lines: string;
  drawing: string;
  wiring: string;
} {
  const three = p.phases === 3;
  const listed = lineList(p.lines);
  // A single-phase plug is on its phase (1φ: lines = [phase]); an older status has no lines at all.
  const wired = listed.length ? listed : !three && p.phase && PHASE_SET.has(p.phase) ? [p.phase] : [];
  const drawn = listed.length && Array.isArray(p.drawLines) ? lineList(p.drawLines) : wired;
  const phases = three ? '3φ' : '1φ';
  const lines = wired.length ? wired.join(' ') : 'phase not set';
  const fewer = wired.length > 0 && drawn.length < wired.length;
  const drawing = fewer ? (drawn.length ? `drawing ${drawn.join(' ')}` : 'drawing on no line') : '';
  return { phases, lines, drawing, wiring: `${phases} ${lines}${drawing ? ' → ' + drawing : ''}` };
}

/** Charge points with their plugs in plug id order (manual §7.2.1). */
export function plugsView(status: StatusMessage): PlugsWidgetView {
  const byCp = new Map<string, PlugRowView[]>();
  const plugs = [...status.plugs].sort((a, b) => a.id - b.id);
  for (const p of plugs) {
    const info = PLUG_STATUS_INFO[p.status] ?? PLUG_STATUS_INFO.FAULTED;
    const row: PlugRowView = {
      id: p.id,
      idText: plugIdText(p.id),
      letter: p.letter,
      phase: p.phase ?? 'phase not set',
      status: p.status,
      statusLabel: info.label,
      statusColour: info.colour,
      statusText: info.text,
      statusDefinition: info.definition,
      pluggedIn: p.pluggedIn,
      priority: p.priority,
      vehicle: vehicleText(p.priority, p.pluggedIn),
      setpoint: amps(p.setpointA),
      measured: amps(p.measuredA),
      max: amps(p.maxCurrentA, 0),
      energy: kwh(p.energyWh),
      plate: p.plate,
      reason: p.reason ?? '',
      ...plugWiring(p),
      board: typeof p.board === 'string' && p.board ? p.board : SITE_BOARD,
    };
    if (!byCp.has(p.chargePoint)) byCp.set(p.chargePoint, []);
    byCp.get(p.chargePoint)!.push(row);
  }
  const counts = PLUG_STATUSES.map((st) => ({
    status: st,
    label: PLUG_STATUS_INFO[st].label,
    colour: PLUG_STATUS_INFO[st].colour,
    text: PLUG_STATUS_INFO[st].text,
    count: status.plugs.filter((p) => p.status === st).length,
  }));
  const boards = Array.isArray(status.boards) ? status.boards : [];
  return {
    chargePoints: [...byCp.entries()].map(([name, rows]) => ({ name, plugs: rows })),
    showBoards: boards.length > 1 || plugs.some((p) => typeof p.board === 'string' && p.board !== '' && p.board !== SITE_BOARD),
    counts,
    noPlate: NO_PLATE,
    plateMaxLength: PLATE_MAX_LENGTH,
    errors: [...status.errors],
    updated: dateTime(status.timestamp, zoneOf(status)),
  };
}

// ---------------------------------------------------------------------------------------------
// Table per phases (SPEC §4, manual §7.4.2)
// ---------------------------------------------------------------------------------------------

export interface TableCell {
  text: string;
  /** Second line, smaller: the state's name. */
  sub?: string;
  colour?: string;
}

export interface TableWidgetView {
  /** "Priority schedule active: PRIORITY / NORMAL" or "… ALL". */
  mode: string;
  groups: { name: GroupName; span: number }[];
  /** Column headers, phase per group. */
  columns: { group: GroupName; phase: Phase }[];
  rows: { label: string; meaning: string; cells: TableCell[] }[];
  states: { state: LoadState; name: string; hint: string; colour: string }[];
}

/** The nine rows of SPEC §4, in order. */
export const TABLE_ROWS: readonly { key: keyof PhaseGroupRow; label: string; meaning: string }[] = Object.freeze([
  { key: 'state', label: 'STATE', meaning: 'Load management state' },
  { key: 'maxAllowed', label: 'MAX. ALLOWED PLUGS', meaning: 'Plugs able to charge' },
  { key: 'charging', label: 'CHARGING', meaning: 'Plugs charging' },
  { key: 'paused', label: 'PAUSED', meaning: 'Plugs paused' },
  { key: 'total', label: 'TOTAL PLUGS', meaning: 'Installed plugs' },
  { key: 'availableA', label: 'AVAILABLE CURRENT (A)', meaning: 'Current available' },
  { key: 'sharedA', label: 'SHARED CURRENT (A)', meaning: 'Current per plug' },
  { key: 'nextAllowed', label: 'NEXT ALLOWED PLUG', meaning: 'Next plug to resume' },
  { key: 'nextPaused', label: 'NEXT PAUSED PLUG', meaning: 'Next plug to pause' },
]);

/** A table cell: the state with its name, currents with one decimal, plug ids as "07" (0 = none). */
function cellOf(key: keyof PhaseGroupRow, row: PhaseGroupRow | undefined): TableCell {
  if (!row) return { text: '-' };
  const v = row[key];
  switch (key) {
    case 'state':
      return { text: String(v), sub: STATE_NAMES[v as LoadState], colour: STATE_COLOURS[v as LoadState] };
    case 'availableA':
    case 'sharedA':
      return { text: num(v as number, 1) };
    case 'nextAllowed':
    case 'nextPaused':
      return { text: v === 0 ? '0 (none)' : plugIdText(v as number) };
    default:
      return { text: String(v) };
  }
}

/**
 * The table per phases: PRIORITY and NORMAL columns while a priority slot is active, else ALL
 * (R-ALLOC-2, SPEC §4). Only the groups the balancer fills are shown.
 */
export function tableView(status: StatusMessage): TableWidgetView {
  const phases = phasesOf(status);
  const groupNames: GroupName[] = status.priorityActive ? ['PRIORITY', 'NORMAL'] : ['ALL'];
  const columns = groupNames.flatMap((g) => phases.map((phase) => ({ group: g, phase })));
  const rows = TABLE_ROWS.map((r) => ({
    label: r.label,
    meaning: r.meaning,
    cells: columns.map((c) => cellOf(r.key, status.table[c.group]?.[c.phase] ?? undefined)),
  }));
  return {
    mode: status.priorityActive
      ? 'Priority slot active: PRIORITY plugs served first, NORMAL share the rest'
      : `${status.schedule?.enabled ? 'Outside priority slots' : 'Priority schedule OFF'}: all plugs in one group (ALL)`,
    groups: groupNames.map((name) => ({ name, span: phases.length })),
    columns,
    rows,
    states: ([1, 2, 3, 4, 5] as LoadState[]).map((s) => ({
      state: s,
      name: STATE_NAMES[s],
      hint: STATE_HINTS[s],
      colour: STATE_COLOURS[s],
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Consumption per phase (R-MON-1, manual §7.3.2)
// ---------------------------------------------------------------------------------------------

export interface ConsumptionWidgetView {
  phases: Phase[];
  rows: { label: string; cells: string[] }[];
  bars: {
    phase: Phase;
    /** Widths in percent of the bar (the bar's full width is max(MCCB, total)). */
    buildingPct: number;
    evPct: number;
    reservedPct: number;
    limitPct: number;
    workingPct: number;
    total: string;
    limit: string;
    /** Load as a percentage of I_limit. */
    loadPct: string;
    over: boolean;
  }[];
  /** R-SEC-4: the fallback budget's warning with its figures, null when within the limit (or unknown). */
  fallbackWarning: string | null;
}

const clampPct = (x: number) => Math.max(0, Math.min(100, Math.round(x * 10) / 10));

/** Consumption per phase with one bar per phase against the limit. */
export function consumptionView(status: StatusMessage): ConsumptionWidgetView {
  const phases = phasesOf(status);
  const c = (ph: Phase) => status.consumption[ph]!;
  const row = (label: string, f: (ph: Phase) => number) => ({ label, cells: phases.map((ph) => num(f(ph), 1)) });
  const rows = [
    row('MCCB MAX. CURRENT (A)', (ph) => c(ph).mccbA),
    row('CURRENT LIMIT (A)', (ph) => c(ph).limitA),
    row('TOTAL CONSUMPTION (A)', (ph) => c(ph).totalA),
    row('BUILDING CONSUMPTION (A)', (ph) => c(ph).buildingA),
    row('EV CONSUMPTION (A)', (ph) => c(ph).evA),
    row('EV SETPOINTS (A)', (ph) => c(ph).evSetpointA),
    row('RESERVED, OFFLINE CPs (A)', (ph) => c(ph).reservedA),
  ];
  // R-SEC-4: building at its offline assumption + every charger in its offline mode.
  const fb = status.fallback;
  const fbOk = fb !== null && typeof fb === 'object' && fb.phases !== null && typeof fb.phases === 'object';
  if (fbOk) {
    rows.push({
      label: 'IF NODE-RED STOPS (A)',
      cells: phases.map((ph) => (typeof fb.phases[ph]?.totalA === 'number' ? num(fb.phases[ph]!.totalA, 1) : '-')),
    });
  }
  const bars = phases.map((ph) => {
    const x = c(ph);
    const working = status.analyser?.workingLimitA?.[ph] ?? x.limitA;
    const scale = Math.max(x.mccbA, x.limitA, x.totalA + x.reservedA, 1);
    return {
      phase: ph,
      buildingPct: clampPct((x.buildingA / scale) * 100),
      evPct: clampPct((x.evA / scale) * 100),
      reservedPct: clampPct((x.reservedA / scale) * 100),
      limitPct: clampPct((x.limitA / scale) * 100),
      workingPct: clampPct((working / scale) * 100),
      total: amps(x.totalA),
      limit: amps(x.limitA),
      loadPct: `${num(x.limitA > 0 ? (x.totalA / x.limitA) * 100 : 0, 0)} %`,
      over: x.totalA > x.limitA,
    };
  });
  return {
    phases,
    rows,
    bars,
    fallbackWarning: fbOk && fb.ok === false && typeof fb.warning === 'string' ? fb.warning.slice(0, MAX_ERROR_TEXT) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Boards (R-CIRC-2, R-UNB-1): the tree of boards with limit, load and headroom per line
// ---------------------------------------------------------------------------------------------

export interface BoardLineView {
  phase: Phase;
  /** Currents in A as the tables show them (one decimal at most). */
  limit: string;
  working: string;
  other: string;
  ev: string;
  reserved: string;
  load: string;
  headroom: string;
  /** Headroom below 0: the line carries more than its working limit (shown red). */
  over: boolean;
}

export interface BoardRowView {
  /** The board's name as deployed ("site" for the root). Untrusted text. */
  name: string;
  /** "Site (main board)" or the name. */
  label: string;
  depth: number;
  /** Indentation of the name, em (depth × 1.2). */
  indentEm: number;
  /** "fed from site", "fed from Garage"; "" for the site. */
  fedFrom: string;
  /** "analyser online", "analyser OFFLINE", "analyser disabled", "meter online", "meter OFFLINE", "no meter". */
  meter: string;
  meterState: 'online' | 'offline' | 'none';
  chargePoints: number;
  /** "2 charge points" (on the board itself). */
  chargePointsText: string;
  /** "10 %": the margin between its limit and its working limit. */
  margin: string;
  lines: BoardLineView[];
  /** Some line has a negative headroom. */
  over: boolean;
}

export interface BoardsWidgetView {
  phases: Phase[];
  boards: BoardRowView[];
  /** Boards with a line over its working limit. */
  overCount: number;
  /** R-UNB-1 when an unbalance limit is set; null otherwise. */
  unbalance: { limit: string; spread: string; ok: boolean; text: string } | null;
  /** Said when the status has no boards (a balancer without issue 11's board figures). */
  note: string;
  updated: string;
}

const finite = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : NaN);

/** A board's meter in words: the site's is the building analyser (R-MTR-2); a sub-board may have none. */
function boardMeter(b: BoardView, status: StatusMessage): { meter: string; meterState: BoardRowView['meterState'] } {
  if (b.name === SITE_BOARD && b.parent === null) {
    const a = status.analyser;
    if (a && a.enabled === false) return { meter: 'analyser disabled', meterState: 'none' };
    const online = b.meter ? b.meter.online === true : a?.online === true;
    return online ? { meter: 'analyser online', meterState: 'online' } : { meter: 'analyser OFFLINE', meterState: 'offline' };
  }
  if (!b.meter) return { meter: 'no meter', meterState: 'none' };
  return b.meter.online === true ? { meter: 'meter online', meterState: 'online' } : { meter: 'meter OFFLINE', meterState: 'offline' };
}

/**
 * The board tree (R-CIRC-2) as the boards widget shows it: the site first, then every sub-board in
 * the status's order (depth first), indented by depth; per board and supply line its limit, working
 * limit, non-EV load, EV, reserved, load and headroom (negative = over, red), its meter and the charge
 * points on it; and the unbalance at the site when a limit is set (R-UNB-1).
 */
export function boardsView(status: StatusMessage): BoardsWidgetView {
  const phases = phasesOf(status);
  const list: BoardView[] = Array.isArray(status.boards) ? status.boards.filter((b) => b !== null && typeof b === 'object') : [];
  const cell = (m: unknown, ph: Phase) => num(finite((m as PerPhase<number> | undefined)?.[ph]), 1);
  const boards = list.map((b): BoardRowView => {
    const lines = phases.map((ph): BoardLineView => {
      const headroom = finite(b.headroomA?.[ph]);
      return {
        phase: ph,
        limit: num(finite(b.limitA), 1),
        working: num(finite(b.workingLimitA), 1),
        other: cell(b.otherA, ph),
        ev: cell(b.evA, ph),
        reserved: cell(b.reservedA, ph),
        load: cell(b.loadA, ph),
        headroom: num(headroom, 1),
        // Red when the headroom shown is negative (a value that rounds to 0 is not).
        over: num(headroom, 1).startsWith('-'),
      };
    });
    const depth = Number.isInteger(b.depth) && b.depth > 0 ? b.depth : 0;
    const cps = Number.isInteger(b.chargePoints) && b.chargePoints > 0 ? b.chargePoints : 0;
    const isSite = b.name === SITE_BOARD && b.parent === null;
    return {
      name: String(b.name),
      label: isSite ? 'Site (main board)' : String(b.name),
      depth,
      indentEm: Math.round(depth * 12) / 10,
      fedFrom: isSite ? '' : `fed from ${b.parent ?? SITE_BOARD}`,
      ...boardMeter(b, status),
      chargePoints: cps,
      chargePointsText: `${cps} charge point${cps === 1 ? '' : 's'}`,
      margin: `${num(finite(b.marginPct), 1)} %`,
      lines,
      over: lines.some((l) => l.over),
    };
  });
  const u = status.unbalance;
  let unbalance: BoardsWidgetView['unbalance'] = null;
  if (u && typeof u === 'object') {
    const limit = amps(finite(u.limitA));
    const spread = amps(finite(u.spreadA));
    const ok = u.ok === true;
    unbalance = {
      limit,
      spread,
      ok,
      text: `Unbalance at the site: ${spread} between the most and least loaded line, limit ${limit}${ok ? '' : ' — OVER THE LIMIT'}`,
    };
  }
  return {
    phases,
    boards,
    overCount: boards.filter((b) => b.over).length,
    unbalance,
    note: boards.length ? '' : 'The balancer status has no board figures (a balancer older than the boards feature?).',
    updated: dateTime(status.timestamp, zoneOf(status)),
  };
}

// ---------------------------------------------------------------------------------------------
// Analyser (R-MON-2, manual §7.4.3)
// ---------------------------------------------------------------------------------------------

export interface AnalyserWidgetView {
  status: string;
  statusColour: string;
  position: string;
  offlineCurrent: string;
  margin: string;
  lastReading: string;
  phases: Phase[];
  rows: { label: string; meaning: string; cells: string[] }[];
}

/** The analyser panel: status in words, per-phase currents and the thresholds acted on. */
export function analyserView(status: StatusMessage): AnalyserWidgetView {
  const a = status.analyser;
  const phases = phasesOf(status);
  const cells = (m: Partial<Record<Phase, number>>) => phases.map((ph) => (m[ph] === undefined ? '-' : num(m[ph]!, 1)));
  let text: string;
  let colour: string;
  if (!a.enabled) {
    text = 'DISABLED: supply dedicated to EVs, building taken as 0 A';
    colour = '#616161';
  } else if (a.online) {
    text = 'ON: reading';
    colour = '#2e7d32';
  } else {
    text = `OFFLINE: building assumed at ${amps(a.offlineCurrentA)} per phase`;
    colour = '#c62828';
  }
  return {
    status: text,
    statusColour: colour,
    position: a.position === 'grid' ? 'grid connection (building + EVs)' : 'building only',
    offlineCurrent: amps(a.offlineCurrentA),
    margin: `${num(a.marginPct, 1)} %`,
    lastReading: dateTime(a.lastReadingAt, zoneOf(status)),
    phases,
    rows: [
      { label: 'REALTIME CURRENT (A)', meaning: 'Instantaneous building current', cells: cells(a.realtimeA) },
      { label: 'AVERAGE CURRENT (A)', meaning: 'Short moving average', cells: cells(a.averageA) },
      { label: 'CURRENT USED (A)', meaning: 'max(realtime, average), or the offline current', cells: cells(a.usedA) },
      { label: 'CURRENT LIMIT (A)', meaning: 'min(MCCB, contracted power): never exceeded', cells: cells(a.limitA) },
      { label: 'WORKING LIMIT (A)', meaning: 'limit less the safety margin: what is shared', cells: cells(a.workingLimitA) },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Parameters (R-MON-3, manual §7.4.4)
// ---------------------------------------------------------------------------------------------

export interface ParamRowView {
  key: string;
  label: string;
  unit: string;
  type: ParamSpec['type'];
  min: number | null;
  max: number | null;
  options: (string | number)[];
  value: string | number | boolean;
  /** The value as shown: "50 A", "ON". */
  text: string;
  range: string;
  ref: string;
}

/** The value of a parameter in words. */
export function paramText(spec: ParamSpec, value: unknown): string {
  if (spec.type === 'boolean') return value === true ? 'ON' : 'OFF';
  if (spec.key === 'supplyPhases') return value === 1 ? 'single-phase (L1)' : 'three-phase (L1 L2 L3)';
  return `${String(value)}${spec.unit ? ' ' + spec.unit : ''}`;
}

/** Every site parameter with label, unit, range and current value (lib/shared/params.ts PARAM_SPECS). */
export function paramsView(params: SiteParams): { rows: ParamRowView[] } {
  return {
    rows: PARAM_SPECS.map((s) => {
      const value = (params as unknown as Record<string, string | number | boolean>)[s.key];
      let range = '';
      if (s.type === 'number' || s.type === 'integer') range = `${s.min} – ${s.max}${s.unit ? ' ' + s.unit : ''}`;
      else if (s.type === 'enum') range = (s.options ?? []).join(' / ') + (s.unit ? ' ' + s.unit : '');
      else if (s.type === 'boolean') range = 'ON / OFF';
      else if (s.key === 'timeZone') range = 'IANA zone, e.g. Europe/Madrid';
      return {
        key: s.key,
        label: s.label,
        unit: s.unit ?? '',
        type: s.type,
        min: s.min ?? null,
        max: s.max ?? null,
        options: [...(s.options ?? [])],
        value,
        text: paramText(s, value),
        range,
        ref: s.ref,
      };
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Priority schedule (R-PRIO-1, manual §7.4.1)
// ---------------------------------------------------------------------------------------------

export interface ScheduleWidgetView {
  enabled: boolean;
  active: boolean;
  timeZone: string;
  slots: { hour: number; label: string; on: boolean }[];
  summary: string;
}

/** ON/OFF and the 24 slots. */
export function scheduleView(status: StatusMessage): ScheduleWidgetView {
  const s = status.schedule;
  const hours = s.slots.map((on, h) => (on ? h : -1)).filter((h) => h >= 0);
  return {
    enabled: s.enabled,
    active: status.priorityActive,
    timeZone: s.timeZone,
    slots: s.slots.map((on, hour) => ({ hour, label: slotLabel(hour), on })),
    summary: !s.enabled
      ? 'Schedule OFF: all plugs are standard'
      : `Schedule ON, ${hours.length} priority hour${hours.length === 1 ? '' : 's'}; ${status.priorityActive ? 'priority active now' : 'not a priority hour now'} (${s.timeZone})`,
  };
}

// ---------------------------------------------------------------------------------------------
// Transactions (R-MON-5)
// ---------------------------------------------------------------------------------------------

export interface TransactionRowView {
  plug: string;
  chargePoint: string;
  plate: string;
  start: string;
  stop: string;
  duration: string;
  energy: string;
  peak: string;
  pauses: number;
  open: boolean;
}

/** The recent sessions, newest first (open sessions on top), at most `max` rows. */
export function transactionsView(status: StatusMessage, max = TRANSACTION_ROWS_DEFAULT): { rows: TransactionRowView[]; total: number } {
  const tz = zoneOf(status);
  const list = [...status.transactions].sort((a, b) => {
    if ((a.stop === null) !== (b.stop === null)) return a.stop === null ? -1 : 1;
    return b.start - a.start || a.plugId - b.plugId;
  });
  const rows = list.slice(0, Math.max(0, max)).map((t: TransactionRecord) => ({
    plug: plugIdText(t.plugId),
    chargePoint: `${t.chargePoint} ${t.letter}`,
    plate: t.plate,
    start: dateTime(t.start, tz),
    stop: t.stop === null ? 'plugged in' : dateTime(t.stop, tz),
    duration: duration((t.stop ?? status.timestamp) - t.start),
    energy: kwh(t.energyWh),
    peak: amps(t.peakA),
    pauses: t.pauses,
    open: t.stop === null,
  }));
  return { rows, total: status.transactions.length };
}

// ---------------------------------------------------------------------------------------------
// Power history and graphs (R-MON-4, manual §7.5)
// ---------------------------------------------------------------------------------------------

/** One averaged bucket of the power history, W. */
export interface PowerBucket {
  /** Bucket start, ms epoch. */
  t: number;
  /** Samples averaged. */
  n: number;
  buildingW: number;
  evW: number;
  totalW: number;
  contractedW: number;
  /** Highest total seen in the bucket. */
  peakW: number;
}

/** One raw sample for the live graph, W. */
export interface PowerSample extends PowerView {
  t: number;
}

/** What the power widget keeps in its node context (JSON). */
export interface PowerHistory {
  version: 1;
  bucketMs: number;
  buckets: PowerBucket[];
  live: PowerSample[];
}

export const POWER_BUCKET_MS = 60_000;
export const POWER_HISTORY_MS = 24 * 3600_000;
export const POWER_LIVE_MS = 10 * 60_000;
/** At most this many raw samples are kept for the live graph (lib/shared/params.ts). */
export const POWER_LIVE_MAX = POWER_LIVE_SAMPLES_MAX;

/** An empty history. */
export function emptyPowerHistory(bucketMs = POWER_BUCKET_MS): PowerHistory {
  return { version: 1, bucketMs, buckets: [], live: [] };
}

/** Is `x` a stored history we can keep using (after a restart, R-ERR-2)? */
export function isPowerHistory(x: unknown): x is PowerHistory {
  if (x === null || typeof x !== 'object') return false;
  const h = x as Record<string, unknown>;
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  return (
    h.version === 1 &&
    finite(h.bucketMs) &&
    (h.bucketMs as number) > 0 &&
    Array.isArray(h.buckets) &&
    Array.isArray(h.live) &&
    (h.buckets as unknown[]).every(
      (b) =>
        b !== null &&
        typeof b === 'object' &&
        ['t', 'n', 'buildingW', 'evW', 'totalW', 'contractedW', 'peakW'].every((k) => finite((b as Record<string, unknown>)[k])),
    ) &&
    (h.live as unknown[]).every(
      (s) =>
        s !== null &&
        typeof s === 'object' &&
        ['t', 'buildingW', 'evW', 'totalW', 'contractedW'].every((k) => finite((s as Record<string, unknown>)[k])),
    )
  );
}

/**
 * Adds one power reading at time `t` (ms): averaged into its bucket (1 min by default), kept for
 * 24 h at most (≤ 1440 buckets), plus the last 10 min raw for the live graph. A reading older
 * than the last one (a repeated status, the clock set back) is ignored. Pure: `h` is not modified.
 */
export function addPowerSample(
  h: PowerHistory,
  power: PowerView,
  t: number,
  historyMs = POWER_HISTORY_MS,
  liveMs = POWER_LIVE_MS,
): PowerHistory {
  const lastLive = h.live[h.live.length - 1];
  if (lastLive && t <= lastLive.t) return h;
  const key = Math.floor(t / h.bucketMs) * h.bucketMs;
  let buckets = h.buckets;
  const last = buckets[buckets.length - 1];
  if (!last || key > last.t) {
    buckets = buckets.concat([
      {
        t: key,
        n: 1,
        buildingW: power.buildingW,
        evW: power.evW,
        totalW: power.totalW,
        contractedW: power.contractedW,
        peakW: power.totalW,
      },
    ]);
  } else if (key === last.t) {
    const n = last.n + 1;
    const avg = (a: number, x: number) => a + (x - a) / n;
    buckets = buckets.slice(0, -1).concat([
      {
        t: key,
        n,
        buildingW: avg(last.buildingW, power.buildingW),
        evW: avg(last.evW, power.evW),
        totalW: avg(last.totalW, power.totalW),
        contractedW: avg(last.contractedW, power.contractedW),
        peakW: Math.max(last.peakW, power.totalW),
      },
    ]);
  }
  const from = t - historyMs;
  const firstKept = buckets.findIndex((b) => b.t > from);
  buckets = firstKept < 0 ? [] : firstKept > 0 ? buckets.slice(firstKept) : buckets;
  let live = h.live.concat([{ t, buildingW: power.buildingW, evW: power.evW, totalW: power.totalW, contractedW: power.contractedW }]);
  live = live.filter((s) => s.t > t - liveMs);
  if (live.length > POWER_LIVE_MAX) live = live.slice(live.length - POWER_LIVE_MAX);
  return { version: 1, bucketMs: h.bucketMs, buckets, live };
}

export interface ChartSeries {
  key: 'building' | 'ev' | 'total' | 'contracted';
  label: string;
  colour: string;
  dash: string;
  /** SVG polyline "x,y x,y"; one string per unbroken run (gaps break the line). */
  segments: string[];
}

export interface PowerChart {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  series: ChartSeries[];
  yTicks: { y: number; label: string }[];
  xTicks: { x: number; label: string; anchor: 'start' | 'middle' | 'end' }[];
  maxKW: number;
  points: number;
}

/** A "nice" axis maximum and step for `max` (kW): 37.4 → 40 by 10. */
export function niceAxis(max: number): { top: number; step: number } {
  const m = Math.max(max, 1);
  const raw = m / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= raw)!;
  return { top: Math.ceil(m / step - 1e-9) * step, step };
}

const SERIES: readonly { key: ChartSeries['key']; label: string; colour: string; dash: string }[] = [
  { key: 'contracted', label: 'Contracted', colour: '#c62828', dash: '6 4' },
  { key: 'total', label: 'Total', colour: '#212121', dash: '' },
  { key: 'building', label: 'Building', colour: '#ef6c00', dash: '' },
  { key: 'ev', label: 'EV', colour: '#1565c0', dash: '' },
];

/**
 * Lays out a power graph of `points` (W) between `from` and `to` (ms) as SVG polylines in a
 * `width`×`height` box, y in kW from 0 to a round maximum above the contracted power. Points
 * further apart than `gapMs` are not joined (Node-RED was stopped, or no status came).
 */
export function powerChart(
  points: readonly { t: number; buildingW: number; evW: number; totalW: number; contractedW: number }[],
  from: number,
  to: number,
  opts: { width: number; height: number; gapMs: number; timeZone: string; xTicks: number },
): PowerChart {
  const { width, height } = opts;
  const plot = { left: 52, top: 10, right: width - 10, bottom: height - 24 };
  const inRange = points.filter((p) => p.t >= from && p.t <= to);
  const maxW = inRange.reduce((m, p) => Math.max(m, p.totalW, p.contractedW, p.buildingW, p.evW), 0);
  const axis = niceAxis((maxW * 1.05) / 1000);
  const span = Math.max(1, to - from);
  const x = (t: number) => plot.left + ((t - from) / span) * (plot.right - plot.left);
  const y = (w: number) => plot.bottom - (Math.max(0, w) / 1000 / axis.top) * (plot.bottom - plot.top);
  const r1 = (v: number) => Math.round(v * 10) / 10;
  const field = { building: 'buildingW', ev: 'evW', total: 'totalW', contracted: 'contractedW' } as const;
  const series = SERIES.map((s) => {
    const segments: string[] = [];
    let run: string[] = [];
    let prevT: number | null = null;
    for (const p of inRange) {
      if (prevT !== null && p.t - prevT > opts.gapMs && run.length) {
        segments.push(run.length === 1 ? `${run[0]} ${run[0]}` : run.join(' '));
        run = [];
      }
      run.push(`${r1(x(p.t))},${r1(y(p[field[s.key]]))}`);
      prevT = p.t;
    }
    if (run.length) segments.push(run.length === 1 ? `${run[0]} ${run[0]}` : run.join(' '));
    return { ...s, segments };
  });
  const yTicks: { y: number; label: string }[] = [];
  for (let v = 0; v <= axis.top + 1e-9; v += axis.step) yTicks.push({ y: r1(y(v * 1000)), label: `${num(v, 1)} kW` });
  const xTicks: PowerChart['xTicks'] = [];
  for (let i = 0; i <= opts.xTicks; i++) {
    const t = from + (span * i) / opts.xTicks;
    xTicks.push({ x: r1(x(t)), label: clock(t, opts.timeZone), anchor: i === opts.xTicks ? 'end' : 'middle' });
  }
  return { width, height, plot, series, yTicks, xTicks, maxKW: axis.top, points: inRange.length };
}

export interface PowerWidgetView {
  now: { label: string; value: string; colour: string }[];
  usePct: string;
  over: boolean;
  live: PowerChart;
  day: PowerChart;
  peak24h: string;
  average24h: string;
}

/** The power widget: live figures, the last 10 minutes raw and the last 24 h in 1-min averages. */
export function powerView(status: StatusMessage, h: PowerHistory): PowerWidgetView {
  const now = status.timestamp;
  const tz = zoneOf(status);
  const p = status.power;
  const live = powerChart(h.live, now - POWER_LIVE_MS, now, { width: 560, height: 180, gapMs: 15_000, timeZone: tz, xTicks: 5 });
  const dayFrom = now - POWER_HISTORY_MS;
  const day = powerChart(h.buckets, dayFrom, now, { width: 560, height: 180, gapMs: 3 * h.bucketMs, timeZone: tz, xTicks: 6 });
  const dayBuckets = h.buckets.filter((b) => b.t >= dayFrom);
  const peak = dayBuckets.reduce((m, b) => Math.max(m, b.peakW), 0);
  const n = dayBuckets.reduce((m, b) => m + b.n, 0);
  const avg = n ? dayBuckets.reduce((m, b) => m + b.totalW * b.n, 0) / n : 0;
  const colour = (k: string) => SERIES.find((s) => s.key === k)!.colour;
  return {
    now: [
      { label: 'Building', value: kw(p.buildingW), colour: colour('building') },
      { label: 'EV', value: kw(p.evW), colour: colour('ev') },
      { label: 'Total', value: kw(p.totalW), colour: colour('total') },
      { label: 'Contracted', value: kw(p.contractedW), colour: colour('contracted') },
    ],
    usePct: `${num(p.contractedW > 0 ? (p.totalW / p.contractedW) * 100 : 0, 0)} %`,
    over: p.totalW > p.contractedW,
    live,
    day,
    peak24h: kw(peak),
    average24h: kw(avg),
  };
}

// ---------------------------------------------------------------------------------------------
// Edits coming back from the browser: re-validated on the server (R-ERR-1)
// ---------------------------------------------------------------------------------------------

export type EditResult =
  | { ok: true; msg: { topic: 'plate'; payload: { plugId: number; plate: string } } }
  | { ok: true; msg: { topic: 'params'; payload: Partial<SiteParams> } }
  | { ok: true; msg: { topic: 'schedule'; payload: Schedule } }
  | { ok: false; error: string };

const isObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

/** A plate edit `{plugId, plate}` for a plug of the last status (R-CP-6: "-" for none, never empty). */
export function plateEdit(status: StatusMessage | null, payload: unknown): EditResult {
  if (!isObject(payload)) return { ok: false, error: 'plate edit must be {plugId, plate}' };
  const id = payload.plugId;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 1)
    return { ok: false, error: 'plate edit: plugId must be a plug id (1, 2, …)' };
  if (status && !status.plugs.some((p) => p.id === id)) return { ok: false, error: `plate edit: no plug ${id} on this site` };
  const r = validatePlate(payload.plate);
  if (!r.ok) return { ok: false, error: `plate edit refused: ${r.error}` };
  return { ok: true, msg: { topic: 'plate', payload: { plugId: id, plate: r.plate } } };
}

/**
 * A parameter edit `{key: value, …}` checked against the site's current parameters (R-MON-3) and,
 * when given, the deployed configuration as its ceiling (R-SEC-2) — the balancer checks both again.
 */
export function paramsEdit(current: SiteParams | null, payload: unknown, ceiling?: SiteParams): EditResult {
  if (!isObject(payload) || Object.keys(payload).length === 0) return { ok: false, error: 'parameter edit must be {name: value}' };
  if (!current) {
    for (const [k, v] of Object.entries(payload)) {
      const spec = PARAM_SPECS.find((s) => s.key === k);
      if (!spec) return { ok: false, error: `parameter edit refused: unknown parameter(s): ${k}` };
      const e = checkParam(spec, v);
      if (e) return { ok: false, error: `parameter edit refused: ${e}` };
    }
    return { ok: true, msg: { topic: 'params', payload: { ...payload } as Partial<SiteParams> } };
  }
  const r = mergeParams(current, payload, ceiling);
  if (!r.ok) return { ok: false, error: `parameter edit refused: ${r.errors.join('; ')}` };
  return { ok: true, msg: { topic: 'params', payload: { ...payload } as Partial<SiteParams> } };
}

/** A schedule edit `{enabled, slots}` (R-PRIO-1). */
export function scheduleEdit(payload: unknown): EditResult {
  const errors = validateSchedule(payload);
  if (!isObject(payload)) return { ok: false, error: `schedule edit refused: ${errors.join('; ')}` };
  const extra = Object.keys(payload).filter((k) => k !== 'enabled' && k !== 'slots');
  if (extra.length) errors.push(`unknown schedule field(s): ${extra.join(', ')}`);
  if (errors.length) return { ok: false, error: `schedule edit refused: ${errors.join('; ')}` };
  return {
    ok: true,
    msg: { topic: 'schedule', payload: { enabled: payload.enabled as boolean, slots: (payload.slots as boolean[]).slice() } },
  };
}

/** The CSV link of the transactions widget: a path on this server or an http(s) URL, else null. */
export function safeLink(x: unknown): string | null {
  if (typeof x !== 'string') return null;
  const s = x.trim();
  if (s.length === 0 || s.length > LINK_MAX_LENGTH) return null;
  if (/^\/(?!\/)[^\s"'<>\\]*$/.test(s)) return s;
  if (/^https?:\/\/[^\s"'<>\\]+$/i.test(s)) return s;
  return null;
}
