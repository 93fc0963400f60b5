/**
 * The load management state and the per-phase table rows of SPEC §4, as pure functions of the
 * group's available current A, charging plugs n and waiting plugs w.
 */
import type { LoadState, Phase, PhaseGroupRow, PhaseTable } from '../shared/types';

const EPS = 1e-9;

/** SPEC §4 state 1..5 from A, n, w and I_min. */
export function loadState(availableA: number, n: number, w: number, minA: number): LoadState {
  if (availableA < minA - EPS) return 5;
  if (availableA >= (n + w) * minA - EPS) return 1;
  if (availableA >= (n + 1) * minA - EPS) return 2;
  if (availableA >= n * minA - EPS) return 3;
  return 4;
}

/** One column of the table per phases (SPEC §4 rows). `sharedA` keeps full precision. */
export function loadRow(args: {
  availableA: number;
  charging: number;
  waiting: number;
  total: number;
  minA: number;
  nextAllowed: number;
  nextPaused: number;
}): PhaseGroupRow {
  const { availableA, charging, waiting, total, minA } = args;
  const a = Math.max(0, availableA);
  const maxAllowed = Math.min(charging + waiting, Math.floor(a / minA + EPS));
  return {
    state: loadState(a, charging, waiting, minA),
    maxAllowed,
    charging,
    paused: waiting,
    total,
    availableA: Math.round(a * 1000) / 1000,
    sharedA: maxAllowed > 0 ? a / maxAllowed : 0,
    nextAllowed: args.nextAllowed,
    nextPaused: args.nextPaused,
  };
}

/** Worst load state per phase over the groups of a table (for a one-line summary). */
export function worstStates(table: PhaseTable): Partial<Record<Phase, LoadState>> {
  const worst: Partial<Record<Phase, LoadState>> = {};
  for (const group of [table.PRIORITY, table.NORMAL, table.ALL]) {
    if (!group) continue;
    for (const [ph, row] of Object.entries(group) as [Phase, PhaseGroupRow][]) {
      if (row && (!worst[ph] || row.state > worst[ph]!)) worst[ph] = row.state;
    }
  }
  return worst;
}
