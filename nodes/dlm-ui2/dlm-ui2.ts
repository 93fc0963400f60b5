/**
 * dlm-ui2: the eight dashboard screens of the manual's chapter 7 (SPEC §8 R-MON-1..5) as FlowFuse
 * Dashboard 2.0 widgets (issue 14), beside the node-red-dashboard 3 family (nodes/dlm-ui). Both
 * families show the same view models (lib/dashboard.ts) from the dlm-balancer's `status` output;
 * the editable ones (plates, parameters, schedule) send the same edit messages after the same
 * server-side checks, so the balancer's and priority-schedule's own validation and ceiling rule
 * apply unchanged.
 *
 * Registration is Dashboard 2.0's third-party widget API: each node calls
 * `group.register(node, config, evts)` on its `ui-group`; the browser side is the Vue components
 * of ui2/, bundled by `npm run build` (vite) into resources/dlm-ui2.umd.js and declared in
 * package.json "node-red-dashboard-2".
 *
 * Without @flowfuse/node-red-dashboard the package still loads: the types register and a widget
 * without a Dashboard 2.0 group says what is missing in a red status and does nothing.
 *
 * Edits and authorisation (SPEC R-SEC-1, the same rule as the Dashboard 3 family): option
 * `edits` = "protected" (default: accepted only when Dashboard 2.0's socket is behind a login,
 * see `dashboardProtected`), "open" (explicitly writable) or "readonly".
 */
import * as path from 'path';
import * as D from '../../lib/dashboard/dashboard';
import { SCREENS, type ScreenKey } from '../../lib/dashboard/screens';
import { boundedText, messageProblem } from '../../lib/shared/guard';
import type { StatusMessage } from '../../lib/shared/types';
import { editAccess, dashboardProtected, type EditsMode } from '../../lib/dashboard/edits';
import { joinStatus } from '../common/status-bus';

/** Default link of the transactions widget (the example flow serves it). */
const HISTORY_KEY = 'powerHistory';
/** This package as Dashboard 2.0 knows third-party widgets (package.json "node-red-dashboard-2"). */
const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..');
const PACKAGE_NAME = '@evdlm/node-red-dlm';
const BUNDLE = 'dlm-ui2.umd.js';
const NOT_INSTALLED = '@flowfuse/node-red-dashboard not installed';

interface WidgetState {
  config: any;
  history: D.PowerHistory;
}

interface WidgetDef {
  type: string;
  /** The Vue component's name in the bundle (ui2/index.js). */
  component: string;
  view(status: StatusMessage, st: WidgetState): object;
  statusText(status: StatusMessage, st: WidgetState): string;
  /** The one edit topic this widget sends, and its server-side check. */
  edit?: { topic: string; check(payload: unknown, last: StatusMessage | null): D.EditResult };
}

/** A screen of lib/dashboard/screens.ts as this family's widget: the view gets the widget's config and history. */
const screen = (key: ScreenKey): Omit<WidgetDef, 'type' | 'component'> => ({
  view: (s, st) => SCREENS[key].view(s, { config: st.config ?? {}, history: st.history }),
  statusText: (s) => SCREENS[key].statusText(s),
  ...(SCREENS[key].edit ? { edit: SCREENS[key].edit } : {}),
});

const WIDGETS: readonly WidgetDef[] = [
  { type: 'dlm-ui2-plugs', component: 'DlmUi2Plugs', ...screen('plugs') },
  { type: 'dlm-ui2-table', component: 'DlmUi2Table', ...screen('table') },
  { type: 'dlm-ui2-consumption', component: 'DlmUi2Consumption', ...screen('consumption') },
  { type: 'dlm-ui2-boards', component: 'DlmUi2Boards', ...screen('boards') },
  { type: 'dlm-ui2-analyser', component: 'DlmUi2Analyser', ...screen('analyser') },
  { type: 'dlm-ui2-params', component: 'DlmUi2Params', ...screen('params') },
  { type: 'dlm-ui2-schedule', component: 'DlmUi2Schedule', ...screen('schedule') },
  { type: 'dlm-ui2-power', component: 'DlmUi2Power', ...screen('power') },
  { type: 'dlm-ui2-transactions', component: 'DlmUi2Transactions', ...screen('transactions') },
];

/** Is there any Dashboard 2.0 node in the running flows (so the dashboard is installed)? */
function dashboardInFlows(RED: any): boolean {
  let found = false;
  try {
    RED.nodes.eachNode((n: any) => {
      if (n && (n.type === 'ui-base' || n.type === 'ui-page' || n.type === 'ui-group')) found = true;
    });
  } catch {
    /* an older runtime without eachNode: say "not installed", the safer hint */
  }
  return found;
}

/**
 * Dashboard 2.0 finds third-party widgets through the package.json of Node-RED's user directory,
 * but only in dependencies whose name contains "node-red-dashboard-2-" (and through nodesDir).
 * This package's name does not, so when the dashboard has not found our widgets it is told here
 * where the bundle is — the same record it would have made from our package.json.
 */
function announceBundle(group: any, def: WidgetDef): void {
  try {
    const base = typeof group.getBase === 'function' ? group.getBase() : null;
    const contribs = base?.uiShared?.contribs;
    if (contribs && typeof contribs === 'object' && !contribs[def.type]) {
      contribs[def.type] = { package: PACKAGE_NAME, name: def.type, src: BUNDLE, path: PACKAGE_ROOT, component: def.component };
    }
  } catch {
    /* the dashboard's internals changed: it then uses what it found itself */
  }
}

export = function (RED: any) {
  function makeWidget(def: WidgetDef) {
    return function WidgetNode(this: any, config: any) {
      RED.nodes.createNode(this, config);
      const node = this;
      const group = config.group ? RED.nodes.getNode(config.group) : null;
      if (!group || typeof group.register !== 'function') {
        const text = dashboardInFlows(RED) ? 'no dashboard group' : NOT_INSTALLED;
        node.status({ fill: 'red', shape: 'ring', text });
        node.warn(
          text === NOT_INSTALLED
            ? `${NOT_INSTALLED}: install @flowfuse/node-red-dashboard (Dashboard 2.0) and choose a ui-group to show this widget`
            : 'choose a Dashboard 2.0 group (ui-group) for this widget',
        );
        node.on('input', (_msg: any, _send: any, done: () => void) => done());
        return;
      }

      const mode: EditsMode = config.edits === 'open' || config.edits === 'readonly' ? config.edits : 'protected';
      const access = () => editAccess(def.edit ? mode : 'readonly', dashboardProtected(RED.settings));
      const st: WidgetState = { config, history: D.emptyPowerHistory() };
      let last: StatusMessage | null = null;
      let note: { text: string; error: boolean } | null = null;
      let statusText = '';
      const setStatus = (fill: string, text: string) => {
        if (text === statusText) return;
        statusText = text;
        node.status({ fill, shape: fill === 'green' ? 'dot' : 'ring', text });
      };
      const view = () => ({ ...def.view(last!, st), ...(def.edit ? { serverNote: note, access: access() } : {}) });

      // The power history survives restarts when a persistent context store is configured (R-MON-4, R-ERR-2).
      const ready: Promise<void> =
        def.type !== 'dlm-ui2-power'
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              node.context().get(HISTORY_KEY, (err: unknown, saved: unknown) => {
                if (err) node.warn(`could not read the power history: ${String(err)}`);
                else if (D.isPowerHistory(saved)) st.history = saved;
                resolve();
              });
            });

      // Messages from the flow pass this listener first (registered before the dashboard's), so
      // beforeSend below tells them apart from the browser's widget actions, whose objects come
      // fresh from the socket. The payload is remembered too, in case a Dashboard 2.0 plugin's
      // onInput hook hands beforeSend a copy of the message.
      const fromFlow = new WeakSet<object>();
      const isObj = (x: unknown): x is object => x !== null && typeof x === 'object';
      node.on('input', (msg: any) => {
        if (!isObj(msg)) return;
        fromFlow.add(msg);
        if (isObj((msg as any).payload)) fromFlow.add((msg as any).payload);
      });
      const isFromFlow = (msg: any): boolean =>
        msg !== null && typeof msg === 'object' && (fromFlow.has(msg) || (isObj(msg.payload) && fromFlow.has(msg.payload)));

      let base: any = null;
      /** Shows the current view on every open page now and to pages opened later. */
      const publish = () => {
        if (!last || !base) return;
        const out = { payload: view() };
        try {
          base.stores?.data?.save?.(base, node, out);
          base.emit?.('msg-input:' + node.id, out, node);
        } catch (e) {
          node.warn(`could not update the dashboard: ${String((e as Error)?.message ?? e)}`);
        }
      };

      /** A status from the flow → the view model the Vue component shows (R-ERR-1: anything else refused). */
      async function fromStatus(msg: any): Promise<object> {
        const unsafe = messageProblem(msg);
        if (unsafe) {
          setStatus('red', 'bad status message');
          throw new Error(boundedText(`not a balancer status: ${unsafe}`));
        }
        const problems = D.statusProblems(msg.payload);
        if (problems.length) {
          setStatus('red', 'bad status message');
          throw new Error(boundedText(`not a balancer status: ${problems.join('; ')}`));
        }
        await take(msg.payload as StatusMessage);
        return { payload: view() };
      }

      /** A status, checked (above) or straight from the joined balancer (trusted, read-only): the widget's state and node status. */
      async function take(status: StatusMessage): Promise<void> {
        await ready;
        last = status;
        if (def.type === 'dlm-ui2-power') {
          const h = D.addPowerSample(st.history, status.power, status.timestamp);
          if (h !== st.history) {
            st.history = h;
            node.context().set(HISTORY_KEY, h, (err: unknown) => {
              if (err) node.warn(`could not store the power history: ${String(err)}`);
            });
          }
        }
        setStatus('green', def.statusText(status, st));
      }

      /** An edit from the browser: authorised, checked with the balancer's rules, then sent (or refused to a Catch node). */
      function fromBrowser(msg: any): object | null {
        // Untrusted (R-SEC-3): checked by lib/guard before anything reads, copies or prints it.
        const unsafe = messageProblem(msg);
        const refuse = (reason: string) => {
          const text = boundedText(reason);
          note = { text, error: true };
          setStatus('red', text.slice(0, 60));
          node.error(text, unsafe ? { topic: def.edit!.topic } : { topic: msg.topic, payload: msg.payload });
          setImmediate(publish);
          return null;
        };
        if (!def.edit || !msg || typeof msg !== 'object' || msg.topic !== def.edit.topic) return null; // nothing else leaves a widget
        if (unsafe) return refuse(`${def.edit.topic} edit refused: ${unsafe}`);
        const a = access();
        if (!a.allowed) return refuse(`${def.edit.topic} edit refused: ${a.reason}`);
        const r = def.edit.check(msg.payload, last);
        if (!r.ok) return refuse(r.error);
        note = null;
        node.log(`${def.edit.topic} edit from the dashboard: ${JSON.stringify(r.msg.payload)}`);
        setImmediate(publish);
        return r.msg;
      }

      const evts = {
        onAction: true,
        beforeSend: async (msg: any) => (isFromFlow(msg) ? fromStatus(msg) : fromBrowser(msg)),
      };
      // Not forwarded: a widget's output carries only its edits. Dashboard 2.0 sets msg.topic of a
      // widget action from the widget's topic property: "msg.topic" keeps the topic the page sent.
      const props = {
        ...config,
        passthru: false,
        topic: 'topic',
        topicType: 'msg',
        width: String(config.width ?? 0),
        height: String(config.height ?? 0),
      };
      announceBundle(group, def);
      group.register(node, props, evts);
      try {
        base = group.getBase();
      } catch {
        base = null;
      }
      setStatus('grey', 'waiting for the balancer status');
      // Issue 13: joined to a balancer, the widget gets its status directly (no wire, no copy).
      if (typeof config.balancer === 'string' && config.balancer !== '') {
        let closed = false;
        const leave = joinStatus(config.balancer, (status) => {
          void take(status).then(() => {
            if (!closed) publish();
          });
        });
        node.on('close', () => {
          closed = true;
          leave();
        });
      }
    };
  }

  for (const def of WIDGETS) RED.nodes.registerType(def.type, makeWidget(def));
};
