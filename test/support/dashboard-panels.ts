/**
 * Test support (issue 14): every dashboard panel as the browser shows it and as /dlm/status says
 * it should be. Both widget families render the same view models (lib/dashboard.ts) with the same
 * class names (.dlm-plugs tr.dlm-plug, .dlm-table tr[data-row], …), so one reader and one
 * expectation per panel serve the node-red-dashboard 3 and the Dashboard 2.0 browser tests.
 * The expectations are written from the status fields directly (not through lib/dashboard), so a
 * wrong view model fails them.
 */
import { amps, dateTime, kw, num, plugIdText, STATE_NAMES } from '../../lib/dashboard/dashboard';
import { PARAM_SPECS } from '../../lib/shared/params';
import type { Phase, StatusMessage } from '../../lib/shared/types';

export const PHASES: Phase[] = ['L1', 'L2', 'L3'];

export interface Panel {
  what: string;
  /** A selector that is there once the panel shows a status. */
  ready: string;
  read(page: any): Promise<unknown>;
  expected(s: StatusMessage): unknown;
}

const texts = (page: any, sel: string): Promise<string[]> =>
  page.$$eval(sel, (els: Element[]) => els.map((e) => (e.textContent ?? '').trim()));
/** Rows of a widget table as {label: cells}. */
const labelledRows = (page: any, sel: string): Promise<Record<string, string[]>> =>
  page.$$eval(sel, (trs: Element[]) =>
    Object.fromEntries(
      trs.map((tr) => {
        const tds = Array.from(tr.querySelectorAll('td'));
        return [tr.getAttribute('data-row'), tds.slice(1).map((td) => td.textContent!.trim())];
      }),
    ),
  );

export const CONSUMPTION: Panel = {
  what: 'consumption per phase',
  ready: '.dlm-consumption tbody tr[data-row]',
  read: async (page) => ({
    rows: await labelledRows(page, '.dlm-consumption tbody tr[data-row]'),
    bars: await texts(page, '.dlm-phasebar > div:first-child'),
  }),
  expected: (s) => {
    const c = (f: (ph: Phase) => number) => PHASES.map((ph) => num(f(ph)));
    return {
      rows: {
        'MCCB MAX. CURRENT (A)': c((ph) => s.consumption[ph]!.mccbA),
        'CURRENT LIMIT (A)': c((ph) => s.consumption[ph]!.limitA),
        'TOTAL CONSUMPTION (A)': c((ph) => s.consumption[ph]!.totalA),
        'BUILDING CONSUMPTION (A)': c((ph) => s.consumption[ph]!.buildingA),
        'EV CONSUMPTION (A)': c((ph) => s.consumption[ph]!.evA),
        'EV SETPOINTS (A)': c((ph) => s.consumption[ph]!.evSetpointA),
        'RESERVED, OFFLINE CPs (A)': c((ph) => s.consumption[ph]!.reservedA),
        'IF NODE-RED STOPS (A)': c((ph) => s.fallback.phases[ph]!.totalA), // R-SEC-4
      },
      bars: PHASES.map((ph) => {
        const x = s.consumption[ph]!;
        return `${ph}: ${amps(x.totalA)} of ${amps(x.limitA)} limit (${num((x.totalA / x.limitA) * 100, 0)} %)${x.totalA > x.limitA ? ' OVER THE LIMIT' : ''}`;
      }),
    };
  },
};

export const PLUGS: Panel = {
  what: 'plug status',
  ready: '.dlm-plugs tr.dlm-plug',
  read: (page) =>
    page.$$eval('.dlm-plugs tr.dlm-plug', (trs: Element[]) =>
      trs.map((tr) => ({
        id: tr.querySelector('.dlm-id')!.textContent!.trim(),
        status: tr.querySelector('.dlm-status')!.textContent!.trim(),
        setpoint: tr.querySelector('.dlm-setpoint')!.textContent!.trim(),
        measured: tr.querySelector('.dlm-measured')!.textContent!.trim(),
        plate: tr.querySelector('.dlm-plate')!.textContent!,
        vehicle: tr.querySelector('.dlm-ev')!.getAttribute('title'),
      })),
    ),
  expected: (st) =>
    [...st.plugs]
      .sort((a, b) => a.id - b.id)
      .map((p) => ({
        id: plugIdText(p.id),
        status: p.status === 'ERR_CFG' ? 'ERR. CFG' : p.status,
        setpoint: amps(p.setpointA),
        measured: amps(p.measuredA),
        plate: p.plate,
        vehicle: `${p.priority ? 'Priority' : 'Non-priority'} · ${p.pluggedIn ? 'plugged in' : 'not plugged in'}`,
      })),
};

export const TABLE: Panel = {
  what: 'the table per phases',
  ready: '.dlm-table tr[data-row]',
  read: async (page) => ({
    groups: await texts(page, '.dlm-table th.dlm-group'),
    rows: await labelledRows(page, '.dlm-table tr[data-row]'),
  }),
  expected: (s) => {
    const groups = s.priorityActive ? (['PRIORITY', 'NORMAL'] as const) : (['ALL'] as const);
    const cols = groups.flatMap((g) => PHASES.map((ph) => s.table[g]![ph]!));
    const id = (n: number) => (n === 0 ? '0 (none)' : plugIdText(n));
    return {
      groups: [...groups],
      rows: {
        STATE: cols.map((r) => `${r.state}${STATE_NAMES[r.state]}`),
        'MAX. ALLOWED PLUGS': cols.map((r) => String(r.maxAllowed)),
        CHARGING: cols.map((r) => String(r.charging)),
        PAUSED: cols.map((r) => String(r.paused)),
        'TOTAL PLUGS': cols.map((r) => String(r.total)),
        'AVAILABLE CURRENT (A)': cols.map((r) => num(r.availableA)),
        'SHARED CURRENT (A)': cols.map((r) => num(r.sharedA)),
        'NEXT ALLOWED PLUG': cols.map((r) => id(r.nextAllowed)),
        'NEXT PAUSED PLUG': cols.map((r) => id(r.nextPaused)),
      },
    };
  },
};

export const ANALYSER: Panel = {
  what: 'the analyser',
  ready: '.dlm-analyser tr[data-row]',
  read: async (page) => ({
    status: (await page.textContent('.dlm-an-status'))!.trim(),
    offline: (await page.textContent('.dlm-an-offline'))!.trim(),
    margin: (await page.textContent('.dlm-an-margin'))!.trim(),
    rows: await page.$$eval('.dlm-analyser tr[data-row]', (trs: Element[]) =>
      Object.fromEntries(
        trs.map((tr) => [tr.getAttribute('data-row'), Array.from(tr.querySelectorAll('td.dlm-num')).map((td) => td.textContent!.trim())]),
      ),
    ),
  }),
  expected: (s) => {
    const a = s.analyser;
    const c = (m: Partial<Record<Phase, number>>) => PHASES.map((ph) => num(m[ph]!));
    return {
      status: a.enabled
        ? a.online
          ? 'ON: reading'
          : `OFFLINE: building assumed at ${amps(a.offlineCurrentA)} per phase`
        : 'DISABLED: supply dedicated to EVs, building taken as 0 A',
      offline: amps(a.offlineCurrentA),
      margin: `${num(a.marginPct)} %`,
      rows: {
        'REALTIME CURRENT (A)': c(a.realtimeA),
        'AVERAGE CURRENT (A)': c(a.averageA),
        'CURRENT USED (A)': c(a.usedA),
        'CURRENT LIMIT (A)': c(a.limitA),
        'WORKING LIMIT (A)': c(a.workingLimitA),
      },
    };
  },
};

export const SCHEDULE: Panel = {
  what: 'the schedule',
  ready: '.dlm-slot',
  read: async (page) => ({
    on: (await page.getAttribute('.dlm-sched-on', 'class')).includes('dlm-primary'),
    slots: await page.$$eval('.dlm-slot', (els: Element[]) => els.map((e) => e.classList.contains('dlm-on'))),
    labels: (await texts(page, '.dlm-slot')).map((t) => t.slice(0, 9)),
  }),
  expected: (st) => ({
    on: st.schedule.enabled,
    slots: st.schedule.slots,
    labels: st.schedule.slots.map((_x, h) => `${String(h).padStart(2, '0')}h - ${String((h + 1) % 24).padStart(2, '0')}h`),
  }),
};

export const PARAMS: Panel = {
  what: 'the parameters',
  ready: '.dlm-params tr[data-key]',
  read: (page) =>
    page.$$eval('.dlm-params tr[data-key]', (trs: Element[]) =>
      trs.map((tr) => [tr.getAttribute('data-key'), tr.querySelector('.dlm-now')!.textContent!.trim()]),
    ),
  expected: (st) =>
    PARAM_SPECS.map((spec) => {
      const v = (st.params as unknown as Record<string, unknown>)[spec.key];
      const text =
        spec.type === 'boolean'
          ? v
            ? 'ON'
            : 'OFF'
          : spec.key === 'supplyPhases'
            ? v === 1
              ? 'single-phase (L1)'
              : 'three-phase (L1 L2 L3)'
            : `${v}${spec.unit ? ' ' + spec.unit : ''}`;
      return [spec.key, text];
    }),
};

export const POWER: Panel = {
  what: 'the power figures',
  ready: '.dlm-power .dlm-kpi',
  read: (page) =>
    page.$$eval('.dlm-power .dlm-kpi', (els: Element[]) =>
      els.map((e) => [e.getAttribute('data-kpi'), e.querySelector('b')!.textContent!.trim()]),
    ),
  expected: (s) => [
    ['Building', kw(s.power.buildingW)],
    ['EV', kw(s.power.evW)],
    ['Total', kw(s.power.totalW)],
    ['Contracted', kw(s.power.contractedW)],
  ],
};

export const TRANSACTIONS: Panel = {
  what: 'the sessions',
  ready: '.dlm-transactions .dlm-tx',
  read: (page) =>
    page.$$eval('.dlm-transactions tr.dlm-tx', (trs: Element[]) =>
      trs.map((tr) =>
        Array.from(tr.querySelectorAll('td'))
          .slice(0, 5)
          .map((td) => td.textContent!.trim()),
      ),
    ),
  expected: (st) =>
    [...st.transactions]
      .sort((a, b) => ((a.stop === null) !== (b.stop === null) ? (a.stop === null ? -1 : 1) : b.start - a.start || a.plugId - b.plugId))
      .slice(0, 50)
      .map((t) => [
        plugIdText(t.plugId),
        `${t.chargePoint} ${t.letter}`,
        t.plate,
        dateTime(t.start, st.schedule.timeZone),
        t.stop === null ? 'plugged in' : dateTime(t.stop, st.schedule.timeZone),
      ]),
};

/** Issue 11: a plug's wiring as the plug rows show it (R-3PH-1, R-3PH-3), written from the status fields. */
export function wiringText(p: { phase: Phase | null; phases?: 1 | 3; lines?: Phase[]; drawLines?: Phase[] }): string {
  const three = p.phases === 3;
  const lines = p.lines && p.lines.length ? p.lines : !three && p.phase ? [p.phase] : [];
  const drawn = p.lines && p.lines.length && p.drawLines ? p.drawLines : lines;
  const fewer = lines.length > 0 && drawn.length < lines.length;
  return `${three ? '3φ' : '1φ'} ${lines.length ? lines.join(' ') : 'phase not set'}${fewer ? ` → drawing ${drawn.join(' ')}` : ''}`;
}

/** Issue 11: every plug row's wiring (1φ / 3φ, lines wired and drawn) and, when the site has sub-boards, its board. */
export const PLUG_WIRING: Panel = {
  what: 'plug wiring and board',
  ready: '.dlm-plugs tr.dlm-plug .dlm-wiring',
  read: (page) =>
    page.$$eval('.dlm-plugs tr.dlm-plug', (trs: Element[]) =>
      trs.map((tr) => [
        tr.querySelector('.dlm-id')!.textContent!.trim(),
        tr.querySelector('.dlm-wiring')!.getAttribute('title'),
        tr.querySelector('.dlm-board-of')?.textContent!.trim() ?? null,
      ]),
    ),
  expected: (st) => {
    const boards = Array.isArray(st.boards) ? st.boards : [];
    const showBoards = boards.length > 1 || st.plugs.some((p) => p.board && p.board !== 'site');
    return [...st.plugs].sort((a, b) => a.id - b.id).map((p) => [plugIdText(p.id), wiringText(p), showBoards ? p.board || 'site' : null]);
  },
};

/**
 * Issue 11 (R-CIRC-2, R-UNB-1): the boards widget — per board its name, depth, meter and charge
 * points, per line limit, working limit, non-EV, EV, reserved, load and headroom (negative red) —
 * and the unbalance line, written from `status.boards` / `status.unbalance` directly.
 */
export const BOARDS: Panel = {
  what: 'the boards',
  ready: '.dlm-boards',
  read: async (page) => ({
    unbalance: await page.$$eval('.dlm-boards .dlm-unbalance', (els: Element[]) => (els.length ? els[0].textContent!.trim() : null)),
    boards: await page.$$eval('.dlm-boards tbody.dlm-board', (tbs: Element[]) =>
      tbs.map((tb) => ({
        name: tb.getAttribute('data-board'),
        depth: tb.getAttribute('data-depth'),
        meter: tb.querySelector('.dlm-board-meter')!.textContent!.trim(),
        chargePoints: tb.querySelector('.dlm-board-cps')!.textContent!.trim(),
        lines: Array.from(tb.querySelectorAll('tr.dlm-board-line')).map((tr) => [
          tr.getAttribute('data-phase'),
          ...Array.from(tr.querySelectorAll('td.dlm-num')).map((td) => td.textContent!.trim()),
          tr.querySelector('td.dlm-headroom')!.classList.contains('dlm-over') ? 'red' : '',
        ]),
      })),
    ),
  }),
  expected: (s) => {
    const u = s.unbalance;
    return {
      unbalance: u
        ? `Unbalance at the site: ${amps(u.spreadA)} between the most and least loaded line, limit ${amps(u.limitA)}${u.ok ? '' : ' — OVER THE LIMIT'}`
        : null,
      boards: (s.boards ?? []).map((b) => ({
        name: b.name,
        depth: String(b.depth),
        meter:
          b.parent === null
            ? !s.analyser.enabled
              ? 'analyser disabled'
              : b.meter?.online
                ? 'analyser online'
                : 'analyser OFFLINE'
            : b.meter
              ? b.meter.online
                ? 'meter online'
                : 'meter OFFLINE'
              : 'no meter',
        chargePoints: `${b.chargePoints} charge point${b.chargePoints === 1 ? '' : 's'}`,
        lines: PHASES.map((ph) => [
          ph,
          num(b.limitA),
          num(b.workingLimitA),
          num(b.otherA[ph]!),
          num(b.evA[ph]!),
          num(b.reservedA[ph]!),
          num(b.loadA[ph]!),
          num(b.headroomA[ph]!),
          Math.round(b.headroomA[ph]! * 10) / 10 < 0 ? 'red' : '',
        ]),
      })),
    };
  },
};

/** The sub-board the e2e tests add to the running example (issue 11): 32 A on the site, no meter, 4 A assumed. */
export const E2E_BOARD = { name: 'Garage', parent: 'site', limitA: 32, marginPct: null, hasMeter: false, otherLoadA: 4 };

/**
 * Redeploys the running example (Node-RED admin API, full deploy) with one sub-board in the
 * balancer (`boards`, docs/design-11: JSON text of BoardConfig[]) and charge point CP01 on it with
 * plug A three-phase (`board`, `phasesA`, `rotation`) — what an integrator does in the editor.
 */
export async function deployWithSubBoard(url: string): Promise<void> {
  const res = await fetch(`${url}/flows`);
  if (res.status !== 200) throw new Error(`GET /flows: HTTP ${res.status}`);
  const flows = (await res.json()) as any[];
  const balancer = flows.find((n) => n.type === 'dlm-balancer');
  const cp = flows.find((n) => n.type === 'charge-point' && n.name === 'CP01');
  if (!balancer || !cp) throw new Error('the example has no dlm-balancer or no CP01');
  balancer.boards = JSON.stringify([E2E_BOARD]);
  Object.assign(cp, { board: E2E_BOARD.name, phasesA: 3, rotation: 'RST' });
  const post = await fetch(`${url}/flows`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
    body: JSON.stringify(flows),
  });
  if (post.status !== 204 && post.status !== 200) throw new Error(`POST /flows: HTTP ${post.status}`);
}
