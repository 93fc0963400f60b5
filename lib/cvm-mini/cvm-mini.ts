/**
 * The Circutor CVM-MINI register map and its decoding (R-MTR-1). Pure: no Node-RED, no I/O,
 * time is an argument.
 *
 * Source: CVM-MINI instruction manual §6.1 "Modbus/RTU protocol": functions 0x03 and 0x04,
 * every variable a signed 32-bit integer in two consecutive registers, high word first.
 * The three-phase active power (0x1E) and the frequency (0x28) are not in the CVM-MINI manual's
 * table; they come from sibling Circutor analysers (CVM-C10, CVM-NET family) that share this
 * map. See docs/cvm-mini.md.
 */
import { SITE_BOARD, type MeterMessage } from '../shared/types';
import { FREQUENCY_PLAUSIBLE_HZ, METER_DEFAULTS, METER_LIMITS, NAME_MAX_LENGTH, SANITY } from '../shared/params';
import { CONTROL_CHARS } from '../shared/plate';
import { describeValue } from '../shared/guard';

/** Where a register comes from (docs/cvm-mini.md). */
export type RegisterSource = 'CVM-MINI manual §6.1' | 'sibling Circutor meters (CVM-C10 / CVM-NET map)';

/** The physical quantity a register pair holds. */
export type CvmQuantity = 'voltage' | 'current' | 'activePower' | 'reactivePower' | 'powerFactor' | 'totalActivePower' | 'frequency';

/** One variable of the map: a signed 32-bit value in two registers, high word first. */
export interface CvmRegister {
  /** Register address (of the high word). */
  address: number;
  quantity: CvmQuantity;
  /** 0..2 = L1..L3; null for a three-phase value. */
  phase: 0 | 1 | 2 | null;
  /** Raw value / divisor = value in `unit`. */
  divisor: number;
  unit: 'V' | 'A' | 'W' | 'var' | '' | 'Hz';
  /** Unit of the raw register value, as the manual writes it. */
  rawUnit: string;
  source: RegisterSource;
}

const MANUAL: RegisterSource = 'CVM-MINI manual §6.1';
const SIBLING: RegisterSource = 'sibling Circutor meters (CVM-C10 / CVM-NET map)';

/** Per phase, the manual's table repeats every 0x0A registers: L1 at 0x00, L2 at 0x0A, L3 at 0x14. */
export const PHASE_STRIDE = 0x0a;

function phaseRegisters(phase: 0 | 1 | 2): CvmRegister[] {
  const base = phase * PHASE_STRIDE;
  return [
    { address: base + 0x00, quantity: 'voltage', phase, divisor: 10, unit: 'V', rawUnit: 'V×10', source: MANUAL },
    { address: base + 0x02, quantity: 'current', phase, divisor: 1000, unit: 'A', rawUnit: 'mA', source: MANUAL },
    { address: base + 0x04, quantity: 'activePower', phase, divisor: 1, unit: 'W', rawUnit: 'W', source: MANUAL },
    { address: base + 0x06, quantity: 'reactivePower', phase, divisor: 1, unit: 'var', rawUnit: 'var', source: MANUAL },
    { address: base + 0x08, quantity: 'powerFactor', phase, divisor: 100, unit: '', rawUnit: 'PF×100', source: MANUAL },
  ];
}

/** The register map, in address order. */
export const CVM_MINI_MAP: readonly CvmRegister[] = Object.freeze([
  ...phaseRegisters(0),
  ...phaseRegisters(1),
  ...phaseRegisters(2),
  { address: 0x1e, quantity: 'totalActivePower', phase: null, divisor: 1, unit: 'W', rawUnit: 'W', source: SIBLING },
  { address: 0x28, quantity: 'frequency', phase: null, divisor: 10, unit: 'Hz', rawUnit: 'Hz×10', source: SIBLING },
] as CvmRegister[]);

/** First register read: 0x00 (V L1). */
export const CVM_START_ADDRESS = 0x00;
/** Registers read in one request: 0x00..0x29 inclusive (the frequency pair ends at 0x29). */
export const CVM_QUANTITY = 0x29 - CVM_START_ADDRESS + 1; // 42

/** A Modbus read request for the whole map, in node-red-contrib-modbus Flex-Getter form. */
export interface CvmRequest {
  unitid: number;
  fc: 3 | 4;
  address: number;
  quantity: number;
}

/** The default request: unit id 1 (the manual's peripheral 1), function 4, 0x00..0x29. */
export const CVM_REQUEST: Readonly<CvmRequest> = Object.freeze({
  unitid: METER_DEFAULTS.unitId,
  fc: METER_DEFAULTS.fc as 3 | 4,
  address: CVM_START_ADDRESS,
  quantity: CVM_QUANTITY,
});

/** Builds the Flex-Getter payload for a unit id and function code. */
export function buildRequest(unitId: number, fc: 3 | 4): CvmRequest {
  return { unitid: unitId, fc, address: CVM_START_ADDRESS, quantity: CVM_QUANTITY };
}

/**
 * Allowed ranges of the reader's configuration. Watchdog range = the balancer's analyser
 * timeout range (meterTimeoutS); unit id 1..247 = Modbus RTU peripheral addresses; the manual
 * offers functions 0x03 and 0x04 only.
 */
export const READER_LIMITS = METER_LIMITS;

/** The reader node's configuration. */
export interface ReaderConfig {
  unitId: number;
  fc: 3 | 4;
  pollS: number;
  watchdogS: number;
  /** Emit Flex-Getter requests on the second output every pollS. */
  poll: boolean;
  /** The sub-board whose meter this is (R-CIRC-1): its meter messages carry `board`. Absent = the building analyser. */
  board?: string;
}

/**
 * Validates the reader configuration as the editor stores it (numbers may arrive as strings).
 * Returns the parsed configuration or the list of errors.
 */
export function parseReaderConfig(raw: Record<string, unknown>): { ok: true; config: ReaderConfig } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const num = (key: string, fallback: number): number => {
    const v = raw[key];
    if (v === undefined || v === '') return fallback;
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    return n;
  };
  const unitId = num('unitId', METER_DEFAULTS.unitId);
  if (!Number.isInteger(unitId) || unitId < READER_LIMITS.unitId.min || unitId > READER_LIMITS.unitId.max) {
    errors.push(`unit id must be a whole number ${READER_LIMITS.unitId.min}..${READER_LIMITS.unitId.max}`);
  }
  const fc = num('fc', METER_DEFAULTS.fc);
  if (!(READER_LIMITS.fc.options as readonly number[]).includes(fc)) errors.push('function code must be 3 or 4');
  const pollS = num('pollS', METER_DEFAULTS.pollS);
  if (!Number.isFinite(pollS) || pollS < READER_LIMITS.pollS.min || pollS > READER_LIMITS.pollS.max) {
    errors.push(`poll interval must be ${READER_LIMITS.pollS.min}..${READER_LIMITS.pollS.max} s`);
  }
  const watchdogS = num('watchdogS', METER_DEFAULTS.watchdogS);
  if (!Number.isFinite(watchdogS) || watchdogS < READER_LIMITS.watchdogS.min || watchdogS > READER_LIMITS.watchdogS.max) {
    errors.push(`watchdog must be ${READER_LIMITS.watchdogS.min}..${READER_LIMITS.watchdogS.max} s`);
  }
  const poll = raw.poll === undefined ? true : raw.poll;
  if (typeof poll !== 'boolean') errors.push('poll must be true or false');
  // R-CIRC-1: "" = the site's building analyser; else a sub-board's name as the balancer declares it.
  let board: string | undefined;
  if (raw.board !== undefined && raw.board !== null && raw.board !== '') {
    const b = typeof raw.board === 'string' ? raw.board.trim() : null;
    if (b === null || b === '' || b.length > NAME_MAX_LENGTH || CONTROL_CHARS.test(b))
      errors.push(`board must be empty (the building analyser) or a board's name of 1..${NAME_MAX_LENGTH} characters`);
    else if (b.toLowerCase() === SITE_BOARD)
      errors.push(`board "${SITE_BOARD}" is the site itself: leave it empty for the building analyser`);
    else board = b;
  }
  if (errors.length) return { ok: false, errors };
  const config: ReaderConfig = { unitId, fc: fc as 3 | 4, pollS, watchdogS, poll: poll as boolean };
  if (board !== undefined) config.board = board;
  return { ok: true, config };
}

/** A decoded reading: the `meter` message plus the reactive power, which MeterMessage lacks. */
export interface CvmMeterMessage extends MeterMessage {
  /** Per-phase reactive power, var. */
  reactivePowerVar?: [number, number, number];
}

export type DecodeResult = { ok: true; meter: CvmMeterMessage } | { ok: false; error: string };

/** Signed 32-bit value of two 16-bit registers, high word first (manual §6.1). */
export function int32(high: number, low: number): number {
  return ((high & 0xffff) << 16) | (low & 0xffff) | 0;
}

/** The two registers (high word first) of a signed 32-bit value. */
export function words(value: number): [number, number] {
  const v = value | 0;
  return [(v >>> 16) & 0xffff, v & 0xffff];
}

/** Frequencies outside FREQUENCY_PLAUSIBLE_HZ (params.ts) are treated as "not provided" (0x28 is not in the CVM-MINI manual). */
const FREQ_PLAUSIBLE_HZ = FREQUENCY_PLAUSIBLE_HZ;

/**
 * Decodes the 42 registers 0x00..0x29 (an array of 16-bit registers or the raw 84-byte reply
 * data) into a `meter` message stamped `now`. Rejects anything that is not a plausible reading
 * (R-ERR-1): wrong length, non-integers, registers outside 16 bits, and values outside physics.
 */
export function decodeRegisters(regs: readonly number[] | Buffer | Uint8Array, now: number): DecodeResult {
  const words = registerWords(regs);
  if (typeof words === 'string') return { ok: false, error: words };
  if (!Number.isFinite(now)) return { ok: false, error: 'timestamp must be a number' };
  const r = words;
  const raw = (address: number) => int32(r[address - CVM_START_ADDRESS], r[address - CVM_START_ADDRESS + 1]);
  const tri = (offset: number, divisor: number): [number, number, number] =>
    [0, 1, 2].map((p) => raw(p * PHASE_STRIDE + offset) / divisor) as [number, number, number];
  const meter: CvmMeterMessage = {
    online: true,
    currentA: tri(0x02, 1000),
    voltageV: tri(0x00, 10),
    powerW: tri(0x04, 1),
    powerFactor: tri(0x08, 100),
    totalPowerW: raw(0x1e),
    reactivePowerVar: tri(0x06, 1),
    timestamp: now,
  };
  const implausible = physicsProblem(meter);
  if (implausible) return { ok: false, error: implausible };
  const freq = raw(0x28) / 10;
  if (freq >= FREQ_PLAUSIBLE_HZ.min && freq <= FREQ_PLAUSIBLE_HZ.max) meter.frequencyHz = freq;
  return { ok: true, meter };
}

/** The 42 registers as 16-bit words (from an array or the raw 84 bytes), or why they are not. */
function registerWords(regs: readonly number[] | Buffer | Uint8Array): number[] | string {
  if (regs instanceof Uint8Array) {
    if (regs.length !== CVM_QUANTITY * 2) return `expected ${CVM_QUANTITY * 2} bytes (registers 0x00..0x29), got ${regs.length}`;
    const r: number[] = [];
    for (let i = 0; i < regs.length; i += 2) r.push((regs[i] << 8) | regs[i + 1]);
    return r;
  }
  if (!Array.isArray(regs)) return 'registers must be an array of numbers or a Buffer';
  if (regs.length !== CVM_QUANTITY) return `expected ${CVM_QUANTITY} registers (0x00..0x29), got ${regs.length}`;
  for (let i = 0; i < regs.length; i++) {
    const v = regs[i];
    // Registers arrive unsigned (0..65535) from node-red-contrib-modbus; some Modbus nodes
    // give them as signed 16-bit: same bits, both accepted.
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x8000 || v > 0xffff) {
      return `register 0x${i.toString(16).padStart(2, '0')} is not a 16-bit integer: ${describeValue(v)}`;
    }
  }
  return regs as number[];
}

/** A decoded reading outside physics (R-ERR-1), or null. */
function physicsProblem(m: CvmMeterMessage): string | null {
  const maxPhaseW = SANITY.maxVoltageV * SANITY.maxCurrentA;
  for (let p = 0; p < 3; p++) {
    const L = `L${p + 1}`;
    const v = m.voltageV![p];
    const a = m.currentA![p];
    if (v < 0 || v > SANITY.maxVoltageV) return `${L} voltage ${v} V is outside 0..${SANITY.maxVoltageV} V`;
    if (a < 0 || a > SANITY.maxCurrentA) return `${L} current ${a} A is outside 0..${SANITY.maxCurrentA} A`;
    if (Math.abs(m.powerFactor![p]) > 1) return `${L} power factor ${m.powerFactor![p]} is outside -1..1`;
    if (Math.abs(m.powerW![p]) > maxPhaseW || Math.abs(m.reactivePowerVar![p]) > maxPhaseW) {
      return `${L} power is beyond ${SANITY.maxVoltageV} V × ${SANITY.maxCurrentA} A`;
    }
  }
  if (Math.abs(m.totalPowerW!) > 3 * maxPhaseW) {
    return `three-phase power ${m.totalPowerW} W is beyond 3 × ${SANITY.maxVoltageV} V × ${SANITY.maxCurrentA} A`;
  }
  return null;
}

/** Physical values the simulator (or a test) wants to serve. */
export interface CvmReading {
  voltageV: [number, number, number];
  currentA: [number, number, number];
  powerW: [number, number, number];
  reactivePowerVar: [number, number, number];
  powerFactor: [number, number, number];
  totalPowerW: number;
  frequencyHz: number;
}

/** Encodes a reading into the 42 registers 0x00..0x29 (inverse of decodeRegisters, rounding to the map's resolution). */
export function encodeRegisters(reading: CvmReading): number[] {
  const regs = new Array<number>(CVM_QUANTITY).fill(0);
  const put = (address: number, value: number) => {
    const [hi, lo] = words(Math.round(value));
    regs[address - CVM_START_ADDRESS] = hi;
    regs[address - CVM_START_ADDRESS + 1] = lo;
  };
  for (let p = 0; p < 3; p++) {
    const base = p * PHASE_STRIDE;
    put(base + 0x00, reading.voltageV[p] * 10);
    put(base + 0x02, reading.currentA[p] * 1000);
    put(base + 0x04, reading.powerW[p]);
    put(base + 0x06, reading.reactivePowerVar[p]);
    put(base + 0x08, reading.powerFactor[p] * 100);
  }
  put(0x1e, reading.totalPowerW);
  put(0x28, reading.frequencyHz * 10);
  return regs;
}

/** A node-red-contrib-modbus error message carries `msg.error` (emptyMsgOnFail) instead of data. */
export function modbusErrorText(msg: Record<string, unknown>): string | null {
  const e = msg.error;
  if (e === undefined || e === null || e === false) return null;
  if (typeof e === 'string') return e || 'Modbus error';
  if (typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') {
    return (e as { message: string }).message || 'Modbus error';
  }
  return 'Modbus error';
}

function asBytes(v: unknown): Uint8Array | null {
  if (v instanceof Uint8Array) return v;
  // A Buffer that went through JSON: {type: 'Buffer', data: [...]}.
  if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
    const data = (v as { data: unknown[] }).data;
    // limits: not a limit — a byte is 0..255
    if (data.every((b) => Number.isInteger(b) && (b as number) >= 0 && (b as number) <= 255)) return Uint8Array.from(data as number[]);
  }
  return null;
}

/**
 * Finds the registers in a message from a Modbus node: `msg.payload` as register array or
 * Buffer (Modbus-Read / Flex-Getter first output), `msg.responseBuffer.buffer` / `.data`, or
 * `msg.payload.buffer` / `.data` (Flex-Getter second output). Returns an error text when none.
 */
export function extractRegisters(msg: Record<string, unknown>): { ok: true; regs: number[] | Uint8Array } | { ok: false; error: string } {
  const p = msg.payload;
  if (Array.isArray(p)) return { ok: true, regs: p as number[] };
  const pb = asBytes(p);
  if (pb) return { ok: true, regs: pb };
  for (const holder of [msg.responseBuffer, p]) {
    if (holder && typeof holder === 'object') {
      const h = holder as { buffer?: unknown; data?: unknown };
      const b = asBytes(h.buffer);
      if (b) return { ok: true, regs: b };
      if (Array.isArray(h.data)) return { ok: true, regs: h.data as number[] };
    }
  }
  return {
    ok: false,
    error: 'no registers: expected msg.payload as an array of 42 registers (0x00..0x29) or msg.responseBuffer from node-red-contrib-modbus',
  };
}

/**
 * Checks that a response's request (node-red-contrib-modbus puts it in msg.modbusRequest) was
 * for our map, so a Flex-Getter shared with other reads cannot feed us foreign registers.
 */
export function checkModbusRequest(req: unknown): string | null {
  if (req === undefined || req === null || typeof req !== 'object') return null;
  const r = req as { address?: unknown; quantity?: unknown; fc?: unknown };
  const address = r.address === undefined ? undefined : Number(r.address);
  if (address !== undefined && address !== CVM_START_ADDRESS) {
    return `response is for address ${describeValue(r.address)}, the CVM-MINI map starts at ${CVM_START_ADDRESS}`;
  }
  const fc = r.fc === undefined ? undefined : Number(r.fc);
  if (fc !== undefined && fc !== 3 && fc !== 4)
    return `response is for function ${describeValue(r.fc)}, the CVM-MINI map is read with 3 or 4`;
  return null;
}

/** The `meter` message for a lost analyser (R-MTR-4). */
export function offlineMeter(now: number, reason: string, board?: string): MeterMessage {
  const m: MeterMessage = { online: false, timestamp: now, reason };
  if (board !== undefined) m.board = board;
  return m;
}
