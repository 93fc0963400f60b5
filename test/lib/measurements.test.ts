/**
 * Issue 13: a plug report that brings new measurements only (measured current, energy, per-phase
 * currents) changes no decision at once: the step stores them and does not re-allocate; the next
 * meter reading or tick (the node ticks every second) allocates with them. Every plug change —
 * pilot, fault, configuration, a device that stops following limits, the lines a vehicle is counted
 * on, a charge point that comes back — allocates at once, as before (SPEC §4 "on every plug change").
 *
 * Site: 230 V three-phase, MCCB 100 A, 100 kW (I_limit 100 A, working 90 A), I_min 8 A, every plug 32 A.
 */
import { strict as assert } from 'assert';
import { statusOf } from '../../lib/core/status';
import { findPlug } from '../../lib/core/state';
import type { SiteParams } from '../../lib/shared/types';
import { Site, type CpSpec, type PlugSpec } from '../support/site';

const BIG: Partial<SiteParams> = { mccbA: 100, contractedKW: 100 };

function charging(params: Partial<SiteParams> = {}): Site {
  const site = new Site({ ...BIG, ...params });
  site.reportEveryS = 0;
  site.meter([10, 10, 10]);
  site.report({
    name: 'CP01',
    index: 1,
    plugs: [
      { letter: 'A', phase: 'L1', pilot: 'C', measuredA: 32 },
      { letter: 'B', phase: 'L1', pilot: 'C', measuredA: 32 },
    ],
  });
  site.run(10, [10, 10, 10]);
  return site;
}

describe('lib/balancer — reports of measurements only (issue 13)', () => {
  it('a report with new measurements only: stored, no setpoints, the same decisions and view; the next tick allocates', () => {
    const site = charging();
    assert.deepEqual(site.sps([1, 2]), [32, 32]);
    const before = site.state;
    site.now += 400;
    const r = site.plug('CP01', 'A', { measuredA: 20.5, energyWh: 1234 });
    assert.equal(r.allocated, false);
    assert.deepEqual(r.setpoints, []);
    assert.equal(site.state.view, before.view, 'the view of the last allocation');
    const p = findPlug(site.state, 1)!;
    assert.equal(p.measuredA, 20.5);
    assert.equal(p.energyWh, 1234);
    assert.equal(p.setpointA, 32);
    // The status shows the new measurement at once (it reads the state).
    assert.equal(statusOf(site.state, site.now).plugs.find((x) => x.id === 1)!.measuredA, 20.5);
    // The input state is untouched (a pure step).
    assert.equal(findPlug(before, 1)!.measuredA, 32);
    site.now += 600;
    const t = site.apply({ type: 'tick' });
    assert.equal(t.allocated, true);
    assert.notEqual(site.state.view, before.view);
  });

  it('R-MTR-2: a grid-position meter takes the EV current the charge points last reported, also from reports that did not allocate', () => {
    // Grid meter reads building + EVs. The plugs last reported 20 A and 12 A on L1: building L1 = 62 − 32 = 30 A.
    const site = charging({ meterPosition: 'grid', meterAverageS: 1 });
    site.now += 500;
    assert.equal(site.plug('CP01', 'A', { measuredA: 20 }).allocated, false);
    assert.equal(site.plug('CP01', 'B', { measuredA: 12 }).allocated, false);
    site.now += 500;
    site.meter([62, 10, 10]);
    assert.equal(site.state.view.buildingA[0], 30);
  });

  const changes: [string, Partial<PlugSpec> | ((cp: CpSpec) => CpSpec)][] = [
    ['pilot C → B', { pilot: 'B' }],
    ['pilot C → A (vehicle leaves)', { pilot: 'A', measuredA: 0 }],
    ['a fault', { fault: 'RCD tripped' }],
    ['maximum 32 → 16 A', { maxCurrentA: 16 }],
    ['priority', { priority: true }],
    ['phase L1 → L2', { phase: 'L2' }],
    ['a new plate', { plate: '1234-ABC' }],
    ['the device stops following limits', { followsLimits: false }],
    ['three-phase', { phases: 3 }],
    ['charge point disabled', (cp) => ({ ...cp, enabled: false })],
    ['charge point offline', (cp) => ({ ...cp, online: false })],
    ['another offline mode', (cp) => ({ ...cp, offline: { heartbeatS: 60, mode: 2, currentA: 10 } })],
    ['another rotation', (cp) => ({ ...cp, rotation: 'STR' })],
    ['a plug removed', (cp) => ({ ...cp, plugs: cp.plugs.slice(0, 1) })],
  ];
  for (const [what, change] of changes) {
    it(`every plug change allocates at once: ${what}`, () => {
      const site = charging();
      site.now += 300;
      const cp = site.cps.get('CP01')!;
      const next =
        typeof change === 'function'
          ? change(cp)
          : { ...cp, plugs: cp.plugs.map((p) => (p.letter === 'A' ? { ...p, ...change, measuredA: 25 } : p)) };
      const r = site.report(next);
      assert.equal(r.allocated, true, what);
    });
  }

  it('a charge point that comes back after a silence longer than its heartbeat allocates at once, with the same report (R-OFF-2)', () => {
    const site = charging();
    const cp = site.cps.get('CP01')!;
    site.run(125, [10, 10, 10]); // default heartbeat 120 s: OFFLINE
    assert.equal(statusOf(site.state, site.now).plugs.find((x) => x.id === 1)!.status, 'OFFLINE');
    const r = site.report(cp);
    assert.equal(r.allocated, true);
    assert.equal(statusOf(site.state, site.now).plugs.find((x) => x.id === 1)!.status, 'CHARGING');
  });

  it('R-3PH-3: a single-phase vehicle counted on one line that draws on a second line is counted there in the same step', () => {
    const site = new Site({ ...BIG, phaseSettleS: 30 });
    site.reportEveryS = 0;
    site.meter([10, 10, 10]);
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: null, phases: 3, pilot: 'C', phaseCurrentsA: [16, 0, 0] }] });
    site.run(35, [10, 10, 10]);
    // The same draw again: measurements only (the detection is settled), no allocation.
    assert.equal(site.plug('CP01', 'A', { phaseCurrentsA: [15.5, 0.2, 0] }).allocated, false);
    assert.deepEqual(findPlug(site.state, 1)!.drawLines, ['L1']);
    // It draws on L2 now: counted on every line again at once.
    const r = site.plug('CP01', 'A', { phaseCurrentsA: [16, 16, 0] });
    assert.equal(r.allocated, true);
    assert.equal(findPlug(site.state, 1)!.drawLines, null);
  });

  it('the first report of a charge point allocates', () => {
    const site = new Site(BIG);
    site.meter([10, 10, 10]);
    assert.equal(site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] }).allocated, true);
  });
});
