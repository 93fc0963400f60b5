/**
 * Vehicle behaviour (R-VEH-1..4): State B and low consumption detection, the retries, and the
 * release of current a vehicle steadily leaves unused.
 */
import { ceilTo } from './share';
import type { PlugState } from './state';
import type { SiteParams } from '../shared/types';

/** What the vehicle timers change on a plug, or null when nothing changes (the common case). */
export interface TimerPatch {
  queueNow: boolean;
  queued: boolean;
  bSince: number | null;
  lowSince: number | null;
  nextRetryAt: number | null;
  retriesUsed: number;
  underSince: number | null;
  released: boolean;
}

/** Nothing can change: no timer running and none about to start (the common case, kept fast). */
function idle(p: PlugState, params: SiteParams): boolean {
  const active = p.setpointA > 0;
  const drawing = p.pilot === 'C' || p.pilot === 'D';
  return (
    !p.queued &&
    p.bSince === null &&
    p.lowSince === null &&
    p.underSince === null &&
    !p.released &&
    !(params.stateBDetection && active && p.pilot === 'B') &&
    !(params.lowConsumption && active && drawing && p.measuredA < params.lowConsumptionA) &&
    !(params.releaseUnused && active && drawing && p.measuredA + params.releaseHeadroomA < p.setpointA)
  );
}

/**
 * Timers of State B and low consumption detection, the retries and the release of unused
 * current (R-VEH-1..4). Pure: reads the plug, returns the change (null = none) so the step copies
 * a plug only when one of its timers fires.
 */
export function vehicleTimers(p: PlugState, params: SiteParams, now: number): TimerPatch | null {
  if (idle(p, params)) return null;
  const t: TimerPatch = {
    queueNow: false,
    queued: p.queued,
    bSince: p.bSince,
    lowSince: p.lowSince,
    nextRetryAt: p.nextRetryAt,
    retriesUsed: p.retriesUsed,
    underSince: p.underSince,
    released: p.released,
  };
  const active = detectQueue(p, params, now, t);
  retry(params, now, t);
  release(p, params, now, active, t);
  const same =
    !t.queueNow &&
    t.queued === p.queued &&
    t.bSince === p.bSince &&
    t.lowSince === p.lowSince &&
    t.nextRetryAt === p.nextRetryAt &&
    t.retriesUsed === p.retriesUsed &&
    t.underSince === p.underSince &&
    t.released === p.released;
  return same ? null : t;
}

/**
 * R-VEH-1: an active vehicle resting in B keeps its current for the waiting time, then queues;
 * R-VEH-3: low consumption, the same queue. Returns whether the plug stays active.
 */
function detectQueue(p: PlugState, params: SiteParams, now: number, t: TimerPatch): boolean {
  let active = p.setpointA > 0;
  const wait = params.waitingTimeS * 1000;
  const drawing = p.pilot === 'C' || p.pilot === 'D';
  if (params.stateBDetection && active && p.pilot === 'B') {
    if (t.bSince === null) t.bSince = now;
    else if (now - t.bSince >= wait) {
      t.queueNow = true;
      active = false;
    }
  }
  if (params.lowConsumption && active && drawing && p.measuredA < params.lowConsumptionA) {
    if (t.lowSince === null) t.lowSince = now;
    else if (now - t.lowSince >= wait) {
      t.queueNow = true;
      active = false;
    }
  }
  if (t.queueNow) {
    t.queued = true;
    t.nextRetryAt = t.retriesUsed < params.retries ? now + params.retryPeriodS * 1000 : null;
  }
  if (!(params.stateBDetection && active && p.pilot === 'B')) t.bSince = null;
  if (!(params.lowConsumption && active && drawing && p.measuredA < params.lowConsumptionA)) t.lowSince = null;
  return active;
}

/** R-VEH-2: after each retry period a queued vehicle is offered current again. */
function retry(params: SiteParams, now: number, t: TimerPatch): void {
  if (t.queued && !t.queueNow && t.nextRetryAt !== null && now >= t.nextRetryAt) {
    t.queued = false;
    t.retriesUsed += 1;
    t.nextRetryAt = null;
  }
}

/** R-VEH-4: a vehicle steadily drawing well below its setpoint gives the unused part away. */
function release(p: PlugState, params: SiteParams, now: number, active: boolean, t: TimerPatch): void {
  const drawing = p.pilot === 'C' || p.pilot === 'D';
  if (params.releaseUnused && active && drawing) {
    if (p.measuredA + params.releaseHeadroomA < p.setpointA) {
      if (t.underSince === null) t.underSince = now;
      else if (now - t.underSince >= params.releaseAfterS * 1000) t.released = true;
    } else if (!t.released) {
      t.underSince = null;
    }
  } else {
    t.underSince = null;
    t.released = false;
  }
}

/** The cap a plug's share is water-filled against: its maximum, or less when released (R-VEH-4). */
export function capOf(p: PlugState, params: SiteParams): number {
  if (!p.released) return p.maxCurrentA;
  const c = ceilTo(p.measuredA + params.releaseHeadroomA, params.resolutionA);
  return Math.min(p.maxCurrentA, Math.max(params.minCurrentA, c));
}
