/**
 * OCPP 1.6 events → the generic device interface (docs/messages.md `device`), and the charger's
 * configuration → what the central system needs (issue 12, the mapping table of docs/ocpp.md).
 * Everything here reads charger data that ocpp-rpc has already checked against the 1.6 schema;
 * it is still untrusted (values are text, numbers can be absurd), so each reading is bounded.
 * Pure: no I/O, no clock.
 */
import type { PilotState, PlugLetter } from '../shared/types';
import type { ChargePointStatus, ChargePointErrorCode, KeyValue, MeterValue } from './messages';
import { OCPP_LIMITS } from '../shared/params';

/** Connector 1 = plug A, 2 = plug B (a charge point here has at most two plugs, R-CP-1). */
export function connectorLetter(connectorId: number): PlugLetter | null {
  return connectorId === 1 ? 'A' : connectorId === 2 ? 'B' : null;
}
export function letterConnector(letter: PlugLetter): number {
  return letter === 'A' ? 1 : 2;
}

/**
 * StatusNotification → IEC 61851-1 pilot state and fault text: Available/Unavailable/Reserved → A
 * (no vehicle); Preparing, SuspendedEV, SuspendedEVSE, Finishing → B (vehicle connected, not
 * drawing); Charging → C; Faulted → F with the error code as the fault text.
 */
export function statusToPilot(status: ChargePointStatus, errorCode: ChargePointErrorCode): { pilot: PilotState; fault?: string } {
  switch (status) {
    case 'Charging':
      return { pilot: 'C' };
    case 'Preparing':
    case 'SuspendedEV':
    case 'SuspendedEVSE':
    case 'Finishing':
      return { pilot: 'B' };
    case 'Faulted':
      return { pilot: 'F', fault: `OCPP ${errorCode === 'NoError' ? 'Faulted' : errorCode}` };
    default:
      return { pilot: 'A' };
  }
}

/** Largest current a reading may carry before it is treated as broken, A (the largest plug maximum). */
export const MAX_READING_A = OCPP_LIMITS.readingMaxA;
/** Largest energy register accepted, Wh (10 GWh: far beyond any charger's life). */
export const MAX_REGISTER_WH = 1e10;

/** What a MeterValues message says about a connector. */
export interface MeterReading {
  /** Largest phase current, A (a plug is on one phase; a three-phase charger's worst phase). */
  currentA?: number;
  /** Current per phase, A, when the charger names phases. */
  phasesA?: Partial<Record<'L1' | 'L2' | 'L3', number>>;
  /** Energy register, Wh. */
  registerWh?: number;
  /** Timestamp of the newest sample, ms epoch (NaN when unreadable). */
  at: number;
}

/** Reads a decimal text; null unless a finite number in [0, max]. */
function reading(text: string, max: number): number | null {
  if (
    typeof text !== 'string' ||
    text.length > OCPP_LIMITS.numberTextMaxLength ||
    !/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(text)
  )
    return null;
  const v = Number(text);
  return Number.isFinite(v) && v >= 0 && v <= max ? v : null;
}

/**
 * The per-phase currents of a reading in charger phase order [L1, L2, L3] (R-3PH-3), when it names all
 * three phases; null otherwise (a total, or only some phases: not enough to tell which lines draw).
 */
export function phaseCurrentsOf(r: MeterReading): [number, number, number] | null {
  const p = r.phasesA;
  if (!p || p.L1 === undefined || p.L2 === undefined || p.L3 === undefined) return null;
  return [Math.min(p.L1, MAX_READING_A), Math.min(p.L2, MAX_READING_A), Math.min(p.L3, MAX_READING_A)];
}

/**
 * The newest MeterValue's Current.Import (per phase or total) and Energy.Active.Import.Register
 * (Wh or kWh). Readings that are not numbers, negative or out of range are left out; samples
 * with another measurand, location or unit are ignored.
 */
export function readMeterValues(values: readonly MeterValue[]): MeterReading {
  const out: MeterReading = { at: NaN };
  let newest = -Infinity;
  let mv: MeterValue | null = null;
  for (const v of values) {
    const t = Date.parse(v.timestamp);
    if (!mv || t >= newest) {
      mv = v;
      newest = t;
    }
  }
  if (!mv) return out;
  out.at = Date.parse(mv.timestamp);
  let maxA: number | null = null;
  for (const s of mv.sampledValue) {
    const measurand = s.measurand ?? 'Energy.Active.Import.Register';
    if (s.location !== undefined && s.location !== 'Outlet' && s.location !== 'Cable') continue;
    if (measurand === 'Current.Import' && (s.unit === undefined || s.unit === 'A')) {
      const a = reading(s.value, MAX_READING_A * 1.5);
      if (a === null) continue;
      const ph =
        s.phase === 'L1' || s.phase === 'L1-N'
          ? 'L1'
          : s.phase === 'L2' || s.phase === 'L2-N'
            ? 'L2'
            : s.phase === 'L3' || s.phase === 'L3-N'
              ? 'L3'
              : s.phase === undefined
                ? null
                : undefined;
      if (ph === undefined) continue; // neutral or line-to-line: not a phase current of the plug
      if (ph) (out.phasesA ||= {})[ph] = a;
      maxA = Math.max(maxA ?? 0, a);
    } else if (measurand === 'Energy.Active.Import.Register' && s.phase === undefined) {
      const unit = s.unit ?? 'Wh';
      if (unit !== 'Wh' && unit !== 'kWh') continue;
      const v = reading(s.value, unit === 'Wh' ? MAX_REGISTER_WH : MAX_REGISTER_WH / 1000);
      if (v !== null) out.registerWh = unit === 'kWh' ? v * 1000 : v;
    }
  }
  if (maxA !== null) out.currentA = Math.min(maxA, MAX_READING_A);
  return out;
}

/** The configuration keys read at boot. */
export const CONFIG_KEYS = Object.freeze([
  'NumberOfConnectors',
  'SupportedFeatureProfiles',
  'ChargingScheduleAllowedChargingRateUnit',
  'ConnectorPhaseRotation',
  'MeterValuesSampledData',
  'ChargeProfileMaxStackLevel',
]);

/** What GetConfiguration tells the central system. */
export interface ChargerCapability {
  /** 1..16, null when not reported or not a number. */
  connectors: number | null;
  /** SupportedFeatureProfiles contains SmartCharging. */
  smartCharging: boolean;
  /** ChargingScheduleAllowedChargingRateUnit allows A (Current). */
  currentUnit: boolean;
  /** ConnectorPhaseRotation as reported (informational, bounded). */
  phaseRotation: string | null;
  /** Largest stack level the charger accepts, null = not reported. */
  maxStackLevel: number | null;
}

function listOf(v: string | undefined): string[] {
  return typeof v === 'string'
    ? v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
        .slice(0, OCPP_LIMITS.listEntriesMax)
    : [];
}

/** Reads the GetConfiguration answer. A charger that cannot take profiles in A is not smart-chargeable here. */
export function readCapability(keys: readonly KeyValue[] | undefined): ChargerCapability {
  const get = (k: string) => (keys || []).find((kv) => kv.key === k)?.value;
  const n = Number(get('NumberOfConnectors'));
  const stack = Number(get('ChargeProfileMaxStackLevel'));
  const units = listOf(get('ChargingScheduleAllowedChargingRateUnit'));
  const rot = get('ConnectorPhaseRotation');
  return {
    connectors: Number.isInteger(n) && n >= 1 && n <= OCPP_LIMITS.connectorsMax ? n : null,
    smartCharging: listOf(get('SupportedFeatureProfiles')).includes('SmartCharging'),
    currentUnit: units.length === 0 || units.includes('Current'),
    phaseRotation: typeof rot === 'string' ? rot.slice(0, OCPP_LIMITS.rotationTextMaxLength) : null,
    maxStackLevel: Number.isInteger(stack) && stack >= 0 ? stack : null,
  };
}

/**
 * MeterValuesSampledData values to try, in order: the full list first; a charger that rejects it
 * gets the essential measurand alone (the current the balancer needs), then the energy alone.
 */
export const MEASURAND_PLAN = Object.freeze(['Current.Import,Energy.Active.Import.Register', 'Current.Import']);

/** ChangeConfiguration values at boot, for a charge point with heartbeat `heartbeatS`. */
export function bootConfiguration(heartbeatS: number): { key: string; value: string }[] {
  // Reports must reach the charge-point node well within its heartbeat watchdog (R-OFF-3).
  const every = Math.max(1, Math.floor(heartbeatS / 3));
  return [
    { key: 'HeartbeatInterval', value: String(every) },
    { key: 'MeterValueSampleInterval', value: String(Math.min(every, 10)) },
  ];
}
