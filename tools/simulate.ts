#!/usr/bin/env node
/**
 * A day on the car park in seconds: the allocation core (lib/balancer step), the charge-point
 * logic (lib/chargepoint) and the simulated charge points, vehicles, arrivals and building load
 * (lib/sim) in virtual time — no Node-RED, no timers. Prints KPIs (docs/simulation.md).
 *
 *   npm run simulate -- --hours 24 [--seed N] [--plugs N] [--site mixed] [--json]
 *
 * `--site mixed` (issue 11) runs the mixed car park of examples/mixed-car-park.json — three-phase
 * and single-phase plugs with rotated phases on a tree of boards, a sub-meter — read from the
 * example itself, and reports peak and overload on every board and line.
 *
 * Event flow, as on a real site: the meter every second, the balancer ticks every second,
 * each charge point reports every few seconds and at once on a change of pilot, setpoints reach
 * the devices at once (through charge-point's setpoint → command conversion), vehicles follow
 * after their own reaction delay (≤ 5 s).
 */
import * as fs from 'fs';
import * as path from 'path';
import { chargePointOf, effectiveA, cpOffline, type BalancerState, type DlmEvent } from '../lib/core/state';
import { initialState, step } from '../lib/core/balancer';
import { statusOf } from '../lib/core/status';
import { applyDeviceReport, offlinePushCommand, setpointToCommand, toPlugMessage } from '../lib/chargepoint/device';
import { initialChargePointState } from '../lib/chargepoint/device';
import type { ChargePointNodeState as CpLinkState } from '../lib/chargepoint/device';
import {
  boardsFromConfig,
  DEFAULT_OFFLINE,
  DEFAULT_PARAMS,
  DEFAULT_PLUG_MAX_A,
  EV_SIM_LIMITS,
  PARAM_SPECS,
  parseRotation,
  phaseLimitA,
  validateParams,
} from '../lib/shared/params';
import type {
  BoardConfig,
  ChargePointConfig,
  DeviceReport,
  OfflineConfig,
  Phase,
  PlugLetter,
  PlugMessage,
  Rotation,
  SiteParams,
} from '../lib/shared/types';
import { PHASES, SITE_BOARD } from '../lib/shared/types';
import { RandomArrivals, validateScript, type ScriptedArrival } from '../lib/sim/arrivals';
import { BuildingLoad, type BuildingSpec } from '../lib/sim/building';
import type { Triple } from '../lib/shared/types';
import { localMidnight } from '../lib/sim/clock';
import { SimDevice } from '../lib/sim/device';
import { Rng } from '../lib/sim/random';
import { randomVehicleFor, Vehicle, VEHICLE_DEFAULTS, type VehicleSpec } from '../lib/sim/vehicle';
import { waterfill } from '../lib/core/share';

/** One charge point of the simulated site. */
export interface SiteChargePoint {
  name: string;
  index: number;
  address: string;
  enabled: boolean;
  /** phases 3: a three-phase plug on the rotation's lines (its `phase` = the line of charger phase 1). */
  plugs: { letter: PlugLetter; phase: Phase; phases?: 1 | 3; maxCurrentA?: number }[];
  /** Phase rotation (R-3PH-1); absent = RST. */
  rotation?: Rotation;
  /** Board it hangs on (R-CIRC-1); absent = the site. */
  board?: string;
  offline?: OfflineConfig;
}

/** A whole site: charge points, parameters, boards, and what it starts with (issue 11). */
export interface SiteSpec {
  chargePoints: SiteChargePoint[];
  params: Partial<SiteParams>;
  boards: BoardConfig[];
  /** Vehicles at the start (and when they leave); random arrivals still run. Times in ms from the start. */
  opening: ScriptedArrival[];
  /** Share of random arrivals on three-phase plugs with a single-phase on-board charger, %. */
  singlePhasePct: number;
  /** Building analyser load (the whole building's non-EV load) and each metered board's own non-EV load; unmetered boards draw their otherLoadA less 1 A. */
  building?: (seed: number, timeZone: string) => BuildingSpec;
  boardLoads?: Record<string, (seed: number, timeZone: string) => BuildingSpec>;
}

export interface SimOptions {
  /** Simulated hours. */
  hours: number;
  /** Seed of everything random (arrivals, vehicles, building noise). */
  seed?: number;
  /** Build a site of this many plugs instead of the manual's (spread over the phases, limit scaled). */
  plugs?: number;
  /** Issue 11: run this site (e.g. `mixedSite()`, the mixed car park example) instead of the manual's. */
  site?: SiteSpec;
  /** Local date the run starts (site time zone), YYYY-MM-DD. */
  date?: string;
  /** Local hour the run starts at, 0..23. */
  startHour?: number;
  /** Mean random arrivals per plug per day (ignored with a script). */
  arrivalsPerPlugPerDay?: number;
  /** Scripted arrivals instead of random ones; times in ms from the start of the run. */
  script?: ScriptedArrival[];
  /** Building load; default a daily profile with random-walk noise, scaled to the site. */
  building?: BuildingSpec;
  /** Site parameter changes from the manual's defaults. */
  params?: Partial<SiteParams>;
  /** Every how many seconds each charge point reports (besides at once on a pilot change). */
  reportEveryS?: number;
  /** KPI sampling period, ms (vehicles are integrated exactly in between). */
  sampleMs?: number;
}

export interface PhaseKpi {
  limitA: number;
  /** Highest building actual + vehicles' actual draw, A. */
  peakA: number;
  /** ∫ max(0, actual total − limit) dt, A·s. */
  overAs: number;
}

/** Peak and overload of one board (issue 11, R-CIRC-1), per line: actual other load + vehicles' actual draw below it. */
export interface BoardKpi {
  name: string;
  limitA: number;
  workingLimitA: number;
  phases: Partial<Record<Phase, PhaseKpi>>;
  overloadAs: number;
  /** Steps after which the balancer's own count (status.boards loadA) exceeded the board's limit. */
  invariantViolations: number;
}

export interface Kpis {
  hours: number;
  seed: number;
  plugs: number;
  limitA: number;
  workingLimitA: number;
  phases: Partial<Record<Phase, PhaseKpi>>;
  /** Sum of the per-phase ampere-seconds above the limit (the overload KPI; should be 0). */
  overloadAs: number;
  /** Steps after which Σ setpoints (+ held currents) + building as used + reserved exceeded I_limit (R-ALLOC-9). */
  invariantViolations: number;
  energyDeliveredKWh: number;
  /** What an ideal fluid allocation could have delivered, kWh (docs/simulation.md). */
  energyIdealKWh: number;
  /** delivered / ideal. */
  energyRatio: number;
  /** Jain's index over the vehicles' received/entitled ratios (docs/simulation.md); null without sessions. */
  jain: number | null;
  jainSessions: number;
  arrivals: number;
  turnedAway: number;
  sessionsServed: number;
  neverServed: number;
  /** Worst and mean time from plugging in to being offered current, s (never offered: its whole stay). */
  worstWaitS: number;
  meanWaitS: number;
  pauses: number;
  resumes: number;
  pausesPerPlugMean: number;
  pausesPerPlugMax: number;
  vehiclesFull: number;
  rests: number;
  faults: number;
  /** Times a device fell back to its offline mode (R-OFF-1); 0 while the balancer runs. */
  offlineFallbacks: number;
  closedTransactions: number;
  balancerSteps: number;
  /** Sites with sub-boards or three-phase plugs (issue 11): every board, the site first. */
  boards?: BoardKpi[];
  /** R-UNB-1: highest spread of the actual line totals at the site (building + vehicles), A; with an unbalance limit. */
  unbalance?: { limitA: number; peakSpreadA: number; overAs: number; countedOverSteps: number };
}

/** The manual's site (§5.2.2): 15 charge points, CP10 disabled, 24 plugs: 9 on L1, 8 on L2, 7 on L3. */
export function manualSite(): SiteChargePoint[] {
  const ips = ['33', '31', '35', '36', '37', '29', '34', '39', '25', '24', '21', '23', '20', '26', '30'];
  const single = new Set([2, 12, 13, 15]);
  const out: SiteChargePoint[] = [];
  for (let k = 1; k <= 15; k++) {
    const phase: Phase = k <= 5 ? 'L1' : k <= 9 ? 'L2' : 'L3';
    const letters: PlugLetter[] = k === 10 ? [] : single.has(k) ? ['A'] : ['A', 'B'];
    out.push({
      name: `CP${String(k).padStart(2, '0')}`,
      index: k,
      address: `192.168.110.${ips[k - 1]}`,
      enabled: k !== 10,
      plugs: letters.map((letter) => ({ letter, phase })),
    });
  }
  return out;
}

/** Plugs of the manual's site. */
export const MANUAL_PLUGS = 24;

/** A site of `plugs` plugs on dual charge points, charge point k on phase L((k-1) mod 3 + 1). */
export function scaledSite(plugs: number): SiteChargePoint[] {
  const out: SiteChargePoint[] = [];
  let left = plugs;
  for (let k = 1; left > 0; k++) {
    const phase = PHASES[(k - 1) % 3];
    const letters: PlugLetter[] = left >= 2 ? ['A', 'B'] : ['A'];
    left -= letters.length;
    out.push({
      name: `CP${String(k).padStart(2, '0')}`,
      index: k,
      address: `sim-${k}`,
      enabled: true,
      plugs: letters.map((letter) => ({ letter, phase })),
    });
  }
  return out;
}

/** Site parameters scaled from the manual's 24 plugs / 50 A / 36 kW to `plugs` plugs. */
export function scaledParams(plugs: number): Partial<SiteParams> {
  const f = plugs / MANUAL_PLUGS;
  return { mccbA: Math.ceil(DEFAULT_PARAMS.mccbA * f), contractedKW: Math.round(DEFAULT_PARAMS.contractedKW * f * 10) / 10 };
}

/** Default building: office-like daily profile peaking at 22/18/20 A (manual's site), ±3 A noise. */
export function defaultBuilding(plugs: number, seed: number, timeZone: string): BuildingSpec {
  const f = plugs / MANUAL_PLUGS;
  return { mode: 'profile', currentsA: [22 * f, 18 * f, 20 * f], noiseA: 3 * Math.sqrt(f), stepA: 0.3, stepS: 1, seed, timeZone };
}

const phaseIdx = (ph: Phase): 0 | 1 | 2 => (ph === 'L1' ? 0 : ph === 'L2' ? 1 : 2);

/** The example of the mixed car park (issue 11), relative to dist/tools/ or tools/. */
export const MIXED_EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'mixed-car-park.json');

/**
 * The mixed car park, read from its example flow (examples/mixed-car-park.json): the balancer's
 * parameters and boards, each charge point's plug, phases, rotation and board, its offline mode, and
 * the ev-sim chargers' opening vehicles and share of single-phase cars. Building: an office-like
 * profile peaking at 30 / 25 / 28 A; the level-1 sub-meter's own loads peak at 8 / 6 / 7 A; an
 * unmetered board draws 1 A less than it is assumed to.
 */
export function mixedSite(file = MIXED_EXAMPLE): SiteSpec {
  const flow = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, any>[];
  const bal = flow.find((n) => n.type === 'dlm-balancer');
  if (!bal) throw new Error(`${file}: no dlm-balancer`);
  const params: Partial<SiteParams> = {};
  for (const spec of PARAM_SPECS) if (bal[spec.key] !== undefined) (params as Record<string, unknown>)[spec.key] = bal[spec.key];
  const b = boardsFromConfig(bal.boards);
  if (b.errors.length) throw new Error(`${file}: ${b.errors.join('; ')}`);
  const offlineOf = (id: string): OfflineConfig => {
    const o = flow.find((n) => n.id === id);
    return o
      ? { heartbeatS: Number(o.heartbeatS), mode: Number(o.mode) as OfflineConfig['mode'], currentA: Number(o.currentA) }
      : { ...DEFAULT_OFFLINE };
  };
  const opening: ScriptedArrival[] = [];
  let singlePhasePct: number = EV_SIM_LIMITS.singlePhasePct.default;
  const chargePoints: SiteChargePoint[] = flow
    .filter((n) => n.type === 'charge-point')
    .sort((x, y) => Number(x.index) - Number(y.index))
    .map((n) => {
      const letters: PlugLetter[] = Number(n.plugCount) === 2 ? ['A', 'B'] : ['A'];
      const sim = flow.find((x) => x.type === 'ev-sim' && (n.wires?.[1] ?? []).includes(x.id));
      if (sim) {
        singlePhasePct = Number(sim.singlePhasePct ?? singlePhasePct);
        for (const e of sim.script ? (JSON.parse(sim.script) as ScriptedArrival[]) : [])
          opening.push({ ...e, plug: `${n.name}/${e.plug}`, at: e.at * 1000, leaveAt: e.leaveAt * 1000 });
      }
      return {
        name: n.name,
        index: Number(n.index),
        address: n.address,
        enabled: n.enabled !== false,
        rotation: parseRotation(n.rotation) ?? 'RST',
        board: n.board ? String(n.board) : SITE_BOARD,
        offline: offlineOf(n.offline),
        plugs: letters.map((letter) => ({
          letter,
          phase: n[`phase${letter}`] as Phase,
          phases: Number(n[`phases${letter}`]) === 3 ? 3 : 1,
          maxCurrentA: Number(n[`maxCurrent${letter}`] ?? DEFAULT_PLUG_MAX_A),
        })),
      };
    });
  const profile =
    (peaks: Triple, noiseA: number) =>
    (seed: number, timeZone: string): BuildingSpec => ({ mode: 'profile', currentsA: peaks, noiseA, stepA: 0.3, stepS: 1, seed, timeZone });
  const boardLoads: SiteSpec['boardLoads'] = {};
  for (const x of b.boards)
    boardLoads[x.name] = x.hasMeter
      ? profile([8, 6, 7], 1)
      : (seed, timeZone) => ({ mode: 'constant', currentsA: [1, 1, 1].map(() => Math.max(0, x.otherLoadA - 1)) as Triple, seed, timeZone });
  return { chargePoints, params, boards: b.boards, opening, singlePhasePct, building: profile([30, 25, 28], 3), boardLoads };
}

interface Session {
  phase: Phase;
  arrivedAt: number;
  leaveAt: number;
  firstCurrentAt: number | null;
  pauses: number;
  /** ∫ draw dt while the vehicle wanted current, A·s. */
  gotAs: number;
  /** ∫ max-min fair entitlement dt while it wanted current, A·s. */
  dueAs: number;
  lastLimitA: number;
}

interface Socket {
  cp: number;
  letter: PlugLetter;
  phase: Phase;
  /** Plug phases (1 or 3) and the lines of its charger phases 1..3 (a single-phase plug: its phase). */
  phases: 1 | 3;
  lines: Phase[];
  /** Indices (in `boardIx`) of the boards it hangs below: its own, then up to the site (index 0). */
  chain: number[];
  key: string;
  session: Session | null;
  vehicle: Vehicle | null;
}

/** Max-min fair (water-filling) split of `available` over `caps`: the core's own (lib/core/share.ts). */
export const waterFill = waterfill;

/** Jain's fairness index (Σx)² / (n·Σx²): 1 = all equal, 1/n = one takes all. */
export function jainIndex(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = xs.reduce((a, b) => a + b, 0);
  const s2 = xs.reduce((a, b) => a + b * b, 0);
  return s2 === 0 ? 1 : (s * s) / (xs.length * s2);
}

/**
 * The plug message with what issue 11 adds (R-3PH-1, R-3PH-3, R-CIRC-1): rotation and board of the
 * charge point, each plug's phases and its device-measured per-phase currents. Fields the
 * charge-point conversion already sets are kept.
 */
export function withPhases(m: PlugMessage, cfg: ChargePointConfig, rep: DeviceReport): PlugMessage {
  if (cfg.rotation && m.rotation === undefined) m.rotation = cfg.rotation;
  if (cfg.board && m.board === undefined) m.board = cfg.board;
  for (const r of m.plugs) {
    const pc = cfg.plugs.find((p) => p.letter === r.letter);
    if (pc?.phases === 3 && r.phases === undefined) r.phases = 3;
    const d = rep.plugs.find((p) => p.letter === r.letter);
    if (d?.phaseCurrentsA && r.phaseCurrentsA === undefined) r.phaseCurrentsA = [...d.phaseCurrentsA] as Triple;
  }
  return m;
}

/**
 * Max-min fair split on one line of a tree of boards (progressive filling): every wanting vehicle's
 * share rises at the same pace, a vehicle stops at its cap, and every vehicle below a board stops
 * when that board's headroom is used up. `chain` lists a vehicle's boards (own first, the site last),
 * `headroomA[b]` what board b has for vehicles. Its total is the most the line could deliver.
 */
export function treeFill(wants: { cap: number; chain: number[] }[], headroomA: number[]): number[] {
  const n = wants.length;
  const out = new Array<number>(n).fill(0);
  const frozen = new Array<boolean>(n).fill(false);
  const room = headroomA.map((h) => Math.max(0, h));
  for (let round = 0; round <= headroomA.length + n; round++) {
    const open = wants.map((_, i) => i).filter((i) => !frozen[i]);
    if (open.length === 0) break;
    // Highest level every open vehicle can rise to together, board by board.
    let level = Math.max(...open.map((i) => wants[i].cap));
    for (let b = 0; b < room.length; b++) {
      const under = open.filter((i) => wants[i].chain.includes(b));
      if (under.length === 0) continue;
      const used = wants.reduce((a, w, i) => a + (frozen[i] && w.chain.includes(b) ? out[i] : 0), 0);
      const caps = under.map((i) => wants[i].cap);
      const fill = waterfill(Math.max(0, room[b] - used), caps);
      // The level of that board's water-filling: the highest share below a cap, or every cap.
      const lvl = Math.max(...fill.map((f, j) => (f < caps[j] - 1e-9 ? f : -Infinity)));
      if (Number.isFinite(lvl)) level = Math.min(level, lvl);
    }
    let changed = false;
    for (const i of open) {
      out[i] = Math.min(wants[i].cap, level);
      if (out[i] >= wants[i].cap - 1e-9) {
        frozen[i] = true;
        changed = true;
      }
    }
    // Vehicles below a board that is now full stop where they are.
    for (let b = 0; b < room.length; b++) {
      const sum = wants.reduce((a, w, i) => a + (w.chain.includes(b) ? out[i] : 0), 0);
      if (sum >= room[b] - 1e-9)
        for (const i of open)
          if (!frozen[i] && wants[i].chain.includes(b)) {
            frozen[i] = true;
            changed = true;
          }
    }
    if (!changed) break;
  }
  return out;
}

/** Runs the site in virtual time and returns the KPIs. Deterministic for a seed. */
export function runSimulation(opts: SimOptions): Kpis {
  const seed = opts.seed ?? 1;
  if (!(opts.hours > 0) || !Number.isFinite(opts.hours)) throw new Error('hours must be a number > 0');
  const sampleMs = opts.sampleMs ?? 250;
  if (!(sampleMs > 0) || 1000 % sampleMs !== 0) throw new Error('sampleMs must divide 1000');
  const reportEveryS = opts.reportEveryS ?? 5;
  if (!Number.isInteger(reportEveryS) || reportEveryS < 1) throw new Error('reportEveryS must be a whole number ≥ 1');
  const spec = opts.site;
  const site = spec ? spec.chargePoints : opts.plugs ? scaledSite(opts.plugs) : manualSite();
  const plugCount = site.reduce((a, c) => a + (c.enabled ? c.plugs.length : 0), 0);
  const params: SiteParams = {
    ...DEFAULT_PARAMS,
    ...(spec ? spec.params : opts.plugs ? scaledParams(opts.plugs) : {}),
    ...(opts.params ?? {}),
  };
  const boards: BoardConfig[] = spec ? spec.boards : [];
  const perr = validateParams(params);
  if (perr.length) throw new Error(perr.join('; '));
  if (opts.script) {
    const serr = validateScript(opts.script);
    if (serr.length) throw new Error(serr.join('; '));
  }
  const tz = params.timeZone;
  const start = localMidnight(opts.date ?? '2026-03-02', tz) + (opts.startHour ?? 0) * 3600_000;
  const end = start + Math.round(opts.hours * 3600_000);
  const V = params.voltageV;
  const limitA = phaseLimitA(params);
  const workingA = limitA * (1 - params.marginPct / 100);
  const phases: Phase[] = params.supplyPhases === 1 ? ['L1'] : [...PHASES];

  const master = new Rng(seed);
  const building = new BuildingLoad(
    opts.building ?? (spec?.building ? spec.building(master.nextU32(), tz) : defaultBuilding(plugCount, master.nextU32(), tz)),
    start,
  );
  const arrivals = new RandomArrivals(
    { perPlugPerDay: opts.script ? 0 : (opts.arrivalsPerPlugPerDay ?? 1.5), plugs: plugCount, seed: master.nextU32(), timeZone: tz },
    start,
  );
  const fleet = master.fork();
  // Issue 11: the boards (index 0 = the site), their own non-EV loads, limits and working limits.
  const boardRng = new Rng(seed ^ 0x5eed11);
  const boardNames = [SITE_BOARD, ...boards.map((b) => b.name)];
  const boardIx = new Map(boardNames.map((n, i) => [n, i]));
  const boardParent = [-1, ...boards.map((b) => boardIx.get(b.parent)!)];
  const boardLimit = [limitA, ...boards.map((b) => b.limitA)];
  const boardWorking = [workingA, ...boards.map((b) => b.limitA * (1 - (b.marginPct ?? params.marginPct) / 100))];
  const boardLoad = boards.map((b) => {
    const mk = spec?.boardLoads?.[b.name];
    return new BuildingLoad(mk ? mk(boardRng.nextU32(), tz) : { mode: 'constant', currentsA: [0, 0, 0] }, start);
  });
  const chainOf = (board: string | undefined): number[] => {
    const out: number[] = [];
    for (let i = boardIx.get(board ?? SITE_BOARD) ?? 0; i >= 0; i = boardParent[i]) out.push(i);
    return out;
  };
  const rotationLines = (r: Rotation | undefined): Phase[] =>
    (r ?? 'RST').split('').map((ch) => (ch === 'R' ? 'L1' : ch === 'S' ? 'L2' : 'L3'));
  const singlePhasePct = spec?.singlePhasePct ?? EV_SIM_LIMITS.singlePhasePct.default;
  /** Per-board KPIs and the balancer's own per-board count (only on sites with boards or three-phase plugs). */
  const treeSite = spec !== undefined;
  const boardKpi: BoardKpi[] = boardNames.map((name, i) => ({
    name,
    limitA: boardLimit[i],
    workingLimitA: boardWorking[i],
    phases: {},
    overloadAs: 0,
    invariantViolations: 0,
  }));

  // Charge points: configuration, the charge-point link state, the simulated device.
  const cfgs: ChargePointConfig[] = site.map((c) => ({
    name: c.name,
    index: c.index,
    address: c.address,
    enabled: c.enabled,
    plugs: c.plugs.map((p) => ({
      letter: p.letter,
      phase: p.phase,
      priority: false,
      maxCurrentA: p.maxCurrentA ?? DEFAULT_PLUG_MAX_A,
      ...(p.phases === 3 ? { phases: 3 as const } : {}),
    })),
    offline: { ...(c.offline ?? DEFAULT_OFFLINE) },
    ...(c.rotation ? { rotation: c.rotation } : {}),
    ...(c.board && c.board !== SITE_BOARD ? { board: c.board } : {}),
  }));
  const links: CpLinkState[] = cfgs.map((c) => initialChargePointState(c));
  const devices: (SimDevice | null)[] = site.map((c) =>
    c.plugs.length ? new SimDevice({ plugs: c.plugs.length as 1 | 2, phases: c.plugs.map((p) => p.phases ?? 1) }, start) : null,
  );
  const byName = new Map(site.map((c, i) => [c.name, i]));
  const sockets: Socket[] = [];
  site.forEach((c, i) => {
    if (!c.enabled) return;
    for (const p of c.plugs) {
      const phases = p.phases ?? 1;
      const lines = phases === 3 ? rotationLines(c.rotation) : [p.phase];
      sockets.push({
        cp: i,
        letter: p.letter,
        phase: p.phase,
        phases,
        lines,
        chain: chainOf(c.board),
        key: `${c.name}/${p.letter}`,
        session: null,
        vehicle: null,
      });
    }
  });
  const socketByKey = new Map(sockets.map((s) => [s.key, s]));

  let state: BalancerState = initialState(params, start, boards);
  const k: Kpis = {
    hours: opts.hours,
    seed,
    plugs: plugCount,
    limitA,
    workingLimitA: workingA,
    phases: {},
    overloadAs: 0,
    invariantViolations: 0,
    energyDeliveredKWh: 0,
    energyIdealKWh: 0,
    energyRatio: 0,
    jain: null,
    jainSessions: 0,
    arrivals: 0,
    turnedAway: 0,
    sessionsServed: 0,
    neverServed: 0,
    worstWaitS: 0,
    meanWaitS: 0,
    pauses: 0,
    resumes: 0,
    pausesPerPlugMean: 0,
    pausesPerPlugMax: 0,
    vehiclesFull: 0,
    rests: 0,
    faults: 0,
    offlineFallbacks: 0,
    closedTransactions: 0,
    balancerSteps: 0,
  };
  for (const ph of phases) k.phases[ph] = { limitA, peakA: 0, overAs: 0 };
  for (const b of boardKpi) for (const ph of phases) b.phases[ph] = { limitA: b.limitA, peakA: 0, overAs: 0 };
  if (params.unbalanceLimitA > 0) k.unbalance = { limitA: params.unbalanceLimitA, peakSpreadA: 0, overAs: 0, countedOverSteps: 0 };
  const pausesByPlug = new Map<string, number>(sockets.map((s) => [s.key, 0]));
  const waits: number[] = [];
  const fairness: number[] = [];
  let deliveredAs = 0;
  let idealAs = 0;

  function checkInvariant(s: BalancerState, now: number): void {
    if (treeSite) {
      // Issue 11: the balancer's own count on every board and line (status.boards: other + EV + reserved) ≤ its breaker.
      const st = statusOf(s, now);
      // R-UNB-1 as the balancer counts it (building + EV + reserved per line at the site).
      if (k.unbalance && st.unbalance && !st.unbalance.ok) k.unbalance.countedOverSteps++;
      st.boards.forEach((b) => {
        const i = boardIx.get(b.name);
        if (i === undefined) return;
        for (const ph of phases) {
          if ((b.loadA[ph] ?? 0) > b.limitA + 1e-6) {
            boardKpi[i].invariantViolations++;
            if (i === 0) k.invariantViolations++;
          }
        }
      });
      return;
    }
    // R-ALLOC-9: Σ setpoints (at what they may still draw) + building as used + reserved ≤ I_limit.
    const sum: Triple = [0, 0, 0];
    for (const p of s.plugs) {
      if (!p.phase || cpOffline(chargePointOf(s, p), now)) continue;
      sum[phaseIdx(p.phase)] += effectiveA(p, now);
    }
    for (const ph of phases) {
      const i = phaseIdx(ph);
      if (sum[i] + s.view.buildingA[i] + s.view.reservedA[i] > limitA + 1e-6) k.invariantViolations++;
    }
  }

  function apply(ev: DlmEvent, now: number): void {
    const r = step(state, ev, now);
    if (r.error) throw new Error(`balancer refused ${ev.type} at ${new Date(now).toISOString()}: ${r.error}`);
    state = r.state;
    k.balancerSteps++;
    k.closedTransactions += r.closedTransactions.length;
    for (const sp of r.setpoints) {
      const i = byName.get(sp.chargePoint);
      if (i === undefined) continue;
      const c = setpointToCommand(cfgs[i], sp, now);
      if (c.kind === 'error') throw new Error(`charge-point refused a setpoint: ${c.error}`);
      if (c.kind === 'command') {
        const e = devices[i]?.command(c.command, now);
        if (e) throw new Error(`device ${sp.chargePoint} refused a command: ${e}`);
      }
    }
    checkInvariant(state, now);
  }

  function report(i: number, now: number): void {
    const dev = devices[i]!;
    const rep = dev.report();
    const r = applyDeviceReport(links[i], rep, now);
    links[i] = r.state;
    if (r.reconnected) dev.command(offlinePushCommand(cfgs[i], now), now); // R-OFF-2 push
    apply({ type: 'plug', plug: withPhases(toPlugMessage(cfgs[i], links[i], now), cfgs[i], rep) }, now);
  }

  function plugIn(s: Socket, spec: VehicleSpec, now: number, leaveAt: number): void {
    const v = new Vehicle(spec, fleet.nextU32(), now, V);
    const err = devices[s.cp]!.arrive(s.letter, v, now);
    if (err) throw new Error(err);
    s.vehicle = v;
    s.session = { phase: s.phase, arrivedAt: now, leaveAt, firstCurrentAt: null, pauses: 0, gotAs: 0, dueAs: 0, lastLimitA: 0 };
    k.arrivals++;
  }

  function unplug(s: Socket, now: number): void {
    const v = devices[s.cp]!.leave(s.letter, now);
    const ses = s.session!;
    if (v) {
      if (v.full) k.vehiclesFull++;
      k.rests += v.rests;
      k.faults += v.faults;
    }
    // A vehicle never offered current waited its whole stay (or, still plugged in at the end, so far).
    if (ses.firstCurrentAt === null) k.neverServed++;
    else k.sessionsServed++;
    waits.push(((ses.firstCurrentAt ?? now) - ses.arrivedAt) / 1000);
    if (ses.dueAs >= 900 * 1) fairness.push(Math.min(1, ses.gotAs / ses.dueAs));
    s.vehicle = null;
    s.session = null;
  }

  // Disabled charge points are known to the balancer but have no device (CP10).
  site.forEach((c, i) => {
    if (!c.enabled) apply({ type: 'plug', plug: toPlugMessage(cfgs[i], { ...links[i], online: true, lastReportAt: start }, start) }, start);
  });
  const script = [...(opts.script ?? []), ...(spec?.opening ?? [])].sort((a, b) => a.at - b.at);
  let scriptNext = 0;
  const lastReport = devices.map(() => -Infinity);
  const lastPilots = devices.map((d) => (d ? d.pilots() : ''));
  const reportOffset = site.map((_, i) => (i % reportEveryS) * 1000);
  const dtS = sampleMs / 1000;

  for (let now = start; now < end; now += sampleMs) {
    for (const d of devices) d?.advance(now);
    // Departures, then arrivals.
    for (const s of sockets) if (s.session && s.session.leaveAt <= now) unplug(s, now);
    while (scriptNext < script.length && start + script[scriptNext].at <= now) {
      const a = script[scriptNext++];
      const s = socketByKey.get(a.plug);
      if (!s) throw new Error(`script: unknown plug ${a.plug}`);
      if (s.session) k.turnedAway++;
      else plugIn(s, { ...VEHICLE_DEFAULTS, ...a.vehicle }, now, start + a.leaveAt);
    }
    for (const a of arrivals.due(now)) {
      const free = sockets.filter((s) => !s.session);
      if (free.length === 0) {
        k.turnedAway++;
        continue;
      }
      const s = arrivals.random.pick(free);
      plugIn(s, randomVehicleFor(fleet, s.phases, singlePhasePct), now, now + a.dwellS * 1000);
    }
    const whole = (now - start) % 1000 === 0;
    const buildingA = building.currentAt(now);
    const boardOwnA = boardLoad.map((b) => b.currentAt(now));
    if (whole) {
      apply(
        { type: 'meter', meter: { online: true, currentA: buildingA.map((a) => Math.round(a * 100) / 100) as Triple, timestamp: now } },
        now,
      );
      // Issue 11: each sub-board's own meter (R-CIRC-1), its non-EV loads only.
      boards.forEach((b, j) => {
        if (!b.hasMeter) return;
        const currentA = boardOwnA[j].map((a) => Math.round(a * 100) / 100) as Triple;
        apply({ type: 'meter', meter: { online: true, currentA, timestamp: now, board: b.name } }, now);
      });
    }
    // Reports: every reportEveryS (staggered), and at once on a change of pilot.
    devices.forEach((d, i) => {
      if (!d) return;
      const pilots = d.pilots();
      const due = whole && (now - start - reportOffset[i]) % (reportEveryS * 1000) === 0;
      if (due || pilots !== lastPilots[i]) {
        lastPilots[i] = pilots;
        lastReport[i] = now;
        report(i, now);
      }
    });
    if (whole) apply({ type: 'tick' }, now);

    // KPIs: actual currents now; pauses; waits; the fluid ideal and entitlements (docs/simulation.md).
    const evA: Triple = [0, 0, 0];
    /** Per board (index) and line: vehicles' actual draw below it (boards only). */
    const boardEvA: Triple[] = boardNames.map(() => [0, 0, 0]);
    const wantCaps: Record<Phase, { s: Socket; cap: number }[]> = { L1: [], L2: [], L3: [] };
    for (const s of sockets) {
      const v = s.vehicle;
      if (!v) continue;
      const sock = devices[s.cp]!.socket(s.letter)!;
      const draw = v.drawA();
      // On each line a charger phase is wired to (a single-phase plug: its phase; R-3PH-3: a
      // single-phase vehicle on a three-phase plug draws on charger phase 1 only).
      const perPhase = v.phaseCurrentsA();
      const drawLines = s.phases === 3 && v.drawPhases() === 3 ? s.lines : [s.lines[0]];
      for (let j = 0; j < drawLines.length; j++) {
        const li = phaseIdx(drawLines[j]);
        evA[li] += perPhase[j];
        if (boards.length) for (const b of s.chain) boardEvA[b][li] += perPhase[j];
      }
      const ses = s.session!;
      if (sock.limitA > 0 && ses.firstCurrentAt === null) ses.firstCurrentAt = now;
      if (ses.lastLimitA > 0 && sock.limitA === 0 && !v.full) {
        ses.pauses++;
        k.pauses++;
        pausesByPlug.set(s.key, (pausesByPlug.get(s.key) ?? 0) + 1);
      } else if (ses.lastLimitA === 0 && sock.limitA > 0 && ses.pauses > 0) {
        k.resumes++;
      }
      ses.lastLimitA = sock.limitA;
      const cap = Math.min(v.acceptA(), cfgs[s.cp].plugs.find((p) => p.letter === s.letter)!.maxCurrentA);
      if (cap > 0) {
        for (const ln of drawLines) wantCaps[ln].push({ s, cap });
        ses.gotAs += draw * drawLines.length * dtS;
      }
    }
    // Non-EV load per board and line, own + sub-boards' (the site: the whole building's, as the analyser measures it).
    const boardOtherA: Triple[] = boardNames.map(() => [0, 0, 0]);
    if (boards.length) {
      boards.forEach((_, j) => {
        for (let i = j + 1; i > 0; i = boardParent[i]) for (let li = 0; li < 3; li++) boardOtherA[i][li] += boardOwnA[j][li];
      });
    }
    boardOtherA[0] = [buildingA[0], buildingA[1], buildingA[2]];
    for (const ph of phases) {
      const i = phaseIdx(ph);
      const total = buildingA[i] + evA[i];
      const pk = k.phases[ph]!;
      if (total > pk.peakA) pk.peakA = total;
      if (total > limitA) pk.overAs += (total - limitA) * dtS;
      deliveredAs += evA[i] * dtS;
      if (boards.length) {
        for (let b = 1; b < boardNames.length; b++) {
          const bt = boardOtherA[b][i] + boardEvA[b][i];
          const bk = boardKpi[b].phases[ph]!;
          if (bt > bk.peakA) bk.peakA = bt;
          if (bt > bk.limitA) bk.overAs += (bt - bk.limitA) * dtS;
        }
      }
      const w = wantCaps[ph];
      if (w.length) {
        const fair = boards.length
          ? treeFill(
              w.map((x) => ({ cap: x.cap, chain: x.s.chain })),
              boardWorking.map((wl, b) => wl - boardOtherA[b][i]),
            )
          : waterFill(
              workingA - buildingA[i],
              w.map((x) => x.cap),
            );
        w.forEach((x, j) => {
          x.s.session!.dueAs += fair[j] * dtS;
          idealAs += fair[j] * dtS;
        });
      }
    }
    if (k.unbalance) {
      const tot = phases.map((ph) => buildingA[phaseIdx(ph)] + evA[phaseIdx(ph)]);
      const spread = Math.max(...tot) - Math.min(...tot);
      if (spread > k.unbalance.peakSpreadA) k.unbalance.peakSpreadA = spread;
      if (spread > k.unbalance.limitA) k.unbalance.overAs += (spread - k.unbalance.limitA) * dtS;
    }
  }
  for (const s of sockets) if (s.session) unplug(s, end);
  for (const d of devices) if (d) k.offlineFallbacks += d.fallbacks;

  k.overloadAs = phases.reduce((a, ph) => a + k.phases[ph]!.overAs, 0);
  if (treeSite) {
    boardKpi[0].phases = k.phases;
    for (const b of boardKpi) b.overloadAs = phases.reduce((a, ph) => a + b.phases[ph]!.overAs, 0);
    k.boards = boardKpi;
  }
  k.energyDeliveredKWh = (deliveredAs * V) / 3600 / 1000;
  k.energyIdealKWh = (idealAs * V) / 3600 / 1000;
  k.energyRatio = k.energyIdealKWh > 0 ? k.energyDeliveredKWh / k.energyIdealKWh : 1;
  k.jain = jainIndex(fairness);
  k.jainSessions = fairness.length;
  k.worstWaitS = waits.length ? Math.max(...waits) : 0;
  k.meanWaitS = waits.length ? waits.reduce((a, b) => a + b, 0) / waits.length : 0;
  const pp = [...pausesByPlug.values()];
  k.pausesPerPlugMean = pp.length ? pp.reduce((a, b) => a + b, 0) / pp.length : 0;
  k.pausesPerPlugMax = pp.length ? Math.max(...pp) : 0;
  return k;
}

/** A command-line mistake: printed with the usage, exit code 2. */
export class UsageError extends Error {}

export const USAGE = `Usage: npm run simulate -- [--hours H] [--seed N] [--plugs N | --site mixed] [--json]
  --hours H        simulated hours (default 24)
  --seed N         seed of arrivals, vehicles and building noise (default 1)
  --plugs N        a site of N plugs spread over L1-L3, limit scaled (default: the manual's 24-plug site)
  --site mixed     the mixed car park of examples/mixed-car-park.json (three-phase and single-phase plugs,
                   sub-boards, a sub-meter): peak and overload on every board and line (issue 11)
  --start-hour H   local hour the day starts at, 0..23 (default 0)
  --arrivals R     mean arrivals per plug per day (default 1.5)
  --json           print the KPIs as JSON`;

/** Parses the command line into options. Throws UsageError on a mistake. */
export function parseArgs(argv: string[]): { options: SimOptions; json: boolean; help: boolean } {
  const options: SimOptions = { hours: 24, seed: 1 };
  let json = false;
  let help = false;
  const num = (flag: string, v: string | undefined, min: number, max: number, whole = false): number => {
    const x = v === undefined ? NaN : Number(v);
    if (!Number.isFinite(x) || x < min || x > max || (whole && !Number.isInteger(x))) {
      throw new UsageError(`${flag} needs ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}`);
    }
    return x;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--hours':
        options.hours = num(a, argv[++i], 0.01, 24 * 365);
        break;
      case '--seed':
        options.seed = num(a, argv[++i], 0, 2 ** 32 - 1, true);
        break;
      case '--plugs':
        options.plugs = num(a, argv[++i], 1, 5000, true);
        break;
      case '--site': {
        const v = argv[++i];
        if (v === 'manual') break;
        if (v !== 'mixed') throw new UsageError('--site needs manual or mixed');
        options.site = mixedSite();
        break;
      }
      case '--start-hour':
        options.startHour = num(a, argv[++i], 0, 23, true);
        break;
      case '--arrivals':
        options.arrivalsPerPlugPerDay = num(a, argv[++i], 0, 100);
        break;
      case '--json':
        json = true;
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      default:
        throw new UsageError(`unknown option ${a}`);
    }
  }
  return { options, json, help };
}

const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);

/** The KPIs as the text table the CLI prints. */
export function formatKpis(k: Kpis): string {
  const lines: string[] = [];
  lines.push(
    `Simulated ${k.hours} h, seed ${k.seed}, ${k.plugs} plugs; I_limit ${f2(k.limitA)} A per phase (working ${f2(k.workingLimitA)} A)`,
  );
  lines.push('');
  lines.push('Per phase: highest actual total (building + vehicles) against the limit, and overload');
  for (const [ph, p] of Object.entries(k.phases)) {
    lines.push(`  ${ph}: peak ${f2(p!.peakA)} A / ${f2(p!.limitA)} A   above limit ${f1(p!.overAs)} A·s`);
  }
  lines.push(`  overload total: ${f1(k.overloadAs)} A·s;  R-ALLOC-9 setpoint invariant violations: ${k.invariantViolations}`);
  if (k.boards) {
    lines.push('');
    lines.push('Per board and line (R-CIRC-1): highest actual total (its non-EV load + the vehicles below it) against its breaker');
    for (const b of k.boards) {
      const per = Object.entries(b.phases)
        .map(([ph, p]) => `${ph} ${f2(p!.peakA)} A (${f1(p!.overAs)} A·s)`)
        .join(', ');
      lines.push(
        `  ${b.name.padEnd(10)} breaker ${f2(b.limitA)} A, working ${f2(b.workingLimitA)} A: ${per}; overload ${f1(b.overloadAs)} A·s; balancer's count over the breaker ${b.invariantViolations}`,
      );
    }
  }
  if (k.unbalance)
    lines.push(
      `  unbalance (R-UNB-1, limit ${f1(k.unbalance.limitA)} A): highest spread of the actual line totals ${f2(k.unbalance.peakSpreadA)} A, above the limit ${f1(k.unbalance.overAs)} A·s; steps over it as the balancer counts ${k.unbalance.countedOverSteps}`,
    );
  lines.push('');
  lines.push(
    `Energy delivered ${f1(k.energyDeliveredKWh)} kWh of an ideal fluid ${f1(k.energyIdealKWh)} kWh (${f1(100 * k.energyRatio)} %)`,
  );
  lines.push(
    `Jain's fairness index ${k.jain === null ? 'n/a' : k.jain.toFixed(3)} over ${k.jainSessions} sessions (received / max-min fair entitlement)`,
  );
  lines.push(`Pauses ${k.pauses}, resumes ${k.resumes}; pauses per plug: mean ${f2(k.pausesPerPlugMean)}, max ${k.pausesPerPlugMax}`);
  lines.push(
    `Wait from plugging in to first current: worst ${f1(k.worstWaitS / 60)} min, mean ${f1(k.meanWaitS / 60)} min; never served ${k.neverServed}`,
  );
  lines.push('');
  lines.push(
    `Vehicles: ${k.arrivals} arrived, ${k.turnedAway} found no free plug, ${k.sessionsServed} served, ${k.vehiclesFull} left full; ${k.rests} rests, ${k.faults} faults`,
  );
  lines.push(
    `Balancer steps ${k.balancerSteps}, closed transactions ${k.closedTransactions}, device offline fall-backs ${k.offlineFallbacks}`,
  );
  return lines.join('\n');
}

function main(argv: string[]): number {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const k = runSimulation(args.options);
  process.stdout.write((args.json ? JSON.stringify(k, null, 2) : formatKpis(k)) + '\n');
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
