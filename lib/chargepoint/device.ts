/**
 * The charge-point node's device side (SPEC §2, §7, docs/messages.md `device` / `command`):
 * device reports → `plug` messages, setpoints → device commands (R-OFF-2), plates (R-CP-6) and
 * the heartbeat rule (R-OFF-3). Pure: time is an argument (ms since the Unix epoch).
 */
import { configProblems } from './config';
import { describeValue } from '../shared/guard';
import { isPlugLetter, plugId } from '../shared/ids';
import { DEVICE_PLUGS_MAX, FAULT_MAX_LENGTH, IEC_MIN_CURRENT_A, MEASURED_MAX_A, NO_PLATE, validateOffline } from '../shared/params';
import { CONTROL_CHARS, validatePlate } from '../shared/plate';
import { PILOT_STATES, SITE_BOARD } from '../shared/types';
import { DEFAULT_ROTATION } from './config';
import type {
  ChargePointConfig,
  DeviceCommand,
  DevicePlugReport,
  PilotState,
  PlugConfig,
  PlugLetter,
  PlugMessage,
  PlugReport,
  Triple,
} from '../shared/types';

/** Parses a `plate` input `{letter, plate}` for this charge point. */
export function parsePlateInput(
  config: ChargePointConfig,
  x: unknown,
): { ok: true; letter: PlugLetter; plate: string } | { ok: false; error: string } {
  if (x === null || typeof x !== 'object' || Array.isArray(x))
    return { ok: false, error: 'plate payload must be an object {letter, plate}' };
  const p = x as Record<string, unknown>;
  const letterErr = checkLetter(config, p.letter);
  if (letterErr) return { ok: false, error: letterErr };
  const r = validatePlate(p.plate);
  return r.ok ? { ok: true, letter: p.letter as PlugLetter, plate: r.plate } : r;
}

function checkLetter(config: ChargePointConfig, letter: unknown): string | null {
  if (!isPlugLetter(letter)) return `plug letter must be "A" or "B", not ${describeValue(letter)}`;
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
  /** Measured current per charger phase 1, 2, 3, A, when the device reports them (R-3PH-3). */
  phaseCurrentsA?: Triple;
}

/**
 * What is wrong with a device's per-phase currents (R-3PH-3), or null: exactly three numbers
 * 0..MEASURED_MAX_A, in charger phase order (phase 1, 2, 3 — not supply lines).
 */
export function phaseCurrentsProblem(v: unknown): string | null {
  if (!Array.isArray(v) || v.length !== 3)
    return `phaseCurrentsA must be a list of 3 numbers [phase 1, phase 2, phase 3] (A), not ${describeValue(v)}`;
  for (let i = 0; i < 3; i++) {
    const a: unknown = v[i];
    if (typeof a !== 'number' || !Number.isFinite(a) || a < 0 || a > MEASURED_MAX_A)
      return `phaseCurrentsA phase ${i + 1} must be a number 0..${MEASURED_MAX_A} A, not ${describeValue(a)}`;
  }
  return null;
}

/** The charge point's run-time state (JSON-serialisable; plates are persisted, R-ERR-2). */
export interface ChargePointNodeState {
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
export function initialChargePointState(config: ChargePointConfig, plates?: unknown): ChargePointNodeState {
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
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > DEVICE_PLUGS_MAX)
      errors.push(`devicePlugs must be a whole number 1..${DEVICE_PLUGS_MAX}`);
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
    const perPhase = q.phaseCurrentsA !== undefined;
    // R-3PH-3: with per-phase currents, currentA may be left out (it is then their highest).
    if (!(perPhase && a === undefined) && (typeof a !== 'number' || !Number.isFinite(a) || a < 0 || a > MEASURED_MAX_A)) {
      errors.push(`plug ${L} currentA must be a number 0..${MEASURED_MAX_A} A${perPhase ? ' (or left out with phaseCurrentsA)' : ''}`);
    }
    if (perPhase) {
      const e = phaseCurrentsProblem(q.phaseCurrentsA);
      if (e) errors.push(`plug ${L} ${e}`);
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
  state: ChargePointNodeState,
  report: { plugs: DevicePlugReport[]; devicePlugs?: number },
  now: number,
): { state: ChargePointNodeState; reconnected: boolean } {
  const live = { ...state.live };
  for (const p of report.plugs) {
    // R-3PH-3: the plug's one measured current is the highest of what the device says (currentA, each phase).
    const perPhase = p.phaseCurrentsA ? ([p.phaseCurrentsA[0], p.phaseCurrentsA[1], p.phaseCurrentsA[2]] as Triple) : undefined;
    const measuredA = Math.max(typeof p.currentA === 'number' ? p.currentA : 0, ...(perPhase ?? []));
    const entry: PlugLive = { pilot: p.pilot, measuredA, energyWh: p.energyWh ?? live[p.letter]?.energyWh ?? 0 };
    if (perPhase) entry.phaseCurrentsA = perPhase;
    // A new session starts at 0 Wh when the device does not count energy itself.
    if (p.energyWh === undefined && p.pilot === 'A') entry.energyWh = 0;
    if (typeof p.fault === 'string' && p.fault.trim() !== '') entry.fault = p.fault.trim();
    if (p.followsLimits === false) entry.followsLimits = false;
    live[p.letter] = entry;
  }
  const next: ChargePointNodeState = {
    ...state,
    live,
    lastReportAt: now,
    online: true,
    devicePlugs: report.devicePlugs ?? state.devicePlugs,
  };
  return { state: next, reconnected: !state.online };
}

/** Marks contact lost (heartbeat expired, R-OFF-3). */
export function markOffline(state: ChargePointNodeState): ChargePointNodeState {
  return { ...state, online: false };
}

/** Sets a plate (already validated). */
export function setPlate(state: ChargePointNodeState, letter: PlugLetter, plate: string): ChargePointNodeState {
  return { ...state, plates: { ...state.plates, [letter]: plate } };
}

/** The `plug` message for the balancer (docs/messages.md). */
export function toPlugMessage(config: ChargePointConfig, state: ChargePointNodeState, now: number): PlugMessage {
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
      phases: p.phases ?? 1,
    };
    if (live.phaseCurrentsA) r.phaseCurrentsA = [...live.phaseCurrentsA] as Triple;
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
    // false until the device's first report since the node started: a start-up announcement (issue 9 item 8).
    reported: state.lastReportAt !== null,
    offline: { ...config.offline },
    plugs,
    timestamp: now,
    rotation: config.rotation ?? DEFAULT_ROTATION,
    board: config.board ?? SITE_BOARD,
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
      return { kind: 'error', error: `setpoint for plug ${letter} must be a number of amps, not ${describeValue(value)}` };
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
export function statusText(
  config: ChargePointConfig,
  state: ChargePointNodeState,
  lastCommand: Partial<Record<PlugLetter, number>>,
): string {
  if (!config.enabled) return 'disabled';
  const problems = configProblems(config);
  if (problems.length) return `ERR_CFG: ${problems.join(', ')}`;
  if (!state.online) return state.lastReportAt === null ? 'waiting for device' : 'OFFLINE';
  return config.plugs
    .map((p) => {
      const live = state.live[p.letter];
      if (live?.fault || live?.pilot === 'E' || live?.pilot === 'F') return `${p.letter} fault`;
      const sp = lastCommand[p.letter];
      if (sp === undefined) return `${p.letter} ${live?.pilot === 'A' ? 'free' : 'no setpoint'}`;
      return sp === 0 ? `${p.letter} ${live?.pilot === 'A' ? 'free' : 'paused'}` : `${p.letter} ${sp} A`;
    })
    .join(' · ');
}
