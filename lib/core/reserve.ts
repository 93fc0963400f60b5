/**
 * What an unreachable charge point may draw, reserved on its phase (R-OFF-3).
 */
import { effectiveA, type ChargePointState, type PlugState } from './state';
import type { SiteParams } from '../shared/types';

/**
 * What an offline charge point's plug may draw (R-OFF-3): mode 0 nothing, 1 its last setpoint,
 * 2 min(last setpoint, offline current) when active, 3 the offline current on every plug. Until
 * the charge point has had a heartbeat interval (plus the reaction delay) to fall back, it may
 * still draw its last setpoint, so that is reserved too.
 */
export function reservedForPlug(cp: ChargePointState, p: PlugState, params: SiteParams, now: number): number {
  // What it was last told may be more than the balancer's own figure (a cut it never received).
  const last = Math.max(effectiveA(p, now), cp.lastSent?.[p.letter] ?? 0);
  const off = Math.min(cp.offline.currentA, p.maxCurrentA);
  let byMode: number;
  switch (cp.offline.mode) {
    case 0:
      byMode = 0;
      break;
    case 1:
      byMode = last;
      break;
    case 2:
      byMode = last > 0 ? Math.min(last, off) : 0;
      break;
    default:
      byMode = off;
      break;
  }
  // The charge point falls back once it has heard nothing from us for its heartbeat interval.
  const fallenBack = cp.lastSentAt === null || now - cp.lastSentAt >= (cp.offline.heartbeatS + params.reactionDelayS) * 1000;
  return fallenBack ? byMode : Math.max(byMode, last);
}
