import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_PARAMS, MANUAL_SCHEDULE_SLOTS } from '../../lib/shared/params';
import { hoursToSlots, slotsToText } from '../../lib/shared/schedule';
import { clearInbox, closeStore, helper, loadWithStore, next, pending, recorderNode, resetFlow, restartWithStore } from '../support/nr';

const sinon: any = require('sinon');
const scheduleNode = require('../../nodes/priority-schedule/priority-schedule');

const NODES = [scheduleNode, recorderNode];
const MANUAL = hoursToSlots(MANUAL_SCHEDULE_SLOTS);

function flow(cfg: Record<string, unknown> = {}) {
  return [
    { id: 'f1', type: 'tab', label: 'test' },
    {
      id: 'ps',
      z: 'f1',
      type: 'priority-schedule',
      name: '',
      enabled: true,
      slots: MANUAL,
      timeZone: 'Europe/Madrid',
      wires: [['out']],
      ...cfg,
    },
    { id: 'out', z: 'f1', type: 'recorder' },
    { id: 'catcher', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'recorder' },
  ];
}

const utc = (s: string) => Date.parse(s);
const fake = (iso: string) =>
  sinon.useFakeTimers({ now: utc(iso), toFake: ['setTimeout', 'clearTimeout', 'Date'], shouldAdvanceTime: true });

describe('priority-schedule node', function () {
  let clock: any = null;
  afterEach(async () => {
    await resetFlow(clock);
    clock = null;
  });

  it('R-PRIO-1: emits the schedule at start, with whether priority is active now', async () => {
    clock = fake('2026-01-15T06:30:00Z'); // 07:30 in Madrid
    await helper.load(NODES, flow());
    const m = await next('out');
    assert.equal(m.topic, 'schedule');
    assert.deepEqual(m.payload, { enabled: true, slots: MANUAL, timeZone: 'Europe/Madrid', active: true, timestamp: m.payload.timestamp });
    assert.ok(Math.abs(m.payload.timestamp - utc('2026-01-15T06:30:00Z')) < 5000);
    assert.equal(helper.getNode('ps').status.lastCall.args[0].text, 'ON · 07-08,09-13 · priority now');
  });

  it('R-PRIO-1: the default time zone is the site default and the default schedule is OFF', async () => {
    await helper.load(NODES, flow({ enabled: undefined, slots: undefined, timeZone: '' }));
    const m = await next('out');
    assert.equal(m.payload.timeZone, DEFAULT_PARAMS.timeZone);
    assert.equal(m.payload.enabled, false);
    assert.equal(m.payload.active, false);
    assert.equal(slotsToText(m.payload.slots), '');
    assert.equal(helper.getNode('ps').status.lastCall.args[0].text, 'OFF');
  });

  it('R-PRIO-2: emits on every local-hour boundary (07→08→09 in Madrid) and re-arms', async () => {
    clock = fake('2026-01-15T06:30:00Z');
    await helper.load(NODES, flow());
    assert.equal((await next('out')).payload.active, true);
    await clock.tickAsync(30 * 60_000);
    let m = await next('out');
    assert.equal(m.payload.timestamp, utc('2026-01-15T07:00:00Z'));
    assert.equal(m.payload.active, false, '08h is not a priority slot');
    await clock.tickAsync(59 * 60_000);
    assert.equal(pending('out'), 0, 'nothing between boundaries');
    await clock.tickAsync(60_000);
    m = await next('out');
    assert.equal(m.payload.timestamp, utc('2026-01-15T08:00:00Z'));
    assert.equal(m.payload.active, true, '09h is a priority slot');
  });

  it('R-PRIO-1 DST spring forward (Madrid 2026-03-29): 01h → 03h at 01:00 UTC, then hourly', async () => {
    clock = fake('2026-03-29T00:30:00Z'); // 01:30 CET
    await helper.load(NODES, flow({ slots: hoursToSlots([3]) }));
    assert.equal((await next('out')).payload.active, false);
    await clock.tickAsync(30 * 60_000);
    const m = await next('out');
    assert.equal(m.payload.timestamp, utc('2026-03-29T01:00:00Z'));
    assert.equal(m.payload.active, true, '03h CEST follows 01h CET directly');
    await clock.tickAsync(60 * 60_000);
    assert.equal((await next('out')).payload.timestamp, utc('2026-03-29T02:00:00Z'));
  });

  it('R-PRIO-1 DST fall back (Madrid 2026-10-25): the repeated 02h slot stays active for two hours', async () => {
    clock = fake('2026-10-25T00:30:00Z'); // 02:30 CEST
    await helper.load(NODES, flow({ slots: hoursToSlots([2]) }));
    assert.equal((await next('out')).payload.active, true);
    await clock.tickAsync(60 * 60_000); // 02:30 CET: same hour, no boundary
    assert.equal(pending('out'), 0);
    await clock.tickAsync(30 * 60_000); // 03:00 CET
    const m = await next('out');
    assert.equal(m.payload.timestamp, utc('2026-10-25T02:00:00Z'));
    assert.equal(m.payload.active, false);
  });

  it('R-PRIO-1: run-time changes are applied, emitted and re-arm the timer (time zone Asia/Kolkata → boundaries at :30 UTC)', async () => {
    clock = fake('2026-01-15T06:10:00Z');
    await helper.load(NODES, flow());
    await next('out');
    const ps = helper.getNode('ps');
    ps.receive({ payload: { enabled: true, slots: '11-12', timeZone: 'Asia/Kolkata' } }); // 11:40 in Kolkata
    let m = await next('out');
    assert.equal(m.payload.timeZone, 'Asia/Kolkata');
    assert.equal(slotsToText(m.payload.slots), '11-12');
    assert.equal(m.payload.active, true);
    await clock.tickAsync(20 * 60_000); // 06:30 UTC = 12:00 Kolkata
    m = await next('out');
    assert.equal(m.payload.timestamp, utc('2026-01-15T06:30:00Z'));
    assert.equal(m.payload.active, false);
    ps.receive({ payload: { slots: [12, 13] } });
    assert.deepEqual((await next('out')).payload.active, true);
    ps.receive({ payload: { enabled: false } });
    m = await next('out');
    assert.equal(m.payload.active, false);
    assert.equal(ps.status.lastCall.args[0].text, 'OFF');
    await clock.tickAsync(30 * 60_000); // 07:00 UTC is not a Madrid-style boundary any more
    assert.equal(pending('out'), 0);
    await clock.tickAsync(30 * 60_000);
    assert.equal((await next('out')).payload.timestamp, utc('2026-01-15T07:30:00Z'));
  });

  it('R-ERR-1: every bad change is caught with a clear error, nothing is emitted and nothing changes', async () => {
    await helper.load(NODES, flow());
    const before = (await next('out')).payload;
    const ps = helper.getNode('ps');
    const bad: unknown[] = [
      null,
      undefined,
      'on',
      42,
      true,
      [],
      [7, 9],
      {},
      { enable: true },
      { enabled: 'yes' },
      { enabled: null },
      { slots: [24] },
      { slots: [-1] },
      { slots: [NaN] },
      { slots: [7.5] },
      { slots: new Array(23).fill(true) },
      { slots: 'seven' },
      { slots: null },
      { slots: { 7: true } },
      { timeZone: 'Mars/Olympus' },
      { timeZone: 7 },
      { enabled: true, slots: [7], timeZone: 'Nowhere' },
    ];
    for (const payload of bad) {
      ps.receive({ payload });
      const caught = await next('caught');
      assert.equal(caught.error.source.id, 'ps');
      assert.match(caught.error.message, /schedule change refused: .+/, JSON.stringify(payload));
      // A no-op change shows the state as it was; had the bad one emitted, it would arrive first.
      ps.receive({ payload: { enabled: before.enabled } });
      const after = (await next('out')).payload;
      assert.deepEqual({ ...after, timestamp: 0, active: false }, { ...before, timestamp: 0, active: false }, JSON.stringify(payload));
    }
  });

  it('R-ERR-1: an invalid configuration (unknown time zone, 23 slots) shows red, logs an error and refuses input', async () => {
    for (const cfg of [{ timeZone: 'Mars/Olympus' }, { slots: new Array(23).fill(false) }]) {
      await helper.load(NODES, flow(cfg));
      const ps = helper.getNode('ps');
      assert.equal(ps.status.lastCall.args[0].fill, 'red');
      assert.ok(ps.error.called);
      ps.receive({ payload: { enabled: true } });
      assert.match((await next('caught')).error.message, /invalid configuration/);
      assert.equal(pending('out'), 0);
      await helper.unload();
      clearInbox();
    }
  });

  describe('R-ERR-2 persistence', () => {
    let dir = '';
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-ps-ctx-'));
    });
    afterEach(async () => {
      await closeStore();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('a run-time change survives a restart with a persistent context store', async () => {
      await loadWithStore(NODES, flow(), dir);
      await next('out');
      helper.getNode('ps').receive({ payload: { enabled: false, slots: '18-22', timeZone: 'Asia/Kolkata' } });
      await next('out');
      await restartWithStore(NODES, flow(), dir);
      const m = (await next('out')).payload;
      assert.equal(m.enabled, false);
      assert.equal(slotsToText(m.slots), '18-22');
      assert.equal(m.timeZone, 'Asia/Kolkata');
    });

    it('a run-time change survives a redeploy of an unchanged node', async () => {
      await loadWithStore(NODES, flow(), dir);
      await next('out');
      helper.getNode('ps').receive({ payload: { slots: [20] } });
      await next('out');
      await helper.setFlows(flow(), 'full');
      assert.equal(slotsToText((await next('out')).payload.slots), '20-21');
    });

    it('when the editor configuration changed since, the editor configuration wins (documented decision)', async () => {
      await loadWithStore(NODES, flow(), dir);
      await next('out');
      helper.getNode('ps').receive({ payload: { slots: [20] } });
      await next('out');
      await restartWithStore(NODES, flow({ slots: hoursToSlots([5]) }), dir);
      assert.equal(slotsToText((await next('out')).payload.slots), '05-06');
      // and the editor's version is now the stored one: a later restart keeps it
      await restartWithStore(NODES, flow({ slots: hoursToSlots([5]) }), dir);
      assert.equal(slotsToText((await next('out')).payload.slots), '05-06');
    });
  });

  it('close releases the slot timer', async () => {
    clock = fake('2026-01-15T06:30:00Z');
    await helper.load(NODES, flow());
    await next('out');
    const before = clock.countTimers();
    await helper._redNodes.stopFlows();
    assert.equal(clock.countTimers(), before - 1);
    await clock.tickAsync(3 * 3_600_000);
    assert.equal(pending('out'), 0);
  });
});
