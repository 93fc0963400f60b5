#!/usr/bin/env node
/**
 * Writes examples/15-charge-point-site.json, the manual's 15-charge-point car park (issue 5),
 * from this one description, so the flow stays consistent (ids, link pairs, group boxes).
 * Node-RED lists only the .json files of examples/ under Import > Examples; this script is the
 * source of that file. Run after `npm run build` (it takes the defaults from dist/lib/shared/params.js):
 *
 *   node examples/build-15-charge-point-site.js          # rewrite the .json
 *   node examples/build-15-charge-point-site.js --check  # exit 1 if the .json is out of date
 *   node examples/build-15-charge-point-site.js --dashboard 2 [--check]
 *       # the same site with FlowFuse Dashboard 2.0: examples/15-charge-point-site-dashboard-2.json
 *
 * Layout (reads like the manual's wiring diagram, docs/example-site.md):
 *   Building meter ─┐
 *   Priority schedule ─┤                       ┌─► L1 charge points (CP01–CP05) ─┐
 *   Dashboard ─────────┼─► [to balancer] Balancer ═► (joined) ═════┼─► L2 charge points (CP06–CP09) ─┼─► [plugs → balancer]
 *                      │            │          └─► L3 charge points (CP11–CP15) ─┘
 *                      │            └─► [status] Dashboard
 *
 * Setpoints reach the charge points without wires: each charge-point node names the balancer
 * (`balancer` property) and receives only its own setpoints (issue 13, docs/messages.md "setpoint").
 *
 * The HTTP API (GET /dlm/status, POST /dlm/plate, …) is not part of the flow: the package serves it
 * on Node-RED's admin server, behind adminAuth when it is set (nodes/common/http-api.ts, issue 9).
 *
 * Dashboard (issue 6, docs/dashboard.md): node-red-dashboard at /ui, the nine dlm-ui widgets on
 * four tabs (Site, Load management, Power, Transactions), fed by the balancer's status output;
 * with --dashboard 2, FlowFuse Dashboard 2.0 at /dashboard, the nine dlm-ui2 widgets on the same
 * four pages (issue 14, examples/dashboard-2.js).
 */
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
// `--dashboard 2`: the same site with the FlowFuse Dashboard 2.0 widgets (issue 14) instead of
// node-red-dashboard 3, written to its own example file (examples/dashboard-2.js builds that part).
const DASHBOARD = process.argv.includes('--dashboard') && process.argv[process.argv.indexOf('--dashboard') + 1] === '2' ? 2 : 3;
const OUT = path.join(__dirname, DASHBOARD === 2 ? '15-charge-point-site-dashboard-2.json' : '15-charge-point-site.json');
const { DEFAULT_PARAMS, PARAM_SPECS, MANUAL_SCHEDULE_SLOTS, METER_DEFAULTS } = require(
  path.join(ROOT, 'dist', 'lib', 'shared', 'params.js'),
);

const TAB = 'dlm_site_tab';
const nodes = [];
const add = (n) => {
  nodes.push(n);
  return n;
};
const two = (k) => String(k).padStart(2, '0');

// ---------------------------------------------------------------------------------------------
// The site: the manual's table (§5.2.2). Priority plugs: the A plug of the first charge point
// of each phase (decision, docs/example-site.md).
// ---------------------------------------------------------------------------------------------
const SINGLE = new Set([2, 12, 13, 15]);
const PRIORITY = new Set(['CP01/A', 'CP06/A', 'CP11/A']);
const phaseOf = (k) => (k <= 5 ? 'L1' : k <= 9 ? 'L2' : k === 10 ? null : 'L3');

/**
 * Vehicles present when the site starts (a full car park at opening time) and when they leave,
 * in simulated seconds from deploy. Deterministic variety: batteries, states of charge and on-board
 * chargers (some at 16 A or 20 A, below the setpoints they may get). Priority plugs hold
 * long-staying vehicles that neither rest nor fault, so the priority they get is visible.
 * CP05 B is a short visit (45 min) so a finished session shows up early.
 */
function vehicleFor(cp, letter, i) {
  const key = `${cp}/${letter}`;
  if (PRIORITY.has(key)) {
    return {
      leaveAt: 10 * 3600,
      vehicle: { capacityKWh: 77, socPct: 20, targetSocPct: 100, obcMaxA: 32, reactionDelayS: 2, restEveryH: 0, faultEveryH: 0 },
    };
  }
  const leaveAt = key === 'CP05/B' ? 45 * 60 : (4 + ((i * 5) % 7)) * 3600 + ((i * 7) % 6) * 600;
  return {
    leaveAt,
    vehicle: {
      capacityKWh: [40, 52, 58, 64, 77, 82, 100][i % 7],
      socPct: 15 + ((i * 17) % 50),
      targetSocPct: i % 3 === 0 ? 90 : 100,
      obcMaxA: [32, 16, 32, 20, 32, 16][i % 6],
      reactionDelayS: 1 + (i % 4),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Node builders
// ---------------------------------------------------------------------------------------------
const tab = add({
  id: TAB,
  type: 'tab',
  label: '15-charge-point site',
  disabled: false,
  info: [
    "# The manual's 15-charge-point car park",
    '',
    'CP01–CP05 on L1, CP06–CP09 on L2, CP11–CP15 on L3; CP02, CP12, CP13 and CP15 have one plug;',
    'CP10 is installed but disabled (no phases set). MCCB 50 A, contracted 36 kW, minimum current 8 A,',
    'priority schedule ON 07h–08h and 09h–13h (Europe/Madrid); priority plugs CP01 A, CP06 A, CP11 A;',
    'offline mode 120 s: mode 3 at 8 A on CP01, CP06, CP11, mode 0 on the others (fallback budget 41 A per phase,',
    'see docs/example-site.md).',
    '',
    'Every charge point talks to a simulated charger with vehicles (`ev-sim`): replace an `ev-sim` by the',
    'transport of your real charger (Modbus, MQTT, OCPP gateway) to go live. The building meter is a',
    'Circutor CVM-MINI read over Modbus TCP (`node-red-contrib-modbus`) at 127.0.0.1:`METER_PORT`.',
    '',
    "Flow environment variables (edit the flow's properties): `METER_PORT` = the shell's `DLM_METER_PORT`",
    "or 5020; `SIM_SPEED` = the shell's `DLM_SIM_SPEED` or 1 (simulated vehicles and arrivals run that",
    'many times faster than real time).',
    '',
    "HTTP API (served by the package on Node-RED's admin server, not by this flow): `GET /dlm/status`,",
    '`GET /dlm/transactions.csv`, `POST /dlm/plate`, `POST /dlm/params`, `POST /dlm/schedule`; with `adminAuth`',
    'set in settings.js they need a token with the `dlm.read` / `dlm.write` permissions — see docs/example-site.md.',
    '',
    "Security: the dashboard's editing widgets (plates, parameters, schedule) are set to `edits: open` so the",
    'demo works without a login. On a real site put the dashboard behind authentication (`ui.middleware` and',
    '`ui.ioMiddleware` in settings.js) and set them to `protected`, or to `readonly` — see README, Security.',
  ].join('\n'),
  env: [
    { name: 'METER_PORT', value: '$env("DLM_METER_PORT") ? $env("DLM_METER_PORT") : "5020"', type: 'jsonata' },
    { name: 'SIM_SPEED', value: '$env("DLM_SIM_SPEED") ? $env("DLM_SIM_SPEED") : "1"', type: 'jsonata' },
  ],
});

/** A node on the tab, in group `g`. */
function node(g, n) {
  const o = add({ z: TAB, g: g.id, ...n });
  g.nodes.push(o.id);
  return o;
}

function group(id, name, color) {
  return add({
    id,
    type: 'group',
    z: TAB,
    name,
    style: { label: true, stroke: color, fill: color, 'fill-opacity': 0.12, color: '#000000' },
    nodes: [],
    x: 0,
    y: 0,
    w: 0,
    h: 0,
  });
}

/** Links a link out to link ins (both sides list each other, as Node-RED stores them). */
function link(out, ...ins) {
  for (const i of ins) {
    if (!out.links.includes(i.id)) out.links.push(i.id);
    if (!i.links.includes(out.id)) i.links.push(out.id);
  }
}
const linkIn = (g, id, name, x, y) => node(g, { id, type: 'link in', name, links: [], x, y, wires: [[]] });
const linkOut = (g, id, name, x, y) => node(g, { id, type: 'link out', name, mode: 'link', links: [], x, y, wires: [] });
const wire = (from, to, port = 0) => {
  while (from.wires.length <= port) from.wires.push([]);
  from.wires[port].push(to.id);
};

// ---------------------------------------------------------------------------------------------
// Config nodes: offline mode (R-OFF-1) and the Modbus client of the building meter
// ---------------------------------------------------------------------------------------------
// Fallback budget (R-SEC-4, docs/example-site.md): if Node-RED stops, only the charge points of
// the priority plugs (CP01, CP06, CP11) go on charging, at 8 A (mode 3); the others pause (mode 0).
// Per phase: 25 A building + 2 plugs × 8 A = 41 A ≤ 50 A. Mode 3 everywhere would be 97 A on L1.
const offlineCfg = add({
  id: 'dlm_offline_cfg',
  type: 'offline-mode-config',
  z: TAB,
  name: 'priority CPs: mode 3, 8 A',
  heartbeatS: 120,
  mode: 3,
  currentA: 8,
});
const offlinePauseCfg = add({
  id: 'dlm_offline_cfg_pause',
  type: 'offline-mode-config',
  z: TAB,
  name: 'other CPs: mode 0 (pause)',
  heartbeatS: 120,
  mode: 0,
  currentA: 8,
});
/** The offline configuration of a charge point: mode 3 for those with a priority plug, else mode 0. */
const offlineOf = (name) => (PRIORITY.has(`${name}/A`) || PRIORITY.has(`${name}/B`) ? offlineCfg : offlinePauseCfg);

const modbusClient = add({
  id: 'dlm_meter_client',
  type: 'modbus-client',
  z: TAB,
  name: 'CVM-MINI (Modbus TCP)',
  clienttype: 'tcp',
  bufferCommands: true,
  stateLogEnabled: false,
  queueLogEnabled: false,
  failureLogEnabled: false,
  tcpHost: '127.0.0.1',
  tcpPort: '${METER_PORT}',
  tcpType: 'DEFAULT',
  serialPort: '/dev/ttyUSB',
  serialType: 'RTU-BUFFERD',
  serialBaudrate: '19200',
  serialDatabits: '8',
  serialStopbits: '1',
  serialParity: 'none',
  serialConnectionDelay: '100',
  serialAsciiResponseStartDelimiter: '0x3A',
  unit_id: String(METER_DEFAULTS.unitId),
  commandDelay: '1',
  clientTimeout: '1000',
  reconnectOnTimeout: true,
  reconnectTimeout: '2000',
  parallelUnitIdsAllowed: true,
  showErrors: false,
  showWarnings: true,
  showLogs: false,
});

// ---------------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------------
const gMeter = group('dlm_g_meter', 'Building meter: CVM-MINI over Modbus TCP', '#ffbf00');
const gSched = group('dlm_g_schedule', 'Priority schedule', '#3f93cf');
const gDash = group('dlm_g_dashboard', 'Dashboard', '#92d04f');
const gBal = group('dlm_g_balancer', 'Balancer', '#3f93cf');
const gPhase = {
  L1: group('dlm_g_l1', 'L1 charge points: CP01–CP05', '#ff7f7f'),
  L2: group('dlm_g_l2', 'L2 charge points: CP06–CP09', '#bfbfbf'),
  L3: group('dlm_g_l3', 'L3 charge points: CP11–CP15', '#c0a0e0'),
  spare: group('dlm_g_spare', 'Not in service: CP10 (disabled, no phases)', '#d0d0d0'),
};

// --- Balancer ---------------------------------------------------------------------------------
const balancerIn = linkIn(gBal, 'dlm_in_balancer', 'to balancer', 120, 320);
const balancerParams = {};
for (const spec of PARAM_SPECS) balancerParams[spec.key] = DEFAULT_PARAMS[spec.key];
Object.assign(balancerParams, { supplyPhases: 3, mccbA: 50, contractedKW: 36, minCurrentA: 8, timeZone: 'Europe/Madrid' });
const balancer = node(gBal, {
  id: 'dlm_balancer',
  type: 'dlm-balancer',
  name: 'Site balancer 50 A / 36 kW',
  ...balancerParams,
  x: 320,
  y: 320,
  wires: [[], [], []],
});
wire(balancerIn, balancer);
// Setpoints need no wire (issue 13): every charge point names this balancer (its `balancer`
// property) and gets its own setpoints directly, O(1) each; output 1 carries only the setpoints of
// charge points that did not join (none here).
// The dashboard widgets take the balancer's status directly (their Balancer field, issue 13): output 2 stays free.
const txDebug = node(gBal, {
  id: 'dlm_tx_debug',
  type: 'debug',
  name: 'closed sessions',
  active: false,
  tosidebar: true,
  console: false,
  tostatus: false,
  complete: 'payload',
  targetType: 'msg',
  statusVal: '',
  statusType: 'auto',
  x: 580,
  y: 440,
  wires: [],
});
wire(balancer, txDebug, 2);

// --- Building meter ---------------------------------------------------------------------------
const getter = node(gMeter, {
  id: 'dlm_meter_getter',
  type: 'modbus-flex-getter',
  name: 'read 42 registers',
  showStatusActivities: false,
  showErrors: false,
  showWarnings: true,
  logIOActivities: false,
  server: modbusClient.id,
  useIOFile: false,
  ioFile: '',
  useIOForPayload: false,
  emptyMsgOnFail: true,
  keepMsgProperties: false,
  delayOnStart: false,
  enableDeformedMessages: false,
  startDelayTime: '',
  x: 170,
  y: 100,
  wires: [[], []],
});
const reader = node(gMeter, {
  id: 'dlm_meter_reader',
  type: 'cvm-mini-reader',
  name: 'CVM-MINI building',
  unitId: METER_DEFAULTS.unitId,
  fc: METER_DEFAULTS.fc,
  poll: true,
  pollS: METER_DEFAULTS.pollS,
  watchdogS: METER_DEFAULTS.watchdogS,
  x: 400,
  y: 100,
  wires: [[], []],
});
wire(getter, reader, 0);
wire(reader, getter, 1);
const meterOut = linkOut(gMeter, 'dlm_out_meter', 'meter → balancer', 580, 100);
wire(reader, meterOut, 0);
link(meterOut, balancerIn);

// --- Priority schedule -------------------------------------------------------------------------
const schedIn = linkIn(gSched, 'dlm_in_schedule', 'schedule changes', 800, 100);
const slots = new Array(24).fill(false);
for (const h of MANUAL_SCHEDULE_SLOTS) slots[h] = true;
const schedule = node(gSched, {
  id: 'dlm_schedule',
  type: 'priority-schedule',
  name: 'Priority 07–08, 09–13',
  enabled: true,
  slots,
  timeZone: 'Europe/Madrid',
  x: 980,
  y: 100,
  wires: [[]],
});
wire(schedIn, schedule);
const schedOut = linkOut(gSched, 'dlm_out_schedule', 'schedule → balancer', 1160, 100);
wire(schedule, schedOut);
link(schedOut, balancerIn);

// --- Dashboard: FlowFuse Dashboard 2.0 at /dashboard with the dlm-ui2 widgets (--dashboard 2) ---
// Either family: the widgets join the balancer for its status; their edits go through the link ins.
const dashboardParts = { add, node, linkOut, link, wire, group: gDash, balancerId: balancer.id, balancerIn, schedIn };
if (DASHBOARD === 2) {
  require('./dashboard-2').addDashboard2({ ...dashboardParts, tab });
} else {
  tab.info +=
    '\n\nDashboard: node-red-dashboard 3 at `/ui` (needs `node-red-dashboard`). For FlowFuse Dashboard 2.0 import the example\n' +
    '`15-charge-point-site-dashboard-2` instead (`npm start -- --dashboard 2`), docs/dashboard.md.';
  require('./dashboard-3').addDashboard3({ ...dashboardParts, x: { in: 2020, widget: 2260, out: 2540 } });
}

// --- Charge points, each with its simulated charger --------------------------------------------
const PHASE_COLUMN = { L1: 40, L2: 720, L3: 1400, spare: 720 };
const ROW0 = 780;
const ROW_H = 90;
const rowOf = { L1: 0, L2: 0, L3: 0, spare: 0 };
let plugSeq = 0;
for (let k = 1; k <= 15; k++) {
  const name = `CP${two(k)}`;
  const phase = phaseOf(k);
  const key = phase ?? 'spare';
  const g = gPhase[key];
  const x0 = PHASE_COLUMN[key];
  const y = (key === 'spare' ? ROW0 + 5 * ROW_H + 40 : ROW0) + rowOf[key]++ * ROW_H;
  const plugCount = SINGLE.has(k) ? 1 : 2;
  const enabled = k !== 10;
  const cp = node(g, {
    id: `dlm_cp${two(k)}`,
    type: 'charge-point',
    name,
    index: k,
    address: 'simulated',
    plugCount,
    phaseA: phase ?? '',
    phaseB: plugCount === 2 ? (phase ?? '') : '',
    priorityA: PRIORITY.has(`${name}/A`),
    priorityB: PRIORITY.has(`${name}/B`),
    maxCurrentA: 32,
    maxCurrentB: 32,
    enabled,
    offline: offlineOf(name).id,
    balancer: balancer.id,
    x: x0 + 220,
    y,
    wires: [[], []],
  });
  const script = [];
  if (enabled) {
    for (const letter of plugCount === 2 ? ['A', 'B'] : ['A']) {
      const v = vehicleFor(name, letter, plugSeq++);
      script.push({ at: 0, plug: letter, leaveAt: v.leaveAt, vehicle: v.vehicle });
    }
  }
  const sim = node(g, {
    id: `dlm_sim${two(k)}`,
    type: 'ev-sim',
    name: `${name} charger (sim)`,
    plugCount,
    seed: k,
    arrivals: enabled ? 1.5 : 0,
    script: script.length ? JSON.stringify(script) : '',
    reportS: 5,
    timeScale: '${SIM_SPEED}',
    enabled: true,
    x: x0 + 410,
    y: y + 45,
    wires: [[]],
  });
  // Each charge point's own link to the balancer: straight wires, none across the chargers.
  const plugsOut = linkOut(g, `dlm_out_plugs_cp${two(k)}`, `${name} plugs → balancer`, x0 + 480, y);
  link(plugsOut, balancerIn);
  wire(cp, plugsOut, 0);
  wire(cp, sim, 1);
  wire(sim, cp, 0);
}

// ---------------------------------------------------------------------------------------------
// Group boxes around their nodes
// ---------------------------------------------------------------------------------------------
const byId = new Map(nodes.map((n) => [n.id, n]));
for (const g of nodes.filter((n) => n.type === 'group')) {
  const members = g.nodes.map((id) => byId.get(id));
  const xs = members.map((n) => n.x);
  const ys = members.map((n) => n.y);
  g.x = Math.min(...xs) - 90;
  g.y = Math.min(...ys) - 40;
  g.w = Math.max(...xs) - Math.min(...xs) + 200;
  g.h = Math.max(...ys) - Math.min(...ys) + 80;
}

const text = JSON.stringify(nodes, null, 2) + '\n';
if (process.argv.includes('--check')) {
  const current = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
  if (current !== text) {
    console.error(
      `${path.relative(ROOT, OUT)} is out of date: run node examples/build-15-charge-point-site.js${DASHBOARD === 2 ? ' --dashboard 2' : ''}`,
    );
    process.exit(1);
  }
  console.log(`${path.relative(ROOT, OUT)} is up to date`);
} else {
  fs.writeFileSync(OUT, text);
  console.log(`wrote ${path.relative(ROOT, OUT)}: ${nodes.length} nodes`);
}
