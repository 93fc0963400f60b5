/**
 * Test support: runs the demo site the way a user does — tools/start.js (CVM-MINI simulator +
 * Node-RED with the example flow) forked with an IPC channel — on free ports on 127.0.0.1, and
 * stops it (and its Node-RED) for sure.
 */
import { fork, type ChildProcess } from 'child_process';
import * as path from 'path';
import { REPO_ROOT, waitFor } from './node-red-runner';

export const START_JS = path.join(REPO_ROOT, 'tools', 'start.js');

export interface SiteOptions {
  /** Node-RED user directory. */
  dir: string;
  port: number;
  meterPort: number;
  /** Constant building current per phase, A. */
  amps: number[];
  /** Simulated time speed-up of the vehicles (start.js --speed). */
  speed: number;
  /** More start.js options, e.g. ['--auth']. */
  args?: string[];
  /** More environment variables for start.js (e.g. DLM_ADMIN_PASSWORD). */
  env?: Record<string, string>;
  /** Dashboard family (start.js --dashboard): 3 = node-red-dashboard at /ui (default), 2 = Dashboard 2.0 at /dashboard. */
  dashboard?: 2 | 3;
  /** start.js --site (issue 11): the mixed car park, with its sub-meter simulator on subMeterPort and subAmps. */
  site?: 'mixed';
  subMeterPort?: number;
  subAmps?: number[];
}

export interface RunningSite {
  url: string;
  /** Node-RED's process id (a child of start.js). */
  nodeRedPid: number;
  /** The log-in start.js set up (--auth), or null. */
  auth: { username: string; password: string } | null;
  child: ChildProcess;
  log(): string;
  /** Sends a control command to start.js and waits for its reply. */
  control(cmd: Record<string, unknown>): Promise<void>;
  /** Ctrl-C: SIGINT to start.js; resolves with its exit code once it has stopped everything. */
  stop(): Promise<number | null>;
}

/** Forks tools/start.js like `npm start -- …` (the package is already built by the test run). */
export async function startSite(opts: SiteOptions): Promise<RunningSite> {
  const { dir, port, meterPort, amps, speed, args = [], env = {} } = opts;
  const child = fork(
    START_JS,
    [
      '--port',
      String(port),
      '--meter-port',
      String(meterPort),
      '--speed',
      String(speed),
      '--dir',
      dir,
      '--load',
      'constant',
      '--amps',
      amps.join(','),
      ...(opts.dashboard ? ['--dashboard', String(opts.dashboard)] : []),
      ...(opts.site ? ['--site', opts.site] : []),
      ...(opts.subMeterPort ? ['--submeter-port', String(opts.subMeterPort)] : []),
      ...(opts.subAmps ? ['--sub-amps', opts.subAmps.join(',')] : []),
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, ...env } },
  );
  let output = '';
  const onData = (d: Buffer) => {
    output = (output + d.toString()).slice(-30000);
    if (process.env.DLM_TEST_NODE_RED_LOG === '1') process.stderr.write(d);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const replies: ((m: any) => void)[] = [];
  let readyMsg: any = null;
  child.on('message', (m: any) => {
    if (m && m.event === 'ready') readyMsg = m;
    else if (m && m.reply !== undefined) replies.shift()?.(m);
  });

  let nodeRedPid = 0;
  let auth: RunningSite['auth'] = null;
  let stopped = false;
  const stop = async (): Promise<number | null> => {
    if (stopped) return child.exitCode;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
      await exited;
      clearTimeout(timer);
    }
    // Never leave our Node-RED behind, even if start.js was killed.
    if (nodeRedPid && alive(nodeRedPid)) process.kill(nodeRedPid, 'SIGKILL');
    return child.exitCode;
  };

  try {
    const ready = await waitFor(
      'start.js to report the flows started',
      async () => {
        if (child.exitCode !== null) throw new Error(`start.js exited with code ${child.exitCode}`);
        return readyMsg ?? undefined;
      },
      60000,
      100,
    );
    nodeRedPid = ready.pid;
    auth = ready.auth ?? null;
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n--- output ---\n${output}`);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    nodeRedPid,
    auth,
    child,
    log: () => output,
    control: (cmd) =>
      new Promise<void>((resolve, reject) => {
        replies.push((m) => (m.ok ? resolve() : reject(new Error(m.error))));
        child.send(cmd);
      }),
    stop,
  };
}

/** Is process `pid` still running? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
