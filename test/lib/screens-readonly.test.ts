/**
 * Issue 13: dashboard widgets joined to a balancer share one status object (nodes/common/status-bus,
 * no copy per widget), so no screen may change it. Every screen of both widget families
 * (lib/dashboard/screens.ts) and the power history run on a deep-frozen status of a busy site —
 * boards, a three-phase plug, priority, sessions open and closed — and leave it as it was.
 */
import { strict as assert } from 'assert';
import { SCREENS, type ScreenKey } from '../../lib/dashboard/screens';
import { addPowerSample, emptyPowerHistory } from '../../lib/dashboard/dashboard';
import { statusOf } from '../../lib/core/status';
import type { StatusMessage } from '../../lib/shared/types';
import { Site } from '../support/site';

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}

function busyStatus(): StatusMessage {
  const site = new Site({ mccbA: 63, contractedKW: 40 }, Date.UTC(2026, 0, 15, 9, 30, 0), [
    { name: 'Garage', parent: 'site', limitA: 32, marginPct: null, hasMeter: true, otherLoadA: 0 },
  ]);
  site.meter([12, 9, 15]);
  site.meter([3, 2, 4], 'Garage');
  site.report({
    name: 'CP01',
    index: 1,
    board: 'Garage',
    plugs: [
      { letter: 'A', phase: null, phases: 3, pilot: 'C', measuredA: 10, phaseCurrentsA: [10, 0, 0], plate: '1234-ABC' },
      { letter: 'B', phase: 'L2', pilot: 'C', priority: true, measuredA: 16 },
    ],
  });
  site.report({ name: 'CP02', index: 2, plugs: [{ letter: 'A', phase: 'L3', pilot: 'B' }] });
  site.run(40, [12, 9, 15]);
  site.plug('CP02', 'A', { pilot: 'A' }); // a session closes
  site.run(2, [12, 9, 15]);
  return statusOf(site.state, site.now);
}

describe('dashboard screens leave the shared status as it was (issue 13: joined widgets)', () => {
  it('every screen view and status text, and the power history, on a deep-frozen status', () => {
    const status = busyStatus();
    assert.ok(status.plugs.length === 3 && (status.boards ?? []).length === 2 && status.transactions.length >= 1, 'a busy site');
    const before = JSON.stringify(status);
    deepFreeze(status);
    for (const key of Object.keys(SCREENS) as ScreenKey[]) {
      const screen = SCREENS[key];
      for (const config of [{}, { maxRows: 1, csvUrl: '/x.csv' }]) {
        const view = screen.view(status, { config, history: emptyPowerHistory() });
        assert.equal(typeof view, 'object', key);
      }
      assert.equal(typeof screen.statusText(status), 'string', key);
    }
    const h = addPowerSample(emptyPowerHistory(), status.power, status.timestamp);
    assert.notEqual(h, null);
    assert.equal(JSON.stringify(status), before, 'the status is unchanged');
  });
});
