/**
 * The in-Node-RED half of `npm run bench:nodered` (issue 13): three node types loaded into the
 * benchmarked Node-RED process next to this package's nodes (tools/bench-nodered.ts writes a
 * nodes directory that requires this file). Not part of the package.
 *
 * - `bench-driver`: output 1 is wired to the balancer (as a meter reader's link is); it sends the
 *   meter readings and hands the device reports to the charge-point nodes (as each device's
 *   transport node would). It serves two admin endpoints the parent process calls:
 *   `GET /bench/latency?cps=&rounds=` (overload reading → first and last device command, and the
 *   event-loop delay meanwhile) and `GET /bench/load?cps=&seconds=&reportS=` (the site at 1 Hz:
 *   CPU % of this process, RSS, event-loop delay, over a window).
 * - `bench-device`: the device stand-in on every charge point's output 2; notes each command.
 * - `bench-status`: a consumer of the balancer's status output, or (with `balancer` set) joined to the
 *   balancer as a dashboard widget is; counts the statuses.
 */
import { monitorEventLoopDelay } from 'perf_hooks';
import type { NodeConfig, NodeRED, RedNode } from '../nodes/common/red';
import { joinStatus } from '../nodes/common/status-bus';

/** Sampling period of the event-loop delay histogram in the load run, ms (its delays are reported less this). */
const ELD_RESOLUTION_MS = 10;

interface Command {
  chargePoint?: string;
  plugs?: { A?: number; B?: number };
}

/** Called with each device command (set by the measurement running). */
let onCommand: ((cp: string, cmd: Command) => void) | null = null;
/** Last command per charge point (the stand-in devices draw what they were told). */
const lastA = new Map<string, { A: number; B: number }>();
let statusMessages = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** How late a 5 ms timer fires (event-loop delay), sampled until stopped. */
function lagProbe(): { stop(): number[] } {
  const lags: number[] = [];
  let expected = performance.now() + 5;
  const t = setInterval(() => {
    const now = performance.now();
    lags.push(Math.max(0, now - expected));
    expected = now + 5;
  }, 5);
  return {
    stop: () => {
      clearInterval(t);
      return lags;
    },
  };
}

export = function (RED: NodeRED) {
  /** The site's limit per phase as the benchmark flow sets it (tools/bench-nodered.ts). */
  const limitOf = (cps: number) => Math.min(6300, Math.ceil(Math.ceil(cps / 3) * 2 * 16));

  function meter(cps: number, frac: number | number[]) {
    const l = limitOf(cps);
    const f = Array.isArray(frac) ? frac : [frac, frac, frac];
    // The flow's driver node (id `drv`, tools/bench-nodered.ts), output 1 wired to the balancer.
    RED.nodes.getNode('drv')?.send({ topic: 'meter', payload: { online: true, currentA: f.map((x) => l * x), timestamp: Date.now() } });
  }

  function report(i: number) {
    const cp = RED.nodes.getNode(`cp${i}`);
    if (!cp) return;
    const a = lastA.get(`CP${i}`) ?? { A: 0, B: 0 };
    cp.receive({
      topic: 'device',
      payload: {
        plugs: [
          { letter: 'A', pilot: 'C', currentA: a.A },
          { letter: 'B', pilot: 'C', currentA: a.B },
        ],
        devicePlugs: 2,
      },
    });
  }

  async function latency(cps: number, rounds: number) {
    for (let i = 1; i <= cps; i++) report(i);
    const first: number[] = [];
    const last: number[] = [];
    const lags: number[] = [];
    let missing = 0;
    for (let r = 0; r < rounds + 1; r++) {
      meter(cps, 0.1);
      await sleep(1500 + cps); // all plugs charging at their share again
      const seen = new Set<string>();
      let t1 = 0;
      let tn = 0;
      const t0 = performance.now();
      const done = new Promise<void>((resolve) => {
        onCommand = (cp) => {
          const t = performance.now() - t0;
          if (seen.size === 0) t1 = t;
          seen.add(cp);
          tn = t;
          if (seen.size === cps) resolve();
        };
      });
      const probe = lagProbe();
      meter(cps, 0.5); // every share falls: every charge point gets a lower setpoint
      await Promise.race([done, sleep(30_000)]);
      await sleep(20);
      const l = probe.stop();
      onCommand = null;
      if (r === 0) continue; // warm-up round
      if (seen.size < cps) missing++;
      first.push(t1);
      last.push(tn);
      lags.push(...l);
    }
    return {
      firstP50: pct(first, 50),
      firstP99: pct(first, 99),
      lastP50: pct(last, 50),
      lastP99: pct(last, 99),
      lagP99: pct(lags, 99),
      lagMax: Math.max(0, ...lags),
      roundsMissing: missing,
    };
  }

  /**
   * The site at 1 Hz: a meter reading every second (a slow random walk around 30 % of the
   * limit), the balancer's own tick, every charge point's device reporting every `reportS` s
   * (spread evenly; the current it draws is what it was last told). `warmS` seconds first, then
   * `seconds` measured.
   */
  async function load(cps: number, seconds: number, reportS: number, warmS: number) {
    for (let i = 1; i <= cps; i++) report(i);
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const fr = [0.3, 0.3, 0.3];
    let next = 1;
    const perMs = (reportS * 1000) / cps;
    let nextAt = performance.now();
    // Device reports spread evenly over the report period.
    const reporter = setInterval(() => {
      const now = performance.now();
      while (nextAt <= now) {
        report(next);
        next = (next % cps) + 1;
        nextAt += perMs;
      }
    }, 10);
    const meterTimer = setInterval(() => {
      for (let k = 0; k < 3; k++) fr[k] = Math.min(0.5, Math.max(0.1, fr[k] + (rnd() - 0.5) * 0.04));
      meter(cps, fr);
    }, 1000);
    let commands = 0;
    onCommand = () => commands++;
    await sleep(warmS * 1000);
    commands = 0;
    const status0 = statusMessages;
    const rss: number[] = [];
    const memTimer = setInterval(() => rss.push(process.memoryUsage().rss), 1000);
    // Event-loop delay here from Node's own histogram (a 5 ms JS timer would cost ≈ 1 % CPU itself).
    const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
    eld.enable();
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    await sleep(seconds * 1000);
    const cpu = process.cpuUsage(c0);
    const wall = performance.now() - w0;
    eld.disable();
    const lag = (p: number) => Math.max(0, eld.percentile(p) / 1e6 - ELD_RESOLUTION_MS);
    clearInterval(memTimer);
    clearInterval(reporter);
    clearInterval(meterTimer);
    onCommand = null;
    rss.push(process.memoryUsage().rss);
    const stored = await storedSize();
    return {
      ...stored,
      seconds: wall / 1000,
      cpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100,
      rssMaxMB: Math.max(...rss) / 1048576,
      rssEndMB: rss[rss.length - 1] / 1048576,
      heapUsedMB: process.memoryUsage().heapUsed / 1048576,
      lagP50: lag(50),
      lagP99: lag(99),
      lagMax: Math.max(0, eld.max / 1e6 - ELD_RESOLUTION_MS),
      commandsPerS: commands / (wall / 1000),
      statusPerS: (statusMessages - status0) / (wall / 1000),
    };
  }

  /**
   * What the balancer keeps in node context, and what one flush of the localfilesystem store
   * costs: it writes the node's whole context scope with json-stringify-safe, indented by 4.
   */
  async function storedSize() {
    const bal = RED.nodes.getNode('dlm');
    if (!bal) return {};
    const get = (k: string) => new Promise<unknown>((res) => bal.context().get(k, (_e: unknown, v: unknown) => res(v)));
    const scope = { dlmBalancerState: await get('dlmBalancerState'), dlmTransactions: await get('dlmTransactions') };
    const safe = require(require.resolve('json-stringify-safe', { paths: [require.resolve('node-red')] })) as (
      v: unknown,
      r: null,
      i: number,
    ) => string;
    const t0 = performance.now();
    const text = safe(scope, null, 4);
    const flushMs = performance.now() - t0;
    return { contextKB: text.length / 1024, flushStringifyMs: flushMs };
  }

  const num = (v: unknown, d: number) => (Number.isFinite(Number(v)) && Number(v) > 0 ? Number(v) : d);
  type Req = { query: Record<string, unknown> };
  type Res = { json(v: unknown): void; status(c: number): Res };
  const http = RED.httpAdmin as { get(path: string, h: (req: Req, res: Res) => void): void };
  const serve = (path: string, run: (q: Record<string, unknown>) => Promise<unknown>) =>
    http.get(path, (req, res) => {
      run(req.query).then(
        (v) => res.json(v),
        (e: unknown) => res.status(500).json({ error: String((e as Error)?.message ?? e) }),
      );
    });
  serve('/bench/latency', (q) => latency(num(q.cps, 15), num(q.rounds, 10)));
  serve('/bench/load', (q) => load(num(q.cps, 15), num(q.seconds, 60), num(q.reportS, 5), num(q.warmS, 20)));

  RED.nodes.registerType('bench-driver', function (this: RedNode, n: NodeConfig) {
    RED.nodes.createNode(this, n);
  });
  RED.nodes.registerType('bench-device', function (this: RedNode, n: NodeConfig) {
    RED.nodes.createNode(this, n);
    this.on('input', (msg, _send, done) => {
      const c = msg.payload as Command | undefined;
      if (c && typeof c.chargePoint === 'string' && c.plugs) {
        const prev = lastA.get(c.chargePoint) ?? { A: 0, B: 0 };
        lastA.set(c.chargePoint, { A: c.plugs.A ?? prev.A, B: c.plugs.B ?? prev.B });
        onCommand?.(c.chargePoint, c);
      }
      done();
    });
  });
  RED.nodes.registerType('bench-status', function (this: RedNode, n: NodeConfig) {
    RED.nodes.createNode(this, n);
    // Joined to the balancer as the example's dashboard widgets are (issue 13): the status object itself.
    const balancer = (n as { balancer?: unknown }).balancer;
    if (typeof balancer === 'string' && balancer !== '') {
      const leave = joinStatus(balancer, () => statusMessages++);
      this.on('close', (_removed, done) => {
        leave();
        done();
      });
    }
    this.on('input', (_msg, _send, done) => {
      statusMessages++;
      done();
    });
  });
};
