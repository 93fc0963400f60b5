/**
 * The durable session log (SPEC R-ERR-2, R-MON-5, issue 9 item 5): every closed session is
 * appended as one JSON line to a file as it closes, so a record emitted before a crash is there
 * after the restart. This module is the pure part: a record as a line, the file's text back to
 * records (a torn last line tolerated, bad lines skipped and counted, each record checked), the
 * history merged from the log and the older context copy, and the stored state reconciled with
 * the log. The file I/O lives in nodes/common/record-log.ts.
 */
import { untrustedProblem } from '../shared/guard';
import { transactionProblem } from '../core/restore';
import { RECENT_TRANSACTIONS, type BalancerState, type PlugState } from '../core/state';
import { LOG_LINE_MAX_LENGTH, LOG_RECORD_LIMITS, TRANSACTION_HISTORY } from '../shared/params';
import type { TransactionRecord } from '../shared/types';

/** Longest line read from the log; a record is a few hundred characters (lib/shared/params.ts). */
export const MAX_LOG_LINE = LOG_LINE_MAX_LENGTH;
/** The log is rewritten with the newest `TRANSACTION_HISTORY` records once it holds this many lines. */
export const LOG_COMPACT_AT = 2 * TRANSACTION_HISTORY;

/** One record as a log line (JSON, newline-terminated). */
export function recordLine(r: TransactionRecord): string {
  const { plugId, chargePoint, letter, plate, start, stop, energyWh, peakA, pauses } = r;
  return JSON.stringify({ plugId, chargePoint, letter, plate, start, stop, energyWh, peakA, pauses }) + '\n';
}

export interface ParsedLog {
  /** Readable closed records, in file order. */
  records: TransactionRecord[];
  /** Lines that were not a readable closed record (the torn last line not counted). */
  bad: number;
  /** The file did not end with a newline: its last line was cut by a crash and is ignored. */
  torn: boolean;
  /** Lines in the file (without the torn one). */
  lines: number;
}

const RECORD_LIMITS = LOG_RECORD_LIMITS;

/** The log's text back to records. Never throws. */
export function parseRecordLog(text: string): ParsedLog {
  const parts = text.split('\n');
  const last = parts.pop() as string; // '' when the text ends with a newline
  const torn = last.length > 0;
  const records: TransactionRecord[] = [];
  let bad = 0;
  let lines = 0;
  for (const line of parts) {
    if (line.trim() === '') continue;
    lines++;
    const r = parseLine(line);
    if (r) records.push(r);
    else bad++;
  }
  return { records, bad, torn, lines };
}

function parseLine(line: string): TransactionRecord | null {
  if (line.length > MAX_LOG_LINE) return null;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (untrustedProblem(v, 'record', RECORD_LIMITS) || transactionProblem(v, 'record', false)) return null;
  return v as TransactionRecord;
}

/** Identity of a session: its plug and its start. */
export const recordKey = (r: Pick<TransactionRecord, 'plugId' | 'chargePoint' | 'letter' | 'start'>): string =>
  `${r.plugId}|${r.letter}|${r.start}|${r.chargePoint}`;

/**
 * The history from the log and the older copy in node context (migration, or records closed
 * before the log existed): one record per session (the log's wins), oldest first by stop, at
 * most `limit` (newest kept). `fromContext` counts the context records the log lacked.
 */
export function mergeHistory(
  contextRecords: readonly TransactionRecord[],
  logRecords: readonly TransactionRecord[],
  limit = TRANSACTION_HISTORY,
): { history: TransactionRecord[]; fromContext: number } {
  const byKey = new Map<string, TransactionRecord>();
  let fromContext = 0;
  for (const r of logRecords) byKey.set(recordKey(r), r);
  for (const r of contextRecords) {
    const k = recordKey(r);
    if (!byKey.has(k)) {
      byKey.set(k, r);
      fromContext++;
    }
  }
  const all = [...byKey.values()].sort((a, b) => (a.stop as number) - (b.stop as number) || a.start - b.start || a.plugId - b.plugId);
  return { history: all.length > limit ? all.slice(all.length - limit) : all, fromContext };
}

/**
 * The stored state made consistent with the log (the log wins): a plug whose open session has a
 * closing record in the log was unplugged before the crash, after the state was last stored. Its
 * session is closed as the core closes it on pilot A (trackSession): no session, the vehicle
 * counters cleared, pilot A and no measured current until the charge point reports again; its
 * setpoint stays, so the next step reduces it with the reaction delay (R-ALLOC-7). The record
 * joins the recent sessions. Returns the same state when nothing changes.
 */
export function reconcileWithLog(state: BalancerState, logRecords: readonly TransactionRecord[]): { state: BalancerState; closed: number } {
  if (!logRecords.length || !state.plugs.some((p) => p.session)) return { state, closed: 0 };
  const closedBy = new Map(logRecords.map((r) => [recordKey(r), r]));
  let recent = state.recentTransactions;
  let closed = 0;
  const plugs = state.plugs.map((p): PlugState => {
    const rec = p.session ? closedBy.get(recordKey(p.session)) : undefined;
    if (!rec) return p;
    closed++;
    if (!recent.some((r) => recordKey(r) === recordKey(rec))) recent = recent.concat([rec]);
    return {
      ...p,
      session: null,
      pilot: 'A',
      measuredA: 0,
      queued: false,
      retriesUsed: 0,
      nextRetryAt: null,
      bSince: null,
      lowSince: null,
      underSince: null,
      released: false,
      pausedAt: null,
    };
  });
  if (!closed) return { state, closed: 0 };
  if (recent.length > RECENT_TRANSACTIONS) recent = recent.slice(recent.length - RECENT_TRANSACTIONS);
  return { state: { ...state, plugs, recentTransactions: recent }, closed };
}
