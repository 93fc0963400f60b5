/**
 * `npm start -- --auth` (issue 9, R-SEC-1; docs/example-site.md): the demo with Node-RED's
 * adminAuth. The package's API refuses anonymous reads and changes; a token of the printed user
 * reads and changes; settings.js holds a bcrypt hash, not the password.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freePort } from '../support/node-red-runner';
import { startSite, type RunningSite } from '../support/demo-site';

describe('npm start -- --auth: the demo behind adminAuth (issue 9 item 2, R-SEC-1)', function () {
  this.timeout(90_000);
  let site: RunningSite | null = null;
  let dir = '';
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-auth-site-'));
    site = await startSite({
      dir,
      port: await freePort(),
      meterPort: await freePort(),
      amps: [10, 10, 10],
      speed: 1,
      args: ['--auth'],
      env: { DLM_ADMIN_PASSWORD: '' },
    });
  });
  after(async () => {
    await site?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a random password is printed, settings.js holds only its bcrypt hash; anonymous API calls → 401; the admin's token → 200", async () => {
    const s = site!;
    assert.ok(s.auth && s.auth.username === 'admin' && s.auth.password.length >= 12, 'a generated log-in');
    assert.match(s.log(), new RegExp(`Log-in +user admin, password ${s.auth!.password.replace(/[-]/g, '\\-')} \\(random`));
    const settings = fs.readFileSync(path.join(dir, 'settings.js'), 'utf8');
    assert.ok(!settings.includes(s.auth!.password), 'no clear-text password in settings.js');
    assert.match(settings, /"adminAuth"[\s\S]*"password": "\$2[aby]\$10\$/);

    assert.equal((await fetch(`${s.url}/dlm/status`)).status, 401);
    const anonPost = await fetch(`${s.url}/dlm/params`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mccbA: 6300, contractedKW: 10000, marginPct: 0, analyserEnabled: false }),
    });
    assert.equal(anonPost.status, 401);

    const login = await fetch(`${s.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: 'node-red-admin',
        grant_type: 'password',
        scope: '*',
        username: 'admin',
        password: s.auth!.password,
      }),
    });
    assert.equal(login.status, 200);
    const token = ((await login.json()) as any).access_token as string;
    const st = await fetch(`${s.url}/dlm/status`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(st.status, 200);
    const status = (await st.json()) as any;
    assert.equal(status.params.mccbA, 50, 'the anonymous change did nothing');
    const plate = await fetch(`${s.url}/dlm/plate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ plugId: 5, plate: 'AUTH-1' }),
    });
    assert.equal(plate.status, 200);
  });
});
