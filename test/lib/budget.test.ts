import { strict as assert } from 'assert';
import { fallbackBudget, type BudgetChargePoint } from '../../lib/core/budget';
import { DEFAULT_PARAMS } from '../../lib/shared/params';
import { fallbackOf, statusOf } from '../../lib/core/status';
import { consumptionView } from '../../lib/dashboard/dashboard';
import type { OfflineMode, Phase } from '../../lib/shared/types';
import { Site, manualSite } from '../support/site';

/** The manual's site as budget charge points: every charge point on one offline mode, except `keep`. */
function exampleChargePoints(mode: (name: string) => OfflineMode, currentA = 8): BudgetChargePoint[] {
  return manualSite().map((cp) => ({
    name: cp.name,
    offline: { mode: mode(cp.name), currentA },
    plugs: cp.plugs.map((p) => ({ phase: p.phase, maxCurrentA: 32 })),
  }));
}
const PHASES3: Phase[] = ['L1', 'L2', 'L3'];

describe('lib/budget — the fallback budget (R-SEC-4, issue 9 item 6)', () => {
  it('issue 9 item 6: the example site on mode 3 / 8 A everywhere → L1 25 A + 9 × 8 A = 97 A against 50 A', () => {
    const b = fallbackBudget({ phases: PHASES3, limitA: 50, buildingA: 25, chargePoints: exampleChargePoints(() => 3) });
    assert.deepEqual(b.phases.L1, { buildingA: 25, chargersA: 72, totalA: 97, limitA: 50, overA: 47 });
    assert.deepEqual(b.phases.L2, { buildingA: 25, chargersA: 64, totalA: 89, limitA: 50, overA: 39 }); // 8 plugs
    assert.deepEqual(b.phases.L3, { buildingA: 25, chargersA: 56, totalA: 81, limitA: 50, overA: 31 }); // 7 plugs
    assert.equal(b.ok, false);
    assert.equal(b.warning, 'fallback budget exceeded on L1: 97 A, L2: 89 A, L3: 81 A if Node-RED stops (limit 50 A)');
  });

  it('the example site as shipped: CP01, CP06, CP11 on mode 3 / 8 A, the others mode 0 → 25 + 2 × 8 = 41 A per phase, ok', () => {
    const prio = new Set(['CP01', 'CP06', 'CP11']);
    const b = fallbackBudget({
      phases: PHASES3,
      limitA: 50,
      buildingA: 25,
      chargePoints: exampleChargePoints((n) => (prio.has(n) ? 3 : 0)),
    });
    for (const ph of PHASES3) assert.deepEqual(b.phases[ph], { buildingA: 25, chargersA: 16, totalA: 41, limitA: 50, overA: 0 });
    assert.equal(b.ok, true);
    assert.equal(b.warning, null);
  });

  it('R-OFF-1 per mode: 0 nothing, 1 the plug maximum, 2 and 3 the offline current capped at the plug maximum', () => {
    const cp = (mode: OfflineMode, currentA: number, max: number[]): BudgetChargePoint => ({
      name: `m${mode}`,
      offline: { mode, currentA },
      plugs: max.map((m) => ({ phase: 'L1' as Phase, maxCurrentA: m })),
    });
    const one = (c: BudgetChargePoint) =>
      fallbackBudget({ phases: ['L1'], limitA: 1000, buildingA: 0, chargePoints: [c] }).phases.L1!.chargersA;
    assert.equal(one(cp(0, 8, [32, 32])), 0);
    assert.equal(one(cp(1, 8, [32, 16])), 48);
    assert.equal(one(cp(2, 10, [32, 6])), 16); // 10 + min(10, 6)
    assert.equal(one(cp(3, 20, [32, 16])), 36); // 20 + min(20, 16)
  });

  it('R-3PH-1 with R-SEC-4: a three-phase plug counts its offline current on each of its lines; the balancer passes the lines on', () => {
    const b = fallbackBudget({
      phases: PHASES3,
      limitA: 50,
      buildingA: 10,
      chargePoints: [
        { name: 'T', offline: { mode: 3, currentA: 16 }, plugs: [{ phase: 'L2', maxCurrentA: 32, lines: ['L2', 'L3', 'L1'] }] },
        { name: 'S', offline: { mode: 3, currentA: 16 }, plugs: [{ phase: 'L2', maxCurrentA: 32 }] },
      ],
    });
    // L1 and L3: 10 + 16; L2: 10 + 16 + 16.
    assert.deepEqual([b.phases.L1!.totalA, b.phases.L2!.totalA, b.phases.L3!.totalA], [26, 42, 26]);
    const site = new Site();
    site.report({
      name: 'CP01',
      index: 1,
      rotation: 'STR',
      offline: { heartbeatS: 60, mode: 3, currentA: 10 },
      plugs: [{ letter: 'A', phase: null, phases: 3 }],
    });
    const f = fallbackOf(site.state, 0);
    assert.deepEqual([f.phases.L1!.chargersA, f.phases.L2!.chargersA, f.phases.L3!.chargersA], [10, 10, 10]);
  });

  it('compares with I_limit itself (not the working limit): exactly at the limit is ok, 0.5 A over is not', () => {
    const cps: BudgetChargePoint[] = [
      {
        name: 'CP01',
        offline: { mode: 3, currentA: 8 },
        plugs: [
          { phase: 'L1', maxCurrentA: 32 },
          { phase: 'L1', maxCurrentA: 32 },
        ],
      },
    ];
    assert.equal(fallbackBudget({ phases: ['L1'], limitA: 50, buildingA: 34, chargePoints: cps }).ok, true); // 34 + 16 = 50
    const b = fallbackBudget({ phases: ['L1'], limitA: 50, buildingA: 34.5, chargePoints: cps });
    assert.equal(b.ok, false);
    assert.equal(b.phases.L1!.overA, 0.5);
    assert.equal(b.warning, 'fallback budget exceeded on L1: 50.5 A if Node-RED stops (limit 50 A)');
  });

  it('plugs without a phase or on a phase the supply lacks draw nothing; the building may be given per phase', () => {
    const cps: BudgetChargePoint[] = [
      {
        name: 'CP01',
        offline: { mode: 1, currentA: 8 },
        plugs: [
          { phase: null, maxCurrentA: 32 },
          { phase: 'L2', maxCurrentA: 32 },
        ],
      },
    ];
    const single = fallbackBudget({ phases: ['L1'], limitA: 40, buildingA: { L1: 12 }, chargePoints: cps });
    assert.deepEqual(Object.keys(single.phases), ['L1']);
    assert.deepEqual(single.phases.L1, { buildingA: 12, chargersA: 0, totalA: 12, limitA: 40, overA: 0 });
    const three = fallbackBudget({ phases: PHASES3, limitA: 40, buildingA: { L1: 1, L2: 10, L3: 3 }, chargePoints: cps });
    assert.equal(three.phases.L2!.totalA, 42);
    assert.equal(three.warning, 'fallback budget exceeded on L2: 42 A if Node-RED stops (limit 40 A)');
  });

  it('the function shipped to the editor is self-contained: its source alone computes the same figures', () => {
    // tools/copy-assets.js injects fallbackBudget.toString() into dlm-balancer.html.
    const copy = new Function(`return (${fallbackBudget.toString()});`)() as typeof fallbackBudget;
    const input = { phases: PHASES3, limitA: 50, buildingA: 25, chargePoints: exampleChargePoints(() => 3) };
    assert.deepEqual(copy(input), fallbackBudget(input));
  });

  describe('as the balancer knows the site (lib/status fallbackOf, status.fallback)', () => {
    function siteWith(mode: (name: string) => OfflineMode, params = {}): Site {
      const site = new Site(params);
      for (const cp of manualSite()) site.report({ ...cp, offline: { heartbeatS: 120, mode: mode(cp.name), currentA: 8 } });
      return site;
    }

    it('R-SEC-4: status.fallback carries the budget of every charge point that announced itself (building = analyser offline current)', () => {
      const site = siteWith(() => 3);
      const s = statusOf(site.state, site.now);
      assert.equal(DEFAULT_PARAMS.meterOfflineCurrentA, 25);
      assert.deepEqual(s.fallback.phases.L1, { buildingA: 25, chargersA: 72, totalA: 97, limitA: 50, overA: 47 });
      assert.equal(s.fallback.ok, false);
      assert.match(s.fallback.warning!, /^fallback budget exceeded on L1: 97 A, L2: 89 A, L3: 81 A if Node-RED stops \(limit 50 A\)$/);
    });

    it('R-MTR-3: with the analyser disabled the building counts 0 A (supply dedicated to EVs)', () => {
      const site = siteWith(() => 3, { analyserEnabled: false });
      assert.deepEqual(fallbackOf(site.state).phases.L1, { buildingA: 0, chargersA: 72, totalA: 72, limitA: 50, overA: 22 });
    });

    it('a disabled charge point still counts: the device runs its offline mode whatever Node-RED calls it', () => {
      const site = siteWith(() => 0);
      site.report({
        name: 'CP03',
        index: 3,
        enabled: false,
        offline: { heartbeatS: 120, mode: 1, currentA: 8 },
        plugs: [
          { letter: 'A', phase: 'L1' },
          { letter: 'B', phase: 'L1' },
        ],
      });
      assert.equal(fallbackOf(site.state).phases.L1!.chargersA, 64);
    });

    it('the dashboard consumption panel (lib/dashboard consumptionView) shows the warning and the figure per phase', () => {
      const over = consumptionView(statusOf(siteWith(() => 3).state, 0));
      assert.equal(over.fallbackWarning, 'fallback budget exceeded on L1: 97 A, L2: 89 A, L3: 81 A if Node-RED stops (limit 50 A)');
      assert.deepEqual(over.rows.find((r) => r.label === 'IF NODE-RED STOPS (A)')!.cells, ['97', '89', '81']);
      const prio = new Set(['CP01', 'CP06', 'CP11']);
      const fine = consumptionView(statusOf(siteWith((n) => (prio.has(n) ? 3 : 0)).state, 0));
      assert.equal(fine.fallbackWarning, null);
      assert.deepEqual(fine.rows.find((r) => r.label === 'IF NODE-RED STOPS (A)')!.cells, ['41', '41', '41']);
    });

    it('the consumption panel tolerates a status without (or with a malformed) fallback field: no row, no warning, no throw', () => {
      const s = statusOf(siteWith(() => 3).state, 0);
      const { fallback: _drop, ...older } = s;
      const v = consumptionView(older as typeof s);
      assert.equal(v.fallbackWarning, null);
      assert.equal(
        v.rows.some((r) => r.label === 'IF NODE-RED STOPS (A)'),
        false,
      );
      const odd = consumptionView({ ...s, fallback: { ok: false, phases: { L1: { totalA: 'x' } }, warning: 'w'.repeat(5000) } } as any);
      assert.deepEqual(odd.rows.find((r) => r.label === 'IF NODE-RED STOPS (A)')!.cells, ['-', '-', '-']);
      assert.equal(odd.fallbackWarning!.length, 200);
    });
  });
});
