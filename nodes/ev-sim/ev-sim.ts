/**
 * ev-sim: a simulated charge point with vehicles, for demos and commissioning dry runs (issue 5).
 * Wire charge-point output 2 (device commands) → ev-sim → charge-point input. It takes
 * `command` messages (DeviceCommand) and emits `device` messages (DeviceReport) every report
 * interval and at once on a change of pilot. Vehicles arrive at random (seeded), from a script,
 * or by hand (`vehicle` messages). The models live in lib/sim; this file is the Node-RED shell:
 * a clock (virtual time = start + elapsed real time × time scale), one poll timer, input checks.
 */
import { DEFAULT_PARAMS } from '../../lib/shared/params';
import type { DeviceCommand, PlugLetter } from '../../lib/shared/types';
import { RandomArrivals } from '../../lib/sim/arrivals';
import { SimDevice } from '../../lib/sim/device';
import { configFromEditor, parseVehicleInput } from '../../lib/sim/ev-sim-config';
import { Rng } from '../../lib/sim/random';
import { randomVehicleFor, Vehicle, VEHICLE_DEFAULTS, type VehicleSpec } from '../../lib/sim/vehicle';

import { makeInert, onGuardedInput, type Send } from '../common/input';
import { describeValue } from '../../lib/shared/guard';
import type { NodeConfig, NodeRED, RedNode } from '../common/red';

/** Poll period of the model, real ms: pilot changes are reported within this. */
const POLL_MS = 200;

export = function (RED: NodeRED) {
  function EvSimNode(this: RedNode, n: NodeConfig) {
    RED.nodes.createNode(this, n);
    const node = this;
    const built = configFromEditor(n);
    if (!built.ok) return makeInert(node, `invalid configuration: ${built.errors.join('; ')}`);
    const cfg = built.config;
    if (!cfg.enabled) {
      node.status({ fill: 'grey', shape: 'ring', text: 'disabled' });
      onGuardedInput(node, (_msg, _send, done) => done());
      return;
    }

    // Virtual time: starts at the real time, runs `timeScale` times faster.
    const wallStart = Date.now();
    const simNow = () => wallStart + (Date.now() - wallStart) * cfg.timeScale;
    const device = new SimDevice({ plugs: cfg.plugCount, phases: cfg.phases, heartbeatScale: cfg.timeScale }, wallStart);
    const rng = new Rng(cfg.seed);
    const arrivals = new RandomArrivals(
      { perPlugPerDay: cfg.arrivals, plugs: cfg.plugCount, seed: rng.nextU32(), timeZone: DEFAULT_PARAMS.timeZone },
      wallStart,
    );
    const fleet = rng.fork();
    const script = [...cfg.script].sort((a, b) => a.at - b.at);
    let scriptNext = 0;
    /** When the vehicle on each plug leaves by itself (random/scripted); manual ones stay until told. */
    const leaveAt: Partial<Record<PlugLetter, number>> = {};
    let lastPilots = '';
    let lastReportWall = -Infinity;
    let timer: NodeJS.Timeout | null = null;

    function showStatus() {
      const text = device.sockets
        .map((s) => {
          if (!s.vehicle) return `${s.letter} free`;
          const p = s.vehicle.pilot();
          const soc = Math.round(s.vehicle.socPct);
          // A three-phase plug shows how many phases its vehicle draws on (R-3PH-3).
          const ph = s.phases === 3 ? ` ${s.vehicle.drawPhases()}φ` : '';
          return p === 'C' ? `${s.letter} ${device.currentA(s.letter).toFixed(1)} A${ph} ${soc}%` : `${s.letter} ${p} ${soc}%`;
        })
        .join(' · ');
      node.status({
        fill: device.offlineActive ? 'yellow' : 'green',
        shape: device.sockets.some((s) => s.vehicle) ? 'dot' : 'ring',
        text: device.offlineActive ? `offline mode ${device.offline.mode} · ${text}` : text,
      });
    }

    function plugIn(letter: PlugLetter, spec: VehicleSpec, now: number): string | null {
      const v = new Vehicle(spec, fleet.nextU32(), now, DEFAULT_PARAMS.voltageV);
      return device.arrive(letter, v, now);
    }

    /** Moves the model to now: departures, arrivals; reports when due or when a pilot changed. */
    function poll(send: Send, force = false) {
      const now = simNow();
      device.advance(now);
      for (const s of device.sockets) {
        const at = leaveAt[s.letter];
        if (s.vehicle && at !== undefined && at <= now) {
          device.leave(s.letter, now);
          delete leaveAt[s.letter];
        }
      }
      while (scriptNext < script.length && wallStart + script[scriptNext].at <= now) {
        const a = script[scriptNext++];
        const letter = a.plug as PlugLetter;
        if (device.socket(letter)!.vehicle) continue; // occupied: the scripted driver goes elsewhere
        if (!plugIn(letter, { ...VEHICLE_DEFAULTS, ...a.vehicle }, now)) leaveAt[letter] = wallStart + a.leaveAt;
      }
      for (const a of arrivals.due(now)) {
        const free = device.sockets.filter((s) => !s.vehicle);
        if (!free.length) continue;
        const s = arrivals.random.pick(free);
        if (!plugIn(s.letter, randomVehicleFor(fleet, s.phases, cfg.singlePhasePct), now)) leaveAt[s.letter] = now + a.dwellS * 1000;
      }
      const pilots = device.pilots();
      const wall = Date.now();
      if (force || pilots !== lastPilots || wall - lastReportWall >= cfg.reportS * 1000) {
        lastPilots = pilots;
        lastReportWall = wall;
        send({ topic: 'device', payload: device.report() });
      }
      showStatus();
    }

    timer = setInterval(() => {
      try {
        poll((m: unknown) => node.send(m));
      } catch (e) {
        node.error(`simulation step failed: ${(e as Error).message}`);
      }
    }, POLL_MS);
    // First report at once, so the charge point learns its device (after the flow has started).
    setImmediate(() => {
      if (timer) poll((m: unknown) => node.send(m));
    });

    onGuardedInput(node, (msg, send, done) => {
      switch (msg.topic) {
        case 'command': {
          device.advance(simNow());
          const err = device.command(msg.payload as DeviceCommand, simNow());
          if (err) return done(new Error(`ev-sim: bad command: ${err}`));
          showStatus();
          return done();
        }
        case 'vehicle': {
          const r = parseVehicleInput(msg.payload, device.letters);
          if (!r.ok) return done(new Error(`ev-sim: ${r.error}`));
          const now = simNow();
          device.advance(now);
          if (r.action === 'arrive') {
            const err = plugIn(r.letter, { ...VEHICLE_DEFAULTS, ...r.spec }, now);
            if (err) return done(new Error(`ev-sim: ${err}`));
            delete leaveAt[r.letter];
          } else {
            if (!device.leave(r.letter, now)) return done(new Error(`ev-sim: no vehicle on plug ${r.letter}`));
            delete leaveAt[r.letter];
          }
          poll(send);
          return done();
        }
        default:
          return done(new Error(`ev-sim: unknown topic ${describeValue(msg.topic)}; expected "command" or "vehicle"`));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      if (timer) clearInterval(timer);
      timer = null;
      done();
    });
  }
  RED.nodes.registerType('ev-sim', EvSimNode);
};
