/**
 * Both dashboard families installed together (issue 14): node-red-dashboard 3 (dlm-ui-…, /ui) and
 * FlowFuse Dashboard 2.0 (dlm-ui2-…, /dashboard) in ONE Node-RED, on Node-RED 4.1 and on Node-RED 5
 * (the npm alias node-red-5, run by Node.js 22 from the registry's node@22 package, as
 * tools/test-nr5.js does). This package is installed the way a user installs it — in the user
 * directory's node_modules and package.json — not through nodesDir, so Dashboard 2.0 finds the
 * widget bundle through the widgets themselves (its own package.json scan only looks at packages
 * named node-red-dashboard-2-…). Checked: both dashboards start at their paths, their pages and
 * socket.io endpoints answer, no error is logged, and in Chromium a widget of each family shows a
 * balancer status.
 */
import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { statusOf } from '../../lib/core/status';
import { REPO_ROOT, start, type RunningNodeRed } from '../support/node-red-runner';
import { Site } from '../support/site';

const CHROMIUM = process.env.DLM_CHROMIUM || '/usr/bin/chromium';
const SHOTS = path.join(REPO_ROOT, 'test-output', 'screenshots');

function status() {
  const site = new Site();
  site.report({
    name: 'CP01',
    index: 1,
    plugs: [
      { letter: 'A', phase: 'L1', pilot: 'C', measuredA: 12, plate: '<b>AE-1111-FF</b>' },
      { letter: 'B', phase: 'L1', pilot: 'A' },
    ],
  });
  site.meter([10, 10, 10]);
  site.run(3, [10, 10, 10]);
  return statusOf(site.state, site.now);
}

/** One flow with a plug-status widget of each family, fed the same status every 2 s. */
function flow(): unknown[] {
  return [
    { id: 't', type: 'tab', label: 'both dashboards' },
    {
      id: 'inj',
      type: 'inject',
      z: 't',
      name: 'status',
      props: [{ p: 'payload' }],
      repeat: '2',
      once: true,
      onceDelay: '0.5',
      topic: '',
      payload: JSON.stringify(status()),
      payloadType: 'json',
      x: 100,
      y: 100,
      wires: [['w3', 'w2', 'w2p', 'w2s']],
    },
    // node-red-dashboard 3
    {
      id: 'b3',
      type: 'ui_base',
      theme: { name: 'theme-light' },
      site: {
        name: 'D3',
        hideToolbar: 'false',
        allowSwipe: 'false',
        lockMenu: 'false',
        allowTempTheme: 'true',
        dateFormat: 'DD/MM/YYYY',
        sizes: { sx: 48, sy: 48, gx: 6, gy: 6, cx: 6, cy: 6, px: 0, py: 0 },
      },
    },
    { id: 'tab3', type: 'ui_tab', name: 'Site', icon: 'dashboard', order: 1, disabled: false, hidden: false },
    { id: 'g3', type: 'ui_group', name: 'Plugs', tab: 'tab3', order: 1, disp: true, width: '18', collapse: false, className: '' },
    { id: 'w3', type: 'dlm-ui-plugs', z: 't', name: '', group: 'g3', order: 1, width: 0, height: 0, x: 300, y: 80, wires: [[]] },
    // FlowFuse Dashboard 2.0
    {
      id: 'b2',
      type: 'ui-base',
      name: 'D2',
      path: '/dashboard',
      includeClientData: true,
      acceptsClientConfig: ['ui-notification', 'ui-control'],
      showPathInSidebar: false,
      headerContent: 'page',
      navigationStyle: 'default',
      titleBarStyle: 'default',
    },
    {
      id: 'th2',
      type: 'ui-theme',
      name: 'theme',
      colors: { surface: '#ffffff', primary: '#1565c0', bgPage: '#eeeeee', groupBg: '#ffffff', groupOutline: '#cccccc' },
      sizes: { density: 'default', pagePadding: '12px', groupGap: '12px', groupBorderRadius: '4px', widgetGap: '12px' },
    },
    {
      id: 'p2',
      type: 'ui-page',
      name: 'Site',
      ui: 'b2',
      path: '/site',
      icon: 'home',
      layout: 'grid',
      theme: 'th2',
      breakpoints: [
        { name: 'Default', px: '0', cols: '3' },
        { name: 'Desktop', px: '1024', cols: '12' },
      ],
      order: 1,
      className: '',
      visible: 'true',
      disabled: 'false',
    },
    {
      id: 'g2',
      type: 'ui-group',
      name: 'Plugs',
      page: 'p2',
      width: '12',
      height: '1',
      order: 1,
      showTitle: true,
      className: '',
      visible: 'true',
      disabled: 'false',
      groupType: 'default',
    },
    { id: 'w2', type: 'dlm-ui2-plugs', z: 't', name: '', group: 'g2', order: 1, width: '0', height: '0', x: 300, y: 120, wires: [[]] },
    { id: 'w2s', type: 'dlm-ui2-schedule', z: 't', name: '', group: 'g2', order: 2, width: '0', height: '0', x: 300, y: 160, wires: [[]] },
    { id: 'w2p', type: 'dlm-ui2-params', z: 't', name: '', group: 'g2', order: 3, width: '0', height: '0', x: 300, y: 200, wires: [[]] },
  ];
}

/** A user directory with this package installed as `npm install @evdlm/node-red-dlm` leaves it (a link to the repository). */
function userDirWithPackage(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-both-'));
  fs.mkdirSync(path.join(dir, 'node_modules', '@evdlm'), { recursive: true });
  fs.symlinkSync(REPO_ROOT, path.join(dir, 'node_modules', '@evdlm', 'node-red-dlm'), 'dir');
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'node-red-project', private: true, dependencies: { '@evdlm/node-red-dlm': '0.1.0' } }),
  );
  return dir;
}

/** Node.js 22 for Node-RED 5, from the registry's node@22 package (cached by npx after the first run). */
function node22(): string {
  return execFileSync('npx', ['-y', '-p', 'node@22', 'node', '-e', 'process.stdout.write(process.execPath)'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  }).trim();
}

const RUNTIMES = [
  { label: 'Node-RED 4.1', nodeRed: 'node-red', version: /Node-RED version: v4\.1\./, nodeBinary: () => process.execPath },
  { label: 'Node-RED 5', nodeRed: 'node-red-5', version: /Node-RED version: v5\./, nodeBinary: node22 },
];

for (const rt of RUNTIMES) {
  describe(`both dashboards installed together on ${rt.label}: node-red-dashboard 3 at /ui and Dashboard 2.0 at /dashboard (issue 14)`, function () {
    this.timeout(120_000);
    let red: RunningNodeRed | null = null;
    let dir = '';
    let browser: any = null;

    before(async function () {
      dir = userDirWithPackage();
      red = await start(flow(), { userDir: dir, nodesDir: [], nodeRed: rt.nodeRed, nodeBinary: rt.nodeBinary(), startTimeoutMs: 60_000 });
    });

    after(async function () {
      if (browser) await browser.close().catch(() => undefined);
      if (red) await red.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("both start at their own paths with this package's widgets loaded, and nothing is logged as an error", () => {
      const log = red!.log();
      assert.match(log, rt.version);
      assert.match(log, /Dashboard version 3\.\d+\.\d+ started at \/ui/);
      assert.match(log, /Node-RED Dashboard 2\.0 \(v1\.31\.\d+\) started at \/dashboard/);
      assert.doesNotMatch(log, /\[error\]|not installed|Waiting for missing types/, log);
    });

    it("the two dashboards' pages, socket.io endpoints and the widget bundle answer, each its own (no route collision)", async () => {
      const get = async (p: string) => {
        const res = await fetch(red!.url + p);
        return { status: res.status, body: await res.text() };
      };
      const ui = await get('/ui/');
      assert.equal(ui.status, 200);
      assert.match(ui.body, /ng-app/, '/ui/ is node-red-dashboard 3');
      const d2 = await get('/dashboard/site');
      assert.equal(d2.status, 200);
      assert.doesNotMatch(d2.body, /ng-app/, '/dashboard is Dashboard 2.0');
      assert.equal(JSON.parse((await get('/dashboard/_setup')).body).socketio.path, '/dashboard/socket.io');
      for (const p of ['/ui/socket.io/?EIO=4&transport=polling', '/dashboard/socket.io/?EIO=4&transport=polling']) {
        const r = await get(p);
        assert.equal(r.status, 200, p);
        assert.match(r.body, /^0\{"sid":/, `${p}: an engine.io handshake`);
      }
      const bundle = await get('/resources/@evdlm/node-red-dlm/dlm-ui2.umd.js');
      assert.equal(bundle.status, 200);
      assert.match(bundle.body, /DlmUi2Plugs/);
    });

    it("in Chromium, the plug-status widget of each family shows the status, the plate as text; Dashboard 2.0's, protected without a login, is read-only and says why (R-SEC-1)", async () => {
      assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}`);
      fs.mkdirSync(SHOTS, { recursive: true });
      const { chromium } = require('playwright-core');
      browser = await chromium.launch({
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
      });
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e: Error) => errors.push(e.message));
      const tag = rt.nodeRed;
      for (const [url, shot] of [
        ['/dashboard/site', `both-${tag}-dashboard2.png`],
        ['/ui/#!/0', `both-${tag}-dashboard3.png`],
      ]) {
        await page.goto(red!.url + url);
        await page.waitForSelector('.dlm-plugs tr.dlm-plug[data-plug-id="1"]', { timeout: 20_000 });
        assert.equal((await page.textContent('.dlm-plugs tr.dlm-plug[data-plug-id="1"] .dlm-plate'))!.trim(), '<b>AE-1111-FF</b>', url);
        assert.equal(await page.$$eval('.dlm-plugs .dlm-plate b', (els: Element[]) => els.length), 0, 'the plate is not HTML');
        if (url.startsWith('/dashboard')) {
          // Edits = protected (the default) and no login in settings.js: read-only, and the page says why (R-SEC-1).
          assert.match((await page.textContent('.dlm-plugs .dlm-access'))!, /Read-only: this dashboard has no login/);
          assert.equal(await page.$$eval('.dlm-plugs .dlm-edit', (els: Element[]) => els.length), 0);
          await page.waitForSelector('.dlm-params tr[data-key]', { timeout: 10_000 });
          await page.waitForSelector('.dlm-schedule .dlm-slot', { timeout: 10_000 });
          assert.equal(
            await page.$$eval('.dlm-params input, .dlm-params select, .dlm-params .dlm-apply', (els: Element[]) => els.length),
            0,
            'no parameter inputs',
          );
          assert.equal(
            await page.$$eval('.dlm-schedule button:not([disabled])', (els: Element[]) => els.length),
            0,
            'schedule buttons disabled',
          );
          assert.equal(await page.$$eval('.dlm-schedule .dlm-slot[disabled]', (els: Element[]) => els.length), 24);
          assert.match((await page.textContent('.dlm-params .dlm-access'))!, /Read-only/);
        }
        await page.waitForTimeout(800); // let the dashboard's navigation drawer finish moving
        await page.screenshot({ path: path.join(SHOTS, shot), fullPage: true });
      }
      assert.deepEqual(errors, []);
    });
  });
}
