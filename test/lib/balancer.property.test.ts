/**
 * Property-based tests of the allocation core (issue 2): random sites and random event orders,
 * invariants asserted at every step (see test/support/scenario.ts for the driver and its checks).
 */
import { strict as assert } from 'assert';
import fc from 'fast-check';
import { chargePointOf, plugStatus } from '../../lib/core/state';
import { step } from '../../lib/core/balancer';
import { cpArb, evArb, paramsArb, reportOf, runScenario, type Stats } from '../support/scenario';

const EPS = 1e-6;

// ------------------------------------------------------------------------------------------

describe('lib/balancer — properties over random sites and event orders (R-ALLOC-9)', function () {
  this.timeout(600_000);
  const stats: Stats = { steps: 0, increases: 0, pauses: 0, resumes: 0, refusals: 0, quiet: 0 };

  it('small and mid sites: invariants (a)–(c), (f) hold at every step; states are never mutated', () => {
    const scenario = paramsArb.chain((params) =>
      fc.tuple(
        fc.constant(params),
        fc.array(cpArb(params.supplyPhases), { minLength: 1, maxLength: 14 }),
        fc.array(evArb, { minLength: 50, maxLength: 500, size: 'max' }),
      ),
    );
    fc.assert(
      fc.property(scenario, ([params, cps, events]) => {
        runScenario(params, cps, events, stats, { freeze: true });
      }),
      { numRuns: 450 },
    );
  });

  it('R-SITE-4: large sites (up to 1 000 plugs): the same invariants', () => {
    const scenario = paramsArb.chain((params) =>
      fc.tuple(
        fc.constant({ ...params, mccbA: params.mccbA * 10, contractedKW: params.contractedKW * 10 }),
        fc.array(cpArb(params.supplyPhases), { minLength: 100, maxLength: 500, size: 'max' }),
        fc.array(evArb, { minLength: 50, maxLength: 120, size: 'max' }),
      ),
    );
    fc.assert(
      fc.property(scenario, ([params, cps, events]) => {
        runScenario(params, cps, events, stats, { freeze: false });
      }),
      { numRuns: 6 },
    );
  });

  it('(e) determinism: the same inputs give the same outputs', () => {
    const scenario = paramsArb.chain((params) =>
      fc.tuple(
        fc.constant(params),
        fc.array(cpArb(params.supplyPhases), { minLength: 1, maxLength: 10 }),
        fc.array(evArb, { minLength: 20, maxLength: 200 }),
      ),
    );
    fc.assert(
      fc.property(scenario, ([params, cps, events]) => {
        const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));
        const a = runScenario(params, clone(cps), clone(events), stats, { freeze: false });
        const b = runScenario(params, clone(cps), clone(events), stats, { freeze: false });
        assert.deepEqual(a.outputs, b.outputs);
        assert.equal(JSON.stringify(a.state), JSON.stringify(b.state));
      }),
      { numRuns: 40 },
    );
  });

  it('(d) once settled, equal plugs of a group on a phase differ by at most the setpoint resolution', () => {
    const scenario = paramsArb.chain((params) =>
      fc.tuple(
        fc.constant(params),
        fc.array(cpArb(params.supplyPhases), { minLength: 1, maxLength: 10 }),
        fc.array(evArb, { minLength: 20, maxLength: 200 }),
      ),
    );
    fc.assert(
      fc.property(scenario, ([params, cps, events]) => {
        const { state: s0 } = runScenario(params, cps, events, stats, { freeze: false });
        // Settle: the same inputs, ticks only, until nothing changes for reaction delay + 1 s.
        let state = s0;
        let now = Math.max(...state.chargePoints.map((c) => c.lastReportAt), 0);
        let quiet = 0;
        for (let t = 0; t < 400 && quiet <= state.params.reactionDelayS + 1; t++) {
          now += 1000;
          const before = JSON.stringify(state.plugs.map((q) => q.setpointA));
          // keep the charge points alive as their devices would
          for (const cp of state.chargePoints) {
            if (!cp.online) continue;
            const r = step(state, { type: 'plug', plug: reportOf(state, cp.name, now) }, now);
            state = r.state;
          }
          state = step(state, { type: 'tick' }, now).state;
          quiet = JSON.stringify(state.plugs.map((q) => q.setpointA)) === before ? quiet + 1 : 0;
        }
        if (quiet <= state.params.reactionDelayS + 1) return; // still moving (retries, pauses): nothing to compare
        const p = state.params;
        const tol = Math.max(p.resolutionA, p.minIncreaseA) + EPS;
        const byGroup = new Map<string, { id: number; sp: number }[]>();
        for (const q of state.plugs) {
          if (q.setpointA <= 0 || q.released || !q.phase) continue;
          if (plugStatus(chargePointOf(state, q), q, p, now) !== 'CHARGING') continue;
          const g = `${q.phase}|${state.view.priorityActive && q.priority}|${q.maxCurrentA}`;
          if (!byGroup.has(g)) byGroup.set(g, []);
          byGroup.get(g)!.push({ id: q.id, sp: q.setpointA });
        }
        for (const [g, list] of byGroup) {
          const sps = list.map((x) => x.sp);
          assert.ok(Math.max(...sps) - Math.min(...sps) <= tol, `${g}: ${JSON.stringify(list)}`);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('made at least 100 000 generated steps, with pauses, resumes and refusals among them', () => {
    assert.ok(stats.steps >= 100_000, `${stats.steps} steps`);
    assert.ok(stats.pauses > 100 && stats.resumes > 100 && stats.refusals > 1000, JSON.stringify(stats));
    assert.ok(stats.quiet > 1000, `only ${stats.quiet} reports of measurements only`);
  });
});
