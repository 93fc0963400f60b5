/**
 * Setpoints → OCPP 1.6 charging profiles, and the offline modes 0–3 as fallback profiles
 * installed in advance (issue 12; R-OFF-1/2). Design and reasoning in docs/ocpp.md
 * ("Fallback design"); in short:
 *
 * OCPP 1.6 has no "if you lose the central system, do X": §3.13.6 says a charge point that goes
 * offline keeps using the profiles it has (the TxProfile for a running transaction, else
 * TxDefaultProfile / ChargePointMaxProfile). So the offline mode is written into time:
 *
 * - TxDefaultProfile, connector 0, stack level 0, Relative to the transaction start, no duration:
 *   the limit of a NEW transaction until we send its TxProfile: 0 A (modes 0–2), or 0 A for the
 *   first heartbeat interval and then the offline current (mode 3). Online, our TxProfile follows
 *   the StartTransaction within a second, so a new car never draws before the balancer allows it;
 *   offline nobody sends one, and the car starts after one heartbeat interval, as mode 3 says.
 *   Written once per boot / configuration change.
 * - TxProfile per connector, stack level 1, Absolute from "now − skew", periods
 *   [setpoint from 0 s, fallback from skew + heartbeat]: online we refresh it every half
 *   heartbeat; if we stop, the charger drops to the fallback one heartbeat interval after the
 *   last refresh — the same instant the balancer's reservation for an OFFLINE charge point assumes
 *   (lib/reserve.ts). A fallback that goes UP (mode 3, paused → offline current) starts half a
 *   heartbeat (+ slack) later, so it never comes before the charge point is declared OFFLINE. The fallback: mode 0 → 0; mode 1 → no second period (keeps the setpoint);
 *   mode 2 → min(setpoint, offline current), 0 when paused; mode 3 → min(setpoint, offline
 *   current), the offline current when paused. When the fallback equals the setpoint the profile
 *   has one period and needs no refresh at all.
 * Pure: time is an argument.
 */
import { IEC_MIN_CURRENT_A, OCPP_MIN_WRITE_INTERVAL_S } from '../shared/params';
import type { OfflineConfig } from '../shared/types';
import type { ChargingProfile, ChargingSchedulePeriod } from './messages';

/** Profile ids and stack levels the central system owns on a charger (docs/ocpp.md). */
export const PROFILE = Object.freeze({
  txDefaultId: 1,
  txDefaultStack: 0,
  /** TxProfile id = txIdBase + connector. */
  txIdBase: 100,
  txStack: 1,
});

/** Tunables of the profile writer, one source of truth (docs/ocpp.md quotes them). */
export const OCPP_DEFAULTS = Object.freeze({
  /** startSchedule is set this far in the past, s: a charger clock a little behind still applies the profile at once. */
  skewS: 5,
  /** An increase smaller than this is not written, A (decreases always are). */
  deadbandA: 1,
  /** Increases are written at most this often per connector, s (decreases at once). */
  minIntervalS: OCPP_MIN_WRITE_INTERVAL_S,
  /** A live profile with a fallback period is re-written after this fraction of the heartbeat. */
  refreshFraction: 0.5,
  /** Slack for the reconcile tick and call latency between a due refresh and its write, s. */
  linkSlackS: 5,
});

/** ISO text of an ms epoch. */
export const isoTime = (ms: number): string => new Date(ms).toISOString();

/**
 * A limit the 1.6 schema accepts: the schema demands `multipleOf 0.1`, which ocpp-rpc's strict
 * validator checks in floating point (6.3 / 0.1 = 62.999… is refused), so the value is rounded
 * DOWN to the nearest tenth that passes (6.3 → 6.2: the safe side); whole amps when asked.
 */
export function ocppLimit(a: number, wholeAmps: boolean): number {
  if (!(a > 0)) return 0;
  if (wholeAmps) return Math.floor(a + 1e-9);
  for (let k = Math.floor(a * 10 + 1e-6); k >= 0; k--) {
    const v = k / 10;
    const d = v / 0.1;
    if (d === Math.trunc(d) && v <= a + 1e-9) return v;
  }
  return 0;
}

/**
 * A setpoint as a charger limit: 0 stays 0 (pause); otherwise at least the IEC minimum 6 A, so a
 * charger is never given 0 < limit < 6 A (many treat that as "charge at 6" or as an error).
 */
export function setpointLimit(setpointA: number, wholeAmps: boolean): number {
  if (!(setpointA > 0)) return 0;
  return Math.max(IEC_MIN_CURRENT_A, ocppLimit(setpointA, wholeAmps));
}

/**
 * What a running transaction gets once the charger has lost us, per offline mode (R-OFF-1):
 * null = keeps its setpoint (mode 1 with the setpoint in force).
 */
export function fallbackLimit(offline: OfflineConfig, setpointA: number, wholeAmps: boolean): number | null {
  const off = ocppLimit(offline.currentA, wholeAmps);
  switch (offline.mode) {
    case 0:
      return 0;
    case 1:
      return null;
    case 2:
      return setpointA > 0 ? Math.min(setpointA, off) : 0;
    default:
      return setpointA > 0 ? Math.min(setpointA, off) : off;
  }
}

/** The TxDefaultProfile of an offline configuration (connector 0). */
export function txDefaultProfile(offline: OfflineConfig, wholeAmps: boolean): ChargingProfile {
  const periods: ChargingSchedulePeriod[] = [{ startPeriod: 0, limit: 0 }];
  if (offline.mode === 3) periods.push({ startPeriod: Math.round(offline.heartbeatS), limit: ocppLimit(offline.currentA, wholeAmps) });
  return {
    chargingProfileId: PROFILE.txDefaultId,
    stackLevel: PROFILE.txDefaultStack,
    chargingProfilePurpose: 'TxDefaultProfile',
    chargingProfileKind: 'Relative',
    chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: periods },
  };
}

/** The live TxProfile for one connector's transaction, written at `now`. */
export function txProfile(
  connectorId: number,
  transactionId: number,
  setpointA: number,
  offline: OfflineConfig,
  now: number,
  wholeAmps: boolean,
  skewS: number = OCPP_DEFAULTS.skewS,
): ChargingProfile {
  const limit = setpointLimit(setpointA, wholeAmps);
  const fb = fallbackLimit(offline, limit, wholeAmps);
  const periods: ChargingSchedulePeriod[] = [{ startPeriod: 0, limit }];
  if (fb !== null && fb !== limit) {
    // Going DOWN at the fallback: one heartbeat after this write, as the balancer's reservation for
    // an OFFLINE charge point assumes (lib/reserve.ts). Going UP (mode 3, a paused transaction
    // starts at the offline current): not before the charge-point node can have declared the
    // charger OFFLINE — one heartbeat after its last report, which may come up to one refresh
    // interval after this write — so the balancer already reserves that current (R-OFF-3).
    const lateS = fb > limit ? offline.heartbeatS * OCPP_DEFAULTS.refreshFraction + OCPP_DEFAULTS.linkSlackS : 0;
    periods.push({ startPeriod: Math.round(skewS + offline.heartbeatS + lateS), limit: fb });
  }
  return {
    chargingProfileId: PROFILE.txIdBase + connectorId,
    transactionId,
    stackLevel: PROFILE.txStack,
    chargingProfilePurpose: 'TxProfile',
    chargingProfileKind: 'Absolute',
    chargingSchedule: { startSchedule: isoTime(now - skewS * 1000), chargingRateUnit: 'A', chargingSchedulePeriod: periods },
  };
}

/** When the fallback period of a written TxProfile starts, ms epoch; null = it has none. */
export function fallbackStartsAt(p: ChargingProfile): number | null {
  const periods = p.chargingSchedule.chargingSchedulePeriod;
  if (periods.length < 2) return null;
  return Date.parse(p.chargingSchedule.startSchedule as string) + periods[1].startPeriod * 1000;
}

/** What was last written on a connector. */
export interface WrittenProfile {
  /** The setpoint it carries, A (after setpointLimit). */
  limitA: number;
  /** When it was written, ms epoch. */
  at: number;
  /** When its fallback period starts, ms epoch; null = none. */
  fallbackAt: number | null;
  transactionId: number;
}

export interface WriteRules {
  deadbandA: number;
  minIntervalS: number;
  refreshFraction: number;
  linkSlackS: number;
}

/**
 * Whether a new TxProfile must be written now, and why ("new" transaction, "decrease" — always at
 * once, the safety side —, "increase" beyond the deadband once the minimum interval has passed,
 * "refresh" before the fallback period would start), or null to write nothing.
 */
export function writeReason(
  last: WrittenProfile | null,
  transactionId: number,
  limitA: number,
  heartbeatS: number,
  now: number,
  rules: WriteRules = OCPP_DEFAULTS,
): 'new' | 'decrease' | 'increase' | 'refresh' | null {
  if (!last || last.transactionId !== transactionId) return 'new';
  if (limitA < last.limitA) return 'decrease';
  if (limitA > last.limitA) {
    const step = limitA - last.limitA;
    // A pause ends at once: the balancer already held it for its minimum pause time (R-ALLOC-8).
    if (last.limitA === 0) return 'increase';
    if (step >= rules.deadbandA && now - last.at >= rules.minIntervalS * 1000) return 'increase';
  }
  if (last.fallbackAt !== null && now - last.at >= heartbeatS * 1000 * rules.refreshFraction) return 'refresh';
  return null;
}

/**
 * Profile writes per connector per hour while a car charges with a setpoint above what the
 * offline mode allows (the worst case: each refresh is a flash write), excluding setpoint changes.
 */
export function refreshWritesPerHour(heartbeatS: number, rules: WriteRules = OCPP_DEFAULTS): number {
  return 3600 / (heartbeatS * rules.refreshFraction);
}
