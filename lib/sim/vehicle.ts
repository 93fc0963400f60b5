/**
 * A simulated electric vehicle on a Mode 3 socket, in virtual time (no timers, no clock): a
 * battery (capacity, state of charge), an on-board charger with its own maximum current, a
 * reaction delay before it follows a new pilot limit (IEC 61851-1 allows up to 5 s), a taper
 * near full, state B when full, occasional rests in B and occasional faults (pilot F).
 * The on-board charger has 1 or 3 phases (R-3PH-3): on a three-phase plug a single-phase vehicle
 * draws on the charger's phase 1 only; on a single-phase plug every vehicle draws on that one phase.
 * Random events are drawn from the vehicle's own seeded generator and scheduled in absolute
 * virtual time, so the same seed gives the same vehicle whatever step sizes `advance` is given.
 */
import { IEC_MIN_CURRENT_A, MAX_REACTION_DELAY_S, VEHICLE_SPEC_LIMITS } from '../shared/params';
import type { PilotState } from '../shared/types';
import { Rng } from './random';

/** IEC 61851-1: a vehicle has this long to follow a lower pilot limit, s (lib/shared/params.ts). */
export { MAX_REACTION_DELAY_S };

/** What a vehicle is. All fields are plain numbers so a spec can travel in a message. */
export interface VehicleSpec {
  /** Battery capacity, kWh. */
  capacityKWh: number;
  /** State of charge on arrival, %. */
  socPct: number;
  /** The vehicle stops charging (state B) at this state of charge, % (a car's charge limit). */
  targetSocPct: number;
  /** On-board charger maximum per phase, A (single-phase: 16 A for 3.7 kW cars, 32 A for 7.4 kW; three-phase 16 A = 11 kW, 32 A = 22 kW). */
  obcMaxA: number;
  /** Phases of the on-board charger, 1 or 3 (R-3PH-3). */
  obcPhases: number;
  /** Time the vehicle takes to follow a new pilot limit, s (0 < delay ≤ 5). */
  reactionDelayS: number;
  /** Above this state of charge the current the vehicle accepts falls linearly, %. */
  taperStartPct: number;
  /** Mean charging hours between two rests in state B; 0 = never rests. */
  restEveryH: number;
  /** Length of a rest, s: uniform between these. */
  restMinS: number;
  restMaxS: number;
  /** Mean plugged-in hours between two faults (pilot F); 0 = never faults. */
  faultEveryH: number;
  /** A fault clears after a time uniform between these, s. */
  faultMinS: number;
  faultMaxS: number;
}

/** A middle-of-the-road vehicle; `randomVehicleSpec` draws a fleet around it. */
export const VEHICLE_DEFAULTS: Readonly<VehicleSpec> = Object.freeze({
  capacityKWh: 60,
  socPct: 40,
  targetSocPct: 100,
  obcMaxA: 32,
  obcPhases: 3,
  reactionDelayS: 3,
  taperStartPct: 80,
  restEveryH: 4,
  restMinS: 60,
  restMaxS: 1200,
  faultEveryH: 200,
  faultMinS: 30,
  faultMaxS: 600,
});

/** At 100 % the taper leaves this fraction of the on-board charger maximum. */
const TAPER_FLOOR = 0.1;
/** Longest integration step, ms: keeps the taper (current falls as SoC rises) accurate (limits: not a limit, a step size). */
const MAX_STEP_MS = 10_000;

/** A plausible fleet on single-phase sockets: battery, on-board charger and habits vary. */
export function randomVehicleSpec(rng: Rng): VehicleSpec {
  return {
    ...VEHICLE_DEFAULTS,
    capacityKWh: rng.pick([40, 52, 58, 64, 77, 82, 100]),
    socPct: Math.round(rng.uniform(10, 70)),
    targetSocPct: rng.pick([80, 90, 100, 100]),
    obcMaxA: rng.pick([16, 16, 20, 32, 32, 32]),
    reactionDelayS: Math.round(rng.uniform(0.5, MAX_REACTION_DELAY_S) * 10) / 10,
  };
}

/**
 * A random vehicle for a plug with `plugPhases` phases. On a single-phase plug exactly
 * `randomVehicleSpec` (the same draws, so single-phase sites simulate as before). On a three-phase
 * plug, `singlePhasePct` % of the vehicles have a single-phase on-board charger (its maximum as drawn:
 * 16, 20 or 32 A); the others a three-phase one of 11 kW (16 A) or 22 kW (32 A).
 */
export function randomVehicleFor(rng: Rng, plugPhases: 1 | 3, singlePhasePct: number): VehicleSpec {
  const spec = randomVehicleSpec(rng);
  if (plugPhases !== 3) return spec;
  if (rng.chance(singlePhasePct / 100)) return { ...spec, obcPhases: 1 };
  return { ...spec, obcPhases: 3, obcMaxA: rng.pick([16, 16, 32]) };
}

const NUMERIC_LIMITS: Readonly<Record<keyof VehicleSpec, readonly [number, number]>> = VEHICLE_SPEC_LIMITS;

/** Checks a (partial) vehicle spec: known fields, numbers in range. Returns the errors. */
export function validateVehicleSpec(x: unknown): string[] {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return ['vehicle must be an object'];
  const errors: string[] = [];
  for (const [k, v] of Object.entries(x as Record<string, unknown>)) {
    const lim = NUMERIC_LIMITS[k as keyof VehicleSpec];
    if (!lim) {
      errors.push(`unknown vehicle field ${JSON.stringify(k)}`);
      continue;
    }
    if (k === 'obcPhases') {
      if (v !== 1 && v !== 3) errors.push('vehicle obcPhases must be 1 or 3');
    } else if (typeof v !== 'number' || !Number.isFinite(v) || v < lim[0] || v > lim[1]) {
      errors.push(`vehicle ${k} must be a number from ${lim[0]} to ${lim[1]}`);
    }
  }
  const s = x as Partial<VehicleSpec>;
  if (errors.length === 0) {
    if (s.restMinS !== undefined && s.restMaxS !== undefined && s.restMinS > s.restMaxS)
      errors.push('vehicle restMinS must not exceed restMaxS');
    if (s.faultMinS !== undefined && s.faultMaxS !== undefined && s.faultMinS > s.faultMaxS)
      errors.push('vehicle faultMinS must not exceed faultMaxS');
  }
  return errors;
}

/** One vehicle plugged in at `arrivedAt`. Mutable, advanced in virtual time only. */
export class Vehicle {
  readonly spec: VehicleSpec;
  readonly arrivedAt: number;
  readonly voltageV: number;
  /** Model time, ms epoch: everything below is as of this instant. */
  t: number;
  socPct: number;
  /** Energy taken since plugging in, Wh. */
  energyWh = 0;
  /** Phases the plug it is on offers (1 or 3); set by the charge point it plugs into. */
  plugPhases: 1 | 3 = 1;
  /** The pilot limit the vehicle obeys now, A (the offer it has followed). */
  followedA = 0;
  /** Offers not yet followed: the vehicle obeys each `reactionDelayS` after it was made. */
  pending: { at: number; limitA: number }[] = [];
  full = false;
  restUntil: number | null = null;
  faultUntil: number | null = null;
  nextRestAt: number;
  nextFaultAt: number;
  /** Counters, for the KPIs and the tests. */
  rests = 0;
  faults = 0;
  private rng: Rng;

  constructor(spec: VehicleSpec, seed: number, now: number, voltageV = 230) {
    this.spec = { ...spec };
    this.arrivedAt = now;
    this.t = now;
    this.voltageV = voltageV;
    this.socPct = spec.socPct;
    this.rng = new Rng(seed);
    this.full = this.socPct >= spec.targetSocPct;
    this.nextRestAt = this.nextEvent(now, spec.restEveryH);
    this.nextFaultAt = this.nextEvent(now, spec.faultEveryH);
  }

  private nextEvent(now: number, everyH: number): number {
    return everyH > 0 ? now + Math.max(1, Math.round(this.rng.exponential(everyH * 3600_000))) : Infinity;
  }

  /** Most the vehicle would draw now if offered any current: 0 when full, resting or faulted. */
  acceptA(): number {
    if (this.full || this.restUntil !== null || this.faultUntil !== null) return 0;
    const s = this.spec;
    if (this.socPct <= s.taperStartPct) return s.obcMaxA;
    const span = Math.max(1e-9, 100 - s.taperStartPct);
    const f = Math.max(TAPER_FLOOR, 1 - ((1 - TAPER_FLOOR) * (this.socPct - s.taperStartPct)) / span);
    return s.obcMaxA * f;
  }

  /** What the vehicle draws now, A: its acceptance within the limit it obeys; below 6 A offered it may not charge (IEC). */
  drawA(): number {
    if (this.followedA < IEC_MIN_CURRENT_A) return 0;
    return Math.min(this.followedA, this.acceptA());
  }

  /** Phases it draws on: 3 only with a three-phase charger on a three-phase plug (R-3PH-3). */
  drawPhases(): 1 | 3 {
    return this.plugPhases === 3 && this.spec.obcPhases === 3 ? 3 : 1;
  }

  /**
   * What it draws on each charger phase 1, 2, 3 now, A: the same on all three, or on phase 1
   * only (a single-phase vehicle on a three-phase plug).
   */
  phaseCurrentsA(): [number, number, number] {
    const a = this.drawA();
    return this.drawPhases() === 3 ? [a, a, a] : [a, 0, 0];
  }

  /** Pilot state the vehicle causes: F faulted, C drawing, B connected and not drawing. */
  pilot(): PilotState {
    if (this.faultUntil !== null) return 'F';
    return this.drawA() > 0 ? 'C' : 'B';
  }

  /** Current it will obey once every pending offer has been followed. */
  latestOfferA(): number {
    return this.pending.length ? this.pending[this.pending.length - 1].limitA : this.followedA;
  }

  /** The charge point offers `limitA` from `now` on; the vehicle follows after its reaction delay. */
  offer(limitA: number, now: number): void {
    this.advance(now);
    if (limitA === this.latestOfferA()) return;
    this.pending.push({ at: now + Math.round(this.spec.reactionDelayS * 1000), limitA });
  }

  /** Moves the model to `now` (never backwards): integrates energy and SoC, applies due events. */
  advance(now: number): void {
    while (this.t < now) {
      let next = Math.min(now, this.t + MAX_STEP_MS);
      if (this.pending.length) next = Math.min(next, this.pending[0].at);
      next = Math.min(next, this.restUntil ?? this.nextRestAt, this.faultUntil ?? this.nextFaultAt);
      const draw = this.drawA();
      if (draw > 0) {
        const whToTarget = ((this.spec.targetSocPct - this.socPct) / 100) * this.spec.capacityKWh * 1000;
        const msToTarget = Math.ceil((whToTarget / (draw * this.voltageV * this.drawPhases())) * 3600_000);
        next = Math.min(next, this.t + Math.max(1, msToTarget));
      }
      const wh = (draw * this.voltageV * this.drawPhases() * (next - this.t)) / 3600_000;
      this.energyWh += wh;
      this.socPct = Math.min(100, this.socPct + (wh / (this.spec.capacityKWh * 1000)) * 100);
      this.t = next;
      this.events();
    }
  }

  private events(): void {
    const t = this.t;
    if (this.socPct >= this.spec.targetSocPct - 1e-6) {
      this.socPct = this.spec.targetSocPct; // the last step may overshoot by < 1 ms of charging
      this.full = true;
      this.restUntil = null;
    }
    while (this.pending.length && this.pending[0].at <= t) this.followedA = this.pending.shift()!.limitA;
    if (this.restUntil !== null && this.restUntil <= t) this.restUntil = null;
    if (this.faultUntil !== null && this.faultUntil <= t) this.faultUntil = null;
    if (this.nextRestAt <= t) {
      // A rest starts only while the vehicle is charging (C → B, R-VEH-1's case).
      if (this.drawA() > 0) {
        this.restUntil = t + Math.round(this.rng.uniform(this.spec.restMinS, this.spec.restMaxS) * 1000);
        this.rests++;
      }
      this.nextRestAt = this.nextEvent(t, this.spec.restEveryH);
    }
    if (this.nextFaultAt <= t) {
      if (this.faultUntil === null) {
        this.faultUntil = t + Math.round(this.rng.uniform(this.spec.faultMinS, this.spec.faultMaxS) * 1000);
        this.faults++;
      }
      this.nextFaultAt = this.nextEvent(t, this.spec.faultEveryH);
    }
  }
}
