/**
 * The ocpp-central editor in a real Node-RED 4 and Chromium (issue 12): commissioning a charger
 * from the browser — the list shows the stored charger and its password (from the credentials
 * store), a new charger with its password is added and deployed, and both chargers then connect
 * with security profile 1; a page error fails the test.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freePort, start, waitFor, type RunningNodeRed } from '../support/node-red-runner';
import { TestCharger } from '../../tools/ocpp-charger';

const CHROMIUM = process.env.DLM_CHROMIUM || '/usr/bin/chromium';

describe('e2e: ocpp-central editor (issue 12, R-SEC-5)', function () {
  this.timeout(90000);
  let red: RunningNodeRed | null = null;
  let context: any = null;
  let dir = '';
  const chargers: TestCharger[] = [];
  after(async () => {
    await Promise.all(chargers.map((c) => c.stop()));
    if (context) await context.close().catch(() => undefined);
    if (red) await red.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows the allow-list with its stored password, adds a charger with a password, deploys; both connect', async () => {
    assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-ocpp-editor-'));
    const ocppPort = await freePort();
    const flow = [
      { id: 't1', type: 'tab', label: 'ocpp' },
      {
        id: 'central',
        z: 't1',
        type: 'ocpp-central',
        name: '',
        host: '127.0.0.1',
        port: ocppPort,
        path: 'ocpp',
        tls: false,
        keyFile: '',
        certFile: '',
        reactionDelayS: 5,
        chargers: [{ identity: 'CP01', plugs: 2, wholeAmps: false, plateFromIdTag: false }],
        x: 200,
        y: 100,
        wires: [[], []],
      },
    ];
    fs.writeFileSync(
      path.join(dir, 'flows_cred.json'),
      JSON.stringify({ central: { passwords: JSON.stringify({ CP01: 'first-password-1' }) } }),
    );
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
    await page.waitForFunction(() => (window as any).RED?.nodes?.node?.('central'), undefined, { timeout: 30000 });
    await page.evaluate(() => (window as any).RED.editor.edit((window as any).RED.nodes.node('central')));
    await page.waitForSelector('#node-input-charger-list .ocpp-id', { timeout: 15000 });
    const rows = await page.$$eval('#node-input-charger-list .ocpp-id', (xs: any[]) => xs.map((x) => x.value));
    assert.deepEqual(rows, ['CP01']);
    assert.equal(await page.$eval('#node-input-charger-list .ocpp-pw', (x: any) => x.value), 'first-password-1');
    await page.evaluate(() => (window as any).$('#node-input-charger-list').editableList('addItem', { identity: '', plugs: 1 }));
    const ids = await page.$$('#node-input-charger-list .ocpp-id');
    const pws = await page.$$('#node-input-charger-list .ocpp-pw');
    await ids[1].fill('CP02');
    await pws[1].fill('second-password-2');
    await page.click('#node-dialog-ok');
    await page.click('#red-ui-header-button-deploy');
    await waitFor(
      'deployed',
      async () => (fs.readFileSync(path.join(dir, 'flows.json'), 'utf8').includes('CP02') ? true : undefined),
      15000,
      200,
    );
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'flows.json'), 'utf8')).find((n: any) => n.id === 'central');
    assert.deepEqual(
      saved.chargers.map((c: any) => [c.identity, c.plugs]),
      [
        ['CP01', 2],
        ['CP02', 1],
      ],
    );
    assert.ok(!JSON.stringify(saved).includes('second-password-2'), 'passwords stay out of the flow file');
    // Both chargers connect with their passwords (the redeployed node listens again).
    for (const [identity, password] of [
      ['CP01', 'first-password-1'],
      ['CP02', 'second-password-2'],
    ]) {
      const ch = new TestCharger({
        endpoint: `ws://127.0.0.1:${ocppPort}/ocpp`,
        identity,
        password,
        connectors: identity === 'CP02' ? 1 : 2,
      });
      chargers.push(ch);
      await waitFor(
        `${identity} connected`,
        async () => {
          await ch.start();
          return true;
        },
        15000,
        300,
      );
    }
    const wrong = new TestCharger({ endpoint: `ws://127.0.0.1:${ocppPort}/ocpp`, identity: 'CP02', password: 'first-password-1' });
    await assert.rejects(wrong.start(), /Unauthorized|401/);
    assert.deepEqual(pageErrors, []);
  });
});
