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
      contractedKW: 100,
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

  it("R-CIRC-1, R-SEC-2: boards are deployed configuration — after a restart with changed boards the editor's are used; an unchanged board keeps its meter readings", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-boards-'));
    try {
      const garage = board('Garage', 'site', { limitA: 40, hasMeter: true });
      const roof = board('Roof', 'site', { limitA: 20, hasMeter: true });
      await loadWithStore(NODES, flow({ boards: JSON.stringify([garage, roof]) }), dir);
      let dlm = helper.getNode('dlm');
      dlm.receive(plug(cp1));
      await next('sp');
      for (const b of ['Garage', 'Roof'])
        dlm.receive({ topic: 'meter', payload: { online: true, currentA: [5, 6, 7], timestamp: Date.now(), board: b } });
      let s = await status();
      assert.deepEqual(
        s.boards.map((b: any) => [b.name, b.limitA, b.meter && b.meter.online]),
        [
          ['site', 63, false],
          ['Garage', 40, true],
          ['Roof', 20, true],
        ],
      );
      // Redeploy: Garage unchanged, Roof's breaker changed, a new board Cellar fed from Garage.
      const roof2 = { ...roof, limitA: 16 };
      const cellar = board('Cellar', 'Garage', { limitA: 25 });
      await restartWithStore(NODES, flow({ boards: JSON.stringify([garage, roof2, cellar]) }), dir);
      dlm = helper.getNode('dlm');
      assert.equal(dlm.error.called, false);
      dlm.receive(plug(cp1)); // one step with the restored state (its setpoints unchanged: nothing sent)
      s = await status();
      assert.deepEqual(
        s.boards.map((b: any) => [b.name, b.parent, b.limitA]),
        [
          ['site', null, 63],
          ['Garage', 'site', 40],
          ['Cellar', 'Garage', 25],
          ['Roof', 'site', 16],
        ],
        'the tree of the editor, depth-first (not the stored one)',
      );
      const byName = (n: string) => s.boards.find((b: any) => b.name === n);
      assert.notEqual(byName('Garage').meter.lastReadingAt, null, 'unchanged board: its meter readings are kept');
      assert.equal(byName('Roof').meter.lastReadingAt, null, 'changed board: its meter starts afresh');
      assert.equal(byName('Cellar').meter, null);
      assert.ok(s.plugs.some((p: any) => p.chargePoint === 'CP01' && p.board === 'site'));
    } finally {
      await closeStore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('R-CIRC-1, R-ERR-1: a charge point on a board the balancer does not declare → its plugs ERR_CFG with the reason, 0 A; on a declared board it charges', async () => {
    await helper.load(NODES, flow({ boards: JSON.stringify([board('Garage')]) }));
    const dlm = helper.getNode('dlm');
    dlm.receive(plug(cp1, { board: 'Nowhere' }));
    assert.deepEqual((await next('sp')).payload.plugs, { A: 0, B: 0 });
    let s = await status();
    for (const p of s.plugs) {
      assert.equal(p.status, 'ERR_CFG');
      assert.match(p.reason, /board Nowhere is not declared in the balancer/);
      assert.equal(p.setpointA, 0);
    }
    dlm.receive(plug(cp1, { board: 'Garage' }));
    assert.deepEqual((await next('sp')).payload.plugs, { A: 32, B: 32 });
    s = await status();
    assert.deepEqual(
      s.plugs.map((p: any) => [p.status, p.board]),
      [
        ['CHARGING', 'Garage'],
        ['CHARGING', 'Garage'],
      ],
    );
  });

  it("R-CIRC-1, R-3PH-2: the board's breaker limits its plugs while the site has room (a three-phase plug on a rotated charger, 32 A board, 63 A site)", async () => {
    await helper.load(NODES, flow({ boards: JSON.stringify([board('Garage', 'site', { limitA: 32 })]) }));
    const dlm = helper.getNode('dlm');
    const two: CpSpec = {
      name: 'CP02',
      index: 2,
      plugs: [
        { letter: 'A', phase: 'L2', pilot: 'C', maxCurrentA: 32 },
        { letter: 'B', phase: 'L2', pilot: 'C', maxCurrentA: 32 },
      ],
    };
    const msg = plug(two, { rotation: 'STR', board: 'Garage' });
    msg.payload.plugs[0] = { ...msg.payload.plugs[0], phases: 3 };
    dlm.receive(msg);
    // Garage 32 A per line: plug A (L2 L3 L1) and plug B (L2) share L2 → 16 A each.
    assert.deepEqual((await next('sp')).payload.plugs, { A: 16, B: 16 });
    const s = await status();
    const g = s.boards.find((b: any) => b.name === 'Garage');
    assert.deepEqual([g.evA.L1, g.evA.L2, g.evA.L3], [16, 32, 16]);
    assert.deepEqual(s.plugs[0].lines, ['L2', 'L3', 'L1']);
    assert.equal(s.boards[0].name, 'site');
    assert.ok(s.boards[0].headroomA.L2 > 0, 'the site has room: the board is what limits');
  });

  it("R-CIRC-1, R-ERR-1: a meter message with a board is that board's reading; one for an undeclared board or a board without a meter is refused (Catch) and changes nothing", async () => {
    await helper.load(
      NODES,
      flow({ boards: JSON.stringify([board('Garage', 'site', { limitA: 40, hasMeter: true }), board('Roof', 'site', { otherLoadA: 3 })]) }),
    );
    const dlm = helper.getNode('dlm');
    dlm.receive(plug(cp1, { board: 'Garage' }));
    assert.deepEqual((await next('sp')).payload.plugs, { A: 32, B: 32 });
    // 20 A of non-EV load on Garage's L1: plug A (L1) gets 40 − 20 = 20 A.
    dlm.receive({ topic: 'meter', payload: { online: true, currentA: [20, 0, 0], timestamp: Date.now(), board: 'Garage' } });
    assert.deepEqual((await next('sp')).payload.plugs, { A: 20, B: 32 });
    const before = await status();
    const g = before.boards.find((b: any) => b.name === 'Garage');
    assert.equal(g.meter.online, true);
    assert.equal(g.otherA.L1, 20);
    for (const [b, re] of [
      ['Nowhere', /meter rejected: meter\.board "Nowhere" is not a board of this balancer/],
      ['Roof', /meter rejected: board Roof has no meter configured/],
      ['site', /meter rejected: /],
    ] as const) {
      dlm.receive({ topic: 'meter', payload: { online: true, currentA: [30, 30, 30], timestamp: Date.now(), board: b } });
      const c = await next('caught');
      assert.match(c.error.message, re);
      assert.ok(c.error.message.length <= 200);
    }
    assert.equal(pending('sp'), 0);
    const after = await status();
    assert.deepEqual(
      after.boards.map((b: any) => [b.name, b.otherA]),
      before.boards.map((b: any) => [b.name, b.otherA]),
    );
  });
});
