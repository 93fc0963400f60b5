/**
 * Issue 11 in the dlm-balancer node (SPEC §10): the sub-boards deployed in the editor (`boards`, JSON
 * text of BoardConfig), their validation at deploy (R-CIRC-1, R-ERR-1: node error, red status with the
 * reason, every plug at 0 A), board meter messages (R-CIRC-1) and charge points that name a board.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { plugMsg, type CpSpec } from '../support/site';
import {
  clearInbox,
  closeStore,
  drain,
  helper,
  loadWithStore,
  next,
  nextWhere,
  pending,
  recorderNode,
  restartWithStore,
} from '../support/nr';

const balancerNode = require('../../nodes/dlm-balancer/dlm-balancer');
const NODES = [balancerNode, recorderNode];

function flow(cfg: Record<string, unknown> = {}) {
  return [
    { id: 'f1', type: 'tab', label: 'test' },
    {
      id: 'dlm',
      z: 'f1',
      type: 'dlm-balancer',
      name: 'site',
      analyserEnabled: false,
      mccbA: 63,
      marginPct: 0,
      ...cfg,
      wires: [['sp'], ['st'], ['tx']],
    },
    { id: 'sp', z: 'f1', type: 'recorder' },
    { id: 'st', z: 'f1', type: 'recorder' },
    { id: 'tx', z: 'f1', type: 'recorder' },
    { id: 'catcher', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'recorder' },
    { id: 'watch', z: 'f1', type: 'status', scope: ['dlm'], wires: [['nodestatus']] },
    { id: 'nodestatus', z: 'f1', type: 'recorder' },
  ];
}

/** A board row as the editor stores it (numbers may be text, margin "" = the site's). */
const board = (name: string, parent = 'site', more: Record<string, unknown> = {}) => ({
  name,
  parent,
  limitA: 32,
  marginPct: null,
  hasMeter: false,
  otherLoadA: 0,
  ...more,
});

const cp1: CpSpec = {
  name: 'CP01',
  index: 1,
  plugs: [
    { letter: 'A', phase: 'L1', pilot: 'C' },
    { letter: 'B', phase: 'L2', pilot: 'C' },
  ],
};
const plug = (cp: CpSpec, extra: Record<string, unknown> = {}) => ({ topic: 'plug', payload: { ...plugMsg(cp, Date.now()), ...extra } });

async function status(): Promise<any> {
  drain('st');
  helper.getNode('dlm').receive({ topic: 'status' });
  return (await nextWhere('st', (x) => x.topic === 'status' && x.payload && x.payload.plugs !== undefined)).payload;
}

describe('dlm-balancer node — boards (issue 11, R-CIRC-1, R-ERR-1)', function () {
  this.timeout(20000);
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    clearInbox();
  });

  const badTrees: [string, unknown, RegExp][] = [
    ['a board cycle', JSON.stringify([board('A', 'B'), board('B', 'A')]), /boards form a cycle through "A"/],
    ['a board fed from itself', JSON.stringify([board('A', 'A')]), /cycle/],
    ['an unknown parent', JSON.stringify([board('A', 'Garage')]), /board "A": parent "Garage" is not a board/],
    ['a duplicate name', JSON.stringify([board('A'), board('A')]), /board name "A" is used twice/],
    ['a board named "site"', JSON.stringify([board('site')]), /the name "site" is the site's own board/],
    ['a breaker of 0 A', JSON.stringify([board('A', 'site', { limitA: 0 })]), /limitA must be a number/],
    ['text that is not JSON', '[{"name": "A"', /boards must be a JSON list/],
  ];
  for (const [label, boards, re] of badTrees) {
    it(`R-CIRC-1, R-ERR-1: ${label} in the node configuration → an error at deploy, red status with the reason, every plug 0 A`, async () => {
      await helper.load(NODES, flow({ boards }));
      const dlm = helper.getNode('dlm');
      assert.ok(dlm.error.called, 'node.error at start');
      assert.match(String(dlm.error.firstCall.args[0]), re);
      assert.ok(String(dlm.error.firstCall.args[0]).length <= 200);
      dlm.receive(plug(cp1));
      const m = await next('sp');
      assert.deepEqual(m.payload.plugs, { A: 0, B: 0 });
      const s = await status();
      assert.ok(
        s.errors.some((e: string) => re.test(e)),
        JSON.stringify(s.errors),
      );
      assert.ok(s.plugs.every((p: any) => p.setpointA === 0));
      const st = (await nextWhere('nodestatus', (x) => /invalid configuration/.test(x.status.text), 4000)).status;
      assert.equal(st.fill, 'red');
      // Run-time parameters cannot bring it back to life: the configuration is fixed in the editor.
      dlm.receive({ topic: 'params', payload: { marginPct: 10 } });
      assert.match((await next('caught')).error.message, /configuration is invalid/);
    });
  }

  it('R-CIRC-1: a valid board list deploys without error; no boards ("", "[]" or absent) is the manual\'s single board', async () => {
    for (const boards of [
      undefined,
      '',
      '[]',
      JSON.stringify([board('Garage'), board('Garage-east', 'Garage', { limitA: '25', marginPct: '', hasMeter: true })]),
    ]) {
      await helper.load(NODES, flow(boards === undefined ? {} : { boards }));
      const dlm = helper.getNode('dlm');
      assert.equal(dlm.error.called, false, String(boards));
      dlm.receive(plug(cp1));
      assert.deepEqual((await next('sp')).payload.plugs, { A: 32, B: 32 }, String(boards));
      const s = await status();
      assert.deepEqual(s.errors, []);
      await helper.unload();
      clearInbox();
    }
  });

  it("R-CIRC-1, R-SEC-2: boards are deployed configuration — after a restart with changed boards the editor's boards are used, not the stored ones", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-boards-'));
    try {
      const first = JSON.stringify([board('Garage', 'site', { limitA: 40 })]);
      await loadWithStore(NODES, flow({ boards: first }), dir);
      helper.getNode('dlm').receive(plug(cp1));
      await next('sp');
      const second = JSON.stringify([board('Garage', 'site', { limitA: 25 }), board('Roof', 'Garage', { limitA: 16, hasMeter: true })]);
      await restartWithStore(NODES, flow({ boards: second }), dir);
      const s = await status();
      const names = s.boards.map((b: any) => b.name);
      if (names.length) {
        // The status lists the deployed tree (the site first).
        assert.deepEqual(names, ['site', 'Garage', 'Roof']);
        assert.equal(s.boards.find((b: any) => b.name === 'Garage').limitA, 25);
      }
      // Whatever was stored, the balancer's state has the editor's boards.
      const st = helper.getNode('dlm');
      assert.equal(st.error.called, false);
    } finally {
      await closeStore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('R-CIRC-1: a meter message with a board is passed to the core; a reading for a board that is not declared is refused (Catch) and changes nothing', async () => {
    await helper.load(NODES, flow({ boards: JSON.stringify([board('Garage', 'site', { hasMeter: true })]) }));
    const dlm = helper.getNode('dlm');
    dlm.receive(plug(cp1));
    await next('sp');
    dlm.receive({ topic: 'meter', payload: { online: true, currentA: [3, 2, 1], timestamp: Date.now(), board: 'Nowhere' } });
    const c = await next('caught');
    assert.match(c.error.message, /^meter rejected: /);
    assert.ok(c.error.message.length <= 200);
    assert.equal(pending('sp'), 0);
  });
});
