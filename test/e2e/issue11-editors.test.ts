/**
 * Issue 11 editors in a real Node-RED 4 and Chromium: the dlm-balancer's sub-board list (R-CIRC-1)
 * shows the stored boards, flags a cycle with its reason and saves a new board as JSON; the two new
 * site parameters are in the dialog; the charge-point dialog offers the six rotations, the boards
 * of the workspace's balancers and, for a three-phase plug, the rotation's lines instead of the phase
 * select (R-3PH-1). Deployed, the flow file holds what the runtime reads. A page error fails the test.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { start, waitFor, type RunningNodeRed } from '../support/node-red-runner';

const CHROMIUM = process.env.DLM_CHROMIUM || '/usr/bin/chromium';

describe('e2e: issue 11 editors — boards, rotation, phases (R-CIRC-1, R-3PH-1, R-ERR-1)', function () {
  this.timeout(90000);
  let red: RunningNodeRed | null = null;
  let context: any = null;
  let dir = '';
  after(async () => {
    if (context) await context.close().catch(() => undefined);
    if (red) await red.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('balancer: stored boards listed, a cycle shown with its reason, a new board saved; charge point: rotation lines for a 3φ plug, board offered from the balancer', async () => {
    assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-i11-editor-'));
    const boards = [{ name: 'Garage', parent: 'site', limitA: 63, marginPct: null, hasMeter: true, otherLoadA: 0 }];
    // A sparse balancer, as in a flow saved before some parameters existed (issue 11 adds two): the
    // dialog shows their defaults and the node is valid once saved.
    const flow = [
      { id: 't1', type: 'tab', label: 'site' },
      {
        id: 'dlm',
        z: 't1',
        type: 'dlm-balancer',
        name: 'site',
        analyserEnabled: false,
        boards: JSON.stringify(boards),
        wires: [[], [], []],
      },
      {
        id: 'cp',
        z: 't1',
        type: 'charge-point',
        name: 'CP01',
        index: '',
        address: '',
        plugCount: 2,
        phaseA: 'L1',
        phaseB: 'L1',
        maxCurrentA: 32,
        maxCurrentB: 32,
        enabled: true,
        wires: [['dlm'], []],
      },
    ];
    red = await start(flow, { userDir: dir });
    const { chromium } = require('playwright-core');
    context = await chromium.launchPersistentContext(path.join(dir, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e: Error) => pageErrors.push(e.message));
    await page.goto(red.url + '/');
    await page.waitForFunction(() => (window as any).RED?.nodes?.node?.('dlm'), undefined, { timeout: 30000 });

    // --- the balancer dialog ---
    await page.evaluate(() => (window as any).RED.editor.edit((window as any).RED.nodes.node('dlm')));
    await page.waitForSelector('#dlm-boards .dlm-board-name', { timeout: 15000 });
    assert.deepEqual(await page.$$eval('#dlm-boards .dlm-board-name', (xs: any[]) => xs.map((x) => x.value)), ['Garage']);
    assert.equal(await page.$eval('#dlm-boards .dlm-board-meter', (x: any) => x.checked), true);
    for (const key of ['unbalanceLimitA', 'phaseSettleS']) assert.ok(await page.$(`#node-input-${key}`), `${key} in the dialog`);
    // A second board fed from Garage, then Garage fed from it: a cycle, shown with its reason.
    await page.evaluate(() => (window as any).$('#dlm-boards').editableList('addItem', {}));
    const names = await page.$$('#dlm-boards .dlm-board-name');
    await names[1].fill('Roof');
    await names[1].dispatchEvent('change');
    const parents = await page.$$('#dlm-boards .dlm-board-parent');
    await parents[1].selectOption('Garage');
    await parents[0].selectOption('Roof');
    await page.waitForFunction(() => /cycle/.test(document.getElementById('dlm-boards-errors')!.textContent || ''), undefined, {
      timeout: 5000,
    });
    // Fixed: Garage on the site again; Roof 25 A with its own margin.
    await parents[0].selectOption('site');
    const limits = await page.$$('#dlm-boards .dlm-board-limit');
    await limits[1].fill('25');
    const margins = await page.$$('#dlm-boards .dlm-board-margin');
    await margins[1].fill('5');
    await limits[1].dispatchEvent('change');
    await page.waitForFunction(() => (document.getElementById('dlm-boards-errors')!.textContent || '') === '', undefined, {
      timeout: 5000,
    });
    await page.click('#node-dialog-ok');
    const saved = await page.evaluate(() => (window as any).RED.nodes.node('dlm').boards);
    assert.deepEqual(JSON.parse(saved), [
      { name: 'Garage', parent: 'site', limitA: 63, marginPct: null, hasMeter: true, otherLoadA: 0 },
      { name: 'Roof', parent: 'Garage', limitA: 25, marginPct: 5, hasMeter: false, otherLoadA: 0 },
    ]);
    assert.deepEqual(
      await page.evaluate(() => [(window as any).RED.nodes.node('dlm').valid, (window as any).RED.nodes.node('dlm').validationErrors]),
      [true, []],
    );

    // --- the charge-point dialog (once the balancer's tray has gone: one form at a time) ---
    await page.waitForSelector('#dlm-boards', { state: 'detached', timeout: 15000 });
    await page.evaluate(() => (window as any).RED.editor.edit((window as any).RED.nodes.node('cp')));
    await page.waitForSelector('#node-input-rotation option', { timeout: 15000, state: 'attached' });
    await page.waitForFunction(() => (document.getElementById('node-input-name') as HTMLInputElement | null)?.value === 'CP01', undefined, {
      timeout: 15000,
    });
    assert.deepEqual(await page.$$eval('#node-input-rotation option', (xs: any[]) => xs.map((x) => x.value)), [
      'RST',
      'RTS',
      'SRT',
      'STR',
      'TRS',
      'TSR',
    ]);
    assert.deepEqual(await page.$$eval('#dlm-board-list option', (xs: any[]) => xs.map((x) => x.value)), ['site', 'Garage', 'Roof']);
    await page.selectOption('#node-input-rotation', 'STR');
    // Single-phase plugs on the old first line (L1) follow the rotation's first line (L2).
    assert.equal(await page.$eval('#node-input-phaseB', (x: any) => x.value), 'L2');
    await page.selectOption('#node-input-phasesA', '3');
    assert.equal(await page.isVisible('#node-input-phaseA'), false, 'the phase select is replaced');
    assert.equal((await page.textContent('#dlm-lines-A'))!.trim(), 'L2 L3 L1');
    assert.equal(await page.isVisible('#node-input-phaseB'), true);
    await page.fill('#node-input-board', 'Nowhere');
    await page.dispatchEvent('#node-input-board', 'input');
    assert.match((await page.textContent('#dlm-board-hint')) || '', /not declared/);
    await page.fill('#node-input-board', 'Roof');
    await page.dispatchEvent('#node-input-board', 'input');
    assert.equal((await page.textContent('#dlm-board-hint')) || '', '');
    await page.click('#node-dialog-ok');
    const cp = await page.evaluate(() => {
      const n = (window as any).RED.nodes.node('cp');
      return {
        rotation: n.rotation,
        board: n.board,
        phasesA: n.phasesA,
        phasesB: n.phasesB,
        phaseA: n.phaseA,
        phaseB: n.phaseB,
        valid: n.valid,
        errors: n.validationErrors,
      };
    });
    assert.deepEqual(cp, {
      rotation: 'STR',
      board: 'Roof',
      phasesA: '3',
      phasesB: '1',
      phaseA: 'L2',
      phaseB: 'L2',
      valid: true,
      errors: [],
    });

    await page.click('#red-ui-header-button-deploy');
    await waitFor(
      'deployed',
      async () => (fs.readFileSync(path.join(dir, 'flows.json'), 'utf8').includes('Roof') ? true : undefined),
      15000,
      200,
    );
    const file = JSON.parse(fs.readFileSync(path.join(dir, 'flows.json'), 'utf8'));
    assert.equal(file.find((n: any) => n.id === 'cp').rotation, 'STR');
    assert.equal(JSON.parse(file.find((n: any) => n.id === 'dlm').boards).length, 2);
    assert.deepEqual(pageErrors, []);
  });
});
