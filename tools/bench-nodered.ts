#!/usr/bin/env node
/**
 * Node-RED benchmark (issue 13): one dlm-balancer and n/2 dual charge-point nodes in a REAL
 * Node-RED 4 started as its own process (test/support/node-red-runner: the installed node-red,
 * a temporary user directory, the localfilesystem context store a durable site uses), every plug
 * charging. A small driver node inside that Node-RED (tools/bench-nodered-driver.ts) plays the
 * meter reader and the devices and measures there:
 *
 * - latency: a meter reading that lowers every share is handed to the balancer; the time until the
 *   first and the last device command leaves a charge point, and how late a 5 ms timer fires
 *   meanwhile (event-loop delay). Reaction delay 0, meter average 1 s.
 * - load (1 Hz): the site with the example's parameters, a meter reading every second, the
 *   balancer's tick, every device reporting every 5 s; the Node-RED process's CPU time
 *   (process.cpuUsage) over the window as % of one core, its RSS, the event-loop delay.
 *
 * Wirings: `joined` (each charge point names the balancer, the example's way since issue 13) and
 * `wired` (balancer output 1 wired to every charge point, the example's way before).
 * A report, not a test; figures in docs/benchmark.md.
 *
 *   npm run bench:nodered [-- --sizes 30,1000] [--rounds 10] [--wiring joined,wired]
 *                         [--load-sizes 1000] [--seconds 60] [--status-sinks 0] [--status-joined 9] [--report-s 5] [--profile DIR]
 *
 * `--status-sinks N`: N consumers wired to the balancer's status output (Node-RED copies the status for
 * every wire after the first); `--status-joined N`: N consumers joined to the balancer as the example's
 * dashboard widgets are (issue 13: the status object itself, no copy).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { getJson, start, type RunningNodeRed } from '../test/support/node-red-runner';

type Wiring = 'joined' | 'wired';

interface Options {
  latencySizes: number[];
  loadSizes: number[];
  rounds: number;
  seconds: number;
  wirings: Wiring[];
  statusSinks: number;
  statusJoined: number;
  reportS: number;
  profile: string | null;
}

/** The balancer of the flow: the limit lets every plug charge at 8 A with the building at 10 %. */
function balancer(cps: number, wiring: Wiring, ids: string[], mode: 'latency' | 'load', statusSinks: number): object {
  const perPhase = Math.ceil(cps / 3);
  const fast = mode === 'latency' ? { meterAverageS: 1, reactionDelayS: 0, minPauseS: 0 } : {};
  return {
    id: 'dlm',
    z: 'f1',
    type: 'dlm-balancer',
    name: 'bench',
    analyserEnabled: true,
    ...fast,
    mccbA: Math.min(6300, Math.ceil(perPhase * 2 * 16)),
    contractedKW: 10000,
    marginPct: 10,
    wires: [wiring === 'wired' ? ids : [], Array.from({ length: statusSinks }, (_, k) => `status${k}`), []],
  };
}

function flow(plugs: number, wiring: Wiring, mode: 'latency' | 'load', statusSinks: number, statusJoined = 0): object[] {
  const cps = Math.ceil(plugs / 2);
  const ids = Array.from({ length: cps }, (_, i) => `cp${i + 1}`);
  const nodes: object[] = [
    { id: 'f1', type: 'tab', label: 'bench' },
    balancer(cps, wiring, ids, mode, statusSinks),
    { id: 'drv', z: 'f1', type: 'bench-driver', wires: [['dlm']] },
    { id: 'dev', z: 'f1', type: 'bench-device', wires: [] },
    ...Array.from({ length: statusSinks }, (_, k) => ({ id: `status${k}`, z: 'f1', type: 'bench-status', wires: [] })),
    ...Array.from({ length: statusJoined }, (_, k) => ({ id: `joined${k}`, z: 'f1', type: 'bench-status', balancer: 'dlm', wires: [] })),
  ];
  ids.forEach((id, i) => {
    const phase = ['L1', 'L2', 'L3'][i % 3];
    nodes.push({
      id,
      z: 'f1',
      type: 'charge-point',
      name: `CP${i + 1}`,
      index: i + 1,
      address: '',
      plugCount: 2,
      phaseA: phase,
      phaseB: phase,
      priorityA: false,
      priorityB: false,
      maxCurrentA: 32,
      maxCurrentB: 32,
      enabled: true,
      balancer: wiring === 'joined' ? 'dlm' : '',
      wires: [['dlm'], ['dev']],
    });
  });
  return nodes;
}

/** A nodes directory holding the driver (a .js requiring the compiled driver, and its .html). */
function driverDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-bench-nodes-'));
  fs.writeFileSync(
    path.join(dir, 'bench-driver.js'),
    `module.exports = require(${JSON.stringify(path.join(__dirname, 'bench-nodered-driver.js'))});\n`,
  );
  fs.writeFileSync(path.join(dir, 'bench-driver.html'), '<!-- bench -->\n');
  return dir;
}

async function withNodeRed<T>(nodes: object[], opts: Options, label: string, run: (red: RunningNodeRed) => Promise<T>): Promise<T> {
  const dir = driverDir();
  if (opts.profile) fs.mkdirSync(opts.profile, { recursive: true });
  const nodeArgs = opts.profile
    ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(opts.profile)}`, `--cpu-prof-name=${label}.cpuprofile`]
    : [];
  let red: RunningNodeRed | null = null;
  try {
    red = await start(nodes, {
      nodesDir: [path.resolve(__dirname, '..', '..'), dir],
      settings: { contextStorage: { default: { module: 'localfilesystem' } } },
      startTimeoutMs: 120_000,
      nodeArgs,
    });
    return await run(red);
  } catch (e) {
    if (red) process.stderr.write(red.log().slice(-3000));
    throw e;
  } finally {
    await red?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface LatencyRow {
  plugs: number;
  wiring: Wiring;
  firstP50: number;
  firstP99: number;
  lastP50: number;
  lastP99: number;
  lagP99: number;
  lagMax: number;
  roundsMissing: number;
}
interface LoadRow {
  plugs: number;
  seconds: number;
  cpuPct: number;
  rssMaxMB: number;
  rssEndMB: number;
  heapUsedMB: number;
  lagP50: number;
  lagP99: number;
  lagMax: number;
  commandsPerS: number;
  statusPerS: number;
  contextKB?: number;
  flushStringifyMs?: number;
}

async function latency(plugs: number, wiring: Wiring, opts: Options): Promise<LatencyRow> {
  const cps = Math.ceil(plugs / 2);
  return withNodeRed(
    flow(plugs, wiring, 'latency', opts.statusSinks, opts.statusJoined),
    opts,
    `latency-${plugs}-${wiring}`,
    async (red) => {
      const r = await getJson<Omit<LatencyRow, 'plugs' | 'wiring'>>(`${red.url}/bench/latency?cps=${cps}&rounds=${opts.rounds}`);
      return { plugs, wiring, ...r };
    },
  );
}

async function load(plugs: number, opts: Options): Promise<LoadRow> {
  const cps = Math.ceil(plugs / 2);
  return withNodeRed(flow(plugs, 'joined', 'load', opts.statusSinks, opts.statusJoined), opts, `load-${plugs}`, async (red) => {
    const r = await getJson<Omit<LoadRow, 'plugs'>>(
      `${red.url}/bench/load?cps=${cps}&seconds=${opts.seconds}&reportS=${opts.reportS}&warmS=20`,
    );
    return { plugs, ...r };
  });
}

function parse(argv: string[]): Options | null {
  const o: Options = {
    latencySizes: [30, 1000],
    loadSizes: [1000],
    rounds: 10,
    seconds: 60,
    wirings: ['joined'],
    // The example's dashboard: nine widgets joined to the balancer, nothing wired to output 2.
    statusSinks: 0,
    statusJoined: 9,
    reportS: 5,
    profile: null,
  };
  const list = (s: string) => (s === '' || s === 'none' ? [] : s.split(',').map(Number));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = String(argv[++i]);
    if (a === '--sizes') o.latencySizes = list(v);
    else if (a === '--load-sizes') o.loadSizes = list(v);
    else if (a === '--rounds') o.rounds = Number(v);
    else if (a === '--seconds') o.seconds = Number(v);
    else if (a === '--wiring') o.wirings = v.split(',') as Wiring[];
    else if (a === '--status-sinks') o.statusSinks = Number(v);
    else if (a === '--status-joined') o.statusJoined = Number(v);
    else if (a === '--profile') o.profile = v;
    else if (a === '--report-s') o.reportS = Number(v);
    else return null;
  }
  return o;
}

async function main(argv: string[]): Promise<number> {
  const opts = parse(argv);
  if (!opts) {
    process.stderr.write(
      'Usage: npm run bench:nodered -- [--sizes 30,1000] [--rounds 10] [--wiring joined,wired] [--load-sizes 1000] [--seconds 60] [--status-sinks 0] [--status-joined 9] [--report-s 5] [--profile DIR]\n',
    );
    return 2;
  }
  const f = (x: number) => `${x.toFixed(1)} ms`;
  process.stdout.write(
    `Node-RED benchmark (issue 13) — node ${process.version}, ${os.cpus().length} CPU(s); Node-RED in its own process, ` +
      `localfilesystem context, ${opts.statusSinks} wired and ${opts.statusJoined} joined status consumer(s)\n\n`,
  );
  if (opts.latencySizes.length) {
    process.stdout.write(`Overload meter reading → device commands (${opts.rounds} rounds):\n`);
    process.stdout.write('plugs  wiring  first command p50 / p99   last command p50 / p99   event-loop delay p99 / max\n');
    for (const n of opts.latencySizes)
      for (const w of opts.wirings) {
        const r = await latency(n, w, opts);
        process.stdout.write(
          `${String(r.plugs).padEnd(5)}  ${r.wiring.padEnd(6)}  ${(f(r.firstP50) + ' / ' + f(r.firstP99)).padEnd(24)}  ${(f(r.lastP50) + ' / ' + f(r.lastP99)).padEnd(23)}  ${f(r.lagP99)} / ${f(r.lagMax)}${r.roundsMissing ? `  (${r.roundsMissing} round(s) incomplete after 30 s)` : ''}\n`,
        );
      }
  }
  if (opts.loadSizes.length) {
    process.stdout.write(
      `\nThe site at 1 Hz (meter 1/s, tick 1/s, each device reports every ${opts.reportS} s; ${opts.seconds} s measured after 20 s):\n`,
    );
    process.stdout.write(
      'plugs  CPU (% of one core)  RSS max / end   heap used  event-loop delay p50 / p99 / max   commands/s  status msgs/s\n',
    );
    for (const n of opts.loadSizes) {
      const r = await load(n, opts);
      process.stdout.write(
        `${String(r.plugs).padEnd(5)}  ${(r.cpuPct.toFixed(1) + ' %').padEnd(19)}  ${(r.rssMaxMB.toFixed(0) + ' / ' + r.rssEndMB.toFixed(0) + ' MB').padEnd(14)}  ${(r.heapUsedMB.toFixed(0) + ' MB').padEnd(9)}  ${(f(r.lagP50) + ' / ' + f(r.lagP99) + ' / ' + f(r.lagMax)).padEnd(33)}  ${r.commandsPerS.toFixed(1).padEnd(10)}  ${r.statusPerS.toFixed(2)}\n`,
      );
      if (r.contextKB !== undefined)
        process.stdout.write(
          `       balancer context ${r.contextKB.toFixed(0)} KB as the localfilesystem store writes it; one flush stringifies it in ${r.flushStringifyMs?.toFixed(1)} ms\n`,
        );
    }
  }
  return 0;
}

if (require.main === module)
  main(process.argv.slice(2)).then(
    (c) => process.exit(c),
    (e) => {
      process.stderr.write(String(e?.stack ?? e) + '\n');
      process.exit(1);
    },
  );
