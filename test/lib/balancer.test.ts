import { strict as assert } from 'assert';
import { effectiveA, findChargePoint, findPlug, plugStatus } from '../../lib/core/state';
import { initialState, step } from '../../lib/core/balancer';
import { restoreProblem } from '../../lib/core/restore';
import { loadRow } from '../../lib/core/loadstate';
import { DEFAULT_PARAMS } from '../../lib/shared/params';
import { statusOf } from '../../lib/core/status';
import { Site, plugMsg, type CpSpec } from '../support/site';

/** Two dual charge points on L1: plugs 1, 2 (CP01) and 3, 4 (CP02). */
function fourPlugsL1(site: Site, pilot: 'C' | 'A' = 'C'): void {
  site.report({
    name: 'CP01',
    index: 1,
    plugs: [
      { letter: 'A', phase: 'L1', pilot },
      { letter: 'B', phase: 'L1', pilot },
    ],
  });
  site.report({
    name: 'CP02',
    index: 2,
    plugs: [
      { letter: 'A', phase: 'L1', pilot },
      { letter: 'B', phase: 'L1', pilot },
    ],
  });
}

/** Records which plugs went from 0 to >0 (resumes) and >0 to 0 (pauses), step by step. */
function watch(site: Site, ids: number[], run: () => void): { resumed: number[][]; paused: number[][] } {
  const resumed: number[][] = [];
  const paused: number[][] = [];
  const orig = site.apply.bind(site);
  site.apply = (e) => {
    const before = site.sps(ids);
    const r = orig(e);
    const after = site.sps(ids);
    const up = ids.filter((_, k) => before[k] === 0 && after[k] > 0);
    const down = ids.filter((_, k) => before[k] > 0 && after[k] === 0);
    if (up.length) resumed.push(up);
    if (down.length) paused.push(down);
    return r;
  };
  try {
    run();
  } finally {
    site.apply = orig;
  }
  return { resumed, paused };
}

describe("lib/balancer — the manual's worked examples", () => {
  it('case A (R-ALLOC-4): plugs 1..4 charging, current runs short → 4 pauses, then 3, then 2; 1 keeps charging', () => {
    const site = new Site(); // MCCB 50 A, 36 kW → 50 A; 10 % margin → 45 A working limit
    fourPlugsL1(site);
    site.run(30, [5, 0, 0]); // usable 40 A
    assert.deepEqual(site.sps([1, 2, 3, 4]), [10, 10, 10, 10]);
    const seen = watch(site, [1, 2, 3, 4], () => {
      site.run(3, [15, 0, 0]); // usable 30 A < 4 × 8
      assert.deepEqual(site.sps([1, 2, 3, 4]), [10, 10, 10, 0]);
      site.run(3, [25, 0, 0]); // usable 20 A < 3 × 8
      assert.deepEqual(site.sps([1, 2, 3, 4]), [10, 10, 0, 0]);
      site.run(3, [33, 0, 0]); // usable 12 A < 2 × 8
      assert.deepEqual(site.sps([1, 2, 3, 4]), [10, 0, 0, 0]);
      site.run(3, [33, 0, 0]); // once plug 2 has had 5 s to stop, plug 1 may take its part
      assert.deepEqual(site.sps([1, 2, 3, 4]), [12, 0, 0, 0]);
    });
    assert.deepEqual(seen.paused, [[4], [3], [2]]);
    assert.equal(plugStatus(findChargePoint(site.state, 'CP02')!, findPlug(site.state, 4)!, site.state.params, site.now), 'PAUSED');
  });

  it('case B (R-ALLOC-5): as current comes back, paused plugs resume 2, then 3, then 4', () => {
    const site = new Site();
    fourPlugsL1(site);
    site.run(30, [5, 0, 0]);
    site.run(3, [15, 0, 0]);
    site.run(3, [25, 0, 0]);
    site.run(3, [33, 0, 0]);
    const seen = watch(site, [1, 2, 3, 4], () => {
      site.run(60, [25, 0, 0]); // usable 20 ≥ 2 × (8 + 1 hysteresis)
      assert.deepEqual(site.sps([1, 2, 3, 4]), [10, 10, 0, 0]);
      site.run(60, [15, 0, 0]); // usable 30 ≥ 3 × 9
      assert.deepEqual(site.sps([1, 2, 3, 4]), [10, 10, 10, 0]);
      site.run(60, [5, 0, 0]); // usable 40 ≥ 4 × 9
      assert.deepEqual(site.sps([1, 2, 3, 4]), [10, 10, 10, 10]);
    });
    assert.deepEqual(seen.resumed, [[2], [3], [4]]);
  });

  it('case B at once (R-ALLOC-5, issue 13): with all the current back at one moment, the waiting plugs resume in one batch, lowest id first', () => {
    const site = new Site();
    fourPlugsL1(site);
    site.run(30, [5, 0, 0]);
    site.run(3, [40, 0, 0]); // usable 5 A: everything paused (state 5)
    assert.deepEqual(site.sps([1, 2, 3, 4]), [0, 0, 0, 0]);
    assert.equal(site.state.view.table.ALL!.L1!.state, 5);
    const seen = watch(site, [1, 2, 3, 4], () => site.run(120, [5, 0, 0]));
    // "One at a time" is an order, not a rate (issue 13): the building average falls step by step,
    // so plug 1 comes back first with what the share then supports; the others follow together.
    assert.deepEqual(seen.resumed.flat(), [1, 2, 3, 4], 'lowest id first');
    assert.ok(seen.resumed.length < 4, `one step per plug: ${JSON.stringify(seen.resumed)}`);
    assert.ok(
      seen.resumed.some((batch) => batch.length > 1),
      `no batch: ${JSON.stringify(seen.resumed)}`,
    );
    assert.deepEqual(site.sps([1, 2, 3, 4]), [10, 10, 10, 10]);
  });

  it('case B in a batch (R-ALLOC-5/8, issue 13): the minimum pause of the queue head holds back the plugs behind it', () => {
    const site = new Site({ analyserEnabled: false, mccbA: 40, marginPct: 0, minPauseS: 60, resumeHysteresisA: 1, reactionDelayS: 0 });
    fourPlugsL1(site);
    site.run(10);
    assert.deepEqual(site.sps([1, 2, 3, 4]), [10, 10, 10, 10]);
    site.apply({ type: 'params', params: { mccbA: 17 } }); // 2 × 8 ≤ 17 < 3 × 8: 4 then 3 pause
    assert.deepEqual(site.sps([1, 2, 3, 4]), [8, 8, 0, 0]);
    site.run(30);
    site.apply({ type: 'params', params: { mccbA: 8 } }); // 2 pauses 30 s after 3 and 4
    site.run(1);
    assert.deepEqual(site.sps([1, 2, 3, 4]), [8, 0, 0, 0]);
    const seen = watch(site, [1, 2, 3, 4], () => {
      site.apply({ type: 'params', params: { mccbA: 40 } }); // room for all four at once
      site.run(40); // 3 and 4 have had their minimum pause, 2 (the head) not yet
      assert.deepEqual(site.sps([2, 3, 4]), [0, 0, 0], 'the head blocks the ones behind it');
      site.run(30);
    });
    assert.deepEqual(seen.resumed, [[2, 3, 4]]);
    assert.deepEqual(site.sps([1, 2, 3, 4]), [10, 10, 10, 10]);
  });

  it('R-ALLOC-7 with a batch (issue 13): increases that need current from reduced vehicles wait one reaction delay for the whole batch', () => {
    const site = new Site({ analyserEnabled: false, mccbA: 40, marginPct: 0, reactionDelayS: 5 });
    site.report({
      name: 'CP01',
      index: 1,
      plugs: [
        { letter: 'A', phase: 'L1', pilot: 'C' },
        { letter: 'B', phase: 'L1' },
      ],
    });
    site.report({
      name: 'CP02',
      index: 2,
      plugs: [
        { letter: 'A', phase: 'L1' },
        { letter: 'B', phase: 'L1' },
      ],
    });
    site.run(10);
    assert.deepEqual(site.sps([1, 2, 3, 4]), [32, 0, 0, 0]);
    const t0 = site.now;
    const started = new Map<number, number>();
    const seen = watch(site, [1, 2, 3, 4], () => {
      site.report({
        name: 'CP01',
        index: 1,
        plugs: [
          { letter: 'A', phase: 'L1', pilot: 'C' },
          { letter: 'B', phase: 'L1', pilot: 'C' },
        ],
      });
      site.report({
        name: 'CP02',
        index: 2,
        plugs: [
          { letter: 'A', phase: 'L1', pilot: 'C' },
          { letter: 'B', phase: 'L1', pilot: 'C' },
        ],
      });
      assert.equal(site.sp(1), 10, 'plug 1 reduced at once');
      for (let k = 0; k < 15; k++) {
        for (const id of [2, 3, 4]) if (!started.has(id) && site.sp(id) > 0) started.set(id, site.now - t0);
        // R-ALLOC-7: until plug 1 has had its reaction delay, it may still draw 32 A.
        const sum = site.sps([2, 3, 4]).reduce((a, b) => a + b, 0);
        assert.ok(
          sum <= 40 - effectiveA(findPlug(site.state, 1)!, site.now) + 1e-9,
          `increases above what plug 1 leaves at +${site.now - t0} ms`,
        );
        site.run(1);
      }
    });
    assert.deepEqual(site.sps([1, 2, 3, 4]), [10, 10, 10, 10]);
    assert.equal(started.get(2), 0, 'plug 2 starts at once within the 8 A plug 1 leaves');
    // 3 and 4 wait for plug 1's one reaction delay, together — not 5 s each, one after the other.
    assert.equal(started.get(3), started.get(4));
    assert.ok(started.get(3)! >= 5000 && started.get(3)! <= 6000, `3 started after ${started.get(3)} ms`);
    assert.deepEqual(seen.resumed.flat(), [2, 3, 4]);
  });

  it('R-ALLOC-5 with a batch (issue 13): a plug that cannot start yet holds back a higher id that could start on its own old current', () => {
    const site = new Site({ analyserEnabled: false, mccbA: 40, marginPct: 0, reactionDelayS: 5 });
    site.report({
      name: 'CP01',
      index: 1,
      plugs: [
        { letter: 'A', phase: 'L1', pilot: 'C' },
        { letter: 'B', phase: 'L1' },
      ],
    });
    site.report({ name: 'CP02', index: 2, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    site.run(10);
    assert.deepEqual(site.sps([1, 2, 3]), [20, 0, 20]);
    const t0 = site.now;
    const seen = watch(site, [1, 2, 3], () => {
      site.plug('CP02', 'A', { pilot: 'A' }); // unplugged: cut at once, may draw 20 A for 5 s
      site.plug('CP01', 'B', { pilot: 'C' }); // 2 wants current: plug 3's 20 A are not free yet
      site.plug('CP02', 'A', { pilot: 'C' }); // 3 is back at once, and its own 20 A would fit
      assert.deepEqual(site.sps([2, 3]), [0, 0], 'plug 3 does not start ahead of plug 2');
      site.run(6);
    });
    assert.deepEqual(site.sps([1, 2, 3]), [13, 13, 13]);
    assert.deepEqual(seen.resumed, [[2, 3]], `resumes ${JSON.stringify(seen.resumed)} by +${site.now - t0} ms`);
  });

  it('priority example (R-ALLOC-2): 40 A available, a priority plug at its 32 A maximum → 8 A for the others', () => {
    const site = new Site({ analyserEnabled: false, mccbA: 40, marginPct: 0 });
    site.apply({ type: 'schedule', schedule: { enabled: true, slots: new Array(24).fill(true) } });
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C', priority: true }] });
    site.report({ name: 'CP02', index: 2, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    site.run(20);
    assert.equal(site.sp(1), 32);
    assert.equal(site.sp(3), 8);
    const t = site.state.view.table;
    assert.equal(t.ALL, null);
    assert.equal(t.PRIORITY!.L1!.availableA, 40);
    assert.equal(t.NORMAL!.L1!.availableA, 8);
  });

  it('R-PRIO-2: outside priority slots every plug is standard: equal shares', () => {
    const site = new Site({ analyserEnabled: false, mccbA: 40, marginPct: 0 });
    // 15:00 UTC = 16:00 in Madrid in January; only 07h–08h is a priority slot
    const slots = new Array(24).fill(false);
    slots[7] = true;
    site.apply({ type: 'schedule', schedule: { enabled: true, slots } });
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C', priority: true }] });
    site.report({ name: 'CP02', index: 2, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    site.run(20);
    assert.deepEqual(site.sps([1, 3]), [20, 20]);
    assert.equal(site.state.view.priorityActive, false);
    assert.notEqual(site.state.view.table.ALL, null);
  });

  it('SPEC §4 table figures: ALL L1 80/4/2 → state 1, 6 allowed, 13.3 A; L2 79/3/2 → 5, 15.8; L3 79/3/1 → 4, 19.75', () => {
    const r1 = loadRow({ availableA: 80, charging: 4, waiting: 2, total: 9, minA: 8, nextAllowed: 17, nextPaused: 14 });
    assert.equal(r1.state, 1);
    assert.equal(r1.maxAllowed, 6);
    assert.equal(r1.sharedA.toFixed(1), '13.3');
    const r2 = loadRow({ availableA: 79, charging: 3, waiting: 2, total: 9, minA: 8, nextAllowed: 15, nextPaused: 12 });
    assert.equal(r2.state, 1);
    assert.equal(r2.maxAllowed, 5);
    assert.equal(r2.sharedA.toFixed(1), '15.8');
    const r3 = loadRow({ availableA: 79, charging: 3, waiting: 1, total: 9, minA: 8, nextAllowed: 16, nextPaused: 13 });
    assert.equal(r3.state, 1);
    assert.equal(r3.maxAllowed, 4);
    assert.equal(r3.sharedA, 19.75);
  });

  it('SPEC §4 table figures: NORMAL L1 16/2/2 → state 3, 2 allowed, 8 A; L2 15/1/2 → state 3, 1 allowed, 15 A', () => {
    const n1 = loadRow({ availableA: 16, charging: 2, waiting: 2, total: 6, minA: 8, nextAllowed: 17, nextPaused: 14 });
    assert.deepEqual([n1.state, n1.maxAllowed, n1.sharedA], [3, 2, 8]);
    const n2 = loadRow({ availableA: 15, charging: 1, waiting: 2, total: 6, minA: 8, nextAllowed: 15, nextPaused: 12 });
    assert.deepEqual([n2.state, n2.maxAllowed, n2.sharedA], [3, 1, 15]);
  });

  it('SPEC §4 states 2, 4 and 5 and the empty table', () => {
    assert.equal(loadRow({ availableA: 30, charging: 2, waiting: 3, total: 5, minA: 8, nextAllowed: 0, nextPaused: 0 }).state, 2);
    assert.equal(loadRow({ availableA: 20, charging: 3, waiting: 0, total: 5, minA: 8, nextAllowed: 0, nextPaused: 0 }).state, 4);
    assert.equal(loadRow({ availableA: 7, charging: 1, waiting: 0, total: 5, minA: 8, nextAllowed: 0, nextPaused: 0 }).state, 5);
    const empty = loadRow({ availableA: 7, charging: 0, waiting: 0, total: 0, minA: 8, nextAllowed: 0, nextPaused: 0 });
    assert.deepEqual([empty.maxAllowed, empty.sharedA], [0, 0]);
  });

  it('the live table counts charging, waiting, next allowed and next paused plugs (SPEC §4 rows)', () => {
    const site = new Site();
    fourPlugsL1(site);
    site.run(30, [5, 0, 0]);
    site.run(3, [15, 0, 0]); // 4 paused
    const row = site.state.view.table.ALL!.L1!;
    assert.equal(row.charging, 3);
    assert.equal(row.paused, 1);
    assert.equal(row.total, 4);
    assert.equal(row.availableA, 30);
    assert.equal(row.nextAllowed, 4);
    assert.equal(row.nextPaused, 3);
    assert.equal(row.state, 3);
  });
});

describe('lib/balancer — allocation rules', () => {
  it('R-ALLOC-3: equal share rounded down; a plug capped by its maximum gives the rest to the others', () => {
    const site = new Site({ analyserEnabled: false, mccbA: 50, marginPct: 0 });
    site.report({
      name: 'CP01',
      index: 1,
      plugs: [
        { letter: 'A', phase: 'L1', pilot: 'C', maxCurrentA: 10 },
        { letter: 'B', phase: 'L1', pilot: 'C' },
      ],
    });
    site.report({ name: 'CP02', index: 2, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    site.run(30);
    // 50 A: plug 1 capped at 10, the other two share 40 → 20 each
    assert.deepEqual(site.sps([1, 2, 3]), [10, 20, 20]);
    site.apply({ type: 'params', params: { mccbA: 41 } });
    site.run(10);
    // 41 A: plug 1 keeps 10, the others share 31 → 15.5 each → 15 (rounded down, never up)
    assert.deepEqual(site.sps([1, 2, 3]), [10, 15, 15]);
  });

  it('R-ALLOC-7: a reduction is sent at once; the freed current is reused only after the reaction delay', () => {
    const site = new Site({ analyserEnabled: false, mccbA: 40, marginPct: 0, reactionDelayS: 5 });
    site.report({
      name: 'CP01',
      index: 1,
      plugs: [
        { letter: 'A', phase: 'L1', pilot: 'C' },
        { letter: 'B', phase: 'L1' },
      ],
    });
    site.run(10);
    assert.equal(site.sp(1), 32);
    site.plug('CP01', 'B', { pilot: 'C' }); // plug 2 asks for current
    assert.equal(site.sp(1), 20, 'plug 1 reduced in the same step');
    assert.equal(site.sp(2), 8, 'plug 2 starts only within what plug 1 may still draw (40 − 32)');
    const p1 = findPlug(site.state, 1)!;
    assert.equal(effectiveA(p1, site.now), 32);
    site.run(4);
    assert.equal(site.sp(2), 8, 'still waiting for plug 1 to follow');
    site.run(2);
    assert.equal(site.sp(2), 20, 'after the reaction delay plug 2 gets its share');
  });

  it('R-ALLOC-6: a new transaction is queued (PAUSED) when starting it would take a plug below I_min', () => {
    const site = new Site({ analyserEnabled: false, mccbA: 20, marginPct: 0 });
    site.report({
      name: 'CP01',
      index: 1,
      plugs: [
        { letter: 'A', phase: 'L1', pilot: 'C' },
        { letter: 'B', phase: 'L1', pilot: 'C' },
      ],
    });
    site.run(10);
    assert.deepEqual(site.sps([1, 2]), [10, 10]);
    site.report({ name: 'CP02', index: 2, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    site.run(10);
    assert.deepEqual(site.sps([1, 2, 3]), [10, 10, 0]);
    assert.equal(site.state.view.table.ALL!.L1!.state, 3);
    assert.equal(plugStatus(findChargePoint(site.state, 'CP02')!, findPlug(site.state, 3)!, site.state.params, site.now), 'PAUSED');
  });

  it('R-ALLOC-8: a paused plug is not resumed within the minimum pause time', () => {
    const site = new Site({ analyserEnabled: true, minPauseS: 60 });
    fourPlugsL1(site);
    site.run(30, [5, 0, 0]);
    site.run(1, [15, 0, 0]); // 4 paused now
    const pausedAt = site.now;
    site.run(10, [5, 0, 0]);
    assert.equal(site.sp(4), 0);
    while (site.sp(4) === 0 && site.now < pausedAt + 120_000) site.run(1, [5, 0, 0]);
    assert.ok(site.now - pausedAt >= 60_000, `resumed after ${(site.now - pausedAt) / 1000} s`);
  });

  it('R-ALLOC-8: upward changes below 1 A are not sent', () => {
    const site = new Site({ analyserEnabled: true, resolutionA: 0.5, mccbA: 50, marginPct: 0 });
    site.report({
      name: 'CP01',
      index: 1,
      plugs: [
        { letter: 'A', phase: 'L1', pilot: 'C' },
        { letter: 'B', phase: 'L1', pilot: 'C' },
      ],
    });
    site.run(30, [10, 0, 0]); // 40 A → 20 each
    assert.deepEqual(site.sps([1, 2]), [20, 20]);
    site.run(30, [9, 0, 0]); // 41 A → 20.5 each: +0.5 A is not sent
    assert.deepEqual(site.sps([1, 2]), [20, 20]);
    site.run(30, [8, 0, 0]); // 42 A → 21 each: +1 A is sent
    assert.deepEqual(site.sps([1, 2]), [21, 21]);
    site.run(30, [9, 0, 0]); // decreases are always sent
    assert.deepEqual(site.sps([1, 2]), [20.5, 20.5]);
  });

  it('R-ALLOC-1/R-MTR-5: usable = limit·(1 − margin) − max(realtime, average building)', () => {
    const site = new Site({ meterAverageS: 10 });
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    site.run(20, [20, 0, 0]);
    assert.equal(site.state.view.usableA[0], 25);
    site.run(1, [0, 0, 0]); // a dip: the average (≈18 A) still counts
    assert.ok(site.state.view.buildingA[0] > 15, `building used ${site.state.view.buildingA[0]}`);
    assert.ok(site.sp(1) <= 45 - site.state.view.buildingA[0]);
  });
});

describe('lib/balancer — building meter', () => {
  it('R-MTR-4: meter silent longer than the timeout → 25 A assumed on every phase; first valid reading → measured again', () => {
    const site = new Site({ meterTimeoutS: 5 });
    site.run(10, [10, 10, 10]);
    assert.deepEqual(site.state.view.buildingA, [10, 10, 10]);
    site.run(5);
    assert.deepEqual(site.state.view.buildingA, [10, 10, 10], 'still within the timeout');
    site.run(1);
    assert.deepEqual(site.state.view.buildingA, [25, 25, 25]);
    assert.equal(statusOf(site.state, site.now).analyser.online, false);
    site.run(1, [12, 12, 12]);
    assert.deepEqual(site.state.view.buildingA, [12, 12, 12]);
  });

  it('R-MTR-4: a meter message with online:false → offline current at once', () => {
    const site = new Site();
    site.run(5, [3, 3, 3]);
    site.apply({ type: 'meter', meter: { online: false, timestamp: site.now, reason: 'timeout' } });
    assert.deepEqual(site.state.view.buildingA, [25, 25, 25]);
  });

  it('R-MTR-3: analyser disabled → building 0 A', () => {
    const site = new Site({ analyserEnabled: false });
    assert.deepEqual(site.state.view.buildingA, [0, 0, 0]);
  });

  it('R-MTR-2: a grid meter sees building + EVs: building = grid − measured EV current', () => {
    const site = new Site({ meterPosition: 'grid', meterAverageS: 1 });
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L2', pilot: 'C', measuredA: 16 }] });
    site.run(3, [5, 26, 5]);
    assert.deepEqual(site.state.view.buildingA, [5, 10, 5]);
  });
});

describe('lib/balancer — charge point configuration and statuses (R-CP-1..5)', () => {
  const status = (site: Site, cp: string, id: number) =>
    plugStatus(findChargePoint(site.state, cp)!, findPlug(site.state, id)!, site.state.params, site.now);

  it('R-CP-2: plug ids are 2k−1 and 2k, continuing past 15', () => {
    const site = new Site({ analyserEnabled: false });
    site.report({
      name: 'CP16',
      index: 16,
      plugs: [
        { letter: 'A', phase: 'L1' },
        { letter: 'B', phase: 'L1' },
      ],
    });
    assert.deepEqual(
      site.state.plugs.map((p) => p.id),
      [31, 32],
    );
  });

  it('R-CP-3: missing phase, plug count disagreeing with the device, max below I_min → ERR_CFG at 0 A', () => {
    const site = new Site({ analyserEnabled: false });
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: null, pilot: 'C' }] });
    site.report({ name: 'CP02', index: 2, devicePlugs: 2, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    site.report({ name: 'CP03', index: 3, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C', maxCurrentA: 6 }] });
    site.run(10);
    for (const [cp, id] of [
      ['CP01', 1],
      ['CP02', 3],
      ['CP03', 5],
    ] as const) {
      assert.equal(status(site, cp, id), 'ERR_CFG', cp);
      assert.equal(site.sp(id), 0, cp);
    }
    assert.match(statusOf(site.state, site.now).plugs.find((p) => p.id === 3)!.reason!, /device has 2/);
  });

  it('R-SITE-1: a plug on L2 of a single-phase supply is ERR_CFG', () => {
    const site = new Site({ analyserEnabled: false, supplyPhases: 1 });
    site.report({
      name: 'CP01',
      index: 1,
      plugs: [
        { letter: 'A', phase: 'L2', pilot: 'C' },
        { letter: 'B', phase: 'L1', pilot: 'C' },
      ],
    });
    site.run(10);
    assert.equal(status(site, 'CP01', 1), 'ERR_CFG');
    assert.equal(site.sp(2), 32);
    assert.deepEqual(Object.keys(site.state.view.table.ALL!), ['L1']);
  });

  it('R-CP-4: DISABLED, AVAILABLE, CHARGING, PAUSED, FAULTED (pilot E/F or device fault), OFFLINE', () => {
    const site = new Site({ analyserEnabled: false, mccbA: 8, marginPct: 0 });
    site.report({ name: 'CP01', index: 1, enabled: false, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    site.report({
      name: 'CP02',
      index: 2,
      plugs: [
        { letter: 'A', phase: 'L1', pilot: 'A' },
        { letter: 'B', phase: 'L1', pilot: 'C' },
      ],
    });
    site.report({
      name: 'CP03',
      index: 3,
      plugs: [
        { letter: 'A', phase: 'L1', pilot: 'C' },
        { letter: 'B', phase: 'L1', pilot: 'F' },
      ],
    });
    site.report({ name: 'CP04', index: 4, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C', fault: 'RCD tripped' }] });
    site.report({
      name: 'CP05',
      index: 5,
      online: false,
      offline: { heartbeatS: 120, mode: 0, currentA: 8 },
      plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }],
    });
    site.run(5);
    assert.equal(status(site, 'CP01', 1), 'DISABLED');
    assert.equal(status(site, 'CP02', 3), 'AVAILABLE');
    assert.equal(status(site, 'CP02', 4), 'CHARGING');
    assert.equal(status(site, 'CP03', 5), 'PAUSED');
    assert.equal(status(site, 'CP03', 6), 'FAULTED');
    assert.equal(status(site, 'CP04', 7), 'FAULTED');
    assert.equal(status(site, 'CP05', 9), 'OFFLINE');
    assert.deepEqual(site.sps([1, 3, 4, 5, 6, 7]), [0, 0, 8, 0, 0, 0]);
  });

  it('R-CP-5: pilot D counts as C', () => {
    const site = new Site({ analyserEnabled: false });
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'D' }] });
    site.run(3);
    assert.equal(site.sp(1), 32);
  });

  it('R-CP-2: two charge points with the same index are refused, even without plugs', () => {
    const site = new Site();
    site.report({ name: 'CP05', index: 5, plugs: [] });
    const r = step(site.state, { type: 'plug', plug: plugMsg({ name: 'CP5b', index: 5, plugs: [] }, site.now) }, site.now);
    assert.match(r.error!, /index 5 already belongs to CP05/);
  });

  it('R-CP-2: a charge point given another index moves its plugs to the new ids', () => {
    const site = new Site({ analyserEnabled: false });
    site.report({ name: 'CP05', index: 5, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    site.report({ name: 'CP05', index: 6, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    assert.deepEqual(
      site.state.plugs.map((p) => p.id),
      [11],
    );
    assert.deepEqual(
      site.state.chargePoints.map((c) => [c.name, c.index]),
      [['CP05', 6]],
    );
  });

  it('R-CP-2: two charge points claiming the same plug ids are refused', () => {
    const site = new Site();
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1' }] });
    const r = step(
      site.state,
      { type: 'plug', plug: plugMsg({ name: 'CPX', index: 1, plugs: [{ letter: 'A', phase: 'L1' }] }, site.now) },
      site.now,
    );
    assert.match(r.error!, /already belongs to CP01/);
    assert.equal(r.state, site.state);
  });
});

describe('lib/balancer — vehicle behaviour (R-VEH)', () => {
  it('R-VEH-1/2: State B timeline — keeps current for the waiting time, queued, 3 retries, then no more until unplugged', () => {
    const site = new Site({ analyserEnabled: false, waitingTimeS: 600, retries: 3, retryPeriodS: 1800 });
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    site.run(5);
    assert.equal(site.sp(1), 32);
    site.plug('CP01', 'A', { pilot: 'B' });
    site.run(599);
    assert.equal(site.sp(1), 32, 'keeps its current during the waiting time');
    site.run(1);
    const p = () => findPlug(site.state, 1)!;
    assert.equal(p().queued, true);
    assert.equal(site.sp(1), 0);
    for (let retry = 1; retry <= 3; retry++) {
      site.run(1799);
      assert.equal(site.sp(1), 0, `retry ${retry} not before the retry period`);
      site.run(1);
      assert.equal(p().retriesUsed, retry);
      assert.equal(p().queued, false);
      assert.equal(site.sp(1), 32, `retry ${retry}: offered current again`);
      site.run(599);
      assert.equal(site.sp(1), 32, `retry ${retry}: the vehicle gets the waiting time to start drawing`);
      site.run(1);
      assert.equal(p().queued, true, `retry ${retry}: still in B → queued again`);
    }
    assert.equal(p().nextRetryAt, null);
    site.run(3 * 3600);
    assert.equal(site.sp(1), 0, 'no more retries');
    site.plug('CP01', 'A', { pilot: 'A' });
    assert.equal(p().retriesUsed, 0);
    assert.equal(p().queued, false);
    site.plug('CP01', 'A', { pilot: 'C' });
    site.run(2);
    assert.equal(site.sp(1), 32, 'a new vehicle starts afresh');
  });

  it('R-VEH-1: a vehicle that goes back to C during the waiting time keeps charging', () => {
    const site = new Site({ analyserEnabled: false });
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    site.run(5);
    site.plug('CP01', 'A', { pilot: 'B' });
    site.run(300);
    site.plug('CP01', 'A', { pilot: 'C' });
    site.run(600);
    assert.equal(site.sp(1), 32);
    assert.equal(findPlug(site.state, 1)!.queued, false);
  });

  it("R-VEH-1: the queued vehicle's current goes to the others", () => {
    const site = new Site({ analyserEnabled: false, mccbA: 40, marginPct: 0, waitingTimeS: 60 });
    site.report({
      name: 'CP01',
      index: 1,
      plugs: [
        { letter: 'A', phase: 'L1', pilot: 'C' },
        { letter: 'B', phase: 'L1', pilot: 'C' },
      ],
    });
    site.run(20);
    assert.deepEqual(site.sps([1, 2]), [20, 20]);
    site.plug('CP01', 'A', { pilot: 'B' });
    site.run(70);
    assert.deepEqual(site.sps([1, 2]), [0, 32]);
  });

  it('R-VEH-1: State B detection off → a resting vehicle keeps its current', () => {
    const site = new Site({ analyserEnabled: false, stateBDetection: false });
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    site.run(5);
    site.plug('CP01', 'A', { pilot: 'B' });
    site.run(2000);
    assert.equal(site.sp(1), 32);
  });

  it('R-VEH-3: low consumption detection queues a vehicle charging below 6 A for the waiting time', () => {
    const site = new Site({ analyserEnabled: false, lowConsumption: true, waitingTimeS: 120 });
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C', measuredA: 3 }] });
    site.run(119);
    assert.equal(site.sp(1), 32);
    site.run(2);
    assert.equal(site.sp(1), 0);
    assert.equal(findPlug(site.state, 1)!.queued, true);
  });

  it('R-VEH-3: low consumption detection is off by default', () => {
    const site = new Site({ analyserEnabled: false });
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C', measuredA: 3 }] });
    site.run(1000);
    assert.equal(site.sp(1), 32);
  });

  it('R-VEH-4: a vehicle steadily drawing well below its setpoint gives the unused part to the others (off by default)', () => {
    const base = { analyserEnabled: false, mccbA: 40, marginPct: 0 };
    for (const releaseUnused of [false, true]) {
      const site = new Site({ ...base, releaseUnused, releaseHeadroomA: 4, releaseAfterS: 60 });
      site.report({
        name: 'CP01',
        index: 1,
        plugs: [
          { letter: 'A', phase: 'L1', pilot: 'C', measuredA: 10 },
          { letter: 'B', phase: 'L1', pilot: 'C', measuredA: 20 },
        ],
      });
      site.run(120);
      if (releaseUnused) assert.deepEqual(site.sps([1, 2]), [14, 26]);
      else assert.deepEqual(site.sps([1, 2]), [20, 20]);
    }
  });
});

describe('lib/balancer — offline charge points (R-OFF-1, R-OFF-3)', () => {
  function offlineSite(mode: 0 | 1 | 2 | 3): Site {
    const site = new Site({ analyserEnabled: false, mccbA: 40, marginPct: 0, reactionDelayS: 5 });
    const offline = { heartbeatS: 120, mode, currentA: 8 };
    site.report({
      name: 'CP01',
      index: 1,
      offline,
      plugs: [
        { letter: 'A', phase: 'L1', pilot: 'C' },
        { letter: 'B', phase: 'L1', pilot: 'A' },
      ],
    });
    site.report({ name: 'CP02', index: 2, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    site.run(30);
    assert.deepEqual(site.sps([1, 3]), [20, 20]);
    site.report({ ...site.cps.get('CP01')!, online: false });
    return site;
  }

  it('until it has had its heartbeat to fall back, an offline charge point is reserved its last setpoint', () => {
    for (const mode of [0, 1, 2, 3] as const) {
      const site = offlineSite(mode);
      assert.ok(site.state.view.reservedA[0] >= 20, `mode ${mode}: ${site.state.view.reservedA[0]}`);
      assert.ok(site.sp(3) <= 20);
    }
  });

  const expected: Record<number, number> = { 0: 0, 1: 20, 2: 8, 3: 16 };
  for (const mode of [0, 1, 2, 3] as const) {
    it(`R-OFF-3 mode ${mode}: reserves ${expected[mode]} A (${['nothing', 'last setpoints', 'min(last, offline current) per active plug', 'offline current on every plug'][mode]})`, () => {
      const site = offlineSite(mode);
      site.run(126);
      assert.equal(site.state.view.reservedA[0], expected[mode]);
      assert.equal(site.sp(3), Math.min(32, 40 - expected[mode]));
    });
  }

  it('R-OFF-3: a reduction that never reached an offline charge point does not shrink its reservation', () => {
    // Found by the property test: disabled while offline, the plug was cut to 0 A in the balancer,
    // but the device never heard it and, in mode 1, keeps its last 32 A.
    const site = new Site({ analyserEnabled: false, mccbA: 100, marginPct: 0, reactionDelayS: 2 });
    const cp: CpSpec = {
      name: 'CP01',
      index: 1,
      offline: { heartbeatS: 10, mode: 1, currentA: 8 },
      plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }],
    };
    site.report(cp);
    site.run(3);
    assert.equal(site.sp(1), 32);
    site.report({ ...cp, online: false });
    site.report({ ...cp, online: false, enabled: false });
    site.report({ ...cp, online: false, enabled: true });
    site.reportEveryS = 0;
    site.run(30);
    assert.equal(site.state.view.reservedA[0], 32);
  });

  it('R-ERR-3: a charge point silent for longer than its heartbeat is treated as offline without being told', () => {
    const site = new Site({ analyserEnabled: false });
    site.reportEveryS = 0;
    site.report({
      name: 'CP01',
      index: 1,
      offline: { heartbeatS: 30, mode: 3, currentA: 8 },
      plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }],
    });
    site.run(30);
    assert.equal(plugStatus(findChargePoint(site.state, 'CP01')!, findPlug(site.state, 1)!, site.state.params, site.now), 'CHARGING');
    site.run(1);
    assert.equal(plugStatus(findChargePoint(site.state, 'CP01')!, findPlug(site.state, 1)!, site.state.params, site.now), 'OFFLINE');
  });

  it('R-OFF-1: setpoints are re-sent at least once per heartbeat interval; none to an offline charge point', () => {
    const site = new Site({ analyserEnabled: false });
    site.reportEveryS = 0;
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    site.report({ name: 'CP02', index: 2, online: false, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    site.sent = [];
    for (let i = 0; i < 6; i++) {
      site.run(60);
      site.report(site.cps.get('CP01')!); // the device keeps reporting
    }
    const times = site.sent.filter((m) => m.chargePoint === 'CP01').map((m) => m.timestamp);
    assert.ok(times.length >= 6, `${times.length} refreshes in 360 s`);
    for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] <= 120_000);
    assert.equal(site.sent.filter((m) => m.chargePoint === 'CP02').length, 0);
  });

  it('R-OFF-2: the configuration is pushed again after the charge point reconnects', () => {
    const site = new Site({ analyserEnabled: false });
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    site.run(5);
    site.report({ ...site.cps.get('CP01')!, online: false });
    site.run(10);
    site.sent = [];
    site.report({ ...site.cps.get('CP01')!, online: true });
    assert.equal(site.sent.length, 1);
    assert.deepEqual(site.sent[0].offline, { heartbeatS: 120, mode: 3, currentA: 8 });
  });
});

describe('lib/balancer — refusals and sessions', () => {
  const bad: [string, unknown][] = [
    ['null event', null],
    ['unknown type', { type: 'boom' }],
    ['meter NaN', { type: 'meter', meter: { online: true, currentA: [NaN, 1, 1], timestamp: 0 } }],
    ['meter negative', { type: 'meter', meter: { online: true, currentA: [-1, 1, 1], timestamp: 0 } }],
    ['meter absurd', { type: 'meter', meter: { online: true, currentA: [1e6, 1, 1], timestamp: 0 } }],
    ['meter 2 phases', { type: 'meter', meter: { online: true, currentA: [1, 1], timestamp: 0 } }],
    ['meter string', { type: 'meter', meter: 'x' }],
    [
      'plug wrong id',
      {
        type: 'plug',
        plug: {
          ...plugMsg({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1' }] }, 0),
          plugs: [{ ...plugMsg({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1' }] }, 0).plugs[0], id: 7 }],
        },
      },
    ],
    [
      'plug bad pilot',
      { type: 'plug', plug: plugMsg({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'X' as never }] }, 0) },
    ],
    ['plug empty plate', { type: 'plug', plug: plugMsg({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', plate: '' }] }, 0) }],
    ['plug array', { type: 'plug', plug: [] }],
    ['params I_min 5 A', { type: 'params', params: { minCurrentA: 5 } }],
    ['params unknown', { type: 'params', params: { foo: 1 } }],
    ['schedule 23 slots', { type: 'schedule', schedule: { enabled: true, slots: new Array(23).fill(false) } }],
    ['plate unknown plug', { type: 'plate', plugId: 99, plate: 'X' }],
    ['plate empty', { type: 'plate', plugId: 1, plate: '  ' }],
    ['plate id as text', { type: 'plate', plugId: '1', plate: 'X' }],
  ];
  for (const [name, e] of bad) {
    it(`R-ERR-1: ${name} is refused with a reason and changes nothing`, () => {
      const site = new Site();
      site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
      site.run(3, [5, 5, 5]);
      const before = JSON.stringify(site.state);
      const r = step(site.state, e as never, site.now + 1000);
      assert.equal(typeof r.error, 'string');
      assert.equal(r.state, site.state);
      assert.deepEqual(r.setpoints, []);
      assert.equal(JSON.stringify(site.state), before);
    });
  }

  it('R-MON-5: a session records plate, start, stop, energy, peak current and pauses', () => {
    const site = new Site();
    site.report({
      name: 'CP01',
      index: 1,
      plugs: [
        { letter: 'A', phase: 'L1', pilot: 'C', measuredA: 0 },
        { letter: 'B', phase: 'L1', pilot: 'C' },
      ],
    });
    site.apply({ type: 'plate', plugId: 2, plate: '1234-ABC' });
    const start = site.now;
    site.run(10, [5, 5, 5]);
    site.plug('CP01', 'B', { measuredA: 18.5, energyWh: 500 });
    site.run(3, [40, 5, 5]); // plug 2 paused
    site.run(60, [5, 5, 5]);
    site.plug('CP01', 'B', { pilot: 'A', energyWh: 900 });
    const rec = site.last.closedTransactions[0];
    assert.equal(rec.plugId, 2);
    assert.equal(rec.plate, '1234-ABC');
    assert.equal(rec.start, start);
    assert.equal(rec.stop, site.now);
    assert.equal(rec.peakA, 18.5);
    assert.ok(rec.pauses >= 1);
    assert.equal(rec.energyWh, 500, 'energy of the session as last reported while plugged in');
  });

  it('initialState with invalid parameters holds every plug at 0 A and says why', () => {
    const s0 = initialState({ ...DEFAULT_PARAMS, minCurrentA: 4 }, 0);
    assert.ok(s0.errors.length > 0);
    const cp: CpSpec = { name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] };
    let r = step(s0, { type: 'plug', plug: plugMsg(cp, 0) }, 0);
    r = step(r.state, { type: 'tick' }, 1000);
    assert.equal(findPlug(r.state, 1)!.setpointA, 0);
    assert.deepEqual(statusOf(r.state, 1000).errors, s0.errors);
    r = step(r.state, { type: 'params', params: { minCurrentA: 8 } }, 2000);
    r = step(r.state, { type: 'tick' }, 3000);
    assert.equal(findPlug(r.state, 1)!.setpointA > 0, true);
  });
});

describe('lib/balancer — restoring a stored state (R-ERR-2)', () => {
  it('a state from this version restores as it is; others are refused with the reason', () => {
    const site = new Site();
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    site.run(3, [5, 5, 5]);
    const stored = JSON.parse(JSON.stringify(site.state));
    assert.equal(restoreProblem(stored), null);
    assert.match(restoreProblem({ ...stored, version: 1 })!, /another version/);
    assert.match(restoreProblem({ ...stored, chargePoints: { CP01: stored.chargePoints[0] } })!, /chargePoints must be an array/);
    assert.match(restoreProblem({ ...stored, chargePoints: [] })!, /plugs\[0\]\.id has no charge point/);
    assert.match(restoreProblem({ ...stored, params: { ...stored.params, minCurrentA: 2 } })!, /params/);
    assert.match(restoreProblem(null)!, /not an object/);
  });
});
