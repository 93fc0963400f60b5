/**
 * The one source of truth for every default and every allowed range (DESIGN "one source of
 * truth"). The editor (.html) receives these same tables at build time (tools/copy-assets.js
 * injects them, with the compiled checkParam, isValidTimeZone, configValue and isMultipleOf),
 * the runtime validates with them, the tests read them. No other file writes a limit as a number
 * (test/lib/limits.test.ts); the one other home is lib/shared/guard.ts for the bounds of its own
 * walk over untrusted values (see there why).
 */
import { ROTATIONS, SITE_BOARD, type BoardConfig, type OfflineConfig, type Rotation, type SiteParams, type Schedule } from './types';
import { CONTROL_CHARS, describeValue, type UntrustedLimits } from './guard';

/** IEC 61851-1 Mode 3 minimum current, A (R-SITE-3). */
export const IEC_MIN_CURRENT_A = 6;

/** What one parameter may be: its type, range, unit and label for editor and dashboard. */
export interface ParamSpec {
  key: keyof SiteParams;
  label: string;
  unit?: string;
  type: 'number' | 'integer' | 'boolean' | 'enum' | 'string';
  min?: number;
  max?: number;
  options?: readonly (string | number)[];
  /** SPEC requirement the parameter comes from. */
  ref: string;
  /**
   * The ceiling rule (R-SEC-2): which run-time changes keep the site at least as safe as the
   * deployed configuration. 'lower': may only go down (a limit); 'higher': may only go up (a
   * margin, a delay, an assumption); 'fixed': only the editor may change it (wiring facts);
   * absent: any valid value (sharing, timing and display choices that do not raise the limit).
   */
  safer?: 'lower' | 'higher' | 'fixed';
  /** A value that means "no limit" (0 = off): setting it is a raise, leaving it may go anywhere (R-SEC-2). */
  offValue?: number;
}

/** Manual defaults (§5.2.1, §7.4.4) and SPEC decisions. */
export const DEFAULT_PARAMS: Readonly<SiteParams> = Object.freeze({
  supplyPhases: 3,
  voltageV: 230,
  mccbA: 50,
  contractedKW: 36,
  minCurrentA: 8,
  analyserEnabled: true,
  meterOfflineCurrentA: 25,
  meterPeakWindowMin: 15,
  meterTimeoutS: 5,
  meterAverageS: 10,
  meterPosition: 'building',
  marginPct: 10,
  resolutionA: 1,
  resumeHysteresisA: 1,
  reactionDelayS: 5,
  minPauseS: 30,
  minIncreaseA: 1,
  stateBDetection: true,
  waitingTimeS: 600,
  retries: 3,
  retryPeriodS: 1800,
  lowConsumption: false,
  lowConsumptionA: IEC_MIN_CURRENT_A,
  releaseUnused: false,
  releaseHeadroomA: 4,
  releaseAfterS: 60,
  timeZone: 'Europe/Madrid',
  unbalanceLimitA: 0,
  phaseSettleS: 30,
} as SiteParams);

/** Ranges and labels, in the order the editor and dashboard show them. */
export const PARAM_SPECS: readonly ParamSpec[] = Object.freeze([
  { key: 'supplyPhases', label: 'Supply', type: 'enum', options: [1, 3], ref: 'R-SITE-1', safer: 'fixed' },
  { key: 'voltageV', label: 'Nominal voltage', unit: 'V', type: 'number', min: 100, max: 400, ref: 'R-SITE-1', safer: 'higher' },
  { key: 'mccbA', label: 'MCCB max current', unit: 'A', type: 'number', min: 6, max: 6300, ref: 'R-SITE-2', safer: 'lower' },
  { key: 'contractedKW', label: 'Contracted power', unit: 'kW', type: 'number', min: 1, max: 10000, ref: 'R-SITE-2', safer: 'lower' },
  { key: 'minCurrentA', label: 'Min. charging current', unit: 'A', type: 'number', min: IEC_MIN_CURRENT_A, max: 32, ref: 'R-SITE-3' },
  { key: 'analyserEnabled', label: 'Building analyser enabled', type: 'boolean', ref: 'R-MTR-3', safer: 'higher' },
  {
    key: 'meterOfflineCurrentA',
    label: 'Analyser offline current',
    unit: 'A',
    type: 'number',
    min: 0,
    max: 6300,
    ref: 'R-MTR-4',
    safer: 'higher',
  },
  {
    key: 'meterPeakWindowMin',
    label: 'Meter lost: peak window',
    unit: 'min',
    type: 'number',
    min: 0,
    max: 1440,
    ref: 'R-MTR-4',
    safer: 'higher',
  },
  { key: 'meterTimeoutS', label: 'Analyser timeout', unit: 's', type: 'number', min: 1, max: 300, ref: 'R-MTR-4', safer: 'lower' },
  { key: 'meterAverageS', label: 'Building average window', unit: 's', type: 'number', min: 1, max: 600, ref: 'R-MTR-5' },
  { key: 'meterPosition', label: 'Analyser position', type: 'enum', options: ['building', 'grid'], ref: 'R-MTR-2', safer: 'fixed' },
  {
    key: 'marginPct',
    label: 'Safety margin (working range)',
    unit: '%',
    type: 'number',
    min: 0,
    max: 50,
    ref: 'R-ALLOC-1',
    safer: 'higher',
  },
  { key: 'resolutionA', label: 'Setpoint resolution', unit: 'A', type: 'enum', options: [0.1, 0.5, 1], ref: 'R-ALLOC-3' },
  { key: 'resumeHysteresisA', label: 'Resume hysteresis', unit: 'A', type: 'number', min: 0, max: 32, ref: 'R-ALLOC-5' },
  { key: 'reactionDelayS', label: 'Vehicle reaction delay', unit: 's', type: 'number', min: 0, max: 60, ref: 'R-ALLOC-7', safer: 'higher' },
  { key: 'minPauseS', label: 'Minimum pause time', unit: 's', type: 'number', min: 0, max: 3600, ref: 'R-ALLOC-8' },
  { key: 'minIncreaseA', label: 'Smallest increase sent', unit: 'A', type: 'number', min: 0, max: 10, ref: 'R-ALLOC-8' },
  { key: 'stateBDetection', label: 'State B detection', type: 'boolean', ref: 'R-VEH-1' },
  { key: 'waitingTimeS', label: 'Max. waiting time', unit: 's', type: 'number', min: 1, max: 86400, ref: 'R-VEH-1' },
  { key: 'retries', label: 'Number of retries', type: 'integer', min: 0, max: 100, ref: 'R-VEH-2' },
  { key: 'retryPeriodS', label: 'Period between retries', unit: 's', type: 'number', min: 1, max: 86400, ref: 'R-VEH-2' },
  { key: 'lowConsumption', label: 'Low consumption detection', type: 'boolean', ref: 'R-VEH-3' },
  { key: 'lowConsumptionA', label: 'Low consumption below', unit: 'A', type: 'number', min: 0, max: 32, ref: 'R-VEH-3' },
  { key: 'releaseUnused', label: 'Release unused current', type: 'boolean', ref: 'R-VEH-4' },
  { key: 'releaseHeadroomA', label: 'Headroom kept when releasing', unit: 'A', type: 'number', min: 1, max: 32, ref: 'R-VEH-4' },
  { key: 'releaseAfterS', label: 'Release after steady under-draw', unit: 's', type: 'number', min: 1, max: 3600, ref: 'R-VEH-4' },
  { key: 'timeZone', label: 'Time zone', type: 'string', ref: 'R-PRIO-1' },
  {
    key: 'unbalanceLimitA',
    label: 'Unbalance limit (0 = none)',
    unit: 'A',
    type: 'number',
    min: 0,
    max: 6300,
    ref: 'R-UNB-1',
    safer: 'lower',
    offValue: 0,
  },
  {
    key: 'phaseSettleS',
    label: 'Phase detection settling time',
    unit: 's',
    type: 'number',
    min: 5,
    max: 600,
    ref: 'R-3PH-3',
    safer: 'higher',
  },
] as ParamSpec[]);

/** Manual's offline mode defaults (§5.2.3): 120 s heartbeat, mode 3, 8 A (R-OFF-1). */
export const DEFAULT_OFFLINE: Readonly<OfflineConfig> = Object.freeze({ heartbeatS: 120, mode: 3, currentA: 8 } as OfflineConfig);

/** Allowed ranges of the offline configuration. */
export const OFFLINE_LIMITS = Object.freeze({
  heartbeatS: { min: 10, max: 3600 },
  mode: { options: [0, 1, 2, 3] },
  currentA: { min: IEC_MIN_CURRENT_A, max: 80 },
});

/** Plugs of a new charge point (and of a simulated one): the manual's dual charger (R-CP-1). */
export const DEFAULT_PLUG_COUNT = 2;

/** Plug defaults (R-CP-1): 32 A maximum, no priority. */
export const DEFAULT_PLUG_MAX_A = 32;
export const PLUG_MAX_LIMITS = Object.freeze({ min: IEC_MIN_CURRENT_A, max: 80 });

/** Manual's example schedule is 07–08 and 09–13; the default is OFF with no slots. */
export const DEFAULT_SCHEDULE: Readonly<Schedule> = Object.freeze({
  enabled: false,
  slots: Object.freeze(new Array(24).fill(false)) as boolean[],
});

/** The manual's example schedule (§7.4.1): 07h–08h and 09h–13h priority. */
export const MANUAL_SCHEDULE_SLOTS: readonly number[] = Object.freeze([7, 9, 10, 11, 12]);

/** No plate: the manual's '-' (R-CP-6). */
export const NO_PLATE = '-';
/** Longest plate accepted, characters (R-CP-6: untrusted text). */
export const PLATE_MAX_LENGTH = 32;

/** Meter watchdog and poll defaults for cvm-mini-reader (R-MTR-4, issue 4). */
export const METER_DEFAULTS = Object.freeze({ pollS: 1, watchdogS: 5, unitId: 1, fc: 4 });

/** Allowed ranges of the cvm-mini-reader settings (Modbus unit ids 1..247). */
export const METER_LIMITS = Object.freeze({
  unitId: { min: 1, max: 247 },
  fc: { options: [3, 4] },
  pollS: { min: 0.1, max: 3600 },
  watchdogS: { min: 1, max: 300 },
});

/** Tick of the balancer node, s: re-evaluates timers, timeouts, schedule. */
export const BALANCER_TICK_S = 1;

/** Physical sanity limits for any current or voltage we accept. */
export const SANITY = Object.freeze({ maxCurrentA: 10000, maxVoltageV: 500 });

/** Longest IANA time zone name accepted, characters (the longest real one has 32). */
export const TIME_ZONE_MAX_LENGTH = 64;

/** Is `tz` an IANA time zone this runtime knows? */
export function isValidTimeZone(tz: unknown): tz is string {
  if (typeof tz !== 'string' || tz.length === 0 || tz.length > TIME_ZONE_MAX_LENGTH) return false;
  if (knownZones.has(tz)) return true;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
    knownZones.add(tz);
    return true;
  } catch {
    return false;
  }
}

/** Zones already found valid (building a formatter is slow; the answer never changes). */
const knownZones = new Set<string>();

/**
 * Checks one parameter value against its spec. Returns an error text or null.
 * Only the value's own range; cross-parameter rules live in validateParams.
 */
export function checkParam(spec: ParamSpec, value: unknown): string | null {
  const name = `${spec.label} (${spec.key})`;
  switch (spec.type) {
    case 'boolean':
      return typeof value === 'boolean' ? null : `${name} must be true or false`;
    case 'string':
      if (spec.key === 'timeZone') return isValidTimeZone(value) ? null : `${name} must be an IANA time zone such as Europe/Madrid`;
      return typeof value === 'string' ? null : `${name} must be text`;
    case 'enum':
      return spec.options!.includes(value as string | number) ? null : `${name} must be one of ${spec.options!.join(', ')}`;
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${name} must be a number`;
      if (spec.type === 'integer' && !Number.isInteger(value)) return `${name} must be a whole number`;
      if (spec.min !== undefined && value < spec.min) return `${name} must be at least ${spec.min}${spec.unit ? ' ' + spec.unit : ''}`;
      if (spec.max !== undefined && value > spec.max) return `${name} must be at most ${spec.max}${spec.unit ? ' ' + spec.unit : ''}`;
      return null;
    }
  }
}

/**
 * Is `value` a whole number of `step`s (within floating-point noise)? The rule tying the minimum
 * current to the setpoint resolution (R-ALLOC-3); shipped to the balancer editor.
 */
export function isMultipleOf(value: number, step: number): boolean {
  const steps = value / step;
  return Math.abs(steps - Math.round(steps)) <= 1e-9;
}

/**
 * Validates a complete parameter set: each value in range, plus the rules that tie values
 * together. Returns the list of errors (empty = valid).
 */
export function validateParams(p: SiteParams): string[] {
  const errors: string[] = [];
  for (const spec of PARAM_SPECS) {
    const e = checkParam(spec, (p as unknown as Record<string, unknown>)[spec.key]);
    if (e) errors.push(e);
  }
  if (errors.length) return errors;
  // Setpoints are rounded down to the resolution; I_min must be reachable exactly (R-ALLOC-3).
  if (!isMultipleOf(p.minCurrentA, p.resolutionA)) {
    errors.push(`Min. charging current (${p.minCurrentA} A) must be a multiple of the setpoint resolution (${p.resolutionA} A)`);
  }
  return errors;
}

/**
 * Merges a partial change into a parameter set and validates the result, and with a `ceiling`
 * (the deployed configuration) the ceiling rule too (R-SEC-2). Unknown keys are
 * errors, so a typo never passes silently. Returns either the new set or the errors; the
 * input is never modified.
 */
export function mergeParams(
  base: SiteParams,
  change: unknown,
  ceiling?: SiteParams,
): { ok: true; params: SiteParams } | { ok: false; errors: string[] } {
  if (change === null || typeof change !== 'object' || Array.isArray(change)) {
    return { ok: false, errors: ['parameters must be an object of name: value'] };
  }
  const known = new Set(PARAM_SPECS.map((s) => s.key as string));
  const unknown = Object.keys(change).filter((k) => !known.has(k));
  if (unknown.length)
    return {
      ok: false,
      errors: [
        `unknown parameter(s): ${unknown.slice(0, 3).map(describeValue).join(', ')}${unknown.length > 3 ? ` and ${unknown.length - 3} more` : ''}`,
      ],
    };
  const merged = { ...base, ...(change as Partial<SiteParams>) } as SiteParams;
  const errors = validateParams(merged);
  if (!errors.length && ceiling) errors.push(...ceilingProblems(ceiling, merged));
  return errors.length ? { ok: false, errors } : { ok: true, params: merged };
}

/**
 * The ceiling rule (R-SEC-2): the reasons a proposed run-time parameter set is less safe than the
 * deployed one (empty = allowed). Limits may only go down, margins, delays and assumptions only
 * up, wiring facts not at all; the analyser may be enabled but never disabled at run time.
 */
export function ceilingProblems(deployed: SiteParams, proposed: SiteParams): string[] {
  const out: string[] = [];
  const d = deployed as unknown as Record<string, unknown>;
  const p = proposed as unknown as Record<string, unknown>;
  for (const spec of PARAM_SPECS) {
    const was = d[spec.key];
    const now = p[spec.key];
    if (!spec.safer || was === now) continue;
    const name = `${spec.label} (${spec.key})`;
    const shown = (v: unknown) => `${String(v)}${spec.unit && typeof v === 'number' ? ' ' + spec.unit : ''}`;
    if (spec.safer === 'fixed') out.push(`${name} can only be changed in the editor (deployed: ${shown(was)})`);
    else if (spec.offValue !== undefined && was === spec.offValue)
      continue; // no limit deployed: any limit is safer
    else if (spec.offValue !== undefined && now === spec.offValue)
      out.push(`${name} may not be turned off at run time (deployed: ${shown(was)})`);
    else if (spec.safer === 'lower' && Number(now) > Number(was)) out.push(`${name} may not be raised above the deployed ${shown(was)}`);
    else if (spec.safer === 'higher' && typeof was === 'boolean' && was && !now)
      out.push(`${name} may not be turned off at run time (deployed: on)`);
    else if (spec.safer === 'higher' && typeof was === 'number' && Number(now) < was)
      out.push(`${name} may not be set below the deployed ${shown(was)}`);
  }
  return out;
}

/** Validates an offline configuration (R-OFF-1). Returns the errors. */
export function validateOffline(o: unknown): string[] {
  if (o === null || typeof o !== 'object') return ['offline configuration must be an object'];
  const c = o as Record<string, unknown>;
  const errors: string[] = [];
  const num = (k: 'heartbeatS' | 'currentA') => {
    const v = c[k];
    const lim = OFFLINE_LIMITS[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) errors.push(`offline ${k} must be a number`);
    else if (v < lim.min || v > lim.max) errors.push(`offline ${k} must be between ${lim.min} and ${lim.max}`);
  };
  num('heartbeatS');
  num('currentA');
  if (!OFFLINE_LIMITS.mode.options.includes(c.mode as number)) errors.push('offline mode must be 0, 1, 2 or 3');
  return errors;
}

/** Site per-phase current limit (R-SITE-2): min(MCCB, kW·1000 / (V·phases)). */
export function phaseLimitA(p: Pick<SiteParams, 'mccbA' | 'contractedKW' | 'voltageV' | 'supplyPhases'>): number {
  return Math.min(p.mccbA, (p.contractedKW * 1000) / (p.voltageV * p.supplyPhases));
}

/**
 * One parameter as the editor stores it (numbers may be text, booleans "true"/"false") turned into
 * the value checkParam expects; anything else is returned unchanged for checkParam to refuse.
 * Shipped to the balancer editor (tools/copy-assets.js), so the form and the runtime read alike.
 */
export function configValue(spec: ParamSpec, v: unknown): unknown {
  if (
    (spec.type === 'number' || spec.type === 'integer' || (spec.type === 'enum' && typeof spec.options![0] === 'number')) &&
    typeof v === 'string'
  ) {
    return v.trim() === '' ? NaN : Number(v);
  }
  if (spec.type === 'boolean' && typeof v === 'string') return v === 'true' ? true : v === 'false' ? false : v;
  return v;
}

/**
 * Reads site parameters from a node's editor configuration: numbers may arrive as text, booleans
 * as "true"/"false"; a missing key takes its default. Returns the parameters (defaults where a
 * value was unusable) and every problem found, so a bad configuration is reported, not guessed.
 */
export function paramsFromConfig(raw: Record<string, unknown>): { params: SiteParams; errors: string[] } {
  const out: Record<string, unknown> = { ...DEFAULT_PARAMS };
  for (const spec of PARAM_SPECS) {
    const v = raw[spec.key];
    if (v === undefined || v === '') continue;
    out[spec.key] = configValue(spec, v);
  }
  const params = out as unknown as SiteParams;
  const errors = validateParams(params);
  return errors.length ? { params: { ...DEFAULT_PARAMS }, errors } : { params, errors };
}

// ---------------------------------------------------------------------------------------------
// Limits of the messages (docs/messages.md): one home for every bound the runtime and the editors use
// ---------------------------------------------------------------------------------------------

/** Longest charge point name, characters. */
export const NAME_MAX_LENGTH = 64;

/** Longest address text, characters. */
export const ADDRESS_MAX_LENGTH = 256;

/** Longest device fault text kept, characters (longer texts are refused, not cut). */
export const FAULT_MAX_LENGTH = 200;

/** Most plugs a device may say it has (devicePlugs, R-CP-3). */
export const DEVICE_PLUGS_MAX = 16;

/** Largest session energy accepted, Wh (1 GWh: far above any vehicle; larger is a broken report). */
export const ENERGY_MAX_WH = 1e9;

/** Highest charge point index accepted (plug ids stay far inside safe integers). */
export const INDEX_MAX = 100_000;

/**
 * A measured current above this is not a measurement but a broken report: no Mode 3 socket can
 * be configured above PLUG_MAX_LIMITS.max, so nothing real can draw more.
 */
export const MEASURED_MAX_A = PLUG_MAX_LIMITS.max;

/** Closed sessions kept by the balancer node (oldest dropped first). */
export const TRANSACTION_HISTORY = 10000;

/** Longest `meter.reason` text accepted, characters (docs/messages.md). */
export const METER_REASON_MAX_LENGTH = 200;

/** Building current samples kept for the average, whatever the window: memory stays flat with a fast meter. */
export const METER_SAMPLES_MAX = 600;

/** A `meter.frequencyHz` above this is not a measurement but a broken report, Hz. */
export const FREQUENCY_MAX_HZ = 100;

/** Frequencies outside this band are treated as "not provided" by the CVM-MINI decoder (register 0x28). */
export const FREQUENCY_PLAUSIBLE_HZ = Object.freeze({ min: 40, max: 70 });

/** Rows of the transactions view when the widget does not say (dlm-ui maxRows default). */
export const TRANSACTION_ROWS_DEFAULT = 50;

/** Time zone offsets remembered by the simulator clock before the memo is cleared (memory stays flat). */
export const ZONE_OFFSETS_CACHED_MAX = 10000;

/** Raw power samples kept for the live power graph (dlm-ui power; memory stays flat). */
export const POWER_LIVE_SAMPLES_MAX = 600;

/** Longest CSV link of the transactions widget, characters. */
export const LINK_MAX_LENGTH = 512;

// ---------------------------------------------------------------------------------------------
// Limits of stored values (lib/core/restore.ts, lib/records/history.ts): untrusted on the way back
// ---------------------------------------------------------------------------------------------

/**
 * Bounds of a stored balancer state, checked before anything else reads it. The state is far
 * shallower than 16 levels but can hold many values (a big car park, 600 meter samples, the
 * recent sessions), so the value count is much higher than a message's.
 */
export const STORED_STATE_LIMITS: UntrustedLimits = Object.freeze({
  maxDepth: 16,
  maxValues: 2_000_000,
  maxStringLength: 10000,
  maxBytes: 0,
});

/** Bounds of a stored transaction history (`TRANSACTION_HISTORY` records of 9 fields). */
export const STORED_HISTORY_LIMITS: UntrustedLimits = Object.freeze({
  maxDepth: 4,
  maxValues: TRANSACTION_HISTORY * 12 + 16,
  maxStringLength: STORED_STATE_LIMITS.maxStringLength,
  maxBytes: 0,
});

/** Bounds of one stored transaction record (a flat object of 9 fields). */
export const STORED_RECORD_LIMITS: UntrustedLimits = Object.freeze({
  maxDepth: 2,
  maxValues: 32,
  maxStringLength: STORED_STATE_LIMITS.maxStringLength,
  maxBytes: 0,
});

/** Bounds of one line of the transaction log (records/history.ts): a record is a few hundred characters. */
export const LOG_RECORD_LIMITS: UntrustedLimits = Object.freeze({ maxDepth: 2, maxValues: 32, maxStringLength: 1000, maxBytes: 0 });

/** Longest line read from the transaction log, characters. */
export const LOG_LINE_MAX_LENGTH = 4096;

/** Longest text field (address, fault, reason, error) of a stored state, characters. */
export const STORED_TEXT_MAX_LENGTH = STORED_STATE_LIMITS.maxStringLength;

/** Most meter samples a stored state may hold (older versions kept more than METER_SAMPLES_MAX). */
export const STORED_SAMPLES_MAX = 10000;

/** Most per-minute peaks a stored state may hold: the longest peak window plus the current minute and one spare. */
export const STORED_PEAKS_MAX = (PARAM_SPECS.find((s) => s.key === 'meterPeakWindowMin')!.max as number) + 2;

/** Largest count (plugs charging, allowed, paused…) a stored state may hold. */
export const STORED_COUNT_MAX = 1e9;

/** Longest unexpected field name quoted in a refusal of a stored state, characters. */
export const FIELD_NAME_SHOWN_MAX_LENGTH = 40;

/** Most recent error texts a stored state may hold. */
export const STORED_ERRORS_MAX = 100;

/** Longest configuration hash of a stored state, characters. */
export const CONFIG_HASH_MAX_LENGTH = 100_000;

// ---------------------------------------------------------------------------------------------
// Simulator limits (lib/sim: ev-sim node, vehicle messages)
// ---------------------------------------------------------------------------------------------

/** Ranges and defaults of the ev-sim node's editor fields. */
export const EV_SIM_LIMITS = Object.freeze({
  reportS: Object.freeze({ min: 1, max: 3600, default: 5 }),
  timeScale: Object.freeze({ min: 0.1, max: 3600, default: 1 }),
  arrivals: Object.freeze({ min: 0, max: 100, default: 0 }),
  /** Share of random arrivals on a three-phase plug whose on-board charger is single-phase, % (R-3PH-3). */
  singlePhasePct: Object.freeze({ min: 0, max: 100, default: 20 }),
});

/** Seed of a new ev-sim node. */
export const EV_SIM_DEFAULT_SEED = 1;

/** Largest ev-sim seed (a 32-bit unsigned integer). */
export const EV_SIM_SEED_MAX = 2 ** 32 - 1;

/** IEC 61851-1: a vehicle has this long to follow a lower pilot limit, s. */
export const MAX_REACTION_DELAY_S = 5;

/** Ranges [min, max] of each field of a simulated vehicle's spec (lib/sim/vehicle.ts VehicleSpec). */
export const VEHICLE_SPEC_LIMITS = Object.freeze({
  capacityKWh: [1, 300],
  socPct: [0, 100],
  targetSocPct: [1, 100],
  obcMaxA: [IEC_MIN_CURRENT_A, PLUG_MAX_LIMITS.max],
  /** Phases of the on-board charger: 1 or 3 (a whole number; validateVehicleSpec refuses 2). */
  obcPhases: [1, 3],
  reactionDelayS: [0.1, MAX_REACTION_DELAY_S],
  taperStartPct: [1, 100],
  restEveryH: [0, 10000],
  restMinS: [1, 86400],
  restMaxS: [1, 86400],
  faultEveryH: [0, 100000],
  faultMinS: [1, 86400],
  faultMaxS: [1, 86400],
} as const);

/**
 * Bounds of the OCPP 1.6J central system (issue 12, docs/ocpp.md): its editor configuration and
 * what it accepts from a charger's configuration and meter values.
 */
export const OCPP_LIMITS = Object.freeze({
  /** Chargers on one ocpp-central node's allow-list. */
  chargersMax: 500,
  /** A charger's basic-auth password (OCPP 1.6 security profile 1: 16–40 characters). */
  passwordMaxLength: 40,
  /** Accepted idTags in the optional list. */
  idTagsMax: 10000,
  /** A measured current above this is a broken reading, A (no socket is configured above PLUG_MAX_LIMITS.max). */
  readingMaxA: PLUG_MAX_LIMITS.max,
  /** Longest number text read from a MeterValues sample or a configuration value. */
  numberTextMaxLength: 32,
  /** Most entries read from a comma-separated configuration list. */
  listEntriesMax: 32,
  /** Connectors a charger may report (NumberOfConnectors). */
  connectorsMax: 16,
  /** Longest ConnectorPhaseRotation text kept. */
  rotationTextMaxLength: 100,
  /** An idTag (OCPP 1.6 IdToken). */
  idTagMaxLength: 20,
  /** Highest TCP port. */
  portMax: 65535,
  /** Longest listen address. */
  hostMaxLength: 255,
});

/** Increases written to a charger at most this often per connector, s (profiles go to flash, issue 12). */
export const OCPP_MIN_WRITE_INTERVAL_S = 10;

// ---------------------------------------------------------------------------------------------
// Boards (R-CIRC-1): the tree of sub-boards deployed in the balancer's editor
// ---------------------------------------------------------------------------------------------

/** Most sub-boards a site may declare, and the deepest tree (the site is depth 0). */
export const BOARD_LIMITS = Object.freeze({
  maxBoards: 200,
  maxDepth: 8,
  limitA: Object.freeze({ min: IEC_MIN_CURRENT_A, max: 6300 }),
  marginPct: Object.freeze({ min: 0, max: 50 }),
  otherLoadA: Object.freeze({ min: 0, max: 6300 }),
});

/** A sub-board's defaults in the editor. */
export const BOARD_DEFAULTS = Object.freeze({ parent: SITE_BOARD, limitA: 63, marginPct: null, hasMeter: false, otherLoadA: 0 });

/** A phase rotation text (R-3PH-1) → the rotation, or null when it does not parse. */
export function parseRotation(v: unknown): Rotation | null {
  if (typeof v !== 'string') return null;
  const t = v.trim().toUpperCase();
  return (ROTATIONS as readonly string[]).includes(t) ? (t as Rotation) : null;
}

/** Below this a charger phase counts as not drawing (R-3PH-3), A. */
export const PHASE_IDLE_A = 2;

/**
 * Validates the deployed board tree (R-CIRC-1, R-ERR-1): each board's fields, unique names, a
 * known parent, no cycle, not deeper than the limit. Returns the errors (empty = valid).
 */
export function validateBoards(boards: unknown): string[] {
  if (!Array.isArray(boards)) return ['boards must be a list'];
  if (boards.length > BOARD_LIMITS.maxBoards) return [`at most ${BOARD_LIMITS.maxBoards} boards`];
  const errors: string[] = [];
  const names = new Map<string, string>();
  boards.forEach((b: unknown, i: number) => {
    const at = `board ${i + 1}`;
    if (b === null || typeof b !== 'object' || Array.isArray(b)) {
      errors.push(`${at} must be an object`);
      return;
    }
    const o = b as Record<string, unknown>;
    const name = typeof o.name === 'string' ? o.name.trim() : '';
    if (!name || name.length > NAME_MAX_LENGTH) errors.push(`${at}: name must be 1..${NAME_MAX_LENGTH} characters`);
    else if (CONTROL_CHARS.test(name)) errors.push(`${at}: name must not contain control characters`);
    else if (name.toLowerCase() === SITE_BOARD) errors.push(`${at}: the name "${SITE_BOARD}" is the site's own board`);
    else if (names.has(name)) errors.push(`board name ${describeValue(name)} is used twice`);
    const num = (k: 'limitA' | 'otherLoadA', lim: { min: number; max: number }) => {
      const v = o[k];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < lim.min || v > lim.max)
        errors.push(`board ${describeValue(name || at)}: ${k} must be a number from ${lim.min} to ${lim.max}`);
    };
    num('limitA', BOARD_LIMITS.limitA);
    num('otherLoadA', BOARD_LIMITS.otherLoadA);
    if (
      o.marginPct !== null &&
      (typeof o.marginPct !== 'number' || !(o.marginPct >= BOARD_LIMITS.marginPct.min && o.marginPct <= BOARD_LIMITS.marginPct.max))
    )
      errors.push(
        `board ${describeValue(name || at)}: marginPct must be null (the site's) or ${BOARD_LIMITS.marginPct.min}..${BOARD_LIMITS.marginPct.max}`,
      );
    if (typeof o.hasMeter !== 'boolean') errors.push(`board ${describeValue(name || at)}: hasMeter must be true or false`);
    if (typeof o.parent !== 'string') errors.push(`board ${describeValue(name || at)}: parent must be "${SITE_BOARD}" or a board's name`);
    if (name) names.set(name, typeof o.parent === 'string' ? o.parent.trim() : '');
  });
  if (errors.length) return errors;
  for (const [name, parent] of names) {
    if (parent !== SITE_BOARD && !names.has(parent))
      errors.push(`board ${describeValue(name)}: parent ${describeValue(parent)} is not a board`);
  }
  if (errors.length) return errors;
  for (const start of names.keys()) {
    let at = start;
    let depth = 1;
    while (names.get(at) !== SITE_BOARD) {
      at = names.get(at)!;
      depth++;
      if (at === start || depth > names.size + 1) {
        errors.push(`boards form a cycle through ${describeValue(start)}`);
        break;
      }
    }
    if (errors.length) break;
    if (depth > BOARD_LIMITS.maxDepth)
      errors.push(`board ${describeValue(start)} is ${depth} levels deep (at most ${BOARD_LIMITS.maxDepth})`);
  }
  return errors;
}

/** Reads boards as an editor stores them (numbers as text, margin "" = the site's) into BoardConfig values, unchanged where unusable. */
export function boardsFromConfig(raw: unknown): { boards: BoardConfig[]; errors: string[] } {
  if (raw === undefined || raw === null || raw === '') return { boards: [], errors: [] };
  let list: unknown = raw;
  if (typeof raw === 'string') {
    try {
      list = JSON.parse(raw);
    } catch {
      return { boards: [], errors: ['boards must be a JSON list'] };
    }
  }
  if (!Array.isArray(list)) return { boards: [], errors: ['boards must be a list'] };
  const num = (v: unknown) => (typeof v === 'string' ? (v.trim() === '' ? NaN : Number(v)) : v);
  const boards = list.map((b: unknown) => {
    const o = (b && typeof b === 'object' ? b : {}) as Record<string, unknown>;
    return {
      name: typeof o.name === 'string' ? o.name.trim() : o.name,
      parent: o.parent === undefined || o.parent === '' ? SITE_BOARD : typeof o.parent === 'string' ? o.parent.trim() : o.parent,
      limitA: num(o.limitA),
      marginPct: o.marginPct === undefined || o.marginPct === '' || o.marginPct === null ? null : num(o.marginPct),
      hasMeter: o.hasMeter === 'true' ? true : o.hasMeter === 'false' || o.hasMeter === undefined ? false : o.hasMeter,
      otherLoadA: o.otherLoadA === undefined || o.otherLoadA === '' ? BOARD_DEFAULTS.otherLoadA : num(o.otherLoadA),
    } as BoardConfig;
  });
  const errors = validateBoards(boards);
  return errors.length ? { boards: [], errors } : { boards, errors };
}
