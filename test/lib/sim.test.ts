import { strict as assert } from 'assert';
import * as fc from 'fast-check';
import { ARRIVAL_SHAPE, RandomArrivals, validateScript } from '../../lib/sim/arrivals';
import { BuildingLoad, profileFactor } from '../../lib/sim/building';
import { localHour, localMidnight } from '../../lib/sim/clock';
import { SimDevice, validateDeviceCommand } from '../../lib/sim/device';
import { configFromEditor, parseVehicleInput } from '../../lib/sim/ev-sim-config';
import { Rng } from '../../lib/sim/random';
import {
  MAX_REACTION_DELAY_S,
  randomVehicleFor,
  randomVehicleSpec,
  validateVehicleSpec,
  Vehicle,
  VEHICLE_DEFAULTS,
  type VehicleSpec,
} from '../../lib/sim/vehicle';
import type { DeviceCommand, OfflineConfig, PlugLetter } from '../../lib/shared/types';

const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);
/** A vehicle that neither rests nor faults unless asked: the deterministic core of the model. */
const calm = (over: Partial<VehicleSpec> = {}): VehicleSpec => ({ ...VEHICLE_DEFAULTS, restEveryH: 0, faultEveryH: 0, ...over });

function cmd(plugs: Partial<Record<PlugLetter, number>>, offline?: OfflineConfig): DeviceCommand {
  return { chargePoint: 'CP01', address: '', plugs, offline: offline ?? { heartbeatS: 120, mode: 3, currentA: 8 }, timestamp: 0 };
}

describe('lib/sim/random — seeded generator', () => {
  it('same seed, same sequence; another seed, another sequence; values in [0, 1)', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 1000 }, () => a.next());
    const xb = Array.from({ length: 1000 }, () => b.next());
    const xc = Array.from({ length: 1000 }, () => c.next());
    assert.deepEqual(xa, xb);
    assert.notDeepEqual(xa, xc);
    assert.ok(xa.every((x) => x >= 0 && x < 1));
    const mean = xa.reduce((s, x) => s + x, 0) / xa.length;
    assert.ok(mean > 0.45 && mean < 0.55, `mean ${mean}`);
  });
});

describe('lib/sim/vehicle — a vehicle on a Mode 3 socket', () => {
  it('follows a new limit only after its reaction delay, up and down (IEC 61851-1, R-ALLOC-7)', () => {
    const v = new Vehicle(calm({ reactionDelayS: 3 }), 1, T0);
    v.offer(16, T0);
    v.advance(T0 + 2999);
    assert.equal(v.drawA(), 0);
    assert.equal(v.pilot(), 'B');
    v.advance(T0 + 3000);
    assert.equal(v.drawA(), 16);
    assert.equal(v.pilot(), 'C');
    const t1 = T0 + 60_000;
    v.offer(8, t1);
    v.advance(t1 + 2999);
    assert.equal(v.drawA(), 16, 'still at the old current inside the delay');
    v.advance(t1 + 3000);
    assert.equal(v.drawA(), 8);
    v.offer(0, t1 + 10_000);
    v.advance(t1 + 13_000);
    assert.equal(v.drawA(), 0);
    assert.equal(v.pilot(), 'B', 'paused (setpoint 0) → state B');
  });

  it('never draws more than its on-board charger maximum (a 16 A car offered 32 A)', () => {
    const v = new Vehicle(calm({ obcMaxA: 16, reactionDelayS: 1 }), 1, T0);
    v.offer(32, T0);
    v.advance(T0 + 60_000);
    assert.equal(v.drawA(), 16);
  });

  it('a limit below 6 A does not let it charge (IEC minimum)', () => {
    const v = new Vehicle(calm({ reactionDelayS: 1 }), 1, T0);
    v.offer(5, T0);
    v.advance(T0 + 10_000);
    assert.equal(v.drawA(), 0);
  });

  it('counts energy at the site voltage: 16 A for one hour at 230 V = 3680 Wh', () => {
    const v = new Vehicle(calm({ capacityKWh: 100, socPct: 10, reactionDelayS: 1 }), 1, T0, 230);
    v.offer(16, T0 - 1000);
    v.advance(T0 + 3600_000);
    assert.ok(Math.abs(v.energyWh - 3680) < 1e-6, `${v.energyWh}`);
    assert.ok(Math.abs(v.socPct - (10 + 3.68)) < 1e-6, `${v.socPct}`);
  });

  it('tapers above 80 % SoC: current falls linearly towards full', () => {
    const v = new Vehicle(calm({ socPct: 90, obcMaxA: 32, taperStartPct: 80 }), 1, T0);
    // 90 % is half way through the taper: 1 − 0.9·0.5 = 0.55 of 32 A
    assert.ok(Math.abs(v.acceptA() - 17.6) < 1e-9, `${v.acceptA()}`);
    const low = new Vehicle(calm({ socPct: 50 }), 1, T0);
    assert.equal(low.acceptA(), 32);
    const v2 = new Vehicle(calm({ socPct: 81, capacityKWh: 20, reactionDelayS: 1 }), 1, T0);
    v2.offer(32, T0);
    const draws: number[] = [];
    for (let m = 1; m <= 60; m++) {
      v2.advance(T0 + m * 60_000);
      draws.push(v2.drawA());
    }
    for (let i = 1; i < draws.length; i++) assert.ok(draws[i] <= draws[i - 1] + 1e-9, 'current never rises while tapering');
    assert.ok(draws[0] < 32 && draws[0] > 25);
  });

  it('goes to state B when full (target SoC reached) and stays there', () => {
    const v = new Vehicle(calm({ capacityKWh: 10, socPct: 75, targetSocPct: 80, reactionDelayS: 1 }), 1, T0);
    v.offer(32, T0);
    v.advance(T0 + 2 * 3600_000);
    assert.equal(v.full, true);
    assert.equal(v.pilot(), 'B');
    assert.equal(v.drawA(), 0);
    assert.ok(Math.abs(v.socPct - 80) < 1e-6);
    assert.ok(Math.abs(v.energyWh - 500) < 1, `${v.energyWh} Wh = 5 % of 10 kWh`);
  });

  it('rests in B now and then and comes back to C; faults (pilot F) now and then and clears; seeded', () => {
    const spec = calm({
      capacityKWh: 200,
      socPct: 10,
      restEveryH: 0.5,
      restMinS: 60,
      restMaxS: 300,
      faultEveryH: 1,
      faultMinS: 30,
      faultMaxS: 60,
      reactionDelayS: 1,
    });
    const run = (seed: number) => {
      const v = new Vehicle(spec, seed, T0);
      v.offer(16, T0);
      const pilots = new Set<string>();
      let afterRest = false;
      let sawB = false;
      for (let s = 2; s < 6 * 3600; s += 5) {
        v.advance(T0 + s * 1000);
        const p = v.pilot();
        pilots.add(p);
        if (p === 'B') sawB = true;
        if (sawB && p === 'C') afterRest = true;
      }
      return { rests: v.rests, faults: v.faults, pilots: [...pilots].sort().join(''), afterRest, soc: v.socPct };
    };
    const a = run(7);
    assert.ok(a.rests > 0 && a.faults > 0, JSON.stringify(a));
    assert.equal(a.pilots, 'BCF');
    assert.ok(a.afterRest, 'back to C after a rest');
    assert.deepEqual(run(7), a, 'same seed, same vehicle');
    assert.notDeepEqual(run(8), a);
  });

  it('the same seed gives the same vehicle whatever the step size of advance', () => {
    const spec = calm({ capacityKWh: 60, socPct: 20, restEveryH: 1, faultEveryH: 3 });
    const fine = new Vehicle(spec, 99, T0);
    const coarse = new Vehicle(spec, 99, T0);
    fine.offer(20, T0);
    coarse.offer(20, T0);
    for (let s = 1; s <= 4 * 3600; s++) fine.advance(T0 + s * 1000);
    for (let m = 1; m <= 4 * 60; m++) coarse.advance(T0 + m * 60_000);
    assert.equal(fine.rests, coarse.rests);
    assert.equal(fine.faults, coarse.faults);
    assert.ok(Math.abs(fine.energyWh - coarse.energyWh) < 1e-6);
  });

  it('property: the draw at t is the limit offered at t − delay (0 below 6 A), capped by what the vehicle accepts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }).map((d) => d / 10),
        fc.array(fc.record({ dt: fc.integer({ min: 1, max: 20_000 }), a: fc.constantFrom(0, 5, 6, 8, 10, 16, 20, 32) }), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.integer({ min: 6, max: 32 }),
        (delay, offers, obc) => {
          const v = new Vehicle(calm({ reactionDelayS: delay, obcMaxA: obc, capacityKWh: 300, socPct: 10 }), 1, T0);
          const timeline: { at: number; a: number }[] = [{ at: -Infinity, a: 0 }];
          let t = T0;
          for (const o of offers) {
            t += o.dt;
            timeline.push({ at: t, a: o.a });
          }
          const end = t + 10_000;
          let next = 1;
          for (let s = T0; s <= end; s += 50) {
            while (next < timeline.length && timeline[next].at <= s) {
              v.offer(timeline[next].a, timeline[next].at);
              next++;
            }
            v.advance(s);
            const then = s - Math.round(delay * 1000);
            const offered = [...timeline].reverse().find((x) => x.at <= then)!.a;
            const expect = offered < 6 ? 0 : Math.min(offered, obc);
            if (Math.abs(v.drawA() - expect) > 1e-9) return false;
          }
          return true;
        },
      ),
      { numRuns: 100 },
    );
  });

  it('random fleet: reaction delays within the IEC 5 s, some chargers below 32 A; specs validate', () => {
    const rng = new Rng(5);
    const fleet = Array.from({ length: 200 }, () => randomVehicleSpec(rng));
    assert.ok(fleet.every((s) => s.reactionDelayS > 0 && s.reactionDelayS <= MAX_REACTION_DELAY_S));
    assert.ok(fleet.some((s) => s.obcMaxA === 16) && fleet.some((s) => s.obcMaxA === 32));
    assert.ok(fleet.every((s) => validateVehicleSpec(s).length === 0));
    assert.ok(validateVehicleSpec({ reactionDelayS: 6 }).length > 0, 'a delay beyond 5 s is refused');
    assert.ok(validateVehicleSpec({ colour: 'red' }).length > 0);
    assert.ok(validateVehicleSpec({ socPct: -1 }).length > 0);
  });
});

describe('lib/sim/device — simulated charge point behind the generic device interface', () => {
  it('pilot A with no vehicle, B when connected and paused, C while drawing; report carries current and energy', () => {
    const d = new SimDevice({ plugs: 2 }, T0);
    assert.deepEqual(
      d.report().plugs.map((p) => p.pilot),
      ['A', 'A'],
    );
    assert.equal(d.report().devicePlugs, 2);
    assert.equal(d.arrive('A', new Vehicle(calm({ reactionDelayS: 2 }), 1, T0), T0), null);
    assert.equal(d.pilot('A'), 'B');
    assert.equal(d.command(cmd({ A: 16, B: 0 }), T0 + 1000), null);
    d.advance(T0 + 2999);
    assert.equal(d.pilot('A'), 'B');
    d.advance(T0 + 3000);
    assert.equal(d.pilot('A'), 'C');
    // the balancer refreshes every 60 s (well within the 120 s heartbeat)
    for (let m = 1; m <= 60; m++) d.command(cmd({ A: 16, B: 0 }), T0 + 3000 + m * 60_000 - 1);
    d.advance(T0 + 3000 + 3600_000);
    assert.equal(d.offlineActive, false);
    const r = d.report();
    assert.deepEqual(r.plugs[0], { letter: 'A', pilot: 'C', currentA: 16, energyWh: 3680 });
    assert.deepEqual(r.plugs[1], { letter: 'B', pilot: 'A', currentA: 0, energyWh: 0 });
    assert.ok(d.arrive('A', new Vehicle(calm(), 2, T0), T0 + 3600_000 + 4000)!.includes('already'));
    assert.ok(d.leave('A', T0 + 3600_000 + 5000));
    assert.equal(d.pilot('A'), 'A');
  });

  it('refuses bad commands and changes nothing', () => {
    const d = new SimDevice({ plugs: 1 }, T0);
    d.command(cmd({ A: 16 }), T0);
    for (const bad of [
      cmd({ B: 16 }),
      cmd({ A: 3 }),
      cmd({ A: NaN }),
      cmd({ A: 81 }),
      { plugs: null },
      null,
      cmd({ A: 10 }, { heartbeatS: 1, mode: 3, currentA: 8 }),
    ]) {
      assert.ok(d.command(bad as DeviceCommand, T0 + 1000), `refused: ${JSON.stringify(bad)}`);
    }
    assert.equal(d.socket('A')!.commandedA, 16);
    assert.equal(d.lastCommandAt, T0);
    assert.deepEqual(validateDeviceCommand(cmd({ A: 0, B: 32 }), ['A', 'B']), []);
  });

  /** Two plugs: A charging at 16 A (active), B connected but paused (0 A); heartbeat 10 s, offline current 10 A. */
  function offlineCase(mode: 0 | 1 | 2 | 3) {
    const off: OfflineConfig = { heartbeatS: 10, mode, currentA: 10 };
    const d = new SimDevice({ plugs: 2 }, T0);
    d.arrive('A', new Vehicle(calm({ reactionDelayS: 1 }), 1, T0), T0);
    d.arrive('B', new Vehicle(calm({ reactionDelayS: 1 }), 2, T0), T0);
    d.command(cmd({ A: 16, B: 0 }, off), T0);
    d.advance(T0 + 9_999);
    assert.equal(d.offlineActive, false, 'still within the heartbeat');
    assert.deepEqual([d.currentA('A'), d.currentA('B')], [16, 0]);
    d.advance(T0 + 10_000);
    assert.equal(d.offlineActive, true, 'silent for the heartbeat interval → offline mode');
    d.advance(T0 + 12_000); // vehicles have followed
    const afterFallback = [d.currentA('A'), d.currentA('B')];
    // a new vehicle after the fall-back: a new transaction
    d.leave('B', T0 + 13_000);
    d.arrive('B', new Vehicle(calm({ reactionDelayS: 1 }), 3, T0 + 13_000), T0 + 13_000);
    d.advance(T0 + 15_000);
    const newOne = d.currentA('B');
    // the balancer is back: commands rule again
    d.command(cmd({ A: 20, B: 12 }, off), T0 + 20_000);
    d.advance(T0 + 22_000);
    assert.equal(d.offlineActive, false);
    assert.deepEqual([d.currentA('A'), d.currentA('B')], [20, 12], 'back to commands');
    return { afterFallback, newOne };
  }

  it('R-OFF-1 mode 0: everything paused', () => {
    assert.deepEqual(offlineCase(0), { afterFallback: [0, 0], newOne: 0 });
  });
  it('R-OFF-1 mode 1: active continues at its setpoint, paused and new stay paused', () => {
    assert.deepEqual(offlineCase(1), { afterFallback: [16, 0], newOne: 0 });
  });
  it('R-OFF-1 mode 2: active continues capped at the offline current, new paused', () => {
    assert.deepEqual(offlineCase(2), { afterFallback: [10, 0], newOne: 0 });
  });
  it('R-OFF-1 mode 3: active capped at the offline current, waiting and new ones start at it', () => {
    assert.deepEqual(offlineCase(3), { afterFallback: [10, 10], newOne: 10 });
  });

  it('R-OFF-2: a configuration push (no plugs) updates the offline config but is not a refresh', () => {
    const d = new SimDevice({ plugs: 1 }, T0);
    d.command(cmd({ A: 16 }, { heartbeatS: 120, mode: 1, currentA: 8 }), T0);
    d.command(cmd({}, { heartbeatS: 30, mode: 0, currentA: 8 }), T0 + 20_000);
    assert.deepEqual(d.offline, { heartbeatS: 30, mode: 0, currentA: 8 });
    d.advance(T0 + 29_999);
    assert.equal(d.offlineActive, false);
    d.advance(T0 + 30_000);
    assert.equal(d.offlineActive, true, 'silence counts from the last setpoints, with the new heartbeat');
  });

  it("a time-scaled device measures the heartbeat in the controller's seconds", () => {
    const d = new SimDevice({ plugs: 1, heartbeatScale: 60 }, T0);
    d.command(cmd({ A: 16 }, { heartbeatS: 10, mode: 0, currentA: 8 }), T0);
    d.advance(T0 + 599_999);
    assert.equal(d.offlineActive, false);
    d.advance(T0 + 600_000);
    assert.equal(d.offlineActive, true);
  });
});

describe('lib/sim/device and vehicle — three-phase plugs, single- and three-phase vehicles (issue 11, R-3PH-1, R-3PH-3)', () => {
  it('R-3PH-3: a three-phase vehicle on a three-phase plug draws the setpoint on every charger phase; energy counts 3 phases', () => {
    const d = new SimDevice({ plugs: 2, phases: [3, 1] }, T0);
    assert.deepEqual(d.report().plugs[0], { letter: 'A', pilot: 'A', currentA: 0, energyWh: 0, phaseCurrentsA: [0, 0, 0] });
    assert.deepEqual(d.report().plugs[1], { letter: 'B', pilot: 'A', currentA: 0, energyWh: 0 }, 'a single-phase plug: currentA only');
    d.arrive('A', new Vehicle(calm({ obcPhases: 3, obcMaxA: 32, reactionDelayS: 1 }), 1, T0), T0);
    d.command(cmd({ A: 16, B: 0 }), T0);
    d.advance(T0 + 1000);
    for (let m = 1; m <= 60; m++) d.command(cmd({ A: 16, B: 0 }), T0 + 1000 + m * 60_000 - 1);
    d.advance(T0 + 1000 + 3600_000);
    // 16 A × 230 V × 3 phases × 1 h = 11 040 Wh.
    assert.deepEqual(d.report().plugs[0], { letter: 'A', pilot: 'C', currentA: 16, energyWh: 11040, phaseCurrentsA: [16, 16, 16] });
    assert.deepEqual(d.phaseCurrentsA('A'), [16, 16, 16]);
  });

  it('R-3PH-3: a single-phase vehicle on a three-phase plug draws on charger phase 1 only (currentA = the highest); energy 1 phase', () => {
    const d = new SimDevice({ plugs: 1, phases: [3] }, T0);
    d.arrive('A', new Vehicle(calm({ obcPhases: 1, obcMaxA: 32, reactionDelayS: 1 }), 1, T0), T0);
    d.command(cmd({ A: 20 }), T0);
    for (let m = 1; m <= 60; m++) d.command(cmd({ A: 20 }), T0 + 1000 + m * 60_000 - 1);
    d.advance(T0 + 1000 + 3600_000);
    // 20 A × 230 V × 1 h = 4 600 Wh.
    assert.deepEqual(d.report().plugs[0], { letter: 'A', pilot: 'C', currentA: 20, energyWh: 4600, phaseCurrentsA: [20, 0, 0] });
  });

  it('a three-phase vehicle on a single-phase plug draws on that one phase; its per-phase maximum caps the draw', () => {
    const d = new SimDevice({ plugs: 1 }, T0);
    const v = new Vehicle(calm({ obcPhases: 3, obcMaxA: 16, reactionDelayS: 1 }), 1, T0);
    d.arrive('A', v, T0);
    d.command(cmd({ A: 32 }), T0);
    for (let m = 1; m <= 60; m++) d.command(cmd({ A: 32 }), T0 + 1000 + m * 60_000 - 1);
    d.advance(T0 + 1000 + 3600_000);
    assert.equal(v.drawPhases(), 1);
    assert.deepEqual(d.report().plugs[0], { letter: 'A', pilot: 'C', currentA: 16, energyWh: 3680 });
  });

  it('property: phaseCurrentsA is [I, I, I] or [I, 0, 0] with currentA = max, on every report of a three-phase plug', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<1 | 3>(1, 3),
        fc.array(fc.record({ dtMs: fc.integer({ min: 1, max: 20_000 }), limitA: fc.constantFrom(0, 6, 8, 13, 16, 32) }), {
          minLength: 1,
          maxLength: 30,
        }),
        (obcPhases, steps) => {
          const d = new SimDevice({ plugs: 1, phases: [3] }, T0);
          d.arrive('A', new Vehicle(calm({ obcPhases, reactionDelayS: 0.5 }), 3, T0), T0);
          let t = T0;
          for (const st of steps) {
            t += st.dtMs;
            d.command(cmd({ A: st.limitA }), t);
            d.advance(t + 1);
            const r = d.report().plugs[0];
            const pc = r.phaseCurrentsA!;
            assert.equal(r.currentA, Math.max(...pc));
            if (obcPhases === 3) assert.ok(pc[0] === pc[1] && pc[1] === pc[2]);
            else assert.deepEqual(pc.slice(1), [0, 0]);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('bad plug phases are refused at construction', () => {
    assert.throws(() => new SimDevice({ plugs: 1, phases: [2 as 3] }, T0), /1 or 3/);
    assert.throws(() => new SimDevice({ plugs: 1, phases: [3, 3] }, T0), /one per plug/);
  });

  it('random fleet on three-phase plugs: about singlePhasePct % single-phase cars; on single-phase plugs exactly randomVehicleSpec', () => {
    const a = new Rng(9);
    const b = new Rng(9);
    for (let i = 0; i < 50; i++) assert.deepEqual(randomVehicleFor(a, 1, 50), randomVehicleSpec(b), 'same draws on 1-phase plugs');
    const rng = new Rng(11);
    const fleet = Array.from({ length: 2000 }, () => randomVehicleFor(rng, 3, 25));
    const single = fleet.filter((s) => s.obcPhases === 1).length / fleet.length;
    assert.ok(single > 0.21 && single < 0.29, `share of single-phase: ${single}`);
    assert.ok(fleet.every((s) => validateVehicleSpec(s).length === 0));
    assert.ok(fleet.some((s) => s.obcPhases === 3 && s.obcMaxA === 16) && fleet.some((s) => s.obcPhases === 3 && s.obcMaxA === 32));
    assert.ok(randomVehicleFor(new Rng(1), 3, 0).obcPhases === 3 && randomVehicleFor(new Rng(1), 3, 100).obcPhases === 1);
    assert.ok(validateVehicleSpec({ obcPhases: 2 }).length > 0 && validateVehicleSpec({ obcPhases: 1 }).length === 0);
  });
});

describe('lib/sim/building and arrivals', () => {
  it('constant load is constant; the daily profile is low at night and peaks at noon', () => {
    const c = new BuildingLoad({ mode: 'constant', currentsA: [10, 20, 30] }, T0);
    assert.deepEqual(c.currentAt(T0 + 5_000_000), [10, 20, 30]);
    assert.equal(profileFactor(12), 1);
    assert.ok(profileFactor(3) < 0.3);
    const midnight = localMidnight('2026-03-02', 'Europe/Madrid');
    assert.equal(localHour(midnight, 'Europe/Madrid'), 0);
    assert.equal(localHour(midnight + 12 * 3600_000, 'Europe/Madrid'), 12);
    const p = new BuildingLoad({ mode: 'profile', currentsA: [20, 20, 20], timeZone: 'Europe/Madrid' }, midnight);
    assert.deepEqual(p.currentAt(midnight + 12 * 3600_000), [20, 20, 20]);
    assert.ok(p.currentAt(midnight + 15 * 3600_000)[0] < 20);
  });

  it('random walk stays within its bounds, is seeded, and does not depend on how often it is read', () => {
    const spec = {
      mode: 'walk' as const,
      currentsA: [10, 10, 10] as [number, number, number],
      minA: 5,
      maxA: 15,
      stepA: 2,
      stepS: 1,
      seed: 3,
    };
    const a = new BuildingLoad(spec, T0);
    const b = new BuildingLoad(spec, T0);
    let moved = false;
    for (let s = 1; s <= 3600; s++) {
      const x = a.currentAt(T0 + s * 1000);
      assert.ok(x.every((v) => v >= 5 && v <= 15));
      if (x[0] !== 10) moved = true;
    }
    assert.ok(moved);
    assert.deepEqual(b.currentAt(T0 + 3600_000), a.currentAt(T0 + 3600_000));
  });

  it('random arrivals: seeded, with a morning peak above the night', () => {
    const start = localMidnight('2026-03-02', 'Europe/Madrid');
    const collect = (seed: number) => {
      const r = new RandomArrivals({ perPlugPerDay: 2, plugs: 24, seed, timeZone: 'Europe/Madrid' }, start);
      return r.due(start + 30 * 86_400_000);
    };
    const xs = collect(1);
    assert.deepEqual(collect(1), xs);
    assert.notDeepEqual(collect(2), xs);
    const perDay = xs.length / 30;
    assert.ok(perDay > 40 && perDay < 56, `about 48 a day, got ${perDay}`);
    const byHour = new Array(24).fill(0);
    for (const a of xs) byHour[Math.floor(localHour(a.at, 'Europe/Madrid'))]++;
    assert.ok(byHour[8] > 5 * byHour[3], `morning ${byHour[8]} vs night ${byHour[3]}`);
    assert.ok(byHour[18] > 5 * byHour[3]);
    assert.ok(xs.every((a) => a.dwellS > 0));
    assert.equal(ARRIVAL_SHAPE.length, 24);
  });

  it('scripts are validated', () => {
    assert.deepEqual(
      validateScript([
        { at: 0, plug: 'CP01/A', leaveAt: 1000 },
        { at: 5, plug: 'B', leaveAt: 9, vehicle: { socPct: 50 } },
      ]),
      [],
    );
    assert.ok(validateScript({}).length);
    assert.ok(validateScript([{ at: 10, plug: 'A', leaveAt: 5 }]).length);
    assert.ok(validateScript([{ at: 1, plug: 'C', leaveAt: 5 }]).length);
    assert.ok(validateScript([{ at: 1, plug: 'A', leaveAt: 5, vehicle: { obcMaxA: 2 } }]).length);
  });
});

describe("lib/sim/ev-sim-config — the ev-sim node's configuration and vehicle input", () => {
  it('editor fields: defaults, and each bad field named', () => {
    const ok = configFromEditor({ plugCount: '2', seed: '7' });
    assert.ok(ok.ok);
    if (ok.ok)
      assert.deepEqual(ok.config, {
        plugCount: 2,
        phases: [1, 1],
        singlePhasePct: 20,
        seed: 7,
        arrivals: 0,
        script: [],
        reportS: 5,
        timeScale: 1,
        enabled: true,
      });
    const bad = configFromEditor({ plugCount: 3, seed: -1, reportS: 0, timeScale: 'x', script: '[{"at":1,"plug":"B","leaveAt":2}]' });
    assert.equal(bad.ok, false);
    if (!bad.ok) assert.equal(bad.errors.length, 4);
    const single = configFromEditor({ plugCount: 1, script: '[{"at":1,"plug":"B","leaveAt":2}]' });
    assert.equal(single.ok, false);
    const scripted = configFromEditor({ plugCount: 1, script: '[{"at":1,"plug":"A","leaveAt":2}]' });
    assert.ok(scripted.ok && scripted.config.script[0].at === 1000, 'script seconds → ms');
    assert.equal(configFromEditor({ script: '[' }).ok, false);
  });

  it('issue 11 / R-3PH-1: plug phases per plug (1 or 3, default 1) and the share of single-phase vehicles, checked', () => {
    const three = configFromEditor({ plugCount: '2', phasesA: '3', phasesB: 1, singlePhasePct: '35' });
    assert.ok(three.ok);
    if (three.ok) {
      assert.deepEqual(three.config.phases, [3, 1]);
      assert.equal(three.config.singlePhasePct, 35);
    }
    const one = configFromEditor({ plugCount: 1, phasesA: 3, phasesB: 3 });
    assert.ok(one.ok && one.config.phases.length === 1, 'plug B of a one-plug device is not read');
    for (const bad of [{ phasesA: 2 }, { phasesA: 'x' }, { plugCount: 2, phasesB: 0 }, { singlePhasePct: 101 }, { singlePhasePct: -1 }]) {
      const r = configFromEditor(bad);
      assert.equal(r.ok, false, JSON.stringify(bad));
      if (!r.ok) assert.equal(r.errors.length, 1, r.errors.join('; '));
    }
  });

  it('vehicle input: letter, action, optional vehicle fields', () => {
    assert.deepEqual(parseVehicleInput({ letter: 'A', action: 'arrive', socPct: 30, obcMaxA: 16 }, ['A', 'B']), {
      ok: true,
      letter: 'A',
      action: 'arrive',
      spec: { socPct: 30, obcMaxA: 16 },
    });
    assert.deepEqual(parseVehicleInput({ letter: 'A', action: 'arrive', obcPhases: 1 }, ['A']), {
      ok: true,
      letter: 'A',
      action: 'arrive',
      spec: { obcPhases: 1 },
    });
    for (const bad of [
      null,
      [],
      { letter: 'C', action: 'arrive' },
      { letter: 'B', action: 'arrive' },
      { letter: 'A', action: 'fly' },
      { letter: 'A', action: 'arrive', socPct: 120 },
      { letter: 'A', action: 'arrive', colour: 1 },
      { letter: 'A', action: 'arrive', obcPhases: 2 },
    ]) {
      assert.equal(parseVehicleInput(bad, ['A']).ok, false, JSON.stringify(bad));
    }
  });
});
