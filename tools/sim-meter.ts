/**
 * A Circutor CVM-MINI simulator: a Modbus TCP server (modbus-serial ServerTCP) serving the
 * analyser's register map (lib/cvm-mini/cvm-mini.ts) as input and holding registers, with a per-phase
 * building load that is constant, follows a daily profile, or takes a bounded random walk.
 * It can be stopped and restarted on the same port (analyser loss, R-MTR-4) and its load
 * changed at run time. Usage: docs/cvm-mini.md, or `node dist/tools/sim-meter.js --help`.
 */
import * as net from 'net';
import * as readline from 'readline';
import { ServerTCP } from 'modbus-serial';
import { CVM_QUANTITY, CVM_START_ADDRESS, encodeRegisters, type CvmReading } from '../lib/cvm-mini/cvm-mini';
import { DEFAULT_PARAMS, SANITY } from '../lib/shared/params';
import { Rng } from '../lib/sim/random';

export type LoadMode = 'constant' | 'profile' | 'walk';
export type Triple = [number, number, number];

export interface MeterSimOptions {
  /** TCP port; 0 or absent = a free port is picked (ServerTCP itself cannot bind port 0). */
  port?: number;
  host?: string;
  mode?: LoadMode;
  /** constant: the currents; profile: the daily peak per phase; walk: the start (and centre) per phase. A. */
  currentsA?: Triple;
  /** Seed of the random walk (same seed, same walk). */
  seed?: number;
  /** Answer only this unit id; 255 (default) answers every unit id. */
  unitId?: number;
  /** Phase–neutral voltage, V. */
  voltageV?: number;
  /** Power factor of the building load, 0..1. */
  powerFactor?: number;
  frequencyHz?: number;
  /** Walk: one step per this many seconds of clock time. */
  stepS?: number;
  /** Walk: largest step per phase, A. */
  stepA?: number;
  /** Walk: bounds of each phase's current, A. */
  minA?: number;
  maxA?: number;
  /** Clock, ms epoch (tests inject one). */
  clock?: () => number;
}

export interface MeterSim {
  readonly port: number;
  readonly host: string;
  readonly unitId: number;
  /** Whether the server is listening. */
  readonly running: boolean;
  /** Changes the load: constant currents, profile peaks or walk position, A per phase. */
  setCurrents(a: Triple): void;
  setMode(mode: LoadMode): void;
  /** What the simulator serves right now, at the map's resolution (what a correct decoder yields). */
  reading(): CvmReading;
  /** The 42 registers 0x00..0x29 it serves right now. */
  registers(): number[];
  /** Number of register reads answered since start. */
  readonly requests: number;
  /** Closes the server and drops every connection (the analyser disappears). */
  stop(): Promise<void>;
  /** Listens again on the same port after stop(). */
  start(): Promise<void>;
}

/** Binds port 0 on host to learn a free port, then releases it. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** The simulator's seeded PRNG (lib/sim/random) as a function, [0, 1). */
export function prng(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

/**
 * Typical building load through the day as a fraction of the peak, hourly points (local time
 * of the machine), linearly interpolated: low at night, morning rise, evening peak at 19–20 h.
 */
export const DAILY_PROFILE: readonly number[] = Object.freeze([
  0.3, 0.28, 0.27, 0.27, 0.28, 0.32, 0.45, 0.65, 0.8, 0.75, 0.7, 0.7, 0.72, 0.7, 0.65, 0.62, 0.65, 0.75, 0.9, 1.0, 0.95, 0.8, 0.6, 0.4,
]);

/** Profile factor at a time of day given in hours (0..24, fractional). */
export function profileFactor(hourOfDay: number): number {
  const h = ((hourOfDay % 24) + 24) % 24;
  const i = Math.floor(h);
  const f = h - i;
  return DAILY_PROFILE[i] * (1 - f) + DAILY_PROFILE[(i + 1) % 24] * f;
}

/** Builds the physical reading for per-phase currents at a voltage, PF and frequency. */
export function readingFor(currentsA: Triple, voltageV: number, pf: number, frequencyHz: number): CvmReading {
  const sin = Math.sqrt(Math.max(0, 1 - pf * pf));
  // Quantize to the map's resolution first, so reading() is exactly what the registers say.
  const v = Math.round(voltageV * 10) / 10;
  const i = currentsA.map((a) => Math.round(a * 1000) / 1000) as Triple;
  const p = i.map((a) => Math.round(v * a * pf)) as Triple;
  const q = i.map((a) => Math.round(v * a * sin)) as Triple;
  return {
    voltageV: [v, v, v],
    currentA: i,
    powerW: p,
    reactivePowerVar: q,
    powerFactor: [Math.round(pf * 100) / 100, Math.round(pf * 100) / 100, Math.round(pf * 100) / 100],
    totalPowerW: p[0] + p[1] + p[2],
    frequencyHz: Math.round(frequencyHz * 10) / 10,
  };
}

function checkTriple(a: unknown, name: string): Triple {
  if (
    !Array.isArray(a) ||
    a.length !== 3 ||
    !a.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= SANITY.maxCurrentA)
  ) {
    throw new Error(`${name} must be three currents 0..${SANITY.maxCurrentA} A`);
  }
  return [a[0], a[1], a[2]];
}

/** Starts a simulated CVM-MINI. Resolves once it listens. */
export async function startMeterSim(opts: MeterSimOptions = {}): Promise<MeterSim> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port && opts.port > 0 ? opts.port : await freePort(host);
  const unitId = opts.unitId ?? 255;
  if (!Number.isInteger(unitId) || unitId < 1 || unitId > 255) throw new Error('unitId must be 1..255 (255 = every unit id)');
  let mode: LoadMode = opts.mode ?? 'constant';
  if (!['constant', 'profile', 'walk'].includes(mode)) throw new Error('mode must be constant, profile or walk');
  let base = checkTriple(opts.currentsA ?? [20, 20, 20], 'currentsA');
  const voltageV = opts.voltageV ?? DEFAULT_PARAMS.voltageV;
  const pf = opts.powerFactor ?? 0.95;
  if (!(pf >= 0 && pf <= 1)) throw new Error('powerFactor must be 0..1');
  const frequencyHz = opts.frequencyHz ?? 50;
  const clock = opts.clock ?? Date.now;
  const stepMs = (opts.stepS ?? 1) * 1000;
  const stepA = opts.stepA ?? 1;
  const minA = opts.minA ?? 0;
  const maxA = opts.maxA ?? Math.max(1, 2 * Math.max(...base));
  const random = prng(opts.seed ?? 1);

  // The walk advances with the clock, one step per stepMs, whoever reads (deterministic per seed).
  let walk: Triple = [...base] as Triple;
  let walkAt = clock();
  function advanceWalk(now: number) {
    const steps = Math.min(10000, Math.floor((now - walkAt) / stepMs));
    for (let s = 0; s < steps; s++) {
      walk = walk.map((a) => Math.min(maxA, Math.max(minA, a + (random() * 2 - 1) * stepA))) as Triple;
    }
    walkAt += steps * stepMs;
  }

  function currents(): Triple {
    const now = clock();
    if (mode === 'constant') return base;
    if (mode === 'profile') {
      const d = new Date(now);
      const f = profileFactor(d.getHours() + d.getMinutes() / 60 + d.getSeconds() / 3600);
      return base.map((a) => a * f) as Triple;
    }
    advanceWalk(now);
    return walk;
  }

  const reading = () => readingFor(currents(), voltageV, pf, frequencyHz);
  let requests = 0;
  const register = (addr: number): number => {
    const i = addr - CVM_START_ADDRESS;
    if (i < 0 || i >= CVM_QUANTITY) {
      // Outside the map: Modbus exception 0x02, illegal data address.
      throw Object.assign(new Error('illegal data address'), { modbusErrorCode: 0x02 });
    }
    return encodeRegisters(reading())[i];
  };
  const block = (addr: number, length: number): number[] => {
    requests++;
    const regs = encodeRegisters(reading());
    const out: number[] = [];
    for (let a = addr; a < addr + length; a++) {
      const i = a - CVM_START_ADDRESS;
      if (i < 0 || i >= CVM_QUANTITY) throw Object.assign(new Error('illegal data address'), { modbusErrorCode: 0x02 });
      out.push(regs[i]);
    }
    return out;
  };
  const vector = {
    getInputRegister: (addr: number) => {
      requests++;
      return register(addr);
    },
    getHoldingRegister: (addr: number) => {
      requests++;
      return register(addr);
    },
    getMultipleInputRegisters: (addr: number, length: number) => block(addr, length),
    getMultipleHoldingRegisters: (addr: number, length: number) => block(addr, length),
  };

  let server: ServerTCP | null = null;
  function listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = new ServerTCP(vector, { host, port, unitID: unitId, debug: false });
      const onError = (err: Error) => reject(err);
      s.once('serverError', onError);
      s.once('initialized', () => {
        s.removeListener('serverError', onError);
        // A client vanishing mid-reply must not take the simulator down.
        s.on('socketError', () => undefined);
        s.on('serverError', () => undefined);
        s.on('error', () => undefined);
        server = s;
        resolve();
      });
    });
  }
  await listen();

  return {
    port,
    host,
    unitId,
    get running() {
      return server !== null;
    },
    get requests() {
      return requests;
    },
    setCurrents(a: Triple) {
      base = checkTriple(a, 'currents');
      walk = [...base] as Triple;
      walkAt = clock();
    },
    setMode(m: LoadMode) {
      if (!['constant', 'profile', 'walk'].includes(m)) throw new Error('mode must be constant, profile or walk');
      mode = m;
      walk = [...base] as Triple;
      walkAt = clock();
    },
    reading,
    registers: () => encodeRegisters(reading()),
    stop() {
      const s = server;
      server = null;
      if (!s) return Promise.resolve();
      return new Promise<void>((resolve) => s.close(() => resolve()));
    },
    async start() {
      if (server) return;
      await listen();
    },
  };
}

const HELP = `CVM-MINI simulator (Modbus TCP)
  --port N        TCP port (default 5020; 0 = pick a free one)
  --host H        address to listen on (default 127.0.0.1)
  --mode M        constant | profile | walk (default constant)
  --amps a,b,c    per-phase current, A: constant value, daily-profile peak, or walk start (default 20,20,20)
  --seed N        random walk seed (default 1)
  --unit N        answer only unit id N (default: every unit id)
  --voltage V     phase-neutral voltage (default ${DEFAULT_PARAMS.voltageV})
  --pf X          power factor 0..1 (default 0.95)
  --step-a A      walk: largest step per second, A (default 1)
  --max-a A       walk: upper bound, A (default 2 × largest --amps)
While running, type on stdin:  amps a,b,c | mode M | stop | start | show | quit`;

function parseArgs(argv: string[]): MeterSimOptions & { help?: boolean } {
  const o: MeterSimOptions & { help?: boolean } = { port: 5020 };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const v = () => {
      const x = argv[++k];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    const n = () => {
      const x = Number(v());
      if (!Number.isFinite(x)) throw new Error(`${a} needs a number`);
      return x;
    };
    switch (a) {
      case '--port':
        o.port = n();
        break;
      case '--host':
        o.host = v();
        break;
      case '--mode':
        o.mode = v() as LoadMode;
        break;
      case '--amps':
        o.currentsA = v().split(',').map(Number) as Triple;
        break;
      case '--seed':
        o.seed = n();
        break;
      case '--unit':
        o.unitId = n();
        break;
      case '--voltage':
        o.voltageV = n();
        break;
      case '--pf':
        o.powerFactor = n();
        break;
      case '--step-a':
        o.stepA = n();
        break;
      case '--max-a':
        o.maxA = n();
        break;
      case '-h':
      case '--help':
        o.help = true;
        break;
      default:
        throw new Error(`unknown option ${a}`);
    }
  }
  return o;
}

async function main() {
  let opts: ReturnType<typeof parseArgs>;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(String((e as Error).message) + '\n\n' + HELP);
    process.exit(2);
  }
  if (opts.help) {
    console.log(HELP);
    return;
  }
  const sim = await startMeterSim(opts);
  const show = () => {
    const r = sim.reading();
    console.log(`${sim.running ? 'serving' : 'stopped'}: I = ${r.currentA.join(' / ')} A, U = ${r.voltageV[0]} V, P = ${r.totalPowerW} W`);
  };
  console.log(
    `CVM-MINI simulator on ${sim.host}:${sim.port}, unit id ${sim.unitId === 255 ? 'any' : sim.unitId}, mode ${opts.mode ?? 'constant'}`,
  );
  show();
  const rl = readline.createInterface({ input: process.stdin });
  // Commands run one after the other, in the order typed.
  let queue = Promise.resolve();
  rl.on('line', (line) => {
    queue = queue.then(() => command(line));
  });
  async function command(line: string) {
    const [cmd, arg = ''] = line.trim().split(/\s+/);
    try {
      if (cmd === 'amps') sim.setCurrents(arg.split(',').map(Number) as Triple);
      else if (cmd === 'mode') sim.setMode(arg as LoadMode);
      else if (cmd === 'stop') await sim.stop();
      else if (cmd === 'start') await sim.start();
      else if (cmd === 'quit') {
        await sim.stop();
        process.exit(0);
      } else if (cmd && cmd !== 'show') {
        console.log(HELP);
        return;
      }
      show();
    } catch (e) {
      console.error((e as Error).message);
    }
  }
  const quit = async () => {
    await sim.stop();
    process.exit(0);
  };
  process.on('SIGINT', quit);
  process.on('SIGTERM', quit);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
