import { strict as assert } from 'assert';
import { DEFAULT_OFFLINE, OFFLINE_LIMITS } from '../../lib/shared/params';
import { helper, next, pending, recorderNode, resetFlow } from '../support/nr';

const offlineNode = require('../../nodes/offline-mode-config/offline-mode-config');
const chargePointNode = require('../../nodes/charge-point/charge-point');

const configFlow = (fields: Record<string, unknown>) => [{ id: 'oc', type: 'offline-mode-config', name: 'site', ...fields }];

describe('offline-mode-config node (R-OFF-1)', function () {
  afterEach(() => resetFlow());

  it('exposes .config with the editor values', async () => {
    await helper.load(offlineNode, configFlow({ heartbeatS: 60, mode: 2, currentA: 10 }));
    const oc = helper.getNode('oc');
    assert.deepEqual(oc.config, { heartbeatS: 60, mode: 2, currentA: 10 });
    assert.deepEqual(oc.errors, []);
    assert.equal(Object.isFrozen(oc.config), true, 'users cannot change it behind its back');
  });

  it('empty fields take the manual defaults (120 s, mode 3, 8 A); numeric text from the editor is accepted', async () => {
    await helper.load(offlineNode, configFlow({ heartbeatS: '', mode: '', currentA: '' }));
    assert.deepEqual(helper.getNode('oc').config, DEFAULT_OFFLINE);
    await helper.unload();
    await helper.load(offlineNode, configFlow({ heartbeatS: '30', mode: '0', currentA: '6' }));
    assert.deepEqual(helper.getNode('oc').config, { heartbeatS: 30, mode: 0, currentA: 6 });
  });

  it('accepts every work mode 0..3 and the range ends', async () => {
    for (const mode of OFFLINE_LIMITS.mode.options) {
      for (const [hb, cur] of [
        [OFFLINE_LIMITS.heartbeatS.min, OFFLINE_LIMITS.currentA.min],
        [OFFLINE_LIMITS.heartbeatS.max, OFFLINE_LIMITS.currentA.max],
      ]) {
        await helper.load(offlineNode, configFlow({ heartbeatS: hb, mode, currentA: cur }));
        assert.deepEqual(helper.getNode('oc').config, { heartbeatS: hb, mode, currentA: cur });
        await helper.unload();
      }
    }
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['heartbeat below the minimum', { heartbeatS: OFFLINE_LIMITS.heartbeatS.min - 1 }, /heartbeatS/],
    ['heartbeat above the maximum', { heartbeatS: OFFLINE_LIMITS.heartbeatS.max + 1 }, /heartbeatS/],
    ['heartbeat text', { heartbeatS: 'often' }, /heartbeatS/],
    ['heartbeat negative', { heartbeatS: -120 }, /heartbeatS/],
    ['mode 4', { mode: 4 }, /mode/],
    ['mode 1.5', { mode: 1.5 }, /mode/],
    ['mode text', { mode: 'three' }, /mode/],
    ['current below 6 A', { currentA: 5 }, /currentA/],
    ['current above the maximum', { currentA: OFFLINE_LIMITS.currentA.max + 1 }, /currentA/],
    ['current NaN text', { currentA: 'NaN' }, /currentA/],
  ];
  for (const [label, fields, re] of bad) {
    it(`refuses ${label}: .config is null, the error names the field, a charge point using it refuses to run`, async () => {
      await helper.load(
        [offlineNode, chargePointNode, recorderNode],
        [
          { id: 'f1', type: 'tab', label: 't' },
          { id: 'oc', type: 'offline-mode-config', heartbeatS: 120, mode: 3, currentA: 8, ...fields },
          {
            id: 'cp',
            z: 'f1',
            type: 'charge-point',
            name: 'CP01',
            plugCount: 1,
            phaseA: 'L1',
            maxCurrentA: 32,
            enabled: true,
            offline: 'oc',
            wires: [['plug'], []],
          },
          { id: 'plug', z: 'f1', type: 'recorder' },
          { id: 'catcher', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
          { id: 'caught', z: 'f1', type: 'recorder' },
        ],
      );
      const oc = helper.getNode('oc');
      assert.equal(oc.config, null);
      assert.ok(
        oc.errors.some((e: string) => re.test(e)),
        oc.errors.join('; '),
      );
      assert.ok(oc.error.called, 'the config node logs an error');
      const cp = helper.getNode('cp');
      assert.equal(cp.status.lastCall.args[0].fill, 'red');
      cp.receive({ topic: 'device', payload: { plugs: [{ letter: 'A', pilot: 'C', currentA: 16 }] } });
      assert.match((await next('caught')).error.message, /offline-mode-config is invalid/);
      assert.equal(pending('plug'), 0);
    });
  }

  it('a charge point carries the configuration in its plug messages and device commands (R-OFF-2)', async () => {
    await helper.load(
      [offlineNode, chargePointNode, recorderNode],
      [
        { id: 'f1', type: 'tab', label: 't' },
        { id: 'oc', type: 'offline-mode-config', heartbeatS: 30, mode: 1, currentA: 12 },
        {
          id: 'cp',
          z: 'f1',
          type: 'charge-point',
          name: 'CP01',
          plugCount: 1,
          phaseA: 'L1',
          maxCurrentA: 32,
          enabled: true,
          offline: 'oc',
          wires: [['plug'], ['cmd']],
        },
        { id: 'plug', z: 'f1', type: 'recorder' },
        { id: 'cmd', z: 'f1', type: 'recorder' },
      ],
    );
    assert.deepEqual((await next('plug')).payload.offline, { heartbeatS: 30, mode: 1, currentA: 12 });
    helper.getNode('cp').receive({ topic: 'setpoint', payload: { chargePoint: 'CP01', plugs: { A: 10 } } });
    assert.deepEqual((await next('cmd')).payload.offline, { heartbeatS: 30, mode: 1, currentA: 12 });
  });
});
