/**
 * Issue 9 item 8: a restart keeps the balancer's decisions; a genuine outage of a mode-3 charger
 * does not turn the plugs it started on its own into running transactions. Time is an argument.
 */
import { strict as assert } from 'assert';
import { effectiveA, findChargePoint, findPlug, plugStatus, type BalancerState } from '../../lib/core/state';
import type { PlugMessage } from '../../lib/shared/types';
import { Site, plugMsg, type CpSpec } from '../support/site';

const CP01: CpSpec = {
  name: 'CP01',
  index: 1,
  offline: { heartbeatS: 3600, mode: 3, currentA: 8 },
  plugs: [
    { letter: 'A', phase: 'L1', pilot: 'C', measuredA: 8 },
    { letter: 'B', phase: 'L1', pilot: 'C', measuredA: 8 },
  ],
};
const CP02: CpSpec = {
  name: 'CP02',
  index: 2,
  offline: { heartbeatS: 3600, mode: 3, currentA: 8 },
  plugs: [
    { letter: 'A', phase: 'L1', pilot: 'C', measuredA: 8 },
    { letter: 'B', phase: 'L1', pilot: 'C', measuredA: 8 },
  ],
};

/**
 * Four plugs on L1 (working limit 45 A), all mode 3. Building 15 A → 30 A usable < 4 × 8: plug 4
 * (CP02 B, the highest id) is paused; then the building drops to 5 A, but the minimum pause keeps it paused.
 */
function pausedSite(heartbeatS: number, minPauseS = 3600): Site {
  const site = new Site({ minPauseS });
  for (const cp of [CP01, CP02]) site.report({ ...cp, offline: { ...cp.offline!, heartbeatS } });
  site.run(20, [5, 0, 0]);
  assert.deepEqual(site.sps([1, 2, 3, 4]), [10, 10, 10, 10]);
  site.run(10, [15, 0, 0]);
  assert.deepEqual(site.sps([1, 2, 3, 4]), [10, 10, 10, 0]);
  site.run(60, [5, 0, 0]);
  assert.equal(site.sp(4), 0, 'the minimum pause holds plug 4');
  assert.ok(site.sps([1, 2, 3]).every((a) => a > 10));
  return site;
}

/** What the charge-point node announces at start: nothing heard yet (docs/messages.md "At start"). */
function announcement(cp: CpSpec, now: number): PlugMessage {
  const m = plugMsg({ ...cp, online: false, plugs: cp.plugs.map((p) => ({ ...p, pilot: 'A', measuredA: 0 })) }, now);
  return { ...m, reported: false };
}

const status = (site: Site, id: number) => {
  const p = findPlug(site.state, id)!;
  return plugStatus(findChargePoint(site.state, p.chargePoint)!, p, site.state.params, site.now);
};

/** A stop and start of Node-RED: the stored state comes back as JSON after `s` seconds. */
function restart(site: Site, s: number): void {
  site.state = JSON.parse(JSON.stringify(site.state)) as BalancerState;
  site.now += s * 1000;
}

describe('lib/balancer — a restart keeps decisions (issue 9 item 8)', () => {
  it('issue 9 item 8: after a 3 s restart (heartbeat 3600 s) a plug paused with a 3600 s minimum pause stays PAUSED when its mode-3 charger reports', () => {
    const site = pausedSite(3600);
    const before = site.sps([1, 2, 3]);
    const pausedAt = findPlug(site.state, 4)!.pausedAt;
    restart(site, 3);
    site.apply({ type: 'plug', plug: announcement(CP01, site.now) });
    site.apply({ type: 'plug', plug: announcement(CP02, site.now) });
    assert.equal(status(site, 4), 'PAUSED', 'the announcement is not an outage');
    assert.deepEqual(site.state.view.reservedA, [0, 0, 0], 'nothing reserved as if the chargers had fallen back');
    site.meter([5, 0, 0]);
    site.now += 1;
    site.report(CP01);
    site.report(CP02); // the device: plug B still connected, pilot C
    assert.equal(site.sp(4), 0);
    assert.equal(status(site, 4), 'PAUSED');
    assert.equal(findPlug(site.state, 4)!.pausedAt, pausedAt, 'the minimum pause still counts from the original pause');
    assert.deepEqual(site.sps([1, 2, 3]), before, 'the charging plugs keep their setpoints (nobody paused by a reservation)');
    site.run(600, [5, 0, 0]);
    assert.equal(site.sp(4), 0, 'still within its 3600 s minimum pause');
  });

  it("issue 9 item 8: the announcement re-sends the last setpoints at once (refreshing the device's heartbeat)", () => {
    const site = pausedSite(3600);
    restart(site, 3);
    site.sent = [];
    site.apply({ type: 'plug', plug: announcement(CP02, site.now) });
    const to02 = site.sent.filter((m) => m.chargePoint === 'CP02');
    assert.equal(to02.length, 1);
    assert.deepEqual(to02[0].plugs, { A: site.sp(3), B: 0 });
  });

  it('issue 9 item 8: a charger that never reports after the restart turns OFFLINE once its real silence exceeds its heartbeat', () => {
    const site = pausedSite(120);
    site.reportEveryS = 0;
    const lastReport = findChargePoint(site.state, 'CP02')!.lastReportAt;
    restart(site, 3);
    const cp01 = site.cps.get('CP01')!;
    site.apply({ type: 'plug', plug: announcement(site.cps.get('CP02')!, site.now) });
    site.report(cp01);
    assert.equal(status(site, 4), 'PAUSED');
    while (site.now - lastReport <= 120_000) {
      assert.notEqual(status(site, 3), 'OFFLINE');
      site.run(1, [5, 0, 0]);
      site.report(cp01);
    }
    assert.equal(status(site, 3), 'OFFLINE');
    assert.equal(status(site, 4), 'OFFLINE');
    assert.ok(site.state.view.reservedA[0] >= 16, `mode 3 reserves at least 2 × 8 A, got ${site.state.view.reservedA[0]}`);
  });

  it('a charge point the balancer does not know yet (or already counts as offline) is still reserved by its mode at start (R-OFF-3)', () => {
    const site = new Site();
    site.apply({ type: 'plug', plug: announcement(CP02, site.now) });
    assert.equal(site.state.view.reservedA[0], 16);
  });
});

describe('lib/balancer — a genuine mode-3 outage (issue 9 item 8 decision)', () => {
  it('a plug the balancer had paused, started by the charger on its own while it was silent, is a new transaction: back to 0 A, waits its turn', () => {
    const site = pausedSite(120, 600);
    site.reportEveryS = 0;
    const cp01 = site.cps.get('CP01')!;
    const cp02 = site.cps.get('CP02')!;
    site.report({ ...cp02, online: false }); // the charge-point node: device silent for its heartbeat
    for (let i = 0; i < 200; i++) {
      site.run(1, [5, 0, 0]);
      if (i % 20 === 0) site.report(cp01);
    }
    // The charger fell back to mode 3: plug 3 continues at 8 A, plug 4 started at 8 A on its own.
    site.report({
      ...cp02,
      plugs: [
        { letter: 'A', phase: 'L1', pilot: 'C', measuredA: 8 },
        { letter: 'B', phase: 'L1', pilot: 'C', measuredA: 8 },
      ],
    });
    assert.equal(site.sp(4), 0, 'not a continuing transaction');
    assert.equal(status(site, 4), 'PAUSED');
    assert.equal(effectiveA(findPlug(site.state, 4)!, site.now), 8, 'counted at the 8 A it may still draw for the reaction delay');
    assert.ok(site.sp(3) >= 8, 'plug 3 was charging: it continues');
    assert.deepEqual(site.last.setpoints.find((m) => m.chargePoint === 'CP02')?.plugs.B, 0, 'told to stop at once');
    // It starts again only through the resume rules: once its minimum pause (600 s) is over.
    const pausedAt = findPlug(site.state, 4)!.pausedAt!;
    while (site.now - pausedAt < 600_000 - 1000) {
      site.run(1, [5, 0, 0]);
      if ((site.now / 1000) % 20 === 0) {
        site.report(cp01);
        site.report(site.cps.get('CP02')!);
      }
      assert.equal(site.sp(4), 0);
    }
    site.run(30, [5, 0, 0]);
    assert.ok(site.sp(4) >= 8, 'resumed after its minimum pause');
  });
});
