/**
 * The fallback budget (SPEC R-SEC-4, issue 9 item 6): what the site could draw per phase if the
 * balancer disappeared (Node-RED stopped, crashed, lost its network), against the phase limit.
 *
 * When nobody refreshes them for their heartbeat interval, the chargers fall back to their offline
 * mode (R-OFF-1) and nobody shares the current any more. The worst case per phase is then
 *   building at its offline assumption  (the caller's figure: the analyser offline current today,
 *                                        max(offline current, recent peak) with R-MTR-4 amended,
 *                                        0 when the analyser is disabled)
 * + every charger's plugs on that phase at what their offline mode lets them draw:
 *   mode 0 → 0; mode 1 → the plug maximum (an active transaction continues at its last setpoint,
 *   which may be anything up to the maximum); modes 2 and 3 → min(offline current, plug maximum).
 *
 * It is compared with I_limit itself (R-SITE-2), not with the working limit: the safety margin is
 * the balancer's working range, and without the balancer what matters is whether the breaker (or
 * the contract) trips, which happens at I_limit.
 *
 * Charge points count whether enabled or not: "disabled" is a Node-RED setting; the device itself
 * still runs its offline mode when it stops hearing from us (as R-OFF-3 reserves for it). Plugs
 * without a phase, or on a phase the supply lacks, draw nothing.
 *
 * This module is also shipped to the dlm-balancer editor (tools/copy-assets.js injects the
 * compiled `fallbackBudget` function's source), so it must stay one self-contained function with
 * no imports at run time and no helpers outside its body.
 */
import type { FallbackBudget, FallbackPhase, OfflineMode, PerPhase, Phase } from '../shared/types';

/** What the budget needs to know about one charge point. */
export interface BudgetChargePoint {
  name: string;
  offline: { mode: OfflineMode; currentA: number };
  /** `lines`: every supply line a three-phase plug is wired to (R-3PH-1); absent = `phase` alone. */
  plugs: { phase: Phase | null; maxCurrentA: number; lines?: readonly Phase[] }[];
}

export interface BudgetInput {
  /** The supply's phases (L1 only on a single-phase site). */
  phases: readonly Phase[];
  /** I_limit per phase, A (R-SITE-2). */
  limitA: number;
  /** Building current assumed without the balancer: one figure for every phase, or per phase. */
  buildingA: number | PerPhase<number>;
  chargePoints: readonly BudgetChargePoint[];
}

/** The fallback budget per phase (R-SEC-4). Pure and self-contained (see the module comment). */
export function fallbackBudget(input: BudgetInput): FallbackBudget {
  const r2 = (x: number) => Math.round(x * 100) / 100;
  const fmt = (x: number) => String(Math.round(x * 10) / 10);
  const chargers: Record<string, number> = {};
  for (const ph of input.phases) chargers[ph] = 0;
  for (const cp of input.chargePoints) {
    const mode = Number(cp.offline.mode);
    for (const p of cp.plugs) {
      const max = Math.max(0, Number(p.maxCurrentA) || 0);
      let a = 0;
      if (mode === 1) a = max;
      else if (mode === 2 || mode === 3) a = Math.min(Math.max(0, Number(cp.offline.currentA) || 0), max);
      const lines = p.lines && p.lines.length ? p.lines : p.phase === null ? [] : [p.phase];
      for (const ph of lines) if (ph in chargers) chargers[ph] += a;
    }
  }
  const phases: PerPhase<FallbackPhase> = {};
  const over: string[] = [];
  for (const ph of input.phases) {
    const b = typeof input.buildingA === 'number' ? input.buildingA : (input.buildingA[ph] ?? 0);
    const buildingA = r2(Math.max(0, b));
    const chargersA = r2(chargers[ph]);
    const totalA = r2(buildingA + chargersA);
    const limitA = r2(input.limitA);
    const overA = r2(Math.max(0, totalA - limitA));
    phases[ph] = { buildingA, chargersA, totalA, limitA, overA };
    if (overA > 0) over.push(`${ph}: ${fmt(totalA)} A`);
  }
  const ok = over.length === 0;
  return {
    ok,
    phases,
    warning: ok ? null : `fallback budget exceeded on ${over.join(', ')} if Node-RED stops (limit ${fmt(input.limitA)} A)`,
  };
}
