import { strict as assert } from 'assert';
import fc from 'fast-check';
import {
  CVM_MINI_MAP,
  CVM_QUANTITY,
  CVM_REQUEST,
  buildRequest,
  checkModbusRequest,
  decodeRegisters,
  encodeRegisters,
  extractRegisters,
  int32,
  modbusErrorText,
  offlineMeter,
  parseReaderConfig,
  words,
  type CvmReading,
} from '../../lib/cvm-mini/cvm-mini';
import { METER_DEFAULTS, SANITY } from '../../lib/shared/params';

const NOW = 1_700_000_000_000;

/** 42 zero registers with the pairs given as {address: signed 32-bit value}. */
function regsWith(values: Record<number, number>): number[] {
  const r = new Array(CVM_QUANTITY).fill(0);
  for (const [a, v] of Object.entries(values)) {
    const [hi, lo] = words(v);
    r[Number(a)] = hi;
    r[Number(a) + 1] = lo;
  }
  return r;
}

function decodeOk(regs: number[] | Buffer) {
  const r = decodeRegisters(regs, NOW);
  if (!r.ok) throw new Error('expected a valid reading, got: ' + r.error);
  return r.meter;
}

function decodeErr(regs: unknown, now = NOW): string {
  const r = decodeRegisters(regs as number[], now);
  assert.equal(r.ok, false, 'expected a rejection');
  return (r as { error: string }).error;
}

const sample: CvmReading = {
  voltageV: [230.1, 229.5, 231.2],
  currentA: [12.345, 0.5, 63],
  powerW: [2700, -115, 14000],
  reactivePowerVar: [300, -20, 1500],
  powerFactor: [0.95, -0.99, 0.97],
  totalPowerW: 16585,
  frequencyHz: 49.9,
};

describe('lib/cvm-mini — CVM-MINI register map and decoding (R-MTR-1)', () => {
  it("R-MTR-1: the manual's frame example, reply 0000 084D, is 212.5 V on L1", () => {
    const regs = new Array(CVM_QUANTITY).fill(0);
    regs[0x00] = 0x0000;
    regs[0x01] = 0x084d;
    assert.equal(decodeOk(regs).voltageV![0], 212.5);
  });

  it("R-MTR-1: the map holds the manual's 15 per-phase variables at the manual's addresses, plus 0x1E and 0x28 from sibling meters", () => {
    const addr = (q: string, p: number | null) => CVM_MINI_MAP.find((r) => r.quantity === q && r.phase === p)!.address;
    assert.deepEqual(
      [0, 1, 2].map((p) => addr('voltage', p)),
      [0x00, 0x0a, 0x14],
    );
    assert.deepEqual(
      [0, 1, 2].map((p) => addr('current', p)),
      [0x02, 0x0c, 0x16],
    );
    assert.deepEqual(
      [0, 1, 2].map((p) => addr('activePower', p)),
      [0x04, 0x0e, 0x18],
    );
    assert.deepEqual(
      [0, 1, 2].map((p) => addr('reactivePower', p)),
      [0x06, 0x10, 0x1a],
    );
    assert.deepEqual(
      [0, 1, 2].map((p) => addr('powerFactor', p)),
      [0x08, 0x12, 0x1c],
    );
    assert.equal(addr('totalActivePower', null), 0x1e);
    assert.equal(addr('frequency', null), 0x28);
    assert.equal(CVM_MINI_MAP.filter((r) => r.source.startsWith('CVM-MINI manual')).length, 15);
    assert.ok(CVM_MINI_MAP.filter((r) => r.phase === null).every((r) => r.source.startsWith('sibling')));
    // The request covers every pair, 0x00..0x29.
    assert.equal(CVM_QUANTITY, 42);
    assert.ok(CVM_MINI_MAP.every((r) => r.address + 1 < CVM_QUANTITY));
  });

  it('R-MTR-1: every register decodes to its own field with its own scale', () => {
    const values: Record<number, number> = {};
    CVM_MINI_MAP.forEach((r, k) => {
      values[r.address] = 10 + k;
    }); // distinct small raw values
    values[0x28] = 500; // 50.0 Hz, in the plausible band
    const m = decodeOk(regsWith(values));
    for (let p = 0; p < 3; p++) {
      const base = p * 0x0a;
      assert.equal(m.voltageV![p], values[base] / 10);
      assert.equal(m.currentA![p], values[base + 2] / 1000);
      assert.equal(m.powerW![p], values[base + 4]);
      assert.equal(m.reactivePowerVar![p], values[base + 6]);
      assert.equal(m.powerFactor![p], values[base + 8] / 100);
    }
    assert.equal(m.totalPowerW, values[0x1e]);
    assert.equal(m.frequencyHz, 50);
    assert.equal(m.online, true);
    assert.equal(m.timestamp, NOW);
  });

  it('R-MTR-1: high word first; a current of 70000 mA (0x0001 0x1170) is 70 A, not 4465.7 A', () => {
    const regs = new Array(CVM_QUANTITY).fill(0);
    regs[0x02] = 0x0001;
    regs[0x03] = 0x1170;
    assert.equal(decodeOk(regs).currentA![0], 70);
    assert.equal(int32(0x0001, 0x1170), 70000);
  });

  it('R-MTR-1: values are signed 32-bit: FFFF FF8D is −115 W (export), PF FFFF FF9D is −0.99', () => {
    const regs = new Array(CVM_QUANTITY).fill(0);
    regs[0x0e] = 0xffff;
    regs[0x0f] = 0xff8d;
    regs[0x12] = 0xffff;
    regs[0x13] = 0xff9d;
    const m = decodeOk(regs);
    assert.equal(m.powerW![1], -115);
    assert.equal(m.powerFactor![1], -0.99);
    assert.equal(int32(0x8000, 0), -2147483648);
    assert.equal(int32(0x7fff, 0xffff), 2147483647);
  });

  it('R-MTR-1: registers given as signed 16-bit (−1 = 0xFFFF) decode like unsigned ones', () => {
    const unsigned = regsWith({ 0x04: -115 });
    const signed = unsigned.map((w) => (w > 0x7fff ? w - 0x10000 : w));
    assert.deepEqual(decodeOk(signed), decodeOk(unsigned));
  });

  it('R-MTR-1: the raw 84-byte reply (Buffer) decodes like the register array', () => {
    const regs = encodeRegisters(sample);
    const buf = Buffer.alloc(84);
    regs.forEach((w, i) => buf.writeUInt16BE(w, i * 2));
    assert.deepEqual(decodeOk(buf), decodeOk(regs));
  });

  it('R-MTR-1: encode → decode gives back any plausible reading at the map resolution (property)', () => {
    const phase = fc.tuple(
      fc.integer({ min: 0, max: SANITY.maxVoltageV * 10 }),
      fc.integer({ min: 0, max: SANITY.maxCurrentA * 1000 }),
      fc.integer({ min: -1_000_000, max: 1_000_000 }),
      fc.integer({ min: -1_000_000, max: 1_000_000 }),
      fc.integer({ min: -100, max: 100 }),
    );
    fc.assert(
      fc.property(
        fc.tuple(phase, phase, phase),
        fc.integer({ min: -3_000_000, max: 3_000_000 }),
        fc.integer({ min: 400, max: 700 }),
        (ph, total, f10) => {
          const reading: CvmReading = {
            voltageV: ph.map((x) => x[0] / 10) as [number, number, number],
            currentA: ph.map((x) => x[1] / 1000) as [number, number, number],
            powerW: ph.map((x) => x[2]) as [number, number, number],
            reactivePowerVar: ph.map((x) => x[3]) as [number, number, number],
            powerFactor: ph.map((x) => x[4] / 100) as [number, number, number],
            totalPowerW: total,
            frequencyHz: f10 / 10,
          };
          const m = decodeOk(encodeRegisters(reading));
          assert.deepEqual(m.voltageV, reading.voltageV);
          assert.deepEqual(m.currentA, reading.currentA);
          assert.deepEqual(m.powerW, reading.powerW);
          assert.deepEqual(m.reactivePowerVar, reading.reactivePowerVar);
          assert.deepEqual(m.powerFactor, reading.powerFactor);
          assert.equal(m.totalPowerW, total);
          assert.equal(m.frequencyHz, f10 / 10);
        },
      ),
    );
  });

  it('frequency outside 40..70 Hz (register 0x28 is not in the CVM-MINI manual) is left out, not an error', () => {
    assert.equal('frequencyHz' in decodeOk(regsWith({})), false);
    assert.equal('frequencyHz' in decodeOk(regsWith({ 0x28: 9999 })), false);
  });

  describe('R-ERR-1: malformed payloads are rejected with a clear error', () => {
    it('wrong length: 41, 43, 0 registers; 83 or 86 bytes', () => {
      assert.match(decodeErr(new Array(41).fill(0)), /expected 42 registers.*got 41/);
      assert.match(decodeErr(new Array(43).fill(0)), /got 43/);
      assert.match(decodeErr([]), /got 0/);
      assert.match(decodeErr(Buffer.alloc(83)), /expected 84 bytes.*got 83/);
      assert.match(decodeErr(Buffer.alloc(86)), /got 86/);
    });

    it('non-integers, NaN, Infinity, strings, null, out-of-16-bit registers', () => {
      for (const bad of [1.5, NaN, Infinity, '12', null, undefined, 65536, -32769, {}, true]) {
        const regs: unknown[] = new Array(CVM_QUANTITY).fill(0);
        regs[7] = bad;
        assert.match(decodeErr(regs), /register 0x07 is not a 16-bit integer/, String(bad));
      }
    });

    it('not an array or Buffer at all', () => {
      for (const bad of [null, undefined, 42, 'registers', { data: [] }]) {
        assert.match(decodeErr(bad), /array of numbers or a Buffer/);
      }
    });

    it('a timestamp that is not a number', () => {
      assert.match(decodeErr(regsWith({}), NaN), /timestamp/);
    });

    it('voltage outside 0..500 V on any phase', () => {
      for (const p of [0, 1, 2]) {
        assert.match(
          decodeErr(regsWith({ [p * 10]: SANITY.maxVoltageV * 10 + 1 })),
          new RegExp(`L${p + 1} voltage 500.1 V is outside 0..500 V`),
        );
        assert.match(decodeErr(regsWith({ [p * 10]: -10 })), /voltage -1 V is outside/);
      }
      assert.equal(decodeOk(regsWith({ 0: SANITY.maxVoltageV * 10 })).voltageV![0], SANITY.maxVoltageV);
    });

    it('current negative or above 10 kA on any phase', () => {
      for (const p of [0, 1, 2]) {
        assert.match(decodeErr(regsWith({ [p * 10 + 2]: -1 })), new RegExp(`L${p + 1} current -0.001 A is outside 0..10000 A`));
        assert.match(decodeErr(regsWith({ [p * 10 + 2]: SANITY.maxCurrentA * 1000 + 1 })), /current 10000.001 A is outside/);
      }
      assert.equal(decodeOk(regsWith({ 2: SANITY.maxCurrentA * 1000 })).currentA![0], SANITY.maxCurrentA);
      // All-ones high and low words: −1 mA, a typical "register not ready" pattern.
      const regs = regsWith({});
      regs[0x02] = 0xffff;
      regs[0x03] = 0xffff;
      assert.match(decodeErr(regs), /current -0.001 A/);
    });

    it('power factor beyond ±1 and powers beyond 500 V × 10 kA', () => {
      assert.match(decodeErr(regsWith({ 0x08: 101 })), /L1 power factor 1.01 is outside -1..1/);
      assert.match(decodeErr(regsWith({ 0x1c: -101 })), /L3 power factor/);
      assert.match(decodeErr(regsWith({ 0x0e: 5_000_001 })), /L2 power is beyond/);
      assert.match(decodeErr(regsWith({ 0x06: -5_000_001 })), /L1 power is beyond/);
      assert.match(decodeErr(regsWith({ 0x1e: 15_000_001 })), /three-phase power/);
    });
  });

  describe('finding the registers in node-red-contrib-modbus messages', () => {
    const regs = encodeRegisters(sample);
    const buf = Buffer.from(regs.flatMap((w) => [w >> 8, w & 0xff]));

    it('msg.payload array (Modbus-Read, Flex-Getter output 1), Buffer, responseBuffer.buffer/.data, payload.buffer/.data, JSON Buffer', () => {
      const shapes: Record<string, unknown>[] = [
        { payload: regs },
        { payload: buf },
        { payload: 'x', responseBuffer: { buffer: buf, data: regs } },
        { payload: {}, responseBuffer: { data: regs } },
        { payload: { buffer: buf, data: regs } },
        { payload: { data: regs } },
        { payload: JSON.parse(JSON.stringify(buf)) },
      ];
      for (const msg of shapes) {
        const found = extractRegisters(msg);
        assert.equal(found.ok, true, JSON.stringify(Object.keys(msg)));
        assert.deepEqual(decodeOk((found as { regs: number[] }).regs as number[]), decodeOk(regs));
      }
    });

    it('no registers anywhere → a clear error', () => {
      for (const msg of [
        {},
        { payload: 'hello' },
        { payload: 5 },
        { payload: null },
        { payload: { type: 'Buffer', data: 'x' } },
        { responseBuffer: 'x' },
      ]) {
        const found = extractRegisters(msg);
        assert.equal(found.ok, false);
        assert.match((found as { error: string }).error, /no registers/);
      }
    });

    it('modbus error messages and foreign requests are recognised', () => {
      assert.equal(modbusErrorText({ payload: [] }), null);
      assert.equal(modbusErrorText({ error: new Error('Timed out') }), 'Timed out');
      assert.equal(modbusErrorText({ error: 'Port Not Open' }), 'Port Not Open');
      assert.equal(modbusErrorText({ error: {} }), 'Modbus error');
      assert.equal(checkModbusRequest(undefined), null);
      assert.equal(checkModbusRequest({ unitid: 1, fc: 4, address: 0, quantity: 42 }), null);
      assert.match(checkModbusRequest({ fc: 4, address: 100, quantity: 42 })!, /address 100/);
      assert.match(checkModbusRequest({ fc: 1, address: 0, quantity: 42 })!, /function 1/);
    });
  });

  it('R-MTR-4: the offline meter message says why', () => {
    assert.deepEqual(offlineMeter(NOW, 'no valid reading for 5 s'), { online: false, timestamp: NOW, reason: 'no valid reading for 5 s' });
  });

  it('the default request reads unit 1, function 4, 0x00..0x29 (METER_DEFAULTS)', () => {
    assert.deepEqual({ ...CVM_REQUEST }, { unitid: METER_DEFAULTS.unitId, fc: METER_DEFAULTS.fc, address: 0, quantity: 42 });
    assert.deepEqual(buildRequest(7, 3), { unitid: 7, fc: 3, address: 0, quantity: 42 });
  });

  it('R-ERR-1: reader configuration: defaults from METER_DEFAULTS, each field validated', () => {
    const d = parseReaderConfig({});
    assert.deepEqual(d, {
      ok: true,
      config: { unitId: 1, fc: 4, pollS: METER_DEFAULTS.pollS, watchdogS: METER_DEFAULTS.watchdogS, poll: true },
    });
    assert.deepEqual(parseReaderConfig({ unitId: '7', fc: '3', pollS: '0.5', watchdogS: '2', poll: false }), {
      ok: true,
      config: { unitId: 7, fc: 3, pollS: 0.5, watchdogS: 2, poll: false },
    });
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ unitId: 0 }, /unit id/],
      [{ unitId: 248 }, /unit id/],
      [{ unitId: 1.5 }, /unit id/],
      [{ unitId: 'x' }, /unit id/],
      [{ fc: 1 }, /function code/],
      [{ fc: 'four' }, /function code/],
      [{ pollS: 0 }, /poll interval/],
      [{ pollS: 'NaN' }, /poll interval/],
      [{ pollS: 3601 }, /poll interval/],
      [{ watchdogS: 0.5 }, /watchdog/],
      [{ watchdogS: 301 }, /watchdog/],
      [{ watchdogS: ' ' }, /watchdog/],
      [{ poll: 'yes' }, /poll must be/],
    ];
    for (const [raw, re] of bad) {
      const r = parseReaderConfig(raw);
      assert.equal(r.ok, false, JSON.stringify(raw));
      assert.match((r as { errors: string[] }).errors.join(';'), re);
    }
  });
});
