/**
 * Configuration and input checks of the ev-sim node (nodes/ev-sim): pure, so they are tested
 * without Node-RED and the node stays a thin shell.
 */
import type { PlugLetter } from '../shared/types';
import { DEFAULT_PLUG_COUNT, EV_SIM_DEFAULT_SEED, EV_SIM_LIMITS, EV_SIM_SEED_MAX } from '../shared/params';
import { validateScript, type ScriptedArrival } from './arrivals';
import { validateVehicleSpec, type VehicleSpec } from './vehicle';

/** Editor limits: lib/shared/params.ts, injected into ev-sim.html at build time. */
export { EV_SIM_LIMITS };

/** Fields a `vehicle` message may carry besides letter and action. */
const VEHICLE_FIELDS = ['socPct', 'obcMaxA', 'obcPhases', 'capacityKWh', 'targetSocPct', 'reactionDelayS'] as const;

export interface EvSimConfig {
  plugCount: 1 | 2;
  /** Phases of each plug in letter order (R-3PH-1): 1 or 3; as many as plugCount. */
  phases: (1 | 3)[];
  /** Share of random arrivals on a three-phase plug with a single-phase on-board charger, %. */
  singlePhasePct: number;
  seed: number;
  arrivals: number;
  script: ScriptedArrival[];
  reportS: number;
  timeScale: number;
  enabled: boolean;
}

function num(x: unknown, d: number): number {
  if (x === undefined || x === null || x === '') return d;
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(x)) return Number(x);
  return NaN;
}

/** Each plug's phases from the editor (`phasesA`, `phasesB`): 1 (default) or 3 (R-3PH-1); errors added to `errors`. */
function plugPhases(n: Record<string, unknown>, letters: PlugLetter[], errors: string[]): (1 | 3)[] {
  return letters.map((letter) => {
    const v = num(n[`phases${letter}`], 1);
    if (v !== 1 && v !== 3) errors.push(`plug ${letter} phases must be 1 or 3`);
    return v === 3 ? 3 : 1;
  });
}

/** Builds and checks the node's configuration from the editor fields. */
export function configFromEditor(n: Record<string, unknown>): { ok: true; config: EvSimConfig } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const plugCount = num(n.plugCount, DEFAULT_PLUG_COUNT);
  if (plugCount !== 1 && plugCount !== 2) errors.push('plug count must be 1 or 2');
  const seed = num(n.seed, EV_SIM_DEFAULT_SEED);
  if (!Number.isInteger(seed) || seed < 0 || seed > EV_SIM_SEED_MAX) errors.push(`seed must be a whole number 0..${EV_SIM_SEED_MAX}`);
  const check = (key: keyof typeof EV_SIM_LIMITS, label: string): number => {
    const lim = EV_SIM_LIMITS[key];
    const v = num(n[key], lim.default);
    if (!Number.isFinite(v) || v < lim.min || v > lim.max) errors.push(`${label} must be a number from ${lim.min} to ${lim.max}`);
    return v;
  };
  const arrivals = check('arrivals', 'arrivals per plug per day');
  const singlePhasePct = check('singlePhasePct', 'single-phase vehicles on three-phase plugs (%)');
  const phases = plugPhases(n, plugCount === 2 ? ['A', 'B'] : ['A'], errors);
  const reportS = check('reportS', 'report interval (s)');
  const timeScale = check('timeScale', 'time scale');
  let script: ScriptedArrival[] = [];
  if (typeof n.script === 'string' && n.script.trim() !== '') {
    let raw: unknown;
    try {
      raw = JSON.parse(n.script);
    } catch (e) {
      errors.push(`script is not valid JSON: ${(e as Error).message}`);
    }
    if (raw !== undefined) {
      // The editor's script is in seconds from the start; the model's in ms.
      const inMs = Array.isArray(raw)
        ? raw.map((e: Record<string, unknown>) =>
            e && typeof e === 'object'
              ? {
                  ...e,
                  at: typeof e.at === 'number' ? e.at * 1000 : e.at,
                  leaveAt: typeof e.leaveAt === 'number' ? e.leaveAt * 1000 : e.leaveAt,
                }
              : e,
          )
        : raw;
      const se = validateScript(inMs);
      if (se.length) errors.push(...se);
      else {
        script = inMs as ScriptedArrival[];
        for (const e of script) {
          if (e.plug !== 'A' && e.plug !== 'B') errors.push(`script plug must be "A" or "B", not ${JSON.stringify(e.plug)}`);
          else if (e.plug === 'B' && plugCount === 1) errors.push('script names plug B but the charge point has 1 plug');
        }
      }
    }
  }
  const enabled = n.enabled === undefined ? true : n.enabled === true || n.enabled === 'true';
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    config: { plugCount: plugCount as 1 | 2, phases, singlePhasePct, seed, arrivals, script, reportS, timeScale, enabled },
  };
}

/** Checks a `vehicle` message payload. */
export function parseVehicleInput(
  x: unknown,
  letters: readonly PlugLetter[],
): { ok: true; letter: PlugLetter; action: 'arrive' | 'leave'; spec: Partial<VehicleSpec> } | { ok: false; error: string } {
  if (x === null || typeof x !== 'object' || Array.isArray(x))
    return { ok: false, error: 'vehicle payload must be an object {letter, action}' };
  const p = x as Record<string, unknown>;
  if (!letters.includes(p.letter as PlugLetter))
    return { ok: false, error: `vehicle letter must be ${letters.map((l) => `"${l}"`).join(' or ')}` };
  if (p.action !== 'arrive' && p.action !== 'leave') return { ok: false, error: 'vehicle action must be "arrive" or "leave"' };
  const spec: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) {
    if (k === 'letter' || k === 'action') continue;
    if (!(VEHICLE_FIELDS as readonly string[]).includes(k))
      return { ok: false, error: `unknown vehicle field ${JSON.stringify(k)}; allowed: ${VEHICLE_FIELDS.join(', ')}` };
    spec[k] = v;
  }
  const errs = validateVehicleSpec(spec);
  if (errs.length) return { ok: false, error: errs.join('; ') };
  return { ok: true, letter: p.letter as PlugLetter, action: p.action, spec: spec as Partial<VehicleSpec> };
}
