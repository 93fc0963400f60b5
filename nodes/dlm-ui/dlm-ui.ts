/**
 * dlm-ui: the dashboard widgets of the manual's chapter 7 (issue 6, SPEC §8 R-MON-1..5), as
 * node-red-dashboard 3.x widgets registered through its `addWidget` API. Every widget is fed by
 * the dlm-balancer's `status` output (msg.payload = StatusMessage); the editable ones (plates,
 * parameters, schedule) send the edit on their output after re-validating it here.
 *
 * The parts: widgets.ts (the table of widgets), widget.ts (one widget node at run time),
 * assets.ts (templates/*.html, dlm-ui.css and the browser code of browser/*.ts, bundled by the build).
 * The page renders user text with {{ }} only (R-CP-6: plates are untrusted text), never ng-bind-html.
 *
 * Without node-red-dashboard the rest of the package still loads: the widget types register, say
 * "node-red-dashboard not installed" in red and do nothing.
 */
import { STATUS_LIMITS } from '../../lib/shared/guard';
import { onGuardedInput, type Done, type Send } from '../common/input';
import { joinStatus } from '../common/status-bus';
import { loadAssets } from './assets';
import { Widget } from './widget';
import { WIDGETS, type WidgetDef } from './widgets';

const NOT_INSTALLED = 'node-red-dashboard not installed';

/** Marks the message that hands a joined widget's new view to node-red-dashboard (no status in it). */
const FROM_BUS = Symbol('dlm status from the joined balancer');

type Dashboard = { ui: any } | { error: string };

/** Loads node-red-dashboard's widget API once, or says why it cannot. */
function dashboardOf(RED: any): Dashboard {
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

/** A widget that cannot show: a red status (and a warning), input taken and dropped. */
function inert(node: any, text: string, warning?: string): void {
  node.status({ fill: 'red', shape: 'ring', text });
  if (warning) node.warn(warning);
  onGuardedInput(node, (_msg: any, _send: Send, done: Done) => done());
}

/** node-red-dashboard's options for one widget node (the parts that are the same for every widget). */
function widgetOptions(node: any, config: any, group: any, widget: Widget): Record<string, unknown> {
  return {
    node,
    group: config.group,
    order: Number(config.order) || 0,
    width: Number(config.width) || Number(group.config.width) || 6,
    height: Number(config.height) || 0,
    templateScope: 'local',
    emitOnlyNewValues: false,
    forwardInputMessages: false,
    storeFrontEndInputAsState: false,
    persistantFrontEndValue: true,
    convert: () => widget.current(),
    beforeEmit: () => ({ msg: { payload: widget.current() } }),
    beforeSend: (toSend: unknown, original: any) => widget.beforeSend(toSend, original),
  };
}

export = function (RED: any) {
  const assets = loadAssets(__dirname);
  // Resolved on first use, not at load time: node-red-dashboard may load after this package.
  let dashboard: Dashboard | null = null;

  function register(def: WidgetDef<any>) {
    const format = assets.format(def.template);
    const initController = assets.initController(def.controller);
    RED.nodes.registerType(def.type, function WidgetNode(this: any, config: any) {
      RED.nodes.createNode(this, config);
      const node = this;
      if (!dashboard) dashboard = dashboardOf(RED);
      if ('error' in dashboard) {
        return inert(node, NOT_INSTALLED, `${NOT_INSTALLED} (${dashboard.error}): install node-red-dashboard 3.x to show this widget`);
      }
      const group = RED.nodes.getNode(config.group);
      if (!group) return inert(node, 'no dashboard group');
      const widget = new Widget(RED, node, config, def);
      // Registered before addWidget so a status is checked and turned into the view before the
      // dashboard emits it. R-SEC-3: the guard checks depth, cycles and types of every status first.
      // A status from the joined balancer is already shown: its nudge only makes the dashboard emit the view.
      onGuardedInput(node, (msg: any, _send: Send, done: Done) => (msg[FROM_BUS] ? done() : widget.onInput(msg, done)), {
        limits: STATUS_LIMITS,
      });
      // addWidget sends initController to the browser, which evals it.
      const removeWidget = dashboard.ui.addWidget({ ...widgetOptions(node, config, group, widget), format, initController });
      // Issue 13: joined to a balancer, the widget gets its status directly (no wire, no copy); a
      // small input message without the status then makes node-red-dashboard emit the new view.
      const leave =
        typeof config.balancer === 'string' && config.balancer !== ''
          ? joinStatus(config.balancer, (status) => widget.show(status, () => node.receive({ payload: null, [FROM_BUS]: true })))
          : null;
      node.on('close', (_removed: boolean, done: () => void) => {
        leave?.();
        widget.close();
        if (typeof removeWidget === 'function') removeWidget();
        done();
      });
    });
  }

  for (const def of WIDGETS) register(def);
};
