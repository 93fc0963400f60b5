/**
 * ocpp-central in a Node-RED runtime (node-red-node-test-helper) with charge-point nodes and the
 * strict OCPP 1.6J test charger (tools/ocpp-charger.ts) on 127.0.0.1 (issue 12, R-SEC-5, R-OFF-1/2).
 */
import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { freePort } from '../support/node-red-runner';
import { clearInbox, helper, nextWhere, peek, sleep } from '../support/nr';
import { creds, flow, NODES, PASSWORD, setpoint, until } from '../support/ocpp-flow';
import { TestCharger } from '../../tools/ocpp-charger';
import type { OfflineMode } from '../../lib/shared/types';

describe('ocpp-central node with the strict test charger (issue 12)', function () {
  this.timeout(40000);
  const chargers: TestCharger[] = [];
  afterEach(async () => {
    await Promise.all(chargers.splice(0).map((c) => c.stop()));
    await helper.unload();
    clearInbox();
  });

  function charger(port: number, identity: string, o: Partial<ConstructorParameters<typeof TestCharger>[0]> = {}) {
    const c = new TestCharger({ endpoint: `ws://127.0.0.1:${port}/ocpp`, identity, password: PASSWORD, reactionMs: 200, ...o });
    chargers.push(c);
    return c;
  }

  it('security profile 1: right password connects; wrong password and unknown identity are refused with 401, the unknown one shown (R-SEC-5)', async () => {
    const port = await freePort();
    const cps = [{ name: 'CP01', mode: 3 as OfflineMode }];
    await helper.load(NODES, flow(port, cps), creds(cps));
    const central = helper.getNode('central');
    await until('listening', () => central.port);
    const spy = central.status; // the test helper spies on every node's status
    const bad = charger(port, 'CP01', { password: 'wrong-password-123' });
    await assert.rejects(bad.start(), /Unauthorized|401/);
    const stranger = charger(port, 'CP99');
    await assert.rejects(stranger.start(), /Unauthorized|401/);
    const ev = await nextWhere('events', (m) => m.payload.event === 'unknown-charger');
    assert.equal(ev.payload.identity, 'CP99');
    assert.match(ev.payload.text, /unknown charger tried to connect: CP99/);
    // A stranger retrying (or a flood) is reported once a minute per identity, not per attempt.
    await assert.rejects(charger(port, 'CP99').start(), /Unauthorized|401/);
    await assert.rejects(charger(port, 'CP99').start(), /Unauthorized|401/);
    assert.equal(peek('events').filter((m) => m.payload.event === 'unknown-charger').length, 0);
    const good = charger(port, 'CP01');
    await good.start();
    await nextWhere('events', (m) => m.payload.event === 'connected' && m.payload.identity === 'CP01');
    await nextWhere('events', (m) => m.payload.event === 'wrong-password' && m.payload.identity === 'CP01', 100).catch(() => undefined);
    // The node status names the stranger (commissioning).
    assert.ok(spy.args.some((a: any[]) => /unknown charger tried to connect: CP99/.test(a[0].text)));
    assert.ok(spy.args.some((a: any[]) => /^1\/1 connected/.test(a[0].text)));
  });

  it('security profile 2: TLS with a configured certificate (self-signed, made by openssl here) and basic auth (R-SEC-5)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-tls-'));
    try {
      const key = path.join(dir, 'key.pem');
      const cert = path.join(dir, 'cert.pem');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          key,
          '-out',
          cert,
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { stdio: 'ignore' },
      );
      const port = await freePort();
      const cps = [{ name: 'CP06', mode: 3 as OfflineMode }];
      await helper.load(NODES, flow(port, cps, { tls: true, keyFile: key, certFile: cert }), creds(cps));
      await until('listening', () => helper.getNode('central').port);
      const ca = fs.readFileSync(cert);
      // Plain ws:// to a TLS port, and TLS without trusting the certificate: no connection.
      await assert.rejects(charger(port, 'CP06', { reconnect: false } as any).start());
      await assert.rejects(charger(port, 'CP06', { endpoint: `wss://127.0.0.1:${port}/ocpp` }).start(), /self-signed|certificate/);
      const bad = charger(port, 'CP06', { endpoint: `wss://127.0.0.1:${port}/ocpp`, ca, password: 'not-the-password' });
      await assert.rejects(bad.start(), /Unauthorized|401/);
      const ch = charger(port, 'CP06', { endpoint: `wss://127.0.0.1:${port}/ocpp`, ca });
      await ch.start();
      await nextWhere('events', (m) => m.payload.event === 'connected' && m.payload.identity === 'CP06');
      await ch.plugIn(1, 32);
      helper.getNode('cp-CP06').receive(setpoint('CP06', { A: 13 }));
      await until('13 A over TLS', () => ch.limitA(1) === 13);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('boot → GetConfiguration, ChangeConfiguration (intervals, measurands), TxDefault profile; status and meter values → plug states and currents', async () => {
    const port = await freePort();
    const cps = [{ name: 'CP01', mode: 3 as OfflineMode, heartbeatS: 30 }];
    await helper.load(NODES, flow(port, cps), creds(cps));
    await until('listening', () => helper.getNode('central').port);
    const ch = charger(port, 'CP01');
    await ch.start();
    await until('TxDefault profile', () =>
      ch.model.profiles.find((p) => p.profile.chargingProfilePurpose === 'TxDefaultProfile' && p.connectorId === 0),
    );
    const methods = ch.received.map((r) => r.method);
    assert.ok(methods.indexOf('GetConfiguration') >= 0);
    assert.equal(ch.config.MeterValuesSampledData, 'Current.Import,Energy.Active.Import.Register');
    await until('heartbeat interval from the offline config', () => ch.config.HeartbeatInterval === '10');
    assert.equal(ch.config.MeterValueSampleInterval, '10');
    // First report: the charge point is online with two plugs at pilot A.
    const first = await nextWhere('plug', (m) => m.payload.online === true && m.payload.devicePlugs === 2);
    assert.deepEqual(
      first.payload.plugs.map((p: any) => p.pilot),
      ['A', 'A'],
    );
    assert.equal(first.payload.devicePlugs, 2);
    // A car plugs in: transaction, paused (0 A) until the balancer allocates: pilot B.
    await ch.plugIn(1, 16, 'AB123CD');
    const plate = await nextWhere('plug', (m) => m.payload.plugs[0].plate === 'AB123CD');
    assert.equal(plate.payload.plugs[0].plate, 'AB123CD');
    await nextWhere('plug', (m) => m.payload.plugs[0].pilot === 'B');
    assert.equal(ch.limitA(1), 0, 'paused until a setpoint arrives (TxProfile 0 A)');
    // Setpoint → profile → the charger's composite limit equals it; a vehicle maximum below the
    // limit: it draws its own maximum.
    helper.getNode('cp-CP01').receive(setpoint('CP01', { A: 20 }));
    await until('composite limit 20 A', () => ch.limitA(1) === 20);
    await until('drawing the vehicle maximum', () => ch.drawnA(1) === 16);
    // A decrease is written at once: the car follows after its reaction delay.
    helper.getNode('cp-CP01').receive(setpoint('CP01', { A: 10 }));
    await until('composite limit 10 A', () => ch.limitA(1) === 10);
    // An increase within the minimum interval (10 s) after that write waits: flash writes are rationed.
    const writes = ch.received.filter((r) => r.method === 'SetChargingProfile').length;
    helper.getNode('cp-CP01').receive(setpoint('CP01', { A: 12 }));
    await sleep(1000);
    assert.equal(ch.limitA(1), 10);
    assert.equal(ch.received.filter((r) => r.method === 'SetChargingProfile').length, writes);
    helper.getNode('cp-CP01').receive(setpoint('CP01', { A: 10 }));
    await until('drawing 10 A', () => ch.drawnA(1) === 10);
    const charging = await nextWhere('plug', (m) => m.payload.plugs[0].pilot === 'C' && m.payload.plugs[0].measuredA === 10, 15000);
    assert.equal(charging.payload.plugs[0].measuredA, 10);
    // Pause: 0 A at once.
    helper.getNode('cp-CP01').receive(setpoint('CP01', { A: 0 }));
    await until('paused', () => ch.limitA(1) === 0);
    await until('drawing nothing', () => ch.drawnA(1) === 0);
    const gcs = ch.received.filter((r) => r.method === 'GetCompositeSchedule');
    assert.ok(gcs.length >= 3, 'every written profile is verified with GetCompositeSchedule');
    await ch.unplug(1);
    await nextWhere('plug', (m) => m.payload.plugs[0].pilot === 'A');
  });

  it('R-3PH-3 (issue 11): per-phase Current.Import of a three-phase charger → phaseCurrentsA in the device report and the plug message (a single-phase car on a three-phase plug)', async () => {
    const port = await freePort();
    const cps = [{ name: 'CP01', mode: 3 as OfflineMode, heartbeatS: 30 }];
    const f = flow(port, cps).map((n: any) => (n.id === 'cp-CP01' ? { ...n, rotation: 'STR', phasesA: 3 } : n));
    await helper.load(NODES, f, creds(cps));
    await until('listening', () => helper.getNode('central').port);
    const ch = charger(port, 'CP01', { perPhase: 1 });
    await ch.start();
    await nextWhere('plug', (m) => m.payload.online === true);
    await ch.plugIn(1, 16, 'AB123CD');
    helper.getNode('cp-CP01').receive(setpoint('CP01', { A: 20 }));
    await until('drawing 16 A', () => ch.drawnA(1) === 16);
    const dev = await nextWhere('dev', (m) => m.topic === 'device' && m.payload.plugs[0].phaseCurrentsA?.[0] === 16, 15000);
    assert.deepEqual(dev.payload.plugs[0].phaseCurrentsA, [16, 0, 0]);
    const p = await nextWhere('plug', (m) => m.payload.plugs[0].phaseCurrentsA?.[0] === 16, 15000);
    assert.equal(p.payload.rotation, 'STR');
    assert.deepEqual(
      [p.payload.plugs[0].phases, p.payload.plugs[0].phase, p.payload.plugs[0].measuredA, p.payload.plugs[0].phaseCurrentsA],
      [3, 'L2', 16, [16, 0, 0]],
    );
  });

  it('transactions are accepted unless an idTag list is configured; then other idTags are answered Invalid', async () => {
    const port = await freePort();
    const cps = [{ name: 'CP09', mode: 3 as OfflineMode }];
    await helper.load(NODES, flow(port, cps, { idTags: 'GOOD0001, GOOD0002' }), creds(cps));
    await until('listening', () => helper.getNode('central').port);
    const ch = charger(port, 'CP09');
    await ch.start();
    assert.equal(await ch.plugIn(1, 16, 'GOOD0002'), 'Accepted');
    assert.equal(await ch.plugIn(2, 16, 'STRANGER'), 'Invalid');
  });

  it('a charger that rejects the measurand list gets Current.Import alone; whole amps are sent as whole amps', async () => {
    const port = await freePort();
    const cps = [{ name: 'CP02', mode: 2 as OfflineMode }];
    const f = flow(port, cps);
    (f[1] as any).chargers[0].wholeAmps = true;
    await helper.load(NODES, f, creds(cps));
    await until('listening', () => helper.getNode('central').port);
    const ch = charger(port, 'CP02', { rejectMeasurandList: true });
    await ch.start();
    await until('measurand fallback', () => ch.config.MeterValuesSampledData === 'Current.Import');
    await ch.plugIn(2, 32);
    helper.getNode('cp-CP02').receive(setpoint('CP02', { B: 12.5 }));
    await until('12 A (whole amps)', () => ch.limitA(2) === 12);
  });

  it('a charger that ignores its limits is flagged: its plugs report followsLimits: false', async () => {
    const port = await freePort();
    const cps = [{ name: 'CP03', mode: 3 as OfflineMode }];
    await helper.load(NODES, flow(port, cps), creds(cps));
    await until('listening', () => helper.getNode('central').port);
    const ch = charger(port, 'CP03', { followsLimits: false, maxCurrentA: 32 });
    await ch.start();
    await ch.plugIn(1, 32);
    helper.getNode('cp-CP03').receive(setpoint('CP03', { A: 8 }));
    const ev = await nextWhere('events', (m) => m.payload.event === 'flagged', 20000);
    assert.match(ev.payload.text, /does not follow limits/);
    const rep = await nextWhere('dev', (m) => m.topic === 'device' && m.payload.plugs[0].followsLimits === false, 5000);
    assert.equal(rep.address, 'CP03');
    const plug = await nextWhere('plug', (m) => m.payload.plugs[0].followsLimits === false, 5000);
    assert.equal(plug.payload.plugs[0].followsLimits, false);
  });

  it('stale readings: a charging connector without meter values gets TriggerMessage(MeterValues), and its answer is taken', async () => {
    const port = await freePort();
    const cps = [{ name: 'CP07', mode: 3 as OfflineMode, heartbeatS: 10 }];
    await helper.load(NODES, flow(port, cps), creds(cps));
    await until('listening', () => helper.getNode('central').port);
    const ch = charger(port, 'CP07', { periodicMeter: false });
    await ch.start();
    await ch.plugIn(1, 32);
    helper.getNode('cp-CP07').receive(setpoint('CP07', { A: 14 }));
    await until('drawing 14 A', () => ch.drawnA(1) === 14);
    await until(
      'TriggerMessage(MeterValues)',
      () => ch.received.some((r) => r.method === 'TriggerMessage' && r.params.requestedMessage === 'MeterValues'),
      15000,
    );
    const m = await nextWhere('plug', (x) => x.payload.plugs[0].measuredA === 14, 5000);
    assert.equal(m.payload.plugs[0].pilot, 'C');
  });

  it('a charger clock 60 s ahead is reported once (clock-skew event)', async () => {
    const port = await freePort();
    const cps = [{ name: 'CP10', mode: 3 as OfflineMode }];
    await helper.load(NODES, flow(port, cps), creds(cps));
    await until('listening', () => helper.getNode('central').port);
    const ch = charger(port, 'CP10', { clockOffsetMs: 60000 });
    await ch.start();
    const ev = await nextWhere('events', (m) => m.payload.event === 'clock-skew', 5000);
    assert.match(ev.payload.text, /ahead by (59|60) s/); // the message's own latency
  });

  it('a charger that answers profiles with an error is retried every 5 s, not every tick, and its error text is not logged', async () => {
    const port = await freePort();
    const cps = [{ name: 'CP11', mode: 3 as OfflineMode }];
    await helper.load(NODES, flow(port, cps), creds(cps));
    await until('listening', () => helper.getNode('central').port);
    const central = helper.getNode('central');
    const ch = charger(port, 'CP11', { failTxProfiles: true });
    await ch.start();
    await ch.plugIn(1, 32);
    helper.getNode('cp-CP11').receive(setpoint('CP11', { A: 10 }));
    await sleep(4000);
    const tries = ch.received.filter(
      (r) => r.method === 'SetChargingProfile' && r.params.csChargingProfiles.chargingProfilePurpose === 'TxProfile',
    );
    assert.ok(tries.length >= 1 && tries.length <= 2, `${tries.length} attempts in 4 s`);
    const warned = central.warn.args.map((a: any[]) => String(a[0])).filter((t: string) => /SetChargingProfile failed/.test(t));
    assert.ok(warned.length >= 1);
    assert.ok(
      warned.every((t: string) => !/profile store busy/.test(t)),
      "the charger's error text is not echoed",
    );
  });

  it('a charger without SmartCharging is flagged at once', async () => {
    const port = await freePort();
    const cps = [{ name: 'CP04', mode: 3 as OfflineMode }];
    await helper.load(NODES, flow(port, cps), creds(cps));
    await until('listening', () => helper.getNode('central').port);
    const ch = charger(port, 'CP04', { smartCharging: false });
    await ch.start();
    const ev = await nextWhere('events', (m) => m.payload.event === 'flagged', 10000);
    assert.match(ev.payload.text, /SmartCharging/);
  });

  it('untrusted input: a malformed identity escape, a wrong path, a plain HTTP request and bad commands do not stop Node-RED; refusals do not echo (R-SEC-3)', async () => {
    const port = await freePort();
    const cps = [{ name: 'CP05', mode: 3 as OfflineMode }];
    await helper.load(NODES, flow(port, cps), creds(cps));
    await until('listening', () => helper.getNode('central').port);
    const raw = (text: string) =>
      new Promise<string>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => s.write(text));
        let out = '';
        s.on('data', (d) => {
          out += d.toString();
        });
        s.on('close', () => resolve(out));
        s.on('error', () => resolve(out));
        setTimeout(() => s.destroy(), 2000);
      });
    const upgrade = (path: string) =>
      `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n`;
    assert.match(await raw(upgrade('/ocpp/%E0%A4%A')), /404/);
    assert.match(await raw(upgrade('/other/CP05')), /401|404/);
    assert.match(await raw('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), /426/);
    // The node still serves its charger afterwards.
    const ch = charger(port, 'CP05');
    await ch.start();
    await nextWhere('events', (m) => m.payload.event === 'connected');
    // Bad commands are refused with an error, nothing else happens.
    const central = helper.getNode('central');
    const errors: any[] = [];
    central.on('call:error', (c: any) => errors.push(c));
    central.receive({
      topic: 'command',
      payload: { address: 'CP77', plugs: { A: 10 }, offline: { heartbeatS: 10, mode: 3, currentA: 8 } },
    });
    central.receive({ topic: 'command', payload: { address: 'CP05', plugs: { A: 3 }, offline: { heartbeatS: 10, mode: 3, currentA: 8 } } });
    await until('two refusals', () => errors.length >= 2);
    const texts = errors.map((e) => String(e.args[0]?.message ?? e.args[0]));
    assert.match(texts[0], /not in the charger list/);
    assert.doesNotMatch(texts[0], /CP77/, 'the refusal does not echo the input');
    assert.match(texts[1], /bad command/);
  });
});

describe('charge-point with a shared transport (issue 12): msg.address', () => {
  afterEach(async () => {
    await helper.unload();
    clearInbox();
  });
  it('takes device reports and plates for its own address, ignores other addresses, passes followsLimits: false on', async () => {
    const f = flow(1, [{ name: 'CP01', mode: 3 }]).filter((n: any) => n.type !== 'ocpp-central');
    await helper.load(NODES, f);
    const cp = helper.getNode('cp-CP01');
    await nextWhere('plug', (m) => m.payload.online === false);
    cp.receive({ topic: 'device', address: 'CP02', payload: { plugs: [{ letter: 'A', pilot: 'C', currentA: 30 }] } });
    cp.receive({ topic: 'plate', address: 'CP02', payload: { letter: 'A', plate: 'OTHER' } });
    cp.receive({ topic: 'device', address: 'CP01', payload: { plugs: [{ letter: 'A', pilot: 'C', currentA: 12, followsLimits: false }] } });
    const m = await nextWhere('plug', (x) => x.payload.online === true);
    assert.equal(m.payload.plugs[0].measuredA, 12);
    assert.equal(m.payload.plugs[0].followsLimits, false);
    assert.equal(m.payload.plugs[0].plate, '-');
    assert.equal(m.payload.plugs[1].followsLimits, undefined);
  });
});
