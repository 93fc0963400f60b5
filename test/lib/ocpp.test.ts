import { strict as assert } from 'assert';
import fc from 'fast-check';
import {
  clearProfiles,
  compositeLimitAt,
  compositeSchedule,
  endTransaction,
  installProfile,
  profileLimitAt,
  type InstalledProfile,
} from '../../lib/ocpp/composite';
import type { ChargingProfile } from '../../lib/ocpp/messages';
import {
  bootConfiguration,
  connectorLetter,
  phaseCurrentsOf,
  readCapability,
  readMeterValues,
  statusToPilot,
} from '../../lib/ocpp/mapping';
import {
  fallbackLimit,
  fallbackStartsAt,
  ocppLimit,
  OCPP_DEFAULTS,
  PROFILE,
  refreshWritesPerHour,
  setpointLimit,
  txDefaultProfile,
  txProfile,
  writeReason,
} from '../../lib/ocpp/profiles';
import type { OfflineConfig, OfflineMode } from '../../lib/shared/types';

const T0 = Date.parse('2026-12-02T05:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const abs = (
  id: number,
  purpose: ChargingProfile['chargingProfilePurpose'],
  stackLevel: number,
  startMs: number,
  periods: [number, number][],
  extra: Partial<ChargingProfile> = {},
  duration?: number,
): ChargingProfile => ({
  chargingProfileId: id,
  stackLevel,
  chargingProfilePurpose: purpose,
  chargingProfileKind: 'Absolute',
  chargingSchedule: {
    startSchedule: iso(startMs),
    chargingRateUnit: 'A',
    ...(duration !== undefined ? { duration } : {}),
    chargingSchedulePeriod: periods.map(([startPeriod, limit]) => ({ startPeriod, limit })),
  },
  ...extra,
});
const tx = { transactionId: 7, startedAt: T0 };

describe('lib/ocpp composite schedule (OCPP 1.6 §3.13, issue 12)', () => {
  it('a profile gives its period in force; none before its start, after its duration or outside validity', () => {
    const p = abs(
      1,
      'TxDefaultProfile',
      0,
      T0,
      [
        [0, 16],
        [60, 10],
      ],
      { validTo: iso(T0 + 3600e3) },
      600,
    );
    assert.equal(profileLimitAt(p, T0 - 1, null), null);
    assert.equal(profileLimitAt(p, T0, null), 16);
    assert.equal(profileLimitAt(p, T0 + 59_999, null), 16);
    assert.equal(profileLimitAt(p, T0 + 60_000, null), 10);
    assert.equal(profileLimitAt(p, T0 + 600_000, null), null, 'duration over');
    const q = { ...p, chargingSchedule: { ...p.chargingSchedule, duration: undefined }, validFrom: iso(T0 + 10e3) };
    assert.equal(profileLimitAt(q, T0 + 5e3, null), null, 'not yet valid');
    assert.equal(profileLimitAt(q, T0 + 3600e3, null), null, 'validTo passed');
  });

  it('Relative profiles count from the transaction start; Recurring daily repeats', () => {
    const rel = txDefaultProfile({ heartbeatS: 30, mode: 3, currentA: 8 }, true);
    assert.equal(profileLimitAt(rel, T0 + 5e3, null), null, 'no transaction');
    assert.equal(profileLimitAt(rel, T0 + 29e3, T0), 0);
    assert.equal(profileLimitAt(rel, T0 + 30e3, T0), 8);
    const rec: ChargingProfile = {
      ...abs(2, 'TxDefaultProfile', 0, T0, [
        [0, 6],
        [3600, 20],
      ]),
      chargingProfileKind: 'Recurring',
      recurrencyKind: 'Daily',
    };
    assert.equal(profileLimitAt(rec, T0 + 86400e3 + 10e3, null), 6);
    assert.equal(profileLimitAt(rec, T0 + 2 * 86400e3 + 3601e3, null), 20);
  });

  it('stacking: the highest stack level with a limit wins; when it expires the lower one applies again', () => {
    let ps: InstalledProfile[] = [];
    ps = installProfile(ps, 0, abs(1, 'TxDefaultProfile', 0, T0, [[0, 6]]), 2, null).profiles;
    ps = installProfile(ps, 0, abs(2, 'TxDefaultProfile', 3, T0, [[0, 20]], {}, 60), 2, null).profiles;
    assert.equal(compositeLimitAt(ps, 1, T0 + 1e3, tx), 20);
    assert.equal(compositeLimitAt(ps, 1, T0 + 61e3, tx), 6);
  });

  it('TxProfile overrides TxDefault only during its transaction, and is deleted when it ends', () => {
    let ps: InstalledProfile[] = [];
    ps = installProfile(ps, 0, abs(1, 'TxDefaultProfile', 0, T0, [[0, 10]]), 2, null).profiles;
    const r = installProfile(ps, 1, abs(101, 'TxProfile', 1, T0, [[0, 25]], { transactionId: 7 }), 2, tx);
    assert.equal(r.status, 'Accepted');
    ps = r.profiles;
    assert.equal(compositeLimitAt(ps, 1, T0 + 1e3, tx), 25);
    assert.equal(compositeLimitAt(ps, 1, T0 + 1e3, { transactionId: 8, startedAt: T0 }), 10, 'another transaction');
    assert.equal(compositeLimitAt(ps, 2, T0 + 1e3, tx), 10, 'other connector: TxDefault of connector 0');
    ps = endTransaction(ps, 1);
    assert.equal(compositeLimitAt(ps, 1, T0 + 1e3, tx), 10);
  });

  it('a connector TxDefault overrides connector 0; ChargePointMax caps everything', () => {
    let ps: InstalledProfile[] = [];
    ps = installProfile(ps, 0, abs(1, 'TxDefaultProfile', 0, T0, [[0, 10]]), 2, null).profiles;
    ps = installProfile(ps, 2, abs(3, 'TxDefaultProfile', 0, T0, [[0, 14]]), 2, null).profiles;
    ps = installProfile(ps, 0, abs(4, 'ChargePointMaxProfile', 0, T0, [[0, 12]]), 2, null).profiles;
    assert.equal(compositeLimitAt(ps, 1, T0, null), 10);
    assert.equal(compositeLimitAt(ps, 2, T0, null), 12);
  });

  it('refuses malformed or misplaced profiles and replaces by id or by (connector, purpose, stack level)', () => {
    const bad = (p: ChargingProfile, c = 1, t: typeof tx | null = tx) => installProfile([], c, p, 2, t).status;
    assert.equal(bad(abs(1, 'TxProfile', 1, T0, [[0, 10]]), 1, null), 'Rejected');
    assert.equal(bad(abs(1, 'TxProfile', 1, T0, [[0, 10]]), 0), 'Rejected');
    assert.equal(bad(abs(1, 'ChargePointMaxProfile', 1, T0, [[0, 10]]), 1), 'Rejected');
    assert.equal(bad(abs(1, 'TxDefaultProfile', 1, T0, [[5, 10]])), 'Rejected');
    assert.equal(
      bad(
        abs(1, 'TxDefaultProfile', 1, T0, [
          [0, 10],
          [0, 6],
        ]),
      ),
      'Rejected',
    );
    assert.equal(bad(abs(1, 'TxDefaultProfile', 1, T0, [[0, 10]]), 3), 'Rejected');
    let ps = installProfile([], 0, abs(1, 'TxDefaultProfile', 0, T0, [[0, 10]]), 2, null).profiles;
    ps = installProfile(ps, 0, abs(9, 'TxDefaultProfile', 0, T0, [[0, 7]]), 2, null).profiles;
    assert.equal(ps.length, 1);
    assert.equal(compositeLimitAt(ps, 1, T0, null), 7);
    assert.equal(clearProfiles(ps, { id: 5 }).cleared, false);
    assert.equal(clearProfiles(ps, { chargingProfilePurpose: 'TxDefaultProfile' }).profiles.length, 0);
  });

  it('the composite schedule lists every change of limit', () => {
    let ps: InstalledProfile[] = [];
    ps = installProfile(ps, 1, txProfile(1, 7, 20, { heartbeatS: 60, mode: 2, currentA: 8 }, T0, true), 2, tx).profiles;
    assert.deepEqual(compositeSchedule(ps, 1, T0, 300, tx, 32), [
      { startPeriod: 0, limit: 20 },
      { startPeriod: 60, limit: 8 },
    ]);
  });

  it('property: the composite limit never exceeds a ChargePointMax limit in force, nor the TxProfile in force', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: 0, max: 7200 }),
        (cpMax, txA, defA, atS) => {
          let ps: InstalledProfile[] = [];
          ps = installProfile(ps, 0, abs(1, 'ChargePointMaxProfile', 0, T0, [[0, cpMax]]), 2, null).profiles;
          ps = installProfile(ps, 0, abs(2, 'TxDefaultProfile', 0, T0, [[0, defA]]), 2, null).profiles;
          ps = installProfile(ps, 1, abs(3, 'TxProfile', 0, T0, [[0, txA]], {}, 3600), 2, tx).profiles;
          const l = compositeLimitAt(ps, 1, T0 + atS * 1000, tx)!;
          assert.ok(l <= cpMax);
          assert.equal(l, Math.min(cpMax, atS < 3600 ? txA : defA));
        },
      ),
    );
  });
});

describe('lib/ocpp profile builder and fallback design (issue 12, R-OFF-1/2)', () => {
  it('limits pass the 1.6 schema multipleOf 0.1 as checked in floating point, rounded down (6.3 → 6.2)', () => {
    assert.equal(ocppLimit(6.3, false), 6.2);
    assert.equal(ocppLimit(6.5, false), 6.5);
    assert.equal(ocppLimit(16.9, true), 16);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 80, noNaN: true }), fc.boolean(), (a, whole) => {
        const v = ocppLimit(a, whole);
        assert.ok(v <= a + 1e-9 && v >= 0 && a - v < (whole ? 1 : 0.35));
        const d = v / 0.1;
        assert.equal(d, Math.trunc(d));
      }),
    );
  });

  it('0 A pauses; a setpoint is never sent as 0 < limit < 6 A', () => {
    assert.equal(setpointLimit(0, false), 0);
    assert.equal(setpointLimit(3, false), 6);
    assert.equal(setpointLimit(6.3, false), 6.2);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 80, noNaN: true }), fc.boolean(), (a, w) => {
        const l = setpointLimit(a, w);
        assert.ok(l === 0 || l >= 6);
      }),
    );
  });

  const modes: OfflineMode[] = [0, 1, 2, 3];
  for (const mode of modes) {
    it(`offline mode ${mode}: the charger does what the mode says one heartbeat after the last write (R-OFF-1)`, () => {
      const off: OfflineConfig = { heartbeatS: 60, mode, currentA: 8 };
      const now = T0 + 10e3;
      const tCharging = { transactionId: 7, startedAt: T0 };
      let ps: InstalledProfile[] = installProfile([], 0, txDefaultProfile(off, false), 2, null).profiles;
      ps = installProfile(ps, 1, txProfile(1, 7, 20, off, now, false), 2, tCharging).profiles;
      ps = installProfile(ps, 2, txProfile(2, 8, 0, off, now, false), 2, { transactionId: 8, startedAt: T0 }).profiles;
      // Online (before the heartbeat has run out): the setpoints.
      assert.equal(compositeLimitAt(ps, 1, now + 59e3, tCharging), 20);
      assert.equal(compositeLimitAt(ps, 2, now + 59e3, { transactionId: 8, startedAt: T0 }), 0);
      const after = now + 60e3;
      const active = compositeLimitAt(ps, 1, after, tCharging);
      const paused = compositeLimitAt(ps, 2, after, { transactionId: 8, startedAt: T0 });
      // A new transaction that starts after we are gone (no TxProfile): TxDefault.
      const newTx = { transactionId: 9, startedAt: after };
      const fresh0 = compositeLimitAt(
        ps.filter((p) => p.connectorId === 0),
        2,
        after + 1e3,
        newTx,
      );
      const freshLater = compositeLimitAt(
        ps.filter((p) => p.connectorId === 0),
        2,
        after + 61e3,
        newTx,
      );
      const expect = { 0: [0, 0, 0, 0], 1: [20, 0, 0, 0], 2: [8, 0, 0, 0], 3: [8, 0, 0, 8] }[mode];
      assert.deepEqual([active, paused, fresh0, freshLater], expect);
      // A fallback that goes up (mode 3: the paused one starts at the offline current) waits half a
      // heartbeat more (+ 5 s slack): not before the charge-point node declares the charger OFFLINE.
      const pausedLater = (at: number) => compositeLimitAt(ps, 2, at, { transactionId: 8, startedAt: T0 });
      assert.equal(pausedLater(now + 60e3 + 35e3 - 1), 0);
      assert.equal(pausedLater(now + 60e3 + 35e3), mode === 3 ? 8 : 0);
    });
  }

  it("property: the live profile gives the setpoint until one heartbeat after the write, then the mode's value; never more than max(setpoint, offline current)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<OfflineMode>(0, 1, 2, 3),
        fc.oneof(fc.constant(0), fc.integer({ min: 6, max: 80 })),
        fc.integer({ min: 10, max: 3600 }),
        fc.integer({ min: 6, max: 80 }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        (mode, sp, hb, offA, frac) => {
          const off: OfflineConfig = { heartbeatS: hb, mode, currentA: offA };
          const txi = { transactionId: 3, startedAt: T0 - 3600e3 };
          const ps = installProfile([], 1, txProfile(1, 3, sp, off, T0, true), 2, txi).profiles;
          const t = T0 + frac * hb * 1000;
          const l = compositeLimitAt(ps, 1, t, txi)!;
          assert.ok(l <= Math.max(sp, offA));
          const byMode = [0, sp, Math.min(sp, offA), sp > 0 ? Math.min(sp, offA) : offA][mode];
          const upAt = T0 + (hb + hb * OCPP_DEFAULTS.refreshFraction + OCPP_DEFAULTS.linkSlackS) * 1000;
          if (t < T0 + hb * 1000) assert.equal(l, sp);
          else if (byMode <= sp) assert.equal(l, byMode);
          else assert.equal(l, t >= upAt ? byMode : sp);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('mode 1 and a setpoint within the offline current need a single period (no refresh, no flash wear)', () => {
    assert.equal(
      txProfile(1, 1, 20, { heartbeatS: 60, mode: 1, currentA: 8 }, T0, false).chargingSchedule.chargingSchedulePeriod.length,
      1,
    );
    assert.equal(txProfile(1, 1, 8, { heartbeatS: 60, mode: 3, currentA: 8 }, T0, false).chargingSchedule.chargingSchedulePeriod.length, 1);
    assert.equal(fallbackStartsAt(txProfile(1, 1, 8, { heartbeatS: 60, mode: 2, currentA: 8 }, T0, false)), null);
    const p = txProfile(1, 1, 20, { heartbeatS: 60, mode: 2, currentA: 8 }, T0, false);
    assert.equal(fallbackStartsAt(p), T0 + 60e3);
    assert.equal(p.chargingSchedule.startSchedule, iso(T0 - OCPP_DEFAULTS.skewS * 1000), 'startSchedule slightly in the past');
    assert.equal(p.chargingProfileId, PROFILE.txIdBase + 1);
    assert.equal(fallbackLimit({ heartbeatS: 60, mode: 1, currentA: 8 }, 20, false), null);
  });

  it('write rules: decreases at once, increases beyond the deadband after the minimum interval, refresh before the fallback', () => {
    const last = { limitA: 16, at: T0, fallbackAt: T0 + 120e3, transactionId: 7 };
    assert.equal(writeReason(null, 7, 16, 120, T0), 'new');
    assert.equal(writeReason(last, 8, 16, 120, T0), 'new');
    assert.equal(writeReason(last, 7, 15.5, 120, T0 + 1), 'decrease');
    assert.equal(writeReason(last, 7, 16.5, 120, T0 + 30e3), null, 'within the deadband');
    assert.equal(writeReason(last, 7, 20, 120, T0 + 5e3), null, 'too soon');
    assert.equal(writeReason(last, 7, 20, 120, T0 + 10e3), 'increase');
    assert.equal(writeReason({ ...last, limitA: 0 }, 7, 6, 120, T0 + 1), 'increase', 'a resume is written at once');
    assert.equal(writeReason(last, 7, 16, 120, T0 + 59e3), null);
    assert.equal(writeReason(last, 7, 16, 120, T0 + 60e3), 'refresh');
    assert.equal(writeReason({ ...last, fallbackAt: null }, 7, 16, 120, T0 + 3600e3), null, 'no fallback period: never refreshed');
    assert.equal(
      writeReason({ ...last, fallbackAt: T0 + 185e3 }, 7, 16, 120, T0 + 60e3),
      'refresh',
      'a late (upward) fallback is refreshed on the same cadence',
    );
    assert.equal(refreshWritesPerHour(120), 60);
    assert.equal(refreshWritesPerHour(600), 12);
  });
});

describe('lib/ocpp mapping (issue 12 mapping table)', () => {
  it('status → pilot', () => {
    assert.deepEqual(statusToPilot('Available', 'NoError'), { pilot: 'A' });
    assert.deepEqual(statusToPilot('Unavailable', 'NoError'), { pilot: 'A' });
    for (const s of ['Preparing', 'SuspendedEV', 'SuspendedEVSE', 'Finishing'] as const)
      assert.equal(statusToPilot(s, 'NoError').pilot, 'B');
    assert.deepEqual(statusToPilot('Charging', 'NoError'), { pilot: 'C' });
    assert.deepEqual(statusToPilot('Faulted', 'GroundFailure'), { pilot: 'F', fault: 'OCPP GroundFailure' });
    assert.equal(connectorLetter(2), 'B');
    assert.equal(connectorLetter(3), null);
  });

  it('meter values: per-phase Current.Import → the largest phase, energy in Wh or kWh, junk ignored', () => {
    const r = readMeterValues([
      { timestamp: iso(T0 - 10e3), sampledValue: [{ value: '30', measurand: 'Current.Import' }] },
      {
        timestamp: iso(T0),
        sampledValue: [
          { value: '12.5', measurand: 'Current.Import', phase: 'L1', unit: 'A' },
          { value: '13', measurand: 'Current.Import', phase: 'L2' },
          { value: '-4', measurand: 'Current.Import', phase: 'L3' },
          { value: '99', measurand: 'Current.Import', phase: 'N' },
          { value: '1e999', measurand: 'Current.Import' },
          { value: '2.5', measurand: 'Energy.Active.Import.Register', unit: 'kWh' },
          { value: '230', measurand: 'Voltage' },
        ],
      },
    ]);
    assert.deepEqual(r, { at: T0, currentA: 13, phasesA: { L1: 12.5, L2: 13 }, registerWh: 2500 });
    assert.deepEqual(readMeterValues([{ timestamp: iso(T0), sampledValue: [{ value: 'abc' }] }]), { at: T0 });
  });

  it("R-3PH-3 (issue 11): per-phase Current.Import naming L1, L2, L3 (the charger's phases) → phaseCurrentsA in that order; a total or a partial set → none", () => {
    const mv = (samples: { value: string; phase?: 'L1' | 'L2' | 'L3' | 'L1-N' | 'L2-N' | 'L3-N' | 'N' }[]) =>
      readMeterValues([{ timestamp: iso(T0), sampledValue: samples.map((x) => ({ ...x, measurand: 'Current.Import' as const })) }]);
    assert.deepEqual(
      phaseCurrentsOf(
        mv([
          { value: '15.9', phase: 'L1' },
          { value: '0.3', phase: 'L2' },
          { value: '0', phase: 'L3' },
        ]),
      ),
      [15.9, 0.3, 0],
    );
    assert.deepEqual(
      phaseCurrentsOf(
        mv([
          { value: '7', phase: 'L3-N' },
          { value: '8', phase: 'L1-N' },
          { value: '9', phase: 'L2-N' },
        ]),
      ),
      [8, 9, 7],
      'in charger phase order whatever the sample order',
    );
    assert.equal(phaseCurrentsOf(mv([{ value: '16' }])), null, 'a total only');
    assert.equal(
      phaseCurrentsOf(
        mv([
          { value: '16', phase: 'L1' },
          { value: '16', phase: 'L2' },
        ]),
      ),
      null,
      'two phases only: unknown',
    );
    assert.equal(
      phaseCurrentsOf(
        mv([
          { value: '16', phase: 'L1' },
          { value: '16', phase: 'L2' },
          { value: '-3', phase: 'L3' },
        ]),
      ),
      null,
      'a junk phase: unknown',
    );
  });

  it('capability: connectors, SmartCharging, unit A', () => {
    const c = readCapability([
      { key: 'NumberOfConnectors', readonly: true, value: '2' },
      { key: 'SupportedFeatureProfiles', readonly: true, value: 'Core,SmartCharging,RemoteTrigger' },
      { key: 'ChargingScheduleAllowedChargingRateUnit', readonly: true, value: 'Current,Power' },
      { key: 'ConnectorPhaseRotation', readonly: false, value: '0.RST,1.RST,2.RTS' },
    ]);
    assert.deepEqual(c, { connectors: 2, smartCharging: true, currentUnit: true, phaseRotation: '0.RST,1.RST,2.RTS', maxStackLevel: null });
    assert.equal(readCapability([{ key: 'SupportedFeatureProfiles', readonly: true, value: 'Core' }]).smartCharging, false);
    assert.equal(readCapability([{ key: 'ChargingScheduleAllowedChargingRateUnit', readonly: true, value: 'Power' }]).currentUnit, false);
    assert.equal(readCapability(undefined).connectors, null);
    assert.deepEqual(bootConfiguration(120), [
      { key: 'HeartbeatInterval', value: '40' },
      { key: 'MeterValueSampleInterval', value: '10' },
    ]);
  });
});

describe('lib/ocpp station rules (issue 12)', () => {
  const st = require('../../lib/ocpp/station') as typeof import('../../lib/ocpp/station');
  it('device report: pilots, session energy, fault, followsLimits: false only when flagged or not smart-chargeable', () => {
    const s = st.newStation('CP01');
    s.connectors[0] = { ...st.newConnector(), status: 'Charging', currentA: 12.34, transactionId: 5, registerWh: 3500, meterStartWh: 1000 };
    s.connectors[1] = { ...st.newConnector(), status: 'Faulted', errorCode: 'GroundFailure' };
    assert.deepEqual(st.deviceReport(s, 2), {
      plugs: [
        { letter: 'A', pilot: 'C', currentA: 12.3, energyWh: 2500 },
        { letter: 'B', pilot: 'F', currentA: 0, energyWh: 0, fault: 'OCPP GroundFailure' },
      ],
    });
    s.capability = { connectors: 2, smartCharging: false, currentUnit: true, phaseRotation: null, maxStackLevel: null };
    assert.equal(st.deviceReport(s, 1).plugs[0].followsLimits, false);
    assert.equal(st.deviceReport(s, 1).devicePlugs, 2);
  });

  it('R-3PH-3 (issue 11): the device report carries phaseCurrentsA (rounded to 0.1 A) while a vehicle is connected; currentA is then at least their highest', () => {
    const s = st.newStation('CP01');
    s.connectors[0] = { ...st.newConnector(), status: 'Charging', currentA: 15.94, phaseCurrentsA: [15.94, 0.26, 0], transactionId: 5 };
    s.connectors[1] = { ...st.newConnector(), status: 'Available', currentA: 0, phaseCurrentsA: [1, 1, 1] };
    const r = st.deviceReport(s, 2);
    assert.deepEqual(r.plugs[0].phaseCurrentsA, [15.9, 0.3, 0]);
    assert.equal(r.plugs[0].currentA, 15.9);
    assert.equal(r.plugs[1].phaseCurrentsA, undefined, 'no vehicle (pilot A): no per-phase currents');
    s.connectors[0].phaseCurrentsA = null;
    assert.equal('phaseCurrentsA' in st.deviceReport(s, 1).plugs[0], false);
  });

  it('obedience: above the limit beyond the grace → flagged; readings older than the write do not count', () => {
    const c = {
      ...st.newConnector(),
      transactionId: 1,
      written: { limitA: 10, at: T0, fallbackAt: null, transactionId: 1 },
      currentA: 16,
      lastMeterAt: T0 - 1,
    };
    assert.deepEqual(st.checkObedience(c, T0 + 60e3, 7000), { overSince: null, disobedient: false }, 'reading from before the write');
    c.lastMeterAt = T0 + 2e3;
    const a = st.checkObedience(c, T0 + 3e3, 7000);
    assert.deepEqual(a, { overSince: T0 + 2e3, disobedient: false });
    c.overSince = a.overSince;
    assert.equal(st.checkObedience(c, T0 + 9e3, 7000).disobedient, true);
    c.currentA = 10.9; // within the tolerance (1 A)
    assert.deepEqual(st.checkObedience(c, T0 + 20e3, 7000), { overSince: null, disobedient: false });
  });

  it('strikes: a refused profile is retried after a pause; three in a row flag the charger', () => {
    const c = st.newConnector();
    assert.equal(st.strike(c, T0), false);
    assert.equal(c.retryAt, T0 + st.STRIKE_RETRY_MS);
    assert.equal(st.strike(c, T0 + 5e3), false);
    assert.equal(st.strike(c, T0 + 10e3), true);
  });

  it('clock skew from a charger timestamp: ahead positive, behind negative, junk null', () => {
    assert.equal(st.clockSkewS(iso(T0 + 12_340), T0), 12.3);
    assert.equal(st.clockSkewS(iso(T0 - 30_000), T0), -30);
    assert.equal(st.clockSkewS('yesterday', T0), null);
    assert.equal(st.clockSkewS(undefined, T0), null);
  });

  it('stale readings: a charging connector without a meter value for three sample intervals', () => {
    const c = { ...st.newConnector(), status: 'Charging' as const, transactionId: 1, lastMeterAt: T0 };
    assert.equal(st.meterStale(c, T0 + 30e3, 10), false);
    assert.equal(st.meterStale(c, T0 + 30001, 10), true);
    assert.equal(st.meterStale({ ...c, status: 'SuspendedEVSE' }, T0 + 60e3, 10), false);
  });
});
