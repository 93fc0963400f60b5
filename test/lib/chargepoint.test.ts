import { strict as assert } from 'assert';
import fc from 'fast-check';
import type { ChargePointConfig } from '../../lib/shared/types';
import { DEFAULT_OFFLINE, DEFAULT_PLUG_MAX_A, MEASURED_MAX_A, NAME_MAX_LENGTH, NO_PLATE, PLATE_MAX_LENGTH } from '../../lib/shared/params';
import { ROTATIONS } from '../../lib/shared/types';
import {
  applyDeviceReport,
  isOnline,
  markOffline,
  offlineAt,
  offlinePushCommand,
  parsePlateInput,
  setPlate,
  setpointToCommand,
  statusText,
  toPlugMessage,
  validateDeviceReport,
  phaseCurrentsProblem,
} from '../../lib/chargepoint/device';
import {
  configFromEditor,
  configProblems,
  offlineFromEditor,
  rotationLines,
  validateChargePointConfig,
} from '../../lib/chargepoint/config';
import { indexFromName, plugId } from '../../lib/shared/ids';
import { initialChargePointState } from '../../lib/chargepoint/device';
import { validatePlate } from '../../lib/shared/plate';

const offline = { ...DEFAULT_OFFLINE };
const editorCp07 = {
  name: 'CP07',
  index: '',
  address: '192.168.110.34',
  plugCount: '2',
  phaseA: 'L2',
  phaseB: 'L2',
  priorityA: true,
  priorityB: false,
  maxCurrentA: '32',
  maxCurrentB: '16',
  enabled: true,
};
function cp07(): ChargePointConfig {
  const r = configFromEditor(editorCp07, offline);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.ok ? r.config : (null as never);
}
function single(overrides: Record<string, unknown> = {}): ChargePointConfig {
  const r = configFromEditor({ ...editorCp07, name: 'CP02', plugCount: 1, ...overrides }, offline);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.ok ? r.config : (null as never);
}

describe('lib/chargepoint — charge point configuration, device interface, plates, heartbeat', () => {
  describe('R-CP-2 plug ids', () => {
    it('CP01 A=1 B=2 … CP15 A=29 B=30, and the numbering continues past 15', () => {
      assert.equal(plugId(1, 'A'), 1);
      assert.equal(plugId(1, 'B'), 2);
      assert.equal(plugId(15, 'A'), 29);
      assert.equal(plugId(15, 'B'), 30);
      assert.equal(plugId(16, 'A'), 31);
      assert.equal(plugId(250, 'B'), 500);
    });
    it('property: ids of different plugs never collide', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 100000 }),
          fc.integer({ min: 1, max: 100000 }),
          fc.constantFrom('A' as const, 'B' as const),
          fc.constantFrom('A' as const, 'B' as const),
          (k1, k2, l1, l2) => {
            if (k1 !== k2 || l1 !== l2) assert.notEqual(plugId(k1, l1), plugId(k2, l2));
          },
        ),
      );
    });
    it('the index comes from the name when not given: "CP07" → 7, "Garage 12" → 12, "CPx" → none', () => {
      assert.equal(indexFromName('CP07'), 7);
      assert.equal(indexFromName('Garage 12'), 12);
      assert.equal(indexFromName('CPx'), null);
      assert.equal(indexFromName('CP00'), null);
      assert.equal(cp07().index, 7);
      assert.equal(single({ index: '40' }).index, 40);
      assert.equal(single({ index: 3 }).index, 3);
    });
  });

  describe('R-CP-1/R-CP-3 configuration', () => {
    it('builds the configuration from the editor fields', () => {
      const c = cp07();
      assert.deepEqual(c, {
        name: 'CP07',
        index: 7,
        address: '192.168.110.34',
        enabled: true,
        offline,
        plugs: [
          { letter: 'A', phase: 'L2', priority: true, maxCurrentA: 32, phases: 1 },
          { letter: 'B', phase: 'L2', priority: false, maxCurrentA: 16, phases: 1 },
        ],
        // Issue 11 defaults (R-3PH-1, R-CIRC-1): rotation RST, the site's main board.
        rotation: 'RST',
        board: 'site',
      });
      assert.deepEqual(validateChargePointConfig(c), []);
    });
    it('single-plug charge points have plug A only; empty max current takes the default', () => {
      const c = single({ maxCurrentA: '' });
      assert.equal(c.plugs.length, 1);
      assert.equal(c.plugs[0].maxCurrentA, DEFAULT_PLUG_MAX_A);
    });
    it('phase "—" (empty) means not set: valid, but an enabled charge point then has a problem (ERR_CFG)', () => {
      const c = single({ phaseA: '' });
      assert.equal(c.plugs[0].phase, null);
      assert.deepEqual(configProblems(c), ['plug A: phase not set']);
      assert.deepEqual(configProblems(single({ phaseA: '', enabled: false })), []);
    });
    it('refuses every bad field with a clear error', () => {
      const bad: [Record<string, unknown>, RegExp][] = [
        [{ name: '' }, /name/],
        [{ name: '   ' }, /name/],
        [{ name: 42 }, /name/],
        [{ name: 'CP\u000701' }, /control/],
        [{ name: 'x'.repeat(65) }, /name/],
        [{ name: 'Garage', index: '' }, /index/],
        [{ index: '0' }, /index/],
        [{ index: '-1' }, /index/],
        [{ index: '1.5' }, /index/],
        [{ index: 'seven' }, /index/],
        [{ index: 1e9 }, /index/],
        [{ address: 5 }, /address/],
        [{ address: 'a\nb' }, /address/],
        [{ plugCount: 3 }, /1 or 2/],
        [{ plugCount: 0 }, /1 or 2/],
        [{ plugCount: 'two' }, /1 or 2/],
        [{ phaseA: 'L4' }, /phase/],
        [{ phaseB: 'l1' }, /phase/],
        [{ maxCurrentA: '5' }, /max current/],
        [{ maxCurrentA: '81' }, /max current/],
        [{ maxCurrentB: 'NaN' }, /max current/],
        [{ maxCurrentA: -16 }, /max current/],
        [{ maxCurrentA: 'abc' }, /max current/],
        [{ enabled: 'yes' }, /enabled/],
        [{ enabled: undefined }, /enabled/],
      ];
      for (const [change, re] of bad) {
        const r = configFromEditor({ ...editorCp07, ...change }, offline);
        assert.equal(r.ok, false, JSON.stringify(change));
        assert.ok(!r.ok && r.errors.some((e) => re.test(e)), `${JSON.stringify(change)}: ${!r.ok && r.errors.join('; ')}`);
      }
      const r = configFromEditor(editorCp07, { heartbeatS: 5, mode: 3, currentA: 8 });
      assert.ok(!r.ok && r.errors.some((e) => /heartbeat/.test(e)));
    });
    it('validateChargePointConfig refuses non-objects and malformed plug lists', () => {
      for (const b of [
        null,
        'CP01',
        [],
        { ...cp07(), plugs: [] },
        { ...cp07(), plugs: [null] },
        { ...cp07(), plugs: [cp07().plugs[1]] },
        { ...cp07(), plugs: [...cp07().plugs, cp07().plugs[0]] },
        { ...cp07(), offline: null },
        { ...cp07(), plugs: [{ ...cp07().plugs[0], priority: 'no' }] },
      ]) {
        assert.ok(validateChargePointConfig(b).length > 0, JSON.stringify(b));
      }
    });
    it('R-OFF-1 offline-mode-config fields: defaults when empty, numeric text accepted, ranges enforced', () => {
      assert.deepEqual(offlineFromEditor({}), { ok: true, config: DEFAULT_OFFLINE });
      assert.deepEqual(offlineFromEditor({ heartbeatS: '60', mode: '1', currentA: '10' }), {
        ok: true,
        config: { heartbeatS: 60, mode: 1, currentA: 10 },
      });
      for (const b of [
        { heartbeatS: 9 },
        { heartbeatS: 3601 },
        { mode: 4 },
        { mode: '1.5' },
        { mode: -1 },
        { currentA: 5 },
        { currentA: 81 },
        { currentA: 'x' },
        { heartbeatS: 'NaN' },
      ]) {
        assert.equal(offlineFromEditor(b).ok, false, JSON.stringify(b));
      }
    });
  });

  describe('R-CP-6 plates', () => {
    it('trims, accepts "-" for none, keeps the text as given (no interpretation)', () => {
      assert.deepEqual(validatePlate('  AE-1111-FF '), { ok: true, plate: 'AE-1111-FF' });
      assert.deepEqual(validatePlate(NO_PLATE), { ok: true, plate: '-' });
      assert.deepEqual(validatePlate('<script>alert(1)</script>'), { ok: true, plate: '<script>alert(1)</script>' });
      assert.deepEqual(validatePlate('${process.exit()}'), { ok: true, plate: '${process.exit()}' });
      assert.deepEqual(validatePlate('x'.repeat(PLATE_MAX_LENGTH)), { ok: true, plate: 'x'.repeat(PLATE_MAX_LENGTH) });
    });
    it('never empty, never too long, no control characters, only text', () => {
      for (const b of [
        '',
        '   ',
        'x'.repeat(PLATE_MAX_LENGTH + 1),
        'AB\n12',
        'AB\u0000',
        'A\u2028B',
        'A\u0085B',
        12,
        null,
        undefined,
        ['A'],
        { plate: 'A' },
      ]) {
        const r = validatePlate(b);
        assert.equal(r.ok, false, JSON.stringify(b));
      }
    });
    it('a plate input names an existing plug', () => {
      const c = single();
      assert.deepEqual(parsePlateInput(c, { letter: 'A', plate: 'M-1234' }), { ok: true, letter: 'A', plate: 'M-1234' });
      for (const b of [
        { letter: 'B', plate: 'X' },
        { letter: 'C', plate: 'X' },
        { letter: 'a', plate: 'X' },
        { plate: 'X' },
        { letter: 'A' },
        { letter: 'A', plate: '' },
        null,
        'A',
        [{ letter: 'A', plate: 'X' }],
      ]) {
        assert.equal(parsePlateInput(c, b).ok, false, JSON.stringify(b));
      }
    });
    it('restored plates are re-validated; missing or broken ones become "-"', () => {
      const s = initialChargePointState(cp07(), { A: 'AE-1111-FF', B: '' });
      assert.deepEqual(s.plates, { A: 'AE-1111-FF', B: '-' });
      assert.deepEqual(initialChargePointState(cp07(), 'junk').plates, { A: '-', B: '-' });
      assert.deepEqual(initialChargePointState(single(), { A: 'X', B: 'Y' }).plates, { A: 'X' });
    });
  });

  describe('R-OFF-3 heartbeat', () => {
    it('online while the last report is no older than the heartbeat; never before a first report', () => {
      assert.equal(isOnline(null, 120, 0), false);
      assert.equal(isOnline(1000, 120, 1000 + 120_000), true);
      assert.equal(isOnline(1000, 120, 1000 + 120_001), false);
      assert.equal(offlineAt(1000, 120), 121_001);
      assert.equal(offlineAt(null, 120), null);
    });
    it('property: isOnline turns false exactly at offlineAt', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 2 ** 42 }), fc.integer({ min: 10, max: 3600 }), (last, hb) => {
          const at = offlineAt(last, hb)!;
          assert.equal(isOnline(last, hb, at - 1), true);
          assert.equal(isOnline(last, hb, at), false);
        }),
      );
    });
  });

  describe('device reports → plug messages', () => {
    it('start: offline, pilot A, no current, plates "-"', () => {
      const c = cp07();
      const m = toPlugMessage(c, initialChargePointState(c), 5);
      assert.equal(m.online, false);
      assert.equal(m.chargePoint, 'CP07');
      assert.deepEqual(
        m.plugs.map((p) => [p.id, p.pilot, p.measuredA, p.plate, p.phase, p.priority, p.maxCurrentA]),
        [
          [13, 'A', 0, '-', 'L2', true, 32],
          [14, 'A', 0, '-', 'L2', false, 16],
        ],
      );
      assert.deepEqual(m.offline, DEFAULT_OFFLINE);
      assert.equal(m.timestamp, 5);
      assert.equal('devicePlugs' in m, false);
    });
    it('issue 9 item 8: reported is false only before the first device report (the start-up announcement); a later silence says reported: true', () => {
      const c = cp07();
      const s0 = initialChargePointState(c);
      assert.equal(toPlugMessage(c, s0, 5).reported, false);
      const s1 = applyDeviceReport(s0, { plugs: [{ letter: 'A', pilot: 'C', currentA: 10 }] }, 1000).state;
      assert.equal(toPlugMessage(c, s1, 1000).reported, true);
      const lost = toPlugMessage(c, markOffline(s1), 200_000);
      assert.deepEqual([lost.online, lost.reported], [false, true], 'a genuine outage');
    });
    it('a report updates the plugs it names, sets online, and says "reconnected" only on the first report after offline', () => {
      const c = cp07();
      const s0 = initialChargePointState(c);
      const r1 = applyDeviceReport(s0, { plugs: [{ letter: 'A', pilot: 'C', currentA: 15.7, energyWh: 1200 }], devicePlugs: 2 }, 1000);
      assert.equal(r1.reconnected, true);
      assert.equal(s0.online, false, 'input state not modified');
      const m = toPlugMessage(c, r1.state, 1000);
      assert.equal(m.online, true);
      assert.equal(m.devicePlugs, 2);
      assert.deepEqual([m.plugs[0].pilot, m.plugs[0].measuredA, m.plugs[0].energyWh], ['C', 15.7, 1200]);
      assert.deepEqual([m.plugs[1].pilot, m.plugs[1].measuredA], ['A', 0]);
      const r2 = applyDeviceReport(r1.state, { plugs: [{ letter: 'B', pilot: 'E', currentA: 0, fault: ' RCD trip ' }] }, 2000);
      assert.equal(r2.reconnected, false);
      const m2 = toPlugMessage(c, r2.state, 2000);
      assert.equal(m2.plugs[0].measuredA, 15.7);
      assert.equal(m2.plugs[1].fault, 'RCD trip');
      assert.equal(m2.devicePlugs, 2);
      const r3 = applyDeviceReport(markOffline(r2.state), { plugs: [{ letter: 'A', pilot: 'C', currentA: 8 }] }, 500_000);
      assert.equal(r3.reconnected, true);
      assert.equal(toPlugMessage(c, r3.state, 0).plugs[0].energyWh, 1200, 'energy kept when the device does not report it');
      const r4 = applyDeviceReport(r3.state, { plugs: [{ letter: 'A', pilot: 'A', currentA: 0 }] }, 500_001);
      assert.equal(toPlugMessage(c, r4.state, 0).plugs[0].energyWh, 0, 'unplugged: a new session starts at 0 Wh');
    });
    it('plates travel in the plug message', () => {
      const c = cp07();
      const s = setPlate(initialChargePointState(c), 'B', 'RR-0000-FE');
      assert.deepEqual(
        toPlugMessage(c, s, 0).plugs.map((p) => p.plate),
        ['-', 'RR-0000-FE'],
      );
    });
    it('valid reports pass; unknown extra fields are ignored', () => {
      const c = cp07();
      assert.deepEqual(validateDeviceReport(c, { plugs: [{ letter: 'A', pilot: 'D', currentA: 0, vendor: 'x' }], firmware: '1.2' }), []);
      assert.deepEqual(
        validateDeviceReport(c, { plugs: [{ letter: 'A', pilot: 'B', currentA: 80, energyWh: 0, fault: '' }], devicePlugs: 1 }),
        [],
      );
    });
    it('refuses bad reports: wrong types, missing fields, unknown plugs, NaN, negative or absurd currents, strings, arrays, null', () => {
      const c = single();
      const ok = { letter: 'A', pilot: 'C', currentA: 16 };
      const bad: unknown[] = [
        null,
        undefined,
        'report',
        42,
        [],
        [ok],
        {},
        { plugs: [] },
        { plugs: 'A' },
        { plugs: null },
        { plugs: [null] },
        { plugs: [[]] },
        { plugs: [{ ...ok, letter: 'B' }] },
        { plugs: [{ ...ok, letter: 'C' }] },
        { plugs: [{ ...ok, letter: undefined }] },
        { plugs: [{ ...ok, pilot: 'G' }] },
        { plugs: [{ ...ok, pilot: 'c' }] },
        { plugs: [{ letter: 'A', currentA: 1 }] },
        { plugs: [{ ...ok, currentA: NaN }] },
        { plugs: [{ ...ok, currentA: -1 }] },
        { plugs: [{ ...ok, currentA: 1e6 }] },
        { plugs: [{ ...ok, currentA: Infinity }] },
        { plugs: [{ ...ok, currentA: '16' }] },
        { plugs: [{ letter: 'A', pilot: 'C' }] },
        { plugs: [{ ...ok, energyWh: -5 }] },
        { plugs: [{ ...ok, energyWh: 'lots' }] },
        { plugs: [{ ...ok, fault: 7 }] },
        { plugs: [{ ...ok, fault: 'x'.repeat(201) }] },
        { plugs: [{ ...ok, fault: 'bad\u0000' }] },
        { plugs: [ok, ok] },
        { plugs: [ok], devicePlugs: 0 },
        { plugs: [ok], devicePlugs: 2.5 },
        { plugs: [ok], devicePlugs: '2' },
      ];
      for (const b of bad) assert.ok(validateDeviceReport(c, b).length > 0, JSON.stringify(b));
    });
  });

  describe('R-OFF-2 setpoints → device commands', () => {
    const sp = (plugs: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      chargePoint: 'CP07',
      plugs,
      offline: DEFAULT_OFFLINE,
      timestamp: 1,
      ...extra,
    });
    it("per-plug currents and this charge point's offline configuration", () => {
      const c = { ...cp07(), offline: { heartbeatS: 60, mode: 2 as const, currentA: 10 } };
      const r = setpointToCommand(c, sp({ A: 16, B: 0 }), 99);
      assert.deepEqual(r, {
        kind: 'command',
        command: {
          chargePoint: 'CP07',
          address: '192.168.110.34',
          plugs: { A: 16, B: 0 },
          offline: { heartbeatS: 60, mode: 2, currentA: 10 },
          timestamp: 99,
        },
      });
    });
    it('a setpoint for another charge point is ignored (one balancer output feeds all charge points)', () => {
      assert.deepEqual(setpointToCommand(cp07(), sp({ A: 16 }, { chargePoint: 'CP08' }), 0), { kind: 'ignored' });
    });
    it('R-CP-3: a disabled charge point is commanded 0 A whatever the setpoint says', () => {
      const r = setpointToCommand({ ...cp07(), enabled: false }, sp({ A: 16, B: 10 }), 0);
      assert.ok(r.kind === 'command');
      assert.deepEqual(r.kind === 'command' && r.command.plugs, { A: 0, B: 0 });
    });
    it('refuses currents between 0 and 6 A, above the plug maximum, negative, NaN, text, and unknown plugs', () => {
      const c = cp07(); // A max 32, B max 16
      const bad: unknown[] = [
        null,
        'setpoint',
        [],
        5,
        {},
        { plugs: { A: 8 } },
        { chargePoint: 7, plugs: { A: 8 } },
        sp({ A: 3 }),
        sp({ A: 33 }),
        sp({ B: 17 }),
        sp({ A: -8 }),
        sp({ A: NaN }),
        sp({ A: Infinity }),
        sp({ A: '16' }),
        sp({ A: null }),
        sp({ A: [16] }),
        sp({ C: 8 }),
        sp({ a: 8 }),
        sp(null as never),
        { chargePoint: 'CP07', plugs: [16] },
        sp({ A: 8 }, { offline: { heartbeatS: 1, mode: 3, currentA: 8 } }),
        sp({ A: 8 }, { offline: 'none' }),
      ];
      for (const b of bad) assert.equal(setpointToCommand(c, b, 0).kind, 'error', JSON.stringify(b));
      assert.equal(setpointToCommand(single(), sp({ B: 8 }, { chargePoint: 'CP02' }), 0).kind, 'error');
    });
    it('the offline push command carries no currents', () => {
      assert.deepEqual(offlinePushCommand(cp07(), 3).plugs, {});
      assert.deepEqual(offlinePushCommand(cp07(), 3).offline, DEFAULT_OFFLINE);
    });
  });

  describe('status text', () => {
    it('"A 16 A · B paused", "disabled", "OFFLINE", "waiting for device", ERR_CFG', () => {
      const c = cp07();
      let s = initialChargePointState(c);
      assert.equal(statusText(c, s, {}), 'waiting for device');
      s = applyDeviceReport(
        s,
        {
          plugs: [
            { letter: 'A', pilot: 'C', currentA: 16 },
            { letter: 'B', pilot: 'B', currentA: 0 },
          ],
        },
        0,
      ).state;
      assert.equal(statusText(c, s, { A: 16, B: 0 }), 'A 16 A · B paused');
      assert.equal(statusText({ ...c, enabled: false }, s, {}), 'disabled');
      assert.equal(statusText(c, markOffline(s), {}), 'OFFLINE');
      assert.match(statusText(single({ phaseA: '' }), s, {}), /^ERR_CFG/);
    });
  });

  describe('issue 11: rotation, board, phases per plug, per-phase currents (R-3PH-1..3, R-CIRC-1, R-ERR-1)', () => {
    const three = (o: Record<string, unknown> = {}) => {
      const r = configFromEditor({ ...editorCp07, rotation: 'STR', phasesA: '3', phaseA: 'L1', board: 'B-east', ...o }, offline);
      assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
      return r.ok ? r.config : (null as never);
    };

    it('R-3PH-1: every OCPP rotation maps charger phases 1, 2, 3 to its lines (R = L1, S = L2, T = L3)', () => {
      const want: Record<string, string> = {
        RST: 'L1 L2 L3',
        RTS: 'L1 L3 L2',
        SRT: 'L2 L1 L3',
        STR: 'L2 L3 L1',
        TRS: 'L3 L1 L2',
        TSR: 'L3 L2 L1',
      };
      assert.deepEqual([...ROTATIONS].sort(), Object.keys(want).sort());
      for (const r of ROTATIONS) assert.equal(rotationLines(r).join(' '), want[r], r);
    });

    it('R-3PH-1: defaults are RST, the site and single-phase plugs (older flows keep working); text "3", lower-case rotation and "Site" are read', () => {
      const c = cp07();
      assert.equal(c.rotation, 'RST');
      assert.equal(c.board, 'site');
      assert.deepEqual(
        c.plugs.map((p) => p.phases),
        [1, 1],
      );
      const d = three({ rotation: 'str', board: '  Site ', phasesB: 1 });
      assert.equal(d.rotation, 'STR');
      assert.equal(d.board, 'site');
      assert.deepEqual(
        d.plugs.map((p) => [p.phases, p.phase]),
        [
          [3, 'L2'],
          [1, 'L2'],
        ],
      );
      assert.deepEqual(validateChargePointConfig(d), []);
    });

    it('R-3PH-1: a three-phase plug takes its phase from the rotation (the line of charger phase 1), whatever its phase field says; single-phase plugs keep theirs', () => {
      for (const rotation of ROTATIONS) {
        for (const phaseA of ['', 'L1', 'L2', 'L3']) {
          const c = three({ rotation, phaseA, phaseB: 'L3' });
          assert.equal(c.plugs[0].phases, 3);
          assert.equal(c.plugs[0].phase, rotationLines(rotation)[0], `${rotation} ${phaseA}`);
          assert.equal(c.plugs[1].phase, 'L3', 'plug B single-phase keeps L3');
          assert.deepEqual(configProblems(c), [], 'a three-phase plug never lacks a phase');
        }
      }
      assert.equal(three({ board: ' B-east ' }).board, 'B-east');
    });

    it('R-ERR-1: a rotation that does not parse, phases other than 1/3 and a bad board are refused with clear errors', () => {
      const bad: [Record<string, unknown>, RegExp][] = [
        [{ rotation: 'XYZ' }, /rotation must be one of RST, RTS, SRT, STR, TRS, TSR/],
        [{ rotation: 'RRS' }, /rotation must be one of/],
        [{ rotation: 'L1L2L3' }, /rotation must be one of/],
        [{ rotation: 5 }, /rotation must be one of/],
        [{ rotation: ['R', 'S', 'T'] }, /rotation must be one of/],
        [{ phasesA: 2 }, /plug A phases must be 1 \(single-phase\) or 3 \(three-phase\)/],
        [{ phasesA: '2' }, /plug A phases must be 1/],
        [{ phasesB: 'three' }, /plug B phases must be 1/],
        [{ phasesB: 0 }, /plug B phases must be 1/],
        [{ board: 'x'.repeat(NAME_MAX_LENGTH + 1) }, /board must be "site" or a board's name/],
        [{ board: 42 }, /board must be/],
        [{ board: 'B\u0007east' }, /board must not contain control characters/],
      ];
      for (const [change, re] of bad) {
        const r = configFromEditor({ ...editorCp07, ...change }, offline);
        assert.equal(r.ok, false, JSON.stringify(change));
        assert.ok(!r.ok && r.errors.some((e) => re.test(e)), `${JSON.stringify(change)}: ${!r.ok && r.errors.join('; ')}`);
        assert.ok(!r.ok && r.errors.every((e) => e.length <= 200));
      }
      assert.ok(configFromEditor({ ...editorCp07, board: 'x'.repeat(NAME_MAX_LENGTH) }, offline).ok);
    });

    it("validateChargePointConfig: a three-phase plug whose phase is not the rotation's first line, an unknown rotation or phases 2 are refused", () => {
      const c = three();
      assert.match(
        validateChargePointConfig({ ...c, plugs: [{ ...c.plugs[0], phase: 'L1' }, c.plugs[1]] }).join(';'),
        /plug A is three-phase: its phase must be L2/,
      );
      assert.match(validateChargePointConfig({ ...c, rotation: 'XYZ' }).join(';'), /rotation must be one of/);
      assert.match(validateChargePointConfig({ ...c, rotation: 'str' }).join(';'), /rotation must be one of/);
      assert.match(validateChargePointConfig({ ...c, plugs: [{ ...c.plugs[0], phases: 2 }, c.plugs[1]] }).join(';'), /phases must be 1/);
      const { rotation: _r, board: _b, ...older } = cp07();
      assert.deepEqual(validateChargePointConfig(older), [], 'a configuration without rotation and board (before issue 11) is valid');
    });

    it('R-3PH-3: a device report may carry phaseCurrentsA [p1, p2, p3] (charger phase order); the plug message passes it on with phases, rotation and board', () => {
      const c = three();
      assert.deepEqual(
        validateDeviceReport(c, { plugs: [{ letter: 'A', pilot: 'C', currentA: 16, phaseCurrentsA: [16, 15.5, 0.3] }] }),
        [],
      );
      const s = applyDeviceReport(
        initialChargePointState(c),
        { plugs: [{ letter: 'A', pilot: 'C', currentA: 16, phaseCurrentsA: [16, 15.5, 0.3] }] },
        1000,
      ).state;
      const m = toPlugMessage(c, s, 1000);
      assert.equal(m.rotation, 'STR');
      assert.equal(m.board, 'B-east');
      assert.deepEqual(
        m.plugs.map((p) => [p.phases, p.phase, p.measuredA, p.phaseCurrentsA]),
        [
          [3, 'L2', 16, [16, 15.5, 0.3]],
          [1, 'L2', 0, undefined],
        ],
      );
      assert.equal('phaseCurrentsA' in m.plugs[1], false, 'absent when not reported');
    });

    it('R-3PH-3: with phaseCurrentsA alone, measuredA is the highest phase; with both, the higher of currentA and the phases; a later report without it clears it', () => {
      const c = three();
      assert.deepEqual(validateDeviceReport(c, { plugs: [{ letter: 'A', pilot: 'C', phaseCurrentsA: [7, 15.9, 0] }] }), []);
      let s = applyDeviceReport(
        initialChargePointState(c),
        { plugs: [{ letter: 'A', pilot: 'C', phaseCurrentsA: [7, 15.9, 0] } as never] },
        1,
      ).state;
      assert.equal(toPlugMessage(c, s, 1).plugs[0].measuredA, 15.9);
      s = applyDeviceReport(s, { plugs: [{ letter: 'A', pilot: 'C', currentA: 10, phaseCurrentsA: [12, 0, 0] }] }, 2).state;
      assert.equal(toPlugMessage(c, s, 2).plugs[0].measuredA, 12);
      s = applyDeviceReport(s, { plugs: [{ letter: 'A', pilot: 'C', currentA: 10 }] }, 3).state;
      assert.equal(toPlugMessage(c, s, 3).plugs[0].measuredA, 10);
      assert.equal(toPlugMessage(c, s, 3).plugs[0].phaseCurrentsA, undefined, 'no longer reported per phase: unknown');
      // The message's array is a copy: changing it does not change the node's state.
      const m = toPlugMessage(
        c,
        applyDeviceReport(s, { plugs: [{ letter: 'A', pilot: 'C', currentA: 1, phaseCurrentsA: [1, 1, 1] }] }, 4).state,
        4,
      );
      m.plugs[0].phaseCurrentsA![0] = 99;
      assert.notEqual(
        toPlugMessage(c, applyDeviceReport(s, { plugs: [{ letter: 'A', pilot: 'C', currentA: 1, phaseCurrentsA: [1, 1, 1] }] }, 4).state, 4)
          .plugs[0].phaseCurrentsA![0],
        99,
      );
    });

    it('R-ERR-1: phaseCurrentsA out of range or malformed is refused with an error naming the field and the phase; the text never echoes the input', () => {
      const c = three();
      const bad: [unknown, RegExp][] = [
        [[MEASURED_MAX_A + 0.1, 0, 0], /phaseCurrentsA phase 1 must be a number 0\.\.80 A/],
        [[0, -1, 0], /phase 2 must be a number/],
        [[0, 0, NaN], /phase 3 must be a number/],
        [[0, 0, Infinity], /phase 3/],
        [[1, '2', 3], /phase 2 must be a number/],
        [[1, 2], /must be a list of 3 numbers/],
        [[1, 2, 3, 4], /must be a list of 3 numbers/],
        ['16,16,16', /must be a list of 3 numbers/],
        [{ 0: 1, 1: 2, 2: 3 }, /must be a list of 3 numbers/],
        [null, /must be a list of 3 numbers/],
        [['<script>SECRETSECRETSECRETSECRET</script>', 0, 0], /phase 1 must be a number/],
      ];
      for (const [v, re] of bad) {
        const e = validateDeviceReport(c, { plugs: [{ letter: 'A', pilot: 'C', currentA: 10, phaseCurrentsA: v }] });
        assert.ok(
          e.some((x) => re.test(x)),
          `${JSON.stringify(v)}: ${e.join('; ')}`,
        );
        assert.ok(e.every((x) => !x.includes('SECRET') && x.length <= 200));
        assert.equal(phaseCurrentsProblem(v) !== null, true);
      }
      assert.equal(phaseCurrentsProblem([0, MEASURED_MAX_A, 0]), null);
      // Without phaseCurrentsA, currentA is still required.
      assert.match(validateDeviceReport(c, { plugs: [{ letter: 'A', pilot: 'C' }] }).join(';'), /currentA must be a number/);
      assert.match(
        validateDeviceReport(c, { plugs: [{ letter: 'A', pilot: 'C', currentA: 'x', phaseCurrentsA: [1, 1, 1] }] }).join(';'),
        /currentA must be a number 0\.\.80 A \(or left out with phaseCurrentsA\)/,
      );
    });

    it('property: a valid report with phaseCurrentsA always gives measuredA = max(currentA, phases) and passes the triple on unchanged', () => {
      const c = three();
      const amp = fc.double({ min: 0, max: MEASURED_MAX_A, noNaN: true });
      fc.assert(
        fc.property(fc.tuple(amp, amp, amp), fc.option(amp, { nil: undefined }), (t, cur) => {
          const plug: Record<string, unknown> = { letter: 'A', pilot: 'C', phaseCurrentsA: t };
          if (cur !== undefined) plug.currentA = cur;
          assert.deepEqual(validateDeviceReport(c, { plugs: [plug] }), []);
          const s = applyDeviceReport(initialChargePointState(c), { plugs: [plug as never] }, 0).state;
          const p = toPlugMessage(c, s, 0).plugs[0];
          assert.equal(p.measuredA, Math.max(cur ?? 0, ...t));
          assert.deepEqual(p.phaseCurrentsA, t);
        }),
        { numRuns: 300 },
      );
    });
  });
});
