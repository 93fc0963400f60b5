/**
 * Test support: runs a REAL Node-RED (the installed node-red package) as a child process with a
 * temporary user directory, a given flow, this package's nodes and every Node-RED module in
 * the project's node_modules (node-red-contrib-modbus, node-red-dashboard). Listens on
 * 127.0.0.1 only, on a free port. Always call stop().
 *
 *   const red = await start(flow, { settings: { ... } });
 *   await fetch(red.url + '/my-endpoint');
 *   await red.stop();
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/** The repository root (this file compiles to dist/test/support/). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export interface RunnerOptions {
  /** HTTP port; absent or 0 = a free port on 127.0.0.1. */
  port?: number;
  /** User directory; absent = a fresh temp directory, removed on stop(). */
  userDir?: string;
  /** Extra settings merged over the runner's (must be JSON-serialisable). */
  settings?: Record<string, unknown>;
  /**
   * JavaScript run in settings.js after the settings object is built, for settings that are
   * functions (e.g. `module.exports.ui = { middleware: function (req, res, next) { next(); } }`).
   */
  settingsCode?: string;
  /** Directories scanned for nodes; default: the repository root (this package, as if installed). */
  nodesDir?: string[];
  /** How long to wait for "Started flows", ms (default 30000). */
  startTimeoutMs?: number;
  /** Print Node-RED's output while it runs (also when DLM_TEST_NODE_RED_LOG=1). */
  echo?: boolean;
  /** The Node.js binary to run Node-RED with (default: this process's). */
  nodeBinary?: string;
  /** The Node-RED package to run (default "node-red"; "node-red-5" for the Node-RED 5 alias). */
  nodeRed?: string;
  /** Extra Node.js options before red.js (e.g. `--cpu-prof`, which NODE_OPTIONS does not allow). */
  nodeArgs?: string[];
}

export interface RunningNodeRed {
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  userDir: string;
  /** Everything Node-RED printed so far (stdout and stderr). */
  log(): string;
  /** Stops Node-RED (SIGINT, then SIGKILL after 5 s) and removes a temp user directory. */
  stop(): Promise<void>;
  /** Kills Node-RED at once with `signal` (a crash, e.g. SIGKILL: nothing is flushed) and waits for it to exit; a temp user directory is kept until stop(). */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Node-RED is still running. */
  running(): boolean;
}

/** Binds port 0 on 127.0.0.1 to learn a free port, then releases it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Node-RED treats a node with `z` but without `x`/`y` as a config node scoped to its tab (and a
 * wired "config node" never starts): give every such node a position.
 */
export function placed(flow: unknown[]): unknown[] {
  let k = 0;
  return flow.map((n) => {
    const node = n as Record<string, unknown>;
    if (node && typeof node === 'object' && node.z && node.wires !== undefined && !('x' in node && 'y' in node)) {
      k++;
      return { x: 150 + 200 * (k % 5), y: 60 * Math.ceil(k / 5), ...node };
    }
    return node;
  });
}

/** Starts Node-RED with `flow` (an array of node objects). Resolves once the flows have started. */
export async function start(flow: unknown[], opts: RunnerOptions = {}): Promise<RunningNodeRed> {
  const port = opts.port && opts.port > 0 ? opts.port : await freePort();
  const tempDir = opts.userDir ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-node-red-'));
  const userDir = opts.userDir ?? tempDir!;
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(placed(flow), null, 2));
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    nodesDir: opts.nodesDir ?? [REPO_ROOT],
    editorTheme: { projects: { enabled: false }, tours: false },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    ...opts.settings,
  };
  const settingsFile = path.join(userDir, 'settings.js');
  fs.writeFileSync(
    settingsFile,
    'module.exports = ' + JSON.stringify(settings, null, 2) + ';\n' + (opts.settingsCode ? opts.settingsCode + '\n' : ''),
  );

  const redJs = require.resolve(`${opts.nodeRed ?? 'node-red'}/red.js`, { paths: [REPO_ROOT] });
  const child: ChildProcess = spawn(
    opts.nodeBinary ?? process.execPath,
    [...(opts.nodeArgs ?? []), redJs, '--settings', settingsFile, '--userDir', userDir],
    {
      cwd: userDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
    },
  );
  let output = '';
  const echo = opts.echo || process.env.DLM_TEST_NODE_RED_LOG === '1';
  const onData = (d: Buffer) => {
    output += d.toString();
    if (echo) process.stderr.write(d);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error('Node-RED did not start the flows in time')), opts.startTimeoutMs ?? 30000);
      const check = () => {
        if (/Started flows/.test(output)) {
          clearTimeout(timeout);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timeout);
        reject(new Error(`Node-RED exited (code ${code}) before starting the flows`));
      });
    });
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n--- Node-RED output ---\n${output}`);
  }

  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      await exited;
    }
  };
  const running = () => child.exitCode === null && child.signalCode === null;
  return { port, url: `http://127.0.0.1:${port}`, userDir, log: () => output, stop, kill, running };
}

/** GET a JSON document from the running Node-RED. */
export async function getJson<T = unknown>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Polls `probe` until it returns a value that is not undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 200): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? ': ' + String(last) : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
