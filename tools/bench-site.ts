#!/usr/bin/env node
/**
 * Site benchmark (issue 13): how fast a site of 30 / 300 / 3 000 plugs uses current that comes
 * back, and how fast it is back within the limit after a jump, in virtual time with the
 * simulator's charge points and vehicles (lib/sim) and the charge-point logic (lib/chargepoint) —
 * no Node-RED, no timers. A report, not a test: it always exits 0 and nothing asserts on time.
 *
 *   npm run bench:site [-- --sizes 30,300,3000] [--core <dist dir>] [--json]
 *
 * `--core` loads the allocation core (lib/core/balancer.js) from another build's dist/ directory,
 * so the same scenario can be run on an older core (docs/benchmark.md, "Site benchmark").
 *
 * Scenario per size (deterministic, seed 1): the site of tools/simulate.ts scaled to the size (dual
 * charge points, phases in turn, the manual's 50 A / 36 kW per 24 plugs), a vehicle on every plug
 * from the start (the simulator's fleet: on-board chargers of 16, 20 or 32 A, reaction delays of
 * 0.5–5 s; a battery that never fills, no rests, no faults), the meter every second, a tick every second, each charge point
 * reporting every 30 s and at once on a pilot change, setpoints reaching the device at once.
 *   1. building at HIGH (60 % of the limit per phase) until the vehicles use ≥ 95 % of the usable
 *      current (or an hour), then 60 s more;
 *   2. DROP: building to LOW (10 %): time until the vehicles draw ≥ 95 % of the usable current on
 *      every phase (usable = limit·(1 − margin) − building);
 *   3. after 60 s settled, JUMP back to HIGH: time until building + vehicles' actual draw is within
 *      the limit on every phase again.
 */
import { createRequire } from 'module';
import * as path from 'path';
import type { BalancerState, DlmEvent, StepResult } from '../lib/core/state';
import {
  applyDeviceReport,
  initialChargePointState,
  offlinePushCommand,
  setpointToCommand,
  toPlugMessage,
  type ChargePointNodeState,
} from '../lib/chargepoint/device';
import { DEFAULT_OFFLINE, DEFAULT_PARAMS, DEFAULT_PLUG_MAX_A, phaseLimitA, validateParams } from '../lib/shared/params';
import type { ChargePointConfig, Phase, SiteParams, Triple } from '../lib/shared/types';
import { SimDevice } from '../lib/sim/device';
import { Rng } from '../lib/sim/random';
import { randomVehicleSpec, Vehicle } from '../lib/sim/vehicle';
import { scaledParams, scaledSite } from './simulate';

interface Core {
  initialState(params: SiteParams, now: number): BalancerState;
  step(state: BalancerState, event: DlmEvent, now: number): StepResult;
}

export interface SiteFigures {
  plugs: number;
  limitA: number;
  /** Usable current per phase after the drop (worst phase), A. */
  usableAfterDropA: number;
  /** Vehicles drawing current before the drop / once ≥ 95 % is reached. */
  chargingBefore: number;
  chargingAfter: number;
  /** Seconds from the drop until the setpoints allow ≥ 95 % of the usable current on every phase (the balancer's part). */
  allowS: number | null;
  /** Seconds from the drop until ≥ 95 % use on every phase; null = not within the cap. */
  fillS: number | null;
  /** Seconds from the jump until within the limit on every phase; null = not within the cap. */
  backWithinS: number | null;
  /** Highest overload after the jump, A (building + vehicles − limit, worst phase). */
  peakOverA: number;
  /** Balancer steps and wall time of the whole run. */
  steps: number;
  wallS: number;
}

const SAMPLE_MS = 250;
const REPORT_EVERY_S = 30;
const HIGH = 0.6;
const LOW = 0.1;
const CAP_S = 3600;

const phaseIdx = (ph: Phase): 0 | 1 | 2 => (ph === 'L1' ? 0 : ph === 'L2' ? 1 : 2);

/** Runs the scenario on a site of `plugs` plugs with the given core. Deterministic. */
export function runSite(plugs: number, core: Core, seed = 1): SiteFigures {
  const wall0 = process.hrtime.bigint();
  const site = scaledSite(plugs);
  const params: SiteParams = { ...DEFAULT_PARAMS, ...scaledParams(plugs) };
  const perr = validateParams(params);
  if (perr.length) throw new Error(perr.join('; '));
  const limitA = phaseLimitA(params);
  const workingA = limitA * (1 - params.marginPct / 100);
  const rng = new Rng(seed);
  let now = Date.UTC(2026, 2, 2, 9, 0, 0);
  const cfgs: ChargePointConfig[] = site.map((c) => ({
    name: c.name,
    index: c.index,
    address: c.address,
    enabled: true,
    plugs: c.plugs.map((p) => ({ letter: p.letter, phase: p.phase, priority: false, maxCurrentA: DEFAULT_PLUG_MAX_A })),
    offline: { ...DEFAULT_OFFLINE },
  }));
  const links: ChargePointNodeState[] = cfgs.map((c) => initialChargePointState(c));
  const devices = site.map((c) => new SimDevice({ plugs: c.plugs.length as 1 | 2 }, now));
  const byName = new Map(site.map((c, i) => [c.name, i]));
  const sockets: { v: Vehicle; k: 0 | 1 | 2 }[] = [];
  site.forEach((c, i) => {
    for (const p of c.plugs) {
      // The simulator's fleet (on-board chargers 16–32 A, reaction 0.5–5 s), never full, no rests or faults.
      const spec = { ...randomVehicleSpec(rng), capacityKWh: 100_000, socPct: 40, targetSocPct: 100, restEveryH: 0, faultEveryH: 0 };
      const v = new Vehicle(spec, rng.nextU32(), now, params.voltageV);
      const err = devices[i].arrive(p.letter, v, now);
      if (err) throw new Error(err);
      sockets.push({ v, k: phaseIdx(p.phase) });
    }
  });
  let state = core.initialState(params, now);
  let steps = 0;
  let buildingA: Triple = [limitA * HIGH, limitA * HIGH, limitA * HIGH];

  const apply = (ev: DlmEvent): void => {
    const r = core.step(state, ev, now);
    if (r.error) throw new Error(`balancer refused ${ev.type}: ${r.error}`);
    state = r.state;
    steps++;
    for (const sp of r.setpoints) {
      const i = byName.get(sp.chargePoint);
      if (i === undefined) continue;
      const c = setpointToCommand(cfgs[i], sp, now);
      if (c.kind === 'error') throw new Error(`charge-point refused a setpoint: ${c.error}`);
      if (c.kind === 'command') devices[i].command(c.command, now);
    }
  };
  const report = (i: number): void => {
    const r = applyDeviceReport(links[i], devices[i].report(), now);
    links[i] = r.state;
    if (r.reconnected) devices[i].command(offlinePushCommand(cfgs[i], now), now);
    apply({ type: 'plug', plug: toPlugMessage(cfgs[i], links[i], now) });
  };
  const lastPilots = devices.map((d) => d.pilots());
  const offset = site.map((_, i) => (i % REPORT_EVERY_S) * 1000);
  const start = now;
  /** One sample: devices and vehicles move on; meter, reports and tick on whole seconds. */
  const sample = (): void => {
    now += SAMPLE_MS;
    for (const d of devices) d.advance(now);
    const whole = (now - start) % 1000 === 0;
    if (whole)
      apply({
        type: 'meter',
        meter: { online: true, currentA: buildingA.map((a) => Math.round(a * 100) / 100) as Triple, timestamp: now },
      });
    devices.forEach((d, i) => {
      const pilots = d.pilots();
      if ((whole && (now - start - offset[i]) % (REPORT_EVERY_S * 1000) === 0) || pilots !== lastPilots[i]) {
        lastPilots[i] = pilots;
        report(i);
      }
    });
    if (whole) apply({ type: 'tick' });
  };
  const drawn = (): Triple => {
    const a: Triple = [0, 0, 0];
    for (const s of sockets) a[s.k] += s.v.drawA();
    return a;
  };
  const phases = [0, 1, 2] as const;
  const useRatio = (): number => {
    const d = drawn();
    return Math.min(...phases.map((k) => d[k] / Math.max(1e-9, workingA - buildingA[k])));
  };
  const charging = (): number => sockets.filter((s) => s.v.drawA() > 0).length;
  /** What the balancer's setpoints allow per phase against the usable current (its side of the fill). */
  const allowRatio = (): number => {
    const a: Triple = [0, 0, 0];
    for (const p of state.plugs) if (p.phase) a[phaseIdx(p.phase)] += p.setpointA;
    return Math.min(...phases.map((k) => a[k] / Math.max(1e-9, workingA - buildingA[k])));
  };
  /** Samples until `done` (or the cap); returns the seconds it took, or null. */
  const until = (done: () => boolean, capS = CAP_S): number | null => {
    const t0 = now;
    while (!done()) {
      if (now - t0 >= capS * 1000) return null;
      sample();
    }
    return (now - t0) / 1000;
  };
  const hold = (s: number): void => {
    for (let t = 0; t < (s * 1000) / SAMPLE_MS; t++) sample();
  };

  for (let i = 0; i < devices.length; i++) report(i);
  until(() => useRatio() >= 0.95);
  hold(60);
  const chargingBefore = charging();
  buildingA = [limitA * LOW, limitA * LOW, limitA * LOW];
  const dropAt = now;
  let allowS: number | null = null;
  const fillS = until(() => {
    if (allowS === null && allowRatio() >= 0.95) allowS = (now - dropAt) / 1000;
    return useRatio() >= 0.95;
  });
  const chargingAfter = charging();
  hold(60);
  buildingA = [limitA * HIGH, limitA * HIGH, limitA * HIGH];
  let peakOverA = 0;
  const backWithinS = until(() => {
    const d = drawn();
    const over = Math.max(...phases.map((k) => buildingA[k] + d[k] - limitA));
    peakOverA = Math.max(peakOverA, over);
    return over <= 1e-6;
  });
  return {
    plugs,
    limitA,
    usableAfterDropA: workingA - limitA * LOW,
    chargingBefore,
    chargingAfter,
    fillS,
    allowS,
    backWithinS,
    peakOverA,
    steps,
    wallS: Number(process.hrtime.bigint() - wall0) / 1e9,
  };
}

const fmtS = (s: number | null): string => (s === null ? `> ${CAP_S} s` : `${s.toFixed(2)} s`);

export function formatTable(rows: SiteFigures[], coreName: string): string {
  const head = [
    'plugs',
    'limit/phase',
    'usable after drop',
    'charging before → after',
    'drop → setpoints ≥ 95 %',
    'drop → ≥ 95 % use',
    'jump → within limit',
    'peak over',
    'steps',
    'wall',
  ];
  const body = rows.map((r) => [
    String(r.plugs),
    `${r.limitA.toFixed(1)} A`,
    `${r.usableAfterDropA.toFixed(1)} A`,
    `${r.chargingBefore} → ${r.chargingAfter}`,
    fmtS(r.allowS),
    fmtS(r.fillS),
    fmtS(r.backWithinS),
    `${r.peakOverA.toFixed(1)} A`,
    String(r.steps),
    `${r.wallS.toFixed(1)} s`,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(w[i]))
      .join('  ')
      .trimEnd();
  return [
    `Site benchmark (issue 13) — core: ${coreName}; node ${process.version}; virtual time, ${SAMPLE_MS} ms samples`,
    `Building ${HIGH * 100} % of the limit → ${LOW * 100} % (drop) → ${HIGH * 100} % (jump); a vehicle on every plug`,
    '',
    line(head),
    line(w.map((n) => '-'.repeat(n))),
    ...body.map(line),
    '',
    'Targets (issue 13): drop → ≥ 95 % within reaction delay + one meter average window + 2 s;',
    '"setpoints ≥ 95 %" is when the balancer has granted it, "use" when the vehicles draw it (they take 0.5–5 s to follow);',
    'jump → within the limit within one step + the reaction delay.',
  ].join('\n');
}

function main(argv: string[]): number {
  let sizes = [30, 300, 3000];
  let coreDir = path.resolve(__dirname, '..');
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--sizes')
      sizes = String(argv[++i] ?? '')
        .split(',')
        .map(Number);
    else if (a === '--core') coreDir = path.resolve(String(argv[++i] ?? ''));
    else if (a === '--json') json = true;
    else {
      process.stderr.write('Usage: npm run bench:site -- [--sizes 30,300,3000] [--core <dist dir>] [--json]\n');
      return 2;
    }
  }
  if (sizes.some((n) => !Number.isInteger(n) || n < 2 || n > 30_000)) {
    process.stderr.write('--sizes: whole numbers between 2 and 30000\n');
    return 2;
  }
  const load = createRequire(__filename);
  const core = load(path.join(coreDir, 'lib', 'core', 'balancer.js')) as Core;
  const rows = sizes.map((n) => runSite(n, core));
  process.stdout.write((json ? JSON.stringify(rows, null, 2) : formatTable(rows, coreDir)) + '\n');
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
