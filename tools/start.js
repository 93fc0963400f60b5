#!/usr/bin/env node
/**
 * `npm start`: the manual's 15-charge-point site, live, on this machine (issue 5).
 *
 * Starts the CVM-MINI simulator (Modbus TCP on 127.0.0.1) in this process and the installed
 * Node-RED as a child process with the example flow (examples/15-charge-point-site.json) in a
 * project-local user directory (.demo/ by default), with a persistent context store (R-ERR-2).
 * Ctrl-C (SIGINT / SIGTERM) stops Node-RED, then the simulator, then exits.
 *
 * Plain JavaScript, run after `npm run build` (it loads dist/tools/sim-meter.js).
 * Options: node tools/start.js --help. Documentation: docs/example-site.md.
 *
 * Control channel (tests, scripts): when started with child_process.fork (an IPC channel), it
 * takes messages {cmd: 'amps', currentsA: [a, b, c]} (constant building load), {cmd: 'mode',
 * mode}, {cmd: 'show'} and answers {reply: cmd, ok, error?, reading?}; it sends {event: 'ready',
 * url, port, meterPort, dir, pid, auth} once the flows run (auth: {username, password} with --auth) and {event: 'exit', code} before it exits.
 * With a terminal, the same commands can be typed: `amps 30,25,40`, `mode walk`, `show`.
 */
'use strict';
const { spawn } = require('child_process');
const { randomBytes } = require('crypto');
const fs = require('fs');
const path = require('path');
const readline = require('readline');

const ROOT = path.resolve(__dirname, '..');
const EXAMPLES = {
  3: path.join(ROOT, 'examples', '15-charge-point-site.json'),
  2: path.join(ROOT, 'examples', '15-charge-point-site-dashboard-2.json'),
};
/** Issue 11: the mixed car park (three-phase and single-phase chargers, two sub-boards, a sub-meter). */
const MIXED_EXAMPLE = path.join(ROOT, 'examples', 'mixed-car-park.json');
/** Each site's name in the banner and its tab id in a kept flow (a kept flow of the other site is refused). */
const SITES = {
  15: { title: 'The 15-charge-point site', tabId: 'dlm_site_tab' },
  mixed: { title: 'The mixed car park (14 charge points, boards level-1 and level-2)', tabId: 'mix_site_tab' },
};
/** Where each dashboard family is served (node-red-dashboard 3 at /ui, Dashboard 2.0 at /dashboard). */
const DASHBOARD_PATH = { 3: '/ui', 2: '/dashboard' };
const SIM_METER = path.join(ROOT, 'dist', 'tools', 'sim-meter.js');
const OCPP_DEMO = path.join(ROOT, 'dist', 'tools', 'ocpp-demo.js');
const PARAMS = path.join(ROOT, 'dist', 'lib', 'shared', 'params.js');

/** The package's limits and defaults (lib/shared/params.ts), as built. */
function builtParams() {
  if (!fs.existsSync(PARAMS)) fail('the package is not built: run `npm run build` first (npm start does it)');
  return require(PARAMS);
}
const FLOW_FILE = 'flows.json';

const HELP = `npm start -- [options]     (or: node tools/start.js [options], after npm run build)

The manual's 15-charge-point site (or, with --site mixed, the mixed car park) with simulated chargers,
vehicles and building meter.
  --port N         Node-RED HTTP port on 127.0.0.1 (default 1880): editor /, dashboard /ui, API /dlm/…
  --meter-port N   Modbus TCP port of the CVM-MINI simulator on 127.0.0.1 (default 5020)
  --speed X        simulated time runs X times faster (vehicles, arrivals, building profile); default 1
  --load M         building load: profile (daily curve, default), walk (random walk) or constant
  --amps a,b,c     building current per phase, A: profile peak / walk start / constant (default 18,15,20)
  --dir D          Node-RED user directory (default .demo in the project)
  --reset          start again from the example: replace the flow, clear the stored context
  --auth           log-in required (Node-RED adminAuth): user "admin" (all permissions) with the
                   password of DLM_ADMIN_PASSWORD, or a random one printed at start; the editor and
                   the /dlm/… API then need it (docs/example-site.md). The dashboard stays open.
  --dashboard N    3: node-red-dashboard 3 widgets at /ui (default); 2: FlowFuse Dashboard 2.0 at /dashboard
  --ocpp           the 15 chargers speak OCPP 1.6J over loopback WebSockets to an ocpp-central node
                   (user directory .demo-ocpp by default); see docs/ocpp.md
  --ocpp-port N    port of the OCPP central system on 127.0.0.1 (default 8180)
  --site S         15: the manual's 15-charge-point site (default); mixed: the mixed car park of
                   examples/mixed-car-park.json — 8 three-phase and 6 single-phase chargers on two
                   sub-boards, a second CVM-MINI simulator as the level-1 sub-meter (user directory
                   .demo-mixed by default; node-red-dashboard 3 only, no --ocpp); docs/example-site.md
  --submeter-port N  Modbus TCP port of the sub-meter simulator (--site mixed; default 5021)
  --sub-amps a,b,c   sub-meter current per phase, A, like --amps (--site mixed; default 6,4,5)
  -h, --help       this text
While it runs, type: amps a,b,c (constant building load) | subamps a,b,c (the sub-meter, --site mixed)
  | mode profile|walk|constant | show`;

function fail(text) {
  console.error(`start: ${text}`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = {
    port: 1880,
    meterPort: 5020,
    speed: 1,
    load: 'profile',
    amps: [18, 15, 20],
    dir: null,
    reset: false,
    auth: false,
    dashboard: 3,
    ocpp: false,
    ocppPort: 8180,
    site: '15',
    subMeterPort: 5021,
    subAmps: [6, 4, 5],
  };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const value = () => {
      const v = argv[++k];
      if (v === undefined) fail(`${a} needs a value\n\n${HELP}`);
      return v;
    };
    const port = () => {
      const v = value();
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < 1 || n > 65535) fail(`${a} must be a TCP port 1..65535, not ${JSON.stringify(v)}`);
      return n;
    };
    switch (a) {
      case '--port':
        o.port = port();
        break;
      case '--meter-port':
        o.meterPort = port();
        break;
      case '--speed': {
        const v = value();
        const n = Number(v);
        // The ev-sim node's time scale range (EV_SIM_LIMITS of lib/shared/params.ts, built).
        const lim = builtParams().EV_SIM_LIMITS.timeScale;
        if (!/^\d+(\.\d+)?$/.test(v) || n < lim.min || n > lim.max)
          fail(`--speed must be a number from ${lim.min} to ${lim.max}, not ${JSON.stringify(v)}`);
        o.speed = n;
        break;
      }
      case '--load': {
        const v = value();
        if (!['profile', 'walk', 'constant'].includes(v)) fail(`--load must be profile, walk or constant, not ${JSON.stringify(v)}`);
        o.load = v;
        break;
      }
      case '--amps':
        o.amps = parseAmps(value());
        if (!o.amps) fail('--amps must be three currents ≥ 0, e.g. 30,26,34');
        break;
      case '--dir':
        o.dir = path.resolve(value());
        break;
      case '--reset':
        o.reset = true;
        break;
      case '--auth':
        o.auth = true;
        break;
      case '--dashboard': {
        const v = value();
        if (v !== '2' && v !== '3')
          fail(`--dashboard must be 2 (FlowFuse Dashboard 2.0) or 3 (node-red-dashboard 3), not ${JSON.stringify(v)}`);
        o.dashboard = Number(v);
        break;
      }
      case '--ocpp':
        o.ocpp = true;
        break;
      case '--ocpp-port':
        o.ocppPort = port();
        break;
      case '--site': {
        const v = value();
        if (v !== '15' && v !== 'mixed') fail(`--site must be 15 or mixed, not ${JSON.stringify(v)}`);
        o.site = v;
        break;
      }
      case '--submeter-port':
        o.subMeterPort = port();
        break;
      case '--sub-amps':
        o.subAmps = parseAmps(value());
        if (!o.subAmps) fail('--sub-amps must be three currents ≥ 0, e.g. 6,4,5');
        break;
      case '-h':
      case '--help':
        console.log(HELP);
        process.exit(0);
        break;
      default:
        fail(`unknown option ${a}\n\n${HELP}`);
    }
  }
  if (o.site === 'mixed' && (o.ocpp || o.dashboard !== 3))
    fail('--site mixed runs with node-red-dashboard 3 and ev-sim chargers: drop --ocpp / --dashboard 2');
  if (!o.dir) o.dir = path.join(ROOT, o.ocpp ? '.demo-ocpp' : o.site === 'mixed' ? '.demo-mixed' : '.demo');
  return o;
}

function parseAmps(text) {
  const parts = String(text)
    .split(',')
    .map((s) => s.trim());
  if (parts.length !== 3 || parts.some((s) => !/^\d+(\.\d+)?$/.test(s))) return null;
  return parts.map(Number);
}

/** The settings file Node-RED runs with (rewritten on every start; edit start.js, not this file). */
function settingsText(o) {
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: o.port,
    userDir: o.dir,
    flowFile: FLOW_FILE,
    flowFilePretty: true,
    credentialSecret: false,
    // This package's nodes, as if installed (node-red-contrib-modbus and node-red-dashboard are
    // found in the project's node_modules beside node-red).
    nodesDir: [ROOT],
    // Persistent context: queue, plates, schedule and transaction records survive restarts (R-ERR-2).
    contextStorage: { default: { module: 'localfilesystem', config: { flushInterval: 10 } } },
    editorTheme: { projects: { enabled: false }, tours: false },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    ui: { path: 'ui' },
  };
  if (o.auth) {
    // Node-RED's own login (README, Security): a bcrypt hash, never the password, in settings.js.
    settings.adminAuth = { type: 'credentials', users: [{ username: 'admin', password: o.auth.hash, permissions: '*' }] };
  }
  return `// Written by tools/start.js on every start: change the options of npm start, not this file.\nmodule.exports = ${JSON.stringify(settings, null, 2)};\n`;
}

/** Files and folders start.js manages in the user directory; --reset removes exactly these. */
const MANAGED = [
  FLOW_FILE,
  '.flows.json.backup',
  'flows_cred.json',
  '.flows_cred.json.backup',
  'context',
  '.config.runtime.json',
  '.config.runtime.json.backup',
  '.config.users.json',
  '.config.users.json.backup',
  '.config.nodes.json',
  '.config.nodes.json.backup',
  'settings.js',
];

function prepareUserDir(o) {
  fs.mkdirSync(o.dir, { recursive: true });
  if (o.reset) {
    for (const f of MANAGED) fs.rmSync(path.join(o.dir, f), { recursive: true, force: true });
  }
  const flowPath = path.join(o.dir, FLOW_FILE);
  let flowNote;
  const example = o.site === 'mixed' ? MIXED_EXAMPLE : EXAMPLES[o.dashboard];
  if (fs.existsSync(flowPath)) {
    const kept = fs.readFileSync(flowPath, 'utf8');
    const other = Object.keys(SITES).find((k) => k !== o.site && kept.includes(`"${SITES[k].tabId}"`));
    if (other)
      fail(
        `the flow kept in ${flowPath} is the --site ${other} example: add --reset to start from the --site ${o.site} one, or use another --dir`,
      );
    const keptFamily = kept.includes('"dlm-ui2-') ? 2 : kept.includes('"dlm-ui-') ? 3 : o.dashboard;
    if (keptFamily !== o.dashboard) {
      fail(
        `the flow kept in ${flowPath} uses the ${keptFamily === 2 ? 'Dashboard 2.0' : 'node-red-dashboard 3'} widgets: add --reset to start from the --dashboard ${o.dashboard} example, or use another --dir`,
      );
    }
    flowNote = `kept the flow in ${flowPath} (your edits; --reset starts again from the example)`;
  } else if (o.ocpp) {
    // Issue 12: the example with its chargers over OCPP (tools/ocpp-demo.ts).
    const { ocppFlow } = require(OCPP_DEMO);
    const v = ocppFlow(JSON.parse(fs.readFileSync(example, 'utf8')));
    fs.writeFileSync(flowPath, JSON.stringify(v.flow, null, 2));
    fs.writeFileSync(path.join(o.dir, 'flows_cred.json'), JSON.stringify(v.credentials, null, 2));
    flowNote = `flow written from ${path.relative(ROOT, example)}, chargers over OCPP`;
  } else {
    fs.copyFileSync(example, flowPath);
    flowNote = `flow written from ${path.relative(ROOT, example)}`;
  }
  fs.writeFileSync(path.join(o.dir, 'settings.js'), settingsText(o));
  return flowNote;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(SIM_METER) || !fs.existsSync(path.join(ROOT, 'dist', 'nodes', 'dlm-balancer', 'dlm-balancer.js'))) {
    fail('the package is not built: run `npm run build` first (npm start does it)');
  }
  let redJs;
  try {
    redJs = require.resolve('node-red/red.js', { paths: [ROOT] });
  } catch {
    fail('node-red is not installed: run `npm install` first');
  }
  if (o.auth) {
    let bcrypt;
    try {
      bcrypt = require(require.resolve('bcryptjs', { paths: [path.dirname(redJs), ROOT] }));
    } catch {
      fail('--auth needs bcryptjs (installed with node-red): run `npm install` first');
    }
    const password = process.env.DLM_ADMIN_PASSWORD || randomBytes(12).toString('base64url');
    o.auth = { username: 'admin', password, generated: !process.env.DLM_ADMIN_PASSWORD, hash: bcrypt.hashSync(password, 10) };
  }
  const flowNote = prepareUserDir(o);

  // --- the building meter ---------------------------------------------------------------------
  const { startMeterSim } = require(SIM_METER);
  // Simulated time for the building profile / walk, in step with the simulated vehicles.
  const t0 = Date.now();
  const clock = () => t0 + (Date.now() - t0) * o.speed;
  let sim;
  try {
    sim = await startMeterSim({ host: '127.0.0.1', port: o.meterPort, mode: o.load, currentsA: o.amps, seed: 1, clock });
  } catch (e) {
    fail(`cannot start the CVM-MINI simulator on 127.0.0.1:${o.meterPort}: ${e.message} (another one running? try --meter-port)`);
  }
  // --site mixed: the level-1 sub-meter, a second CVM-MINI simulator (its board's non-EV loads).
  let subSim = null;
  if (o.site === 'mixed') {
    try {
      subSim = await startMeterSim({ host: '127.0.0.1', port: o.subMeterPort, mode: o.load, currentsA: o.subAmps, seed: 2, clock });
    } catch (e) {
      await sim.stop();
      fail(`cannot start the sub-meter simulator on 127.0.0.1:${o.subMeterPort}: ${e.message} (another one running? try --submeter-port)`);
    }
  }
  const showMeter = () => {
    const r = sim.reading();
    const sub = subSim
      ? `, level-1 sub-meter ${subSim
          .reading()
          .currentA.map((a) => a.toFixed(1))
          .join(' / ')} A`
      : '';
    return `building ${r.currentA.map((a) => a.toFixed(1)).join(' / ')} A${sub} (${sim.running ? o.load : 'stopped'})`;
  };
  console.log(
    `start: CVM-MINI simulator on 127.0.0.1:${sim.port}${subSim ? `, sub-meter simulator on 127.0.0.1:${subSim.port}` : ''}, ${showMeter()}`,
  );
  console.log(`start: ${flowNote}`);

  // --- Node-RED ---------------------------------------------------------------------------------
  const url = `http://127.0.0.1:${o.port}`;
  const child = spawn(process.execPath, [redJs, '--settings', path.join(o.dir, 'settings.js'), '--userDir', o.dir], {
    cwd: o.dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DLM_METER_PORT: String(sim.port),
      DLM_SUBMETER_PORT: String(subSim ? subSim.port : o.subMeterPort),
      DLM_SIM_SPEED: String(o.speed),
      DLM_OCPP_PORT: String(o.ocppPort),
      NODE_RED_ENABLE_PROJECTS: 'false',
    },
  });
  let ready = false;
  let stopping = false;
  const banner = () => {
    console.log(
      [
        '',
        `  ${SITES[o.site].title} is running (simulated time × ${o.speed}).`,
        `  Editor     ${url}/`,
        `  Dashboard  ${url}${DASHBOARD_PATH[o.dashboard]}`,
        `  Status     ${url}/dlm/status`,
        `  Sessions   ${url}/dlm/transactions.csv`,
        ...(o.auth
          ? [
              `  Log-in     user admin, password ${o.auth.generated ? o.auth.password + ' (random; set DLM_ADMIN_PASSWORD to choose)' : 'from DLM_ADMIN_PASSWORD'}`,
              '             the /dlm/… API needs a token: docs/example-site.md, "HTTP API"',
            ]
          : ['  Log-in     none (the editor and /dlm/… are open on 127.0.0.1; npm start -- --auth asks for one)']),
        `  Meter      Modbus TCP 127.0.0.1:${sim.port} (unit 1)`,
        ...(subSim ? [`  Sub-meter  Modbus TCP 127.0.0.1:${subSim.port} (unit 1), board level-1`] : []),
        ...(o.ocpp ? [`  OCPP       ws://127.0.0.1:${o.ocppPort}/ocpp/<identity> (15 simulated OCPP 1.6J chargers)`] : []),
        '  Ctrl-C stops everything. Type "amps 35,35,35" to step the building load, "show" to see it.',
        '',
      ].join('\n'),
    );
  };
  const watch = (stream, out) => {
    let buf = '';
    stream.on('data', (d) => {
      out.write(d);
      if (ready) return;
      buf = (buf + d.toString()).slice(-4000);
      if (/Started flows/.test(buf)) {
        ready = true;
        const announce = () => {
          banner();
          if (process.send)
            process.send({
              event: 'ready',
              url,
              port: o.port,
              meterPort: sim.port,
              subMeterPort: subSim ? subSim.port : null,
              dir: o.dir,
              pid: child.pid,
              auth: o.auth ? { username: o.auth.username, password: o.auth.password } : null,
            });
        };
        if (o.ocpp)
          startOcppChargers().then(announce, (e) => {
            console.error(`start: OCPP chargers: ${e.message}`);
            shutdown(1);
          });
        else announce();
      } else if (/EADDRINUSE|port .* in use|Error: listen/i.test(buf)) {
        console.error(`start: port ${o.port} is taken; choose another with --port`);
      }
    });
  };
  watch(child.stdout, process.stdout);
  watch(child.stderr, process.stderr);

  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));

  let ocppChargers = null;
  async function startOcppChargers() {
    const { ocppFlow, startDemoChargers, OCPP_CENTRAL_ID } = require(OCPP_DEMO);
    const flow = JSON.parse(fs.readFileSync(path.join(o.dir, FLOW_FILE), 'utf8'));
    const central = flow.find((n) => n.type === 'ocpp-central');
    if (!central) throw new Error('the flow has no ocpp-central node (start with --reset)');
    let creds = {};
    try {
      creds = JSON.parse(fs.readFileSync(path.join(o.dir, 'flows_cred.json'), 'utf8'));
    } catch {
      /* none */
    }
    const passwords = JSON.parse((creds[central.id] || creds[OCPP_CENTRAL_ID] || {}).passwords || '{}');
    const vehicles = new Map(
      ocppFlow(JSON.parse(fs.readFileSync(EXAMPLES[o.dashboard], 'utf8'))).chargers.map((c) => [c.identity, c.vehicles]),
    );
    const chargers = central.chargers.map((c) => ({ identity: c.identity, plugs: c.plugs, vehicles: vehicles.get(c.identity) || [] }));
    ocppChargers = await startDemoChargers({
      port: o.ocppPort,
      chargers,
      passwords,
      speed: o.speed,
      log: (t) => console.log(`start: ${t}`),
    });
  }

  async function shutdown(code) {
    if (stopping) return;
    stopping = true;
    if (ocppChargers) await ocppChargers.stop().catch(() => undefined);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(killer);
    }
    await sim.stop();
    if (subSim) await subSim.stop();
    console.log('start: stopped Node-RED and the meter simulator');
    if (process.send && process.connected) {
      process.send({ event: 'exit', code });
      process.disconnect();
    }
    process.exit(code);
  }
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));
  exited.then((code) => {
    if (!stopping) {
      console.error(`start: Node-RED stopped (exit code ${code})`);
      shutdown(code || 1);
    }
  });

  // --- control: IPC from a parent process, or lines typed on a terminal ---------------------------
  function command(cmd) {
    switch (cmd.cmd) {
      case 'amps': {
        const a =
          Array.isArray(cmd.currentsA) &&
          cmd.currentsA.length === 3 &&
          cmd.currentsA.every((x) => typeof x === 'number' && x >= 0 && Number.isFinite(x))
            ? cmd.currentsA
            : null;
        if (!a) throw new Error('amps needs three currents ≥ 0, A');
        // meter: 'sub' = the level-1 sub-meter (--site mixed); else the building analyser.
        const target = cmd.meter === 'sub' ? subSim : sim;
        if (!target) throw new Error('there is no sub-meter: start with --site mixed');
        if (target === sim) o.load = 'constant';
        target.setMode('constant');
        target.setCurrents(a);
        return;
      }
      case 'mode':
        sim.setMode(cmd.mode);
        if (subSim) subSim.setMode(cmd.mode);
        o.load = cmd.mode;
        return;
      case 'show':
        return;
      default:
        throw new Error(`unknown command ${JSON.stringify(cmd.cmd)}: amps, mode or show`);
    }
  }
  if (process.send) {
    process.on('message', (m) => {
      const cmd = m && typeof m === 'object' ? m : {};
      try {
        command(cmd);
        process.send({ reply: cmd.cmd, ok: true, reading: sim.reading(), subReading: subSim ? subSim.reading() : null });
      } catch (e) {
        process.send({ reply: cmd.cmd, ok: false, error: e.message });
      }
    });
    // The parent went away without stopping us: stop, never leave Node-RED running alone.
    process.on('disconnect', () => shutdown(0));
  }
  if (process.stdin.isTTY) {
    const rl = readline.createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      const [word, arg = ''] = line.trim().split(/\s+/);
      if (!word) return;
      try {
        if (word === 'amps') command({ cmd: 'amps', currentsA: parseAmps(arg) });
        else if (word === 'subamps') command({ cmd: 'amps', currentsA: parseAmps(arg), meter: 'sub' });
        else command({ cmd: word, mode: arg });
        console.log(`start: ${showMeter()}`);
      } catch (e) {
        console.error(`start: ${e.message}`);
      }
    });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
