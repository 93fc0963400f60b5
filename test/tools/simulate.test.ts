import { strict as assert } from 'assert';
import {
  jainIndex,
  manualSite,
  mixedSite,
  parseArgs,
  runSimulation,
  scaledParams,
  scaledSite,
  treeFill,
  UsageError,
  waterFill,
  withPhases,
} from '../../tools/simulate';

describe('tools/simulate — the day simulation (issue 5)', () => {
  it('manual site, 2 simulated hours from 07:00: no ampere-second above the limit, R-ALLOC-9 holds, energy delivered; deterministic for a seed', () => {
    const a = runSimulation({ hours: 2, seed: 1, startHour: 7 });
    assert.equal(a.plugs, 24);
    assert.equal(a.limitA, 50);
    assert.equal(a.overloadAs, 0, 'overload KPI (A·s above I_limit) is 0');
    assert.equal(a.invariantViolations, 0);
    for (const ph of ['L1', 'L2', 'L3'] as const) assert.ok(a.phases[ph]!.peakA <= 50, `${ph} peak ${a.phases[ph]!.peakA}`);
    assert.ok(a.arrivals > 0);
    assert.ok(a.energyDeliveredKWh > 0);
    assert.ok(a.energyDeliveredKWh <= a.energyIdealKWh * 1.001, 'never more than the ideal fluid allocation');
    assert.equal(a.offlineFallbacks, 0, 'the balancer refreshes every device within its heartbeat (R-OFF-1)');
    assert.deepEqual(runSimulation({ hours: 2, seed: 1, startHour: 7 }), a, 'same seed, same KPIs');
    const b = runSimulation({ hours: 2, seed: 2, startHour: 7 });
    assert.notDeepEqual(b, a, 'another seed, another day');
    assert.equal(b.overloadAs, 0);
  });

  it('scripted arrivals (R-ALLOC-4/6): on a loaded L1 only as many vehicles as get ≥ I_min are served, the highest plug ids wait', () => {
    const script = [1, 3, 5, 7, 9].flatMap((cp, i) =>
      ['A', 'B']
        .filter((l) => cp !== 3 || l === 'A')
        .map((l) => ({
          at: 10_000 + i * 1000,
          plug: `CP0${cp}/${l}`,
          leaveAt: 3600_000,
          vehicle: { socPct: 20, capacityKWh: 80, restEveryH: 0, faultEveryH: 0 },
        })),
    );
    const k = runSimulation({
      hours: 1,
      seed: 3,
      script,
      building: { mode: 'constant', currentsA: [20, 5, 5] },
    });
    assert.equal(k.arrivals, script.length);
    assert.equal(k.overloadAs, 0);
    assert.equal(k.invariantViolations, 0);
    // L1 (plugs 1, 2, 5, 9, 10): 45 − 20 = 25 A → 3 vehicles at 8 A, plugs 9 and 10 wait;
    // L2 (CP07, CP09): 40 A for 4 vehicles → all charge
    assert.ok(k.phases.L1!.peakA <= 45 + 1e-9);
    assert.equal(k.neverServed, 2);
    assert.equal(k.sessionsServed, 7);
    assert.ok(k.worstWaitS >= 3500, 'the two waiting vehicles waited their whole stay');
    assert.ok(k.energyRatio > 0.8 && k.energyRatio <= 1.001, `${k.energyRatio}`);
  });

  it('--plugs N builds a larger site over the three phases with the limit scaled, and stays within it', () => {
    const site = scaledSite(61);
    assert.equal(
      site.reduce((a, c) => a + c.plugs.length, 0),
      61,
    );
    const perPhase = { L1: 0, L2: 0, L3: 0 };
    for (const c of site) for (const p of c.plugs) perPhase[p.phase]++;
    assert.ok(Math.max(...Object.values(perPhase)) - Math.min(...Object.values(perPhase)) <= 2);
    assert.deepEqual(scaledParams(48), { mccbA: 100, contractedKW: 72 });
    const k = runSimulation({ hours: 1, seed: 4, plugs: 60, startHour: 8 });
    assert.equal(k.plugs, 60);
    assert.equal(k.overloadAs, 0);
    assert.equal(k.invariantViolations, 0);
  });

  it('the manual site: 15 charge points, CP10 disabled, 24 plugs (9 on L1, 8 on L2, 7 on L3)', () => {
    const site = manualSite();
    assert.equal(site.length, 15);
    assert.equal(site.find((c) => c.name === 'CP10')!.enabled, false);
    const count = (ph: string) => site.filter((c) => c.enabled).reduce((a, c) => a + c.plugs.filter((p) => p.phase === ph).length, 0);
    assert.deepEqual([count('L1'), count('L2'), count('L3')], [9, 8, 7]);
  });

  it("KPI helpers: water-filling and Jain's index", () => {
    assert.deepEqual(waterFill(30, [5, 32, 32]), [5, 12.5, 12.5]);
    assert.deepEqual(waterFill(100, [5, 10]), [5, 10]);
    assert.equal(jainIndex([1, 1, 1, 1]), 1);
    assert.equal(jainIndex([1, 0, 0, 0]), 0.25);
    assert.equal(jainIndex([]), null);
  });

  it('issue 11: the mixed car park read from examples/mixed-car-park.json — boards, phases, rotations, opening vehicles', () => {
    const m = mixedSite();
    assert.equal(m.chargePoints.length, 14);
    assert.deepEqual(
      m.boards.map((b) => [b.name, b.parent, b.limitA, b.hasMeter, b.otherLoadA]),
      [
        ['level-1', 'site', 63, true, 10],
        ['level-2', 'site', 40, false, 5],
      ],
    );
    assert.equal(m.params.mccbA, 125);
    assert.equal(m.params.contractedKW, 80);
    const three = m.chargePoints.filter((c) => c.plugs[0].phases === 3);
    assert.equal(three.length, 8);
    assert.deepEqual(
      three.map((c) => c.rotation),
      ['RST', 'STR', 'TRS', 'RST', 'STR', 'TRS', 'RST', 'STR'],
    );
    assert.deepEqual(
      m.chargePoints.filter((c) => c.plugs[0].phases !== 3).map((c) => c.plugs[0].phase),
      ['L1', 'L2', 'L3', 'L1', 'L2', 'L3'],
    );
    assert.equal(m.opening.length, 14);
    assert.ok(m.opening.every((o) => o.at === 0 && o.leaveAt >= 4 * 3600_000));
    assert.deepEqual(
      m.opening.filter((o) => o.vehicle?.obcPhases === 1).map((o) => o.plug),
      ['CP02/A', 'CP06/A', 'CP08/A', 'CP09/A', 'CP10/A', 'CP11/A', 'CP12/A', 'CP13/A', 'CP14/A'],
      'single-phase cars: on the single-phase plugs and on three three-phase plugs',
    );
    assert.equal(m.singlePhasePct, 25);
  });

  it('issue 11: withPhases adds rotation, board, plug phases and per-phase currents to a plug message, keeping what is there', () => {
    const cfg = {
      name: 'CP01',
      index: 1,
      address: '',
      enabled: true,
      rotation: 'STR' as const,
      board: 'level-1',
      offline: { heartbeatS: 120, mode: 0 as const, currentA: 8 },
      plugs: [{ letter: 'A' as const, phase: 'L2' as const, priority: false, maxCurrentA: 32, phases: 3 as const }],
    };
    const msg = withPhases(
      {
        chargePoint: 'CP01',
        index: 1,
        address: '',
        enabled: true,
        online: true,
        offline: cfg.offline,
        timestamp: 0,
        plugs: [{ letter: 'A', id: 1, phase: 'L2', priority: false, maxCurrentA: 32, pilot: 'C', measuredA: 16, energyWh: 0, plate: '-' }],
      },
      cfg,
      { plugs: [{ letter: 'A', pilot: 'C', currentA: 16, phaseCurrentsA: [16, 0, 0] }] },
    );
    assert.equal(msg.rotation, 'STR');
    assert.equal(msg.board, 'level-1');
    assert.equal(msg.plugs[0].phases, 3);
    assert.deepEqual(msg.plugs[0].phaseCurrentsA, [16, 0, 0]);
  });

  it('issue 11: treeFill — max-min fair over a board tree (hand-computed)', () => {
    // Site room 30 A; board 1 (below the site) room 10 A with three vehicles; one vehicle on the site itself.
    const f = treeFill(
      [
        { cap: 32, chain: [1, 0] },
        { cap: 32, chain: [1, 0] },
        { cap: 32, chain: [1, 0] },
        { cap: 32, chain: [0] },
      ],
      [30, 10],
    );
    assert.deepEqual(
      f.map((x) => Math.round(x * 1000) / 1000),
      [3.333, 3.333, 3.333, 20],
    );
    // The board is not binding: the site shares 30 A among four, one capped at 4 A → 4, 8.667 × 3.
    const g = treeFill(
      [
        { cap: 4, chain: [1, 0] },
        { cap: 32, chain: [1, 0] },
        { cap: 32, chain: [0] },
        { cap: 32, chain: [0] },
      ],
      [30, 40],
    );
    assert.deepEqual(
      g.map((x) => Math.round(x * 1000) / 1000),
      [4, 8.667, 8.667, 8.667],
    );
    // No board: the same as water-filling.
    assert.deepEqual(
      treeFill(
        [5, 32, 32].map((cap) => ({ cap, chain: [0] })),
        [30],
      ),
      waterFill(30, [5, 32, 32]),
    );
    assert.deepEqual(treeFill([{ cap: 10, chain: [0] }], [-5]), [0], 'no room: nothing');
  });

  it('issue 11 (R-CIRC-1, R-3PH-3, R-UNB-1): the mixed car park, 2 simulated hours: no ampere-second above any breaker on any board and line', () => {
    const k = runSimulation({ hours: 2, seed: 1, startHour: 7, site: mixedSite() });
    assert.equal(k.plugs, 14);
    assert.deepEqual(
      k.boards!.map((b) => b.name),
      ['site', 'level-1', 'level-2'],
    );
    for (const b of k.boards!) {
      assert.equal(b.overloadAs, 0, `${b.name}: ${JSON.stringify(b.phases)}`);
      assert.equal(b.invariantViolations, 0, b.name);
    }
    assert.ok(k.energyDeliveredKWh > 0 && k.energyRatio <= 1 + 1e-9, String(k.energyRatio));
    assert.ok(k.unbalance && k.unbalance.limitA === 20);
  });

  it('command line: options parsed, mistakes refused', () => {
    assert.deepEqual(parseArgs(['--hours', '24', '--seed', '7', '--plugs', '100', '--json']), {
      options: { hours: 24, seed: 7, plugs: 100 },
      json: true,
      help: false,
    });
    assert.throws(() => parseArgs(['--hours', 'x']), UsageError);
    assert.throws(() => parseArgs(['--plugs', '1.5']), UsageError);
    assert.throws(() => parseArgs(['--fast']), UsageError);
    assert.equal(parseArgs(['--site', 'mixed']).options.site!.chargePoints.length, 14);
    assert.throws(() => parseArgs(['--site', 'big']), UsageError);
  });
});
