import { strict as assert } from 'assert';
import readerNode = require('../../nodes/cvm-mini-reader/cvm-mini-reader');
import { encodeRegisters, type CvmReading } from '../../lib/cvm-mini/cvm-mini';
import { METER_DEFAULTS } from '../../lib/shared/params';
import { coreNode, helper, sleep as tick } from '../support/nr';

const catchNode = coreNode('core/common/25-catch.js');

const reading: CvmReading = {
  voltageV: [230.1, 229.5, 231.2],
  currentA: [12.345, 20, 31.5],
  powerW: [2700, 4400, 6900],
  reactivePowerVar: [300, 500, 800],
  powerFactor: [0.95, 0.96, 0.97],
  totalPowerW: 14000,
  frequencyHz: 50,
};
const regs = encodeRegisters(reading);
const bytes = Buffer.from(regs.flatMap((w) => [w >> 8, w & 0xff]));

type Msg = { topic?: string; payload: any; error?: any };

/** A flow: reader → meter helper (output 1), request helper (output 2), catch → errors helper. */
function flow(reader: Record<string, unknown> = {}) {
  return [
    { id: 'r', type: 'cvm-mini-reader', name: 'meter', poll: false, wires: [['out'], ['req']], ...reader },
    { id: 'out', type: 'helper' },
    { id: 'req', type: 'helper' },
    { id: 'c', type: 'catch', scope: null, uncaught: false, wires: [['errs']] },
    { id: 'errs', type: 'helper' },
  ];
}

/** Collects messages arriving at a helper node. */
function collect(id: string): Msg[] {
  const got: Msg[] = [];
  helper.getNode(id).on('input', (m: Msg) => got.push(m));
  return got;
}

/** Resolves with the first message at helper `id` matching `pred`, or rejects after `ms`. */
function next(id: string, pred: (m: Msg) => boolean, ms: number): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const n = helper.getNode(id);
    const t = setTimeout(() => {
      n.removeListener('input', on);
      reject(new Error(`nothing at ${id} within ${ms} ms`));
    }, ms);
    function on(m: Msg) {
      if (pred(m)) {
        clearTimeout(t);
        n.removeListener('input', on);
        resolve(m);
      }
    }
    n.on('input', on);
  });
}

function load(reader: Record<string, unknown> = {}): Promise<void> {
  return new Promise((resolve) => helper.load([readerNode, catchNode], flow(reader), () => resolve()));
}

describe('nodes/cvm-mini-reader', function () {
  this.timeout(10000);
  afterEach(async () => {
    await helper.unload();
  });

  it('R-MTR-1: registers from Modbus-Read / Flex-Getter become a meter message (A, V, W, PF, timestamp)', async () => {
    await load();
    const out = collect('out');
    const before = Date.now();
    helper.getNode('r').receive({
      payload: regs,
      responseBuffer: { data: regs, buffer: bytes },
      modbusRequest: { unitid: 1, fc: 4, address: 0, quantity: 42 },
    });
    await tick(50);
    assert.equal(out.length, 1);
    const m = out[0];
    assert.equal(m.topic, 'meter');
    assert.equal(m.payload.online, true);
    assert.deepEqual(m.payload.currentA, reading.currentA);
    assert.deepEqual(m.payload.voltageV, reading.voltageV);
    assert.deepEqual(m.payload.powerW, reading.powerW);
    assert.deepEqual(m.payload.powerFactor, reading.powerFactor);
    assert.equal(m.payload.totalPowerW, reading.totalPowerW);
    assert.equal(m.payload.frequencyHz, 50);
    assert.ok(m.payload.timestamp >= before && m.payload.timestamp <= Date.now());
  });

  it('R-MTR-1: accepts every node-red-contrib-modbus output shape (payload Buffer, responseBuffer only, Flex-Getter output 2)', async () => {
    await load();
    const out = collect('out');
    const r = helper.getNode('r');
    r.receive({ payload: bytes });
    r.receive({ payload: '', responseBuffer: { buffer: bytes } });
    r.receive({ payload: '', responseBuffer: { data: regs } });
    r.receive({ payload: { data: regs, buffer: bytes }, values: regs });
    await tick(50);
    assert.equal(out.length, 4);
    for (const m of out) assert.deepEqual(m.payload.currentA, reading.currentA);
  });

  it('issue 4: with polling on, emits Flex-Getter requests (unit 1, fc 4, address 0, quantity 42) on output 2 every poll interval', async () => {
    await load({ poll: true, pollS: 0.1 });
    const req = collect('req');
    const out = collect('out');
    await tick(350);
    assert.ok(req.length >= 2, `requests: ${req.length}`);
    assert.deepEqual(req[0].payload, { unitid: METER_DEFAULTS.unitId, fc: METER_DEFAULTS.fc, address: 0, quantity: 42 });
    assert.equal(out.length, 0);
  });

  it('issue 4: unit id and function code of the requests come from the configuration; polling off sends none', async () => {
    await load({ poll: true, pollS: 0.1, unitId: 7, fc: 3 });
    const m = await next('req', () => true, 2000);
    assert.deepEqual(m.payload, { unitid: 7, fc: 3, address: 0, quantity: 42 });
    await helper.unload();
    await load({ poll: false, pollS: 0.1 });
    const req = collect('req');
    await tick(300);
    assert.equal(req.length, 0);
  });

  describe('R-ERR-1: each configuration field is validated; a bad one makes the node inert with a red status', () => {
    const bad: [string, Record<string, unknown>][] = [
      ['unit id 0', { unitId: 0 }],
      ['unit id 300', { unitId: 300 }],
      ['function code 2', { fc: 2 }],
      ['poll interval 0', { pollS: 0 }],
      ['poll interval "abc"', { pollS: 'abc' }],
      ['watchdog 0', { watchdogS: 0 }],
      ['watchdog 1000', { watchdogS: 1000 }],
      // Issue 11 (R-CIRC-1): the board is a board's name of at most 64 characters, not "site".
      ['board of 65 characters', { board: 'b'.repeat(65) }],
      ['board "site"', { board: 'site' }],
      ['board with a control character', { board: 'B\u0007' }],
      ['board as a number', { board: 7 }],
    ];
    for (const [label, cfg] of bad) {
      it(label, async () => {
        await load({ poll: true, pollS: 0.1, watchdogS: 1, ...cfg });
        const r = helper.getNode('r');
        const statuses = r.status
          .getCalls()
          .filter((c: any) => c.thisValue === r)
          .map((c: any) => c.args[0]);
        assert.ok(
          statuses.some((s: any) => s.fill === 'red' && /^config: /.test(s.text)),
          JSON.stringify(statuses),
        );
        const out = collect('out');
        const req = collect('req');
        const errs = collect('errs');
        r.receive({ payload: regs });
        await tick(300);
        assert.equal(out.length, 0);
        assert.equal(req.length, 0);
        assert.equal(errs.length, 1);
        assert.match(String(errs[0].error?.message ?? errs[0]), /configuration/);
      });
    }
  });

  describe('R-ERR-1: bad input → an error a Catch node sees, no output, counts as no reading', () => {
    const shortRegs = regs.slice(0, 41);
    const withBad = (i: number, v: unknown) => {
      const r: unknown[] = [...regs];
      r[i] = v;
      return r;
    };
    const hugeCurrent = encodeRegisters({ ...reading, currentA: [10001, 0, 0] });
    const highVoltage = encodeRegisters({ ...reading, voltageV: [230, 600, 230] });
    const negCurrent = encodeRegisters({ ...reading, currentA: [1, 1, -2] });
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['no payload', {}, /no registers/],
      ['a string payload', { payload: 'hello' }, /no registers/],
      ['a number payload', { payload: 42 }, /no registers/],
      ['41 registers', { payload: shortRegs }, /expected 42 registers/],
      ['83 bytes', { payload: bytes.subarray(0, 83) }, /expected 84 bytes/],
      ['a non-integer register', { payload: withBad(3, 1.5) }, /register 0x03 is not a 16-bit integer/],
      ['a NaN register', { payload: withBad(0, NaN) }, /register 0x00 is not a 16-bit integer: NaN/],
      ['a string register', { payload: withBad(5, '7') }, /register 0x05/],
      ['current above 10 kA', { payload: hugeCurrent }, /L1 current 10001 A/],
      ['negative current', { payload: negCurrent }, /L3 current -2 A/],
      ['voltage above 500 V', { payload: highVoltage }, /L2 voltage 600 V/],
      ['a reply to another address', { payload: regs, modbusRequest: { unitid: 1, fc: 4, address: 100, quantity: 42 } }, /address 100/],
    ];
    for (const [label, msg, re] of cases) {
      it(label, async () => {
        await load();
        const out = collect('out');
        const errs = collect('errs');
        helper.getNode('r').receive(msg);
        await tick(50);
        assert.equal(out.length, 0);
        assert.equal(errs.length, 1);
        assert.match(errs[0].error.message, /CVM-MINI reading rejected: /);
        assert.match(errs[0].error.message, re);
      });
    }
  });

  it("R-CIRC-1 (issue 11): with a board set, every meter message — readings and the watchdog's offline ones — carries it; without, none does", async () => {
    await load({ watchdogS: 1, board: ' Garage-east ' });
    const r = helper.getNode('r');
    r.receive({ payload: regs });
    const on = await next('out', (m) => m.payload.online === true, 1000);
    assert.equal(on.payload.board, 'Garage-east');
    assert.deepEqual(on.payload.currentA, reading.currentA);
    const off = await next('out', (m) => m.payload.online === false, 3000);
    assert.equal(off.payload.board, 'Garage-east');
    await helper.unload();
    await load({ board: '' });
    helper.getNode('r').receive({ payload: regs });
    const plain = await next('out', (m) => m.payload.online === true, 1000);
    assert.equal('board' in plain.payload, false, 'the building analyser: no board field');
  });

  it('R-MTR-4: watchdog — no valid reading for watchdogS → meter online:false with a reason and red status; back on the next valid reading', async () => {
    await load({ watchdogS: 1 });
    const r = helper.getNode('r');
    const out = collect('out');
    r.receive({ payload: regs });
    // Garbage arriving more often than the watchdog period does not keep the meter alive.
    const garbage = setInterval(() => r.receive({ payload: [1, 2, 3] }), 200);
    let off: Msg;
    try {
      off = await next('out', (m) => m.payload.online === false, 3000);
    } finally {
      clearInterval(garbage);
    }
    assert.equal(out.filter((m) => m.payload.online).length, 1);
    assert.equal(off.topic, 'meter');
    assert.match(off.payload.reason, /no valid reading for 1 s/);
    assert.match(off.payload.reason, /expected 42 registers/);
    assert.equal(typeof off.payload.timestamp, 'number');
    assert.equal(off.payload.currentA, undefined);
    const statuses = r.status
      .getCalls()
      .filter((c: any) => c.thisValue === r)
      .map((c: any) => c.args[0]);
    assert.equal(statuses[statuses.length - 1].fill, 'red');
    r.receive({ payload: regs });
    const on = await next('out', (m) => m.payload.online === true, 1000);
    assert.deepEqual(on.payload.currentA, reading.currentA);
  });

  it('R-MTR-4: with no reading at all since start, the meter goes offline after watchdogS and says so again every period', async () => {
    await load({ watchdogS: 1 });
    const first = await next('out', (m) => m.payload.online === false, 3000);
    const again = await next('out', (m) => m.payload.online === false, 3000);
    assert.ok(again.payload.timestamp > first.payload.timestamp);
  });

  it('R-MTR-4: a node-red-contrib-modbus error message counts as no reading, raises no second error, and names the cause', async () => {
    await load({ watchdogS: 1 });
    const r = helper.getNode('r');
    const errs = collect('errs');
    const out = collect('out');
    r.receive({ payload: '', error: Object.assign(new Error('Timed out'), { nodeStatus: 'timeout' }) });
    await tick(50);
    assert.equal(errs.length, 0);
    assert.equal(out.length, 0);
    const off = await next('out', (m) => m.payload.online === false, 3000);
    assert.match(off.payload.reason, /last error: Timed out/);
  });

  it('closing the node stops the poller and the watchdog', async () => {
    await load({ poll: true, pollS: 0.1, watchdogS: 1 });
    const out = collect('out');
    const req = collect('req');
    await helper.unload();
    const n = req.length;
    await tick(1300);
    assert.equal(req.length, n);
    assert.equal(out.length, 0);
    await load(); // afterEach unloads again
  });
});
