#!/usr/bin/env node
/**
 * Writes examples/mixed-car-park.json (issue 11, SPEC §10): a car park of today — three-phase and
 * single-phase chargers with rotated phases, two sub-boards with their own breakers, a sub-meter —
 * from this one description. Node-RED lists it under Import > Examples; `npm start -- --site mixed`
 * runs it (tools/start.js). Run after `npm run build` (defaults come from dist/lib/shared/params.js):
 *
 *   node examples/build-mixed-site.js          # rewrite the .json
 *   node examples/build-mixed-site.js --check  # exit 1 if the .json is out of date
 *
 * The site (docs/example-site.md, "The mixed car park"):
 *   site: MCCB 125 A, contracted 80 kW (I_limit 115.9 A per phase), building analyser (CVM-MINI, Modbus TCP)
 *   ├─ level-1: breaker 63 A, its own CVM-MINI sub-meter (second Modbus server): CP01–CP04 22 kW three-phase,
 *   │           CP09 (L1), CP10 (L2) 7.4 kW single-phase
 *   ├─ level-2: breaker 40 A, no meter (5 A other load assumed): CP05, CP06 three-phase, CP11 (L3), CP12 (L1)
 *   └─ on the main board itself: CP07, CP08 three-phase, CP13 (L2), CP14 (L3)
 * Three-phase chargers are wired with rotations RST / STR / TRS in turn, so their phase 1 (where a
 * single-phase car draws) falls on L1, L2, L3 in turn; single-phase chargers sit two per line.
 * Each charge point has one plug and an ev-sim charger with vehicles; some single-phase cars are on
 * three-phase plugs from the start, and a quarter of the random arrivals on three-phase plugs are.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(__dirname, 'mixed-car-park.json');
const { DEFAULT_PARAMS, PARAM_SPECS, METER_DEFAULTS } = require(path.join(ROOT, 'dist', 'lib', 'shared', 'params.js'));

const P = 'mix';
const TAB = `${P}_site_tab`;
const nodes = [];
const add = (n) => {
  nodes.push(n);
  return n;
};
const two = (k) => String(k).padStart(2, '0');

// ---------------------------------------------------------------------------------------------
// The site
// ---------------------------------------------------------------------------------------------
/** The sub-boards (dlm-balancer `boards`, BoardConfig[]): the root is the site itself. */
const BOARDS = [
  { name: 'level-1', parent: 'site', limitA: 63, marginPct: null, hasMeter: true, otherLoadA: 10 },
  { name: 'level-2', parent: 'site', limitA: 40, marginPct: null, hasMeter: false, otherLoadA: 5 },
];
/** Line of a rotation's first letter (charger phase 1): R = L1, S = L2, T = L3. */
const FIRST_LINE = { RST: 'L1', STR: 'L2', TRS: 'L3' };
const ROTATION_OF_LINE = { L1: 'RST', L2: 'STR', L3: 'TRS' };
/**
 * The 14 charge points, one plug each. `phases` 3: a 22 kW charger (32 A per phase) on `rotation`;
 * 1: a 7.4 kW charger (32 A) on `line` (its rotation starts with that line). `board` '' = the site.
 */
const CPS = [
  { k: 1, phases: 3, rotation: 'RST', board: 'level-1' },
  { k: 2, phases: 3, rotation: 'STR', board: 'level-1' },
  { k: 3, phases: 3, rotation: 'TRS', board: 'level-1' },
  { k: 4, phases: 3, rotation: 'RST', board: 'level-1' },
  { k: 5, phases: 3, rotation: 'STR', board: 'level-2' },
  { k: 6, phases: 3, rotation: 'TRS', board: 'level-2' },
  { k: 7, phases: 3, rotation: 'RST', board: '' },
  { k: 8, phases: 3, rotation: 'STR', board: '' },
  { k: 9, phases: 1, line: 'L1', board: 'level-1' },
  { k: 10, phases: 1, line: 'L2', board: 'level-1' },
  { k: 11, phases: 1, line: 'L3', board: 'level-2' },
  { k: 12, phases: 1, line: 'L1', board: 'level-2' },
  { k: 13, phases: 1, line: 'L2', board: '' },
  { k: 14, phases: 1, line: 'L3', board: '' },
].map((c) => ({ ...c, rotation: c.rotation ?? ROTATION_OF_LINE[c.line], line: c.line ?? FIRST_LINE[c.rotation] }));
/** Three-phase plugs whose first vehicle is a single-phase car (R-3PH-3: counted on one line after settling). */
const SINGLE_PHASE_CAR = new Set([2, 6, 8]);
/** Share of random arrivals on three-phase plugs with a single-phase on-board charger, %. */
const SINGLE_PHASE_PCT = 25;

/** The vehicle on each plug at deploy (a full car park at opening time), and when it leaves (s). */
function vehicleFor(c, i) {
  const single = c.phases === 1 || SINGLE_PHASE_CAR.has(c.k);
  return {
    leaveAt: (4 + ((i * 5) % 7)) * 3600 + ((i * 7) % 6) * 600,
    vehicle: {
      capacityKWh: [52, 77, 64, 100, 58, 82, 40][i % 7],
      socPct: 15 + ((i * 17) % 50),
      targetSocPct: i % 3 === 0 ? 90 : 100,
      obcPhases: single ? 1 : 3,
      // Three-phase: 11 kW (16 A) or 22 kW (32 A) cars; single-phase: 7.4 kW (32 A) or 3.7 kW (16 A).
      obcMaxA: [32, 16, 32, 16][i % 4],
      reactionDelayS: 1 + (i % 4),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Node builders
// ---------------------------------------------------------------------------------------------
add({
  id: TAB,
  type: 'tab',
  label: 'Mixed car park',
  disabled: false,
  info: [
    '# A mixed car park: three-phase and single-phase chargers, sub-boards, a sub-meter (SPEC §10)',
    '',
    'Site: MCCB 125 A, contracted 80 kW (115.9 A per phase), building analyser CVM-MINI at 127.0.0.1:`METER_PORT`.',
    'Boards (dlm-balancer, Boards): `level-1` breaker 63 A with its own CVM-MINI sub-meter at 127.0.0.1:`SUBMETER_PORT`',
    '(cvm-mini-reader with Board `level-1`), `level-2` breaker 40 A without a meter (5 A other load assumed).',
    'Eight 22 kW three-phase chargers (32 A, rotations RST / STR / TRS in turn) and six 7.4 kW single-phase ones,',
    'two per line; single-phase cars on some three-phase plugs (counted on one line once detected, R-3PH-3).',
    'Unbalance limit 20 A at the site (R-UNB-1). Offline mode: every charger pauses (mode 0) if Node-RED stops.',
    '',
    'Every charge point talks to a simulated charger with vehicles (`ev-sim`). Flow environment variables:',
    "`METER_PORT` = the shell's `DLM_METER_PORT` or 5020, `SUBMETER_PORT` = `DLM_SUBMETER_PORT` or 5021,",
    '`SIM_SPEED` = `DLM_SIM_SPEED` or 1. Dashboard: node-red-dashboard 3 at `/ui`. See docs/example-site.md.',
  ].join('\n'),
  env: [
    { name: 'METER_PORT', value: '$env("DLM_METER_PORT") ? $env("DLM_METER_PORT") : "5020"', type: 'jsonata' },
    { name: 'SUBMETER_PORT', value: '$env("DLM_SUBMETER_PORT") ? $env("DLM_SUBMETER_PORT") : "5021"', type: 'jsonata' },
    { name: 'SIM_SPEED', value: '$env("DLM_SIM_SPEED") ? $env("DLM_SIM_SPEED") : "1"', type: 'jsonata' },
  ],
});

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
// Config nodes: offline mode and the two Modbus clients
// ---------------------------------------------------------------------------------------------
// Fallback budget (R-SEC-4): if Node-RED stops every charger pauses (mode 0); only the building is left.
const offlineCfg = add({
  id: `${P}_offline_cfg`,
  type: 'offline-mode-config',
  z: TAB,
  name: 'all CPs: mode 0 (pause)',
  heartbeatS: 120,
  mode: 0,
  currentA: 8,
});

function modbusClient(id, name, port) {
  return add({
    id,
    type: 'modbus-client',
    z: TAB,
    name,
    clienttype: 'tcp',
    bufferCommands: true,
    stateLogEnabled: false,
    queueLogEnabled: false,
    failureLogEnabled: false,
    tcpHost: '127.0.0.1',
    tcpPort: port,
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
}
const mainClient = modbusClient(`${P}_meter_client`, 'CVM-MINI building (Modbus TCP)', '${METER_PORT}');
const subClient = modbusClient(`${P}_submeter_client`, 'CVM-MINI level-1 (Modbus TCP)', '${SUBMETER_PORT}');

// ---------------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------------
const gMeter = group(`${P}_g_meter`, 'Meters: building analyser and the level-1 sub-meter (CVM-MINI over Modbus TCP)', '#ffbf00');
const gSched = group(`${P}_g_schedule`, 'Priority schedule (off)', '#3f93cf');
const gDash = group(`${P}_g_dashboard`, 'Dashboard', '#92d04f');
const gBal = group(`${P}_g_balancer`, 'Balancer: site 125 A / 80 kW, boards level-1 (63 A) and level-2 (40 A)', '#3f93cf');
const gBoard = {
  '': group(`${P}_g_site`, 'Main board (site): CP07, CP08 three-phase; CP13 L2, CP14 L3', '#c0a0e0'),
  'level-1': group(`${P}_g_level1`, 'Board level-1, 63 A, sub-meter: CP01–CP04 three-phase; CP09 L1, CP10 L2', '#ff7f7f'),
  'level-2': group(`${P}_g_level2`, 'Board level-2, 40 A: CP05, CP06 three-phase; CP11 L3, CP12 L1', '#bfbfbf'),
};

// --- Balancer ---------------------------------------------------------------------------------
const balancerIn = linkIn(gBal, `${P}_in_balancer`, 'to balancer', 120, 320);
const balancerParams = {};
for (const spec of PARAM_SPECS) balancerParams[spec.key] = DEFAULT_PARAMS[spec.key];
Object.assign(balancerParams, { supplyPhases: 3, mccbA: 125, contractedKW: 80, unbalanceLimitA: 20, timeZone: 'Europe/Madrid' });
const balancer = node(gBal, {
  id: `${P}_balancer`,
  type: 'dlm-balancer',
  name: 'Site balancer 125 A / 80 kW',
  ...balancerParams,
  boards: JSON.stringify(BOARDS),
  x: 320,
  y: 320,
  wires: [[], [], []],
});
wire(balancerIn, balancer);
// The dashboard widgets take the balancer's status directly (their Balancer field, issue 13): output 2 stays free.
const txDebug = node(gBal, {
  id: `${P}_tx_debug`,
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

// --- Meters: the building analyser and the level-1 sub-meter ------------------------------------
const meterOut = linkOut(gMeter, `${P}_out_meter`, 'meters → balancer', 620, 140);
link(meterOut, balancerIn);
function meter(key, name, client, board, y) {
  const getter = node(gMeter, {
    id: `${P}_${key}_getter`,
    type: 'modbus-flex-getter',
    name: 'read 42 registers',
    showStatusActivities: false,
    showErrors: false,
    showWarnings: true,
    logIOActivities: false,
    server: client.id,
    useIOFile: false,
    ioFile: '',
    useIOForPayload: false,
    emptyMsgOnFail: true,
    keepMsgProperties: false,
    delayOnStart: false,
    enableDeformedMessages: false,
    startDelayTime: '',
    x: 170,
    y,
    wires: [[], []],
  });
  const reader = node(gMeter, {
    id: `${P}_${key}_reader`,
    type: 'cvm-mini-reader',
    name,
    unitId: METER_DEFAULTS.unitId,
    fc: METER_DEFAULTS.fc,
    poll: true,
    pollS: METER_DEFAULTS.pollS,
    watchdogS: METER_DEFAULTS.watchdogS,
    board,
    x: 400,
    y,
    wires: [[], []],
  });
  wire(getter, reader, 0);
  wire(reader, getter, 1);
  wire(reader, meterOut, 0);
}
meter('meter', 'CVM-MINI building', mainClient, '', 100);
meter('submeter', 'CVM-MINI level-1', subClient, 'level-1', 180);

// --- Priority schedule (off: every plug has the same priority) ----------------------------------
const schedIn = linkIn(gSched, `${P}_in_schedule`, 'schedule changes', 800, 100);
const schedule = node(gSched, {
  id: `${P}_schedule`,
  type: 'priority-schedule',
  name: 'Priority schedule (off)',
  enabled: false,
  slots: new Array(24).fill(false),
  timeZone: 'Europe/Madrid',
  x: 980,
  y: 100,
  wires: [[]],
});
wire(schedIn, schedule);
const schedOut = linkOut(gSched, `${P}_out_schedule`, 'schedule → balancer', 1160, 100);
wire(schedule, schedOut);
link(schedOut, balancerIn);

// --- Dashboard: node-red-dashboard 3 at /ui (the same widgets as the 15-charge-point example) ----
require('./dashboard-3').addDashboard3({
  add,
  node,
  linkOut,
  link,
  wire,
  group: gDash,
  balancerId: balancer.id,
  balancerIn,
  schedIn,
  prefix: P,
  x: { in: 2020, widget: 2260, out: 2540 },
});

// --- Charge points, each with its simulated charger --------------------------------------------
const COLUMN = { 'level-1': 40, 'level-2': 720, '': 1400 };
const ROW0 = 780;
const ROW_H = 90;
const rows = { 'level-1': 0, 'level-2': 0, '': 0 };
CPS.forEach((c, i) => {
  const name = `CP${two(c.k)}`;
  const g = gBoard[c.board];
  const x0 = COLUMN[c.board];
  const y = ROW0 + rows[c.board]++ * ROW_H;
  const cp = node(g, {
    id: `${P}_cp${two(c.k)}`,
    type: 'charge-point',
    name,
    index: c.k,
    address: 'simulated',
    plugCount: 1,
    phaseA: c.line,
    phaseB: '',
    phasesA: c.phases,
    phasesB: 1,
    rotation: c.rotation,
    board: c.board,
    priorityA: false,
    priorityB: false,
    maxCurrentA: 32,
    maxCurrentB: 32,
    enabled: true,
    offline: offlineCfg.id,
    balancer: balancer.id,
    x: x0 + 220,
    y,
    wires: [[], []],
  });
  const v = vehicleFor(c, i);
  const sim = node(g, {
    id: `${P}_sim${two(c.k)}`,
    type: 'ev-sim',
    name: `${name} charger (sim, ${c.phases === 3 ? `22 kW ${c.rotation}` : `7.4 kW ${c.line}`})`,
    plugCount: 1,
    phasesA: c.phases,
    phasesB: 1,
    singlePhasePct: SINGLE_PHASE_PCT,
    seed: 100 + c.k,
    arrivals: 1.5,
    script: JSON.stringify([{ at: 0, plug: 'A', leaveAt: v.leaveAt, vehicle: v.vehicle }]),
    reportS: 5,
    timeScale: '${SIM_SPEED}',
    enabled: true,
    x: x0 + 410,
    y: y + 45,
    wires: [[]],
  });
  const plugsOut = linkOut(g, `${P}_out_plugs_cp${two(c.k)}`, `${name} plugs → balancer`, x0 + 480, y);
  link(plugsOut, balancerIn);
  wire(cp, plugsOut, 0);
  wire(cp, sim, 1);
  wire(sim, cp, 0);
});

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
    console.error(`${path.relative(ROOT, OUT)} is out of date: run node examples/build-mixed-site.js`);
    process.exit(1);
  }
  console.log(`${path.relative(ROOT, OUT)} is up to date`);
} else {
  fs.writeFileSync(OUT, text);
  console.log(`wrote ${path.relative(ROOT, OUT)}: ${nodes.length} nodes`);
}
