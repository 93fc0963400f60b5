/**
 * The building current the balancer uses (R-MTR-2..5, R-ERR-3): measured, derived from a grid
 * meter, zero when the analyser is disabled, or the offline assumption (offline current or the
 * recent peak, whichever is higher) when the meter is lost or stale.
 */
import { FREQUENCY_MAX_HZ, METER_REASON_MAX_LENGTH, METER_SAMPLES_MAX, SANITY } from '../shared/params';
import type { MeterMessage, SiteParams, Triple } from '../shared/types';

export interface MeterState {
  /** Last meter message said online. */
  online: boolean;
  /** ms epoch of the last valid reading; null before the first. */
  lastValidAt: number | null;
  /** Building current of the last valid reading, A (already derived for a grid meter). */
  realtimeA: Triple;
  /** Recent building readings for the short moving average (R-MTR-5), oldest first. */
  samples: { t: number; a: Triple }[];
  /** Why the meter is offline, when it is. */
  reason: string | null;
  /**
   * Highest building reading per phase of each minute (R-MTR-4 amended), oldest first: the
   * recent peak assumed while the meter is lost. Only minutes inside the peak window are kept.
   */
  peaks: { minute: number; a: Triple }[];
}

export function initialMeter(): MeterState {
  return { online: false, lastValidAt: null, realtimeA: [0, 0, 0], samples: [], reason: 'no reading yet', peaks: [] };
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** A per-phase array of three finite numbers in [min, max], or the problem. */
function tripleProblem(x: unknown, name: string, min: number, max: number, unit: string): string | null {
  if (!Array.isArray(x) || x.length !== 3) return `meter.${name} must be an array of 3 values (L1, L2, L3)${unit ? ' in ' + unit : ''}`;
  for (const v of x)
    if (!isNum(v) || v < min || v > max) return `meter.${name} values must be numbers between ${min} and ${max}${unit ? ' ' + unit : ''}`;
  return null;
}

/**
 * Checks a `meter` message field by field as docs/messages.md says; returns the error text or
 * null (R-ERR-1). Optional fields are checked when present, so a broken reading is refused whole.
 */
export function validateMeterMessage(m: unknown): string | null {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return 'meter payload must be an object';
  const msg = m as Record<string, unknown>;
  if (typeof msg.online !== 'boolean') return 'meter.online must be true or false';
  if (msg.timestamp !== undefined && !(isNum(msg.timestamp) && msg.timestamp >= 0))
    return 'meter.timestamp must be a time in ms since 1970';
  if (msg.reason !== undefined && msg.reason !== null && (typeof msg.reason !== 'string' || msg.reason.length > METER_REASON_MAX_LENGTH))
    return `meter.reason must be text of at most ${METER_REASON_MAX_LENGTH} characters`;
  if (!msg.online) return null;
  const optional: [string, number, number, string][] = [
    ['voltageV', 0, SANITY.maxVoltageV, 'V'],
    ['powerW', -SANITY.maxCurrentA * SANITY.maxVoltageV, SANITY.maxCurrentA * SANITY.maxVoltageV, 'W'],
    ['powerFactor', -1, 1, ''],
  ];
  const current = tripleProblem(msg.currentA, 'currentA', 0, SANITY.maxCurrentA, 'A');
  if (current) return current;
  for (const [name, min, max, unit] of optional) {
    if (msg[name] === undefined) continue;
    const e = tripleProblem(msg[name], name, min, max, unit);
    if (e) return e;
  }
  const maxW = 3 * SANITY.maxCurrentA * SANITY.maxVoltageV;
  if (msg.totalPowerW !== undefined && !(isNum(msg.totalPowerW) && Math.abs(msg.totalPowerW) <= maxW))
    return `meter.totalPowerW must be a number between -${maxW} and ${maxW} W`;
  if (msg.frequencyHz !== undefined && !(isNum(msg.frequencyHz) && msg.frequencyHz >= 0 && msg.frequencyHz <= FREQUENCY_MAX_HZ))
    return `meter.frequencyHz must be a number between 0 and ${FREQUENCY_MAX_HZ} Hz`;
  return null;
}

/**
 * Takes a valid meter message into the meter state. For a grid-position meter (R-MTR-2) the
 * building current is grid − measured EV current per phase (never below 0). Returns a new state.
 */
export function takeReading(meter: MeterState, msg: MeterMessage, params: SiteParams, evMeasuredA: Triple, now: number): MeterState {
  if (!msg.online) return { ...meter, online: false, reason: msg.reason || 'meter reported offline' };
  const c = msg.currentA as Triple;
  const building: Triple =
    params.meterPosition === 'grid'
      ? [Math.max(0, c[0] - evMeasuredA[0]), Math.max(0, c[1] - evMeasuredA[1]), Math.max(0, c[2] - evMeasuredA[2])]
      : [c[0], c[1], c[2]];
  const windowStart = now - params.meterAverageS * 1000;
  const samples = meter.samples.filter((s) => s.t > windowStart && s.t <= now);
  samples.push({ t: now, a: building });
  while (samples.length > METER_SAMPLES_MAX) samples.shift();
  return {
    online: true,
    lastValidAt: now,
    realtimeA: building,
    samples,
    reason: null,
    peaks: notePeak(meter.peaks, building, params, now),
  };
}

const MINUTE_MS = 60000;

/**
 * The per-minute peaks with a reading at `now` folded in, and the minutes that left the window
 * dropped. A minute is kept while any part of it is inside the window, so the peak assumed is
 * never lower than the window's highest reading (it may include up to one minute more).
 */
function notePeak(peaks: MeterState['peaks'], a: Triple, params: SiteParams, now: number): MeterState['peaks'] {
  const minute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
  const from = now - params.meterPeakWindowMin * MINUTE_MS;
  const kept = peaks.filter((b) => b.minute + MINUTE_MS > from && b.minute < minute);
  const same = peaks.find((b) => b.minute === minute);
  kept.push({ minute, a: same ? [Math.max(same.a[0], a[0]), Math.max(same.a[1], a[1]), Math.max(same.a[2], a[2])] : [a[0], a[1], a[2]] });
  return params.meterPeakWindowMin > 0 ? kept : [];
}

/**
 * The highest building reading per phase in the peak window that ended with the last valid
 * reading (R-MTR-4 amended): the window is anchored at the moment the meter was last heard, so
 * a long outage keeps assuming what the building drew just before it. Zeros without readings.
 */
export function recentPeakA(meter: MeterState, params: SiteParams): Triple {
  const out: Triple = [0, 0, 0];
  if (meter.lastValidAt === null || params.meterPeakWindowMin <= 0) return out;
  const from = meter.lastValidAt - params.meterPeakWindowMin * MINUTE_MS;
  for (const b of meter.peaks) {
    if (b.minute + MINUTE_MS <= from) continue;
    out[0] = Math.max(out[0], b.a[0]);
    out[1] = Math.max(out[1], b.a[1]);
    out[2] = Math.max(out[2], b.a[2]);
  }
  return out;
}

/**
 * The building current assumed per phase while the meter is lost (R-MTR-4 amended):
 * max(offline current, highest reading of the recent window).
 */
export function offlineAssumptionA(meter: MeterState, params: SiteParams): Triple {
  const off = params.meterOfflineCurrentA;
  const peak = recentPeakA(meter, params);
  return [Math.max(off, peak[0]), Math.max(off, peak[1]), Math.max(off, peak[2])];
}

/** Is the meter giving valid, fresh readings at `now` (R-MTR-4, R-ERR-3)? */
export function meterOnline(meter: MeterState, params: SiteParams, now: number): boolean {
  return meter.online && meter.lastValidAt !== null && now - meter.lastValidAt <= params.meterTimeoutS * 1000;
}

/** Moving average of the building current over the window ending at `now` (R-MTR-5). */
export function averageA(meter: MeterState, params: SiteParams, now: number): Triple {
  const windowStart = now - params.meterAverageS * 1000;
  const sum: Triple = [0, 0, 0];
  let n = 0;
  for (const s of meter.samples) {
    if (s.t <= windowStart) continue;
    sum[0] += s.a[0];
    sum[1] += s.a[1];
    sum[2] += s.a[2];
    n++;
  }
  return n ? [sum[0] / n, sum[1] / n, sum[2] / n] : [...meter.realtimeA];
}

/**
 * The building current per phase the allocation uses: 0 with the analyser disabled (R-MTR-3),
 * max(offline current, recent peak) when the meter is lost or stale (R-MTR-4), else max(realtime, average)
 * (R-MTR-5).
 */
export function buildingUsedA(meter: MeterState, params: SiteParams, now: number): Triple {
  if (!params.analyserEnabled) return [0, 0, 0];
  if (!meterOnline(meter, params, now)) return offlineAssumptionA(meter, params);
  const avg = averageA(meter, params, now);
  const rt = meter.realtimeA;
  return [Math.max(rt[0], avg[0]), Math.max(rt[1], avg[1]), Math.max(rt[2], avg[2])];
}
