/**
 * Issue 9 in the core: every field of every input message bounded exactly as docs/messages.md
 * says (item 7), the deployed configuration as the ceiling of run-time changes (R-SEC-2), and the
 * meter-lost assumption from recent readings (R-MTR-4 amended, item 10).
 */
import { strict as assert } from 'assert';
import { step } from '../../lib/core/balancer';
import { type DlmEvent } from '../../lib/core/state';
import { ENERGY_MAX_WH, FAULT_MAX_LENGTH, INDEX_MAX, NAME_MAX_LENGTH, ADDRESS_MAX_LENGTH, DEVICE_PLUGS_MAX } from '../../lib/shared/params';
import { ceilingProblems, DEFAULT_PARAMS, mergeParams, PARAM_SPECS, PLUG_MAX_LIMITS, SANITY } from '../../lib/shared/params';
import { statusOf } from '../../lib/core/status';
import { paramsEdit } from '../../lib/dashboard/dashboard';
import type { SiteParams } from '../../lib/shared/types';
import { plugMsg, Site, type CpSpec } from '../support/site';

const cp1: CpSpec = { name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C' }] };

/** The balancer's answer to a plug message changed by `edit` (on a copy of a valid one). */
function plugVerdict(site: Site, edit: (m: any) => void): string | null {
  const m: any = JSON.parse(JSON.stringify(plugMsg(cp1, site.now)));
  edit(m);
  const r = step(site.state, { type: 'plug', plug: m }, site.now);
  if (r.error) assert.equal(r.state, site.state, 'a refused message changes nothing');
  return r.error;
}

function meterVerdict(site: Site, fields: Record<string, unknown>): string | null {
  const r = step(
    site.state,
    { type: 'meter', meter: { online: true, currentA: [1, 2, 3], timestamp: site.now, ...fields } } as DlmEvent,
    site.now,
  );
  if (r.error) assert.equal(r.state, site.state);
  return r.error;
}

describe('issue 9 item 7 — the balancer refuses every out-of-range field exactly as the contract says (R-ERR-1)', () => {
  const site = new Site({ analyserEnabled: false });

  /** [field, setter, accepted values, refused values] */
  const entry = (f: string) => (v: unknown) => (m: any) => {
    m.plugs[0][f] = v;
  };
  const header = (f: string) => (v: unknown) => (m: any) => {
    m[f] = v;
  };
  const cases: [string, (v: unknown) => (m: any) => void, unknown[], unknown[]][] = [
    [
      'plugs[].maxCurrentA (6–80 A)',
      entry('maxCurrentA'),
      [PLUG_MAX_LIMITS.min, 32, PLUG_MAX_LIMITS.max],
      [5.9, 80.1, 500, -1, NaN, '32', null],
    ],
    ['plugs[].measuredA (0–80 A)', entry('measuredA'), [0, 12.5, 80], [-0.1, 80.1, 10000, Infinity, '1']],
    ['plugs[].energyWh (0–1 GWh)', entry('energyWh'), [0, 1e6, ENERGY_MAX_WH], [-1, ENERGY_MAX_WH + 1, NaN, '5']],
    [
      'plugs[].fault (text ≤ 200, no control characters)',
      entry('fault'),
      [undefined, null, 'E12 overcurrent', 'x'.repeat(FAULT_MAX_LENGTH)],
      ['x'.repeat(FAULT_MAX_LENGTH + 1), 'bad\u0007bell', 42],
    ],
    ['plugs[].pilot (A–F)', entry('pilot'), ['A', 'B', 'C', 'D', 'E', 'F'], ['G', 'c', '', null]],
    ['plugs[].phase (L1–L3 or null)', entry('phase'), ['L1', 'L2', 'L3', null], ['L4', 'l1', 1]],
    ['plugs[].priority (boolean)', entry('priority'), [true, false], ['true', 1, null]],
    [
      'plugs[].plate (1–32 characters, no control characters)',
      entry('plate'),
      ['-', 'AE-1111-FF', 'x'.repeat(32)],
      ['', 'x'.repeat(33), 'a\nb', 7],
    ],
    ['plugs[].id (2k-1 / 2k, R-CP-2)', entry('id'), [1], [2, 0, '1']],
    ['plugs[].letter (A / B)', entry('letter'), ['A'], ['C', 'a', null]],
    [
      'chargePoint (name ≤ 64, no control characters)',
      header('chargePoint'),
      ['CP01', 'x'.repeat(NAME_MAX_LENGTH)],
      ['', '  ', 'x'.repeat(NAME_MAX_LENGTH + 1), 'CP\u000001', 5],
    ],
    ['index (1–100 000)', header('index'), [1], [0, INDEX_MAX + 1, 1.5, '1']],
    ['address (text ≤ 256)', header('address'), [undefined, '', 'x'.repeat(ADDRESS_MAX_LENGTH)], ['x'.repeat(ADDRESS_MAX_LENGTH + 1), 5]],
    ['devicePlugs (1–16)', header('devicePlugs'), [undefined, null, 1, 2, DEVICE_PLUGS_MAX], [0, DEVICE_PLUGS_MAX + 1, 1.5, '2']],
    ['enabled (boolean)', header('enabled'), [true, false], ['yes', undefined]],
    ['online (boolean)', header('online'), [true, false], [0, undefined]],
    ['reported (boolean, optional)', header('reported'), [undefined, true, false], [0, 'no', null]],
    ['timestamp (ms, optional)', header('timestamp'), [undefined, 0, 1.7e12], [-1, 'now', Infinity]],
    [
      'offline.mode (0–3)',
      (v) => (m) => {
        m.offline.mode = v;
      },
      [0, 1, 2, 3],
      [4, -1, '3'],
    ],
    [
      'offline.currentA (6–80 A)',
      (v) => (m) => {
        m.offline.currentA = v;
      },
      [6, 80],
      [5, 81],
    ],
    [
      'offline.heartbeatS (10–3600 s)',
      (v) => (m) => {
        m.offline.heartbeatS = v;
      },
      [10, 3600],
      [9, 3601],
    ],
  ];
  for (const [name, set, good, bad] of cases) {
    it(`plug.${name}: in-range accepted, each out-of-range value refused with a reason, nothing changed`, () => {
      for (const v of good) assert.equal(plugVerdict(site, set(v)), null, `${name} = ${String(v)} should pass`);
      for (const v of bad) {
        const e = plugVerdict(site, set(v));
        assert.ok(e, `${name} = ${String(v).slice(0, 20)} should be refused`);
        assert.ok(e.length <= 200, e);
      }
    });
  }

  it('issue 9 item 7: maxCurrentA 500 on a plug alone on its phase is refused — it can never be given 45 A on a 32 A charger', () => {
    const s = new Site({ analyserEnabled: false, mccbA: 50, marginPct: 10 });
    assert.throws(
      () => s.report({ ...cp1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C', maxCurrentA: 500 }] }),
      /maxCurrentA must be a current from 6 to 80 A/,
    );
    s.report({ ...cp1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C', maxCurrentA: 32 }] });
    assert.equal(s.sp(1), 32);
  });

  const meterCases: [string, Record<string, unknown>[], Record<string, unknown>[]][] = [
    [
      'currentA (3 × 0–10 000 A)',
      [{ currentA: [0, 0, 0] }, { currentA: [SANITY.maxCurrentA, 1, 1] }],
      [{ currentA: [-1, 0, 0] }, { currentA: [SANITY.maxCurrentA + 1, 0, 0] }, { currentA: [1, 2] }, { currentA: [1, 2, '3'] }],
    ],
    ['voltageV (3 × 0–500 V, optional)', [{ voltageV: [230, 231, 229] }], [{ voltageV: [230, 230, 501] }, { voltageV: 230 }]],
    ['powerW (3 × ±5 MW, optional)', [{ powerW: [2300, -100, 0] }], [{ powerW: [1e7, 0, 0] }, { powerW: [NaN, 0, 0] }]],
    ['powerFactor (3 × −1…1, optional)', [{ powerFactor: [1, -1, 0.9] }], [{ powerFactor: [1.1, 1, 1] }]],
    ['totalPowerW (±15 MW, optional)', [{ totalPowerW: 6900 }], [{ totalPowerW: 2e7 }, { totalPowerW: '1' }]],
    ['frequencyHz (0–100 Hz, optional)', [{ frequencyHz: 50 }], [{ frequencyHz: 101 }, { frequencyHz: -1 }]],
    ['timestamp (ms, optional)', [{ timestamp: 0 }], [{ timestamp: -5 }, { timestamp: 'now' }]],
    ['reason (text ≤ 200, optional)', [{ reason: 'x' }], [{ reason: 'x'.repeat(201) }, { reason: 5 }]],
  ];
  for (const [name, good, bad] of meterCases) {
    it(`meter.${name}: bounds as the contract says`, () => {
      const s = new Site();
      for (const f of good) assert.equal(meterVerdict(s, f), null, JSON.stringify(f));
      for (const f of bad) assert.ok(meterVerdict(s, f), JSON.stringify(f).slice(0, 40));
    });
  }

  it('refusals of plate, schedule and unknown events never quote the input', () => {
    const s = new Site();
    s.report(cp1);
    const secret = 'SECRET'.repeat(1000);
    for (const e of [
      { type: 'plate', plugId: secret, plate: 'X' },
      { type: 'plate', plugId: 1, plate: secret },
      { type: 'schedule', schedule: { enabled: true, slots: new Array(24).fill(false) }, timeZone: secret },
      { type: secret },
      { type: 'params', params: { [secret]: 1 } },
    ]) {
      const r = step(s.state, e as DlmEvent, s.now);
      assert.ok(r.error && !r.error.includes('SECRET') && r.error.length <= 200, r.error ?? 'accepted');
    }
  });
});

describe('R-SEC-2 — the deployed configuration is the ceiling of run-time changes (issue 9)', () => {
  const deployed: SiteParams = { ...DEFAULT_PARAMS, mccbA: 50, contractedKW: 36, marginPct: 10 };

  it('issue 9 item 2: the attack of the report is refused whole — mccbA 6300, 10 000 kW, margin 0, analyser off', () => {
    const s = new Site(deployed);
    s.report(cp1);
    const before = s.state;
    const r = step(s.state, { type: 'params', params: { mccbA: 6300, contractedKW: 10000, marginPct: 0, analyserEnabled: false } }, s.now);
    assert.equal(r.state, before);
    assert.match(r.error!, /may not be raised above the deployed 50 A/);
    assert.equal(s.state.params.mccbA, 50);
  });

  it('each parameter follows its direction: limits only down, margins/delays/assumptions only up, wiring facts fixed, the rest free', () => {
    const safer = Object.fromEntries(PARAM_SPECS.map((p) => [p.key, p.safer ?? 'free']));
    assert.deepEqual(
      {
        mccbA: safer.mccbA,
        contractedKW: safer.contractedKW,
        marginPct: safer.marginPct,
        analyserEnabled: safer.analyserEnabled,
        meterOfflineCurrentA: safer.meterOfflineCurrentA,
        meterPeakWindowMin: safer.meterPeakWindowMin,
        meterTimeoutS: safer.meterTimeoutS,
        reactionDelayS: safer.reactionDelayS,
        meterPosition: safer.meterPosition,
        supplyPhases: safer.supplyPhases,
        voltageV: safer.voltageV,
      },
      {
        mccbA: 'lower',
        contractedKW: 'lower',
        marginPct: 'higher',
        analyserEnabled: 'higher',
        meterOfflineCurrentA: 'higher',
        meterPeakWindowMin: 'higher',
        meterTimeoutS: 'lower',
        reactionDelayS: 'higher',
        meterPosition: 'fixed',
        supplyPhases: 'fixed',
        voltageV: 'higher',
      },
    );
    const ok = (change: Partial<SiteParams>) => mergeParams(deployed, change, deployed).ok;
    assert.equal(ok({ mccbA: 40 }), true);
    assert.equal(ok({ mccbA: 50.5 }), false);
    assert.equal(ok({ contractedKW: 30 }), true);
    assert.equal(ok({ contractedKW: 36.1 }), false);
    assert.equal(ok({ marginPct: 15 }), true);
    assert.equal(ok({ marginPct: 9 }), false);
    assert.equal(ok({ analyserEnabled: false }), false);
    assert.equal(ok({ meterOfflineCurrentA: 30 }), true);
    assert.equal(ok({ meterOfflineCurrentA: 20 }), false);
    assert.equal(ok({ meterTimeoutS: 3 }), true);
    assert.equal(ok({ meterTimeoutS: 6 }), false);
    assert.equal(ok({ reactionDelayS: 4 }), false);
    assert.equal(ok({ meterPosition: 'grid' }), false);
    assert.equal(ok({ supplyPhases: 1 }), false);
    assert.equal(ok({ voltageV: 220 }), false);
    assert.equal(ok({ minPauseS: 0, stateBDetection: false, resumeHysteresisA: 0, timeZone: 'UTC' }), true);
    // Enabling a deployed-off analyser is safer, so it is allowed.
    assert.equal(
      mergeParams({ ...deployed, analyserEnabled: false }, { analyserEnabled: true }, { ...deployed, analyserEnabled: false }).ok,
      true,
    );
    assert.deepEqual(ceilingProblems(deployed, deployed), []);
  });

  it('after a lowering, going back up to the deployed value is allowed; the status and the dashboard show the ceiling', () => {
    const s = new Site(deployed);
    s.apply({ type: 'params', params: { mccbA: 32 } });
    assert.equal(s.state.params.mccbA, 32);
    s.apply({ type: 'params', params: { mccbA: 50 } });
    assert.equal(s.state.params.mccbA, 50);
    const st = statusOf(s.state, s.now);
    assert.equal(st.deployedParams.mccbA, 50);
    assert.equal(paramsEdit(st.params, { mccbA: 63 }, st.deployedParams).ok, false);
    assert.equal(paramsEdit(st.params, { mccbA: 45 }, st.deployedParams).ok, true);
  });
});

describe('R-MTR-4 amended — meter lost: assume max(offline current, highest recent reading) (issue 9 item 10)', () => {
  const base = { mccbA: 80, contractedKW: 100, marginPct: 0, meterOfflineCurrentA: 25, meterTimeoutS: 5 };

  it('the building drew 40 A on L1 just before the meter was lost: 40 A is assumed on L1, 25 A on the others', () => {
    const s = new Site(base);
    s.report({
      name: 'CP01',
      index: 1,
      plugs: [
        { letter: 'A', phase: 'L1', pilot: 'C' },
        { letter: 'B', phase: 'L2', pilot: 'C' },
      ],
    });
    s.run(10, [40, 10, 10]);
    assert.equal(s.sp(1), 32);
    s.apply({ type: 'meter', meter: { online: false, timestamp: s.now } });
    s.run(2);
    assert.deepEqual(s.state.view.buildingA, [40, 25, 25]);
    // L1: 80 − 40 = 40 A usable → 32 A (plug maximum); L2: 80 − 25 = 55 → 32 A.
    assert.equal(s.sp(1), 32);
    const st = statusOf(s.state, s.now);
    assert.deepEqual(st.analyser.usedA, { L1: 40, L2: 25, L3: 25 });
    assert.deepEqual(st.analyser.recentPeakA, { L1: 40, L2: 10, L3: 10 });
    assert.equal(
      st.analyser.lostAssumption,
      'meter lost: assuming L1 40 A (recent peak), L2 25 A (offline current), L3 25 A (offline current)',
    );
  });

  it('the peak is the highest of the window, not the last reading; setpoints drop at once when the meter is lost', () => {
    const s = new Site({ ...base, mccbA: 60 });
    s.report(cp1);
    s.run(60, [50, 5, 5]); // a 50 A peak
    s.run(120, [20, 5, 5]); // then 20 A for two minutes
    assert.equal(s.sp(1), 32); // 60 − 20 = 40 → 32
    s.apply({ type: 'meter', meter: { online: false, timestamp: s.now } });
    assert.deepEqual(s.state.view.buildingA, [50, 25, 25]);
    assert.equal(s.sp(1), 10); // 60 − 50 = 10 A
  });

  it("readings older than the window no longer count; window 0 is the manual's offline current alone", () => {
    const s = new Site({ ...base, meterPeakWindowMin: 15 });
    s.report(cp1);
    s.run(30, [45, 5, 5]);
    s.run(16 * 60, [10, 5, 5]);
    s.apply({ type: 'meter', meter: { online: false, timestamp: s.now } });
    assert.deepEqual(s.state.view.buildingA, [25, 25, 25]);

    const m = new Site({ ...base, meterPeakWindowMin: 0 });
    m.report(cp1);
    m.run(30, [45, 5, 5]);
    m.apply({ type: 'meter', meter: { online: false, timestamp: m.now } });
    assert.deepEqual(m.state.view.buildingA, [25, 25, 25]);
  });

  it('the window is anchored at the last valid reading: an hour-long outage still assumes the peak before it; the first valid reading returns to measured values', () => {
    const s = new Site(base);
    s.report(cp1);
    s.run(30, [42, 5, 5]);
    s.apply({ type: 'meter', meter: { online: false, timestamp: s.now } });
    s.run(3600);
    assert.deepEqual(s.state.view.buildingA, [42, 25, 25]);
    s.meter([12, 5, 5]);
    assert.deepEqual(s.state.view.buildingA, [12, 5, 5]);
  });

  it('the kept peaks stay bounded (one per minute of the window) however long the meter runs', () => {
    const s = new Site({ ...base, meterPeakWindowMin: 15 });
    s.run(3 * 3600, [10, 10, 10]);
    assert.ok(s.state.meter.peaks.length <= 16, String(s.state.meter.peaks.length));
  });
});
