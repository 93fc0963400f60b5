import { strict as assert } from 'assert';
import fc from 'fast-check';
import {
  addPowerSample,
  amps,
  analyserView,
  consumptionView,
  dateTime,
  emptyPowerHistory,
  isPowerHistory,
  kw,
  niceAxis,
  num,
  paramsEdit,
  paramsView,
  plateEdit,
  plugsView,
  powerChart,
  powerView,
  safeLink,
  scheduleEdit,
  scheduleView,
  slotLabel,
  STATE_NAMES,
  statusProblems,
  tableView,
  transactionsView,
  POWER_BUCKET_MS,
  POWER_HISTORY_MS,
  POWER_LIVE_MAX,
} from '../../lib/dashboard/dashboard';
import { DEFAULT_PARAMS, PARAM_SPECS } from '../../lib/shared/params';
import { statusOf } from '../../lib/core/status';
import type { PhaseGroupRow, StatusMessage } from '../../lib/shared/types';
import { Site } from '../support/site';

/** A small real site driven through the real core: priority slot active at 15:00 UTC (16:00 Madrid). */
function siteStatus(opts: { priority?: boolean } = {}): StatusMessage {
  const site = new Site();
  const hour = 16; // Site starts 2026-01-15 15:00 UTC = 16:00 Europe/Madrid
  if (opts.priority) {
    const slots = new Array(24).fill(false);
    slots[hour] = true;
    site.apply({ type: 'schedule', schedule: { enabled: true, slots } });
  }
  site.report({
    name: 'CP01',
    index: 1,
    plugs: [
      { letter: 'A', phase: 'L1', pilot: 'C', measuredA: 15, plate: 'AE-1111-FF', priority: true },
      { letter: 'B', phase: 'L1', pilot: 'A' },
    ],
  });
  site.report({
    name: 'CP02',
    index: 2,
    plugs: [
      { letter: 'A', phase: 'L2', pilot: 'C', measuredA: 14, plate: '<img src=x onerror=alert(1)>' },
      { letter: 'B', phase: null },
    ],
  });
  site.meter([20, 21, 22]);
  site.run(10, [20, 21, 22]);
  return statusOf(site.state, site.now);
}

describe('lib/dashboard — formatting and names', () => {
  it('names every load state as the manual does (SPEC §4)', () => {
    assert.deepEqual(Object.values(STATE_NAMES), [
      'Available power',
      'Power decreasing',
      'Limited power',
      'Power exceeded',
      'Unavailable power',
    ]);
  });

  it("rounds like the manual's table: 13.333 → 13.3, 19.75 → 19.8, 80 → 80", () => {
    assert.equal(num(80 / 6), '13.3');
    assert.equal(num(19.75), '19.8');
    assert.equal(num(80), '80');
    assert.equal(num(-0.01), '0');
    assert.equal(num(NaN), '–');
    assert.equal(amps(7.25), '7.3 A');
    assert.equal(kw(36000), '36 kW');
    assert.equal(kw(12345), '12.35 kW');
  });

  it('labels slots 00h - 01h … 23h - 00h (manual §7.4.1)', () => {
    assert.equal(slotLabel(0), '00h - 01h');
    assert.equal(slotLabel(7), '07h - 08h');
    assert.equal(slotLabel(23), '23h - 00h');
  });

  it("shows times in the site's time zone", () => {
    assert.equal(dateTime(Date.UTC(2026, 6, 1, 10, 0, 0), 'Europe/Madrid'), '2026-07-01 12:00:00');
    assert.equal(dateTime(null, 'Europe/Madrid'), '–');
  });

  it('niceAxis gives a round top above the maximum', () => {
    assert.deepEqual(niceAxis(37.4), { top: 40, step: 10 });
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 1e6, noNaN: true }), (m) => {
        const a = niceAxis(m);
        return a.top >= m && a.top / a.step <= 5 + 1e-9 && a.step > 0;
      }),
    );
  });
});

describe('lib/dashboard — status check (R-ERR-1)', () => {
  it('accepts a real status and refuses anything else with reasons', () => {
    assert.deepEqual(statusProblems(siteStatus()), []);
    assert.ok(statusProblems(null).length > 0);
    assert.ok(statusProblems('status').length > 0);
    const s = siteStatus() as unknown as Record<string, unknown>;
    assert.match(statusProblems({ ...s, plugs: 'x' }).join(), /plugs/);
    assert.match(statusProblems({ ...s, power: { ...(s.power as object), totalW: 'a lot' } }).join(), /totalW/);
  });
});

describe('lib/dashboard — plug status screen (R-CP-4, R-CP-6)', () => {
  it('lists every plug under its charge point with id, named colour-coded status, vehicle indicator, currents and plate', () => {
    const s = siteStatus();
    const v = plugsView(s);
    assert.deepEqual(
      v.chargePoints.map((c) => c.name),
      ['CP01', 'CP02'],
    );
    const all = v.chargePoints.flatMap((c) => c.plugs);
    assert.deepEqual(
      all.map((p) => p.idText),
      ['01', '02', '03', '04'],
    );
    const p1 = all[0];
    assert.equal(p1.statusLabel, 'CHARGING');
    assert.equal(p1.vehicle, 'Priority · plugged in');
    assert.equal(p1.plate, 'AE-1111-FF');
    assert.equal(p1.measured, '15 A');
    assert.equal(p1.setpoint, amps(s.plugs.find((p) => p.id === 1)!.setpointA));
    assert.equal(all[1].statusLabel, 'AVAILABLE');
    assert.equal(all[1].vehicle, 'Non-priority · not plugged in');
    assert.equal(all[3].statusLabel, 'ERR. CFG');
    assert.equal(all[3].phase, 'phase not set');
    assert.ok(all[3].reason.length > 0);
    // Untrusted text is passed through unchanged (the template renders it as text).
    assert.equal(all[2].plate, '<img src=x onerror=alert(1)>');
    assert.equal(v.counts.length, 7);
    assert.equal(v.counts.find((c) => c.status === 'CHARGING')!.count, 2);
  });
});

describe('lib/dashboard — table per phases (SPEC §4)', () => {
  it('schedule off: one group ALL, nine rows, L1 L2 L3, STATE named', () => {
    const s = siteStatus();
    const v = tableView(s);
    assert.deepEqual(
      v.groups.map((g) => g.name),
      ['ALL'],
    );
    assert.deepEqual(
      v.columns.map((c) => c.phase),
      ['L1', 'L2', 'L3'],
    );
    assert.deepEqual(
      v.rows.map((r) => r.label),
      [
        'STATE',
        'MAX. ALLOWED PLUGS',
        'CHARGING',
        'PAUSED',
        'TOTAL PLUGS',
        'AVAILABLE CURRENT (A)',
        'SHARED CURRENT (A)',
        'NEXT ALLOWED PLUG',
        'NEXT PAUSED PLUG',
      ],
    );
    const l1 = s.table.ALL!.L1!;
    assert.equal(v.rows[0].cells[0].text, String(l1.state));
    assert.equal(v.rows[0].cells[0].sub, STATE_NAMES[l1.state]);
    assert.equal(v.rows[2].cells[0].text, String(l1.charging));
    assert.equal(v.rows[5].cells[0].text, num(l1.availableA));
  });

  it('priority slot active: PRIORITY and NORMAL columns (R-ALLOC-2)', () => {
    const s = siteStatus({ priority: true });
    assert.equal(s.priorityActive, true);
    const v = tableView(s);
    assert.deepEqual(
      v.groups.map((g) => g.name),
      ['PRIORITY', 'NORMAL'],
    );
    assert.equal(v.columns.length, 6);
    assert.match(v.mode, /PRIORITY/);
  });

  it('reproduces the manual\'s ALL figures: L1 A=80 n=4 w=2 → "1 · Available power", shared 13.3, next plugs', () => {
    const base = siteStatus();
    const row = (
      availableA: number,
      charging: number,
      paused: number,
      maxAllowed: number,
      nextAllowed: number,
      nextPaused: number,
    ): PhaseGroupRow => ({
      state: 1,
      maxAllowed,
      charging,
      paused,
      total: 9,
      availableA,
      sharedA: availableA / maxAllowed,
      nextAllowed,
      nextPaused,
    });
    const s: StatusMessage = {
      ...base,
      priorityActive: false,
      table: {
        PRIORITY: null,
        NORMAL: null,
        ALL: {
          L1: row(80, 4, 2, 6, 17, 14),
          L2: row(79, 3, 2, 5, 15, 12),
          L3: row(79, 3, 1, 4, 16, 13),
        },
      },
    };
    const v = tableView(s);
    const byLabel = (l: string) => v.rows.find((r) => r.label === l)!.cells.map((c) => c.text);
    assert.deepEqual(byLabel('STATE'), ['1', '1', '1']);
    assert.deepEqual(
      v.rows[0].cells.map((c) => c.sub),
      ['Available power', 'Available power', 'Available power'],
    );
    assert.deepEqual(byLabel('MAX. ALLOWED PLUGS'), ['6', '5', '4']);
    assert.deepEqual(byLabel('SHARED CURRENT (A)'), ['13.3', '15.8', '19.8']);
    assert.deepEqual(byLabel('NEXT ALLOWED PLUG'), ['17', '15', '16']);
    assert.deepEqual(byLabel('NEXT PAUSED PLUG'), ['14', '12', '13']);
  });
});

describe('lib/dashboard — consumption, analyser, parameters, schedule, transactions (R-MON-1..3, R-MON-5, R-PRIO-1)', () => {
  it('consumption per phase matches the status, bar scaled to the MCCB', () => {
    const s = siteStatus();
    const v = consumptionView(s);
    assert.deepEqual(v.phases, ['L1', 'L2', 'L3']);
    const row = (l: string) => v.rows.find((r) => r.label === l)!.cells;
    assert.deepEqual(row('MCCB MAX. CURRENT (A)'), ['50', '50', '50']);
    assert.deepEqual(
      row('BUILDING CONSUMPTION (A)'),
      (['L1', 'L2', 'L3'] as const).map((ph) => num(s.consumption[ph]!.buildingA)),
    );
    assert.deepEqual(row('EV CONSUMPTION (A)'), ['15', '14', '0']);
    const b = v.bars[0];
    assert.equal(b.limitPct, 100);
    assert.equal(b.buildingPct, Math.round((s.consumption.L1!.buildingA / 50) * 1000) / 10);
    assert.equal(b.over, false);
  });

  it('analyser: status in words, offline current assumed when offline (R-MTR-4)', () => {
    const s = siteStatus();
    assert.match(analyserView(s).status, /^ON/);
    const off = analyserView({ ...s, analyser: { ...s.analyser, online: false } });
    assert.equal(off.status, 'OFFLINE: building assumed at 25 A per phase');
    assert.match(analyserView({ ...s, analyser: { ...s.analyser, enabled: false } }).status, /^DISABLED/);
    const v = analyserView(s);
    assert.deepEqual(v.rows.find((r) => r.label === 'WORKING LIMIT (A)')!.cells, ['45', '45', '45']);
    assert.equal(v.margin, '10 %');
  });

  it('parameters: every PARAM_SPECS entry with its value and unit', () => {
    const v = paramsView(DEFAULT_PARAMS);
    assert.deepEqual(
      v.rows.map((r) => r.key),
      PARAM_SPECS.map((s) => s.key),
    );
    const mccb = v.rows.find((r) => r.key === 'mccbA')!;
    assert.equal(mccb.text, '50 A');
    assert.equal(mccb.range, '6 – 6300 A');
    assert.equal(v.rows.find((r) => r.key === 'stateBDetection')!.text, 'ON');
  });

  it('schedule: 24 labelled slots and a summary', () => {
    const s = siteStatus({ priority: true });
    const v = scheduleView(s);
    assert.equal(v.slots.length, 24);
    assert.equal(v.slots[16].on, true);
    assert.equal(v.slots[16].label, '16h - 17h');
    assert.match(v.summary, /ON, 1 priority hour; priority active now/);
  });

  it('transactions: open sessions first, then newest, with units', () => {
    const s = siteStatus();
    const t0 = s.timestamp - 3600_000;
    const closed = {
      plugId: 3,
      chargePoint: 'CP02',
      letter: 'A' as const,
      plate: 'X',
      start: t0,
      stop: t0 + 1800_000,
      energyWh: 5500,
      peakA: 16,
      pauses: 1,
    };
    const v = transactionsView({ ...s, transactions: [closed, ...s.transactions] });
    assert.equal(v.rows[0].open, true);
    const last = v.rows[v.rows.length - 1];
    assert.equal(last.energy, '5.5 kWh');
    assert.equal(last.duration, '30 min 00 s');
    assert.equal(last.peak, '16 A');
    assert.equal(transactionsView(s, 1).rows.length, 1);
  });
});

describe('lib/dashboard — power history (R-MON-4)', () => {
  const p = (totalW: number) => ({ buildingW: totalW / 2, evW: totalW / 2, totalW, contractedW: 36000 });

  it('averages readings into 1-minute buckets and keeps the peak', () => {
    let h = emptyPowerHistory();
    const t0 = Date.UTC(2026, 0, 1, 10, 0, 0);
    h = addPowerSample(h, p(1000), t0);
    h = addPowerSample(h, p(3000), t0 + 1000);
    h = addPowerSample(h, p(2000), t0 + 61_000);
    assert.equal(h.buckets.length, 2);
    assert.equal(h.buckets[0].totalW, 2000);
    assert.equal(h.buckets[0].peakW, 3000);
    assert.equal(h.buckets[0].n, 2);
    assert.equal(h.live.length, 3);
  });

  it('never keeps more than 24 h (≤ 1440 buckets) nor more than the live window, whatever the readings', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 400_000 }), { minLength: 1, maxLength: 300 }), (gaps) => {
        let h = emptyPowerHistory();
        let t = Date.UTC(2026, 0, 1);
        for (const g of gaps) {
          t += g * 1000;
          h = addPowerSample(h, p(1000), t);
        }
        return (
          h.buckets.length <= POWER_HISTORY_MS / POWER_BUCKET_MS &&
          h.buckets.every((b) => b.t > t - POWER_HISTORY_MS) &&
          h.live.length <= POWER_LIVE_MAX &&
          isPowerHistory(JSON.parse(JSON.stringify(h)))
        );
      }),
      { numRuns: 50 },
    );
  });

  it('a day of 1 s readings stays at 1440 buckets', () => {
    let h = emptyPowerHistory();
    const t0 = Date.UTC(2026, 0, 1);
    for (let s = 0; s < 26 * 3600; s += 1) h = addPowerSample(h, p(1000 + (s % 100)), t0 + s * 1000);
    assert.equal(h.buckets.length, 1440);
    assert.equal(h.live.length, POWER_LIVE_MAX);
  });

  it('ignores a reading that is not newer than the last one (repeats, clock set back)', () => {
    const t0 = Date.UTC(2026, 0, 1);
    const h1 = addPowerSample(emptyPowerHistory(), p(1000), t0);
    assert.equal(addPowerSample(h1, p(5000), t0), h1);
    assert.equal(addPowerSample(h1, p(5000), t0 - 60_000), h1);
  });

  it('rejects a corrupt stored history', () => {
    assert.equal(isPowerHistory({ version: 1, bucketMs: 60000, buckets: [{ t: 'x' }], live: [] }), false);
    assert.equal(isPowerHistory(null), false);
    assert.equal(isPowerHistory(emptyPowerHistory()), true);
  });

  it('lays out the chart inside its box, y in kW up to a round top above the contracted power, gaps break the line', () => {
    const t0 = Date.UTC(2026, 0, 1, 10);
    const pts = [0, 60_000, 120_000, 600_000, 660_000].map((d, i) => ({ t: t0 + d, ...p(10000 + i * 1000) }));
    const c = powerChart(pts, t0, t0 + 660_000, { width: 560, height: 180, gapMs: 180_000, timeZone: 'UTC', xTicks: 2 });
    assert.equal(c.maxKW, 40);
    const total = c.series.find((s) => s.key === 'total')!;
    assert.equal(total.segments.length, 2);
    for (const s of c.series)
      for (const seg of s.segments)
        for (const xy of seg.split(' ')) {
          const [x, y] = xy.split(',').map(Number);
          assert.ok(x >= c.plot.left - 1e-9 && x <= c.plot.right + 1e-9, `x ${x}`);
          assert.ok(y >= c.plot.top - 1e-9 && y <= c.plot.bottom + 1e-9, `y ${y}`);
        }
    assert.deepEqual(
      c.xTicks.map((t) => t.label),
      ['10:00', '10:05', '10:11'],
    );
    assert.equal(c.yTicks[c.yTicks.length - 1].label, '40 kW');
  });

  it('powerView shows the live figures in kW against the contracted power', () => {
    const s = siteStatus();
    const h = addPowerSample(emptyPowerHistory(), s.power, s.timestamp);
    const v = powerView(s, h);
    assert.deepEqual(
      v.now.map((k) => k.label),
      ['Building', 'EV', 'Total', 'Contracted'],
    );
    assert.equal(v.now[3].value, '36 kW');
    assert.equal(v.now[2].value, kw(s.power.totalW));
    assert.equal(v.live.points, 1);
  });
});

describe('lib/dashboard — edits re-validated on the server (R-ERR-1, R-CP-6, R-MON-3, R-PRIO-1)', () => {
  it('plate edit: trimmed, "-" allowed, empty refused, unknown plug refused', () => {
    const s = siteStatus();
    assert.deepEqual(plateEdit(s, { plugId: 1, plate: '  AB-123 ' }), {
      ok: true,
      msg: { topic: 'plate', payload: { plugId: 1, plate: 'AB-123' } },
    });
    assert.equal(plateEdit(s, { plugId: 1, plate: '-' }).ok, true);
    const empty = plateEdit(s, { plugId: 1, plate: '   ' });
    assert.equal(empty.ok, false);
    assert.match((empty as { error: string }).error, /empty/);
    assert.equal(plateEdit(s, { plugId: 99, plate: 'X' }).ok, false);
    assert.equal(plateEdit(s, { plugId: '1', plate: 'X' }).ok, false);
    assert.equal(plateEdit(s, { plugId: 1, plate: 'x'.repeat(33) }).ok, false);
    assert.equal(plateEdit(s, 'nope').ok, false);
    // Markup is just text: accepted as a plate and rendered as text.
    assert.equal(plateEdit(s, { plugId: 1, plate: '<img src=x onerror=alert(1)>' }).ok, true);
  });

  it("parameter edit: checked against the current parameters with the balancer's rules", () => {
    assert.deepEqual(paramsEdit(DEFAULT_PARAMS, { mccbA: 63 }), { ok: true, msg: { topic: 'params', payload: { mccbA: 63 } } });
    assert.equal(paramsEdit(DEFAULT_PARAMS, { mccbA: 2 }).ok, false);
    assert.equal(paramsEdit(DEFAULT_PARAMS, { mccbA: '63' }).ok, false);
    assert.equal(paramsEdit(DEFAULT_PARAMS, { nonsense: 1 }).ok, false);
    assert.equal(paramsEdit(DEFAULT_PARAMS, {}).ok, false);
    // Cross-parameter rule: I_min must be a multiple of the resolution.
    assert.equal(paramsEdit({ ...DEFAULT_PARAMS, resolutionA: 1 }, { minCurrentA: 8.5 }).ok, false);
    assert.equal(paramsEdit(null, { minCurrentA: 4 }).ok, false);
    assert.equal(paramsEdit(null, { minCurrentA: 10 }).ok, true);
  });

  it('schedule edit: enabled and exactly 24 boolean slots', () => {
    const slots = new Array(24).fill(false);
    assert.equal(scheduleEdit({ enabled: true, slots }).ok, true);
    assert.equal(scheduleEdit({ enabled: 'yes', slots }).ok, false);
    assert.equal(scheduleEdit({ enabled: true, slots: slots.slice(1) }).ok, false);
    assert.equal(scheduleEdit({ enabled: true, slots, extra: 1 }).ok, false);
    assert.equal(scheduleEdit(null).ok, false);
  });

  it('CSV link: a local path or an http(s) URL only', () => {
    assert.equal(safeLink('/dlm/transactions.csv'), '/dlm/transactions.csv');
    assert.equal(safeLink('https://example.org/t.csv'), 'https://example.org/t.csv');
    assert.equal(safeLink('javascript:alert(1)'), null);
    assert.equal(safeLink('//evil.example/x'), null);
    assert.equal(safeLink('/a" onclick="x'), null);
    assert.equal(safeLink(42), null);
  });
});
