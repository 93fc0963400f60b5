/**
 * Direct status delivery (issue 13, docs/dashboard.md "Wiring"): dashboard widgets that name their
 * balancer get each status object itself, without a wire and without a copy per widget; output 2
 * still carries it for wired flows. The widgets' side runs in a real Node-RED with the dashboards
 * (test/e2e/dashboard*.test.ts: the example's widgets are joined and show what /dlm/status says).
 */
import { strict as assert } from 'assert';
import { clearInbox, helper, next, recorderNode, sleep } from '../support/nr';
import { forgetStatus, joinStatus, publishStatus, statusMembers } from '../../nodes/common/status-bus';
import type { StatusMessage } from '../../lib/shared/types';

const NODES = [require('../../nodes/dlm-balancer/dlm-balancer'), recorderNode];

function flow(out2: string[]) {
  return [
    { id: 'f1', type: 'tab', label: 'site' },
    { id: 'dlm', z: 'f1', type: 'dlm-balancer', name: 'b', analyserEnabled: false, mccbA: 40, contractedKW: 36, wires: [[], out2, []] },
    { id: 'st', z: 'f1', type: 'recorder' },
  ];
}

describe('status bus: widgets joined to a balancer (issue 13)', function () {
  this.timeout(20000);
  afterEach(async () => {
    await helper.unload();
  });

  it('every joined widget gets the same status object each second, output 2 unwired; leaving stops it', async () => {
    await helper.load(NODES, flow([]));
    const a: StatusMessage[] = [];
    const b: StatusMessage[] = [];
    const leaveA = joinStatus('dlm', (s) => a.push(s));
    const leaveB = joinStatus('dlm', (s) => b.push(s));
    assert.equal(statusMembers('dlm'), 2);
    await sleep(2300);
    assert.ok(a.length >= 2, `${a.length} statuses`);
    assert.equal(a.length, b.length);
    for (let i = 0; i < a.length; i++) assert.equal(a[i], b[i], 'the same object, not a copy per widget');
    assert.ok(Array.isArray(a[0].plugs) && a[0].table !== undefined, 'a balancer status');
    leaveA();
    const n = a.length;
    await sleep(1300);
    assert.equal(a.length, n, 'no status after leaving');
    assert.ok(b.length > n);
    leaveB();
  });

  it('wired and joined: output 2 carries the same status the joined widgets get', async () => {
    clearInbox();
    await helper.load(NODES, flow(['st']));
    const got: StatusMessage[] = [];
    const leave = joinStatus('dlm', (s) => got.push(s));
    const sent = (await next('st', 2500)).payload as StatusMessage;
    leave();
    assert.ok(got.includes(sent), 'output 2 (one wire: not copied) carries the object the widgets got');
  });

  it('a widget that joins later gets the last status at once; a failing widget does not stop the others; a stopped balancer is forgotten', () => {
    const status = { timestamp: 1 } as unknown as StatusMessage;
    const errors: unknown[] = [];
    const bad = joinStatus('x', () => {
      throw new Error('widget broke');
    });
    const seen: StatusMessage[] = [];
    const good = joinStatus('x', (s) => seen.push(s));
    publishStatus('x', status, (e) => errors.push(e));
    assert.deepEqual(seen, [status]);
    assert.equal(errors.length, 1);
    const late: StatusMessage[] = [];
    const leaveLate = joinStatus('x', (s) => late.push(s));
    assert.deepEqual(late, [status], 'the last status at once');
    forgetStatus('x');
    const later: StatusMessage[] = [];
    const leaveLater = joinStatus('x', (s) => later.push(s));
    assert.deepEqual(later, [], 'nothing from a stopped balancer');
    for (const leave of [bad, good, leaveLate, leaveLater]) leave();
    assert.equal(statusMembers('x'), 0);
  });
});
