/**
 * Direct setpoint delivery (issue 13, docs/messages.md "setpoint"): charge-point nodes that name
 * their balancer get their own setpoints without a wire; the others still get them on output 1.
 */
import { strict as assert } from 'assert';
import { clearInbox, helper, nextWhere, peek, sleep } from '../support/nr';
import { recorderNode } from '../support/nr';
import { joinSetpoints, setpointHandlerOf } from '../../nodes/common/setpoint-bus';
import { plugMsg } from '../support/site';

const NODES = [require('../../nodes/dlm-balancer/dlm-balancer'), require('../../nodes/charge-point/charge-point'), recorderNode];

function cp(id: string, name: string, k: number, balancer: string, cmd: string) {
  return {
    id,
    z: 'f1',
    type: 'charge-point',
    name,
    index: k,
    address: '',
    plugCount: 1,
    phaseA: 'L1',
    phaseB: '',
    priorityA: false,
    priorityB: false,
    maxCurrentA: 32,
    maxCurrentB: 32,
    enabled: true,
    balancer,
    wires: [['dlm'], [cmd]],
  };
}

function flow(extra: object[] = []) {
  return [
    { id: 'f1', type: 'tab', label: 'site' },
    // No wire from output 1 to CP01 or CP02: they are joined. CP03 is wired the old way.
    {
      id: 'dlm',
      z: 'f1',
      type: 'dlm-balancer',
      name: 'b',
      analyserEnabled: false,
      mccbA: 40,
      contractedKW: 36,
      marginPct: 0,
      wires: [['out1', 'cp3'], [], []],
    },
    cp('cp1', 'CP01', 1, 'dlm', 'cmd1'),
    cp('cp2', 'CP02', 2, 'dlm', 'cmd2'),
    cp('cp3', 'CP03', 3, '', 'cmd3'),
    { id: 'out1', z: 'f1', type: 'recorder' },
    { id: 'cmd1', z: 'f1', type: 'recorder' },
    { id: 'cmd2', z: 'f1', type: 'recorder' },
    { id: 'cmd3', z: 'f1', type: 'recorder' },
    { id: 'catcher', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'recorder' },
    ...extra,
  ];
}

const charging = (id: string) =>
  helper
    .getNode(id)
    .receive({ topic: 'device', payload: { plugs: [{ letter: 'A', pilot: 'C', currentA: 0, energyWh: 0 }], devicePlugs: 1 } });
const commanded = (m: any) => m.payload?.plugs?.A > 0;

describe('charge-point joined to its balancer: setpoints without wires (issue 13)', function () {
  this.timeout(20000);
  afterEach(async () => {
    await helper.unload();
    clearInbox();
  });

  it('each joined charge point gets its own setpoints directly, none leave on output 1 for them; a wired one still gets its own by wire', async () => {
    await helper.load(NODES, flow());
    await sleep(200);
    for (const id of ['cp1', 'cp2', 'cp3']) charging(id);
    const c1 = await nextWhere('cmd1', commanded);
    const c2 = await nextWhere('cmd2', commanded);
    const c3 = await nextWhere('cmd3', commanded);
    assert.equal(c1.payload.chargePoint, 'CP01');
    assert.equal(c2.payload.chargePoint, 'CP02');
    assert.equal(c3.payload.chargePoint, 'CP03');
    await sleep(100);
    const names = peek('out1').map((m) => m.payload.chargePoint);
    assert.ok(names.length > 0 && names.every((n) => n === 'CP03'), `output 1 carried ${JSON.stringify([...new Set(names)])}`);
    assert.ok(
      peek('cmd1').every((m) => m.payload.chargePoint === 'CP01'),
      'CP01 only ever commands its own device',
    );
    assert.deepEqual(peek('caught'), []);
  });

  it("a second charge point with the same name on the same balancer is refused (error) and does not take the first one's setpoints; closing leaves the balancer", async () => {
    await helper.load(NODES, flow([cp('cp1bis', 'CP01', 4, 'dlm', 'cmd4'), { id: 'cmd4', z: 'f1', type: 'recorder' }]));
    await sleep(200);
    const logged = helper
      .log()
      .args.map((a: any[]) => a[0])
      .filter((e: any) => e.level === 20 && /already joined/.test(String(e.msg)));
    assert.deepEqual(
      logged.map((e: any) => e.id),
      ['cp1bis'],
      'the second node reports the clash as an error',
    );
    charging('cp1');
    await nextWhere('cmd1', commanded);
    assert.ok(
      peek('cmd4').every((m) => !(m.payload?.plugs?.A > 0)),
      "the refused node commands nothing from CP01's setpoints",
    );
    assert.equal(typeof setpointHandlerOf('dlm', 'CP01'), 'function');
    await helper.unload();
    assert.equal(setpointHandlerOf('dlm', 'CP01'), undefined, 'stopped nodes leave the registry');
  });
  it('a step with setpoints for 150 joined charge points (more than one turn takes) hands them over in several event-loop turns, each charge point in step order', async () => {
    const n = 150; // every plug at its 32 A maximum: 4 800 A of 6 300
    await helper.load(NODES, [
      { id: 'f1', type: 'tab', label: 'site' },
      {
        id: 'dlm',
        z: 'f1',
        type: 'dlm-balancer',
        name: 'b',
        analyserEnabled: false,
        mccbA: 6300,
        contractedKW: 10000,
        marginPct: 0,
        wires: [[], [], []],
      },
    ]);
    const got = new Map<string, number[]>();
    let calls = 0;
    let inFirstTurn: number | null = null;
    const leave: (() => void)[] = [];
    for (let k = 1; k <= n; k++)
      leave.push(
        joinSetpoints('dlm', `CP${k}`, (sp) => {
          calls++;
          if (inFirstTurn === null) setImmediate(() => (inFirstTurn ??= calls));
          got.set(sp.chargePoint, [...(got.get(sp.chargePoint) ?? []), sp.plugs.A ?? -1]);
        })!,
      );
    try {
      const dlm = helper.getNode('dlm');
      for (let k = 1; k <= n; k++)
        dlm.receive({
          topic: 'plug',
          payload: plugMsg({ name: `CP${k}`, index: k, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] }, Date.now()),
        });
      // Until the site has settled: no setpoint for 500 ms.
      for (let seen = -1; seen !== calls;) {
        seen = calls;
        await sleep(500);
      }
      got.clear();
      calls = 0;
      inFirstTurn = null;
      // Two reductions of every share, back to back (20 A, then 16 A): 2 × 150 setpoints.
      dlm.receive({ topic: 'params', payload: { mccbA: 3000 } });
      dlm.receive({ topic: 'params', payload: { mccbA: 2500 } });
      await sleep(1500);
      assert.ok(inFirstTurn !== null && inFirstTurn < 2 * n, `handed over in more than one turn (first turn: ${inFirstTurn})`);
      for (let k = 1; k <= n; k++) {
        const seq = got.get(`CP${k}`) ?? [];
        assert.deepEqual(seq.length, 2, `CP${k} got both setpoints: ${seq}`);
        assert.ok(seq[0] > seq[1], `CP${k} got them in step order: ${seq}`);
      }
    } finally {
      for (const l of leave) l();
    }
  });
});
