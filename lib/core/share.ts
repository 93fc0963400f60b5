/**
 * Sharing current among plugs: equal share, capped by each plug's maximum, the rest given back
 * to the others (water-filling), rounded down to the charger's resolution (R-ALLOC-3).
 */

/** Rounds `x` down to a multiple of `step` (never up), tolerant of binary fractions. */
export function floorTo(x: number, step: number): number {
  if (!(x > 0)) return 0;
  const n = Math.floor(x / step + 1e-9);
  return Math.round(n * step * 1000) / 1000;
}

/** Rounds `x` up to a multiple of `step`. */
export function ceilTo(x: number, step: number): number {
  if (!(x > 0)) return 0;
  const n = Math.ceil(x / step - 1e-9);
  return Math.round(n * step * 1000) / 1000;
}

/**
 * Water-fills `available` over plugs with the given caps: every plug gets min(cap, level) where
 * the level is as high as the available current allows. Returns the exact (unrounded) shares in
 * the caps' order; their sum is min(available, sum(caps)).
 */
export function waterfill(available: number, caps: readonly number[]): number[] {
  const n = caps.length;
  const out = new Array<number>(n).fill(0);
  if (n === 0 || !(available > 0)) return out;
  const order = Array.from(caps.keys());
  let allEqual = true;
  for (let i = 1; i < n; i++)
    if (caps[i] !== caps[0]) {
      allEqual = false;
      break;
    }
  if (!allEqual) order.sort((a, b) => caps[a] - caps[b]);
  let remaining = available;
  for (let k = 0; k < n; k++) {
    const level = remaining / (n - k);
    const i = order[k];
    if (caps[i] <= level) {
      out[i] = caps[i];
      remaining -= caps[i];
    } else {
      for (let j = k; j < n; j++) out[order[j]] = level;
      return out;
    }
  }
  return out;
}

/** Water-fills and rounds every share down to `resolution` (R-ALLOC-3: never up). */
export function share(available: number, caps: readonly number[], resolution: number): number[] {
  return waterfill(available, caps).map((x) => floorTo(x, resolution));
}
