/**
 * Issue 12: a device that does not follow limits (an OCPP charger seen drawing above its profile,
 * or one without smart charging) is reserved at its plug maximum, so the promise holds with it.
 */
import { strict as assert } from 'assert';
import fc from 'fast-check';
import { findPlug } from '../../lib/core/state';
import { statusOf } from '../../lib/core/status';
import { Site } from '../support/site';

describe('lib/balancer — plugs that do not follow limits (issue 12)', () => {
  it('a connected plug with followsLimits: false is reserved at its maximum; the others share only the rest', () => {
    const site = new Site(); // working limit 45 A per phase
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C', maxCurrentA: 16, followsLimits: false }] });
    site.report({
      name: 'CP02',
      index: 2,
      plugs: [
        { letter: 'A', phase: 'L1', pilot: 'C' },
        { letter: 'B', phase: 'L1', pilot: 'C' },
      ],
    });
    site.run(30, [5, 0, 0]); // usable 40 A, 16 reserved → 24 A to share
    assert.equal(site.sp(1), 0, 'no setpoint for a plug that ignores it');
    assert.deepEqual(site.sps([3, 4]), [12, 12]);
    const st = statusOf(site.state, site.now);
    assert.equal(st.consumption.L1!.reservedA, 16);
    assert.match(st.plugs.find((p) => p.id === 1)!.reason ?? '', /does not follow limits/);
    // Unplugged (pilot A): nothing to reserve.
    site.plug('CP01', 'A', { pilot: 'A' });
    site.run(60, [5, 0, 0]);
    assert.deepEqual(site.sps([3, 4]), [20, 20]);
    // The flag goes when the device stops sending it.
    site.plug('CP01', 'A', { pilot: 'C', followsLimits: undefined });
    site.run(5, [5, 0, 0]);
    assert.equal(findPlug(site.state, 1)!.ignoresLimits, undefined);
  });

  it('offline, a plug that ignores limits is reserved at its maximum whatever the offline mode (vehicle or not)', () => {
    const site = new Site();
    site.report({
      name: 'CP01',
      index: 1,
      offline: { heartbeatS: 60, mode: 0, currentA: 8 },
      plugs: [{ letter: 'A', phase: 'L1', pilot: 'A', maxCurrentA: 16, followsLimits: false }],
    });
    site.report({ name: 'CP02', index: 2, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    site.run(10, [5, 0, 0]);
    site.report({ ...site.cps.get('CP01')!, online: false });
    site.run(5, [5, 0, 0]);
    assert.equal(statusOf(site.state, site.now).consumption.L1!.reservedA, 16, 'mode 0 would reserve nothing');
  });

  it('property: setpoints of obedient plugs + maxima of connected disobedient plugs stay within the working limit on every phase', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            bad: fc.boolean(),
            max: fc.integer({ min: 6, max: 32 }),
            phase: fc.constantFrom('L1', 'L2', 'L3') as fc.Arbitrary<'L1' | 'L2' | 'L3'>,
          }),
          { minLength: 1, maxLength: 8 },
        ),
        fc.integer({ min: 0, max: 40 }),
        (plugs, building) => {
          const site = new Site();
          plugs.forEach((p, k) =>
            site.report({
              name: `CP${k + 1}`,
              index: k + 1,
              plugs: [{ letter: 'A', phase: p.phase, pilot: 'C', maxCurrentA: p.max, followsLimits: p.bad ? false : undefined }],
            }),
          );
          site.run(40, [building, building, building]);
          for (const ph of ['L1', 'L2', 'L3'] as const) {
            let sum = building;
            plugs.forEach((p, k) => {
              if (p.phase === ph) sum += p.bad ? p.max : site.sp(2 * (k + 1) - 1);
            });
            // A disobedient plug alone may exceed the limit (nothing can stop it): then nobody else gets current.
            const badSum = building + plugs.filter((p) => p.phase === ph && p.bad).reduce((a, p) => a + p.max, 0);
            if (badSum <= 45) assert.ok(sum <= 45 + 1e-9, `phase ${ph}: ${sum} A > 45 A`);
            else
              plugs.forEach((p, k) => {
                if (p.phase === ph && !p.bad) assert.equal(site.sp(2 * (k + 1) - 1), 0);
              });
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
