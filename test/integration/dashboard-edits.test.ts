/**
 * Dashboard edits belong to authorised users (issue 9 item 2, SPEC R-SEC-1; lib/dashboard/edits.ts), in a
 * REAL Node-RED with node-red-dashboard 3: a parameters widget left at the default `edits:
 * "protected"` sends an edit arriving on the dashboard's socket.io channel only when settings.js
 * puts the dashboard behind a login (`ui.middleware` and `ui.ioMiddleware`). The edit is sent the
 * way the page sends it (socket.io `update-value`, Engine.IO polling), then GET /dlm/status shows
 * whether it reached the balancer.
 */
import { strict as assert } from 'assert';
import { start, waitFor, type RunningNodeRed } from '../support/node-red-runner';

const FLOW = [
  { id: 'f1', type: 'tab', label: 'dashboard edits' },
  { id: 'uib', type: 'ui_base', theme: { name: 'theme-light' } },
  { id: 'uit', type: 'ui_tab', name: 'Site', icon: 'dashboard', order: 1, disabled: false, hidden: false },
  { id: 'uig', type: 'ui_group', name: 'Parameters', tab: 'uit', order: 1, disp: true, width: '12', collapse: false },
  { id: 'dlm', z: 'f1', type: 'dlm-balancer', name: 'site', mccbA: 50, contractedKW: 36, wires: [[], ['w'], []] },
  // No `edits` property: the default, "protected".
  { id: 'w', z: 'f1', type: 'dlm-ui-params', group: 'uig', order: 1, width: 0, height: 0, name: '', wires: [['dlm']] },
];

const PROTECTED_DASHBOARD = `module.exports.ui = {
  path: 'ui',
  // A real site checks a session or basic auth here; the test only needs them set.
  middleware: function (req, res, next) { next(); },
  ioMiddleware: function (socket, next) { next(); },
};`;

/**
 * Sends one widget edit over the dashboard's socket.io channel as the page does: Engine.IO 4 long
 * polling (without ioMiddleware node-red-dashboard refuses sockets that start as WebSockets).
 */
async function sendEdit(red: RunningNodeRed, msg: unknown): Promise<void> {
  const base = `${red.url}/ui/socket.io/?EIO=4&transport=polling`;
  const open = await (await fetch(base)).text();
  const sid = JSON.parse(open.slice(open.indexOf('{'))).sid as string;
  const url = `${base}&sid=${encodeURIComponent(sid)}`;
  const post = async (packet: string) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8' }, body: packet });
    assert.equal(res.status, 200, `socket.io POST: ${await res.text()}`);
  };
  await post('40'); // join the default namespace
  const joined = await (await fetch(url)).text();
  // eslint-disable-next-line no-control-regex -- socket.io's record separator
  assert.match(joined, /(^|\x1e)40/, `socket.io connect: ${joined.slice(0, 100)}`);
  await post('42' + JSON.stringify(['update-value', { id: 'w', msg }]));
}

async function status(red: RunningNodeRed): Promise<any> {
  const res = await fetch(`${red.url}/dlm/status`);
  assert.equal(res.status, 200);
  return res.json();
}

/** Waits until the widget has a status to check edits against (the balancer's first status). */
async function widgetReady(red: RunningNodeRed): Promise<void> {
  await waitFor("the balancer's status", async () => ((await status(red)).params ? true : undefined), 10_000);
  await new Promise((r) => setTimeout(r, 1500)); // one balancer tick: the status reaches the widget
}

describe('dashboard edits in a real Node-RED with node-red-dashboard (issue 9 item 2, R-SEC-1)', function () {
  this.timeout(60_000);
  let red: RunningNodeRed | null = null;
  afterEach(async () => {
    await red?.stop();
    red = null;
  });

  it('"protected" widget, dashboard without ui.middleware / ui.ioMiddleware: the edit is refused, nothing changes, a warning says why', async () => {
    red = await start(FLOW);
    await widgetReady(red);
    const before = (await status(red)).params.resumeHysteresisA;
    await sendEdit(red, { topic: 'params', payload: { resumeHysteresisA: before === 2 ? 3 : 2 } });
    await waitFor(
      'the refusal warning',
      async () =>
        /params edit from the dashboard refused: Edits refused: this dashboard has no login/.test(red!.log()) ? true : undefined,
      10_000,
    );
    assert.equal((await status(red)).params.resumeHysteresisA, before);
  });

  it('"protected" widget, dashboard behind ui.middleware and ui.ioMiddleware: the same edit reaches the balancer', async () => {
    red = await start(FLOW, { settingsCode: PROTECTED_DASHBOARD });
    await widgetReady(red);
    const before = (await status(red)).params.resumeHysteresisA;
    const want = before === 2 ? 3 : 2;
    await sendEdit(red, { topic: 'params', payload: { resumeHysteresisA: want } });
    await waitFor(
      'the new hysteresis in /dlm/status',
      async () => ((await status(red!)).params.resumeHysteresisA === want ? true : undefined),
      10_000,
    );
    assert.doesNotMatch(red.log(), /edit from the dashboard refused/);
  });
});
