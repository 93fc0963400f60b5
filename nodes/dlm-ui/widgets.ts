/**
 * The widget table: the eight dashboard widgets of the manual's chapter 7 (issue 6, SPEC §8
 * R-MON-1..5). Each is a template (templates/<template>.html), an optional browser controller
 * (browser/index.ts), a view of the balancer status (lib/dashboard), the node's status text, and
 * for the editable ones the edit topic with its server-side check. A widget that keeps more than
 * the last status between messages says so with `keep` (the power graphs' history).
 */
import * as D from '../../lib/dashboard/dashboard';
import { SCREENS, type ScreenKey } from '../../lib/dashboard/screens';
import type { StatusMessage } from '../../lib/shared/types';

/** Default link of the transactions widget (the example flow serves it). */

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

/** A widget with state: its view and keeper agree on the state's type. */
const withState = <S>(def: WidgetDef<S>): WidgetDef<any> => def;

/** A screen of lib/dashboard/screens.ts as this family's widget: the view gets the widget's config and state. */
const screen = (key: ScreenKey) => ({
  view: (s: StatusMessage, w: { config: any; state: unknown }) =>
    SCREENS[key].view(s, { config: w.config ?? {}, history: key === 'power' ? (w.state as D.PowerHistory) : undefined }),
  statusText: SCREENS[key].statusText,
  ...(SCREENS[key].edit ? { edit: SCREENS[key].edit } : {}),
});

export const WIDGETS: readonly WidgetDef<any>[] = [
  { type: 'dlm-ui-plugs', template: 'plugs', controller: 'plugs', ...screen('plugs') },
  { type: 'dlm-ui-table', template: 'table', ...screen('table') },
  { type: 'dlm-ui-consumption', template: 'consumption', ...screen('consumption') },
  { type: 'dlm-ui-boards', template: 'boards', ...screen('boards') },
  { type: 'dlm-ui-analyser', template: 'analyser', ...screen('analyser') },
  { type: 'dlm-ui-params', template: 'params', controller: 'params', ...screen('params') },
  { type: 'dlm-ui-schedule', template: 'schedule', controller: 'schedule', ...screen('schedule') },
  withState<D.PowerHistory>({ type: 'dlm-ui-power', template: 'power', keep: powerHistory, ...screen('power') }),
  { type: 'dlm-ui-transactions', template: 'transactions', ...screen('transactions') },
];
