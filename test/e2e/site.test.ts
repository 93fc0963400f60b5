/**
 * End to end (issue 5): the manual's 15-charge-point site exactly as `npm start` runs it.
 * tools/start.js is forked with a temporary user directory and free ports: it starts the CVM-MINI
 * simulator (Modbus TCP on 127.0.0.1) and a REAL Node-RED 4 with examples/15-charge-point-site.json
 * (node-red-contrib-modbus → cvm-mini-reader → dlm-balancer; 15 charge-point nodes, each with an
 * ev-sim charger and vehicles in simulated time × 60). The test only talks to the site the way a
 * building management system would: the package's HTTP API on 127.0.0.1 (GET /dlm/status,
 * GET /dlm/transactions.csv, POST /dlm/plate, POST /dlm/schedule), and steps the building load
 * through start.js's IPC control channel (the simulator's setCurrents).
 *
 * A sampler reads /dlm/status every 250 ms for the whole run (both Node-RED lives) and checks the
 * safety invariant on every sample (R-ALLOC-9).
 */
import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freePort, REPO_ROOT, waitFor } from '../support/node-red-runner';
import { alive, startSite, type RunningSite } from '../support/demo-site';
import type { Phase, PlugView, StatusMessage } from '../../lib/shared/types';

const EXAMPLE = path.join(REPO_ROOT, 'examples', '15-charge-point-site.json');
const SPEED = 60;
const EPS = 0.02; // the status rounds currents to 0.01 A

/** The manual's table (§5.2.2) as the example must wire it. */
const PHASE_OF_CP: Record<string, Phase | null> = {};
for (let k = 1; k <= 15; k++) PHASE_OF_CP[`CP${String(k).padStart(2, '0')}`] = k <= 5 ? 'L1' : k <= 9 ? 'L2' : k === 10 ? null : 'L3';
const SINGLE = ['CP02', 'CP12', 'CP13', 'CP15'];
/** Priority plugs of the example (docs/example-site.md): CP01 A, CP06 A, CP11 A. */
const PRIORITY_IDS = [1, 11, 21];
const PHASES: Phase[] = ['L1', 'L2', 'L3'];

async function getStatus(url: string): Promise<StatusMessage> {
  const res = await fetch(url + '/dlm/status');
  assert.equal(res.status, 200, `GET /dlm/status: HTTP ${res.status}`);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  return (await res.json()) as StatusMessage;
}

async function post(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** Rows of the transactions CSV, as cells (quotes removed). */
async function getCsv(url: string): Promise<{ header: string; lines: string[]; rows: string[][] }> {
  const res = await fetch(url + '/dlm/transactions.csv');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
  assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="transactions.csv"/);
  const text = await res.text();
  const [header, ...lines] = text.split('\r\n').filter((l) => l !== '');
  const rows = lines.map((l) =>
    (l.match(/("([^"]|"")*"|[^,]*)(,|$)/g) ?? []).map((c) => c.replace(/,$/, '').replace(/^"|"$/g, '').replace(/""/g, '"')).slice(0, 9),
  );
  return { header, lines, rows };
}

const enabledPlugs = (s: StatusMessage) => s.plugs.filter((p) => p.status !== 'DISABLED');
const reporting = (s: StatusMessage) =>
  enabledPlugs(s).length === 24 && enabledPlugs(s).every((p) => p.status !== 'OFFLINE' && p.status !== 'ERR_CFG');
const ids = (plugs: PlugView[]) => plugs.map((p) => p.id).sort((a, b) => a - b);
const withStatus = (s: StatusMessage, st: string) => ids(s.plugs.filter((p) => p.status === st));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('e2e: the 15-charge-point example site as npm start runs it (tools/start.js, real Node-RED, Modbus meter simulator, ev-sim chargers)', function () {
  this.timeout(240000);
  let dir = '';
  let port = 0;
  let meterPort = 0;
  let site: RunningSite | null = null;
  /** Every status read, from both Node-RED lives. */
  const samples: StatusMessage[] = [];
  const violations: string[] = [];
  let sampling = false;
  let sampler: Promise<void> | null = null;
  let last: StatusMessage | null = null;

  /** R-ALLOC-9 on one sample: the setpoints never take a phase over its limit. */
  function check(s: StatusMessage) {
    for (const ph of PHASES) {
      const c = s.consumption[ph];
      if (!c) {
        violations.push(`${new Date(s.timestamp).toISOString()}: no consumption for ${ph}`);
        continue;
      }
      // Setpoints + building + reserved ≤ limit, whenever the balancer hands out any current;
      // when building + reserved alone exceed the limit, no current at all.
      if (c.evSetpointA > 0 && c.evSetpointA + c.buildingA + c.reservedA > c.limitA + EPS) {
        violations.push(
          `${new Date(s.timestamp).toISOString()} ${ph}: setpoints ${c.evSetpointA} + building ${c.buildingA} + reserved ${c.reservedA} > limit ${c.limitA}`,
        );
      }
    }
  }

  function startSampling() {
    sampling = true;
    sampler = (async () => {
      while (sampling && site) {
        try {
          const s = await getStatus(site.url);
          samples.push(s);
          last = s;
          check(s);
        } catch {
          // Node-RED restarting: no sample.
        }
        await sleep(250);
      }
    })();
  }
  async function stopSampling() {
    sampling = false;
    await sampler;
  }
  /** Waits for a fresh sample satisfying `pred` (samples are taken by the sampler). */
  async function sampleWhere(what: string, pred: (s: StatusMessage) => boolean, timeoutMs: number): Promise<StatusMessage> {
    const from = samples.length;
    return waitFor(what, async () => samples.slice(from).find(pred), timeoutMs, 100);
  }

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-site-'));
    port = await freePort();
    meterPort = await freePort();
    site = await startSite({ dir, port, meterPort, amps: [10, 10, 10], speed: SPEED });
    startSampling();
  });

  after(async function () {
    await stopSampling();
    if (site) await site.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('npm start: the flow file is the example (also listed under Import > Examples), Node-RED on 127.0.0.1 with a persistent context store (R-ERR-2)', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    const listed = await (await fetch(`http://127.0.0.1:${port}/library/examples/flows/${pkg.name}`)).json();
    // Both dashboards' examples (node-red-dashboard 3 and FlowFuse Dashboard 2.0, issue 14) and the mixed car park (issue 11).
    assert.deepEqual(listed.map((x: { fn: string }) => x.fn).sort(), [
      '15-charge-point-site',
      '15-charge-point-site-dashboard-2',
      'mixed-car-park',
    ]);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'flows.json'), 'utf8')), JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')));
    const settings = require(path.join(dir, 'settings.js'));
    assert.equal(settings.uiHost, '127.0.0.1');
    assert.equal(settings.uiPort, port);
    assert.deepEqual(settings.contextStorage.default.module, 'localfilesystem');
    assert.equal(settings.editorTheme.projects.enabled, false);
  });

  it('R-CP-1..3: all 15 charge points known, their 24 enabled plugs (9 on L1, 8 on L2, 7 on L3) reporting, CP10 DISABLED', async () => {
    const s = await sampleWhere('all 24 enabled plugs reporting', reporting, 30000);
    assert.deepEqual([...new Set(s.plugs.map((p) => p.chargePoint))].sort(), Object.keys(PHASE_OF_CP).sort());
    assert.deepEqual(s.errors, []);
    const perPhase = (ph: Phase) => enabledPlugs(s).filter((p) => p.phase === ph).length;
    assert.deepEqual(PHASES.map(perPhase), [9, 8, 7]);
    for (const p of enabledPlugs(s)) {
      assert.equal(p.phase, PHASE_OF_CP[p.chargePoint], `${p.chargePoint} ${p.letter} phase`);
      assert.ok(['AVAILABLE', 'CHARGING', 'PAUSED', 'FAULTED'].includes(p.status), `${p.chargePoint} ${p.letter}: ${p.status}`);
    }
    for (const cp of SINGLE)
      assert.deepEqual(
        s.plugs.filter((p) => p.chargePoint === cp).map((p) => p.letter),
        ['A'],
        `${cp} single plug`,
      );
    const cp10 = s.plugs.filter((p) => p.chargePoint === 'CP10');
    assert.ok(cp10.length >= 1);
    for (const p of cp10) {
      assert.equal(p.status, 'DISABLED');
      assert.equal(p.phase, null);
      assert.equal(p.setpointA, 0);
    }
    assert.deepEqual(ids(s.plugs.filter((p) => p.priority)), PRIORITY_IDS);
    // The parameters of the manual's site.
    assert.equal(s.params.mccbA, 50);
    assert.equal(s.params.contractedKW, 36);
    assert.equal(s.params.minCurrentA, 8);
    assert.equal(s.consumption.L1!.limitA, 50);
    // R-SEC-4 (issue 9 item 6): the example passes its own fallback budget: 25 A + 2 × 8 A per phase.
    assert.equal(s.fallback.ok, true, String(s.fallback.warning));
    for (const ph of PHASES)
      assert.deepEqual(s.fallback.phases[ph], { buildingA: 25, chargersA: 16, totalA: 41, limitA: 50, overA: 0 }, ph);
  });

  it("R-MTR-1: the building current is the CVM-MINI simulator's, read over Modbus TCP (node-red-contrib-modbus → cvm-mini-reader)", async () => {
    const s = await sampleWhere('the analyser online at 10 A', (x) => x.analyser.online && x.analyser.realtimeA.L1 === 10, 20000);
    assert.deepEqual(s.analyser.realtimeA, { L1: 10, L2: 10, L3: 10 });
    await site!.control({ cmd: 'amps', currentsA: [10, 11.5, 12] });
    const t = await sampleWhere(
      'the analyser following the simulator',
      (x) => x.analyser.realtimeA.L2 === 11.5 && x.analyser.realtimeA.L3 === 12,
      10000,
    );
    assert.equal(t.analyser.realtimeA.L1, 10);
  });

  it("POST /dlm/plate: sets a plug's plate through the balancer; a bad plate is refused with 400 and the reason", async () => {
    // CP05 B (plug 10) is the example's short visit: its session closes early with this plate.
    assert.deepEqual(await post(site!.url + '/dlm/plate', { plugId: 10, plate: 'E2E-CP05B' }), { status: 200, body: { ok: true } });
    assert.deepEqual(await post(site!.url + '/dlm/plate', { plugId: 5, plate: '1234 ABC' }), { status: 200, body: { ok: true } });
    const bad = await post(site!.url + '/dlm/plate', { plugId: 5, plate: '' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /plate/);
    const unknown = await post(site!.url + '/dlm/plate', { plugId: 999, plate: 'X' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error, /999/);
    const s = await getStatus(site!.url);
    assert.equal(s.plugs.find((p) => p.id === 5)!.plate, '1234 ABC');
  });

  it('R-ALLOC-4/5/6: a building step up pauses charging plugs, the step down resumes paused ones (schedule OFF via POST /dlm/schedule)', async () => {
    // Independent of the time of day: no priority slot while the load steps.
    assert.deepEqual(await post(site!.url + '/dlm/schedule', { enabled: false }), { status: 200, body: { ok: true } });
    await sampleWhere('priority off', (x) => !x.priorityActive && x.schedule.enabled === false, 10000);
    await site!.control({ cmd: 'amps', currentsA: [10, 10, 10] });
    // Steady with 35 A per phase for the EVs: at least 4 plugs per phase charging at ≥ 8 A.
    const steady = await sampleWhere(
      '4 plugs charging per phase at 10 A building',
      (x) => reporting(x) && PHASES.every((ph) => x.plugs.filter((p) => p.phase === ph && p.status === 'CHARGING').length >= 4),
      40000,
    );
    const chargingBefore = withStatus(steady, 'CHARGING');

    await site!.control({ cmd: 'amps', currentsA: [30, 30, 30] });
    const up = await sampleWhere(
      'plugs paused after the step up',
      (x) => {
        const paused = withStatus(x, 'PAUSED');
        return x.consumption.L1!.buildingA >= 30 && chargingBefore.filter((id) => paused.includes(id)).length >= 3;
      },
      20000,
    );
    const pausedNow = chargingBefore.filter((id) => withStatus(up, 'PAUSED').includes(id));
    // Each pause is counted in the plug's open session (R-MON-5).
    for (const id of pausedNow) {
      const tx = up.transactions.find((t) => t.plugId === id && t.stop === null);
      assert.ok(tx && tx.pauses >= 1, `plug ${id}: open session with a pause`);
    }
    // 15 A left per phase: one plug per phase at most (I_min 8 A).
    for (const ph of PHASES)
      assert.ok(up.plugs.filter((p) => p.phase === ph && p.status === 'CHARGING').length <= 1, `${ph}: at most one plug charging`);

    await site!.control({ cmd: 'amps', currentsA: [5, 5, 5] });
    const down = await sampleWhere(
      'paused plugs resumed after the step down',
      (x) => {
        const charging = withStatus(x, 'CHARGING');
        return (
          pausedNow.some((id) => charging.includes(id)) &&
          PHASES.every((ph) => x.plugs.filter((p) => p.phase === ph && p.status === 'CHARGING').length >= 4)
        );
      },
      60000,
    );
    assert.ok(down.consumption.L1!.buildingA < 30);
  });

  it('R-PRIO-1/R-ALLOC-2: inside a priority slot (all 24 slots on via POST /dlm/schedule) the priority plugs are served first', async () => {
    const bad = await post(site!.url + '/dlm/schedule', { enable: true });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /enable/);
    assert.deepEqual(await post(site!.url + '/dlm/schedule', { enabled: true, slots: '00-24' }), { status: 200, body: { ok: true } });
    await sampleWhere('priority active', (x) => x.priorityActive && x.table.PRIORITY !== null, 10000);
    // Little current: 17 A per phase goes to the priority plug before any normal plug.
    await site!.control({ cmd: 'amps', currentsA: [28, 28, 28] });
    const served = await sampleWhere(
      'priority plugs charging, normal plugs paused',
      (x) =>
        x.priorityActive &&
        x.consumption.L1!.buildingA >= 28 &&
        PRIORITY_IDS.every((id) => x.plugs.find((p) => p.id === id)!.status === 'CHARGING') &&
        x.plugs.filter((p) => !p.priority && p.status === 'CHARGING').length === 0,
      30000,
    );
    assert.ok(served);
    // And for several seconds, at every sample inside the slot: on each phase the priority plug
    // charges whenever a normal plug does, with at least as much current.
    // Then for a while, through a step down: at every sample inside the slot each priority plug
    // charges, with at least the current of any normal plug on its phase.
    const from = samples.length;
    await sleep(5000);
    await site!.control({ cmd: 'amps', currentsA: [5, 5, 5] });
    await sleep(8000);
    const window = samples.slice(from).filter((x) => x.priorityActive && reporting(x));
    assert.ok(window.length >= 20, `samples in the window: ${window.length}`);
    for (const x of window) {
      for (const ph of PHASES) {
        const prio = x.plugs.find((p) => p.priority && p.phase === ph)!;
        assert.equal(prio.status, 'CHARGING', `${ph}: priority plug ${prio.id} is ${prio.status}`);
        for (const n of x.plugs.filter((p) => !p.priority && p.phase === ph && p.status === 'CHARGING')) {
          assert.ok(prio.setpointA >= n.setpointA, `${ph}: priority ${prio.setpointA} A < normal plug ${n.id} ${n.setpointA} A`);
        }
      }
    }
  });

  it('R-MON-5: GET /dlm/transactions.csv lists the closed session of CP05 B with its plate, energy and stop time', async () => {
    const csv = await waitFor(
      'the CP05 B session closed',
      async () => {
        const c = await getCsv(site!.url);
        return c.rows.some((r) => r[0] === '10' && r[5] !== '') ? c : undefined;
      },
      60000,
      500,
    );
    assert.equal(csv.header, 'plug_id,charge_point,plug,plate,start,stop,energy_kwh,peak_a,pauses');
    const row = csv.rows.find((r) => r[0] === '10' && r[5] !== '')!;
    assert.deepEqual(row.slice(1, 4), ['CP05', 'B', 'E2E-CP05B']);
    assert.ok(Date.parse(row[5]) > Date.parse(row[4]));
    assert.ok(Number(row[6]) >= 0 && Number.isFinite(Number(row[8])));
  });

  it('R-ERR-2: after a restart (stop, npm start again on the same directory) the paused queue, plates, schedule and transaction records are still there', async () => {
    // A queue to keep: schedule off, 30 A per phase for the EVs → 3 plugs charging per phase, the rest paused.
    assert.equal((await post(site!.url + '/dlm/schedule', { enabled: false })).status, 200);
    await site!.control({ cmd: 'amps', currentsA: [15, 15, 15] });
    // Settled: the same paused set in every sample for 5 s.
    const holder: { s?: StatusMessage } = {};
    await waitFor(
      'a settled queue',
      async () => {
        const recent = samples.slice(-20);
        const ok =
          recent.length === 20 &&
          recent.every(
            (x) =>
              reporting(x) &&
              !x.priorityActive &&
              x.consumption.L1!.buildingA === 15 &&
              JSON.stringify(withStatus(x, 'PAUSED')) === JSON.stringify(withStatus(recent[0], 'PAUSED')),
          );
        if (ok) holder.s = recent[recent.length - 1];
        return ok ? true : undefined;
      },
      90000,
      250,
    );
    const snap = holder.s!;
    const pausedBefore = withStatus(snap, 'PAUSED');
    // Plugs with a vehicle at the stop; the simulated car park re-runs its script after a restart,
    // so a plug left free before (CP05 B's short visit) may have a vehicle again.
    const occupiedBefore = snap.plugs.filter((p) => p.status !== 'DISABLED' && p.pilot !== 'A').map((p) => p.id);
    assert.ok(pausedBefore.length >= 10, `paused before the stop: ${pausedBefore}`);
    const openBefore = new Map(snap.transactions.filter((t) => t.stop === null).map((t) => [t.plugId, t]));
    const csvBefore = await getCsv(site!.url);
    const closedBefore = csvBefore.lines.filter((_l, i) => csvBefore.rows[i][5] !== '');
    assert.ok(closedBefore.length >= 1);

    await stopSampling();
    const code = await site!.stop();
    assert.equal(code, 0, 'start.js exits 0 on SIGINT');
    assert.equal(alive(site!.nodeRedPid), false, 'Node-RED stopped with it');
    site = await startSite({ dir, port, meterPort, amps: [15, 15, 15], speed: SPEED });
    startSampling();

    const first = await sampleWhere('the site back, every plug reporting', reporting, 30000);
    // Plates (R-CP-6) and the run-time schedule change (R-PRIO-1) survived; the editor's schedule is ON.
    assert.equal(first.plugs.find((p) => p.id === 5)!.plate, '1234 ABC');
    assert.equal(first.schedule.enabled, false);
    assert.equal(first.priorityActive, false);
    // The sessions of the vehicles still plugged in continue (same start), pause counts kept.
    for (const id of pausedBefore) {
      const t = first.transactions.find((x) => x.plugId === id && x.stop === null);
      const b = openBefore.get(id)!;
      assert.ok(t, `plug ${id}: open session after the restart`);
      assert.equal(t!.start, b.start, `plug ${id}: same session`);
      assert.ok(t!.pauses >= b.pauses, `plug ${id}: pauses ${t!.pauses} < ${b.pauses}`);
    }
    // The paused queue: the same plugs wait, in the same order (next allowed plug per phase).
    const pausedOf = (x: StatusMessage) => withStatus(x, 'PAUSED').filter((id) => occupiedBefore.includes(id));
    const settled = await sampleWhere(
      'the same paused queue',
      (x) => reporting(x) && JSON.stringify(pausedOf(x)) === JSON.stringify(pausedBefore),
      30000,
    );
    for (const ph of PHASES) assert.equal(settled.table.ALL![ph]!.nextAllowed, snap.table.ALL![ph]!.nextAllowed, `${ph} next allowed plug`);
    // Every closed transaction record is still exported, unchanged.
    const csvAfter = await getCsv(site!.url);
    for (const line of closedBefore) assert.ok(csvAfter.lines.includes(line), `record kept: ${line}`);
    assert.equal(
      JSON.parse(fs.readFileSync(path.join(dir, 'flows.json'), 'utf8')).length,
      JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')).length,
    );
  });

  it('R-ALLOC-9: per-phase setpoints + building (+ reserved) ≤ limit at every sample of both runs', async () => {
    await sleep(2000);
    assert.ok(samples.length >= 200, `samples: ${samples.length}`);
    assert.ok(last && reporting(last));
    assert.deepEqual(violations.slice(0, 10), []);
  });
});

describe('examples/15-charge-point-site.json', () => {
  it('is what examples/build-15-charge-point-site.js makes (no hand edits drifting from the source)', () => {
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'examples', 'build-15-charge-point-site.js'), '--check'], { stdio: 'pipe' });
  });

  it('links are paired, every wire and group member exists, and ports come from flow environment variables', () => {
    const flow = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as any[];
    const byId = new Map(flow.map((n) => [n.id, n]));
    assert.equal(byId.size, flow.length, 'unique ids');
    for (const n of flow) {
      for (const port of n.wires ?? []) for (const to of port) assert.ok(byId.has(to), `${n.id} wires to missing ${to}`);
      if (n.type === 'link out' || n.type === 'link in') {
        assert.ok(n.links.length > 0, `${n.id} links somewhere`);
        for (const l of n.links) assert.ok(byId.get(l).links.includes(n.id), `${n.id} ↔ ${l}`);
      }
      if (n.type === 'group') for (const m of n.nodes) assert.equal(byId.get(m).g, n.id);
    }
    const tab = flow.find((n) => n.type === 'tab');
    assert.deepEqual(tab.env.map((e: any) => e.name).sort(), ['METER_PORT', 'SIM_SPEED']);
    assert.equal(flow.find((n) => n.type === 'modbus-client').tcpPort, '${METER_PORT}');
    const sims = flow.filter((n) => n.type === 'ev-sim');
    assert.equal(sims.length, 15);
    for (const s of sims) assert.equal(s.timeScale, '${SIM_SPEED}');
    const cps = flow.filter((n) => n.type === 'charge-point');
    assert.equal(cps.length, 15);
    for (const cp of cps) {
      assert.equal(cp.enabled, cp.name !== 'CP10');
      const sim = byId.get(cp.wires[1][0]);
      assert.equal(sim.type, 'ev-sim', `${cp.name} device side`);
      assert.deepEqual(sim.wires[0], [cp.id]);
      assert.equal(sim.plugCount, cp.plugCount);
    }
    assert.ok(flow.some((n) => n.type === 'group' && n.name === 'Dashboard'));
  });
});
