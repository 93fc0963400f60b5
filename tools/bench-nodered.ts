#!/usr/bin/env node
/**
 * Node-RED delivery benchmark (issue 13): one dlm-balancer and n/2 dual charge-point nodes in a
 * Node-RED 4 runtime (node-red-node-test-helper, in this process), every plug charging. A meter
 * reading that overloads the site is handed to the balancer; measured: the time until the first
 * and until the last device command leaves a charge point, and the event-loop delay meanwhile.
 * Two wirings: `joined` (each charge point names the balancer, the example's way since issue 13)
 * and `wired` (output 1 wired to every charge point, the example's way before).
 * A report, not a test; figures in docs/benchmark.md.
 *
 *   npm run bench:nodered [-- --sizes 30,1000] [--rounds 10] [--wiring joined,wired]
 */

const helper = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));

const NODES = [require('../nodes/dlm-balancer/dlm-balancer'), require('../nodes/charge-point/charge-point'), sinkNode];

let onCommand: ((cp: string, a: number) => void) | null = null;

/** Device stand-in: reports every command it gets. */
function sinkNode(RED: { nodes: { createNode(n: unknown, c: unknown): void; registerType(t: string, f: unknown): void } }) {
  RED.nodes.registerType(
    'bench-device',
    function (
      this: {
        on(e: string, f: (msg: { payload?: { chargePoint?: string; plugs?: { A?: number } } }, s: unknown, d: () => void) => void): void;
      },
      n: unknown,
    ) {
      RED.nodes.createNode(this, n);
      this.on('input', (msg, _s, done) => {
        const a = msg.payload?.plugs?.A;
        if (onCommand && msg.payload?.chargePoint && typeof a === 'number') onCommand(msg.payload.chargePoint, a);
        done();
      });
    },
  );
}

type Wiring = 'joined' | 'wired';

function flow(plugs: number, wiring: Wiring): object[] {
  const cps = Math.ceil(plugs / 2);
  const perPhase = Math.ceil(cps / 3);
  const ids = Array.from({ length: cps }, (_, i) => `cp${i + 1}`);
  const nodes: object[] = [
    { id: 'f1', type: 'tab', label: 'bench' },
    {
      id: 'dlm',
      z: 'f1',
      type: 'dlm-balancer',
      name: 'bench',
      analyserEnabled: true,
      meterAverageS: 1,
      reactionDelayS: 0,
      minPauseS: 0,
      // 8 A per plug at the working limit with the building at 10 % of it: every plug charges.
      mccbA: Math.min(6300, Math.ceil(perPhase * 2 * 16)),
      contractedKW: 10000,
      marginPct: 10,
      wires: [wiring === 'wired' ? ids : [], [], []],
    },
    { id: 'dev', z: 'f1', type: 'bench-device' },
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

interface Row {
  plugs: number;
  wiring: Wiring;
  firstP50: number;
  firstP99: number;
  lastP50: number;
  lastP99: number;
  lagP99: number;
}

async function runOne(plugs: number, wiring: Wiring, rounds: number): Promise<Row> {
  await helper.load(NODES, flow(plugs, wiring));
  const cps = Math.ceil(plugs / 2);
  const bal = helper.getNode('dlm');
  const limit = bal ? Math.min(6300, Math.ceil(Math.ceil(cps / 3) * 2 * 16)) : 0;
  const meter = (frac: number) =>
    bal.receive({ topic: 'meter', payload: { online: true, currentA: [limit * frac, limit * frac, limit * frac], timestamp: Date.now() } });
  await sleep(300);
  for (let i = 0; i < cps; i++)
    helper.getNode(`cp${i + 1}`).receive({
      topic: 'device',
      payload: {
        plugs: [
          { letter: 'A', pilot: 'C', currentA: 0 },
          { letter: 'B', pilot: 'C', currentA: 0 },
        ],
        devicePlugs: 2,
      },
    });
  const first: number[] = [];
  const last: number[] = [];
  const lags: number[] = [];
  for (let r = 0; r < rounds + 1; r++) {
    meter(0.1);
    await sleep(1500 + cps); // all plugs charging at their share again
    const seen = new Set<string>();
    let t1 = 0;
    let tn = 0;
    const t0 = process.hrtime.bigint();
    const done = new Promise<void>((resolve) => {
      onCommand = (cp) => {
        const t = Number(process.hrtime.bigint() - t0) / 1e6;
        if (seen.size === 0) t1 = t;
        seen.add(cp);
        tn = t;
        if (seen.size === cps) resolve();
      };
    });
    // Event-loop delay: how late a 5 ms timer fires while the commands go out.
    let expected = Date.now() + 5;
    const probe = setInterval(() => {
      if (r > 0) lags.push(Math.max(0, Date.now() - expected));
      expected = Date.now() + 5;
    }, 5);
    meter(0.5); // every share falls: every charge point gets a lower setpoint
    await Promise.race([done, sleep(30_000)]);
    await sleep(20);
    clearInterval(probe);
    onCommand = null;
    if (r > 0) {
      first.push(t1);
      last.push(tn);
    }
  }
  await helper.unload();
  return {
    plugs,
    wiring,
    firstP50: pct(first, 50),
    firstP99: pct(first, 99),
    lastP50: pct(last, 50),
    lastP99: pct(last, 99),
    lagP99: lags.length ? pct(lags, 99) : 0,
  };
}

async function main(argv: string[]): Promise<number> {
  let sizes = [30, 1000];
  let rounds = 10;
  let wirings: Wiring[] = ['joined', 'wired'];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--sizes') sizes = String(argv[++i]).split(',').map(Number);
    else if (argv[i] === '--rounds') rounds = Number(argv[++i]);
    else if (argv[i] === '--wiring') wirings = String(argv[++i]).split(',') as Wiring[];
    else {
      process.stderr.write('Usage: npm run bench:nodered -- [--sizes 30,1000] [--rounds 10] [--wiring joined,wired]\n');
      return 2;
    }
  }
  const rows: Row[] = [];
  for (const n of sizes) for (const w of wirings) rows.push(await runOne(n, w, rounds));
  const f = (x: number) => `${x.toFixed(1)} ms`;
  process.stdout.write(
    `Node-RED delivery benchmark (issue 13) — node ${process.version}, ${rounds} rounds; overload meter reading → device commands\n\n`,
  );
  process.stdout.write('plugs  wiring  first command p50 / p99   last command p50 / p99   event-loop delay p99\n');
  for (const r of rows) {
    process.stdout.write(
      `${String(r.plugs).padEnd(5)}  ${r.wiring.padEnd(6)}  ${(f(r.firstP50) + ' / ' + f(r.firstP99)).padEnd(24)}  ${(f(r.lastP50) + ' / ' + f(r.lastP99)).padEnd(23)}  ${f(r.lagP99)}\n`,
    );
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
