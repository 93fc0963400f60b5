/**
 * A simulated charge point (1 or 2 plugs) behind the generic device interface of lib/shared/types.ts:
 * it takes `DeviceCommand`s (per-plug current limits + offline configuration) and produces
 * `DeviceReport`s (pilot, measured current, session energy). It offers each plug's limit to the
 * vehicle plugged in there (lib/sim/vehicle.ts), which follows after its reaction delay.
 *
 * Offline mode (R-OFF-1, R-OFF-2): when the device has heard no setpoints for `heartbeatS`, it
 * falls back to its configured mode — 0 pause all; 1 active transactions continue at their
 * setpoint, new ones paused; 2 active continue capped at the offline current, new paused;
 * 3 active continue capped, new ones (and those paused at the fall-back) start at the offline
 * current. The next command that names a plug ends the offline mode.
 * A plug is single-phase or three-phase (R-3PH-1): a three-phase plug reports the current of each
 * charger phase (`phaseCurrentsA`, charger phase order, `currentA` their highest); a single-phase
 * vehicle on it draws on charger phase 1 only (R-3PH-3). Single-phase plugs report `currentA` only.
 * Pure model in virtual time: no timers, no clock, no I/O.
 */
import { DEFAULT_OFFLINE, DEFAULT_PLUG_MAX_A, IEC_MIN_CURRENT_A, PLUG_MAX_LIMITS, validateOffline } from '../shared/params';
import type { DeviceCommand, DevicePlugReport, DeviceReport, OfflineConfig, PilotState, PlugLetter } from '../shared/types';
import { Vehicle } from './vehicle';

export interface SimDeviceOptions {
  /** 1 or 2 plugs (letters A, B). */
  plugs: 1 | 2;
  /** Largest current the device offers on a plug, A. */
  maxCurrentA?: number;
  /** Phases of each plug, in letter order (A, B): 1 or 3. Default: every plug single-phase. */
  phases?: readonly (1 | 3)[];
  /** Offline configuration until a command pushes one (R-OFF-2). */
  offline?: OfflineConfig;
  /**
   * Virtual ms per ms of the controller's clock. The balancer's heartbeat is real seconds; when
   * the device runs in accelerated virtual time (ev-sim's time scale) its silence must be
   * measured in the same real seconds. Default 1.
   */
  heartbeatScale?: number;
}

/** One socket of the device. */
export interface SimSocket {
  letter: PlugLetter;
  /** 1 = single-phase, 3 = three-phase plug. */
  phases: 1 | 3;
  vehicle: Vehicle | null;
  /** Last limit commanded by the balancer (through charge-point), A. */
  commandedA: number;
  /** Limit offered to the vehicle now: the commanded one, or the offline mode's. */
  limitA: number;
}

/** Validates a device command for a device with these plug letters. Returns the errors. */
export function validateDeviceCommand(x: unknown, letters: readonly PlugLetter[]): string[] {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return ['command must be an object {plugs, offline}'];
  const c = x as Record<string, unknown>;
  const errors: string[] = [];
  if (c.plugs === null || typeof c.plugs !== 'object' || Array.isArray(c.plugs)) {
    errors.push('command plugs must be an object {A?: amps, B?: amps}');
  } else {
    for (const [letter, v] of Object.entries(c.plugs as Record<string, unknown>)) {
      if (!letters.includes(letter as PlugLetter)) {
        errors.push(`command names plug ${JSON.stringify(letter)}; this device has ${letters.join(', ')}`);
      } else if (typeof v !== 'number' || !Number.isFinite(v) || (v !== 0 && (v < IEC_MIN_CURRENT_A || v > PLUG_MAX_LIMITS.max))) {
        errors.push(`command for plug ${letter} must be 0 (pause) or ${IEC_MIN_CURRENT_A}..${PLUG_MAX_LIMITS.max} A`);
      }
    }
  }
  if (c.offline !== undefined) errors.push(...validateOffline(c.offline));
  return errors;
}

export class SimDevice {
  readonly letters: PlugLetter[];
  readonly maxCurrentA: number;
  readonly heartbeatScale: number;
  offline: OfflineConfig;
  sockets: SimSocket[];
  /** When setpoints were last heard, ms epoch (power-up counts as the start of the silence). */
  lastCommandAt: number;
  /** Offline mode in force (R-OFF-1). */
  offlineActive = false;
  /** Times the device has fallen back to its offline mode. */
  fallbacks = 0;
  t: number;

  constructor(opts: SimDeviceOptions, now: number) {
    if (opts.plugs !== 1 && opts.plugs !== 2) throw new Error('a simulated charge point has 1 or 2 plugs');
    const offErr = opts.offline ? validateOffline(opts.offline) : [];
    if (offErr.length) throw new Error(offErr.join('; '));
    this.letters = opts.plugs === 1 ? ['A'] : ['A', 'B'];
    this.maxCurrentA = opts.maxCurrentA ?? DEFAULT_PLUG_MAX_A;
    this.heartbeatScale = opts.heartbeatScale ?? 1;
    if (!(this.heartbeatScale > 0)) throw new Error('heartbeatScale must be > 0');
    this.offline = { ...(opts.offline ?? DEFAULT_OFFLINE) };
    const phases = opts.phases ?? [];
    if (phases.length > this.letters.length || phases.some((n) => n !== 1 && n !== 3))
      throw new Error('plug phases must be 1 or 3, one per plug');
    this.sockets = this.letters.map((letter, i) => ({ letter, phases: phases[i] ?? 1, vehicle: null, commandedA: 0, limitA: 0 }));
    this.lastCommandAt = now;
    this.t = now;
  }

  socket(letter: PlugLetter): SimSocket | undefined {
    return this.sockets.find((s) => s.letter === letter);
  }

  /** When the offline mode starts if nothing is heard, ms epoch. */
  fallbackAt(): number {
    return this.lastCommandAt + this.offline.heartbeatS * 1000 * this.heartbeatScale;
  }

  /** Moves every vehicle to `now`, falling back to the offline mode on the way when due. */
  advance(now: number): void {
    if (now < this.t) return;
    if (!this.offlineActive && this.fallbackAt() <= now) {
      const at = Math.max(this.t, this.fallbackAt());
      for (const s of this.sockets) s.vehicle?.advance(at);
      this.t = at;
      this.enterOffline(at);
    }
    for (const s of this.sockets) s.vehicle?.advance(now);
    this.t = now;
  }

  /** The limit the offline mode gives a socket (R-OFF-1 table). */
  private offlineLimit(s: SimSocket, isNew: boolean): number {
    const off = Math.min(this.offline.currentA, this.maxCurrentA);
    const active = !isNew && s.vehicle !== null && s.commandedA > 0;
    switch (this.offline.mode) {
      case 0:
        return 0;
      case 1:
        return active ? s.commandedA : 0;
      case 2:
        return active ? Math.min(s.commandedA, off) : 0;
      default:
        return active ? Math.min(s.commandedA, off) : s.vehicle ? off : 0;
    }
  }

  private setLimit(s: SimSocket, limitA: number, now: number): void {
    s.limitA = limitA;
    s.vehicle?.offer(limitA, now);
  }

  private enterOffline(now: number): void {
    this.offlineActive = true;
    this.fallbacks++;
    for (const s of this.sockets) this.setLimit(s, this.offlineLimit(s, false), now);
  }

  /**
   * Applies a command at `now`. Returns the error (nothing changes) or null. A command naming
   * at least one plug is a refresh of the setpoints and ends the offline mode; a command with no
   * plugs (configuration push, R-OFF-2) only updates the offline configuration.
   */
  command(cmd: DeviceCommand, now: number): string | null {
    const errors = validateDeviceCommand(cmd, this.letters);
    if (errors.length) return errors.join('; ');
    this.advance(now);
    if (cmd.offline) this.offline = { ...cmd.offline };
    const named = Object.keys(cmd.plugs) as PlugLetter[];
    if (named.length === 0) return null;
    this.lastCommandAt = now;
    const wasOffline = this.offlineActive;
    this.offlineActive = false;
    for (const s of this.sockets) {
      const v = cmd.plugs[s.letter];
      if (v !== undefined) s.commandedA = Math.min(v, this.maxCurrentA);
      else if (wasOffline) s.commandedA = s.limitA; // keeps doing what it did until told otherwise
      this.setLimit(s, s.commandedA, now);
    }
    return null;
  }

  /** A vehicle plugs into `letter` at `now`. Returns an error when the socket is taken or unknown. */
  arrive(letter: PlugLetter, vehicle: Vehicle, now: number): string | null {
    const s = this.socket(letter);
    if (!s) return `this charge point has no plug ${letter}`;
    this.advance(now);
    if (s.vehicle) return `plug ${letter} already has a vehicle`;
    s.vehicle = vehicle;
    vehicle.plugPhases = s.phases;
    vehicle.advance(now);
    // Offline: a new transaction starts only in mode 3, at the offline current (R-OFF-1).
    this.setLimit(s, this.offlineActive ? this.offlineLimit(s, true) : s.commandedA, now);
    return null;
  }

  /** The vehicle on `letter` leaves at `now`; returns it (null when there was none). */
  leave(letter: PlugLetter, now: number): Vehicle | null {
    const s = this.socket(letter);
    if (!s || !s.vehicle) return null;
    this.advance(now);
    const v = s.vehicle;
    s.vehicle = null;
    if (this.offlineActive) s.limitA = 0;
    return v;
  }

  pilot(letter: PlugLetter): PilotState {
    const v = this.socket(letter)?.vehicle;
    return v ? v.pilot() : 'A';
  }

  /** Pilots of all plugs as one text, e.g. "CB": a change means a report is due at once. */
  pilots(): string {
    return this.sockets.map((s) => (s.vehicle ? s.vehicle.pilot() : 'A')).join('');
  }

  /** Measured current of a plug on each charger phase 1, 2, 3, A (a single-phase plug: phase 1 only). */
  phaseCurrentsA(letter: PlugLetter): [number, number, number] {
    const v = this.socket(letter)?.vehicle;
    return v ? v.phaseCurrentsA() : [0, 0, 0];
  }

  /** Measured current of a plug, A (per phase: the highest of its phases). */
  currentA(letter: PlugLetter): number {
    return this.socket(letter)?.vehicle?.drawA() ?? 0;
  }

  /** The device report as of the last `advance` (generic device interface). */
  report(): DeviceReport {
    const r1 = (a: number) => Math.round(a * 10) / 10;
    const plugs: DevicePlugReport[] = this.sockets.map((s) => {
      const r: DevicePlugReport = {
        letter: s.letter,
        pilot: s.vehicle ? s.vehicle.pilot() : 'A',
        currentA: s.vehicle ? r1(s.vehicle.drawA()) : 0,
        energyWh: s.vehicle ? Math.round(s.vehicle.energyWh) : 0,
      };
      if (s.phases === 3) {
        const pc = s.vehicle ? s.vehicle.phaseCurrentsA() : [0, 0, 0];
        r.phaseCurrentsA = [r1(pc[0]), r1(pc[1]), r1(pc[2])];
      }
      return r;
    });
    return { plugs, devicePlugs: this.letters.length };
  }
}
