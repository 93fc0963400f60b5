/**
 * ocpp-central across stops and link losses (issue 12, R-OFF-1/2): Node-RED stopped → each offline
 * mode's fallback at the strict test charger; restart → profiles re-sent and state resynced; a
 * transaction that ended while the link was down does not make the charger look disobedient.
 */
import { strict as assert } from 'assert';
import { freePort } from '../support/node-red-runner';
import { clearInbox, drain, helper, nextWhere, peek, sleep } from '../support/nr';
import { TestCharger } from '../../tools/ocpp-charger';
import type { OfflineMode } from '../../lib/shared/types';
import { creds, flow, NODES, PASSWORD, setpoint, until, type Cp } from '../support/ocpp-flow';

describe('ocpp-central: stops, restarts and lost links (issue 12)', function () {
  this.timeout(50000);
  const chargers: TestCharger[] = [];
  afterEach(async () => {
    await Promise.all(chargers.splice(0).map((c) => c.stop()));
    await helper.unload();
    clearInbox();
  });
  function charger(port: number, identity: string) {
    const c = new TestCharger({ endpoint: `ws://127.0.0.1:${port}/ocpp`, identity, password: PASSWORD, reactionMs: 200 });
    chargers.push(c);
    return c;
  }

  it('Node-RED stopped → each offline mode 0–3 takes effect at the charger one heartbeat later; restarted → profiles re-sent, state resynced (R-OFF-1/2)', async () => {
    const port = await freePort();
    const cps: Cp[] = [0, 1, 2, 3].map((m) => ({ name: `CPM${m + 1}`, mode: m as OfflineMode, heartbeatS: 10 }));
    await helper.load(NODES, flow(port, cps), creds(cps));
    await until('listening', () => helper.getNode('central').port);
    const ch = cps.map((c) => charger(port, c.name));
    await Promise.all(ch.map((c) => c.start()));
    for (const c of ch) {
      await c.plugIn(1, 32);
      await c.plugIn(2, 32);
    }
    for (const c of cps) helper.getNode(`cp-${c.name}`).receive(setpoint(c.name, { A: 20, B: 0 }));
    await until('setpoints in force', () => ch.every((c) => c.limitA(1) === 20 && c.limitA(2) === 0 && c.drawnA(1) === 20));
    const writesBefore = ch.map((c) => c.received.filter((r) => r.method === 'SetChargingProfile').length);
    await helper.unload(); // Node-RED stops: the central system is gone
    const stoppedAt = Date.now();
    await until('disconnected', () => ch.every((c) => !c.isConnected));
    // Right after the stop: still the setpoints.
    for (const c of ch) assert.deepEqual([c.limitA(1), c.limitA(2)], [20, 0]);
    // One heartbeat (10 s) after the last write, plus the vehicle's reaction: the offline mode.
    await until('fallback', () => Date.now() - stoppedAt > 10500 && ch.every((c) => c.drawnA(1) !== 20 || c === ch[1]), 15000);
    await sleep(400);
    const got = ch.map((c) => [c.drawnA(1), c.limitA(2)]);
    assert.deepEqual(
      got,
      [
        [0, 0],
        [20, 0],
        [8, 0],
        [8, 0],
      ],
      'mode 0 pause all; 1 active continue, paused stay; 2 and 3 capped at the offline current',
    );
    // Mode 3: the paused transaction starts at the offline current half a heartbeat (+ 5 s) later,
    // when the charge-point node has certainly declared the charger OFFLINE (R-OFF-3).
    await until('mode 3 paused plug at the offline current', () => Date.now() - stoppedAt > 20500 && ch[3].drawnA(2) === 8, 15000);
    assert.deepEqual(
      ch.map((c) => c.limitA(2)),
      [0, 0, 0, 8],
    );
    // Restart: the chargers reconnect; their profiles are written again, status resynced.
    clearInbox();
    await helper.load(NODES, flow(port, cps), creds(cps));
    await until('reconnected', () => ch.every((c) => c.isConnected), 15000);
    for (const c of cps) helper.getNode(`cp-${c.name}`).receive(setpoint(c.name, { A: 16, B: 6 }));
    await until('new profiles', () => ch.every((c) => c.limitA(1) === 16 && c.limitA(2) === 6), 15000);
    ch.forEach((c, i) => assert.ok(c.received.filter((r) => r.method === 'SetChargingProfile').length > writesBefore[i]));
    assert.ok(
      ch.every((c) =>
        c.received.some((r) => r.method === 'TriggerMessage' && r.params.requestedMessage === 'StatusNotification' && r.at > stoppedAt),
      ),
    );
    const back = await nextWhere(
      'plug',
      (m) => m.payload.chargePoint === 'CPM4' && m.payload.online && m.payload.plugs[1].pilot !== 'A',
      10000,
    );
    assert.ok(back);
    drain('dev');
  });

  it("a transaction that ended while the link was down is dropped on the charger's Available status: no refused profiles, no false flag", async () => {
    const port = await freePort();
    const cps: Cp[] = [{ name: 'CP08', mode: 2, heartbeatS: 10 }];
    await helper.load(NODES, flow(port, cps), creds(cps));
    await until('listening', () => helper.getNode('central').port);
    const ch = charger(port, 'CP08');
    await ch.start();
    await ch.plugIn(1, 32);
    helper.getNode('cp-CP08').receive(setpoint('CP08', { A: 12 }));
    await until('12 A', () => ch.limitA(1) === 12);
    await ch.disconnect();
    await ch.unplug(1); // no StopTransaction: the link is down
    await ch.reconnect();
    await nextWhere('events', (m) => m.payload.event === 'connected' && m.payload.identity === 'CP08', 10000);
    const since = Date.now();
    await sleep(12000); // three strikes would take 10 s
    const refused = ch.received.filter((r) => r.method === 'SetChargingProfile' && r.at > since && r.params.connectorId === 1);
    assert.deepEqual(refused, [], 'no profile for the transaction that is gone');
    assert.equal(peek('events').filter((m) => m.payload.event === 'flagged').length, 0);
  });
});
