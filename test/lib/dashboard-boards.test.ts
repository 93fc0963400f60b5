/**
 * The boards screen and the plug rows' wiring (issue 11 dashboard part; SPEC §10 R-CIRC-2, R-UNB-1,
 * R-3PH-1, R-3PH-3) and the two issue 11 parameters on the parameters screen (R-MON-3, R-SEC-2).
 * The statuses are made by hand: a real status of a small site (lib/core) with its `boards`,
 * `unbalance` and plug wiring replaced by hand-computed figures, so the views are checked against
 * numbers written here, not against what the core happens to produce.
 */
import { strict as assert } from 'assert';
import { boardsView, paramsView, plugsView, plugWiring, statusProblems } from '../../lib/dashboard/dashboard';
import { SCREENS } from '../../lib/dashboard/screens';
import { DEFAULT_PARAMS } from '../../lib/shared/params';
import { statusOf } from '../../lib/core/status';
import type { BoardView, PlugView, SiteParams, StatusMessage } from '../../lib/shared/types';
import { Site } from '../support/site';

/** A real status of a three-phase site with three charge points (two plugs each). */
function baseStatus(): StatusMessage {
  const site = new Site();
  site.report({
    name: 'CP01',
    index: 1,
    plugs: [
      { letter: 'A', phase: 'L1', pilot: 'C', measuredA: 14 },
      { letter: 'B', phase: 'L2' },
    ],
  });
  site.report({
    name: 'CP02',
    index: 2,
    plugs: [
      { letter: 'A', phase: 'L3', pilot: 'C', measuredA: 10 },
      { letter: 'B', phase: 'L1' },
    ],
  });
  site.report({
    name: 'CP03',
    index: 3,
    plugs: [
      { letter: 'A', phase: 'L2' },
      { letter: 'B', phase: 'L3' },
    ],
  });
  site.meter([20, 21, 22]);
  site.run(5, [20, 21, 22]);
  return statusOf(site.state, site.now);
}

const pp = (l1: number, l2: number, l3: number) => ({ L1: l1, L2: l2, L3: l3 });

/**
 * Site 125 A (margin 10 % → 112.5 A) with "Garage" (63 A, the site's 10 % → 56.7 A, no meter,
 * CP01) and under it "Garage East" (40 A, own margin 5 % → 38 A, meter OFFLINE, CP02), which is
 * over its working limit on L2 (load 39.5 A, headroom −1.5 A). Loads: other + EV + reserved.
 */
function boardsStatus(): StatusMessage {
  const s = baseStatus();
  const board = (b: Omit<BoardView, 'loadA' | 'headroomA'>): BoardView => {
    const load = pp(
      b.otherA.L1! + b.evA.L1! + b.reservedA.L1!,
      b.otherA.L2! + b.evA.L2! + b.reservedA.L2!,
      b.otherA.L3! + b.evA.L3! + b.reservedA.L3!,
    );
    return {
      ...b,
      loadA: load,
      headroomA: pp(b.workingLimitA - load.L1, b.workingLimitA - load.L2, b.workingLimitA - load.L3),
    };
  };
  s.boards = [
    board({
      name: 'site',
      parent: null,
      depth: 0,
      limitA: 125,
      marginPct: 10,
      workingLimitA: 112.5,
      meter: { online: true, lastReadingAt: s.timestamp },
      otherA: pp(20, 21, 22),
      evA: pp(16, 32, 26),
      reservedA: pp(0, 0, 8),
      chargePoints: 1,
    }),
    board({
      name: 'Garage',
      parent: 'site',
      depth: 1,
      limitA: 63,
      marginPct: 10,
      workingLimitA: 56.7,
      meter: null,
      otherA: pp(5, 5, 5),
      evA: pp(16, 32, 16),
      reservedA: pp(0, 0, 8),
      chargePoints: 1,
    }),
    board({
      name: 'Garage East',
      parent: 'Garage',
      depth: 2,
      limitA: 40,
      marginPct: 5,
      workingLimitA: 38,
      meter: { online: false, lastReadingAt: null },
      otherA: pp(3, 7.5, 3),
      evA: pp(0, 32, 0),
      reservedA: pp(0, 0, 0),
      chargePoints: 1,
    }),
  ];
  s.unbalance = { limitA: 20, spreadA: 26, ok: false };
  // CP01 A: a three-phase plug (RST) whose vehicle draws on L2 only; CP02 A: three-phase, rotation STR, on all three.
  const patch = (id: number, v: Partial<PlugView>) =>
    Object.assign(
      s.plugs.find((p) => p.id === id)!,
      v,
    );
  patch(1, { phases: 3, lines: ['L1', 'L2', 'L3'], drawLines: ['L2'], phase: 'L1', board: 'Garage' });
  patch(2, { board: 'Garage' });
  patch(3, { phases: 3, lines: ['L2', 'L3', 'L1'], drawLines: ['L2', 'L3', 'L1'], phase: 'L2', board: 'Garage East' });
  patch(4, { board: 'Garage East' });
  return s;
}

describe('lib/dashboard — boards screen (issue 11, R-CIRC-2, R-UNB-1)', () => {
  it('R-CIRC-2: the tree site first, indented by depth; per board and line limit, working limit, non-EV, EV, reserved, load and headroom', () => {
    const v = boardsView(boardsStatus());
    assert.deepEqual(v.phases, ['L1', 'L2', 'L3']);
    assert.deepEqual(
      v.boards.map((b) => [b.name, b.label, b.depth, b.indentEm, b.fedFrom]),
      [
        ['site', 'Site (main board)', 0, 0, ''],
        ['Garage', 'Garage', 1, 1.2, 'fed from site'],
        ['Garage East', 'Garage East', 2, 2.4, 'fed from Garage'],
      ],
    );
    const site = v.boards[0];
    assert.deepEqual(
      site.lines.map((l) => [l.phase, l.limit, l.working, l.other, l.ev, l.reserved, l.load, l.headroom, l.over]),
      [
        ['L1', '125', '112.5', '20', '16', '0', '36', '76.5', false],
        ['L2', '125', '112.5', '21', '32', '0', '53', '59.5', false],
        ['L3', '125', '112.5', '22', '26', '8', '56', '56.5', false],
      ],
    );
    const garage = v.boards[1];
    assert.deepEqual(
      garage.lines.map((l) => [l.phase, l.limit, l.working, l.load, l.headroom, l.over]),
      [
        ['L1', '63', '56.7', '21', '35.7', false],
        ['L2', '63', '56.7', '37', '19.7', false],
        ['L3', '63', '56.7', '29', '27.7', false],
      ],
    );
    assert.equal(garage.margin, '10 %');
    assert.equal(site.chargePointsText, '1 charge point');
  });

  it('R-CIRC-2: a board over its working limit has a negative headroom marked over on that line only', () => {
    const v = boardsView(boardsStatus());
    const east = v.boards[2];
    assert.deepEqual(
      east.lines.map((l) => [l.phase, l.load, l.headroom, l.over]),
      [
        ['L1', '3', '35', false],
        ['L2', '39.5', '-1.5', true],
        ['L3', '3', '35', false],
      ],
    );
    assert.equal(east.over, true);
    assert.equal(v.overCount, 1);
    assert.equal(SCREENS.boards.statusText(boardsStatus()), '3 boards, 1 over, unbalance over');
    // A headroom that rounds to 0 is not shown as over (no red "0").
    const s = boardsStatus();
    s.boards[1].headroomA = pp(-0.01, 0, 4);
    assert.deepEqual(
      boardsView(s).boards[1].lines.map((l) => [l.headroom, l.over]),
      [
        ['0', false],
        ['0', false],
        ['4', false],
      ],
    );
  });

  it('meters: the site shows the analyser, a sub-board its own meter online / OFFLINE or none', () => {
    const s = boardsStatus();
    assert.deepEqual(
      boardsView(s).boards.map((b) => [b.meter, b.meterState]),
      [
        ['analyser online', 'online'],
        ['no meter', 'none'],
        ['meter OFFLINE', 'offline'],
      ],
    );
    s.boards[0].meter = { online: false, lastReadingAt: null };
    s.boards[2].meter = { online: true, lastReadingAt: s.timestamp };
    assert.deepEqual(
      boardsView(s).boards.map((b) => b.meter),
      ['analyser OFFLINE', 'no meter', 'meter online'],
    );
    s.analyser.enabled = false;
    assert.equal(boardsView(s).boards[0].meter, 'analyser disabled');
  });

  it('R-UNB-1: the unbalance line when a limit is set (red when over), none when off', () => {
    const s = boardsStatus();
    assert.deepEqual(boardsView(s).unbalance, {
      limit: '20 A',
      spread: '26 A',
      ok: false,
      text: 'Unbalance at the site: 26 A between the most and least loaded line, limit 20 A — OVER THE LIMIT',
    });
    s.unbalance = { limitA: 20, spreadA: 12.25, ok: true };
    assert.equal(boardsView(s).unbalance!.text, 'Unbalance at the site: 12.3 A between the most and least loaded line, limit 20 A');
    s.unbalance = null;
    assert.equal(boardsView(s).unbalance, null);
  });

  it('a single-phase site shows L1 only; a status without boards says so instead of an empty table', () => {
    const s = boardsStatus();
    delete s.consumption.L2;
    delete s.consumption.L3;
    assert.deepEqual(
      boardsView(s).boards[2].lines.map((l) => l.phase),
      ['L1'],
    );
    const old = baseStatus() as unknown as Record<string, unknown>;
    delete old.boards;
    delete old.unbalance;
    assert.deepEqual(statusProblems(old), []);
    const v = boardsView(old as unknown as StatusMessage);
    assert.deepEqual(v.boards, []);
    assert.match(v.note, /no board figures/);
    assert.equal(SCREENS.boards.statusText(old as unknown as StatusMessage), 'no board figures');
    assert.match(statusProblems({ ...old, boards: 'x' }).join(), /status\.boards/);
    assert.match(statusProblems({ ...old, unbalance: 7 }).join(), /status\.unbalance/);
  });

  it('a real status of the manual site has the site board first with its working limit (R-CIRC-1: the site is the root)', () => {
    const s = baseStatus();
    const v = boardsView(s);
    assert.deepEqual(
      v.boards.map((b) => [b.label, b.meter, b.lines.map((l) => [l.limit, l.working])]),
      [
        [
          'Site (main board)',
          'analyser online',
          [
            ['50', '45'],
            ['50', '45'],
            ['50', '45'],
          ],
        ],
      ],
    );
    assert.equal(v.unbalance, null);
  });

  it('through the real core (issue 11 core): a 3φ plug on sub-board Garage drawing on L2 only, beside a 1φ L2 plug on the site — figures by hand', () => {
    // Site 50 A, margin 10 % → 45 A; building 10 A per line. Garage 32 A, the site's margin → 28.8 A,
    // no meter, 4 A assumed. Plug 01 (3φ, RST) draws on charger phase 2 = L2 only: after the 30 s
    // settling it is counted on L2 only (R-3PH-3). L2 at the site: 45 − 10 = 35 A for plugs 01 and 03
    // → 17.5 each → 17 A (1 A resolution). Site L2: 10 + 34 = 44, headroom 1; Garage L2: 4 + 17 = 21, headroom 7.8.
    const site = new Site({}, undefined, [{ name: 'Garage', parent: 'site', limitA: 32, marginPct: null, hasMeter: false, otherLoadA: 4 }]);
    site.report({
      name: 'CP01',
      index: 1,
      board: 'Garage',
      plugs: [
        { letter: 'A', phase: 'L1', phases: 3, pilot: 'C', measuredA: 16, phaseCurrentsA: [0, 16, 0] },
        { letter: 'B', phase: 'L3' },
      ],
    });
    site.report({ name: 'CP02', index: 2, plugs: [{ letter: 'A', phase: 'L2', pilot: 'C', measuredA: 10 }] });
    site.meter([10, 10, 10]);
    site.run(60, [10, 10, 10]);
    const s = statusOf(site.state, site.now);
    assert.deepEqual(
      plugsView(s)
        .chargePoints.flatMap((c) => c.plugs)
        .map((p) => [p.idText, p.wiring, p.board, p.setpoint]),
      [
        ['01', '3φ L1 L2 L3 → drawing L2', 'Garage', '17 A'],
        ['02', '1φ L3', 'Garage', '0 A'],
        ['03', '1φ L2', 'site', '17 A'],
      ],
    );
    assert.deepEqual(
      boardsView(s).boards.map((b) => [
        b.label,
        b.meter,
        b.chargePointsText,
        b.lines.map((l) => [l.phase, l.limit, l.working, l.other, l.ev, l.reserved, l.load, l.headroom]),
      ]),
      [
        [
          'Site (main board)',
          'analyser online',
          '1 charge point',
          [
            ['L1', '50', '45', '10', '0', '0', '10', '35'],
            ['L2', '50', '45', '10', '34', '0', '44', '1'],
            ['L3', '50', '45', '10', '0', '0', '10', '35'],
          ],
        ],
        [
          'Garage',
          'no meter',
          '1 charge point',
          [
            ['L1', '32', '28.8', '4', '0', '0', '4', '24.8'],
            ['L2', '32', '28.8', '4', '17', '0', '21', '7.8'],
            ['L3', '32', '28.8', '4', '0', '0', '4', '24.8'],
          ],
        ],
      ],
    );
  });
});

describe('lib/dashboard — plug rows: 1φ / 3φ, lines wired and drawn, board (issue 11, R-3PH-1, R-3PH-3)', () => {
  it('a 3φ plug drawing on one line reads "3φ L1 L2 L3 → drawing L2"; a rotated 3φ plug its lines in charger phase order', () => {
    const v = plugsView(boardsStatus());
    const rows = v.chargePoints.flatMap((c) => c.plugs);
    assert.deepEqual(
      rows.map((r) => [r.idText, r.wiring, r.drawing, r.board]),
      [
        ['01', '3φ L1 L2 L3 → drawing L2', 'drawing L2', 'Garage'],
        ['02', '1φ L2', '', 'Garage'],
        ['03', '3φ L2 L3 L1', '', 'Garage East'],
        ['04', '1φ L1', '', 'Garage East'],
        ['05', '1φ L2', '', 'site'],
        ['06', '1φ L3', '', 'site'],
      ],
    );
    assert.equal(rows[0].phases, '3φ');
    assert.equal(rows[0].lines, 'L1 L2 L3');
    assert.equal(v.showBoards, true);
  });

  it('on a site without sub-boards the board line is hidden; a 1φ plug without a phase says so', () => {
    const s = baseStatus();
    s.boards = s.boards.slice(0, 1);
    for (const p of s.plugs) p.board = 'site';
    assert.equal(plugsView(s).showBoards, false);
    assert.deepEqual(plugWiring({ phase: null, phases: 1, lines: [], drawLines: [] }), {
      phases: '1φ',
      lines: 'phase not set',
      drawing: '',
      wiring: '1φ phase not set',
    });
  });

  it('a status from an older balancer (no phases / lines) reads as 1φ on its phase; junk in lines is left out', () => {
    assert.equal(plugWiring({ phase: 'L3' }).wiring, '1φ L3');
    assert.equal(plugWiring({ phase: 'L1', phases: 3, lines: ['L1', '<b>', 'L3'], drawLines: ['L3'] }).wiring, '3φ L1 L3 → drawing L3');
  });
});

describe('lib/dashboard — parameters screen: unbalance limit and phase settling time (issue 11, R-UNB-1, R-3PH-3, R-SEC-2)', () => {
  it('both parameters are on the screen with label, unit, range and value', () => {
    const s = baseStatus();
    s.params = { ...s.params, unbalanceLimitA: 20, phaseSettleS: 45 };
    const rows = paramsView(s.params).rows;
    const unb = rows.find((r) => r.key === 'unbalanceLimitA')!;
    const settle = rows.find((r) => r.key === 'phaseSettleS')!;
    assert.deepEqual([unb.label, unb.text, unb.range, unb.ref], ['Unbalance limit (0 = none)', '20 A', '0 – 6300 A', 'R-UNB-1']);
    assert.deepEqual(
      [settle.label, settle.text, settle.range, settle.ref],
      ['Phase detection settling time', '45 s', '5 – 600 s', 'R-3PH-3'],
    );
  });

  /** The params screen's server-side check (the same both widget families run) against a deployed configuration. */
  const check = (deployed: Partial<SiteParams>, current: Partial<SiteParams>, payload: object) => {
    const s = baseStatus();
    s.deployedParams = { ...DEFAULT_PARAMS, ...deployed } as SiteParams;
    s.params = { ...DEFAULT_PARAMS, ...current } as SiteParams;
    return SCREENS.params.edit!.check(payload, s);
  };

  it('R-UNB-1 ceiling: deployed 20 A may be lowered, not raised nor turned off (0) at run time', () => {
    assert.equal(check({ unbalanceLimitA: 20 }, { unbalanceLimitA: 20 }, { unbalanceLimitA: 10 }).ok, true);
    const raised = check({ unbalanceLimitA: 20 }, { unbalanceLimitA: 20 }, { unbalanceLimitA: 30 });
    assert.equal(raised.ok, false);
    assert.match(
      (raised as { error: string }).error,
      /Unbalance limit \(0 = none\) \(unbalanceLimitA\) may not be raised above the deployed 20 A/,
    );
    const off = check({ unbalanceLimitA: 20 }, { unbalanceLimitA: 10 }, { unbalanceLimitA: 0 });
    assert.equal(off.ok, false);
    assert.match((off as { error: string }).error, /unbalanceLimitA\) may not be turned off at run time \(deployed: 20 A\)/);
  });

  it('R-UNB-1 ceiling: with none deployed (0) any limit may be set at run time; out of range is refused', () => {
    assert.equal(check({ unbalanceLimitA: 0 }, { unbalanceLimitA: 0 }, { unbalanceLimitA: 16 }).ok, true);
    const big = check({ unbalanceLimitA: 0 }, { unbalanceLimitA: 0 }, { unbalanceLimitA: 7000 });
    assert.equal(big.ok, false);
    assert.match((big as { error: string }).error, /unbalanceLimitA|Unbalance limit/);
  });

  it('R-3PH-3 ceiling: the settling time may be raised, never set below the deployed one', () => {
    assert.equal(check({ phaseSettleS: 30 }, { phaseSettleS: 30 }, { phaseSettleS: 60 }).ok, true);
    const lower = check({ phaseSettleS: 30 }, { phaseSettleS: 60 }, { phaseSettleS: 10 });
    assert.equal(lower.ok, false);
    assert.match((lower as { error: string }).error, /\(phaseSettleS\) may not be set below the deployed 30 s/);
    const tooShort = check({ phaseSettleS: 5 }, { phaseSettleS: 5 }, { phaseSettleS: 2 });
    assert.equal(tooShort.ok, false);
  });
});
