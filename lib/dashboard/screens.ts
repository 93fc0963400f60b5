/**
 * The manual's eight screens (SPEC §8, R-MON-1..5) and the boards screen (SPEC §10, R-CIRC-2, R-UNB-1) as both widget families show them: for each,
 * the view model of a status, the node's short status text and the one edit it may send with its
 * server-side check. nodes/dlm-ui (node-red-dashboard 3) and nodes/dlm-ui2 (Dashboard 2.0) add only
 * how their dashboard draws it (template or Vue component), so a screen changes in one place.
 */
import * as D from './dashboard';
import { TRANSACTION_ROWS_DEFAULT } from '../shared/params';
import type { SiteParams, StatusMessage } from '../shared/types';

/** What a screen's view may use besides the status: the widget's editor config and the power history. */
export interface ScreenContext {
  config: Record<string, unknown>;
  history?: D.PowerHistory;
}

export interface Screen {
  view(status: StatusMessage, ctx: ScreenContext): object;
  statusText(status: StatusMessage): string;
  /** The one edit topic the screen sends, and its server-side check. */
  edit?: { topic: 'plate' | 'params' | 'schedule'; check(payload: unknown, last: StatusMessage | null): D.EditResult };
}

export type ScreenKey = 'plugs' | 'table' | 'consumption' | 'boards' | 'analyser' | 'params' | 'schedule' | 'power' | 'transactions';

/** The transactions screen's CSV link when the editor leaves it empty (the package's own API). */
export const DEFAULT_CSV_URL = '/dlm/transactions.csv';

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

export const SCREENS: Readonly<Record<ScreenKey, Screen>> = Object.freeze({
  plugs: {
    view: (s) => D.plugsView(s),
    statusText: (s) => `${plural(s.plugs.length, 'plug')}, ${s.plugs.filter((p) => p.status === 'CHARGING').length} charging`,
    edit: { topic: 'plate', check: (payload, last) => D.plateEdit(last, payload) },
  },
  table: {
    view: (s) => D.tableView(s),
    statusText: (s) => (s.priorityActive ? 'PRIORITY / NORMAL' : 'ALL'),
  },
  consumption: {
    view: (s) => D.consumptionView(s),
    statusText: (s) =>
      D.phasesOf(s)
        .map((ph) => `${ph} ${D.amps(s.consumption[ph]!.totalA, 0)}`)
        .join(' '),
  },
  boards: {
    view: (s) => D.boardsView(s),
    statusText: (s) => {
      const v = D.boardsView(s);
      if (!v.boards.length) return 'no board figures';
      const over = v.overCount ? `, ${v.overCount} over` : ', within limits';
      return `${plural(v.boards.length, 'board')}${over}${v.unbalance && !v.unbalance.ok ? ', unbalance over' : ''}`;
    },
  },
  analyser: {
    view: (s) => D.analyserView(s),
    statusText: (s) => (!s.analyser.enabled ? 'analyser disabled' : s.analyser.online ? 'analyser online' : 'analyser OFFLINE'),
  },
  params: {
    view: (s) => D.paramsView(s.params),
    statusText: (s) => `MCCB ${s.params.mccbA} A, ${s.params.contractedKW} kW`,
    // Checked against the current parameters and the deployed ceiling (R-MON-3, R-SEC-2).
    edit: {
      topic: 'params',
      check: (payload, last) =>
        D.paramsEdit(last ? (last.params as SiteParams) : null, payload, last?.deployedParams as SiteParams | undefined),
    },
  },
  schedule: {
    view: (s) => D.scheduleView(s),
    statusText: (s) => (s.schedule.enabled ? `ON, ${s.schedule.slots.filter(Boolean).length} h` : 'OFF'),
    edit: { topic: 'schedule', check: (payload) => D.scheduleEdit(payload) },
  },
  power: {
    view: (s, ctx) => D.powerView(s, ctx.history ?? D.emptyPowerHistory()),
    statusText: (s) => `${D.kw(s.power.totalW, 1)} of ${D.kw(s.power.contractedW, 0)}`,
  },
  transactions: {
    view: (s, ctx) => ({
      ...D.transactionsView(s, Number(ctx.config.maxRows) > 0 ? Number(ctx.config.maxRows) : TRANSACTION_ROWS_DEFAULT),
      csvUrl: D.safeLink(ctx.config.csvUrl === undefined ? DEFAULT_CSV_URL : ctx.config.csvUrl),
    }),
    statusText: (s) => `${plural(s.transactions.filter((t) => t.stop === null).length, 'open session')}`,
  },
} satisfies Record<ScreenKey, Screen>);
