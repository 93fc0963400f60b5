/**
 * The building's own load per phase for the simulator (what the CVM-MINI measures, R-MTR-1):
 * constant, a daily profile (office-like: low at night, high in working hours), or a bounded
 * random walk; constant and profile may carry a bounded random-walk noise on top. The walk moves
 * in fixed steps of virtual time from the start, so its value at an instant does not depend on
 * how often it is asked. Pure: no clock, no timers; seeded.
 */
import type { Phase, Triple } from '../shared/types';
import { localHour } from './clock';
import { Rng } from './random';

export type BuildingMode = 'constant' | 'profile' | 'walk';

export interface BuildingSpec {
  mode: BuildingMode;
  /** constant: the currents; profile: the daily peak; walk: the start, A per phase L1..L3. */
  currentsA: Triple;
  /** Walk noise added to constant/profile: bounded to ±noiseA, A (0 = none). */
  noiseA?: number;
  /** Walk: bounds of each phase's current, A. */
  minA?: number;
  maxA?: number;
  /** Largest walk step, A, one step every `stepS` seconds. */
  stepA?: number;
  stepS?: number;
  seed?: number;
  /** Time zone of the daily profile. */
  timeZone?: string;
}

/** Office-like building load through the day, fraction of the peak at each local hour 0..24. */
const PROFILE: readonly number[] = [
  0.3, 0.28, 0.27, 0.27, 0.27, 0.3, 0.4, 0.6, 0.8, 0.9, 0.95, 0.97, 1.0, 0.98, 0.95, 0.93, 0.9, 0.85, 0.75, 0.65, 0.55, 0.45, 0.38, 0.33,
  0.3,
];

/** Fraction of the daily peak at local hour `h` (0 ≤ h < 24), linear between hourly points. */
export function profileFactor(h: number): number {
  const x = ((h % 24) + 24) % 24;
  const i = Math.floor(x);
  return PROFILE[i] + (PROFILE[i + 1] - PROFILE[i]) * (x - i);
}

export class BuildingLoad {
  readonly spec: Required<BuildingSpec>;
  private rng: Rng;
  private walk: Triple;
  private walkAt: number;

  constructor(spec: BuildingSpec, start: number) {
    const peak = Math.max(...spec.currentsA);
    this.spec = {
      noiseA: 0,
      minA: 0,
      maxA: spec.mode === 'walk' ? Math.max(1, 2 * peak) : Infinity,
      stepA: 0.5,
      stepS: 1,
      seed: 1,
      timeZone: 'Europe/Madrid',
      ...spec,
    } as Required<BuildingSpec>;
    if (spec.currentsA.some((a) => !Number.isFinite(a) || a < 0)) throw new Error('building currents must be numbers ≥ 0');
    this.rng = new Rng(this.spec.seed);
    this.walk = spec.mode === 'walk' ? ([...spec.currentsA] as Triple) : [0, 0, 0];
    this.walkAt = start;
  }

  private advanceWalk(now: number): void {
    const stepMs = this.spec.stepS * 1000;
    const lo = this.spec.mode === 'walk' ? this.spec.minA : -this.spec.noiseA;
    const hi = this.spec.mode === 'walk' ? this.spec.maxA : this.spec.noiseA;
    if (this.spec.mode !== 'walk' && this.spec.noiseA === 0) return;
    while (this.walkAt + stepMs <= now) {
      this.walkAt += stepMs;
      for (let k = 0; k < 3; k++) {
        this.walk[k] = Math.min(hi, Math.max(lo, this.walk[k] + (this.rng.next() * 2 - 1) * this.spec.stepA));
      }
    }
  }

  /** Building current per phase at `now`, A (ask in non-decreasing time). */
  currentAt(now: number): Triple {
    this.advanceWalk(now);
    const s = this.spec;
    let base: Triple;
    if (s.mode === 'walk') return [...this.walk] as Triple;
    if (s.mode === 'profile') {
      const f = profileFactor(localHour(now, s.timeZone));
      base = s.currentsA.map((a) => a * f) as Triple;
    } else {
      base = [...s.currentsA] as Triple;
    }
    return base.map((a, k) => Math.max(0, a + this.walk[k])) as Triple;
  }

  /** One phase's current at `now`, A. */
  phaseAt(now: number, phase: Phase): number {
    return this.currentAt(now)[phase === 'L1' ? 0 : phase === 'L2' ? 1 : 2];
  }
}
