/**
 * Transaction records (R-MON-5): the bounded history and its CSV export. Plates are untrusted
 * text (R-CP-6): CSV cells are quoted, and a cell that a spreadsheet would run as a formula
 * (=, +, -, @ first) is prefixed with an apostrophe — except the lone '-' meaning "no plate".
 */
import type { TransactionRecord } from '../shared/types';
import { TRANSACTION_HISTORY } from '../shared/params';

/** Appends closed sessions to a history, keeping at most `limit` (newest kept). */
export function appendHistory(
  history: readonly TransactionRecord[],
  closed: readonly TransactionRecord[],
  limit = TRANSACTION_HISTORY,
): TransactionRecord[] {
  const all = history.concat(closed);
  return all.length > limit ? all.slice(all.length - limit) : all;
}

function cell(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  let s = v;
  if (s !== '-' && /^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return '"' + s.replace(/"/g, '""') + '"';
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** CSV of transaction records: plug, plate, start, stop, energy kWh, peak current, pauses. */
export function transactionsCsv(records: readonly TransactionRecord[]): string {
  const head = 'plug_id,charge_point,plug,plate,start,stop,energy_kwh,peak_a,pauses';
  const rows = records.map((r) =>
    [
      cell(r.plugId),
      cell(r.chargePoint),
      cell(r.letter),
      cell(r.plate),
      cell(iso(r.start)),
      cell(iso(r.stop)),
      cell(Math.round(r.energyWh) / 1000),
      cell(Math.round(r.peakA * 10) / 10),
      cell(r.pauses),
    ].join(','),
  );
  return [head, ...rows].join('\r\n') + '\r\n';
}
