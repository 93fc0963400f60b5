#!/usr/bin/env node
// After `tsc`: puts each node's editor file (.html) beside its compiled .js in dist/nodes/<name>/,
// copies the package icons/ into each node folder (Node-RED looks for icons beside the .js), and
// injects the defaults and ranges of dist/lib/shared/params.js into the editor files wherever they say
// /*@DLM_DEFAULTS@*/null, the fallback budget functions wherever they say /*@DLM_BUDGET@*/null and the
// parameter checks wherever they say /*@DLM_CHECK@*/null, the board checks wherever they say /*@DLM_BOARDS@*/null, the balancer chooser wherever they say
// /*@DLM_BALANCER_SELECT@*/null — so the editor and the runtime share one
// source of truth.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const srcNodes = path.join(root, 'nodes');
const outNodes = path.join(root, 'dist', 'nodes');
const icons = path.join(root, 'icons');
const params = require(path.join(root, 'dist', 'lib', 'shared', 'params.js'));
const budget = require(path.join(root, 'dist', 'lib', 'core', 'budget.js'));
const types = require(path.join(root, 'dist', 'lib', 'shared', 'types.js'));
const guard = require(path.join(root, 'dist', 'lib', 'shared', 'guard.js'));
const plate = require(path.join(root, 'dist', 'lib', 'shared', 'plate.js'));

const defaults = JSON.stringify({
  params: params.DEFAULT_PARAMS,
  specs: params.PARAM_SPECS,
  offline: params.DEFAULT_OFFLINE,
  offlineLimits: params.OFFLINE_LIMITS,
  plugCount: params.DEFAULT_PLUG_COUNT,
  plugMaxA: params.DEFAULT_PLUG_MAX_A,
  plugMaxLimits: params.PLUG_MAX_LIMITS,
  schedule: params.DEFAULT_SCHEDULE,
  meter: params.METER_DEFAULTS,
  meterLimits: params.METER_LIMITS,
  iecMinA: params.IEC_MIN_CURRENT_A,
  noPlate: params.NO_PLATE,
  plateMaxLength: params.PLATE_MAX_LENGTH,
  nameMaxLength: params.NAME_MAX_LENGTH,
  indexMax: params.INDEX_MAX,
  evSimLimits: params.EV_SIM_LIMITS,
  evSimSeed: params.EV_SIM_DEFAULT_SEED,
  evSimSeedMax: params.EV_SIM_SEED_MAX,
  rotations: types.ROTATIONS,
  siteBoard: types.SITE_BOARD,
  boardLimits: params.BOARD_LIMITS,
  boardDefaults: params.BOARD_DEFAULTS,
  measuredMaxA: params.MEASURED_MAX_A,
  controlChars: plate.CONTROL_CHARS.source,
});

// The fallback budget (R-SEC-4) for the balancer editor: the compiled functions themselves (they
// are self-contained), so the editor's deploy warning and the runtime compute the same figures.
const budgetScript = `{ fallbackBudget: (${budget.fallbackBudget.toString()}), phaseLimitA: (${params.phaseLimitA.toString()}) }`;

// The parameter checks (lib/shared/params.ts checkParam, isValidTimeZone, configValue, isMultipleOf), compiled
// once and shipped whole: the editor refuses exactly what the runtime refuses. The functions are
// put in one scope with the module-level names they use (tsc writes an exported constant as
// `exports.NAME`); test/nodes/editors.test.ts runs this text alone and compares it with the runtime.
const checkScript = `(function () {
  var exports = { TIME_ZONE_MAX_LENGTH: ${JSON.stringify(params.TIME_ZONE_MAX_LENGTH)} };
  var TIME_ZONE_MAX_LENGTH = exports.TIME_ZONE_MAX_LENGTH;
  var knownZones = new Set();
  ${params.isValidTimeZone.toString()}
  ${params.checkParam.toString()}
  ${params.configValue.toString()}
  ${params.isMultipleOf.toString()}
  return { checkParam: checkParam, isValidTimeZone: isValidTimeZone, configValue: configValue, isMultipleOf: isMultipleOf };
})()`;

// The board tree checks (lib/shared/params.ts validateBoards, boardsFromConfig; R-CIRC-1, R-ERR-1), compiled and
// shipped whole like the parameter checks, with the module-level names they use: the balancer editor refuses
// exactly the board lists the runtime refuses (test/nodes/editors.test.ts runs this text alone).
const boardScript = `(function () {
  var exports = {
    BOARD_LIMITS: ${JSON.stringify(params.BOARD_LIMITS)},
    BOARD_DEFAULTS: ${JSON.stringify(params.BOARD_DEFAULTS)},
    NAME_MAX_LENGTH: ${JSON.stringify(params.NAME_MAX_LENGTH)}
  };
  var types_1 = { SITE_BOARD: ${JSON.stringify(types.SITE_BOARD)} };
  var guard_1 = { describeValue: (${guard.describeValue.toString()}), CONTROL_CHARS: ${guard.CONTROL_CHARS.toString()} };
  ${params.validateBoards.toString()}
  ${params.boardsFromConfig.toString()}
  return { validateBoards: validateBoards, boardsFromConfig: boardsFromConfig };
})()`;

// The balancer chooser of every node that names its balancer (charge-point for its setpoints, the dlm-ui-… and
// dlm-ui2-… widgets for the status; issue 13): one text for the three editors, wherever they say
// /*@DLM_BALANCER_SELECT@*/null. Fills the <select> with the workspace's dlm-balancer nodes; an id not found is
// kept and shown as such.
const balancerSelectScript = `function (selector, current) {
    var sel = $(selector).empty().append($('<option>').val('').text('— by wire (input) only —'));
    RED.nodes.eachNode(function (b) {
      if (b.type === 'dlm-balancer') sel.append($('<option>').val(b.id).text(b.name || b.id));
    });
    if (current && sel.find('option').filter(function () { return this.value === current; }).length === 0) {
      sel.append($('<option>').val(current).text(current + ' (not found)'));
    }
    sel.val(current || '');
  }`;

/** An editor file with its build-time placeholders replaced. */
function inject(html) {
  return html
    .split('/*@DLM_DEFAULTS@*/null')
    .join(defaults)
    .split('/*@DLM_BUDGET@*/null')
    .join(budgetScript)
    .split('/*@DLM_CHECK@*/null')
    .join(checkScript)
    .split('/*@DLM_BOARDS@*/null')
    .join(boardScript)
    .split('/*@DLM_BALANCER_SELECT@*/null')
    .join(balancerSelectScript);
}

function copyTree(src, out) {
  for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
    const from = path.join(src, entry.name);
    const to = path.join(out, entry.name);
    if (entry.isDirectory()) {
      copyTree(from, to);
    } else if (!entry.name.endsWith('.ts')) {
      fs.mkdirSync(out, { recursive: true });
      if (entry.name.endsWith('.html')) {
        fs.writeFileSync(to, inject(fs.readFileSync(from, 'utf8')));
      } else {
        fs.copyFileSync(from, to);
      }
    }
  }
}

if (fs.existsSync(srcNodes)) {
  fs.mkdirSync(outNodes, { recursive: true });
  copyTree(srcNodes, outNodes);
  for (const entry of fs.readdirSync(outNodes, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === 'common' || !fs.existsSync(icons)) continue; // common: shared code, no node
    const dest = path.join(outNodes, entry.name, 'icons');
    fs.mkdirSync(dest, { recursive: true });
    for (const icon of fs.readdirSync(icons)) fs.copyFileSync(path.join(icons, icon), path.join(dest, icon));
  }
}
