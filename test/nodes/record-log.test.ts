/**
 * nodes/common/record-log.ts: the durable session log's file I/O (issue 9 item 5, R-ERR-2).
 * Appends land in the file at once (synchronously, fsync'ed), a rewrite replaces it whole, the
 * path is inside the user directory whatever the node id.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseRecordLog } from '../../lib/records/history';
import type { TransactionRecord } from '../../lib/shared/types';
import { appendRecords, readRecordLog, recordLogPath, rewriteRecords } from '../../nodes/common/record-log';
import { helper, next, recorderNode, resetFlow } from '../support/nr';
import { plugMsg, type CpSpec } from '../support/site';

const balancerNode = require('../../nodes/dlm-balancer/dlm-balancer');

const rec = (plugId: number, start: number): TransactionRecord => ({
  plugId,
  chargePoint: 'CP01',
  letter: plugId % 2 ? 'A' : 'B',
  plate: 'AB-1',
  start,
  stop: start + 1000,
  energyWh: 10,
  peakA: 16,
  pauses: 1,
});

describe('nodes/common/record-log — durable session log file (issue 9 item 5)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-log-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the file is <userDir>/dlm/<node id>-transactions.jsonl; an id cannot leave the folder; no user directory → no log', () => {
    assert.equal(recordLogPath(dir, 'a1b2.c3'), path.join(dir, 'dlm', 'a1b2.c3-transactions.jsonl'));
    assert.equal(path.dirname(recordLogPath(dir, '../../etc/x')!), path.join(dir, 'dlm'));
    assert.equal(recordLogPath(undefined, 'a'), null);
    assert.equal(recordLogPath('', 'a'), null);
  });

  it('appends are in the file when the call returns (no later flush), one JSON line each; a rewrite replaces the file', () => {
    const file = recordLogPath(dir, 'n1')!;
    assert.equal(readRecordLog(file), null);
    appendRecords(file, [rec(1, 1000)]);
    appendRecords(file, [rec(2, 2000), rec(3, 3000)]);
    const text = fs.readFileSync(file, 'utf8');
    assert.deepEqual(parseRecordLog(text), { records: [rec(1, 1000), rec(2, 2000), rec(3, 3000)], bad: 0, torn: false, lines: 3 });
    assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600');
    rewriteRecords(file, [rec(3, 3000)]);
    assert.deepEqual(parseRecordLog(readRecordLog(file)!).records, [rec(3, 3000)]);
    assert.ok(!fs.existsSync(file + '.tmp'));
  });

  it('a record keeps only the record fields (nothing else a message may carry)', () => {
    const file = recordLogPath(dir, 'n2')!;
    appendRecords(file, [{ ...rec(1, 1000), extra: 'x'.repeat(100) } as TransactionRecord]);
    assert.deepEqual(Object.keys(JSON.parse(fs.readFileSync(file, 'utf8'))), Object.keys(rec(1, 1000)));
  });
});

describe('dlm-balancer writes each closed session to its log before the transaction message leaves (issue 9 item 5)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlm-log-'));
  });
  afterEach(async () => {
    await resetFlow();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('when the transaction message arrives, the record is already in <userDir>/dlm/<id>-transactions.jsonl', async () => {
    helper.settings({ userDir: dir });
    await helper.load(
      [balancerNode, recorderNode],
      [
        { id: 'f1', type: 'tab' },
        { id: 'dlm', z: 'f1', type: 'dlm-balancer', name: 'site', analyserEnabled: false, wires: [[], [], ['tx']] },
        { id: 'tx', z: 'f1', type: 'recorder' },
      ],
    );
    const cp: CpSpec = { name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C', measuredA: 16, energyWh: 250 }] };
    const dlm = helper.getNode('dlm');
    dlm.receive({ topic: 'plug', payload: plugMsg(cp, Date.now()) });
    dlm.receive({ topic: 'plug', payload: plugMsg({ ...cp, plugs: [{ letter: 'A', phase: 'L1', pilot: 'A' }] }, Date.now()) });
    const m = await next('tx');
    // Read synchronously as soon as the message has arrived: no flush interval to wait for.
    const logged = parseRecordLog(fs.readFileSync(recordLogPath(dir, 'dlm')!, 'utf8'));
    assert.deepEqual(logged.records, [m.payload]);
    assert.equal(m.payload.energyWh, 250);
  });
});
