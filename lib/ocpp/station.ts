/**
 * What the central system knows about one charger (identity), and the pure rules on it: the
 * device report it turns into (docs/messages.md `device`), the "does not follow limits" check,
 * stale readings. The node (nodes/ocpp-central) keeps one per allow-listed identity across
 * reconnects, does the I/O and calls these. Pure: time is an argument.
 */
import { IEC_MIN_CURRENT_A, MEASURED_MAX_A } from '../shared/params';
import type { DevicePlugReport, DeviceReport, OfflineConfig, Triple } from '../shared/types';
import type { BootNotificationReq, ChargePointErrorCode, ChargePointStatus } from './messages';
import { connectorLetter, statusToPilot, type ChargerCapability } from './mapping';
import type { WrittenProfile } from './profiles';

export interface ConnectorState {
  status: ChargePointStatus;
  errorCode: ChargePointErrorCode;
  /** Measured current, A. */
  currentA: number;
  /**
   * Measured current per charger phase 1, 2, 3, A (R-3PH-3): OCPP's phases L1/L2/L3 are the charger's
   * own, not the supply lines (its ConnectorPhaseRotation maps them). null = not reported per phase.
   */
  phaseCurrentsA?: Triple | null;
  /** Energy register, Wh (null until read). */
  registerWh: number | null;
  /** Register at the transaction start, Wh. */
  meterStartWh: number | null;
  transactionId: number | null;
  /** When the newest meter reading arrived (our clock), ms. */
  lastMeterAt: number | null;
  /** Desired setpoint from the charge point's last command, A (null = none yet). */
  setpointA: number | null;
  /** The TxProfile last written on this connection, null = none (reconnect → all re-sent). */
  written: WrittenProfile | null;
  /** Since when the draw has been above the limit in force, ms (null = it is not). */
  overSince: number | null;
  /** Profiles refused / composite schedules above the limit in a row for this transaction. */
  strikes: number;
  /** No new write before this time after a strike, ms. */
  retryAt: number;
}

/** Strikes (refused profile, composite schedule above the limit) before a charger is flagged. */
export const MAX_STRIKES = 3;
/** Wait after a strike before writing again, ms: a transaction that just ended is reported meanwhile. */
export const STRIKE_RETRY_MS = 5000;

/**
 * A profile was refused or the charger's composite schedule allows more than we set. That is
 * often a race (the car left; StopTransaction is on its way), so it counts as a strike and the
 * write is retried after STRIKE_RETRY_MS; MAX_STRIKES in a row for the same transaction flag the
 * charger. Returns whether it is now to be flagged.
 */
export function strike(c: ConnectorState, now: number): boolean {
  c.strikes += 1;
  c.retryAt = now + STRIKE_RETRY_MS;
  c.written = null;
  return c.strikes >= MAX_STRIKES;
}

export interface StationState {
  identity: string;
  connected: boolean;
  boot: Pick<BootNotificationReq, 'chargePointVendor' | 'chargePointModel' | 'firmwareVersion'> | null;
  capability: ChargerCapability | null;
  connectors: ConnectorState[];
  /** The charge point's offline configuration (from its commands), null until the first. */
  offline: OfflineConfig | null;
  /** The charger was seen drawing above its limit beyond the reaction delay, or cannot take profiles. */
  disobedient: boolean;
  /** Why (bounded text), for the node status and the `ocpp` events. */
  disobedientWhy: string | null;
}

export function newConnector(): ConnectorState {
  return {
    status: 'Available',
    errorCode: 'NoError',
    currentA: 0,
    registerWh: null,
    meterStartWh: null,
    transactionId: null,
    lastMeterAt: null,
    setpointA: null,
    written: null,
    overSince: null,
    strikes: 0,
    retryAt: 0,
  };
}

export function newStation(identity: string): StationState {
  return {
    identity,
    connected: false,
    boot: null,
    capability: null,
    connectors: [newConnector(), newConnector()],
    offline: null,
    disobedient: false,
    disobedientWhy: null,
  };
}

/** The charger can be load-managed: SmartCharging with limits in A (else counted at its maximum). */
export function smartChargeable(s: StationState): boolean {
  return !!s.capability && s.capability.smartCharging && s.capability.currentUnit;
}

/**
 * The generic device report of the station: one entry per plug (connectors 1–2), pilot from the
 * status, measured current, session energy; `followsLimits: false` when the charger is flagged.
 */
export function deviceReport(s: StationState, plugs: 1 | 2): DeviceReport {
  const out: DevicePlugReport[] = [];
  for (let i = 0; i < plugs; i++) {
    const c = s.connectors[i];
    const letter = connectorLetter(i + 1)!;
    const { pilot, fault } = statusToPilot(c.status, c.errorCode);
    const energy =
      c.transactionId !== null && c.registerWh !== null && c.meterStartWh !== null ? Math.max(0, c.registerWh - c.meterStartWh) : 0;
    const p: DevicePlugReport & { followsLimits?: boolean } = {
      letter,
      pilot,
      currentA: pilot === 'A' ? 0 : Math.round(c.currentA * 10) / 10,
      energyWh: Math.round(energy),
    };
    if (pilot !== 'A' && c.phaseCurrentsA) {
      const per = c.phaseCurrentsA.map((a) => Math.min(MEASURED_MAX_A, Math.round(a * 10) / 10)) as Triple;
      p.phaseCurrentsA = per;
      p.currentA = Math.max(p.currentA ?? 0, ...per); // currentA is their highest (docs/messages.md)
    }
    if (fault) p.fault = fault;
    if (s.disobedient || (s.capability !== null && !smartChargeable(s))) p.followsLimits = false;
    out.push(p);
  }
  const report: DeviceReport = { plugs: out };
  if (s.capability?.connectors) report.devicePlugs = s.capability.connectors;
  return report;
}

/** Tolerance above the limit before a draw counts as "over", A (meter accuracy, rounding). */
export function overToleranceA(limitA: number): number {
  return Math.max(1, limitA * 0.1);
}

/**
 * The "does not follow limits" check of one connector: the draw has stayed above the limit in
 * force (the last written setpoint) for longer than `graceMs` (the vehicle reaction delay plus
 * two meter intervals). Returns the new `overSince` and whether the charger is now disobedient.
 */
export function checkObedience(c: ConnectorState, now: number, graceMs: number): { overSince: number | null; disobedient: boolean } {
  if (!c.written || c.transactionId === null || c.lastMeterAt === null) return { overSince: null, disobedient: false };
  const limit = c.written.limitA;
  // Only a reading taken after the profile was written says anything about obedience.
  if (c.lastMeterAt < c.written.at) return { overSince: c.overSince, disobedient: false };
  if (c.currentA <= limit + overToleranceA(limit)) return { overSince: null, disobedient: false };
  const since = c.overSince ?? c.lastMeterAt;
  return { overSince: since, disobedient: now - Math.max(since, c.written.at) >= graceMs };
}

/** A charging connector's readings are stale: no meter value for this long → TriggerMessage(MeterValues). */
export function meterStale(c: ConnectorState, now: number, sampleS: number): boolean {
  if (c.transactionId === null || c.status !== 'Charging') return false;
  return c.lastMeterAt === null || now - c.lastMeterAt > 3 * sampleS * 1000;
}

/** A charger clock further off than this is reported, s (beyond the profiles' 5 s start allowance, with room for latency). */
export const CLOCK_SKEW_WARN_S = 10;

/**
 * How far the charger's clock is ahead of ours (negative: behind), s, from a timestamp it has just
 * sent (StatusNotification); null when the text is not a time.
 */
export function clockSkewS(chargerTime: string | undefined, now: number): number | null {
  const t = typeof chargerTime === 'string' ? Date.parse(chargerTime) : NaN;
  return Number.isFinite(t) ? Math.round((t - now) / 100) / 10 : null;
}

/** The limit a connector should carry now: its setpoint; 0 before the first command (paused: safe). */
export function wantedA(c: ConnectorState): number {
  const a = c.setpointA ?? 0;
  return a > 0 && a < IEC_MIN_CURRENT_A ? 0 : a;
}
