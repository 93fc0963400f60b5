/**
 * Vehicles arriving and leaving: seeded random (a Poisson process whose rate follows a daily
 * shape with a morning and an evening peak, dwell times that depend on the hour of arrival) or
 * scripted (a list of {at, plug, leaveAt, vehicle?}). Pure, in virtual time.
 */
import { localHour } from './clock';
import { Rng } from './random';
import { validateVehicleSpec, type VehicleSpec } from './vehicle';

/** Relative arrival rate per local hour 0..23: commuters in the morning, visitors and residents in the evening. */
export const ARRIVAL_SHAPE: readonly number[] = [
  0.1, 0.05, 0.05, 0.05, 0.05, 0.2, 0.6, 2.5, 3.0, 2.0, 1.0, 0.8, 0.8, 0.9, 0.8, 0.8, 1.2, 1.8, 2.0, 1.5, 0.8, 0.5, 0.3, 0.2,
];
const SHAPE_SUM = ARRIVAL_SHAPE.reduce((a, b) => a + b, 0);
const SHAPE_MAX = Math.max(...ARRIVAL_SHAPE);

/** Dwell time of a vehicle arriving at local hour `h`, s: commuters stay the working day, others shorter, evening arrivals sometimes overnight. */
export function dwellFor(rng: Rng, h: number): number {
  const hour = Math.floor(h);
  let hours: number;
  // limits: not a limit (hours of the day)
  if (hour >= 6 && hour < 10) hours = rng.uniform(4, 9.5);
  // limits: not a limit (hours of the day)
  else if (hour >= 10 && hour < 16) hours = rng.uniform(0.5, 4);
  // limits: not a limit (hours of the day)
  else if (hour >= 16 && hour < 22) hours = rng.chance(0.3) ? rng.uniform(9, 14) : rng.uniform(1, 3.5);
  else hours = rng.uniform(2, 8);
  return Math.round(hours * 3600);
}

export interface RandomArrivalOptions {
  /** Mean arrivals per plug per day. */
  perPlugPerDay: number;
  /** Plugs the arrivals are spread over. */
  plugs: number;
  seed: number;
  timeZone: string;
}

/** One arrival: when, and how long the vehicle stays. */
export interface Arrival {
  at: number;
  dwellS: number;
}

/** Poisson arrivals with the daily shape, by thinning: deterministic for a seed. */
export class RandomArrivals {
  readonly opts: RandomArrivalOptions;
  private rng: Rng;
  private nextAt: number;
  /** Highest rate of the day, arrivals per ms. */
  private maxRate: number;

  constructor(opts: RandomArrivalOptions, start: number) {
    if (!(opts.perPlugPerDay >= 0) || !Number.isFinite(opts.perPlugPerDay))
      throw new Error('arrivals per plug per day must be a number ≥ 0');
    this.opts = { ...opts };
    this.rng = new Rng(opts.seed);
    this.maxRate = (opts.perPlugPerDay * opts.plugs * SHAPE_MAX) / SHAPE_SUM / 3600_000;
    this.nextAt = start;
    this.nextAt = this.candidateAfter(start);
  }

  /** Arrival rate at `now`, per hour. */
  ratePerHour(now: number): number {
    const h = Math.floor(localHour(now, this.opts.timeZone));
    return (this.opts.perPlugPerDay * this.opts.plugs * ARRIVAL_SHAPE[h]) / SHAPE_SUM;
  }

  private candidateAfter(t: number): number {
    if (this.maxRate <= 0) return Infinity;
    for (;;) {
      t += Math.max(1, Math.round(this.rng.exponential(1 / this.maxRate)));
      const accept = this.ratePerHour(t) / 3600_000 / this.maxRate;
      if (this.rng.next() < accept) return t;
    }
  }

  /** Every arrival up to and including `now` not taken yet, in time order. */
  due(now: number): Arrival[] {
    const out: Arrival[] = [];
    while (this.nextAt <= now) {
      out.push({ at: this.nextAt, dwellS: dwellFor(this.rng, localHour(this.nextAt, this.opts.timeZone)) });
      this.nextAt = this.candidateAfter(this.nextAt);
    }
    return out;
  }

  /** Draws from the arrival stream's own generator (e.g. which free plug, which vehicle). */
  get random(): Rng {
    return this.rng;
  }
}

/** A scripted arrival: vehicle plugs into `plug` at `at` and leaves at `leaveAt` (ms epoch). */
export interface ScriptedArrival {
  at: number;
  /** "CP01/A" on a site; on one charge point just the letter "A" or "B". */
  plug: string;
  leaveAt: number;
  vehicle?: Partial<VehicleSpec>;
}

/** Validates a script: a list of arrivals with times in order of nothing in particular. Returns the errors. */
export function validateScript(x: unknown): string[] {
  if (!Array.isArray(x)) return ['script must be an array of {at, plug, leaveAt, vehicle?}'];
  const errors: string[] = [];
  x.forEach((e: unknown, i: number) => {
    const n = `script entry ${i + 1}`;
    if (e === null || typeof e !== 'object' || Array.isArray(e)) {
      errors.push(`${n} must be an object {at, plug, leaveAt}`);
      return;
    }
    const r = e as Record<string, unknown>;
    if (typeof r.at !== 'number' || !Number.isFinite(r.at) || r.at < 0) errors.push(`${n}: at must be a time in ms ≥ 0`);
    if (typeof r.leaveAt !== 'number' || !Number.isFinite(r.leaveAt)) errors.push(`${n}: leaveAt must be a time in ms`);
    else if (typeof r.at === 'number' && r.leaveAt <= r.at) errors.push(`${n}: leaveAt must be after at`);
    if (typeof r.plug !== 'string' || !/^([^/]{1,64}\/)?[AB]$/.test(r.plug)) errors.push(`${n}: plug must be "A", "B" or "CP01/A"`);
    if (r.vehicle !== undefined) errors.push(...validateVehicleSpec(r.vehicle).map((m) => `${n}: ${m}`));
  });
  return errors;
}
