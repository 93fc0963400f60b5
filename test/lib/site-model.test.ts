/**
 * SPEC §10, the real site (issue 11): three-phase plugs and phase rotation (R-3PH-1..4), boards
 * (R-CIRC-1/2) and the unbalance limit (R-UNB-1), each with figures computed by hand in the test.
 *
 * Unless a test says otherwise: 230 V three-phase supply, I_min 8 A, resolution 1 A, reaction delay
 * 5 s, vehicles in state C (charging), every plug's maximum 32 A.
 */
import { strict as assert } from 'assert';
import { initialState, step, withDeployedBoards } from '../../lib/core/balancer';
import { statusOf } from '../../lib/core/status';
import { findPlug } from '../../lib/core/state';
import { restoreProblem } from '../../lib/core/restore';
import { DEFAULT_PARAMS, validateBoards } from '../../lib/shared/params';
import type { BoardConfig, SiteParams } from '../../lib/shared/types';
import { plugMsg, Site, type CpSpec } from '../support/site';

/** MCCB 100 A, contracted 100 kW: I_limit = min(100, 100 000 / (230·3) = 144.9) = 100 A, working limit 90 A (10 %). */
const BIG: Partial<SiteParams> = { mccbA: 100, contractedKW: 100 };

const board = (name: string, limitA: number, extra: Partial<BoardConfig> = {}): BoardConfig => ({
  name,
  parent: 'site',
  limitA,
  marginPct: null,
  hasMeter: false,
  otherLoadA: 0,
  ...extra,
});

function settle(site: Site, s: number, building: [number, number, number]): void {
  site.reportEveryS = 0;
  site.run(s, building);
}

describe('lib/balancer — three-phase plugs and phase rotation (R-3PH-1..4)', () => {
  it('R-3PH-2/4: a 22 kW three-phase plug beside two single-phase plugs on L1 takes the smallest share its lines give it', () => {
    // MCCB 50 A, 36 kW: I_limit 50 A, working 45 A; building 10 A per line → 35 A usable per line.
    // L1 carries the three-phase plug and both single-phase plugs: 35 / 3 = 11.67 → 11 A each.
    // The three-phase plug gets 11 A on L2 and L3 too (its smallest line), although they have 35 A.
    const site = new Site();
    site.meter([10, 10, 10]);
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: null, phases: 3, pilot: 'C' }] });
    site.report({
      name: 'CP02',
      index: 2,
      plugs: [
        { letter: 'A', phase: 'L1', pilot: 'C' },
        { letter: 'B', phase: 'L1', pilot: 'C' },
      ],
    });
    settle(site, 20, [10, 10, 10]);
    assert.deepEqual(site.sps([1, 3, 4]), [11, 11, 11]);
    // A single-phase plug on L2 takes what the three-phase plug leaves there: 35 − 11.67 = 23.33 → 23 A.
    site.report({ name: 'CP03', index: 3, plugs: [{ letter: 'A', phase: 'L2', pilot: 'C' }] });
    settle(site, 20, [10, 10, 10]);
    assert.deepEqual(site.sps([1, 3, 4, 5]), [11, 11, 11, 23]);
    const view = statusOf(site.state, site.now);
    // R-3PH-4: the per-phase table counts the three-phase plug on each of its lines.
    assert.equal(view.table.ALL!.L1!.charging, 3);
    assert.equal(view.table.ALL!.L2!.charging, 2);
    assert.equal(view.table.ALL!.L3!.charging, 1);
    assert.deepEqual(view.consumption.L1!.evSetpointA, 33);
    assert.deepEqual(view.consumption.L3!.evSetpointA, 11);
    const p1 = view.plugs.find((p) => p.id === 1)!;
    assert.equal(p1.phases, 3);
    assert.deepEqual(p1.lines, ['L1', 'L2', 'L3']);
  });

  it('R-3PH-2: a three-phase plug pauses when one of its lines has no room for I_min, whatever the others have', () => {
    // Building 40 A on L3: 45 − 40 = 5 A < 8 A there → the three-phase plug cannot charge; L1/L2 plugs can.
    const site = new Site();
    site.meter([0, 0, 40]);
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: null, phases: 3, pilot: 'C' }] });
    site.report({ name: 'CP02', index: 2, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    settle(site, 10, [0, 0, 40]);
    assert.equal(site.sp(1), 0);
    assert.equal(site.sp(3), 32);
    assert.equal(statusOf(site.state, site.now).plugs.find((p) => p.id === 1)!.status, 'PAUSED');
  });

  it('R-3PH-1: the rotation maps charger phases to supply lines (TRS: phase 1 on L3, 2 on L1, 3 on L2)', () => {
    const site = new Site();
    site.report({ name: 'CP01', index: 1, rotation: 'TRS', plugs: [{ letter: 'A', phase: null, phases: 3, pilot: 'C' }] });
    const p = findPlug(site.state, 1)!;
    assert.deepEqual(p.lines, ['L3', 'L1', 'L2']);
    // Measured per charger phase [10, 4, 7] are L3 10 A, L1 4 A, L2 7 A at the site.
    site.plug('CP01', 'A', { measuredA: 10, phaseCurrentsA: [10, 4, 7] });
    const c = statusOf(site.state, site.now).consumption;
    assert.deepEqual([c.L1!.evA, c.L2!.evA, c.L3!.evA], [4, 7, 10]);
  });

  it('R-3PH-3: a single-phase vehicle on a three-phase plug frees two lines after the settling time, and is counted on all three again at once', () => {
    // Working limit 45 A, no building load. CP01 (three-phase, rotation TRS: its phase 1 is L3) and
    // two single-phase plugs on L2. All three on L2: 45 / 3 = 15 A each.
    const site = new Site({ phaseSettleS: 30 });
    site.meter([0, 0, 0]);
    site.report({ name: 'CP01', index: 1, rotation: 'TRS', plugs: [{ letter: 'A', phase: null, phases: 3, pilot: 'C' }] });
    site.report({
      name: 'CP02',
      index: 2,
      plugs: [
        { letter: 'A', phase: 'L2', pilot: 'C' },
        { letter: 'B', phase: 'L2', pilot: 'C' },
      ],
    });
    settle(site, 10, [0, 0, 0]);
    assert.deepEqual(site.sps([1, 3, 4]), [15, 15, 15]);
    // The vehicle draws 15 A on its charger phase 1 (L3) only.
    site.plug('CP01', 'A', { measuredA: 15, phaseCurrentsA: [15, 0, 0] });
    settle(site, 29, [0, 0, 0]);
    assert.deepEqual(site.sps([1, 3, 4]), [15, 15, 15], 'not before the settling time');
    settle(site, 2, [0, 0, 0]);
    // Counted on L3 only: L2 is the single-phase plugs' alone, 45 / 2 = 22.5 → 22 A; CP01 has L3 to itself: 32 A.
    assert.deepEqual(site.sps([1, 3, 4]), [32, 22, 22]);
    const view = statusOf(site.state, site.now).plugs.find((p) => p.id === 1)!;
    assert.deepEqual(view.drawLines, ['L3']);
    assert.deepEqual(view.lines, ['L3', 'L1', 'L2']);
    // It starts drawing on all three phases: counted on all lines again in the same step, the
    // others reduced at once (decrease first, R-ALLOC-7): back to 15 A each.
    site.plug('CP01', 'A', { measuredA: 20, phaseCurrentsA: [20, 20, 20] });
    assert.deepEqual(site.sps([1, 3, 4]), [15, 15, 15]);
    assert.deepEqual(statusOf(site.state, site.now).plugs.find((p) => p.id === 1)!.drawLines, ['L3', 'L1', 'L2']);
  });

  it('R-3PH-3: a departing single-phase vehicle stays counted on its one line while its hold lasts; the next vehicle is counted on every line until it shows otherwise', () => {
    const site = new Site({ phaseSettleS: 10 });
    site.meter([0, 0, 0]);
    site.report({
      name: 'CP01',
      index: 1,
      plugs: [{ letter: 'A', phase: null, phases: 3, pilot: 'C', measuredA: 16, phaseCurrentsA: [16, 0, 0] }],
    });
    settle(site, 12, [0, 0, 0]);
    assert.deepEqual(findPlug(site.state, 1)!.drawLines, ['L1']);
    site.plug('CP01', 'A', { pilot: 'A', measuredA: 0, phaseCurrentsA: [0, 0, 0] });
    // Gone: its 32 A may still be drawn for the reaction delay (R-ALLOC-7), on L1 only — never on L2/L3.
    assert.deepEqual(findPlug(site.state, 1)!.drawLines, ['L1']);
    const b = statusOf(site.state, site.now).boards[0];
    assert.deepEqual([b.evA.L1, b.evA.L2, b.evA.L3], [32, 0, 0]);
    site.now += 2000;
    site.plug('CP01', 'A', { pilot: 'C', measuredA: 0, phaseCurrentsA: [0, 0, 0] });
    assert.equal(findPlug(site.state, 1)!.drawLines, null);
  });

  it('R-3PH-1 / R-ERR-1: a three-phase plug on a single-phase supply is ERR_CFG; a rotation that does not parse is refused and changes nothing', () => {
    const site = new Site({ supplyPhases: 1, contractedKW: 11 });
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: null, phases: 3, pilot: 'C' }] });
    const v = statusOf(site.state, site.now).plugs[0];
    assert.equal(v.status, 'ERR_CFG');
    assert.match(v.reason!, /three-phase plug on a single-phase supply/);
    const before = site.state;
    const bad = { ...plugMsg({ name: 'CP02', index: 2, plugs: [{ letter: 'A', phase: 'L1' }] }, site.now), rotation: 'RSX' };
    const r = step(before, { type: 'plug', plug: bad as never }, site.now);
    assert.match(r.error!, /plug\.rotation must be one of RST, RTS, SRT, STR, TRS, TSR/);
    assert.equal(r.state, before);
    const phases2 = { ...plugMsg({ name: 'CP02', index: 2, plugs: [{ letter: 'A', phase: 'L1' }] }, site.now) };
    phases2.plugs[0] = { ...phases2.plugs[0], phases: 2 as never };
    assert.match(step(before, { type: 'plug', plug: phases2 }, site.now).error!, /phases must be 1 or 3/);
    const currents = plugMsg({ name: 'CP02', index: 2, plugs: [{ letter: 'A', phase: 'L1', phaseCurrentsA: [1, -2, 3] }] }, site.now);
    assert.match(step(before, { type: 'plug', plug: currents }, site.now).error!, /phaseCurrentsA must be 3 currents/);
  });

  it('R-OFF-3 with R-3PH-1: an offline three-phase charge point is reserved on each of its lines', () => {
    const site = new Site();
    site.meter([0, 0, 0]);
    const cp: CpSpec = {
      name: 'CP01',
      index: 1,
      offline: { heartbeatS: 60, mode: 3, currentA: 10 },
      plugs: [{ letter: 'A', phase: null, phases: 3, pilot: 'C' }],
    };
    site.report(cp);
    settle(site, 5, [0, 0, 0]);
    site.report({ ...cp, online: false });
    settle(site, 70, [0, 0, 0]);
    // Mode 3, 10 A: 10 A reserved on L1, L2 and L3 once it has fallen back.
    assert.deepEqual(site.state.view.reservedA, [10, 10, 10]);
  });
});

describe('lib/balancer — boards (R-CIRC-1, R-CIRC-2)', () => {
  it('R-CIRC-1: a sub-board at its breaker while the site has room', () => {
    // Site: working limit 90 A, building 20 A → 70 A per line. Board B1: 32 A breaker, the site's
    // 10 % margin → 28.8 A. CP01 (A, B on L1) hangs on B1, CP02 (A on L1) on the site.
    // B1 L1: 28.8 / 2 = 14.4 → 14 A each; the site's L1 has 70 − 28.8 = 41.2 left → CP02 takes its 32 A.
    const site = new Site(BIG, undefined, [board('B1', 32)]);
    site.meter([20, 20, 20]);
    site.report({
      name: 'CP01',
      index: 1,
      board: 'B1',
      plugs: [
        { letter: 'A', phase: 'L1', pilot: 'C' },
        { letter: 'B', phase: 'L1', pilot: 'C' },
      ],
    });
    site.report({ name: 'CP02', index: 2, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    settle(site, 20, [20, 20, 20]);
    assert.deepEqual(site.sps([1, 2, 3]), [14, 14, 32]);
    const boards = statusOf(site.state, site.now).boards;
    assert.deepEqual(
      boards.map((b) => [b.name, b.parent, b.depth]),
      [
        ['site', null, 0],
        ['B1', 'site', 1],
      ],
    );
    const b1 = boards[1];
    assert.equal(b1.limitA, 32);
    assert.equal(b1.workingLimitA, 28.8);
    assert.equal(b1.evA.L1, 28);
    assert.equal(b1.loadA.L1, 28);
    assert.equal(b1.headroomA.L1, 0.8);
    assert.equal(b1.chargePoints, 1);
    // R-CIRC-2: the site's figures hold the board's EVs too.
    assert.equal(boards[0].evA.L1, 60);
    assert.equal(boards[0].otherA.L1, 20);
    assert.equal(boards[0].headroomA.L1, 10);
  });

  it("R-CIRC-1: a board's own margin and its meter (non-EV loads) shrink what its chargers share", () => {
    // B1: 40 A, own margin 20 % → 32 A; its meter reads 12 A on L1 → 20 A for CP01's two plugs: 10 A each.
    const site = new Site(BIG, undefined, [board('B1', 40, { marginPct: 20, hasMeter: true, otherLoadA: 5 })]);
    site.meter([20, 20, 20]);
    site.meter([12, 0, 0], 'B1');
    site.report({
      name: 'CP01',
      index: 1,
      board: 'B1',
      plugs: [
        { letter: 'A', phase: 'L1', pilot: 'C' },
        { letter: 'B', phase: 'L1', pilot: 'C' },
      ],
    });
    site.reportEveryS = 0;
    for (let s = 0; s < 20; s++) {
      site.now += 1000;
      site.meter([20, 20, 20]);
      site.meter([12, 0, 0], 'B1');
    }
    assert.deepEqual(site.sps([1, 2]), [10, 10]);
    // The meter is lost: at least its assumed 5 A, and the recent peak 12 A (R-MTR-4 rules) → still 10 A each.
    settle(site, 20, [20, 20, 20]);
    assert.deepEqual(site.sps([1, 2]), [10, 10]);
    assert.equal(statusOf(site.state, site.now).boards[1].meter!.online, false);
  });

  it('R-CIRC-1: nested boards — the tightest board on the path decides, on every line of a three-phase plug', () => {
    // Site 90 A working; B1 63 A (56.7 A working) on the site; B2 25 A (22.5 A working) on B1.
    // CP01 three-phase on B2; CP02 three-phase on B1: B2 gives CP01 at most 22.5 → 22 A; B1 has
    // 56.7 − 22.5 = 34.2 left for CP02 → its 32 A maximum.
    const site = new Site(BIG, undefined, [board('B1', 63), board('B2', 25, { parent: 'B1' })]);
    site.meter([0, 0, 0]);
    site.report({ name: 'CP01', index: 1, board: 'B2', plugs: [{ letter: 'A', phase: null, phases: 3, pilot: 'C' }] });
    site.report({ name: 'CP02', index: 2, board: 'B1', plugs: [{ letter: 'A', phase: null, phases: 3, pilot: 'C' }] });
    settle(site, 20, [0, 0, 0]);
    assert.deepEqual(site.sps([1, 3]), [22, 32]);
    const b = statusOf(site.state, site.now).boards;
    assert.deepEqual(
      b.map((x) => [x.name, x.depth, x.loadA.L2]),
      [
        ['site', 0, 54],
        ['B1', 1, 54],
        ['B2', 2, 22],
      ],
    );
    for (const x of b) for (const ph of ['L1', 'L2', 'L3'] as const) assert.ok(x.headroomA[ph]! >= 0, `${x.name} ${ph}`);
  });

  it('R-CIRC-1 / R-ERR-1: a board cycle, an unknown parent are site errors (every plug 0 A); a charger on an unknown board is ERR_CFG', () => {
    const cycle = initialState({ ...DEFAULT_PARAMS }, 0, [board('A', 32, { parent: 'B' }), board('B', 32, { parent: 'A' })]);
    assert.match(cycle.errors.join(';'), /cycle/);
    assert.match(validateBoards([board('B\u0007', 32)]).join(';'), /name must not contain control characters/);
    assert.match(validateBoards([board('B1', 32), board('B1', 40)]).join(';'), /used twice/);
    assert.match(validateBoards([board('site', 32)]).join(';'), /the site's own board/);
    const unknown = initialState({ ...DEFAULT_PARAMS }, 0, [board('A', 32, { parent: 'Z' })]);
    assert.match(unknown.errors.join(';'), /parent "Z" is not a board/);
    const site = new Site(BIG, undefined, [board('A', 32, { parent: 'B' }), board('B', 32, { parent: 'A' })]);
    site.report({ name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    settle(site, 10, [0, 0, 0]);
    assert.equal(site.sp(1), 0);
    const ok = new Site(BIG, undefined, [board('B1', 32)]);
    ok.report({ name: 'CP01', index: 1, board: 'B9', plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    settle(ok, 10, [0, 0, 0]);
    const v = statusOf(ok.state, ok.now).plugs[0];
    assert.equal(v.status, 'ERR_CFG');
    assert.match(v.reason!, /board B9 is not declared in the balancer/);
    assert.equal(ok.sp(1), 0);
  });

  it('R-ERR-1: a reading for an unknown board, or a board without a meter, is refused and changes nothing', () => {
    const site = new Site(BIG, undefined, [board('B1', 32)]);
    const before = site.state;
    const r1 = step(before, { type: 'meter', meter: { online: true, currentA: [1, 1, 1], timestamp: site.now, board: 'B7' } }, site.now);
    assert.match(r1.error!, /meter\.board "B7" is not a board of this balancer/);
    assert.equal(r1.state, before);
    const r2 = step(before, { type: 'meter', meter: { online: true, currentA: [1, 1, 1], timestamp: site.now, board: 'B1' } }, site.now);
    assert.match(r2.error!, /board B1 has no meter configured/);
  });

  it('R-CIRC-1 / R-SEC-2: the deployed boards replace stored ones at start; a stored state with boards is restorable', () => {
    const site = new Site(BIG, undefined, [board('B1', 32, { hasMeter: true })]);
    site.meter([3, 3, 3], 'B1');
    site.report({ name: 'CP01', index: 1, board: 'B1', plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] });
    const stored = JSON.parse(JSON.stringify(site.state));
    assert.equal(restoreProblem(stored, site.now), null);
    // Same board deployed: its readings are kept.
    const same = withDeployedBoards(stored, [board('B1', 32, { hasMeter: true })]);
    assert.deepEqual(same.boards[0].meter!.realtimeA, [3, 3, 3]);
    // The board was removed in the editor: CP01's board is now unknown → ERR_CFG.
    const gone = withDeployedBoards(stored, []);
    assert.equal(gone.chargePoints[0].boardKnown, false);
    // A changed breaker: the new limit rules.
    const lower = withDeployedBoards(stored, [board('B1', 16, { hasMeter: true })]);
    assert.equal(lower.boards[0].config.limitA, 16);
    assert.equal(lower.boards[0].meter!.lastValidAt, null);
  });
});

describe('lib/balancer — unbalance limit (R-UNB-1)', () => {
  const twoSinglesAndOneThree = (site: Site) => {
    site.report({
      name: 'CP01',
      index: 1,
      plugs: [
        { letter: 'A', phase: 'L1', pilot: 'C' },
        { letter: 'B', phase: 'L1', pilot: 'C' },
      ],
    });
    site.report({ name: 'CP02', index: 2, plugs: [{ letter: 'A', phase: null, phases: 3, pilot: 'C', maxCurrentA: 16 }] });
  };

  it('without a limit: two single-phase plugs on L1 at 32 A beside a 16 A three-phase plug, 64 A apart', () => {
    const site = new Site(BIG);
    twoSinglesAndOneThree(site);
    settle(site, 20, [0, 0, 0]);
    assert.deepEqual(site.sps([1, 2, 3]), [32, 32, 16]);
    assert.equal(statusOf(site.state, site.now).unbalance, null);
  });

  it('R-UNB-1: 20 A limit: the single-phase plugs on the heaviest line are trimmed to 10 A each (L1 36 A, L2/L3 16 A)', () => {
    // Loads without trim: L1 = 32 + 32 + 16 = 80, L2 = L3 = 16 → 64 A apart. Excess 64 − 20 = 44 A
    // taken from the single-phase plugs on L1: 64 − 44 = 20 A → 10 A each. L1 36 A, spread 20 A.
    const site = new Site({ ...BIG, unbalanceLimitA: 20 });
    twoSinglesAndOneThree(site);
    settle(site, 20, [0, 0, 0]);
    assert.deepEqual(site.sps([1, 2, 3]), [10, 10, 16]);
    const u = statusOf(site.state, site.now).unbalance!;
    assert.deepEqual(u, { limitA: 20, spreadA: 20, ok: true });
  });

  it('R-UNB-1: 10 A limit: 10 A cannot keep two plugs at I_min, so the highest id pauses and the other takes 10 A', () => {
    const site = new Site({ ...BIG, unbalanceLimitA: 10 });
    twoSinglesAndOneThree(site);
    settle(site, 20, [0, 0, 0]);
    assert.deepEqual(site.sps([1, 2, 3]), [10, 0, 16]);
    assert.equal(statusOf(site.state, site.now).unbalance!.spreadA, 10);
  });

  it('R-UNB-1: building load counts — a building 30 A heavier on L1 leaves the L1 plugs nothing under a 20 A limit', () => {
    // Building [30, 0, 0]: L1 = 30 + 16 + single-phase ≤ 16 + 20 → single-phase plugs' share ≤ −10 → 0: both wait.
    const site = new Site({ ...BIG, unbalanceLimitA: 20 });
    site.meter([30, 0, 0]);
    twoSinglesAndOneThree(site);
    settle(site, 20, [30, 0, 0]);
    assert.deepEqual(site.sps([1, 2, 3]), [0, 0, 16]);
  });

  it('R-UNB-1 / R-SEC-2: the limit may be set or lowered at run time, never raised or turned off', () => {
    const off = new Site(BIG);
    assert.equal(off.apply({ type: 'params', params: { unbalanceLimitA: 20 } }).error, null);
    const on = new Site({ ...BIG, unbalanceLimitA: 20 });
    assert.equal(on.apply({ type: 'params', params: { unbalanceLimitA: 15 } }).error, null);
    assert.throws(() => on.apply({ type: 'params', params: { unbalanceLimitA: 0 } }), /may not be turned off at run time/);
    const on2 = new Site({ ...BIG, unbalanceLimitA: 20 });
    assert.throws(() => on2.apply({ type: 'params', params: { unbalanceLimitA: 30 } }), /may not be raised above the deployed 20 A/);
  });
});
