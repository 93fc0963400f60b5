/**
 * The durable session log's file I/O (SPEC R-ERR-2, issue 9 item 5): one append-only JSON-lines
 * file per balancer node, `<userDir>/dlm/<node id>-transactions.jsonl`. A record is appended and
 * fsync'ed synchronously when its session closes, before the `transaction` message leaves the
 * node: a record anyone has seen survives a crash or power cut right after. Sessions close a few
 * times an hour, so the short synchronous write costs nothing noticeable. Rewrites (compaction,
 * repair of a torn last line) go to a temporary file that is fsync'ed and renamed over the log.
 * Parsing is pure and lives in lib/records/history.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { recordLine } from '../../lib/records/history';
import type { TransactionRecord } from '../../lib/shared/types';

/** The log file of a node, or null when Node-RED has no user directory. */
export function recordLogPath(userDir: unknown, nodeId: string): string | null {
  if (typeof userDir !== 'string' || userDir === '') return null;
  return path.join(userDir, 'dlm', `${nodeId.replace(/[^A-Za-z0-9._-]/g, '_')}-transactions.jsonl`);
}

/** The log's text, or null when there is no log yet. Throws on other read errors. */
export function readRecordLog(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Appends records and forces them to disk before returning. Throws on an I/O error. */
export function appendRecords(file: string, records: readonly TransactionRecord[]): void {
  if (!records.length) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'a', 0o600);
  try {
    fs.writeSync(fd, records.map(recordLine).join(''));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Replaces the log with exactly these records (temp file, fsync, rename, fsync of the folder). */
export function rewriteRecords(file: string, records: readonly TransactionRecord[]): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, records.map(recordLine).join(''));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // Some platforms (Windows) cannot fsync a folder; the rename itself is done.
  }
}
