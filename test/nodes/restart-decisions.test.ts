/**
 * Issue 9 item 8 through real Node-RED nodes: dlm-balancer + two charge-point nodes + an
 * offline-mode-config (mode 3, heartbeat 3600 s), a localfilesystem context store, a restart.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { clearInbox, closeStore, drain, helper, loadWithStore, nextWhere, recorderNode, restartWithStore, sleep } from '../support/nr';

const NODES = [
  require('../../nodes/dlm-balancer/dlm-balancer'),
  require('../../nodes/charge-point/charge-point'),
  require('../../nodes/offline-mode-config/offline-mode-config'),
  recorderNode,
];

const CFG = { analyserEnabled: false, mccbA: 30, marginPct: 0, minPauseS: 3600, reactionDelayS: 0 };

function flow() {
  const cp = (id: string, name: string, plugCount: number) => ({
    id,
    z: 'f1',
    type: 'charge-point',
    name,
    index: '',
    address: 'sim',
    plugCount,
    phaseA: 'L1',
    phaseB: plugCount === 2 ? 'L1' : '',
    priorityA: false,
    priorityB: false,
    maxCurrentA: 32,
    maxCurrentB: 32,
    enabled: true,
    offline: 'oc',
    wires: [['dlm', 'plugs'], [`cmd_${id}`]],
  });
  return [
    { id: 'f1', type: 'tab', label: 'test' },
    { id: 'oc', type: 'offline-mode-config', heartbeatS: 3600, mode: 3, currentA: 8 },
    { id: 'dlm', z: 'f1', type: 'dlm-balancer', name: 'site', ...CFG, wires: [['cp1', 'cp2'], ['st'], []] },
    cp('cp1', 'CP01', 2),
    cp('cp2', 'CP02', 1),
    { id: 'plugs', z: 'f1', type: 'recorder' },
    { id: 'st', z: 'f1', type: 'recorder' },
    { id: 'cmd_cp1', z: 'f1', type: 'recorder' },
    { id: 'cmd_cp2', z: 'f1', type: 'recorder' },
  ];
}

const device = (id: string, letters: string[]) =>
  helper.getNode(id).receive({ topic: 'device', payload: { plugs: letters.map((letter) => ({ letter, pilot: 'C', currentA: 8 })) } });

async function status(): Promise<any> {
  drain('st');
  helper.getNode('dlm').receive({ topic: 'status' });
  return (await nextWhere('st', (x) => x.topic === 'status' && x.payload && x.payload.plugs !== undefined)).payload;
}
const plugOf = (s: any, id: number) => s.plugs.find((p: any) => p.id === id);

describe('restart keeps decisions through real nodes (issue 9 item 8)', function () {
  this.timeout(30000);
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    clearInbox();
  });

  it('issue 9 item 8: a plug paused with a 3600 s minimum pause stays PAUSED after a restart when its mode-3 charger reports again', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-restart-'));
    try {
      await loadWithStore(NODES, flow(), dir);
      await nextWhere('plugs', (m) => m.payload.chargePoint === 'CP02' && m.payload.reported === false);
      device('cp1', ['A', 'B']);
      device('cp2', ['A']);
      await sleep(1500);
      let s = await status();
      assert.deepEqual(
        [1, 2, 3].map((id) => plugOf(s, id).setpointA),
        [10, 10, 10],
      );
      helper.getNode('dlm').receive({ topic: 'params', payload: { mccbA: 20 } }); // 20 A < 3 × 8: plug 3 pauses
      await sleep(300);
      s = await status();
      assert.equal(plugOf(s, 3).status, 'PAUSED');
      assert.deepEqual(
        [1, 2].map((id) => plugOf(s, id).setpointA),
        [10, 10],
      );
      await sleep(2200); // the balancer stores its state at most every 2 s

      await restartWithStore(NODES, flow(), dir);
      await nextWhere('plugs', (m) => m.payload.chargePoint === 'CP02' && m.payload.reported === false);
      await sleep(200); // both charge points announced themselves at flows:started
      device('cp1', ['A', 'B']);
      device('cp2', ['A']);
      await sleep(300);
      s = await status();
      assert.equal(plugOf(s, 3).status, 'PAUSED', `plug 3: ${JSON.stringify(plugOf(s, 3))}`);
      assert.equal(plugOf(s, 3).setpointA, 0);
      assert.deepEqual(
        [1, 2].map((id) => plugOf(s, id).setpointA),
        [10, 10],
        'the others kept their setpoints',
      );
      // What reached the device after the restart: plug A of CP02 held at 0 A.
      const cmds = (await nextWhere('cmd_cp2', (m) => m.payload.plugs && 'A' in m.payload.plugs)).payload;
      assert.equal(cmds.plugs.A, 0);
    } finally {
      await closeStore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
