/**
 * Charging-profile store and composite-schedule maths of an OCPP 1.6 charge point (§3.13), our own
 * code: the strict test charger runs on it, and the central system uses it to predict what a
 * charger does with the profiles it was sent (also after losing us, §3.13.6).
 *
 * Rules implemented (OCPP 1.6 edition 2, §3.13 and SetChargingProfile §5.16):
 * - Purposes: ChargePointMaxProfile (connector 0 only) caps the charge point; TxDefaultProfile on
 *   connector 0 applies to every connector, one on a connector overrides it there; TxProfile
 *   (connector > 0, only during a transaction) overrides TxDefaultProfile for that transaction and
 *   is deleted when the transaction ends.
 * - Stacking: of the profiles of one purpose, the one with the highest stackLevel that has a limit
 *   at the moment wins; a profile outside its validity (validFrom/validTo), before its schedule's
 *   start or after its duration gives no limit there, and the next lower stack level applies.
 * - Replacement: a new profile replaces an installed one with the same chargingProfileId, or with
 *   the same connector, purpose and stackLevel.
 * - Composite limit on a connector = min(ChargePointMax, TxProfile if any applies else TxDefault);
 *   no applicable profile = no limit (null: the charger's own maximum).
 * - §3.13.6 offline: a charge point that loses the central system keeps using the profiles it
 *   has: so whatever it does offline must be installed in advance (lib/ocpp/profiles.ts).
 * Pure: time (`now`, ms epoch) is an argument.
 */
import type { ChargingProfile, ChargingSchedulePeriod } from './messages';

/** A profile as installed on a connector (0 = the whole charge point). */
export interface InstalledProfile {
  connectorId: number;
  profile: ChargingProfile;
}

/** The transaction running on a connector, as the charge point knows it. */
export interface ConnectorTransaction {
  transactionId: number;
  /** ms epoch. */
  startedAt: number;
}

const DAY_S = 86400;

/** Parses an OCPP date-time; NaN when absent or not a date. */
export function parseTime(text: string | undefined): number {
  return text === undefined ? NaN : Date.parse(text);
}

/**
 * The limit one profile gives at `now` (in its unit), or null when it gives none then (outside its
 * validity, before its start, after its duration, or a Relative profile outside a transaction
 * when `relativeStart` is null).
 */
export function profileLimitAt(p: ChargingProfile, now: number, relativeStart: number | null): number | null {
  const from = parseTime(p.validFrom);
  const to = parseTime(p.validTo);
  if (!Number.isNaN(from) && now < from) return null;
  if (!Number.isNaN(to) && now >= to) return null;
  const s = p.chargingSchedule;
  let start: number;
  if (p.chargingProfileKind === 'Relative') {
    if (relativeStart === null) return null;
    start = relativeStart;
  } else {
    start = parseTime(s.startSchedule);
    if (Number.isNaN(start)) return null;
    if (p.chargingProfileKind === 'Recurring') {
      const periodMs = (p.recurrencyKind === 'Weekly' ? 7 : 1) * DAY_S * 1000;
      if (now >= start) start += Math.floor((now - start) / periodMs) * periodMs;
    }
  }
  const elapsedS = (now - start) / 1000;
  if (elapsedS < 0) return null;
  if (s.duration !== undefined && elapsedS >= s.duration) return null;
  let limit: number | null = null;
  let best = -Infinity;
  for (const period of s.chargingSchedulePeriod) {
    if (period.startPeriod <= elapsedS && period.startPeriod > best) {
      best = period.startPeriod;
      limit = period.limit;
    }
  }
  return limit;
}

/** The limit of the highest stack level that has one at `now`, or null. */
function stackedLimit(list: InstalledProfile[], now: number, relativeStart: number | null): number | null {
  const sorted = [...list].sort((a, b) => b.profile.stackLevel - a.profile.stackLevel);
  for (const ip of sorted) {
    const l = profileLimitAt(ip.profile, now, relativeStart);
    if (l !== null) return l;
  }
  return null;
}

/**
 * The composite limit on `connectorId` at `now` (§3.13): min(ChargePointMax, Tx over TxDefault),
 * or null when no profile limits it. `tx` is the connector's running transaction (null = none).
 */
export function compositeLimitAt(
  profiles: readonly InstalledProfile[],
  connectorId: number,
  now: number,
  tx: ConnectorTransaction | null,
): number | null {
  const of = (purpose: string, connector: number) =>
    profiles.filter((ip) => ip.connectorId === connector && ip.profile.chargingProfilePurpose === purpose);
  const relStart = tx ? tx.startedAt : null;
  let txLimit: number | null = null;
  if (tx) {
    const own = of('TxProfile', connectorId).filter(
      (ip) => ip.profile.transactionId === undefined || ip.profile.transactionId === tx.transactionId,
    );
    txLimit = stackedLimit(own, now, relStart);
  }
  if (txLimit === null) txLimit = stackedLimit(of('TxDefaultProfile', connectorId), now, relStart);
  if (txLimit === null) txLimit = stackedLimit(of('TxDefaultProfile', 0), now, relStart);
  const cpMax = stackedLimit(of('ChargePointMaxProfile', 0), now, relStart);
  if (txLimit === null) return cpMax;
  if (cpMax === null) return txLimit;
  return Math.min(txLimit, cpMax);
}

/** Result of installing a profile. */
export interface InstallResult {
  status: 'Accepted' | 'Rejected';
  profiles: InstalledProfile[];
  /** Why it was rejected (for logs and tests). */
  reason?: string;
}

/**
 * Installs `profile` on `connectorId` (SetChargingProfile). Rejected: a ChargePointMaxProfile not
 * on connector 0, a TxProfile on connector 0 or without a transaction on the connector (or for
 * another transaction), an empty schedule or one whose first period does not start at 0, periods
 * not strictly increasing, a negative limit, a connector the charge point does not have.
 */
export function installProfile(
  profiles: readonly InstalledProfile[],
  connectorId: number,
  profile: ChargingProfile,
  connectors: number,
  tx: ConnectorTransaction | null,
): InstallResult {
  const reject = (reason: string): InstallResult => ({ status: 'Rejected', profiles: [...profiles], reason });
  if (!Number.isInteger(connectorId) || connectorId < 0 || connectorId > connectors) return reject('unknown connector');
  const purpose = profile.chargingProfilePurpose;
  if (purpose === 'ChargePointMaxProfile' && connectorId !== 0) return reject('ChargePointMaxProfile must be on connector 0');
  if (purpose === 'TxProfile') {
    if (connectorId === 0) return reject('TxProfile needs a connector');
    if (!tx) return reject('TxProfile without a transaction');
    if (profile.transactionId !== undefined && profile.transactionId !== tx.transactionId)
      return reject('TxProfile for another transaction');
  }
  const periods: ChargingSchedulePeriod[] = profile.chargingSchedule.chargingSchedulePeriod;
  if (!periods.length || periods[0].startPeriod !== 0) return reject('the first period must start at 0');
  for (let i = 1; i < periods.length; i++) {
    if (!(periods[i].startPeriod > periods[i - 1].startPeriod)) return reject('periods must start in increasing order');
  }
  if (periods.some((p) => !(p.limit >= 0))) return reject('negative limit');
  if (profile.chargingProfileKind !== 'Relative' && Number.isNaN(parseTime(profile.chargingSchedule.startSchedule))) {
    return reject('Absolute and Recurring profiles need startSchedule');
  }
  const kept = profiles.filter(
    (ip) =>
      !(
        ip.profile.chargingProfileId === profile.chargingProfileId ||
        (ip.connectorId === connectorId && ip.profile.chargingProfilePurpose === purpose && ip.profile.stackLevel === profile.stackLevel)
      ),
  );
  return { status: 'Accepted', profiles: [...kept, { connectorId, profile: structuredClone(profile) }] };
}

/** Criteria of ClearChargingProfile; every given one must match. */
export interface ClearCriteria {
  id?: number;
  connectorId?: number;
  chargingProfilePurpose?: string;
  stackLevel?: number;
}

/** Removes the matching profiles (ClearChargingProfile); `cleared` false = none matched ("Unknown"). */
export function clearProfiles(profiles: readonly InstalledProfile[], c: ClearCriteria): { profiles: InstalledProfile[]; cleared: boolean } {
  const match = (ip: InstalledProfile) =>
    (c.id === undefined || ip.profile.chargingProfileId === c.id) &&
    (c.connectorId === undefined || ip.connectorId === c.connectorId) &&
    (c.chargingProfilePurpose === undefined || ip.profile.chargingProfilePurpose === c.chargingProfilePurpose) &&
    (c.stackLevel === undefined || ip.profile.stackLevel === c.stackLevel);
  const kept = profiles.filter((ip) => !match(ip));
  return { profiles: kept, cleared: kept.length !== profiles.length };
}

/** The transaction on `connectorId` ended: its TxProfiles are deleted (§3.13.1). */
export function endTransaction(profiles: readonly InstalledProfile[], connectorId: number): InstalledProfile[] {
  return profiles.filter((ip) => !(ip.connectorId === connectorId && ip.profile.chargingProfilePurpose === 'TxProfile'));
}

/**
 * The composite schedule of a connector from `start` for `durationS` (GetCompositeSchedule):
 * periods where the limit changes, sampled at every boundary any profile can have (starts,
 * period starts, ends, validity edges). A stretch without any limit gets `noLimit` (the charger's
 * maximum), as the schema requires a number.
 */
export function compositeSchedule(
  profiles: readonly InstalledProfile[],
  connectorId: number,
  start: number,
  durationS: number,
  tx: ConnectorTransaction | null,
  noLimit: number,
): ChargingSchedulePeriod[] {
  const end = start + durationS * 1000;
  const edges = new Set<number>([start]);
  const add = (t: number) => {
    if (t > start && t < end) edges.add(t);
  };
  for (const ip of profiles) {
    const p = ip.profile;
    add(parseTime(p.validFrom));
    add(parseTime(p.validTo));
    let base: number;
    if (p.chargingProfileKind === 'Relative') {
      if (!tx) continue;
      base = tx.startedAt;
    } else base = parseTime(p.chargingSchedule.startSchedule);
    if (Number.isNaN(base)) continue;
    const reps = p.chargingProfileKind === 'Recurring' ? Math.ceil(durationS / DAY_S) + 8 : 1;
    const stepMs = (p.recurrencyKind === 'Weekly' ? 7 : 1) * DAY_S * 1000;
    const first = p.chargingProfileKind === 'Recurring' && start > base ? base + Math.floor((start - base) / stepMs) * stepMs : base;
    for (let r = 0; r < reps; r++) {
      const b = first + r * stepMs;
      for (const period of p.chargingSchedule.chargingSchedulePeriod) add(b + period.startPeriod * 1000);
      if (p.chargingSchedule.duration !== undefined) add(b + p.chargingSchedule.duration * 1000);
    }
  }
  const out: ChargingSchedulePeriod[] = [];
  for (const t of [...edges].sort((a, b) => a - b)) {
    const l = compositeLimitAt(profiles, connectorId, t, tx) ?? noLimit;
    if (!out.length || out[out.length - 1].limit !== l) out.push({ startPeriod: Math.round((t - start) / 1000), limit: l });
  }
  return out;
}
