/**
 * Plug and charge point identity (R-CP-2): plug ids are fixed by the charge point's index k —
 * plug A is 2k-1, plug B is 2k — in both directions. Shared vocabulary: the core and every node use it.
 */
import type { PlugLetter } from './types';

export const PLUG_LETTERS: readonly PlugLetter[] = ['A', 'B'];

/** Plug id of plug `letter` of charge point `index` (R-CP-2): A → 2k-1, B → 2k. */
export function plugId(index: number, letter: PlugLetter): number {
  return letter === 'A' ? 2 * index - 1 : 2 * index;
}

/** The index k a name like "CP07" implies (its trailing digits): 7; null when it has none. */
export function indexFromName(name: string): number | null {
  const m = /(\d+)\s*$/.exec(name);
  if (!m) return null;
  const k = Number(m[1]);
  return Number.isSafeInteger(k) && k >= 1 ? k : null;
}

/** Is `x` a plug letter? */
export function isPlugLetter(x: unknown): x is PlugLetter {
  return x === 'A' || x === 'B';
}

/** The plug letters a charge point with `plugCount` plugs has. */
export function lettersOf(plugCount: number): PlugLetter[] {
  return PLUG_LETTERS.slice(0, plugCount);
}

/** The index k of the charge point a plug id belongs to (R-CP-2): the inverse of plugId. */
export function cpIndexOf(id: number): number {
  return (id + 1) >> 1;
}
