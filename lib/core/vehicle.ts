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

/**
 * Timers of State B and low consumption detection, the retries and the release of unused
 * current (R-VEH-1..4). Pure: reads the plug, returns the change (null = none) so the step copies
 * a plug only when one of its timers fires.
 */
export function vehicleTimers(p: PlugState, params: SiteParams, now: number): TimerPatch | null {
  const active0 = p.setpointA > 0;
  const drawing0 = p.pilot === 'C' || p.pilot === 'D';
  // Fast path: no timer running and none about to start — nothing can change.
  if (
    !p.queued && p.bSince === null && p.lowSince === null && p.underSince === null && !p.released &&
    !(params.stateBDetection && active0 && p.pilot === 'B') &&
    !(params.lowConsumption && active0 && drawing0 && p.measuredA < params.lowConsumptionA) &&
    !(params.releaseUnused && active0 && drawing0 && p.measuredA + params.releaseHeadroomA < p.setpointA)
  ) {
    return null;
  }
  let { queued, bSince, lowSince, nextRetryAt, retriesUsed, underSince, released } = p;
  let queueNow = false;
  let active = p.setpointA > 0;
  const wait = params.waitingTimeS * 1000;
  const drawing = p.pilot === 'C' || p.pilot === 'D';
  // R-VEH-1: an active vehicle resting in B keeps its current for the waiting time, then queues.
  if (params.stateBDetection && active && p.pilot === 'B') {
    if (bSince === null) bSince = now;
    else if (now - bSince >= wait) {
      queueNow = true;
      active = false;
    }
  }
  // R-VEH-3: low consumption, same queue.
  if (params.lowConsumption && active && drawing && p.measuredA < params.lowConsumptionA) {
    if (lowSince === null) lowSince = now;
    else if (now - lowSince >= wait) {
      queueNow = true;
      active = false;
    }
  }
  if (queueNow) {
    queued = true;
    nextRetryAt = retriesUsed < params.retries ? now + params.retryPeriodS * 1000 : null;
  }
  if (!(params.stateBDetection && active && p.pilot === 'B')) bSince = null;
  if (!(params.lowConsumption && active && drawing && p.measuredA < params.lowConsumptionA)) lowSince = null;
  // R-VEH-2: after each retry period a queued vehicle is offered current again.
  if (queued && !queueNow && nextRetryAt !== null && now >= nextRetryAt) {
    queued = false;
    retriesUsed += 1;
    nextRetryAt = null;
  }
  // R-VEH-4: a vehicle steadily drawing well below its setpoint gives the unused part away.
  if (params.releaseUnused && active && drawing) {
    if (p.measuredA + params.releaseHeadroomA < p.setpointA) {
      if (underSince === null) underSince = now;
      else if (now - underSince >= params.releaseAfterS * 1000) released = true;
    } else if (!released) {
      underSince = null;
    }
  } else {
    underSince = null;
    released = false;
  }
  if (
    !queueNow && queued === p.queued && bSince === p.bSince && lowSince === p.lowSince && nextRetryAt === p.nextRetryAt &&
    retriesUsed === p.retriesUsed && underSince === p.underSince && released === p.released
  ) {
    return null;
  }
  return { queueNow, queued, bSince, lowSince, nextRetryAt, retriesUsed, underSince, released };
}

/** The cap a plug's share is water-filled against: its maximum, or less when released (R-VEH-4). */
export function capOf(p: PlugState, params: SiteParams): number {
  if (!p.released) return p.maxCurrentA;
  const c = ceilTo(p.measuredA + params.releaseHeadroomA, params.resolutionA);
  return Math.min(p.maxCurrentA, Math.max(params.minCurrentA, c));
}

