/**
 * End to end (issue 11, SPEC §10): the mixed car park exactly as `npm start -- --site mixed` runs it.
 * tools/start.js is forked with a temporary user directory and free ports: two CVM-MINI simulators
 * (the building analyser and the level-1 sub-meter, Modbus TCP on 127.0.0.1) and a REAL Node-RED 4
 * with examples/mixed-car-park.json: eight 22 kW three-phase and six 7.4 kW single-phase charge
 * points with rotated phases on the site and two sub-boards (level-1 63 A with a sub-meter, level-2
 * 40 A), each with an ev-sim charger and vehicles in simulated time × 60, single-phase cars on some
 * three-phase plugs. The test reads /dlm/status every 250 ms and checks, on every sample, every
 * board and every line, that the EV current counted + the other load stays within the board's
 * working limit (headroom ≥ 0, R-CIRC-1 / R-ALLOC-9) and the unbalance limit at the site (R-UNB-1).
 */
import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freePort, REPO_ROOT, waitFor } from '../support/node-red-runner';
import { startSite, type RunningSite } from '../support/demo-site';
import type { Phase, StatusMessage } from '../../lib/shared/types';

const EXAMPLE = path.join(REPO_ROOT, 'examples', 'mixed-car-park.json');
const SPEED = 60;
const EPS = 0.02; // the status rounds currents to 0.01 A
const PHASES: Phase[] = ['L1', 'L2', 'L3'];
/** The example's table (examples/build-mixed-site.js). */
const BOARD_OF: Record<string, string> = {
  CP01: 'level-1',
  CP02: 'level-1',
  CP03: 'level-1',
  CP04: 'level-1',
  CP09: 'level-1',
  CP10: 'level-1',
  CP05: 'level-2',
  CP06: 'level-2',
  CP11: 'level-2',
  CP12: 'level-2',
  CP07: 'site',
  CP08: 'site',
  CP13: 'site',
  CP14: 'site',
};
const THREE_PHASE = ['CP01', 'CP02', 'CP03', 'CP04', 'CP05', 'CP06', 'CP07', 'CP08'];
/** Rotations of the three-phase charge points → the lines of charger phases 1, 2, 3. */
const LINES_OF: Record<string, Phase[]> = {
  CP01: ['L1', 'L2', 'L3'],
  CP02: ['L2', 'L3', 'L1'],
  CP03: ['L3', 'L1', 'L2'],
  CP04: ['L1', 'L2', 'L3'],
  CP05: ['L2', 'L3', 'L1'],
  CP06: ['L3', 'L1', 'L2'],
  CP07: ['L1', 'L2', 'L3'],
  CP08: ['L2', 'L3', 'L1'],
  CP09: ['L1'],
  CP10: ['L2'],
  CP11: ['L3'],
  CP12: ['L1'],
  CP13: ['L2'],
  CP14: ['L3'],
};
/** Three-phase plugs whose first vehicle is a single-phase car. */
const SINGLE_PHASE_CAR = ['CP02', 'CP06', 'CP08'];

async function getStatus(url: string): Promise<StatusMessage> {
  const res = await fetch(url + '/dlm/status');
  assert.equal(res.status, 200, `GET /dlm/status: HTTP ${res.status}`);
  return (await res.json()) as StatusMessage;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const reporting = (s: StatusMessage) => s.plugs.length === 14 && s.plugs.every((p) => p.status !== 'OFFLINE' && p.status !== 'ERR_CFG');

describe('e2e: the mixed car park as npm start -- --site mixed runs it (issue 11: three-phase and single-phase chargers, sub-boards, a sub-meter)', function () {
  this.timeout(300000);
  let dir = '';
  let site: RunningSite | null = null;
  const samples: StatusMessage[] = [];
  const violations: string[] = [];
  /**
   * The checks hold while the loads stay constant. Right after a step of a meter (the last test) the
   * vehicles still draw their old current for up to the reaction delay (decrease first, R-ALLOC-7) and
   * the status counts them so: a step larger than the margin is over the limit until they follow,
   * which no balancer can prevent; that test checks the recovery instead.
   */
  let strict = true;
  let sampling = false;
  let sampler: Promise<void> | null = null;

  /** R-CIRC-1 / R-ALLOC-9 on every board and line, R-UNB-1 at the site. */
  function check(s: StatusMessage) {
    const at = new Date(s.timestamp).toISOString();
    if (!Array.isArray(s.boards) || s.boards.length !== 3) {
      violations.push(`${at}: boards ${JSON.stringify(s.boards?.map((b) => b.name))}`);
      return;
    }
    for (const b of s.boards) {
      for (const ph of PHASES) {
        const ev = b.evA[ph] ?? 0;
        if (ev <= 0) continue; // no current handed out on this board and line
        if (strict && (b.headroomA[ph] ?? 0) < -EPS)
          violations.push(
            `${at} ${b.name} ${ph}: other ${b.otherA[ph]} + EV ${ev} + reserved ${b.reservedA[ph]} > working limit ${b.workingLimitA}`,
          );
        if (strict && (b.loadA[ph] ?? 0) > b.limitA + EPS)
          violations.push(`${at} ${b.name} ${ph}: load ${b.loadA[ph]} > breaker ${b.limitA}`);
      }
    }
    if (strict && s.unbalance && s.unbalance.spreadA > s.unbalance.limitA + EPS)
      violations.push(`${at}: unbalance ${s.unbalance.spreadA} A > ${s.unbalance.limitA} A`);
  }

  async function sampleWhere(what: string, pred: (s: StatusMessage) => boolean, timeoutMs: number): Promise<StatusMessage> {
    const from = samples.length;
    return waitFor(what, async () => samples.slice(from).find(pred), timeoutMs, 100);
  }

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-mixed-'));
    const port = await freePort();
    const meterPort = await freePort();
    const subMeterPort = await freePort();
    site = await startSite({ dir, port, meterPort, amps: [20, 14, 17], speed: SPEED, site: 'mixed', subMeterPort, subAmps: [6, 4, 5] });
    sampling = true;
    sampler = (async () => {
      while (sampling && site) {
        try {
          const s = await getStatus(site.url);
          samples.push(s);
          check(s);
        } catch {
          // no sample
        }
        await sleep(250);
      }
    })();
  });

  after(async function () {
    sampling = false;
    await sampler;
    if (site) await site.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('npm start -- --site mixed: the flow file is the example; 14 charge points reporting, no configuration error', async () => {
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'flows.json'), 'utf8')), JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')));
    const s = await sampleWhere('all 14 plugs reporting', reporting, 60000);
    assert.deepEqual(s.errors, []);
    assert.equal(s.params.mccbA, 125);
    assert.equal(s.params.contractedKW, 80);
    assert.equal(s.params.unbalanceLimitA, 20);
    // I_limit = min(125 A, 80 kW / 3 / 230 V = 115.94 A).
    assert.ok(Math.abs(s.consumption.L1!.limitA - 115.94) < 0.01, String(s.consumption.L1!.limitA));
  });

  it('R-3PH-1 / R-CIRC-1: plugs with their phases, rotation lines and boards; the board tree with its breakers', async () => {
    const s = await sampleWhere('all 14 plugs reporting', reporting, 30000);
    for (const p of s.plugs) {
      assert.equal(p.board, BOARD_OF[p.chargePoint], `${p.chargePoint} board`);
      assert.equal(p.phases, THREE_PHASE.includes(p.chargePoint) ? 3 : 1, `${p.chargePoint} phases`);
      assert.deepEqual(p.lines, LINES_OF[p.chargePoint], `${p.chargePoint} lines`);
      assert.equal(p.phase, LINES_OF[p.chargePoint][0], `${p.chargePoint} phase = the line of charger phase 1`);
    }
    assert.deepEqual(
      s.boards.map((b) => [b.name, b.parent, b.depth, b.chargePoints]),
      [
        ['site', null, 0, 4],
        ['level-1', 'site', 1, 6],
        ['level-2', 'site', 1, 4],
      ],
    );
    const [root, l1, l2] = s.boards;
    assert.ok(Math.abs(root.limitA - 115.94) < 0.01);
    assert.equal(l1.limitA, 63);
    assert.equal(l2.limitA, 40);
    // Margins: the site's 10 % on every board (marginPct null).
    assert.ok(Math.abs(l1.workingLimitA - 56.7) < 0.01 && Math.abs(l2.workingLimitA - 36) < 0.01);
    assert.equal(l2.meter, null, 'level-2 has no meter');
  });

  it('R-CIRC-1: the level-1 sub-meter is read over Modbus TCP (second CVM-MINI → cvm-mini-reader with board level-1) and counted on its board', async () => {
    const s = await sampleWhere(
      'the level-1 meter online with 6 / 4 / 5 A',
      (x) => x.boards?.[1]?.meter?.online === true && x.boards[1].otherA.L1 === 6 && x.boards[1].otherA.L2 === 4,
      30000,
    );
    assert.deepEqual(s.boards[1].otherA, { L1: 6, L2: 4, L3: 5 });
    // level-2 has no meter: its assumed 5 A per line.
    assert.deepEqual(s.boards[2].otherA, { L1: 5, L2: 5, L3: 5 });
    // The building analyser measures the whole building (sub-boards included): the site counts max(analyser, Σ boards).
    assert.deepEqual(s.boards[0].otherA, { L1: 20, L2: 14, L3: 17 });
  });

  it('vehicles charge on every board, three-phase plugs on all three lines', async () => {
    const s = await sampleWhere(
      'charging plugs on every board, four three-phase ones among them',
      (x) =>
        reporting(x) &&
        ['site', 'level-1', 'level-2'].every((b) => x.plugs.some((p) => p.board === b && p.status === 'CHARGING')) &&
        x.plugs.filter((p) => p.phases === 3 && p.status === 'CHARGING').length >= 4,
      90000,
    );
    for (const b of s.boards) for (const ph of PHASES) assert.ok((b.evA[ph] ?? 0) >= 0);
    assert.ok(s.boards.some((b) => PHASES.every((ph) => (b.evA[ph] ?? 0) > 0)));
  });

  it('R-3PH-3: a single-phase car on a three-phase plug is counted on the one line it draws from after the settling time', async () => {
    const s = await sampleWhere(
      'a detected single-phase car',
      (x) => x.plugs.some((p) => SINGLE_PHASE_CAR.includes(p.chargePoint) && p.status === 'CHARGING' && p.drawLines.length === 1),
      120000,
    );
    const p = s.plugs.find((q) => SINGLE_PHASE_CAR.includes(q.chargePoint) && q.drawLines.length === 1)!;
    assert.deepEqual(p.drawLines, [LINES_OF[p.chargePoint][0]], `${p.chargePoint} draws on charger phase 1's line`);
    assert.equal(p.lines.length, 3);
  });

  it('R-ALLOC-9 / R-CIRC-1 / R-UNB-1: on every sample, board and line: EV + other + reserved ≤ working limit; unbalance within 20 A', async () => {
    await sleep(2000);
    assert.ok(samples.length >= 100, `samples: ${samples.length}`);
    assert.deepEqual(violations.slice(0, 10), []);
  });

  it('R-CIRC-1: a step of the level-1 sub-meter makes that board give back current, within its working limit again', async () => {
    strict = false; // a load step: the EV current follows after the reaction delay
    const before = violations.length;
    await site!.control({ cmd: 'amps', currentsA: [40, 40, 40], meter: 'sub' });
    const s = await sampleWhere(
      'level-1 back within its working limit at 40 A other load',
      (x) => x.boards[1].otherA.L1 === 40 && PHASES.every((ph) => (x.boards[1].headroomA[ph] ?? 0) >= -EPS),
      60000,
    );
    // 56.7 A working − 40 A = 16.7 A for the EVs on level-1 per line.
    for (const ph of PHASES) {
      const used = (s.boards[1].evA[ph] ?? 0) + (s.boards[1].reservedA[ph] ?? 0);
      assert.ok(used <= 16.7 + EPS, `${ph}: ${used}`);
    }
    assert.equal(violations.length, before);
  });
});

describe('examples/mixed-car-park.json', () => {
  it('is what examples/build-mixed-site.js makes (no hand edits drifting from the source)', () => {
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'examples', 'build-mixed-site.js'), '--check'], { stdio: 'pipe' });
  });

  it('links are paired, every wire and group member exists, ports and speed come from flow environment variables', () => {
    const flow = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as any[];
    const byId = new Map(flow.map((n) => [n.id, n]));
    assert.equal(byId.size, flow.length, 'unique ids');
    for (const n of flow) {
      for (const port of n.wires ?? []) for (const to of port) assert.ok(byId.has(to), `${n.id} wires to missing ${to}`);
      if (n.type === 'link out' || n.type === 'link in') for (const l of n.links) assert.ok(byId.get(l).links.includes(n.id));
      if (n.type === 'group') for (const m of n.nodes) assert.equal(byId.get(m).g, n.id);
    }
    // No id shared with the 15-charge-point example: both can be imported into one Node-RED.
    const other = new Set(
      (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'examples', '15-charge-point-site.json'), 'utf8')) as any[]).map((n) => n.id),
    );
    assert.deepEqual(
      flow.filter((n) => other.has(n.id)).map((n) => n.id),
      [],
    );
    const tab = flow.find((n) => n.type === 'tab');
    assert.deepEqual(tab.env.map((e: any) => e.name).sort(), ['METER_PORT', 'SIM_SPEED', 'SUBMETER_PORT']);
    assert.deepEqual(
      flow.filter((n) => n.type === 'modbus-client').map((n) => n.tcpPort),
      ['${METER_PORT}', '${SUBMETER_PORT}'],
    );
    assert.deepEqual(
      flow.filter((n) => n.type === 'cvm-mini-reader').map((n) => n.board),
      ['', 'level-1'],
    );
    const balancer = flow.find((n) => n.type === 'dlm-balancer');
    assert.deepEqual(
      JSON.parse(balancer.boards).map((b: any) => [b.name, b.parent, b.limitA, b.hasMeter]),
      [
        ['level-1', 'site', 63, true],
        ['level-2', 'site', 40, false],
      ],
    );
    const cps = flow.filter((n) => n.type === 'charge-point');
    assert.equal(cps.length, 14);
    assert.equal(cps.filter((c) => c.phasesA === 3).length, 8);
    // Rotations spread: three-phase RST / STR / TRS; single-phase two per line.
    const count = (xs: string[]) => xs.reduce((m: Record<string, number>, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});
    assert.deepEqual(count(cps.filter((c) => c.phasesA === 3).map((c) => c.rotation)), { RST: 3, STR: 3, TRS: 2 });
    assert.deepEqual(count(cps.filter((c) => c.phasesA === 1).map((c) => c.phaseA)), { L1: 2, L2: 2, L3: 2 });
    for (const cp of cps) {
      assert.equal(cp.board === '' ? 'site' : cp.board, BOARD_OF[cp.name], cp.name);
      const sim = byId.get(cp.wires[1][0]);
      assert.equal(sim.type, 'ev-sim');
      assert.deepEqual(sim.wires[0], [cp.id]);
      assert.equal(sim.phasesA, cp.phasesA, `${cp.name}: the simulated charger has the plug's phases`);
      assert.equal(sim.timeScale, '${SIM_SPEED}');
      const car = JSON.parse(sim.script)[0].vehicle;
      if (SINGLE_PHASE_CAR.includes(cp.name)) assert.equal(car.obcPhases, 1, `${cp.name}: a single-phase car on a three-phase plug`);
    }
  });
});
