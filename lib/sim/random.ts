/**
 * A small seeded pseudo-random generator for the simulator (mulberry32): same seed, same
 * sequence, on every platform. Its whole state is one 32-bit integer, so a model that owns one
 * can be copied or persisted as JSON. Not for anything cryptographic.
 */

/** Seeded generator of uniform numbers in [0, 1) and the few distributions the models use. */
export class Rng {
  /** The 32-bit state; persist it to resume the same sequence. */
  state: number;

  constructor(seed: number) {
    this.state = Math.floor(Number.isFinite(seed) ? seed : 0) >>> 0;
  }

  /** Uniform in [0, 1) (mulberry32). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform 32-bit unsigned integer, e.g. the seed of a child generator. */
  nextU32(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }

  /** Uniform in [a, b). */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.next();
  }

  /** Whole number in [a, b] inclusive. */
  int(a: number, b: number): number {
    return a + Math.floor(this.next() * (b - a + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Exponentially distributed with this mean (time between Poisson events). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** A child generator with its own independent-looking stream. */
  fork(): Rng {
    return new Rng(this.nextU32() ^ 0x9e3779b9);
  }
}
