/**
 * Test support: builds `plug` / `meter` messages and drives the pure balancer in virtual time.
 */
import { initialState, step } from '../../lib/core/balancer';
import { findPlug, type BalancerState, type DlmEvent, type StepResult } from '../../lib/core/state';
import { plugId } from '../../lib/shared/ids';
import { DEFAULT_OFFLINE, DEFAULT_PARAMS } from '../../lib/shared/params';
import type {
  BoardConfig,
  OfflineConfig,
  Phase,
  PilotState,
  PlugLetter,
  PlugMessage,
  Rotation,
  SetpointMessage,
  SiteParams,
} from '../../lib/shared/types';

export interface PlugSpec {
  letter: PlugLetter;
  phase: Phase | null;
  pilot?: PilotState;
  priority?: boolean;
  maxCurrentA?: number;
  measuredA?: number;
  energyWh?: number;
  plate?: string;
  fault?: string;
  followsLimits?: boolean;
  /** 1 or 3 (R-3PH-1); absent = 1. */
  phases?: 1 | 3;
  /** Per charger phase 1..3, A (R-3PH-3). */
  phaseCurrentsA?: [number, number, number];
}

export interface CpSpec {
  name: string;
  index: number;
  plugs: PlugSpec[];
  enabled?: boolean;
  online?: boolean;
  devicePlugs?: number;
  offline?: OfflineConfig;
  rotation?: Rotation;
  board?: string;
}

/** A `plug` message for a charge point. */
export function plugMsg(cp: CpSpec, now: number): PlugMessage {
  return {
    chargePoint: cp.name,
    index: cp.index,
    address: '',
    enabled: cp.enabled ?? true,
    online: cp.online ?? true,
    devicePlugs: cp.devicePlugs,
    offline: cp.offline ?? { ...DEFAULT_OFFLINE },
    plugs: cp.plugs.map((p) => ({
      letter: p.letter,
      id: plugId(cp.index, p.letter),
      phase: p.phase,
      priority: p.priority ?? false,
      maxCurrentA: p.maxCurrentA ?? 32,
      pilot: p.pilot ?? 'A',
      measuredA: p.measuredA ?? 0,
      energyWh: p.energyWh ?? 0,
      plate: p.plate ?? '-',
      ...(p.fault ? { fault: p.fault } : {}),
      ...(p.followsLimits === false ? { followsLimits: false } : {}),
      ...(p.phases ? { phases: p.phases } : {}),
      ...(p.phaseCurrentsA ? { phaseCurrentsA: p.phaseCurrentsA } : {}),
    })),
    timestamp: now,
    ...(cp.rotation ? { rotation: cp.rotation } : {}),
    ...(cp.board ? { board: cp.board } : {}),
  };
}

/**
 * What of a report is a plug change (issue 13): the message without its time and the plugs' live
 * measurements. Two reports with the same key differ in measurements only.
 */
export function decisionKey(m: PlugMessage): string {
  const plugs = m.plugs.map((r) => {
    const rest: Record<string, unknown> = { ...r };
    delete rest.measuredA;
    delete rest.energyWh;
    delete rest.phaseCurrentsA;
    return rest;
  });
  return JSON.stringify({ ...m, timestamp: 0, plugs });
}

/** The manual's site (§5.2.2): CP01–CP05 on L1, CP06–CP09 on L2, CP11–CP15 on L3; CP02/12/13/15 single; CP10 disabled. */
export function manualSite(): CpSpec[] {
  const single = new Set([2, 12, 13, 15]);
  const out: CpSpec[] = [];
  for (let k = 1; k <= 15; k++) {
    const phase: Phase = k <= 5 ? 'L1' : k <= 9 ? 'L2' : 'L3';
    const name = `CP${String(k).padStart(2, '0')}`;
    if (k === 10) {
      out.push({ name, index: k, enabled: false, plugs: [] });
      continue;
    }
    const letters: PlugLetter[] = single.has(k) ? ['A'] : ['A', 'B'];
    out.push({ name, index: k, plugs: letters.map((letter) => ({ letter, phase })) });
  }
  return out;
}

/** Drives the balancer: keeps state and virtual time, records what was sent. */
export class Site {
  state: BalancerState;
  now: number;
  sent: SetpointMessage[] = [];
  cps = new Map<string, CpSpec>();
  last!: StepResult;

  constructor(params: Partial<SiteParams> = {}, start = Date.UTC(2026, 0, 15, 15, 0, 0), boards: BoardConfig[] = []) {
    this.now = start;
    this.state = initialState({ ...DEFAULT_PARAMS, ...params }, this.now, boards);
  }

  /** Applies one event; throws if it was refused (use `try` to test refusals). */
  apply(e: DlmEvent): StepResult {
    const r = step(this.state, e, this.now);
    if (r.error) throw new Error(r.error);
    this.state = r.state;
    this.sent.push(...r.setpoints);
    this.last = r;
    return r;
  }

  /** Adds or updates a charge point and reports it. */
  report(cp: CpSpec): StepResult {
    this.cps.set(cp.name, cp);
    return this.apply({ type: 'plug', plug: plugMsg(cp, this.now) });
  }

  /** Changes one plug of a known charge point and reports it. */
  plug(name: string, letter: PlugLetter, change: Partial<PlugSpec>): StepResult {
    const cp = this.cps.get(name)!;
    const plugs = cp.plugs.map((p) => (p.letter === letter ? { ...p, ...change } : p));
    return this.report({ ...cp, plugs });
  }

  meter(a: [number, number, number], board?: string): StepResult {
    return this.apply({ type: 'meter', meter: { online: true, currentA: a, timestamp: this.now, ...(board ? { board } : {}) } });
  }

  /** Devices re-report this often, s (like real charge points); 0 = never. */
  reportEveryS = 30;
  private sinceReport = 0;

  /** Advances virtual time by `s` seconds, one tick per second; the meter repeats `building` if given. */
  run(s: number, building?: [number, number, number]): void {
    for (let i = 0; i < s; i++) {
      this.now += 1000;
      if (building) this.meter(building);
      else this.apply({ type: 'tick' });
      if (this.reportEveryS > 0 && ++this.sinceReport >= this.reportEveryS) {
        this.sinceReport = 0;
        for (const cp of this.cps.values()) if (cp.online !== false) this.report(cp);
      }
    }
  }

  sp(id: number): number {
    return findPlug(this.state, id)!.setpointA;
  }

  /** Setpoints of these plug ids. */
  sps(ids: number[]): number[] {
    return ids.map((id) => this.sp(id));
  }
}
