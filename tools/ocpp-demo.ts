/**
 * `npm start -- --ocpp` (issue 12): the example site with its 15 simulated chargers speaking
 * OCPP 1.6J over loopback WebSockets to the package's central system, end to end.
 *
 * ocppFlow() turns the example flow into the OCPP variant: every ev-sim node is removed; one
 * ocpp-central node (127.0.0.1, port from the DLM_OCPP_PORT environment variable) takes every
 * charge point's commands and feeds every charge point (each takes its own msg.address = its
 * name); passwords (security profile 1) go to the credentials. startDemoChargers() runs the 15
 * strict test chargers (tools/ocpp-charger.ts) with the vehicles of the ev-sim scripts plugged in
 * at start, then vehicles come and go at random (seeded).
 */
import * as crypto from 'crypto';
import { TestCharger } from './ocpp-charger';

export const OCPP_CENTRAL_ID = 'dlm_ocpp_central';

interface FlowNode {
  id: string;
  type: string;
  wires?: string[][];
  [k: string]: unknown;
}

/** The OCPP variant of a flow with ev-sim chargers, and the credentials it needs. */
export function ocppFlow(
  flow: FlowNode[],
  passwords?: Record<string, string>,
): {
  flow: FlowNode[];
  credentials: Record<string, { passwords: string }>;
  chargers: { identity: string; plugs: number; vehicles: number[] }[];
} {
  const sims = new Map(flow.filter((n) => n.type === 'ev-sim').map((n) => [n.id, n]));
  const cps = flow.filter((n) => n.type === 'charge-point');
  const out: FlowNode[] = [];
  const chargers: { identity: string; plugs: number; vehicles: number[] }[] = [];
  const pw: Record<string, string> = { ...(passwords ?? {}) };
  let z = '';
  let g: unknown;
  for (const n of flow) {
    if (n.type === 'ev-sim') continue;
    if (n.type === 'charge-point') {
      const simId = n.wires?.[1]?.[0];
      const sim = simId ? sims.get(simId) : undefined;
      const name = String(n.name);
      let vehicles: number[] = [];
      try {
        const script = JSON.parse(String(sim?.script ?? '[]'));
        vehicles = script.filter((s: any) => s.at === 0).map((s: any) => Number(s.vehicle?.obcMaxA) || 16);
      } catch {
        /* no script */
      }
      chargers.push({ identity: name, plugs: Number(n.plugCount) || 2, vehicles });
      pw[name] ||= crypto.randomBytes(12).toString('hex');
      z = String(n.z);
      g = n.g;
      out.push({ ...n, address: name, wires: [n.wires?.[0] ?? [], [OCPP_CENTRAL_ID]] });
      continue;
    }
    out.push(n);
  }
  out.push({
    id: OCPP_CENTRAL_ID,
    type: 'ocpp-central',
    z,
    ...(g ? {} : {}),
    name: 'OCPP central system',
    host: '127.0.0.1',
    port: '${DLM_OCPP_PORT}',
    path: 'ocpp',
    tls: false,
    reactionDelayS: 5,
    chargers: chargers.map((c) => ({ identity: c.identity, plugs: c.plugs, wholeAmps: false, plateFromIdTag: false })),
    x: 120,
    y: 1600,
    wires: [cps.map((c) => c.id), []],
  });
  return { flow: out, credentials: { [OCPP_CENTRAL_ID]: { passwords: JSON.stringify(pw) } }, chargers };
}

/** Small seeded random numbers (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DemoChargers {
  chargers: TestCharger[];
  stop(): Promise<void>;
}

/** Starts the 15 OCPP chargers against ws://127.0.0.1:<port>/ocpp; they reconnect by themselves. */
export async function startDemoChargers(opts: {
  port: number;
  chargers: { identity: string; plugs: number; vehicles: number[] }[];
  passwords: Record<string, string>;
  speed: number;
  seed?: number;
  log?: (t: string) => void;
}): Promise<DemoChargers> {
  const rand = rng(opts.seed ?? 1);
  const list = opts.chargers.map(
    (c) =>
      new TestCharger({
        endpoint: `ws://127.0.0.1:${opts.port}/ocpp`,
        identity: c.identity,
        password: opts.passwords[c.identity],
        connectors: c.plugs,
        reactionMs: 2000,
        tickMs: 250,
      }),
  );
  // Node-RED may still be starting: retry the first connection for a while.
  await Promise.all(
    list.map(async (ch) => {
      for (let k = 0; ; k++) {
        try {
          await ch.start();
          return;
        } catch (e) {
          if (k > 120) throw e;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }),
  );
  await Promise.all(
    list.map(async (ch, i) => {
      const v = opts.chargers[i].vehicles;
      for (let k = 0; k < Math.min(v.length, opts.chargers[i].plugs); k++)
        await ch.plugIn(k + 1, v[k], `EV${i + 1}${k ? 'B' : 'A'}`).catch(() => undefined);
    }),
  );
  // Vehicles come and go: every (60 s / speed) one plug changes.
  const every = Math.max(200, 60000 / Math.max(0.1, opts.speed));
  const timer = setInterval(() => {
    const ch = list[Math.floor(rand() * list.length)];
    const id = 1 + Math.floor(rand() * ch.model.connectors.length);
    const c = ch.model.connector(id);
    if (c.vehicleMaxA === null) ch.plugIn(id, rand() < 0.5 ? 16 : 32).catch(() => undefined);
    else if (rand() < 0.3) ch.unplug(id).catch(() => undefined);
  }, every);
  opts.log?.(`${list.length} OCPP chargers connected to ws://127.0.0.1:${opts.port}/ocpp`);
  return {
    chargers: list,
    stop: async () => {
      clearInterval(timer);
      await Promise.all(list.map((c) => c.stop()));
    },
  };
}
