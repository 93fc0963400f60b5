/**
 * The building current the balancer uses (R-MTR-2..5, R-ERR-3): measured, derived from a grid
 * meter, zero when the analyser is disabled, or the offline current when the meter is lost or stale.
 */
import { SANITY } from './params';
import type { MeterMessage, SiteParams } from './types';

export type Triple = [number, number, number];

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
}

/** Bound on kept samples, whatever the window: memory stays flat with a fast meter. */
const MAX_SAMPLES = 600;

export function initialMeter(): MeterState {
  return { online: false, lastValidAt: null, realtimeA: [0, 0, 0], samples: [], reason: 'no reading yet' };
}

/** Checks a `meter` message; returns the error text or null (R-ERR-1). */
export function validateMeterMessage(m: unknown): string | null {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return 'meter payload must be an object';
  const msg = m as Record<string, unknown>;
  if (typeof msg.online !== 'boolean') return 'meter.online must be true or false';
  if (!msg.online) return null;
  const c = msg.currentA;
  if (!Array.isArray(c) || c.length !== 3) return 'meter.currentA must be an array of 3 currents (L1, L2, L3) in A';
  for (const x of c) {
    if (typeof x !== 'number' || !Number.isFinite(x)) return 'meter.currentA values must be finite numbers';
    if (x < 0 || x > SANITY.maxCurrentA) return `meter.currentA values must be between 0 and ${SANITY.maxCurrentA} A`;
  }
  return null;
}

/**
 * Takes a valid meter message into the meter state. For a grid-position meter (R-MTR-2) the
 * building current is grid − measured EV current per phase (never below 0). Returns a new state.
 */
export function takeReading(
  meter: MeterState,
  msg: MeterMessage,
  params: SiteParams,
  evMeasuredA: Triple,
  now: number,
): MeterState {
  if (!msg.online) return { ...meter, online: false, reason: msg.reason || 'meter reported offline' };
  const c = msg.currentA as Triple;
  const building: Triple =
    params.meterPosition === 'grid'
      ? [Math.max(0, c[0] - evMeasuredA[0]), Math.max(0, c[1] - evMeasuredA[1]), Math.max(0, c[2] - evMeasuredA[2])]
      : [c[0], c[1], c[2]];
  const windowStart = now - params.meterAverageS * 1000;
  const samples = meter.samples.filter((s) => s.t > windowStart && s.t <= now);
  samples.push({ t: now, a: building });
  while (samples.length > MAX_SAMPLES) samples.shift();
  return { online: true, lastValidAt: now, realtimeA: building, samples, reason: null };
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
 * the offline current when the meter is lost or stale (R-MTR-4), else max(realtime, average)
 * (R-MTR-5).
 */
export function buildingUsedA(meter: MeterState, params: SiteParams, now: number): Triple {
  if (!params.analyserEnabled) return [0, 0, 0];
  if (!meterOnline(meter, params, now)) {
    const off = params.meterOfflineCurrentA;
    return [off, off, off];
  }
  const avg = averageA(meter, params, now);
  const rt = meter.realtimeA;
  return [Math.max(rt[0], avg[0]), Math.max(rt[1], avg[1]), Math.max(rt[2], avg[2])];
}
