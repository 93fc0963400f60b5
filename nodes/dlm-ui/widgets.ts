/**
 * The widget table: the eight dashboard widgets of the manual's chapter 7 (issue 6, SPEC §8
 * R-MON-1..5). Each is a template (templates/<template>.html), an optional browser controller
 * (browser/index.ts), a view of the balancer status (lib/dashboard), the node's status text, and
 * for the editable ones the edit topic with its server-side check. A widget that keeps more than
 * the last status between messages says so with `keep` (the power graphs' history).
 */
import * as D from '../../lib/dashboard/dashboard';
import type { SiteParams, StatusMessage } from '../../lib/shared/types';

/** Default link of the transactions widget (the example flow serves it). */
const DEFAULT_CSV_URL = '/dlm/transactions.csv';

/** What a keeper needs of the Node-RED node: its context store and a warning. */
export interface KeeperNode {
  context(): {
    get(key: string, cb: (err: unknown, value: unknown) => void): void;
    set(key: string, value: unknown, cb: (err: unknown) => void): void;
  };
  warn(text: string): void;
}

/** State a widget keeps between statuses, and how it survives a restart. */
export interface Keeper<S> {
  /** The state of a new node. */
  initial(): S;
  /** The stored state, if there is a usable one (read when the node starts; statuses wait for it). */
  restore(node: KeeperNode): Promise<S | undefined>;
  /** The state after a status: the same object when nothing changed. */
  next(state: S, status: StatusMessage): S;
  /** Stores a changed state. */
  persist(node: KeeperNode, state: S): void;
}

export interface WidgetDef<S = undefined> {
  type: string;
  /** templates/<template>.html */
  template: string;
  /** The browser controller beside the relayout every widget has (browser/index.ts CONTROLLERS). */
  controller?: 'plugs' | 'params' | 'schedule';
  keep?: Keeper<S>;
  view(status: StatusMessage, w: { config: any; state: S }): unknown;
  statusText(status: StatusMessage): string;
  /** The one edit topic this widget sends, and its server-side check. */
  edit?: { topic: string; check(payload: unknown, last: StatusMessage | null): D.EditResult };
}

const HISTORY_KEY = 'powerHistory';

/** The power graphs' history survives restarts when a persistent context store is configured (R-MON-4, R-ERR-2). */
const powerHistory: Keeper<D.PowerHistory> = {
  initial: D.emptyPowerHistory,
  restore: (node) =>
    new Promise((resolve) => {
      node.context().get(HISTORY_KEY, (err, saved) => {
        if (err) node.warn(`could not read the power history: ${String(err)}`);
        resolve(!err && D.isPowerHistory(saved) ? saved : undefined);
      });
    }),
  next: (history, s) => D.addPowerSample(history, s.power, s.timestamp),
  persist: (node, history) =>
    node.context().set(HISTORY_KEY, history, (err) => {
      if (err) node.warn(`could not store the power history: ${String(err)}`);
    }),
};

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

/** A widget with state: its view and keeper agree on the state's type. */
const withState = <S>(def: WidgetDef<S>): WidgetDef<any> => def;

export const WIDGETS: readonly WidgetDef<any>[] = [
  {
    type: 'dlm-ui-plugs',
    template: 'plugs',
    controller: 'plugs',
    view: (s) => D.plugsView(s),
    statusText: (s) => `${plural(s.plugs.length, 'plug')}, ${s.plugs.filter((p) => p.status === 'CHARGING').length} charging`,
    edit: { topic: 'plate', check: (payload, last) => D.plateEdit(last, payload) },
  },
  {
    type: 'dlm-ui-table',
    template: 'table',
    view: (s) => D.tableView(s),
    statusText: (s) => (s.priorityActive ? 'PRIORITY / NORMAL' : 'ALL'),
  },
  {
    type: 'dlm-ui-consumption',
    template: 'consumption',
    view: (s) => D.consumptionView(s),
    statusText: (s) =>
      D.phasesOf(s)
        .map((ph) => `${ph} ${D.amps(s.consumption[ph]!.totalA, 0)}`)
        .join(' '),
  },
  {
    type: 'dlm-ui-analyser',
    template: 'analyser',
    view: (s) => D.analyserView(s),
    statusText: (s) => (!s.analyser.enabled ? 'analyser disabled' : s.analyser.online ? 'analyser online' : 'analyser OFFLINE'),
  },
  {
    type: 'dlm-ui-params',
    template: 'params',
    controller: 'params',
    view: (s) => D.paramsView(s.params),
    statusText: (s) => `MCCB ${s.params.mccbA} A, ${s.params.contractedKW} kW`,
    edit: {
      topic: 'params',
      check: (payload, last) =>
        D.paramsEdit(last ? (last.params as SiteParams) : null, payload, last?.deployedParams as SiteParams | undefined),
    },
  },
  {
    type: 'dlm-ui-schedule',
    template: 'schedule',
    controller: 'schedule',
    view: (s) => D.scheduleView(s),
    statusText: (s) => (s.schedule.enabled ? `ON, ${s.schedule.slots.filter(Boolean).length} h` : 'OFF'),
    edit: { topic: 'schedule', check: (payload) => D.scheduleEdit(payload) },
  },
  withState<D.PowerHistory>({
    type: 'dlm-ui-power',
    template: 'power',
    keep: powerHistory,
    view: (s, w) => D.powerView(s, w.state),
    statusText: (s) => `${D.kw(s.power.totalW, 1)} of ${D.kw(s.power.contractedW, 0)}`,
  }),
  {
    type: 'dlm-ui-transactions',
    template: 'transactions',
    view: (s, w) => ({
      ...D.transactionsView(s, Number(w.config.maxRows) > 0 ? Number(w.config.maxRows) : 50),
      csvUrl: D.safeLink(w.config.csvUrl === undefined ? DEFAULT_CSV_URL : w.config.csvUrl),
    }),
    statusText: (s) => `${plural(s.transactions.filter((t) => t.stop === null).length, 'open session')}`,
  },
];
