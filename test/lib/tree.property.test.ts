/**
 * Property tests of the real site model (issue 11, SPEC §10): random mixed sites (single- and
 * three-phase plugs, random rotations, vehicles drawing on some of their phases) on random trees
 * of boards (depth ≤ 4, own margins, sub-meters), random event orders. At every step, on every
 * board and every line: setpoints (and, whenever a plug may draw more, everything that may be
 * drawn) + non-EV load + reservations ≤ the board's working limit (R-ALLOC-9, R-CIRC-1); a vehicle
 * is counted on every line it draws on (R-3PH-3); offline chargers are reserved on each of their
 * lines on every board above them (R-OFF-3). See test/support/tree-scenario.ts.
 */
import { strict as assert } from 'assert';
import fc from 'fast-check';
import { boardsArb, runTreeScenario, treeCpArb, treeEvArb, treeParamsArb, type TreeStats } from '../support/tree-scenario';

describe('lib/balancer — properties over random mixed sites and board trees (R-3PH-1..4, R-CIRC-1, R-UNB-1)', function () {
  this.timeout(600_000);
  const stats: TreeStats = { steps: 0, boards: 0, threePhasePlugs: 0, partialDraws: 0, trimmedSpread: 0, quiet: 0 };

  it('R-ALLOC-9 on every board and line, at every step, over random trees (depth ≤ 4) and mixed plugs', () => {
    const scenario = fc.tuple(
      treeParamsArb,
      boardsArb,
      fc.array(treeCpArb, { minLength: 1, maxLength: 14 }),
      fc.array(treeEvArb, { minLength: 50, maxLength: 500, size: 'max' }),
    );
    fc.assert(
      fc.property(scenario, ([params, boards, cps, events]) => {
        runTreeScenario(params, boards, cps, events, stats);
      }),
      { numRuns: 420 },
    );
  });

  it('R-SITE-4 with R-CIRC-1: large mixed sites (up to 1 000 plugs) on random trees: the same invariants', () => {
    const scenario = fc.tuple(
      treeParamsArb.map((p) => ({ ...p, mccbA: p.mccbA * 10, contractedKW: p.contractedKW * 10 })),
      boardsArb.map((bs) => bs.map((b) => ({ ...b, limitA: b.limitA * 8 }))),
      fc.array(treeCpArb, { minLength: 100, maxLength: 500, size: 'max' }),
      fc.array(treeEvArb, { minLength: 50, maxLength: 120, size: 'max' }),
    );
    fc.assert(
      fc.property(scenario, ([params, boards, cps, events]) => {
        runTreeScenario(params, boards, cps, events, stats);
      }),
      { numRuns: 5 },
    );
  });

  it('made at least 100 000 generated steps, with boards, three-phase plugs and partial draws among them', () => {
    assert.ok(stats.steps >= 100_000, `only ${stats.steps} steps`);
    assert.ok(stats.boards > 500, `only ${stats.boards} boards`);
    assert.ok(stats.threePhasePlugs > 1000, `only ${stats.threePhasePlugs} three-phase plugs`);
    assert.ok(stats.partialDraws > 1000, `only ${stats.partialDraws} steps with a vehicle counted on fewer lines`);
    assert.ok(stats.quiet > 1000, `only ${stats.quiet} reports of measurements only`);
  });
});
