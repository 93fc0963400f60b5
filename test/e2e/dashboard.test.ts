/**
 * End to end (issue 6): a REAL Node-RED 4 with node-red-dashboard 3 and this package's dlm-ui
 * widgets, a REAL browser (Debian's Chromium driven by playwright-core). The widgets are fed a
 * StatusMessage built by the real allocation core; the test reads every panel in the page and
 * compares it with that status, edits a plate, a parameter and a schedule slot from the page and
 * checks the messages the widgets emit, checks that a hostile plate is shown as text, and saves a
 * screenshot of each screen in test-output/screenshots/.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { addPowerSample, amps, emptyPowerHistory, kw, num, plugIdText, STATE_NAMES, type PowerHistory } from '../../lib/dashboard';
import { statusOf } from '../../lib/status';
import type { StatusMessage } from '../../lib/types';
import { REPO_ROOT, start, waitFor, type RunningNodeRed } from '../support/node-red-runner';
import { Site } from '../support/site';

const CHROMIUM = process.env.DLM_CHROMIUM || '/usr/bin/chromium';
const SHOTS = path.join(REPO_ROOT, 'test-output', 'screenshots');
const XSS = '<img src=x onerror=alert(1)>';

/**
 * A realistic site through the real core: 7 charge points, every plug status, a priority hour on.
 * `status` is what the screens are checked against; `live` are the next 5 minutes (one status
 * every 5 s, the building load rising) for the live power graph.
 */
function fixture(): { status: StatusMessage; live: StatusMessage[] } {
  const site = new Site({}, Date.UTC(2026, 0, 15, 15, 0, 0)); // 16:00 Europe/Madrid
  const slots = new Array(24).fill(false);
  for (const h of [7, 9, 10, 11, 12, 16]) slots[h] = true;
  site.apply({ type: 'schedule', schedule: { enabled: true, slots } });
  site.report({ name: 'CP01', index: 1, plugs: [
    { letter: 'A', phase: 'L1', pilot: 'C', measuredA: 15.4, plate: 'AE-1111-FF', priority: true, energyWh: 5230 },
    { letter: 'B', phase: 'L1', pilot: 'A', plate: 'RR-0000-FE' },
  ] });
  site.report({ name: 'CP02', index: 2, plugs: [
    { letter: 'A', phase: 'L2', pilot: 'C', measuredA: 13.9, plate: XSS, energyWh: 1200 },
    { letter: 'B', phase: 'L2', pilot: 'C', measuredA: 14.2, plate: '3358-DSZ' },
  ] });
  site.report({ name: 'CP03', index: 3, plugs: [
    { letter: 'A', phase: 'L3', pilot: 'C', measuredA: 9.5 },
    { letter: 'B', phase: 'L3', pilot: 'E' },
  ] });
  site.report({ name: 'CP04', index: 4, plugs: [{ letter: 'A', phase: null }, { letter: 'B', phase: 'L1' }] });
  site.report({ name: 'CP05', index: 5, enabled: false, plugs: [{ letter: 'A', phase: 'L2' }] });
  site.report({ name: 'CP06', index: 6, plugs: [{ letter: 'A', phase: 'L3', pilot: 'C', measuredA: 8 }] });
  site.report({ name: 'CP07', index: 7, plugs: [{ letter: 'A', phase: 'L1', pilot: 'B' }, { letter: 'B', phase: 'L2', pilot: 'C', measuredA: 10 }] });
  site.run(20, [18.5, 21.2, 19.8]);
  // A finished session for the transaction list.
  site.plug('CP06', 'A', { pilot: 'A', measuredA: 0 });
  site.run(5, [18.5, 21.2, 19.8]);
  // CP07 stops answering: OFFLINE once its heartbeat has passed.
  site.report({ name: 'CP07', index: 7, online: false, plugs: [{ letter: 'A', phase: 'L1', pilot: 'B' }, { letter: 'B', phase: 'L2', pilot: 'C', measuredA: 10 }] });
  site.cps.delete('CP07');
  site.run(3, [18.5, 21.2, 19.8]);
  // Paused vehicles follow: they stop drawing.
  for (const p of site.state.plugs) {
    if (p.setpointA === 0 && p.measuredA > 0 && site.cps.has(p.chargePoint)) site.plug(p.chargePoint, p.letter, { measuredA: 0 });
  }
  site.run(2, [18.5, 21.2, 19.8]);
  const status = statusOf(site.state, site.now);
  const live: StatusMessage[] = [];
  for (let i = 1; i <= 60; i++) {
    const b = 18 + 10 * Math.sin(i / 10);
    site.run(5, [b, b + 2, b + 1]);
    live.push(statusOf(site.state, site.now));
  }
  return { status, live };
}

/**
 * The power widget's stored history as Node-RED's localfilesystem context store keeps it: the
 * previous 24 h of a site with an office-hours building load and evening EV charging, through
 * the widget's own downsampling. The widget must show it after the (re)start (R-MON-4, R-ERR-2).
 */
function storedHistory(until: number): PowerHistory {
  let h = emptyPowerHistory();
  for (let t = until - 24 * 3600_000 + 60_000; t < until; t += 60_000) {
    const hour = ((t / 3600_000) % 24 + 1) % 24; // Madrid in winter
    const office = hour >= 8 && hour < 19 ? 1 : 0.25;
    const buildingW = Math.round(9000 * office + 1500 * Math.sin(t / 900_000));
    const evW = Math.round(hour >= 18 || hour < 2 ? 18000 : hour >= 8 && hour < 17 ? 9000 : 2000);
    h = addPowerSample(h, { buildingW, evW, totalW: buildingW + evW, contractedW: 36000 }, t);
  }
  return h;
}

/** The flow: five dashboard tabs (the manual's screens), the widgets, a test feed and a recorder. */
function flow(): unknown[] {
  const tabs = [
    { id: 'tabCp', name: 'Charge points' },
    { id: 'tabPower', name: 'Power monitoring' },
    { id: 'tabLm', name: 'Load management' },
    { id: 'tabGraphs', name: 'Power graphs' },
    { id: 'tabTx', name: 'Transactions' },
  ];
  const groups = [
    { id: 'gPlugs', tab: 'tabCp', name: 'Status of the charge points', width: 20 },
    { id: 'gCons', tab: 'tabPower', name: 'Consumption per phase', width: 12 },
    { id: 'gAn', tab: 'tabPower', name: 'Analyser', width: 12 },
    // The table first: the dashboard's masonry puts a group under the shorter one at its left
    // without checking groups further right, so a wide group under a narrow one overlaps.
    { id: 'gTable', tab: 'tabLm', name: 'Table per phases', width: 14 },
    { id: 'gSched', tab: 'tabLm', name: 'Priority schedule', width: 8 },
    { id: 'gParams', tab: 'tabLm', name: 'Parameters', width: 16 },
    { id: 'gPower', tab: 'tabGraphs', name: 'Power graphs', width: 14 },
    { id: 'gTx', tab: 'tabTx', name: 'Transactions', width: 20 },
  ];
  const widgets = [
    { id: 'wPlugs', type: 'dlm-ui-plugs', group: 'gPlugs', out: true },
    { id: 'wCons', type: 'dlm-ui-consumption', group: 'gCons' },
    { id: 'wAn', type: 'dlm-ui-analyser', group: 'gAn' },
    { id: 'wSched', type: 'dlm-ui-schedule', group: 'gSched', out: true },
    { id: 'wTable', type: 'dlm-ui-table', group: 'gTable' },
    { id: 'wParams', type: 'dlm-ui-params', group: 'gParams', out: true },
    { id: 'wPower', type: 'dlm-ui-power', group: 'gPower' },
    { id: 'wTx', type: 'dlm-ui-transactions', group: 'gTx', csvUrl: '/dlm/transactions.csv' },
  ];
  return [
    { id: 'f1', type: 'tab', label: 'DLM dashboard e2e' },
    ...tabs.map((t, i) => ({ id: t.id, type: 'ui_tab', name: t.name, icon: 'dashboard', order: i + 1, disabled: false, hidden: false })),
    ...groups.map((g, i) => ({ id: g.id, type: 'ui_group', name: g.name, tab: g.tab, order: i + 1, disp: true, width: String(g.width), collapse: false, className: '' })),
    ...widgets.map((w, i) => ({
      id: w.id, z: 'f1', type: w.type, group: w.group, order: 1, width: 0, height: 0, name: '', x: 500, y: 60 + i * 50,
      ...(w.csvUrl ? { csvUrl: w.csvUrl, maxRows: 50 } : {}),
      wires: w.out ? [['record']] : [],
    })),
    // Test feed: POST /e2e/status with a StatusMessage → every widget.
    { id: 'feedIn', z: 'f1', type: 'http in', url: '/e2e/status', method: 'post', upload: false, x: 100, y: 60, wires: [['feed', 'ok']] },
    { id: 'feed', z: 'f1', type: 'function', name: 'status', func: 'return { topic: "status", payload: msg.payload };', outputs: 1, x: 300, y: 60,
      wires: [widgets.map((w) => w.id)] },
    { id: 'ok', z: 'f1', type: 'http response', statusCode: '204', x: 300, y: 120, wires: [] },
    // Recorder: what the widgets emit, readable at GET /e2e/edits.
    { id: 'record', z: 'f1', type: 'function', name: 'record', outputs: 0, x: 800, y: 60, wires: [],
      func: 'const e = flow.get("edits") || []; e.push({ topic: msg.topic, payload: msg.payload }); flow.set("edits", e); return null;' },
    { id: 'editsIn', z: 'f1', type: 'http in', url: '/e2e/edits', method: 'get', upload: false, x: 100, y: 400, wires: [['edits']] },
    { id: 'edits', z: 'f1', type: 'function', name: 'edits', func: 'msg.payload = flow.get("edits") || []; return msg;', outputs: 1, x: 300, y: 400, wires: [['editsOut']] },
    { id: 'editsOut', z: 'f1', type: 'http response', statusCode: '', x: 500, y: 400, wires: [] },
  ];
}

/**
 * This package as Node-RED would install it. While package.json does not list dlm-ui yet, a
 * temporary module folder registers it (symlinks to the compiled files), next to the repository.
 */
function nodesDirs(tmp: string): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  const listed = Object.values<string>(pkg['node-red']?.nodes ?? {}).some((f) => /dlm-ui\.js$/.test(f));
  if (listed) return [REPO_ROOT];
  const mod = path.join(tmp, 'dlm-ui-module');
  fs.mkdirSync(path.join(mod, 'icons'), { recursive: true });
  fs.writeFileSync(path.join(mod, 'package.json'), JSON.stringify({ name: 'dlm-ui-e2e', version: '0.0.0', 'node-red': { nodes: { 'dlm-ui': 'dlm-ui.js' } } }));
  const dist = path.join(REPO_ROOT, 'dist', 'nodes', 'dlm-ui');
  fs.symlinkSync(path.join(dist, 'dlm-ui.js'), path.join(mod, 'dlm-ui.js'));
  fs.symlinkSync(path.join(dist, 'dlm-ui.html'), path.join(mod, 'dlm-ui.html'));
  fs.copyFileSync(path.join(REPO_ROOT, 'icons', 'dlm-ui.svg'), path.join(mod, 'icons', 'dlm-ui.svg'));
  return [REPO_ROOT, mod];
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 204) throw new Error(`POST ${url}: HTTP ${res.status}`);
}

describe('dashboard in a real browser (issue 6, R-MON-1..5, R-CP-4, R-CP-6, R-PRIO-1)', function () {
  this.timeout(90_000);
  let red: RunningNodeRed | null = null;
  let context: any = null;
  let tmp = '';
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const fix = fixture();

  before(async function () {
    assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-e2e-'));
    const userDir = path.join(tmp, 'node-red');
    fs.mkdirSync(path.join(userDir, 'context', 'f1'), { recursive: true });
    fs.writeFileSync(path.join(userDir, 'context', 'f1', 'wPower.json'), JSON.stringify({ powerHistory: storedHistory(fix.status.timestamp) }));
    red = await start(flow(), {
      userDir,
      nodesDir: nodesDirs(tmp),
      settings: { contextStorage: { default: { module: 'localfilesystem' } } },
    });
    fs.mkdirSync(SHOTS, { recursive: true });
    const { chromium } = require('playwright-core');
    context = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 1400, height: 900 },
    });
  });

  after(async function () {
    if (context) await context.close().catch(() => undefined);
    if (red) await red.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('shows every screen with the numbers of the status, takes edits from the page, renders a hostile plate as text', async function () {
    const { status, live } = fix;
    const next = live[live.length - 1];
    const base = red!.url;
    // The widgets log no errors loading (the dashboard was found).
    assert.doesNotMatch(red!.log(), /node-red-dashboard not installed/);
    // The palette has the eight widget types, enabled, without load error.
    const sets = (await (await fetch(`${base}/nodes`, { headers: { accept: 'application/json' } })).json()) as { types: string[]; enabled: boolean; err?: string }[];
    const uiSet = sets.find((x) => x.types.includes('dlm-ui-plugs'));
    assert.ok(uiSet && uiSet.enabled && !uiSet.err, `dlm-ui node set: ${JSON.stringify(uiSet)}`);
    assert.deepEqual(uiSet.types.slice().sort(), ['dlm-ui-analyser', 'dlm-ui-consumption', 'dlm-ui-params', 'dlm-ui-plugs', 'dlm-ui-power', 'dlm-ui-schedule', 'dlm-ui-table', 'dlm-ui-transactions']);
    await post(`${base}/e2e/status`, status);

    const page = await context.newPage();
    page.on('dialog', (d: any) => { dialogs.push(d.message()); void d.dismiss(); });
    page.on('pageerror', (e: Error) => pageErrors.push(e.message));
    const tab = async (i: number, selector: string) => {
      await page.goto(`${base}/ui/#!/${i}`);
      await page.waitForSelector(selector, { timeout: 15_000 });
      // Legible: every widget ends up fully inside its dashboard card (none cut off).
      // (Checked twice: the dashboard's own layout passes may still shrink a card in between.)
      const fits = () => page.waitForFunction(() => Array.from(document.querySelectorAll('[data-dlm-id]')).every((el) => {
        let card = el as HTMLElement;
        while (card.parentElement && !card.parentElement.classList.contains('nr-dashboard-cardcontainer')) card = card.parentElement;
        return card.offsetHeight >= (el as HTMLElement).offsetHeight;
      }), null, { timeout: 10_000 });
      await fits();
      await page.waitForTimeout(1000);
      await fits();
    };
    /** A screenshot of the whole screen: the dashboard scrolls inside md-content, so grow the viewport. */
    const shot = async (name: string) => {
      await page.evaluate(() => document.querySelectorAll('md-content').forEach((c) => c.scrollTo(0, 0)));
      const h = await page.evaluate(() => Math.max(0, ...Array.from(document.querySelectorAll('ui-card-panel')).map((g) => g.getBoundingClientRect().bottom)));
      await page.setViewportSize({ width: 1400, height: Math.min(4000, Math.max(900, Math.ceil(h) + 20)) });
      await page.waitForTimeout(400);
      await page.screenshot({ path: path.join(SHOTS, name) });
      await page.setViewportSize({ width: 1400, height: 900 });
    };
    const texts = (sel: string) => page.$$eval(sel, (els: Element[]) => els.map((e) => (e.textContent ?? '').trim()));
    const edits = async () => (await (await fetch(`${base}/e2e/edits`)).json()) as { topic: string; payload: any }[];

    // ---- Charge points / plug status (manual §7.2.1) ----------------------------------------
    await tab(0, '.dlm-plugs .dlm-plug');
    const rows = await page.$$eval('.dlm-plugs tr.dlm-plug', (trs: Element[]) => trs.map((tr) => ({
      id: tr.querySelector('.dlm-id')!.textContent!.trim(),
      status: tr.querySelector('.dlm-status')!.textContent!.trim(),
      setpoint: tr.querySelector('.dlm-setpoint')!.textContent!.trim(),
      measured: tr.querySelector('.dlm-measured')!.textContent!.trim(),
      plate: tr.querySelector('.dlm-plate')!.textContent!,
      vehicle: tr.querySelector('.dlm-ev')!.getAttribute('title'),
    })));
    const plugs = [...status.plugs].sort((a, b) => a.id - b.id);
    assert.equal(rows.length, plugs.length);
    const label = (s: string) => (s === 'ERR_CFG' ? 'ERR. CFG' : s);
    plugs.forEach((p, i) => {
      assert.equal(rows[i].id, plugIdText(p.id));
      assert.equal(rows[i].status, label(p.status));
      assert.equal(rows[i].setpoint, amps(p.setpointA));
      assert.equal(rows[i].measured, amps(p.measuredA));
      assert.equal(rows[i].plate, p.plate);
      assert.equal(rows[i].vehicle, `${p.priority ? 'Priority' : 'Non-priority'} · ${p.pluggedIn ? 'plugged in' : 'not plugged in'}`);
    });
    // All seven statuses appear in this fixture except none missing from the legend.
    const shown = new Set(rows.map((r: { status: string }) => r.status));
    for (const s of ['AVAILABLE', 'CHARGING', 'PAUSED', 'OFFLINE', 'FAULTED', 'ERR. CFG', 'DISABLED']) {
      if (status.plugs.some((p) => label(p.status) === s)) assert.ok(shown.has(s), s);
    }
    assert.equal((await texts('.dlm-legend .dlm-badge')).length, 7);
    // R-CP-6: the hostile plate is text: no <img> was created, no dialog opened.
    assert.equal(await page.$$eval('.dlm-plugs img', (els: Element[]) => els.length), 0);
    assert.ok((await texts('.dlm-plate')).includes(XSS));
    await shot('1-charge-points.png');

    // Plate edit: empty refused in the page, nothing emitted.
    await page.click('tr.dlm-plug[data-plug-id="1"] .dlm-edit');
    await page.fill('tr.dlm-plug[data-plug-id="1"] .dlm-plate-input', '   ');
    await page.click('tr.dlm-plug[data-plug-id="1"] .dlm-ok-btn');
    const err = await page.textContent('tr.dlm-plug[data-plug-id="1"] .dlm-edit-error');
    assert.match(err!, /cannot be empty/);
    await shot('1b-plate-editor.png');
    // A valid plate is emitted for the balancer.
    await page.fill('tr.dlm-plug[data-plug-id="1"] .dlm-plate-input', ' 1234-XYZ ');
    await page.click('tr.dlm-plug[data-plug-id="1"] .dlm-ok-btn');
    const plateEdit = await waitFor('the plate edit', async () => (await edits()).find((e) => e.topic === 'plate'), 10_000);
    assert.deepEqual(plateEdit.payload, { plugId: 1, plate: '1234-XYZ' });
    // The XSS plate can be typed too, and stays text.
    await page.click('tr.dlm-plug[data-plug-id="2"] .dlm-edit');
    await page.fill('tr.dlm-plug[data-plug-id="2"] .dlm-plate-input', XSS);
    await page.click('tr.dlm-plug[data-plug-id="2"] .dlm-ok-btn');
    await waitFor('the second plate edit', async () => ((await edits()).filter((e) => e.topic === 'plate').length === 2 ? true : undefined), 10_000);
    assert.deepEqual((await edits()).filter((e) => e.topic === 'plate')[1].payload, { plugId: 2, plate: XSS });

    // ---- Power monitoring: consumption per phase and analyser (R-MON-1, R-MON-2) ----------
    await tab(1, '.dlm-consumption tr');
    const consRows = await page.$$eval('.dlm-consumption tbody tr', (trs: Element[]) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent!.trim())));
    const cons = (label: string) => consRows.find((r: string[]) => r[0] === label)!.slice(1);
    const phases = ['L1', 'L2', 'L3'] as const;
    assert.deepEqual(cons('MCCB MAX. CURRENT (A)'), phases.map((ph) => num(status.consumption[ph]!.mccbA)));
    assert.deepEqual(cons('TOTAL CONSUMPTION (A)'), phases.map((ph) => num(status.consumption[ph]!.totalA)));
    assert.deepEqual(cons('BUILDING CONSUMPTION (A)'), phases.map((ph) => num(status.consumption[ph]!.buildingA)));
    assert.deepEqual(cons('EV CONSUMPTION (A)'), phases.map((ph) => num(status.consumption[ph]!.evA)));
    assert.equal((await texts('.dlm-phasebar')).length, 3);
    const anRows = await page.$$eval('.dlm-analyser tr[data-row]', (trs: Element[]) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td, i) => (i === 0 ? td.querySelector('b')!.textContent! : td.textContent!.trim()))));
    const an = (label: string) => anRows.find((r: string[]) => r[0] === label)!.slice(1);
    assert.deepEqual(an('REALTIME CURRENT (A)'), phases.map((ph) => num(status.analyser.realtimeA[ph]!)));
    assert.deepEqual(an('AVERAGE CURRENT (A)'), phases.map((ph) => num(status.analyser.averageA[ph]!)));
    assert.deepEqual(an('WORKING LIMIT (A)'), phases.map((ph) => num(status.analyser.workingLimitA[ph]!)));
    assert.equal((await page.textContent('.dlm-an-offline'))!.trim(), amps(status.analyser.offlineCurrentA));
    assert.equal((await page.textContent('.dlm-an-margin'))!.trim(), `${status.analyser.marginPct} %`);
    assert.match((await page.textContent('.dlm-an-status'))!, /ON/);
    await shot('2-power-monitoring.png');

    // ---- Load management: schedule, table per phases, parameters --------------------------
    await tab(2, '.dlm-table tr[data-row]');
    assert.equal(status.priorityActive, true);
    assert.deepEqual(await texts('.dlm-table th.dlm-group'), ['PRIORITY', 'NORMAL']);
    const tRows = await page.$$eval('.dlm-table tr[data-row]', (trs: Element[]) => trs.map((tr) => ({
      label: tr.getAttribute('data-row'),
      cells: Array.from(tr.querySelectorAll('td.dlm-cell .dlm-cell-main')).map((td) => td.textContent!.trim()),
      subs: Array.from(tr.querySelectorAll('td.dlm-cell')).map((td) => td.querySelector('.dlm-cell-sub')?.textContent?.trim() ?? ''),
    })));
    assert.equal(tRows.length, 9);
    const cols = (['PRIORITY', 'NORMAL'] as const).flatMap((g) => phases.map((ph) => status.table[g]![ph]!));
    assert.deepEqual(tRows[0].cells, cols.map((r) => String(r.state)));
    assert.deepEqual(tRows[0].subs, cols.map((r) => STATE_NAMES[r.state]));
    assert.deepEqual(tRows.find((r: any) => r.label === 'CHARGING')!.cells, cols.map((r) => String(r.charging)));
    assert.deepEqual(tRows.find((r: any) => r.label === 'AVAILABLE CURRENT (A)')!.cells, cols.map((r) => num(r.availableA)));
    assert.deepEqual(tRows.find((r: any) => r.label === 'SHARED CURRENT (A)')!.cells, cols.map((r) => num(r.sharedA)));
    const slotTexts = await texts('.dlm-slot');
    assert.equal(slotTexts.length, 24);
    assert.match(slotTexts[16], /16h - 17h\s*✓ priority/);
    assert.match(slotTexts[3], /03h - 04h\s*–/);
    const paramNow = await page.$$eval('.dlm-params tr[data-key]', (trs: Element[]) => Object.fromEntries(trs.map((tr) => [tr.getAttribute('data-key'), tr.querySelector('.dlm-now')!.textContent!.trim()])));
    assert.equal(paramNow.mccbA, `${status.params.mccbA} A`);
    assert.equal(paramNow.contractedKW, `${status.params.contractedKW} kW`);
    assert.equal(paramNow.minCurrentA, `${status.params.minCurrentA} A`);
    await shot('3-load-management.png');

    // Schedule slot 03h-04h marked from the page → the whole schedule for priority-schedule.
    await page.click('.dlm-slot[data-hour="3"]');
    const schedEdit = await waitFor('the schedule edit', async () => (await edits()).find((e) => e.topic === 'schedule'), 10_000);
    const expected = status.schedule.slots.slice();
    expected[3] = true;
    assert.deepEqual(schedEdit.payload, { enabled: true, slots: expected });

    // Parameter: out of range refused in the page, a valid value sent.
    const mccb = '.dlm-params tr[data-key="mccbA"] input';
    await page.fill(mccb, '2');
    await page.click('.dlm-params .dlm-apply');
    assert.match((await page.textContent('.dlm-params tr[data-key="mccbA"] .dlm-field-error'))!, /At least 6 A/);
    await page.fill(mccb, '63');
    await page.click('.dlm-params .dlm-apply');
    const paramEdit = await waitFor('the parameter edit', async () => (await edits()).find((e) => e.topic === 'params'), 10_000);
    assert.deepEqual(paramEdit.payload, { mccbA: 63 });
    // A value the page lets through but the balancer's rules refuse (I_min not a multiple of the
    // resolution): refused on the server, explained on the page, not emitted.
    await page.fill('.dlm-params tr[data-key="minCurrentA"] input', '8.5');
    await page.click('.dlm-params .dlm-apply');
    await page.waitForSelector('.dlm-params .dlm-note.dlm-bad', { timeout: 10_000 });
    assert.match((await page.textContent('.dlm-params .dlm-note.dlm-bad'))!, /multiple of the setpoint resolution/);
    assert.doesNotMatch((await page.textContent('.dlm-params .dlm-info'))!, /Sent/);
    assert.equal((await edits()).filter((e) => e.topic === 'params').length, 1);
    await shot('3b-load-management-after-edits.png');

    // ---- Power graphs (R-MON-4) ---------------------------------------------------------------
    for (const st of live) await post(`${base}/e2e/status`, st);
    await tab(3, '.dlm-power .dlm-kpi');
    await page.waitForFunction(() => document.querySelectorAll('.dlm-chart[data-chart="live"] g[data-series="total"] polyline').length > 0);
    const kpis = await page.$$eval('.dlm-power .dlm-kpi', (els: Element[]) => els.map((e) => [e.getAttribute('data-kpi'), e.querySelector('b')!.textContent!.trim()]));
    assert.deepEqual(kpis, [
      ['Building', kw(next.power.buildingW)], ['EV', kw(next.power.evW)], ['Total', kw(next.power.totalW)], ['Contracted', kw(next.power.contractedW)],
    ]);
    const livePolylines = await page.$$eval('.dlm-chart[data-chart="live"] g[data-series="total"] polyline', (els: Element[]) => els.map((e) => e.getAttribute('points')));
    // The live graph: the last run is the fixture status and the 60 that followed it, 5 s apart
    // (the stored minutes before it are points of their own: 1 min apart is a gap at 1 s resolution).
    assert.equal(livePolylines[livePolylines.length - 1]!.split(' ').length, live.length + 1);
    // The 24 h graph: the stored history (read back from the context store at start) plus the new minutes.
    const dayPoints = await page.$$eval('.dlm-chart[data-chart="day"] g[data-series="total"] polyline', (els: Element[]) =>
      els.reduce((n, e) => n + (e.getAttribute('points') ?? '').split(' ').length, 0));
    assert.ok(dayPoints >= 1430 && dayPoints <= 1440, `24 h of 1-minute points, got ${dayPoints}`);
    await shot('4-power-graphs.png');

    // ---- Transactions (R-MON-5) -----------------------------------------------------------------
    await tab(4, '.dlm-transactions .dlm-tx');
    assert.equal((await texts('.dlm-transactions .dlm-tx')).length, next.transactions.length);
    assert.ok(next.transactions.some((t) => t.stop !== null), 'the fixture has a closed session');
    assert.ok((await texts('.dlm-tx-plate')).includes(XSS));
    assert.equal(await page.getAttribute('.dlm-csv', 'href'), '/dlm/transactions.csv');
    assert.equal(await page.$$eval('.dlm-transactions img', (els: Element[]) => els.length), 0);
    await shot('5-transactions.png');

    assert.deepEqual(dialogs, [], 'no dialog may open (R-CP-6: plates are text)');
    assert.deepEqual(pageErrors, []);
    await page.close();
  });
});
