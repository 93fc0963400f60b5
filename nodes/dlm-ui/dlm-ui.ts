/**
 * dlm-ui: the dashboard widgets of the manual's chapter 7 (issue 6, SPEC §8 R-MON-1..5), as
 * node-red-dashboard 3.x widgets registered through its `addWidget` API. Every widget is fed by
 * the dlm-balancer's `status` output (msg.payload = StatusMessage); the editable ones (plates,
 * parameters, schedule) send the edit on their output after re-validating it here.
 *
 * Without node-red-dashboard the rest of the package still loads: the widget types register, say
 * "node-red-dashboard not installed" in red and do nothing.
 *
 * The browser side (`format`, `initController`) renders user text with {{ }} only (R-CP-6: plates
 * are untrusted text), never ng-bind-html.
 */
import * as D from '../../lib/dashboard/dashboard';
import type { SiteParams, StatusMessage } from '../../lib/shared/types';
import { onGuardedInput, type Done, type Send } from '../common/input';
import { boundedText, STATUS_LIMITS, untrustedProblem } from '../../lib/shared/guard';
import { editRefusal } from '../../lib/dashboard/edits';

/** Default link of the transactions widget (the example flow serves it). */
const DEFAULT_CSV_URL = '/dlm/transactions.csv';
const HISTORY_KEY = 'powerHistory';

interface WidgetState {
  config: any;
  history: D.PowerHistory;
}

interface WidgetDef {
  type: string;
  /** Columns when the editor leaves the width on auto and the group is wider. */
  format: string;
  init?: (scope: any, events: any) => void;
  view(status: StatusMessage, st: WidgetState): unknown;
  statusText(status: StatusMessage, st: WidgetState): string;
  /** The one edit topic this widget sends, and its server-side check. */
  edit?: { topic: string; check(payload: unknown, last: StatusMessage | null): D.EditResult };
}

// -------------------------------------------------------------------------------------------
// Browser side. Functions below are serialised with toString() and run in the browser: they
// must be self-contained (no imports, no closures over this file).
// -------------------------------------------------------------------------------------------

const CSS = `<style>
.dlm{font-family:"DejaVu Sans",Arial,sans-serif;font-size:13px;line-height:1.3;color:#212121;width:100%;box-sizing:border-box;padding:2px 4px;overflow-x:auto}
.dlm h4{margin:2px 0 6px;font-size:15px}
.dlm-wait{color:#757575;font-style:italic}
.dlm table.dlm-t{border-collapse:collapse;width:100%}
.dlm table.dlm-t th,.dlm table.dlm-t td{border:1px solid #cfd8dc;padding:3px 6px;text-align:center;white-space:nowrap}
.dlm table.dlm-t th{background:#eceff1;font-weight:bold}
.dlm table.dlm-t td.dlm-l,.dlm table.dlm-t th.dlm-l{text-align:left}
.dlm table.dlm-t td.dlm-num{text-align:right;font-variant-numeric:tabular-nums}
.dlm-small{font-size:11px;color:#616161;white-space:normal}
.dlm table.dlm-t td.dlm-small{white-space:normal}
.dlm .dlm-plate,.dlm table.dlm-t td.dlm-tx-plate{white-space:normal;overflow-wrap:anywhere}
.dlm-nw{white-space:nowrap}
.dlm-big{font-size:16px}
.dlm-cell-sub{font-size:11px;font-weight:normal;white-space:normal;line-height:1.1}
.dlm-badge{display:inline-block;padding:2px 7px;border-radius:3px;font-weight:bold;font-size:12px;margin:1px 2px}
.dlm-err{color:#c62828;font-weight:bold}
.dlm-ok{color:#2e7d32}
.dlm-note{margin:4px 0;padding:3px 6px;border-radius:3px;background:#e8f5e9}
.dlm-note.dlm-bad{background:#ffebee;color:#b71c1c}
.dlm button.dlm-b{cursor:pointer;border:1px solid #90a4ae;background:#fff;border-radius:3px;padding:2px 8px;font-size:12px;margin:0 1px;color:#212121;line-height:1.4}
.dlm button.dlm-b.dlm-primary{background:#1565c0;color:#fff;border-color:#1565c0}
.dlm input.dlm-i,.dlm select.dlm-i{font-size:13px;padding:1px 4px;border:1px solid #90a4ae;border-radius:3px;max-width:14em;height:auto;color:#212121;background:#fff}
.dlm-ev{display:inline-block;min-width:2.2em;padding:1px 4px;border-radius:9px;border:2px solid #90a4ae;color:#607d8b;font-weight:bold;font-size:11px}
.dlm-ev.dlm-in{background:#1565c0;border-color:#1565c0;color:#fff}
.dlm-ev.dlm-prio{border-color:#f9a825;box-shadow:0 0 0 1px #f9a825}
.dlm-ev.dlm-in.dlm-prio{background:#f9a825;color:#000}
.dlm-bar{position:relative;height:22px;background:#f5f5f5;border:1px solid #b0bec5;margin:2px 0 10px}
.dlm-seg{position:absolute;top:0;bottom:0}
.dlm-mark{position:absolute;top:-4px;bottom:-4px;width:0;border-left:3px solid #c62828}
.dlm-mark.dlm-work{border-left:2px dashed #ef6c00}
.dlm-sw{display:inline-block;width:12px;height:12px;vertical-align:middle;margin:0 3px 0 8px;border:1px solid #9e9e9e}
.dlm-slots{display:grid;grid-template-columns:repeat(4,1fr);gap:4px;margin-top:6px}
.dlm-slot{cursor:pointer;border:1px solid #b0bec5;border-radius:3px;padding:4px 2px;text-align:center;background:#fff;color:#212121;font-size:12px}
.dlm-slot.dlm-on{background:#f9a825;border-color:#f57f17;font-weight:bold}
.dlm-slot.dlm-now{outline:2px solid #1565c0}
.dlm svg text{font-size:10px;fill:#424242}
.dlm-kpi{display:inline-block;margin:0 12px 4px 0;font-size:13px}
.dlm-kpi b{font-size:16px}
</style>`;

/**
 * node-red-dashboard sizes an auto-height template once, when it is first drawn (before any
 * status arrived). This re-measures the widget when its content height changes and asks the
 * group (uiCardPanel) and the page (uiMasonry) to lay out again.
 */
function relayoutInit(scope: any) {
  scope.dlmId = 'dlm-' + Math.random().toString(36).slice(2);
  let lastHeight = -1;
  let tries = 0;
  function fix() {
    const el = document.querySelector('[data-dlm-id="' + scope.dlmId + '"]') as HTMLElement | null;
    if (!el) return;
    let card: HTMLElement = el;
    while (card.parentElement && !card.parentElement.classList.contains('nr-dashboard-cardcontainer')) card = card.parentElement;
    const container = card.parentElement;
    const ng = (window as any).angular;
    if (!container || !ng) return;
    const h = el.offsetHeight;
    // The card is a whole number of grid rows: it fits when it is at least as tall as the content
    // and less than one row (48 px + gap) taller.
    if (card.offsetHeight >= h && card.offsetHeight <= h + 60) { tries = 0; return; }
    if (h === lastHeight && ++tries > 6) return; // cannot fit (e.g. a widget narrower than its group): stop trying
    if (h !== lastHeight) tries = 0;
    if (h === lastHeight && card.offsetHeight < h) {
      // The dashboard rounds rows as ceil(h / (row + gap)) and loses one gap: content just above a
      // row boundary is cut by a few pixels. Step over the boundary with a little padding.
      const pad = parseInt(el.style.paddingBottom || '0', 10) || 0;
      el.style.paddingBottom = (pad + 8) + 'px';
    }
    lastHeight = el.offsetHeight;
    card.style.height = 'auto';
    const panel = ng.element(container).controller('uiCardPanel');
    const masonry = ng.element(container).controller('uiMasonry');
    if (panel && panel.refreshLayout) panel.refreshLayout(function () { if (masonry && masonry.refreshLayout) masonry.refreshLayout(); });
  }
  scope.$watch('msg', function () { setTimeout(fix, 30); });
  const timer = setInterval(fix, 300);
  scope.$on('$destroy', function () { clearInterval(timer); });
}

function plugsInit(scope: any) {
  scope.edit = { id: null, value: '', error: '', label: '' };
  scope.startEdit = function (p: any, cp: any) {
    scope.edit.id = p.id;
    scope.edit.value = p.plate;
    scope.edit.error = '';
    scope.edit.label = cp + '_' + p.letter;
  };
  scope.cancelEdit = function () {
    scope.edit.id = null;
    scope.edit.error = '';
  };
  scope.saveEdit = function (p: any) {
    const payload = scope.msg && scope.msg.payload;
    const max = payload ? payload.plateMaxLength : 32;
    const none = payload ? payload.noPlate : '-';
    const v = (scope.edit.value === undefined || scope.edit.value === null ? '' : String(scope.edit.value)).trim();
    if (v === '') { scope.edit.error = 'The plate cannot be empty: enter ' + none + ' for none.'; return; }
    if (v.length > max) { scope.edit.error = 'At most ' + max + ' characters.'; return; }
    // eslint-disable-next-line no-control-regex -- the check refuses control characters
    if (/[\u0000-\u001f\u007f]/.test(v)) { scope.edit.error = 'No control characters.'; return; }
    scope.send({ topic: 'plate', payload: { plugId: p.id, plate: v } });
    scope.edit.id = null;
    scope.edit.error = '';
  };
  scope.keyEdit = function (e: any, p: any) {
    if (e.keyCode === 13) scope.saveEdit(p);
    if (e.keyCode === 27) scope.cancelEdit();
  };
}

function paramsInit(scope: any) {
  scope.d = { v: {}, dirty: {}, err: {}, info: '' };
  scope.$watch('msg', function (m: any) {
    if (!m || !m.payload || !m.payload.rows) return;
    // The server refused the last change: its reason replaces "Sent: …".
    if (m.payload.serverNote && m.payload.serverNote.error) scope.d.info = '';
    m.payload.rows.forEach(function (r: any) {
      if (!scope.d.dirty[r.key]) scope.d.v[r.key] = r.value;
    });
  });
  scope.touch = function (r: any) {
    scope.d.dirty[r.key] = true;
    scope.d.err[r.key] = '';
    scope.d.info = '';
  };
  scope.reset = function () {
    scope.d.dirty = {};
    scope.d.err = {};
    scope.d.info = '';
    const m = scope.msg;
    if (m && m.payload) m.payload.rows.forEach(function (r: any) { scope.d.v[r.key] = r.value; });
  };
  scope.anyDirty = function () { return Object.keys(scope.d.dirty).length > 0; };
  scope.apply = function () {
    const m = scope.msg;
    if (!m || !m.payload) return;
    const change: any = {};
    let bad = 0;
    m.payload.rows.forEach(function (r: any) {
      if (!scope.d.dirty[r.key]) return;
      const v = scope.d.v[r.key];
      let e = '';
      if (r.type === 'number' || r.type === 'integer') {
        if (typeof v !== 'number' || !isFinite(v)) e = 'Enter a number.';
        else if (r.type === 'integer' && Math.floor(v) !== v) e = 'Enter a whole number.';
        else if (r.min !== null && v < r.min) e = 'At least ' + r.min + (r.unit ? ' ' + r.unit : '') + '.';
        else if (r.max !== null && v > r.max) e = 'At most ' + r.max + (r.unit ? ' ' + r.unit : '') + '.';
      } else if (r.type === 'enum') {
        if (r.options.indexOf(v) < 0) e = 'Choose one of ' + r.options.join(', ') + '.';
      } else if (r.type === 'boolean') {
        if (v !== true && v !== false) e = 'ON or OFF.';
      } else if (typeof v !== 'string' || v.trim() === '') {
        e = 'Cannot be empty.';
      }
      scope.d.err[r.key] = e;
      if (e) bad++;
      else change[r.key] = typeof v === 'string' ? v.trim() : v;
    });
    if (bad) { scope.d.info = 'Not sent: correct the marked values.'; return; }
    if (Object.keys(change).length === 0) return;
    scope.send({ topic: 'params', payload: change });
    scope.d.dirty = {};
    scope.d.info = 'Sent: ' + Object.keys(change).map(function (k) { return k + ' = ' + change[k]; }).join(', ');
  };
}

function scheduleInit(scope: any) {
  scope.sendSchedule = function (enabled: boolean, slots: boolean[]) {
    scope.send({ topic: 'schedule', payload: { enabled: enabled, slots: slots } });
  };
  scope.current = function () {
    return scope.msg.payload.slots.map(function (s: any) { return s.on === true; });
  };
  scope.toggle = function (h: number) {
    const slots = scope.current();
    slots[h] = !slots[h];
    scope.msg.payload.slots[h].on = slots[h];
    scope.sendSchedule(scope.msg.payload.enabled, slots);
  };
  scope.setEnabled = function (on: boolean) {
    scope.msg.payload.enabled = on;
    scope.sendSchedule(on, scope.current());
  };
}

const WAIT = '<div class="dlm" ng-if="!msg.payload"><p class="dlm-wait">Waiting for the balancer status…</p></div>';

/** Every template sits in one element the relayout code can find and measure. */
const wrap = (body: string) => `${CSS}<div data-dlm-id="{{dlmId}}">${body}</div>`;

const NOTE = `<div class="dlm-note" ng-if="msg.payload.serverNote" ng-class="{'dlm-bad': msg.payload.serverNote.error}">{{msg.payload.serverNote.text}}</div>`;

const PLUGS_FORMAT = wrap(`${WAIT}
<div class="dlm dlm-plugs" ng-if="msg.payload">
  <div class="dlm-legend">
    <span ng-repeat="c in msg.payload.counts track by c.status" class="dlm-badge" ng-style="{'background-color': c.colour, 'color': c.text}" title="{{c.label}}">{{c.label}}: {{c.count}}</span>
  </div>
  <div ng-repeat="e in msg.payload.errors track by $index" class="dlm-err">Site configuration: {{e}}</div>
  ${NOTE}
  <table class="dlm-t">
    <thead><tr><th>Charge point</th><th>Plug</th><th>Plug id</th><th>Phase</th><th>Vehicle</th><th>Status</th><th>Setpoint</th><th>Measured</th><th>Max</th><th>Energy</th><th class="dlm-l">Licence plate</th></tr></thead>
    <tbody ng-repeat="cp in msg.payload.chargePoints track by cp.name">
      <tr ng-repeat="p in cp.plugs track by p.id" class="dlm-plug" data-plug-id="{{p.id}}">
        <td class="dlm-l" ng-if="$first" rowspan="{{cp.plugs.length}}"><b>{{cp.name}}</b></td>
        <td>{{p.letter}}</td>
        <td class="dlm-id"><b>{{p.idText}}</b></td>
        <td>{{p.phase}}</td>
        <td><span class="dlm-ev" ng-class="{'dlm-in': p.pluggedIn, 'dlm-prio': p.priority}" title="{{p.vehicle}}">{{p.priority ? '★ ' : ''}}EV</span><div class="dlm-small dlm-nw">{{p.pluggedIn ? 'plugged in' : 'no vehicle'}}</div></td>
        <td><span class="dlm-badge dlm-status" ng-style="{'background-color': p.statusColour, 'color': p.statusText}" title="{{p.statusDefinition}}">{{p.statusLabel}}</span><div class="dlm-small" ng-if="p.reason">{{p.reason}}</div></td>
        <td class="dlm-num dlm-setpoint">{{p.setpoint}}</td>
        <td class="dlm-num dlm-measured">{{p.measured}}</td>
        <td class="dlm-num">{{p.max}}</td>
        <td class="dlm-num">{{p.energy}}</td>
        <td class="dlm-l">
          <span ng-if="edit.id !== p.id"><span class="dlm-plate">{{p.plate}}</span> <button type="button" class="dlm-b dlm-edit" ng-click="startEdit(p, cp.name)" title="Assign a licence plate to plug {{p.idText}}">✎ Edit</button></span>
          <span ng-if="edit.id === p.id" class="dlm-editor">
            <span class="dlm-small">EV_PLATES {{edit.label}}</span><br>
            <input class="dlm-i dlm-plate-input" type="text" ng-model="edit.value" ng-keyup="keyEdit($event, p)" maxlength="{{msg.payload.plateMaxLength}}" aria-label="Licence plate of plug {{p.idText}}" style="width:11em"><br>
            <button type="button" class="dlm-b dlm-primary dlm-ok-btn" ng-click="saveEdit(p)">✓ Ok</button>
            <button type="button" class="dlm-b dlm-cancel" ng-click="cancelEdit()">✗ Cancel</button>
            <div class="dlm-err dlm-edit-error" ng-if="edit.error" style="white-space:normal;max-width:16em">{{edit.error}}</div>
            <div class="dlm-small">{{msg.payload.noPlate}} = no plate; never empty</div>
          </span>
        </td>
      </tr>
    </tbody>
  </table>
  <div class="dlm-small">Vehicle: <span class="dlm-ev">EV</span> not plugged in · <span class="dlm-ev dlm-in">EV</span> plugged in · <span class="dlm-ev dlm-prio">★ EV</span> priority. Updated {{msg.payload.updated}}.</div>
</div>`);

const TABLE_FORMAT = wrap(`${WAIT}
<div class="dlm dlm-table" ng-if="msg.payload">
  <div class="dlm-mode"><b>{{msg.payload.mode}}</b></div>
  <table class="dlm-t">
    <thead>
      <tr><th class="dlm-l" rowspan="2">EV GROUPS</th><th ng-repeat="g in msg.payload.groups track by g.name" colspan="{{g.span}}" class="dlm-group">{{g.name}}</th></tr>
      <tr><th ng-repeat="c in msg.payload.columns track by $index">{{c.phase}}</th></tr>
    </thead>
    <tbody>
      <tr ng-repeat="r in msg.payload.rows track by r.label" data-row="{{r.label}}">
        <td class="dlm-l"><b>{{r.label}}</b><div class="dlm-small">{{r.meaning}}</div></td>
        <td ng-repeat="c in r.cells track by $index" class="dlm-cell" ng-style="c.colour ? {'background-color': c.colour, 'color': '#fff', 'font-weight': 'bold'} : {}"><span class="dlm-cell-main" ng-class="{'dlm-big': c.sub}">{{c.text}}</span><div class="dlm-cell-sub" ng-if="c.sub">{{c.sub}}</div></td>
      </tr>
    </tbody>
  </table>
  <div class="dlm-small" style="margin-top:4px">
    <span ng-repeat="s in msg.payload.states track by s.state" style="display:inline-block;margin-right:10px"><span class="dlm-sw" ng-style="{'background-color': s.colour}"></span><b>{{s.state}} {{s.name}}</b>: {{s.hint}}</span>
  </div>
</div>`);

const CONSUMPTION_FORMAT = wrap(`${WAIT}
<div class="dlm dlm-consumption" ng-if="msg.payload">
  <table class="dlm-t">
    <thead><tr><th class="dlm-l">CONSUMPTION</th><th ng-repeat="ph in msg.payload.phases track by ph">{{ph}}</th></tr></thead>
    <tbody><tr ng-repeat="r in msg.payload.rows track by r.label" data-row="{{r.label}}"><td class="dlm-l"><b>{{r.label}}</b></td><td class="dlm-num" ng-repeat="v in r.cells track by $index">{{v}}</td></tr></tbody>
  </table>
  <div ng-repeat="b in msg.payload.bars track by b.phase" class="dlm-phasebar" data-phase="{{b.phase}}" style="margin-top:6px">
    <div><b>{{b.phase}}</b>: {{b.total}} of {{b.limit}} limit (<span ng-class="{'dlm-err': b.over}">{{b.loadPct}}</span>)<span class="dlm-err" ng-if="b.over"> OVER THE LIMIT</span></div>
    <div class="dlm-bar">
      <div class="dlm-seg" style="left:0;background:#ef6c00" ng-style="{'width': b.buildingPct + '%'}" title="building"></div>
      <div class="dlm-seg" style="background:#1565c0" ng-style="{'left': b.buildingPct + '%', 'width': b.evPct + '%'}" title="EV"></div>
      <div class="dlm-seg" style="background:repeating-linear-gradient(45deg,#9e9e9e,#9e9e9e 4px,#e0e0e0 4px,#e0e0e0 8px)" ng-style="{'left': (b.buildingPct + b.evPct) + '%', 'width': b.reservedPct + '%'}" title="reserved for offline charge points"></div>
      <div class="dlm-mark dlm-work" ng-style="{'left': b.workingPct + '%'}" title="working limit"></div>
      <div class="dlm-mark" ng-style="{'left': b.limitPct + '%'}" title="limit"></div>
    </div>
  </div>
  <div class="dlm-err dlm-fallback" ng-if="msg.payload.fallbackWarning" style="margin-top:6px">⚠ {{msg.payload.fallbackWarning}}</div>
  <div class="dlm-small"><span class="dlm-sw" style="background:#ef6c00"></span>building <span class="dlm-sw" style="background:#1565c0"></span>EV <span class="dlm-sw" style="background:#bdbdbd"></span>reserved (offline CPs) <span class="dlm-sw" style="border:0;border-left:3px solid #c62828"></span>limit <span class="dlm-sw" style="border:0;border-left:2px dashed #ef6c00"></span>working limit (limit − safety margin)</div>
</div>`);

const ANALYSER_FORMAT = wrap(`${WAIT}
<div class="dlm dlm-analyser" ng-if="msg.payload">
  <table class="dlm-t">
    <tbody>
      <tr><td class="dlm-l"><b>STATUS</b></td><td class="dlm-l dlm-an-status" colspan="{{msg.payload.phases.length}}"><span class="dlm-badge" style="color:#fff" ng-style="{'background-color': msg.payload.statusColour}">{{msg.payload.status}}</span></td></tr>
      <tr><td class="dlm-l"><b>POSITION</b></td><td class="dlm-l" colspan="{{msg.payload.phases.length}}">{{msg.payload.position}}</td></tr>
      <tr><td class="dlm-l"><b>OFFLINE CURRENT (A)</b><div class="dlm-small">assumed while the analyser is offline</div></td><td class="dlm-l dlm-an-offline" colspan="{{msg.payload.phases.length}}">{{msg.payload.offlineCurrent}}</td></tr>
      <tr><td class="dlm-l"><b>LAST READING</b></td><td class="dlm-l" colspan="{{msg.payload.phases.length}}">{{msg.payload.lastReading}}</td></tr>
    </tbody>
    <thead><tr><th class="dlm-l">BUILDING METER</th><th ng-repeat="ph in msg.payload.phases track by ph">{{ph}}</th></tr></thead>
    <tbody>
      <tr ng-repeat="r in msg.payload.rows track by r.label" data-row="{{r.label}}"><td class="dlm-l"><b>{{r.label}}</b><div class="dlm-small">{{r.meaning}}</div></td><td class="dlm-num" ng-repeat="v in r.cells track by $index">{{v}}</td></tr>
      <tr><td class="dlm-l"><b>SAFETY MARGIN (%)</b><div class="dlm-small">part of the limit kept unused</div></td><td class="dlm-num dlm-an-margin" colspan="{{msg.payload.phases.length}}">{{msg.payload.margin}}</td></tr>
    </tbody>
  </table>
</div>`);

const PARAMS_FORMAT = wrap(`${WAIT}
<div class="dlm dlm-params" ng-if="msg.payload">
  ${NOTE}
  <form ng-submit="apply()" novalidate>
  <table class="dlm-t">
    <thead><tr><th class="dlm-l">SETTING</th><th>NOW</th><th class="dlm-l">NEW VALUE</th><th class="dlm-l">RANGE</th></tr></thead>
    <tbody>
      <tr ng-repeat="r in msg.payload.rows track by r.key" data-key="{{r.key}}" ng-style="d.dirty[r.key] ? {'background-color': '#fff8e1'} : {}">
        <td class="dlm-l"><b>{{r.label}}</b><span ng-if="r.unit"> ({{r.unit}})</span></td>
        <td class="dlm-num dlm-now">{{r.text}}</td>
        <td class="dlm-l">
          <input ng-if="r.type === 'number' || r.type === 'integer'" class="dlm-i dlm-input" type="number" step="any" ng-model="d.v[r.key]" ng-change="touch(r)" aria-label="{{r.label}}" style="width:7em">
          <select ng-if="r.type === 'enum'" class="dlm-i dlm-input" ng-model="d.v[r.key]" ng-change="touch(r)" ng-options="o as (o + (r.unit ? ' ' + r.unit : '')) for o in r.options" aria-label="{{r.label}}"></select>
          <label ng-if="r.type === 'boolean'"><input class="dlm-input" type="checkbox" ng-model="d.v[r.key]" ng-change="touch(r)" aria-label="{{r.label}}"> {{d.v[r.key] ? 'ON' : 'OFF'}}</label>
          <input ng-if="r.type === 'string'" class="dlm-i dlm-input" type="text" ng-model="d.v[r.key]" ng-change="touch(r)" aria-label="{{r.label}}">
          <div class="dlm-err dlm-field-error" ng-if="d.err[r.key]">{{d.err[r.key]}}</div>
        </td>
        <td class="dlm-l dlm-small">{{r.range}}</td>
      </tr>
    </tbody>
  </table>
  <div style="margin-top:6px">
    <button type="submit" class="dlm-b dlm-primary dlm-apply" ng-disabled="!anyDirty()">Apply changes</button>
    <button type="button" class="dlm-b dlm-reset" ng-click="reset()" ng-disabled="!anyDirty()">Discard</button>
    <span class="dlm-info" ng-class="{'dlm-err': d.info.indexOf('Not sent') === 0}">{{d.info}}</span>
  </div>
  </form>
</div>`);

const SCHEDULE_FORMAT = wrap(`${WAIT}
<div class="dlm dlm-schedule" ng-if="msg.payload">
  ${NOTE}
  <div>
    <b>PRIORITY SCHEDULE</b>
    <button type="button" class="dlm-b dlm-sched-on" ng-class="{'dlm-primary': msg.payload.enabled}" ng-click="setEnabled(true)">{{msg.payload.enabled ? '☒' : '☐'}} ON</button>
    <button type="button" class="dlm-b dlm-sched-off" ng-class="{'dlm-primary': !msg.payload.enabled}" ng-click="setEnabled(false)">{{msg.payload.enabled ? '☐' : '☒'}} OFF</button>
  </div>
  <div class="dlm-small dlm-sched-summary" style="margin-top:4px">{{msg.payload.summary}}</div>
  <div class="dlm-slots">
    <div ng-repeat="s in msg.payload.slots track by s.hour" class="dlm-slot" data-hour="{{s.hour}}" ng-class="{'dlm-on': s.on}" ng-click="toggle(s.hour)" title="Mark / unmark {{s.label}} as priority">{{s.label}}<br><b>{{s.on ? '✓ priority' : '–'}}</b></div>
  </div>
  <div class="dlm-small" style="margin-top:4px">Click a slot to mark / unmark it. Hours in {{msg.payload.timeZone}}.</div>
</div>`);

function chartSvg(path: string, title: string): string {
  return `<div class="dlm-chart" data-chart="${path}"><div><b>${title}</b></div>
  <svg viewBox="0 0 560 180" width="100%" preserveAspectRatio="xMidYMid meet" style="max-height:240px;background:#fafafa;border:1px solid #eceff1">
    <line ng-repeat="t in msg.payload.${path}.yTicks track by $index" x1="52" x2="550" ng-attr-y1="{{t.y}}" ng-attr-y2="{{t.y}}" stroke="#e0e0e0"></line>
    <text ng-repeat="t in msg.payload.${path}.yTicks track by $index" x="48" ng-attr-y="{{t.y + 3}}" text-anchor="end">{{t.label}}</text>
    <text ng-repeat="t in msg.payload.${path}.xTicks track by $index" ng-attr-x="{{t.x}}" y="172" ng-attr-text-anchor="{{t.anchor}}">{{t.label}}</text>
    <g ng-repeat="s in msg.payload.${path}.series track by s.key" class="dlm-series" data-series="{{s.key}}">
      <polyline ng-repeat="seg in s.segments track by $index" ng-attr-points="{{seg}}" fill="none" ng-attr-stroke="{{s.colour}}" ng-attr-stroke-dasharray="{{s.dash || undefined}}" stroke-width="2" stroke-linejoin="round"></polyline>
    </g>
    <text ng-if="!msg.payload.${path}.points" x="300" y="90" text-anchor="middle">no data yet</text>
  </svg></div>`;
}

const POWER_FORMAT = wrap(`${WAIT}
<div class="dlm dlm-power" ng-if="msg.payload">
  <div>
    <span ng-repeat="k in msg.payload.now track by k.label" class="dlm-kpi" data-kpi="{{k.label}}"><span class="dlm-sw" ng-style="{'background-color': k.colour}"></span>{{k.label}} <b>{{k.value}}</b></span>
  </div>
  <div class="dlm-small">Total is <b ng-class="{'dlm-err': msg.payload.over}">{{msg.payload.usePct}}</b> of the contracted power. Last 24 h: peak {{msg.payload.peak24h}}, average {{msg.payload.average24h}}.</div>
  ${chartSvg('live', 'Live: last 10 minutes')}
  ${chartSvg('day', 'History: last 24 hours (1-minute averages)')}
</div>`);

const TRANSACTIONS_FORMAT = wrap(`${WAIT}
<div class="dlm dlm-transactions" ng-if="msg.payload">
  <div style="margin-bottom:4px"><a class="dlm-csv" ng-if="msg.payload.csvUrl" ng-href="{{msg.payload.csvUrl}}" target="_blank" download="transactions.csv">⬇ Download all transactions (CSV)</a>
  <span class="dlm-small"> Showing {{msg.payload.rows.length}} of {{msg.payload.total}} recent sessions.</span></div>
  <table class="dlm-t">
    <thead><tr><th>Plug</th><th>Charge point</th><th class="dlm-l">Licence plate</th><th>Start</th><th>Stop</th><th>Duration</th><th>Energy</th><th>Peak</th><th>Pauses</th></tr></thead>
    <tbody>
      <tr ng-repeat="t in msg.payload.rows track by $index" class="dlm-tx" ng-style="t.open ? {'background-color': '#e3f2fd'} : {}">
        <td><b>{{t.plug}}</b></td><td>{{t.chargePoint}}</td><td class="dlm-l dlm-tx-plate">{{t.plate}}</td><td>{{t.start}}</td><td>{{t.stop}}</td><td class="dlm-num">{{t.duration}}</td><td class="dlm-num">{{t.energy}}</td><td class="dlm-num">{{t.peak}}</td><td class="dlm-num">{{t.pauses}}</td>
      </tr>
      <tr ng-if="!msg.payload.rows.length"><td colspan="9" class="dlm-wait">No sessions yet.</td></tr>
    </tbody>
  </table>
</div>`);

// -------------------------------------------------------------------------------------------
// The widgets
// -------------------------------------------------------------------------------------------

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

const WIDGETS: readonly WidgetDef[] = [
  {
    type: 'dlm-ui-plugs',
    format: PLUGS_FORMAT,
    init: plugsInit,
    view: (s) => D.plugsView(s),
    statusText: (s) => `${plural(s.plugs.length, 'plug')}, ${s.plugs.filter((p) => p.status === 'CHARGING').length} charging`,
    edit: { topic: 'plate', check: (payload, last) => D.plateEdit(last, payload) },
  },
  {
    type: 'dlm-ui-table',
    format: TABLE_FORMAT,
    view: (s) => D.tableView(s),
    statusText: (s) => (s.priorityActive ? 'PRIORITY / NORMAL' : 'ALL'),
  },
  {
    type: 'dlm-ui-consumption',
    format: CONSUMPTION_FORMAT,
    view: (s) => D.consumptionView(s),
    statusText: (s) => D.phasesOf(s).map((ph) => `${ph} ${D.amps(s.consumption[ph]!.totalA, 0)}`).join(' '),
  },
  {
    type: 'dlm-ui-analyser',
    format: ANALYSER_FORMAT,
    view: (s) => D.analyserView(s),
    statusText: (s) => (!s.analyser.enabled ? 'analyser disabled' : s.analyser.online ? 'analyser online' : 'analyser OFFLINE'),
  },
  {
    type: 'dlm-ui-params',
    format: PARAMS_FORMAT,
    init: paramsInit,
    view: (s) => D.paramsView(s.params),
    statusText: (s) => `MCCB ${s.params.mccbA} A, ${s.params.contractedKW} kW`,
    edit: { topic: 'params', check: (payload, last) => D.paramsEdit(last ? (last.params as SiteParams) : null, payload, last?.deployedParams as SiteParams | undefined) },
  },
  {
    type: 'dlm-ui-schedule',
    format: SCHEDULE_FORMAT,
    init: scheduleInit,
    view: (s) => D.scheduleView(s),
    statusText: (s) => (s.schedule.enabled ? `ON, ${s.schedule.slots.filter(Boolean).length} h` : 'OFF'),
    edit: { topic: 'schedule', check: (payload) => D.scheduleEdit(payload) },
  },
  {
    type: 'dlm-ui-power',
    format: POWER_FORMAT,
    view: (s, st) => D.powerView(s, st.history),
    statusText: (s) => `${D.kw(s.power.totalW, 1)} of ${D.kw(s.power.contractedW, 0)}`,
  },
  {
    type: 'dlm-ui-transactions',
    format: TRANSACTIONS_FORMAT,
    view: (s, st) => ({
      ...D.transactionsView(s, Number(st.config.maxRows) > 0 ? Number(st.config.maxRows) : 50),
      csvUrl: D.safeLink(st.config.csvUrl === undefined ? DEFAULT_CSV_URL : st.config.csvUrl),
    }),
    statusText: (s) => `${plural(s.transactions.filter((t) => t.stop === null).length, 'open session')}`,
  },
];

const NOT_INSTALLED = 'node-red-dashboard not installed';

/** Loads node-red-dashboard's widget API once, or says why it cannot. */
function dashboardOf(RED: any): { ui: any } | { error: string } {
  try {
    // RED.require loads the copy of node-red-dashboard this Node-RED loaded (its module path).
    const factory = typeof RED.require === 'function' ? RED.require('node-red-dashboard') : require('node-red-dashboard');
    const ui = factory(RED);
    if (!ui || typeof ui.addWidget !== 'function') return { error: 'node-red-dashboard has no addWidget' };
    return { ui };
  } catch (e) {
    return { error: String((e as Error)?.message ?? e) };
  }
}

export = function (RED: any) {
  let dashboard: { ui: any } | { error: string } | null = null;

  function makeWidget(def: WidgetDef) {
    return function WidgetNode(this: any, config: any) {
      RED.nodes.createNode(this, config);
      const node = this;
      // Resolved on first use, not at load time: node-red-dashboard may load after this package.
      if (!dashboard) dashboard = dashboardOf(RED);
      if ('error' in dashboard) {
        node.status({ fill: 'red', shape: 'ring', text: NOT_INSTALLED });
        node.warn(`${NOT_INSTALLED} (${dashboard.error}): install node-red-dashboard 3.x to show this widget`);
        onGuardedInput(node, (_msg: any, _send: Send, done: Done) => done());
        return;
      }
      const group = RED.nodes.getNode(config.group);
      if (!group) {
        node.status({ fill: 'red', shape: 'ring', text: 'no dashboard group' });
        onGuardedInput(node, (_msg: any, _send: Send, done: Done) => done());
        return;
      }
      const st: WidgetState = { config, history: D.emptyPowerHistory() };
      let last: StatusMessage | null = null;
      let view: any = null;
      let note: { text: string; error: boolean } | null = null;
      let statusText = '';
      let closed = false;
      const uiSettings = () => {
        try {
          return RED.settings?.ui;
        } catch {
          return undefined;
        }
      };
      // Shown from the start when the page cannot edit (R-SEC-1).
      const refusedAtStart = def.edit ? editRefusal(config.edits, uiSettings()) : null;
      if (refusedAtStart) note = { text: refusedAtStart, error: true };

      const setStatus = (fill: string, text: string) => {
        if (text === statusText) return;
        statusText = text;
        node.status({ fill, shape: fill === 'green' ? 'dot' : 'ring', text });
      };
      const render = () => {
        if (!last) return;
        view = { ...(def.view(last, st) as object), ...(def.edit ? { serverNote: note } : {}) };
      };

      // The power history survives restarts when a persistent context store is configured (R-MON-4, R-ERR-2).
      let loaded = def.type !== 'dlm-ui-power';
      const ready: Promise<void> = loaded
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
          node.context().get(HISTORY_KEY, (err: unknown, saved: unknown) => {
            if (err) node.warn(`could not read the power history: ${String(err)}`);
            else if (D.isPowerHistory(saved)) st.history = saved;
            loaded = true;
            resolve();
          });
        });

      // Registered before addWidget so a status is checked and turned into the view before the
      // dashboard emits it.
      // R-SEC-3: the guard checks depth, cycles and types of every status before it is read.
      onGuardedInput(node, (msg: any, _send: Send, done: Done) => {
        const problems = D.statusProblems(msg.payload);
        if (problems.length) {
          setStatus('red', 'bad status message');
          done(new Error(`not a balancer status: ${problems.join('; ')}`));
          return;
        }
        const status = msg.payload as StatusMessage;
        const apply = () => {
          last = status;
          if (def.type === 'dlm-ui-power') {
            const h = D.addPowerSample(st.history, status.power, status.timestamp);
            if (h !== st.history) {
              st.history = h;
              node.context().set(HISTORY_KEY, h, (err: unknown) => { if (err) node.warn(`could not store the power history: ${String(err)}`); });
            }
          }
          render();
          setStatus('green', def.statusText(status, st));
          done();
        };
        if (loaded) apply();
        else void ready.then(apply);
      }, { limits: STATUS_LIMITS });

      const options: Record<string, unknown> = {
        node,
        group: config.group,
        order: Number(config.order) || 0,
        width: Number(config.width) || Number(group.config.width) || 6,
        height: Number(config.height) || 0,
        format: def.format,
        templateScope: 'local',
        emitOnlyNewValues: false,
        forwardInputMessages: false,
        storeFrontEndInputAsState: false,
        persistantFrontEndValue: true,
        convert: () => view,
        beforeEmit: () => ({ msg: { payload: view } }),
        beforeSend: (toSend: any, original: any) => {
          // Only edits from the browser leave the widget, re-validated here (R-ERR-1).
          if (!original) return toSend;
          const m = original.msg;
          if (!def.edit || !m || m.topic !== def.edit.topic) {
            original._dontSend = true;
            return toSend;
          }
          const refused = editRefusal(config.edits, uiSettings());
          if (refused) {
            // Nothing leaves the widget; the page and the node say why (R-SEC-1).
            original._dontSend = true;
            note = { text: refused, error: true };
            setStatus('red', refused.slice(0, 60));
            node.warn(boundedText(`${def.edit.topic} edit from the dashboard refused: ${refused}`));
            if (last && !closed) {
              const again = last;
              setImmediate(() => { if (!closed) node.receive({ payload: again }); });
            }
            render();
            return toSend;
          }
          const bad = untrustedProblem(m.payload, 'edit');
          const r = bad ? { ok: false as const, error: bad } : def.edit.check(m.payload, last);
          if (!r.ok) {
            original._dontSend = true;
            note = { text: r.error, error: true };
            setStatus('red', r.error.slice(0, 60));
            node.error(boundedText(r.error), { topic: m.topic });
            // Show the refusal on the page now, not only with the next status.
            if (last && !closed) {
              const again = last;
              setImmediate(() => { if (!closed) node.receive({ payload: again }); });
            }
          } else {
            note = null;
            const out = r.msg;
            node.log(boundedText(`${def.edit.topic} edit from the dashboard: ${JSON.stringify(out.payload)}`));
            render();
            return { ...out, socketid: original.socketid };
          }
          render();
          return toSend;
        },
      };
      // addWidget sends initController.toString() to the browser, which evals it.
      options.initController = `function (scope, events) { (${relayoutInit.toString()})(scope); ${def.init ? `(${def.init.toString()})(scope, events);` : ''} }`;
      const removeWidget = dashboard.ui.addWidget(options);

      node.on('close', (_removed: boolean, done: () => void) => {
        closed = true;
        if (typeof removeWidget === 'function') removeWidget();
        done();
      });
    };
  }

  for (const def of WIDGETS) RED.nodes.registerType(def.type, makeWidget(def));
};
