/**
 * The manual's 15-charge-point site, through the nodes (issue 3): charge-point ×15 +
 * offline-mode-config + priority-schedule + dlm-balancer, driven by device reports and meter
 * messages. Reproduces case A, case B and the priority example end to end.
 */
import { strict as assert } from 'assert';
import { manualSite } from '../support/site';
import { clearInbox, drain, helper, next, nextWhere, recorderNode, sleep } from '../support/nr';

const NODES = [
  require('../../nodes/dlm-balancer/dlm-balancer'),
  require('../../nodes/charge-point/charge-point'),
  require('../../nodes/offline-mode-config/offline-mode-config'),
  require('../../nodes/priority-schedule/priority-schedule'),
  recorderNode,
];

const SITE = manualSite();
const cpId = (k: number) => `cp${k}`;

function flow(balancer: Record<string, unknown>, schedule: { enabled: boolean; slots: boolean[] }, priority: Record<number, boolean> = {}) {
  const nodes: any[] = [
    { id: 'f1', type: 'tab', label: 'site' },
    { id: 'oc', type: 'offline-mode-config', name: 'manual', heartbeatS: 120, mode: 3, currentA: 8 },
    {
      id: 'ps',
      z: 'f1',
      type: 'priority-schedule',
      enabled: schedule.enabled,
      slots: schedule.slots,
      timeZone: 'Europe/Madrid',
      wires: [['dlm']],
    },
    { id: 'dlm', z: 'f1', type: 'dlm-balancer', ...balancer, wires: [SITE.map((_, i) => cpId(i + 1)), ['st'], []] },
    { id: 'cmd', z: 'f1', type: 'recorder' },
    { id: 'st', z: 'f1', type: 'recorder' },
    { id: 'catcher', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'recorder' },
  ];
  SITE.forEach((cp, i) => {
    const k = i + 1;
    nodes.push({
      id: cpId(k),
      z: 'f1',
      type: 'charge-point',
      name: cp.name,
      index: '',
      address: `10.0.0.${k}`,
      plugCount: Math.max(1, cp.plugs.length),
      phaseA: cp.plugs[0]?.phase ?? '',
      phaseB: cp.plugs[1]?.phase ?? '',
      priorityA: !!priority[2 * k - 1],
      priorityB: !!priority[2 * k],
      maxCurrentA: 32,
      maxCurrentB: 32,
      enabled: cp.enabled !== false,
      offline: 'oc',
      wires: [['dlm'], ['cmd']],
    });
  });
  return nodes;
}

/** Every enabled charge point's device reports: pilot C on `charging` plug ids, A elsewhere. */
function reportAll(charging: number[]) {
  SITE.forEach((cp, i) => {
    if (cp.enabled === false) return;
    const k = i + 1;
    const plugs = cp.plugs.map((p) => {
      const id = p.letter === 'A' ? 2 * k - 1 : 2 * k;
      return { letter: p.letter, pilot: charging.includes(id) ? 'C' : 'A', currentA: 0, energyWh: 0 };
    });
    helper.getNode(cpId(k)).receive({ topic: 'device', payload: { plugs, devicePlugs: plugs.length } });
  });
}

/** Latest current commanded to each plug id, from the charge points' device commands. */
class Commands {
  now = new Map<number, number>();
  paused: number[] = [];
  resumed: number[] = [];
  take(): void {
    for (const m of drain('cmd')) {
      const k = SITE.findIndex((c) => c.name === m.payload.chargePoint) + 1;
      for (const [letter, a] of Object.entries(m.payload.plugs) as [string, number][]) {
        const id = letter === 'A' ? 2 * k - 1 : 2 * k;
        const before = this.now.get(id) ?? 0;
        if (before > 0 && a === 0) this.paused.push(id);
        if (before === 0 && a > 0) this.resumed.push(id);
        this.now.set(id, a);
      }
    }
  }
  of(ids: number[]): number[] {
    this.take();
    return ids.map((id) => this.now.get(id) ?? 0);
  }
}

const meter = (l1: number) =>
  helper.getNode('dlm').receive({ topic: 'meter', payload: { online: true, currentA: [l1, 5, 5], timestamp: Date.now() } });

/** Sends the same building reading a few times (each is a step; the average settles). */
async function building(l1: number, times = 6) {
  for (let i = 0; i < times; i++) {
    meter(l1);
    await sleep(20);
  }
}

async function status(): Promise<any> {
  drain('st');
  helper.getNode('dlm').receive({ topic: 'status' });
  return (await nextWhere('st', (m) => m.payload && m.payload.plugs)).payload;
}

describe("the manual's 15-charge-point site through the nodes", function () {
  this.timeout(30000);
  afterEach(async () => {
    await helper.unload();
    clearInbox();
  });

  const fast = {
    mccbA: 50,
    contractedKW: 36,
    minCurrentA: 8,
    marginPct: 10,
    meterAverageS: 1,
    reactionDelayS: 0,
    minPauseS: 0,
    resumeHysteresisA: 1,
  };
  const off = { enabled: false, slots: new Array(24).fill(false) };

  it('knows all 15 charge points: 24 enabled plugs (9 on L1, 8 on L2, 7 on L3), CP10 DISABLED', async () => {
    await helper.load(NODES, flow(fast, off));
    await sleep(200);
    reportAll([]);
    await building(5, 2);
    const s = await status();
    const cps = new Set(s.plugs.map((p: any) => p.chargePoint));
    assert.equal(cps.size, 15);
    assert.deepEqual(
      s.plugs.filter((p: any) => p.chargePoint === 'CP10').map((p: any) => p.status),
      ['DISABLED'],
    );
    const enabled = s.plugs.filter((p: any) => p.status !== 'DISABLED');
    assert.equal(enabled.length, 24);
    const byPhase = (ph: string) => enabled.filter((p: any) => p.phase === ph).length;
    assert.deepEqual([byPhase('L1'), byPhase('L2'), byPhase('L3')], [9, 8, 7]);
    assert.ok(enabled.every((p: any) => p.status === 'AVAILABLE'));
  });

  it('case A then case B (R-ALLOC-4/5): L1 plugs 1, 2, 3, 5 — pause 5, 3, 2; resume 2, 3, 5', async () => {
    await helper.load(NODES, flow(fast, off));
    await sleep(200);
    reportAll([1, 2, 3, 5]);
    await building(5);
    const cmd = new Commands();
    assert.deepEqual(cmd.of([1, 2, 3, 5]), [10, 10, 10, 10]);
    cmd.paused = [];
    await building(15, 2); // usable 30 A < 4 × 8
    assert.deepEqual(cmd.of([1, 2, 3, 5]), [10, 10, 10, 0]);
    await building(25, 2); // usable 20 A < 3 × 8
    assert.deepEqual(cmd.of([1, 2, 3, 5]), [10, 10, 0, 0]);
    await building(33, 2); // usable 12 A < 2 × 8
    assert.deepEqual(cmd.of([1, 2, 3, 5]), [12, 0, 0, 0]);
    assert.deepEqual(cmd.paused, [5, 3, 2]);
    const s = await status();
    assert.equal(s.plugs.find((p: any) => p.id === 5).status, 'PAUSED');
    assert.equal(s.table.ALL.L1.nextAllowed, 2);

    cmd.resumed = [];
    await sleep(1100); // the 1 s building average forgets the 33 A
    await building(25); // usable 20 A ≥ 2 × (8 + 1)
    assert.deepEqual(cmd.of([1, 2, 3, 5]), [10, 10, 0, 0]);
    await sleep(1100);
    await building(15); // usable 30 A ≥ 3 × 9
    assert.deepEqual(cmd.of([1, 2, 3, 5]), [10, 10, 10, 0]);
    await sleep(1100);
    await building(5); // usable 40 A ≥ 4 × 9
    assert.deepEqual(cmd.of([1, 2, 3, 5]), [10, 10, 10, 10]);
    assert.deepEqual(cmd.resumed, [2, 3, 5]);
  });

  it('priority example (R-ALLOC-2): 40 A available, priority plug CP01 A at its 32 A maximum → 8 A for CP02 A', async () => {
    const all = { enabled: true, slots: new Array(24).fill(true) };
    // While the charge points come online one by one, their offline reservations (mode 3, 8 A) can
    // pause plug 3 for a moment; no hysteresis, so it takes exactly the 8 A left once all report.
    await helper.load(NODES, flow({ ...fast, analyserEnabled: false, mccbA: 40, marginPct: 0, resumeHysteresisA: 0 }, all, { 1: true }));
    await sleep(200);
    reportAll([1, 3]);
    await building(0);
    const cmd = new Commands();
    const s = await status();
    assert.deepEqual(cmd.of([1, 3]), [32, 8]);
    assert.equal(s.priorityActive, true);
    assert.equal(s.table.PRIORITY.L1.availableA, 40);
    assert.equal(s.table.NORMAL.L1.availableA, 8);
    assert.equal(s.table.ALL, null);
  });

  it('R-PRIO-2: the same site with the schedule OFF shares equally (20 A / 20 A)', async () => {
    await helper.load(NODES, flow({ ...fast, analyserEnabled: false, mccbA: 40, marginPct: 0 }, off, { 1: true }));
    await sleep(200);
    reportAll([1, 3]);
    await building(0);
    const cmd = new Commands();
    assert.deepEqual(cmd.of([1, 3]), [20, 20]);
    assert.equal(await next('caught', 50).catch(() => null), null, 'no errors along the way');
  });
});
