/**
 * One charge point between the balancer and its device (SPEC §2, §7): configuration checks
 * (R-CP-1..3), plug ids (R-CP-2), device reports → `plug` messages, setpoints → device
 * commands (R-OFF-2), licence plates (R-CP-6) and the heartbeat rule (R-OFF-3).
 * Pure: no Node-RED, no timers, no clock; time is an argument (ms since the Unix epoch).
 */
import type {
  ChargePointConfig, DeviceCommand, DevicePlugReport, OfflineConfig, Phase, PilotState,
  PlugConfig, PlugLetter, PlugMessage, PlugReport,
} from './types';
import { PHASES, PILOT_STATES } from './types';
import { DEFAULT_OFFLINE, DEFAULT_PLUG_MAX_A, IEC_MIN_CURRENT_A, NO_PLATE, PLATE_MAX_LENGTH, PLUG_MAX_LIMITS, validateOffline } from './params';

export const PLUG_LETTERS: readonly PlugLetter[] = ['A', 'B'];

/** Longest charge point name, characters. */
export const NAME_MAX_LENGTH = 64;
/** Longest address text, characters. */
export const ADDRESS_MAX_LENGTH = 256;
/** Longest device fault text kept, characters (longer texts are refused, not cut). */
export const FAULT_MAX_LENGTH = 200;
/** Highest charge point index accepted (plug ids stay far inside safe integers). */
export const INDEX_MAX = 100_000;
/**
 * A measured current above this is not a measurement but a broken report: no Mode 3 socket can
 * be configured above PLUG_MAX_LIMITS.max, so nothing real can draw more.
 */
export const MEASURED_MAX_A = PLUG_MAX_LIMITS.max;

/** C0/C1 control characters and the Unicode line/paragraph separators. */
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Plug id of plug `letter` of charge point `index` (R-CP-2): A → 2k-1, B → 2k. */
export function plugId(index: number, letter: PlugLetter): number {
  return letter === 'A' ? 2 * index - 1 : 2 * index;
}

/** The index k a name like "CP07" implies (its trailing digits): 7; null when it has none. */
export function indexFromName(name: string): number | null {
  const m = /(\d+)\s*$/.exec(name);
  if (!m) return null;
  const k = Number(m[1]);
  return Number.isSafeInteger(k) && k >= 1 ? k : null;
}

/** Is `x` a plug letter? */
export function isPlugLetter(x: unknown): x is PlugLetter {
  return x === 'A' || x === 'B';
}

/** The plug letters a charge point with `plugCount` plugs has. */
export function lettersOf(plugCount: number): PlugLetter[] {
  return PLUG_LETTERS.slice(0, plugCount);
}

/**
 * A number from the editor: numbers pass, numeric text is converted, anything else (empty text,
 * "12abc", NaN) is NaN so range checks refuse it.
 */
export function editorNumber(x: unknown): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(x)) return Number(x);
  return NaN;
}

/** Builds the offline configuration from the editor fields; empty fields take the manual's defaults. */
export function offlineFromEditor(raw: { heartbeatS?: unknown; mode?: unknown; currentA?: unknown }):
  { ok: true; config: OfflineConfig } | { ok: false; errors: string[] } {
  const pick = (v: unknown, d: number) => (v === undefined || v === null || v === '' ? d : editorNumber(v));
  const candidate = {
    heartbeatS: pick(raw.heartbeatS, DEFAULT_OFFLINE.heartbeatS),
    mode: pick(raw.mode, DEFAULT_OFFLINE.mode),
    currentA: pick(raw.currentA, DEFAULT_OFFLINE.currentA),
  };
  const errors = validateOffline(candidate);
  return errors.length ? { ok: false, errors } : { ok: true, config: candidate as OfflineConfig };
}

/** Editor booleans arrive as booleans, or as "true"/"false" from older exports. */
function editorBoolean(x: unknown): boolean | undefined {
  if (typeof x === 'boolean') return x;
  if (x === 'true') return true;
  if (x === 'false') return false;
  return undefined;
}

/** The fields of the charge-point node as its editor stores them. */
export interface ChargePointEditorConfig {
  name?: unknown;
  index?: unknown;
  address?: unknown;
  plugCount?: unknown;
  phaseA?: unknown;
  phaseB?: unknown;
  priorityA?: unknown;
  priorityB?: unknown;
  maxCurrentA?: unknown;
  maxCurrentB?: unknown;
  enabled?: unknown;
}

/**
 * Builds a charge point's configuration from its editor fields and its offline configuration
 * (R-CP-1): index from the name when left empty, phase "" → not set (null), max current default
 * DEFAULT_PLUG_MAX_A when left empty. Returns the configuration or every error found.
 */
export function configFromEditor(
  raw: ChargePointEditorConfig,
  offline: OfflineConfig,
): { ok: true; config: ChargePointConfig } | { ok: false; errors: string[] } {
  const name = typeof raw.name === 'string' ? raw.name.trim() : raw.name;
  const indexRaw = raw.index === undefined || raw.index === null || raw.index === '' ? undefined : raw.index;
  const index = indexRaw === undefined
    ? (typeof name === 'string' ? indexFromName(name) : null)
    : editorNumber(indexRaw);
  const plugCount = editorNumber(raw.plugCount ?? 2); // the editor's default
  const phase = (p: unknown): unknown => (p === '' || p === undefined || p === null ? null : p);
  const max = (m: unknown): number => (m === '' || m === undefined || m === null ? DEFAULT_PLUG_MAX_A : editorNumber(m));
  const enabled = editorBoolean(raw.enabled);
  const candidate = {
    name,
    index: index ?? NaN,
    address: typeof raw.address === 'string' ? raw.address.trim() : raw.address ?? '',
    enabled: enabled === undefined ? raw.enabled : enabled,
    plugs: lettersOf(plugCount === 2 ? 2 : 1).map((letter) => ({
      letter,
      phase: phase(letter === 'A' ? raw.phaseA : raw.phaseB),
      priority: editorBoolean(letter === 'A' ? raw.priorityA : raw.priorityB) ?? false,
      maxCurrentA: max(letter === 'A' ? raw.maxCurrentA : raw.maxCurrentB),
    })),
    offline,
  };
  const errors: string[] = [];
  if (plugCount !== 1 && plugCount !== 2) errors.push('number of plugs must be 1 or 2');
  if (indexRaw === undefined && index === null) {
    errors.push('index: give the charge point number k (plug ids 2k-1, 2k) or end the name with it, e.g. CP07');
  }
  errors.push(...validateChargePointConfig(candidate));
  if (errors.length) return { ok: false, errors: [...new Set(errors)] };
  return { ok: true, config: candidate as ChargePointConfig };
}

/** Validates a complete charge point configuration (R-CP-1). Returns the errors. */
export function validateChargePointConfig(x: unknown): string[] {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return ['charge point configuration must be an object'];
  const c = x as Record<string, unknown>;
  const errors: string[] = [];
  if (typeof c.name !== 'string' || c.name.trim() === '') errors.push('name must be a non-empty text such as CP01');
  else if (c.name.length > NAME_MAX_LENGTH) errors.push(`name must be at most ${NAME_MAX_LENGTH} characters`);
  else if (CONTROL_CHARS.test(c.name)) errors.push('name must not contain control characters');
  if (typeof c.index !== 'number' || !Number.isInteger(c.index) || c.index < 1 || c.index > INDEX_MAX) {
    errors.push(`index must be a whole number 1..${INDEX_MAX} (plug ids 2k-1, 2k)`);
  }
  if (typeof c.address !== 'string') errors.push('address must be text');
  else if (c.address.length > ADDRESS_MAX_LENGTH) errors.push(`address must be at most ${ADDRESS_MAX_LENGTH} characters`);
  else if (CONTROL_CHARS.test(c.address)) errors.push('address must not contain control characters');
  if (typeof c.enabled !== 'boolean') errors.push('enabled must be true or false');
  if (!Array.isArray(c.plugs) || c.plugs.length < 1 || c.plugs.length > 2) {
    errors.push('a charge point has 1 or 2 plugs');
  } else {
    c.plugs.forEach((p: unknown, i: number) => {
      const letter = PLUG_LETTERS[i];
      if (p === null || typeof p !== 'object') {
        errors.push(`plug ${letter} must be an object`);
        return;
      }
      const plug = p as Record<string, unknown>;
      if (plug.letter !== letter) errors.push(`plug ${i + 1} must have letter ${letter}`);
      if (plug.phase !== null && !PHASES.includes(plug.phase as Phase)) errors.push(`plug ${letter} phase must be L1, L2, L3 or not set`);
      if (typeof plug.priority !== 'boolean') errors.push(`plug ${letter} priority must be true or false`);
      const m = plug.maxCurrentA;
      if (typeof m !== 'number' || !Number.isFinite(m) || m < PLUG_MAX_LIMITS.min || m > PLUG_MAX_LIMITS.max) {
        errors.push(`plug ${letter} max current must be a number ${PLUG_MAX_LIMITS.min}..${PLUG_MAX_LIMITS.max} A`);
      }
    });
  }
  errors.push(...validateOffline(c.offline));
  return errors;
}

/**
 * Why an otherwise valid configuration cannot charge (R-CP-3): enabled with a plug whose phase
 * is not set. The balancer shows such plugs as ERR_CFG with 0 A; the node shows it too.
 */
export function configProblems(config: ChargePointConfig): string[] {
  if (!config.enabled) return [];
  return config.plugs.filter((p) => p.phase === null).map((p) => `plug ${p.letter}: phase not set`);
}

/** Checks a licence plate (R-CP-6): text, trimmed, not empty ("-" = none), short, no control characters. */
export function validatePlate(x: unknown): { ok: true; plate: string } | { ok: false; error: string } {
  if (typeof x !== 'string') return { ok: false, error: `plate must be text ("${NO_PLATE}" for none)` };
  const plate = x.trim();
  if (plate === '') return { ok: false, error: `plate must not be empty: use "${NO_PLATE}" for none` };
  if (plate.length > PLATE_MAX_LENGTH) return { ok: false, error: `plate must be at most ${PLATE_MAX_LENGTH} characters` };
  if (CONTROL_CHARS.test(plate)) return { ok: false, error: 'plate must not contain control characters' };
  return { ok: true, plate };
}

/** Parses a `plate` input `{letter, plate}` for this charge point. */
export function parsePlateInput(
  config: ChargePointConfig,
  x: unknown,
): { ok: true; letter: PlugLetter; plate: string } | { ok: false; error: string } {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return { ok: false, error: 'plate payload must be an object {letter, plate}' };
  const p = x as Record<string, unknown>;
  const letterErr = checkLetter(config, p.letter);
  if (letterErr) return { ok: false, error: letterErr };
  const r = validatePlate(p.plate);
  return r.ok ? { ok: true, letter: p.letter as PlugLetter, plate: r.plate } : r;
}

function checkLetter(config: ChargePointConfig, letter: unknown): string | null {
  if (!isPlugLetter(letter)) return `plug letter must be "A" or "B", not ${JSON.stringify(letter) ?? String(letter)}`;
  if (!config.plugs.some((p) => p.letter === letter)) {
    return `plug ${letter} does not exist on ${config.name} (${config.plugs.length} plug${config.plugs.length === 1 ? '' : 's'})`;
  }
  return null;
}

/** What the node knows live about one plug. */
export interface PlugLive {
  pilot: PilotState;
  measuredA: number;
  energyWh: number;
  fault?: string;
  followsLimits?: false;
}

/** The charge point's run-time state (JSON-serialisable; plates are persisted, R-ERR-2). */
export interface ChargePointState {
  /** ms epoch of the last valid device report; null before the first one. */
  lastReportAt: number | null;
  /** Contact as last announced to the balancer. */
  online: boolean;
  devicePlugs?: number;
  live: Partial<Record<PlugLetter, PlugLive>>;
  plates: Partial<Record<PlugLetter, string>>;
}

/**
 * State at start: no report yet, so offline (the device may well be running its offline mode,
 * and R-OFF-3 reserves accordingly), pilot A (no vehicle known), plates restored when given.
 */
export function initialChargePointState(
  config: ChargePointConfig,
  plates?: unknown,
): ChargePointState {
  const kept: Partial<Record<PlugLetter, string>> = {};
  for (const p of config.plugs) {
    const saved = plates && typeof plates === 'object' ? (plates as Record<string, unknown>)[p.letter] : undefined;
    const r = validatePlate(saved);
    kept[p.letter] = r.ok ? r.plate : NO_PLATE;
  }
  const live: Partial<Record<PlugLetter, PlugLive>> = {};
  for (const p of config.plugs) live[p.letter] = { pilot: 'A', measuredA: 0, energyWh: 0 };
  return { lastReportAt: null, online: false, live, plates: kept };
}

/** Heartbeat rule (R-OFF-3): online while the last report is no older than the heartbeat interval. */
export function isOnline(lastReportAt: number | null, heartbeatS: number, now: number): boolean {
  return lastReportAt !== null && now - lastReportAt <= heartbeatS * 1000;
}

/** When the current contact expires: the first instant isOnline turns false; null before any report. */
export function offlineAt(lastReportAt: number | null, heartbeatS: number): number | null {
  return lastReportAt === null ? null : lastReportAt + heartbeatS * 1000 + 1;
}

/** Validates a device report (generic device interface, docs/messages.md). Unknown extra fields are ignored. */
export function validateDeviceReport(config: ChargePointConfig, x: unknown): string[] {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return ['device report must be an object {plugs: [...]}'];
  const r = x as Record<string, unknown>;
  const errors: string[] = [];
  if ('devicePlugs' in r && r.devicePlugs !== undefined) {
    const d = r.devicePlugs;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > 16) errors.push('devicePlugs must be a whole number 1..16');
  }
  if (!Array.isArray(r.plugs) || r.plugs.length === 0) {
    errors.push('device report plugs must be a non-empty array of {letter, pilot, currentA}');
    return errors;
  }
  const seen = new Set<string>();
  r.plugs.forEach((p: unknown, i: number) => {
    if (p === null || typeof p !== 'object' || Array.isArray(p)) {
      errors.push(`device report plug ${i + 1} must be an object {letter, pilot, currentA}`);
      return;
    }
    const q = p as Record<string, unknown>;
    const letterErr = checkLetter(config, q.letter);
    if (letterErr) {
      errors.push(`device report: ${letterErr}`);
      return;
    }
    const L = q.letter as string;
    if (seen.has(L)) errors.push(`device report: plug ${L} appears twice`);
    seen.add(L);
    if (!PILOT_STATES.includes(q.pilot as PilotState)) errors.push(`plug ${L} pilot must be one of A, B, C, D, E, F`);
    const a = q.currentA;
    if (typeof a !== 'number' || !Number.isFinite(a) || a < 0 || a > MEASURED_MAX_A) {
      errors.push(`plug ${L} currentA must be a number 0..${MEASURED_MAX_A} A`);
    }
    if ('energyWh' in q && q.energyWh !== undefined) {
      const e = q.energyWh;
      if (typeof e !== 'number' || !Number.isFinite(e) || e < 0) errors.push(`plug ${L} energyWh must be a number ≥ 0`);
    }
    if ('fault' in q && q.fault !== undefined && q.fault !== null) {
      if (typeof q.fault !== 'string') errors.push(`plug ${L} fault must be text`);
      else if (q.fault.length > FAULT_MAX_LENGTH) errors.push(`plug ${L} fault must be at most ${FAULT_MAX_LENGTH} characters`);
      else if (CONTROL_CHARS.test(q.fault)) errors.push(`plug ${L} fault must not contain control characters`);
    }
    if (q.followsLimits !== undefined && typeof q.followsLimits !== 'boolean') errors.push(`plug ${L} followsLimits must be true or false`);
  });
  return errors;
}

/**
 * Applies a valid device report at `now`: the plugs it names get their new live values (plugs
 * it omits keep theirs), contact is established. `reconnected` is true when the device was
 * offline before (first report after start or after a heartbeat loss): the offline
 * configuration must then be re-pushed (R-OFF-2). `state` is never modified.
 */
export function applyDeviceReport(
  state: ChargePointState,
  report: { plugs: DevicePlugReport[]; devicePlugs?: number },
  now: number,
): { state: ChargePointState; reconnected: boolean } {
  const live = { ...state.live };
  for (const p of report.plugs) {
    const entry: PlugLive = { pilot: p.pilot, measuredA: p.currentA, energyWh: p.energyWh ?? live[p.letter]?.energyWh ?? 0 };
    // A new session starts at 0 Wh when the device does not count energy itself.
    if (p.energyWh === undefined && p.pilot === 'A') entry.energyWh = 0;
    if (typeof p.fault === 'string' && p.fault.trim() !== '') entry.fault = p.fault.trim();
    if (p.followsLimits === false) entry.followsLimits = false;
    live[p.letter] = entry;
  }
  const next: ChargePointState = {
    ...state,
    live,
    lastReportAt: now,
    online: true,
    devicePlugs: report.devicePlugs ?? state.devicePlugs,
  };
  return { state: next, reconnected: !state.online };
}

/** Marks contact lost (heartbeat expired, R-OFF-3). */
export function markOffline(state: ChargePointState): ChargePointState {
  return { ...state, online: false };
}

/** Sets a plate (already validated). */
export function setPlate(state: ChargePointState, letter: PlugLetter, plate: string): ChargePointState {
  return { ...state, plates: { ...state.plates, [letter]: plate } };
}

/** The `plug` message for the balancer (docs/messages.md). */
export function toPlugMessage(config: ChargePointConfig, state: ChargePointState, now: number): PlugMessage {
  const plugs: PlugReport[] = config.plugs.map((p: PlugConfig) => {
    const live = state.live[p.letter] ?? { pilot: 'A' as PilotState, measuredA: 0, energyWh: 0 };
    const r: PlugReport = {
      letter: p.letter,
      id: plugId(config.index, p.letter),
      phase: p.phase,
      priority: p.priority,
      maxCurrentA: p.maxCurrentA,
      pilot: live.pilot,
      measuredA: live.measuredA,
      energyWh: live.energyWh,
      plate: state.plates[p.letter] ?? NO_PLATE,
    };
    if (live.fault) r.fault = live.fault;
    if (live.followsLimits === false) r.followsLimits = false;
    return r;
  });
  const msg: PlugMessage = {
    chargePoint: config.name,
    index: config.index,
    address: config.address,
    enabled: config.enabled,
    online: state.online,
    offline: { ...config.offline },
    plugs,
    timestamp: now,
  };
  if (state.devicePlugs !== undefined) msg.devicePlugs = state.devicePlugs;
  return msg;
}

/**
 * Turns a `setpoint` message into a device command.
 * - addressed to another charge point → `ignored` (one balancer output may feed every charge point);
 * - each current must be 0 (pause) or IEC_MIN_CURRENT_A..the plug's maximum, for a plug this
 *   charge point has; anything else is refused whole (nothing is sent);
 * - the command always carries this charge point's own offline configuration (R-OFF-2);
 * - a disabled charge point is always commanded 0 A, whatever the setpoint says (R-CP-3).
 */
export function setpointToCommand(
  config: ChargePointConfig,
  x: unknown,
  now: number,
): { kind: 'command'; command: DeviceCommand } | { kind: 'ignored' } | { kind: 'error'; error: string } {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) {
    return { kind: 'error', error: 'setpoint payload must be an object {chargePoint, plugs}' };
  }
  const s = x as Record<string, unknown>;
  if (typeof s.chargePoint !== 'string') return { kind: 'error', error: 'setpoint chargePoint must be the charge point name' };
  if (s.chargePoint !== config.name) return { kind: 'ignored' };
  if (s.plugs === null || typeof s.plugs !== 'object' || Array.isArray(s.plugs)) {
    return { kind: 'error', error: 'setpoint plugs must be an object {A?: amps, B?: amps}' };
  }
  if ('offline' in s && s.offline !== undefined) {
    const e = validateOffline(s.offline);
    if (e.length) return { kind: 'error', error: `setpoint offline: ${e.join('; ')}` };
  }
  const plugs: Partial<Record<PlugLetter, number>> = {};
  for (const [letter, value] of Object.entries(s.plugs as Record<string, unknown>)) {
    const letterErr = checkLetter(config, letter);
    if (letterErr) return { kind: 'error', error: `setpoint: ${letterErr}` };
    const plug = config.plugs.find((p) => p.letter === letter)!;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return { kind: 'error', error: `setpoint for plug ${letter} must be a number of amps, not ${JSON.stringify(value) ?? String(value)}` };
    }
    if (value !== 0 && (value < IEC_MIN_CURRENT_A || value > plug.maxCurrentA)) {
      return {
        kind: 'error',
        error: `setpoint for plug ${letter} must be 0 (pause) or ${IEC_MIN_CURRENT_A}..${plug.maxCurrentA} A, not ${value}`,
      };
    }
    plugs[letter as PlugLetter] = config.enabled ? value : 0;
  }
  return {
    kind: 'command',
    command: { chargePoint: config.name, address: config.address, plugs, offline: { ...config.offline }, timestamp: now },
  };
}

/** Command that only (re-)pushes the offline configuration, e.g. after the device reconnects (R-OFF-2). */
export function offlinePushCommand(config: ChargePointConfig, now: number): DeviceCommand {
  return { chargePoint: config.name, address: config.address, plugs: {}, offline: { ...config.offline }, timestamp: now };
}

/** Short node status text: "A 16 A · B paused", "disabled", "OFFLINE". */
export function statusText(config: ChargePointConfig, state: ChargePointState, lastCommand: Partial<Record<PlugLetter, number>>): string {
  if (!config.enabled) return 'disabled';
  const problems = configProblems(config);
  if (problems.length) return `ERR_CFG: ${problems.join(', ')}`;
  if (!state.online) return state.lastReportAt === null ? 'waiting for device' : 'OFFLINE';
  return config.plugs.map((p) => {
    const live = state.live[p.letter];
    if (live?.fault || live?.pilot === 'E' || live?.pilot === 'F') return `${p.letter} fault`;
    const sp = lastCommand[p.letter];
    if (sp === undefined) return `${p.letter} ${live?.pilot === 'A' ? 'free' : 'no setpoint'}`;
    return sp === 0 ? `${p.letter} ${live?.pilot === 'A' ? 'free' : 'paused'}` : `${p.letter} ${sp} A`;
  }).join(' · ');
}
