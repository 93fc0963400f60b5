import { strict as assert } from 'assert';
import * as core from '../../lib/core/balancer';
import { formatTable, runSite } from '../../tools/bench-site';
import { DEFAULT_PARAMS } from '../../lib/shared/params';

describe('tools/bench-site — returned current in virtual time (issue 13)', () => {
  it('300 plugs: after a building-load drop the waiting vehicles resume in batches, ≥ 95 % use within reaction delay + meter average window + 2 s (virtual time; old core: 93 s)', () => {
    const r = runSite(300, core);
    assert.ok(r.chargingAfter > r.chargingBefore + 50, `charging ${r.chargingBefore} → ${r.chargingAfter}`);
    const target = DEFAULT_PARAMS.reactionDelayS + DEFAULT_PARAMS.meterAverageS + 2;
    assert.ok(r.fillS !== null && r.fillS <= target, `≥ 95 % after ${r.fillS} s (target ${target} s)`);
  });

  it("30 plugs: back within the limit after a jump within one step + the vehicles' reaction delay (R-ALLOC-7, IEC 61851-1 ≤ 5 s); deterministic", () => {
    const r = runSite(30, core);
    assert.ok(r.backWithinS !== null && r.backWithinS <= 1 + 5, `within the limit after ${r.backWithinS} s`);
    assert.ok(r.peakOverA > 0, 'the jump really overloads the phase until the vehicles follow');
    const again = runSite(30, core);
    assert.deepEqual({ ...again, wallS: 0 }, { ...r, wallS: 0 });
    assert.match(formatTable([r], 'this build'), /30 +63\.0 A/);
  });

  it("30 plugs: the balancer's setpoints allow ≥ 95 % of the returned current within reaction delay + meter average window + 2 s; the vehicles' use follows (virtual time)", () => {
    const r = runSite(30, core);
    const target = DEFAULT_PARAMS.reactionDelayS + DEFAULT_PARAMS.meterAverageS + 2;
    assert.ok(r.allowS !== null && r.allowS <= target, `setpoints ≥ 95 % after ${r.allowS} s (target ${target} s)`);
    assert.ok(r.fillS !== null && r.fillS >= r.allowS, 'vehicles draw it after it is granted');
  });
});
