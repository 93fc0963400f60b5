/**
 * End to end (issue 6): the dashboard of the example site, in a REAL browser, against the RUNNING
 * example. tools/start.js is forked exactly as `npm start` runs it (CVM-MINI simulator over Modbus
 * TCP, a real Node-RED 4 with node-red-dashboard 3 and examples/15-charge-point-site.json: 15
 * charge points with simulated chargers and vehicles, the balancer, the priority schedule, the
 * nine dlm-ui widgets on four dashboard tabs). Debian's Chromium, driven by playwright-core, opens
 * /ui and:
 *  - finds every panel and checks its numbers against GET /dlm/status read at the same moment
 *    (a page read is accepted when it equals the status read just before AND just after it, so a
 *    status update between the reads cannot make it pass or fail by chance);
 *  - changes plates from the page (an empty one refused in the page) and sees them in /dlm/status
 *    and back in the page; a hostile plate `<img src=x onerror=alert(1)>` is literal text, no dialog;
 *  - refuses bad parameters (in the page, and on the server with the reason shown), applies a good
 *    one and sees it in /dlm/status;
 *  - turns the priority schedule OFF, then ON with the current local hour marked, from the page,
 *    and sees the balancer change behaviour: status.priorityActive, the PRIORITY / NORMAL table,
 *    and the priority plugs' setpoints rising above the normal plugs of their phase;
 *  - saves a screenshot of every screen (tab) to test-output/screenshots/.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import {
  addPowerSample,
  amps,
  dateTime,
  emptyPowerHistory,
  kw,
  num,
  plugIdText,
  STATE_NAMES,
  type PowerHistory,
} from '../../lib/dashboard/dashboard';
import { PARAM_SPECS } from '../../lib/shared/params';
import type { Phase, PlugView, StatusMessage } from '../../lib/shared/types';
import { freePort, REPO_ROOT, waitFor } from '../support/node-red-runner';
import { startSite, type RunningSite } from '../support/demo-site';
import { BOARDS, deployWithSubBoard, E2E_BOARD, PLUG_WIRING, type Panel } from '../support/dashboard-panels';

const CHROMIUM = process.env.DLM_CHROMIUM || '/usr/bin/chromium';
const EXAMPLE = path.join(REPO_ROOT, 'examples', '15-charge-point-site.json');
const SHOTS = path.join(REPO_ROOT, 'test-output', 'screenshots');
const XSS = '<img src=x onerror=alert(1)>';
const PHASES: Phase[] = ['L1', 'L2', 'L3'];
const WIDGET_TYPES = [
  'dlm-ui-analyser',
  'dlm-ui-boards',
  'dlm-ui-consumption',
  'dlm-ui-params',
  'dlm-ui-plugs',
  'dlm-ui-power',
  'dlm-ui-schedule',
  'dlm-ui-table',
  'dlm-ui-transactions',
];
/** The dashboard tabs of the example, in menu order (examples/build-15-charge-point-site.js). */
const TAB = { site: 0, loadManagement: 1, power: 2, transactions: 3 };
const VIEWPORT = { width: 1400, height: 900 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The power widget's history as Node-RED's localfilesystem context store keeps it, as a previous
 * run of the site would have left it: the 24 h before `until`, one reading a minute (an office-hours
 * building load, EV charging in the evening), through the widget's own downsampling (R-MON-4, R-ERR-2).
 */
function storedHistory(until: number): PowerHistory {
  let h = emptyPowerHistory();
  for (let t = until - 24 * 3600_000 + 60_000; t <= until; t += 60_000) {
    const hour = new Date(t).getUTCHours();
    const buildingW = Math.round(9000 * (hour >= 7 && hour < 18 ? 1 : 0.25) + 1500 * Math.sin(t / 900_000));
    const evW = hour >= 17 || hour < 1 ? 18000 : hour >= 7 && hour < 16 ? 9000 : 2000;
    h = addPowerSample(h, { buildingW, evW, totalW: buildingW + evW, contractedW: 36000 }, t);
  }
  return h;
}

/** The site time zone's hour of `t` (0..23). */
function localHour(t: number, timeZone: string): number {
  return Number(new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' }).format(new Date(t)));
}

/** The priority plug of a phase and the highest setpoint of the normal plugs of that phase. */
function priorityEdge(s: StatusMessage, ph: Phase): { prio: PlugView; prioA: number; maxNormalA: number } {
  const onPhase = s.plugs.filter((p) => p.phase === ph && p.status !== 'DISABLED');
  const prio = onPhase.find((p) => p.priority)!;
  return { prio, prioA: prio.setpointA, maxNormalA: Math.max(0, ...onPhase.filter((p) => !p.priority).map((p) => p.setpointA)) };
}

describe('dashboard of the example site in a real browser, against the running site (issue 6, R-MON-1..5, R-CP-4, R-CP-6, R-PRIO-1/2, R-ERR-1)', function () {
  this.timeout(60_000);
  let site: RunningSite | null = null;
  let dir = '';
  let context: any = null;
  let page: any = null;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  const getStatus = async (): Promise<StatusMessage> => {
    const res = await fetch(site!.url + '/dlm/status');
    assert.equal(res.status, 200, `GET /dlm/status: HTTP ${res.status}`);
    return (await res.json()) as StatusMessage;
  };

  /**
   * Reads a panel from the page and compares it with /dlm/status read just before and just after:
   * accepted when both API reads give the same expected panel and the page shows exactly that.
   * The page follows the balancer's status output (at most one update a second), so it retries
   * until a quiet moment; it fails with the last difference. Returns the matching status.
   */
  async function pageMatchesStatus<T>(
    what: string,
    readPage: () => Promise<T>,
    expected: (s: StatusMessage) => T,
    timeoutMs = 20_000,
  ): Promise<StatusMessage> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const before = await getStatus();
      const shown = await readPage();
      const after = await getStatus();
      const want = expected(after);
      if (isDeepStrictEqual(expected(before), want) && isDeepStrictEqual(shown, want)) return after;
      if (Date.now() > until) assert.deepEqual(shown, want, `${what}: the page never showed what /dlm/status said`);
      await sleep(250);
    }
  }

  /** A panel of test/support/dashboard-panels.ts (shared with the Dashboard 2.0 test) against /dlm/status. */
  const panelMatches = (panel: Panel) => pageMatchesStatus(panel.what, () => panel.read(page), panel.expected);

  /** Opens a dashboard tab and waits until `selector` is there and every widget fits its card. */
  async function openTab(i: number, selector: string) {
    await page.goto(`${site!.url}/ui/#!/${i}`);
    await page.waitForSelector(selector, { timeout: 15_000 });
    const fits = () =>
      page.waitForFunction(
        () =>
          Array.from(document.querySelectorAll('[data-dlm-id]')).every((el) => {
            let card = el as HTMLElement;
            while (card.parentElement && !card.parentElement.classList.contains('nr-dashboard-cardcontainer')) card = card.parentElement;
            return card.offsetHeight >= (el as HTMLElement).offsetHeight;
          }),
        null,
        { timeout: 10_000 },
      );
    await fits();
    await page.waitForTimeout(600);
    await fits();
  }

  /**
   * The dashboard groups (cards) of the open tab: in this order, laid out without overlapping,
   * and no widget wider than its card (nothing hidden to the right, no sideways scrolling).
   */
  async function assertLayout(expectedGroups: string[]) {
    const wide = await page.$$eval('.dlm', (els: Element[]) =>
      els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.className),
    );
    assert.deepEqual(wide, [], 'widgets wider than their card');
    const groups: { name: string; x: number; y: number; w: number; h: number }[] = await page.$$eval('ui-card-panel', (els: Element[]) =>
      els.map((e) => {
        const r = e.getBoundingClientRect();
        return { name: (e.querySelector('.nr-dashboard-cardtitle')?.textContent ?? '').trim(), x: r.x, y: r.y, w: r.width, h: r.height };
      }),
    );
    assert.deepEqual(
      groups.map((g) => g.name),
      expectedGroups,
    );
    for (const a of groups) {
      assert.ok(a.w > 100 && a.h > 50, `group ${a.name} is visible (${a.w}×${a.h})`);
      for (const b of groups) {
        if (a === b) continue;
        const overlap = a.x < b.x + b.w - 1 && b.x < a.x + a.w - 1 && a.y < b.y + b.h - 1 && b.y < a.y + a.h - 1;
        assert.ok(!overlap, `groups "${a.name}" and "${b.name}" overlap`);
      }
    }
  }

  /** A screenshot of the whole tab: the dashboard scrolls inside md-content, so grow the viewport. */
  async function shot(name: string) {
    await page.evaluate(() => document.querySelectorAll('md-content').forEach((c) => c.scrollTo(0, 0)));
    const h = await page.evaluate(() =>
      Math.max(0, ...Array.from(document.querySelectorAll('ui-card-panel')).map((g) => g.getBoundingClientRect().bottom)),
    );
    await page.setViewportSize({ width: VIEWPORT.width, height: Math.min(4000, Math.max(VIEWPORT.height, Math.ceil(h) + 20)) });
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(SHOTS, name) });
    await page.setViewportSize(VIEWPORT);
  }

  const texts = (sel: string): Promise<string[]> => page.$$eval(sel, (els: Element[]) => els.map((e) => (e.textContent ?? '').trim()));
  /** Rows of a widget table as {label: cells}. */
  const labelledRows = (sel: string): Promise<Record<string, string[]>> =>
    page.$$eval(sel, (trs: Element[]) =>
      Object.fromEntries(
        trs.map((tr) => {
          const tds = Array.from(tr.querySelectorAll('td'));
          return [tr.getAttribute('data-row'), tds.slice(1).map((td) => td.textContent!.trim())];
        }),
      ),
    );

  before(async function () {
    this.timeout(90_000);
    assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set DLM_CHROMIUM)`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-dash-'));
    // The power graph's last 24 h, stored by a previous run (the example's tab and power widget ids).
    const flow = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as any[];
    const power = flow.find((n) => n.type === 'dlm-ui-power');
    const userDir = path.join(dir, 'node-red');
    fs.mkdirSync(path.join(userDir, 'context', power.z), { recursive: true });
    fs.writeFileSync(
      path.join(userDir, 'context', power.z, `${power.id}.json`),
      JSON.stringify({ powerHistory: storedHistory(Date.now() - 60_000) }),
    );
    site = await startSite({ dir: userDir, port: await freePort(), meterPort: await freePort(), amps: [10, 10, 10], speed: 60 });
    fs.mkdirSync(SHOTS, { recursive: true });
    const { chromium } = require('playwright-core');
    context = await chromium.launchPersistentContext(path.join(dir, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      viewport: VIEWPORT,
    });
    page = await context.newPage();
    page.on('dialog', (d: any) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e: Error) => pageErrors.push(e.message));
    // Every enabled plug reporting before the screens are read.
    await waitFor(
      'the 24 enabled plugs reporting',
      async () => {
        const s = await getStatus();
        return s.plugs.filter((p) => p.status !== 'DISABLED' && p.status !== 'OFFLINE' && p.status !== 'ERR_CFG').length === 24
          ? s
          : undefined;
      },
      30_000,
      250,
    );
  });

  after(async function () {
    this.timeout(30_000);
    if (context) await context.close().catch(() => undefined);
    if (site) await site.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the example joins all nine widget types (loaded, in the palette) to the balancer status, its plate/params edits to the balancer and schedule edits to priority-schedule', async () => {
    assert.doesNotMatch(site!.log(), /node-red-dashboard not installed/);
    const sets = (await (await fetch(`${site!.url}/nodes`, { headers: { accept: 'application/json' } })).json()) as {
      types: string[];
      enabled: boolean;
      err?: string;
    }[];
    const uiSet = sets.find((x) => x.types.includes('dlm-ui-plugs'));
    assert.ok(uiSet && uiSet.enabled && !uiSet.err, `dlm-ui node set: ${JSON.stringify(uiSet)}`);
    assert.deepEqual(uiSet.types.slice().sort(), WIDGET_TYPES);
    const flow = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as any[];
    const byId = new Map(flow.map((n) => [n.id, n]));
    const widgets = flow.filter((n) => WIDGET_TYPES.includes(n.type));
    assert.deepEqual(widgets.map((w) => w.type).sort(), WIDGET_TYPES);
    // Issue 13: every widget names the balancer and takes its status directly (no wire, no copy per widget).
    const balancer = flow.find((n) => n.type === 'dlm-balancer');
    for (const w of widgets) assert.equal(w.balancer, balancer.id, `${w.type} joined to the balancer`);
    assert.ok(
      !flow.some((n) => (n.wires ?? []).some((ws: string[]) => ws.some((id) => widgets.some((w) => w.id === id)))),
      'no wire into a widget',
    );
    for (const w of widgets) {
      const g = byId.get(w.group);
      assert.equal(g?.type, 'ui_group', `${w.type} in a dashboard group`);
      assert.equal(byId.get(g.tab)?.type, 'ui_tab');
    }
    const linkedTo = (w: any) =>
      byId
        .get(w.wires[0][0])
        .links.map((id: string) => byId.get(id))
        .flatMap((l: any) => l.wires[0].map((id: string) => byId.get(id).type));
    assert.deepEqual(linkedTo(widgets.find((w) => w.type === 'dlm-ui-plugs')), ['dlm-balancer']);
    assert.deepEqual(linkedTo(widgets.find((w) => w.type === 'dlm-ui-params')), ['dlm-balancer']);
    assert.deepEqual(linkedTo(widgets.find((w) => w.type === 'dlm-ui-schedule')), ['priority-schedule']);
  });

  it('Site: consumption per phase and the status of every plug equal /dlm/status (R-MON-1, R-CP-4); the groups do not overlap', async () => {
    await openTab(TAB.site, '.dlm-plugs tr.dlm-plug');
    await assertLayout(['Consumption per phase', 'Status of the charge points']);
    await pageMatchesStatus(
      'consumption per phase',
      async () => ({
        rows: await labelledRows('.dlm-consumption tbody tr[data-row]'),
        bars: await texts('.dlm-phasebar > div:first-child'),
      }),
      (s) => {
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
    );
    const s = await pageMatchesStatus(
      'plug status',
      () =>
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
      (st) =>
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
    );
    assert.equal(s.plugs.length, 26, '15 charge points, 26 plugs');
    // The seven statuses are named (with their counts), whichever occur.
    assert.deepEqual(
      (await texts('.dlm-legend .dlm-badge')).map((t) => t.replace(/: \d+$/, '')),
      ['AVAILABLE', 'CHARGING', 'PAUSED', 'OFFLINE', 'FAULTED', 'ERR. CFG', 'DISABLED'],
    );
    // Units everywhere: every current in A, energy in kWh.
    for (const t of await texts('.dlm-plugs td.dlm-num')) assert.match(t, /^\d+(\.\d+)? (A|kWh)$/);
    await panelMatches(PLUG_WIRING); // issue 11: 1φ and the line of every plug (the example's plugs are single-phase)
    await shot('1-site.png');
  });

  it('Site: a plate edited in the page reaches the balancer (/dlm/status) and comes back; empty is refused in the page; a hostile plate stays text (R-CP-6, R-ERR-1)', async () => {
    const row = (id: number) => `.dlm-plugs tr.dlm-plug[data-plug-id="${id}"]`;
    const plateOf = async (id: number) => (await getStatus()).plugs.find((p) => p.id === id)!.plate;
    const before = await plateOf(5);
    // Empty: refused in the page, nothing sent.
    await page.click(`${row(5)} .dlm-edit`);
    await page.fill(`${row(5)} .dlm-plate-input`, '   ');
    await page.click(`${row(5)} .dlm-ok-btn`);
    assert.match((await page.textContent(`${row(5)} .dlm-edit-error`))!, /cannot be empty/);
    await shot('1b-site-plate-editor.png');
    await sleep(1500);
    assert.equal(await plateOf(5), before, 'a refused plate changes nothing');
    // A plate: in /dlm/status, then in the page.
    await page.fill(`${row(5)} .dlm-plate-input`, ' 1234-XYZ ');
    await page.click(`${row(5)} .dlm-ok-btn`);
    await waitFor("plug 5's plate in /dlm/status", async () => ((await plateOf(5)) === '1234-XYZ' ? true : undefined), 10_000);
    await page.waitForFunction((sel: string) => document.querySelector(sel)?.textContent === '1234-XYZ', `${row(5)} .dlm-plate`, {
      timeout: 10_000,
    });
    // The hostile plate: stored as typed, shown as typed, runs nothing.
    await page.click(`${row(2)} .dlm-edit`);
    await page.fill(`${row(2)} .dlm-plate-input`, XSS);
    await page.click(`${row(2)} .dlm-ok-btn`);
    await waitFor("plug 2's plate in /dlm/status", async () => ((await plateOf(2)) === XSS ? true : undefined), 10_000);
    await page.waitForFunction(
      ({ sel, xss }: { sel: string; xss: string }) => document.querySelector(sel)?.textContent === xss,
      { sel: `${row(2)} .dlm-plate`, xss: XSS },
      { timeout: 10_000 },
    );
    assert.equal(await page.$$eval('.dlm img', (els: Element[]) => els.length), 0, 'no <img> element was created');
    // A long plate wraps in its cell: the table still fits its card, the Edit buttons stay in view.
    await assertLayout(['Consumption per phase', 'Status of the charge points']);
    await page.waitForTimeout(500);
    assert.deepEqual(dialogs, [], 'no dialog opened');
  });

  it('Load management: the table per phases, the schedule, the analyser and every parameter equal /dlm/status (SPEC §4, R-MON-2, R-MON-3, R-PRIO-1)', async () => {
    await openTab(TAB.loadManagement, '.dlm-table tr[data-row]');
    await assertLayout(['Table per phases', 'Priority schedule', 'Parameters', 'Analyser', 'Boards']);
    await pageMatchesStatus(
      'the table per phases',
      async () => ({ groups: await texts('.dlm-table th.dlm-group'), rows: await labelledRows('.dlm-table tr[data-row]') }),
      (s) => {
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
    );
    await pageMatchesStatus(
      'the analyser',
      async () => ({
        status: (await page.textContent('.dlm-an-status'))!.trim(),
        offline: (await page.textContent('.dlm-an-offline'))!.trim(),
        margin: (await page.textContent('.dlm-an-margin'))!.trim(),
        rows: await page.$$eval('.dlm-analyser tr[data-row]', (trs: Element[]) =>
          Object.fromEntries(
            trs.map((tr) => [
              tr.getAttribute('data-row'),
              Array.from(tr.querySelectorAll('td.dlm-num')).map((td) => td.textContent!.trim()),
            ]),
          ),
        ),
      }),
      (s) => {
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
    );
    const s = await pageMatchesStatus(
      'the schedule',
      async () => ({
        on: (await page.getAttribute('.dlm-sched-on', 'class')).includes('dlm-primary'),
        slots: await page.$$eval('.dlm-slot', (els: Element[]) => els.map((e) => e.classList.contains('dlm-on'))),
        labels: (await texts('.dlm-slot')).map((t) => t.slice(0, 9)),
      }),
      (st) => ({
        on: st.schedule.enabled,
        slots: st.schedule.slots,
        labels: st.schedule.slots.map((_x, h) => `${String(h).padStart(2, '0')}h - ${String((h + 1) % 24).padStart(2, '0')}h`),
      }),
    );
    assert.equal(s.schedule.timeZone, 'Europe/Madrid');
    assert.match((await page.textContent('.dlm-schedule'))!, /Hours in Europe\/Madrid/);
    await pageMatchesStatus(
      'the parameters',
      () =>
        page.$$eval('.dlm-params tr[data-key]', (trs: Element[]) =>
          trs.map((tr) => [tr.getAttribute('data-key'), tr.querySelector('.dlm-now')!.textContent!.trim()]),
        ),
      (st) =>
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
    );
    const p = (await getStatus()).params;
    assert.deepEqual([p.mccbA, p.contractedKW, p.minCurrentA], [50, 36, 8], "the manual's site");
    await panelMatches(BOARDS); // issue 11, R-CIRC-2: the site's own board
    await shot('2-load-management.png');
  });

  it("Load management: parameters out of range are refused in the page, a value the balancer's rules refuse is refused on the server with the reason shown, a good one reaches /dlm/status (R-MON-3, R-ERR-1)", async () => {
    const input = (key: string) => `.dlm-params tr[data-key="${key}"] input`;
    await page.fill(input('mccbA'), '2');
    await page.click('.dlm-params .dlm-apply');
    assert.match((await page.textContent('.dlm-params tr[data-key="mccbA"] .dlm-field-error'))!, /At least 6 A/);
    await page.click('.dlm-params .dlm-reset');
    // Minimum current 8.5 A passes the page's range check but not the balancer's rule (a multiple
    // of the 1 A setpoint resolution): refused by the widget's server side, explained in the page.
    await page.fill(input('minCurrentA'), '8.5');
    await page.click('.dlm-params .dlm-apply');
    await page.waitForSelector('.dlm-params .dlm-note.dlm-bad', { timeout: 10_000 });
    assert.match((await page.textContent('.dlm-params .dlm-note.dlm-bad'))!, /multiple of the setpoint resolution/);
    await sleep(1500);
    assert.equal((await getStatus()).params.minCurrentA, 8, 'nothing changed');
    // A good value: the hysteresis to resume, 1 A → 2 A (does not change who charges now).
    await page.fill(input('resumeHysteresisA'), '2');
    await page.click('.dlm-params .dlm-apply');
    await waitFor(
      'the new hysteresis in /dlm/status',
      async () => ((await getStatus()).params.resumeHysteresisA === 2 ? true : undefined),
      10_000,
    );
    await page.waitForFunction(
      () => document.querySelector('.dlm-params tr[data-key="resumeHysteresisA"] .dlm-now')?.textContent?.trim() === '2 A',
      null,
      { timeout: 10_000 },
    );
  });

  it("Load management: the schedule switched OFF, then ON with the current hour marked, from the page changes what the balancer does: ALL → PRIORITY/NORMAL, the priority plugs' setpoints rise above the normal plugs of their phase (R-PRIO-1, R-PRIO-2, R-ALLOC-2)", async function () {
    this.timeout(100_000);
    // OFF: one group (ALL); the priority plugs have no advantage over the others.
    await page.click('.dlm-sched-off');
    const off = await waitFor(
      'the schedule OFF, every priority plug without advantage',
      async () => {
        const s = await getStatus();
        return !s.schedule.enabled &&
          !s.priorityActive &&
          s.table.ALL &&
          !s.table.PRIORITY &&
          PHASES.every((ph) => {
            const e = priorityEdge(s, ph);
            return e.prioA <= e.maxNormalA && e.maxNormalA > 0;
          })
          ? s
          : undefined;
      },
      60_000,
      250,
    );
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('.dlm-table th.dlm-group'))
          .map((e) => e.textContent!.trim())
          .join() === 'ALL',
      null,
      { timeout: 10_000 },
    );
    // Mark the current hour of the site (and the next one near the end of the hour), then ON.
    const tz = off.schedule.timeZone;
    const now = Date.now();
    const hours = [localHour(now, tz)];
    if (localHour(now + 3 * 60_000, tz) !== hours[0]) hours.push(localHour(now + 3 * 60_000, tz));
    const slotIs = (h: number, on: boolean) =>
      waitFor(
        `slot ${h} ${on ? 'marked' : 'unmarked'} in /dlm/status`,
        async () => ((await getStatus()).schedule.slots[h] === on ? true : undefined),
        10_000,
      );
    for (const h of hours) {
      // Whatever the hour, a slot is changed from the page: an already marked one is unmarked first.
      if ((await getStatus()).schedule.slots[h]) {
        await page.click(`.dlm-slot[data-hour="${h}"]`);
        await slotIs(h, false);
        await page.waitForSelector(`.dlm-slot[data-hour="${h}"]:not(.dlm-on)`, { timeout: 10_000 });
      }
      await page.click(`.dlm-slot[data-hour="${h}"]`);
      await slotIs(h, true);
      await page.waitForSelector(`.dlm-slot.dlm-on[data-hour="${h}"]`, { timeout: 10_000 });
    }
    await page.click('.dlm-sched-on');
    await waitFor('priority active', async () => ((await getStatus()).priorityActive ? true : undefined), 10_000);
    const on = await waitFor(
      'every priority plug above the normal plugs of its phase',
      async () => {
        const s = await getStatus();
        return s.priorityActive &&
          PHASES.every((ph) => {
            const e = priorityEdge(s, ph);
            return e.prio.status === 'CHARGING' && e.prioA > e.maxNormalA;
          })
          ? s
          : undefined;
      },
      60_000,
      250,
    );
    for (const ph of PHASES) {
      const b = priorityEdge(off, ph);
      const a = priorityEdge(on, ph);
      assert.ok(
        a.prioA - a.maxNormalA > b.prioA - b.maxNormalA,
        `${ph}: priority plug ${a.prio.id} ${a.prioA} A vs normal ≤ ${a.maxNormalA} A (before: ${b.prioA} A vs ${b.maxNormalA} A)`,
      );
    }
    // The page follows: PRIORITY / NORMAL columns, the slots marked, the setpoints of the status.
    await pageMatchesStatus(
      'the table in a priority slot',
      async () => ({
        groups: await texts('.dlm-table th.dlm-group'),
        on: await page.$$eval('.dlm-slot.dlm-on', (els: Element[]) => els.map((e) => Number(e.getAttribute('data-hour')))),
      }),
      (s) => ({
        groups: s.priorityActive ? ['PRIORITY', 'NORMAL'] : ['ALL'],
        on: s.schedule.slots.map((x, h) => (x ? h : -1)).filter((h) => h >= 0),
      }),
    );
    assert.match((await page.textContent('.dlm-sched-summary'))!, /priority active now/);
    await shot('2b-load-management-priority.png');
    await openTab(TAB.site, '.dlm-plugs tr.dlm-plug');
    await pageMatchesStatus(
      "the priority plugs' setpoints",
      () =>
        page.$$eval('.dlm-plugs tr.dlm-plug', (trs: Element[]) =>
          trs
            .filter((tr) => tr.querySelector('.dlm-ev.dlm-prio'))
            .map((tr) => [tr.getAttribute('data-plug-id'), tr.querySelector('.dlm-setpoint')!.textContent!.trim()]),
        ),
      (s) =>
        s.plugs
          .filter((p) => p.priority)
          .sort((a, b) => a.id - b.id)
          .map((p) => [String(p.id), amps(p.setpointA)]),
    );
    await shot('1c-site-priority.png');
  });

  it('Power: building, EV, total and contracted power equal /dlm/status (kW), with the live and 24 h graphs (R-MON-4)', async () => {
    await openTab(TAB.power, '.dlm-power .dlm-kpi');
    await assertLayout(['Building, EV and total power']);
    await pageMatchesStatus(
      'the power figures',
      () =>
        page.$$eval('.dlm-power .dlm-kpi', (els: Element[]) =>
          els.map((e) => [e.getAttribute('data-kpi'), e.querySelector('b')!.textContent!.trim()]),
        ),
      (s) => [
        ['Building', kw(s.power.buildingW)],
        ['EV', kw(s.power.evW)],
        ['Total', kw(s.power.totalW)],
        ['Contracted', kw(s.power.contractedW)],
      ],
    );
    assert.equal((await getStatus()).power.contractedW, 36000);
    // Both graphs have drawn the readings of this run: the live one a line per series.
    await page.waitForFunction(
      () =>
        ['building', 'ev', 'total', 'contracted'].every((k) =>
          document.querySelector(`.dlm-chart[data-chart="live"] g[data-series="${k}"] polyline`),
        ),
      null,
      { timeout: 10_000 },
    );
    // The 24 h graph: the history stored by the "previous run" (read back from the context store
    // at start) continued by this run — about 1440 one-minute points.
    const dayPoints: number = await page.$$eval('.dlm-chart[data-chart="day"] g[data-series="total"] polyline', (els: Element[]) =>
      els.reduce((n, e) => n + (e.getAttribute('points') ?? '').split(' ').filter(Boolean).length, 0),
    );
    assert.ok(dayPoints >= 1430 && dayPoints <= 1442, `24 h of 1-minute points, got ${dayPoints}`);
    assert.match((await page.textContent('.dlm-power'))!, /Last 24 h: peak \d+(\.\d+)? kW, average \d+(\.\d+)? kW/);
    const yTicks = await texts('.dlm-chart[data-chart="live"] svg text');
    assert.ok(
      yTicks.some((t) => / kW$/.test(t)),
      `axis in kW: ${yTicks}`,
    );
    await shot('3-power.png');
  });

  it('Transactions: the sessions of /dlm/status with their plates (the hostile one as text) and a working CSV link (R-MON-5, R-CP-6)', async () => {
    await openTab(TAB.transactions, '.dlm-transactions .dlm-tx');
    await assertLayout(['Charging sessions']);
    const s = await pageMatchesStatus(
      'the sessions',
      () =>
        page.$$eval('.dlm-transactions tr.dlm-tx', (trs: Element[]) =>
          trs.map((tr) =>
            Array.from(tr.querySelectorAll('td'))
              .slice(0, 5)
              .map((td) => td.textContent!.trim()),
          ),
        ),
      (st) =>
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
    );
    assert.ok(
      s.transactions.some((t) => t.plate === XSS && t.stop === null),
      "plug 2's open session carries the plate",
    );
    assert.ok((await texts('.dlm-tx-plate')).includes(XSS));
    assert.equal(await page.$$eval('.dlm img', (els: Element[]) => els.length), 0);
    for (const t of await page.$$eval('.dlm-transactions tr.dlm-tx', (trs: Element[]) =>
      trs.map((tr) =>
        Array.from(tr.querySelectorAll('td'))
          .slice(6, 8)
          .map((td) => td.textContent!.trim()),
      ),
    )) {
      assert.match(t[0], / kWh$/);
      assert.match(t[1], / A$/);
    }
    const href = await page.getAttribute('.dlm-csv', 'href');
    assert.equal(href, '/dlm/transactions.csv');
    const res = await fetch(site!.url + href);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    assert.ok((await res.text()).includes(XSS));
    await shot('4-transactions.png');
  });

  it('issue 11 (R-CIRC-2, R-3PH-1): redeployed with a sub-board and CP01 A three-phase on it, the boards screen shows limit, load and headroom per line of the site and the sub-board, the plug row shows 3φ and its board', async function () {
    this.timeout(90_000);
    await deployWithSubBoard(site!.url);
    await waitFor(
      'the sub-board and the three-phase plug in /dlm/status',
      async () => {
        const s = await getStatus();
        return s.boards?.length === 2 && s.plugs.find((p) => p.id === 1)?.phases === 3 ? s : undefined;
      },
      30_000,
      250,
    );
    await openTab(TAB.loadManagement, `.dlm-boards tbody.dlm-board[data-board="${E2E_BOARD.name}"]`);
    await assertLayout(['Table per phases', 'Priority schedule', 'Parameters', 'Analyser', 'Boards']);
    const s = await panelMatches(BOARDS);
    assert.deepEqual(
      s.boards.map((b) => [b.name, b.parent, b.depth, b.limitA]),
      [
        ['site', null, 0, s.analyser.limitA.L1],
        [E2E_BOARD.name, 'site', 1, E2E_BOARD.limitA],
      ],
    );
    const shown = (await BOARDS.read(page)) as { boards: { name: string; lines: string[][] }[] };
    assert.deepEqual(
      shown.boards[1].lines.map((l) => l.slice(0, 3)),
      ['L1', 'L2', 'L3'].map((ph) => [ph, '32', '28.8']),
      'the sub-board: limit 32 A and working limit 28.8 A (the site margin 10 %) on every line',
    );
    await shot('2c-load-management-boards.png');
    await openTab(TAB.site, '.dlm-plugs tr.dlm-plug .dlm-board-of');
    await assertLayout(['Consumption per phase', 'Status of the charge points']); // the board line still fits
    const st = await panelMatches(PLUG_WIRING);
    const wiring = (await PLUG_WIRING.read(page)) as string[][];
    assert.match(wiring[0][1], /^3φ L1 L2 L3( → drawing (L1|L2|L3)( L1| L2| L3)?)?$/, 'plug 01 is three-phase, wired L1 L2 L3 (RST)');
    assert.deepEqual(wiring[0].slice(2), [E2E_BOARD.name]);
    assert.equal(st.plugs.find((p) => p.id === 1)!.board, E2E_BOARD.name);
  });

  it('no dialog opened and no script error in the page during the whole run; Node-RED logged no error but the refused edit (R-CP-6, R-ERR-1)', () => {
    assert.deepEqual(dialogs, []);
    assert.deepEqual(pageErrors, []);
    const errors = site!
      .log()
      .split('\n')
      .filter((l) => /\[error\]/.test(l));
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0], /\[dlm-ui-params:dlm_ui_params\] parameter edit refused: Min\. charging current \(8\.5 A\)/);
  });
});
