/**
 * ocpp-central: an OCPP 1.6J central system for a site's real chargers (issue 12, R-SEC-5).
 * Wiring like ev-sim, for many chargers at once: every charge-point node's output 2 (`command`)
 * → this node → output 1 (`device` reports and `plate`s, each with `msg.address` = the charger
 * identity) → every charge-point node (each takes only its own address). Output 2: `ocpp` events
 * (unknown charger, wrong password, connected, booted, flagged...).
 * Chargers connect to ws(s)://<host>:<port>/<path>/<identity>; only allow-listed identities,
 * with their password (security profile 1) and over TLS when configured (profile 2).
 * The rules live in lib/ocpp; the library in nodes/common/ocpp-rpc.ts; this file is the shell.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import { boundedText, messageProblem, untrustedProblem } from '../../lib/shared/guard';
import { DEFAULT_OFFLINE } from '../../lib/shared/params';
import { validateDeviceCommand } from '../../lib/sim/device';
import type { DeviceCommand, OfflineConfig, PlugLetter } from '../../lib/shared/types';
import { centralConfigFromEditor, type OcppChargerConfig } from '../../lib/ocpp/config';
import {
  bootConfiguration,
  CONFIG_KEYS,
  connectorLetter,
  letterConnector,
  MEASURAND_PLAN,
  readCapability,
  readMeterValues,
  phaseCurrentsOf,
} from '../../lib/ocpp/mapping';
import { isoTime, fallbackStartsAt, setpointLimit, txDefaultProfile, txProfile, writeReason } from '../../lib/ocpp/profiles';
import {
  checkObedience,
  CLOCK_SKEW_WARN_S,
  clockSkewS,
  deviceReport,
  meterStale,
  newConnector,
  newStation,
  smartChargeable,
  strike,
  STRIKE_RETRY_MS,
  wantedA,
  type StationState,
} from '../../lib/ocpp/station';
import { startCentral, type Central, type ChargerLink } from '../common/ocpp-rpc';
import { CONTROL_CHARS } from '../../lib/shared/plate';

type Send = (msgs: any) => void;
type Done = (err?: Error) => void;

/** Model tick: refreshes, obedience and stale-reading checks, ms. */
const TICK_MS = 1000;

/** A call failed: say which, never what the charger answered (untrusted text). */
function callProblem(method: string, e: unknown): string {
  const code = (e as any)?.rpcErrorCode;
  const known = typeof code === 'string' && /^[A-Za-z]{1,40}$/.test(code) ? ` (${code})` : '';
  return `${method} failed${known}`;
}

export = function (RED: any) {
  function OcppCentralNode(this: any, n: any) {
    RED.nodes.createNode(this, n);
    const node = this;
    const parsed = centralConfigFromEditor(n, node.credentials);
    if (!parsed.ok) {
      const text = `invalid configuration: ${parsed.errors.join('; ')}`;
      node.status({ fill: 'red', shape: 'ring', text: 'invalid configuration' });
      node.error(text);
      node.on('input', (_m: any, _s: Send, done: Done) => done(new Error(text)));
      return;
    }
    const cfg = parsed.config;
    for (const w of parsed.warnings) node.warn(w);
    const byId = new Map<string, OcppChargerConfig>(cfg.chargers.map((c) => [c.identity, c]));
    const stations = new Map<string, StationState>(cfg.chargers.map((c) => [c.identity, newStation(c.identity)]));
    const links = new Map<string, ChargerLink>();
    /** Per identity, per connection: what has been configured on the charger. */
    const setup = new Map<string, { done: boolean; txDefaultKey: string | null; heartbeatKey: string | null; lastTriggerAt: number }>();
    const busy = new Set<string>();
    const again = new Set<string>();
    let central: Central | null = null;
    let closed = false;
    let lastUnknown: string | null = null;
    let txCounter = (Math.floor(Date.now() / 1000) % 1_000_000) * 100;

    function showStatus() {
      const up = [...stations.values()].filter((s) => s.connected).length;
      const flagged = [...stations.values()].filter((s) => s.disobedient).length;
      let text = `${up}/${stations.size} connected`;
      if (flagged) text += ` · ${flagged} ignore limits`;
      if (lastUnknown) text += ` · unknown charger tried to connect: ${lastUnknown}`;
      node.status({
        fill: !central ? 'red' : up === stations.size ? 'green' : 'yellow',
        shape: up ? 'dot' : 'ring',
        text: boundedText(text, 120),
      });
    }

    function event(kind: string, identity: string, text: string) {
      node.send([null, { topic: 'ocpp', payload: { event: kind, identity, text: boundedText(text), timestamp: Date.now() } }]);
    }

    /** Refused connections are reported at most once a minute per identity and 20 a minute in all (a flood stays a trickle). */
    const refusedAt = new Map<string, number>();
    let refusedWindow = { start: 0, count: 0 };
    function refusedEvent(kind: string, identity: string, text: string) {
      const now = Date.now();
      if (now - refusedWindow.start > 60000) refusedWindow = { start: now, count: 0 };
      const last = refusedAt.get(`${kind}:${identity}`);
      if ((last !== undefined && now - last < 60000) || refusedWindow.count >= 20) return;
      refusedWindow.count++;
      if (refusedAt.size >= 200) refusedAt.clear();
      refusedAt.set(`${kind}:${identity}`, now);
      event(kind, identity, text);
    }

    function emitReport(st: StationState) {
      const c = byId.get(st.identity)!;
      node.send([{ topic: 'device', address: st.identity, payload: deviceReport(st, c.plugs) }, null]);
    }

    function offlineOf(st: StationState): OfflineConfig {
      return st.offline ?? DEFAULT_OFFLINE;
    }

    function flag(st: StationState, why: string) {
      if (st.disobedient) return;
      st.disobedient = true;
      st.disobedientWhy = why;
      node.warn(`${st.identity}: does not follow limits (${why}); reserved at its maximum`);
      event('flagged', st.identity, `does not follow limits: ${why}`);
      emitReport(st);
      showStatus();
    }

    /** Brings the charger to what it should have: configuration, TxDefault, live TxProfiles. Serialized per charger. */
    async function reconcile(identity: string): Promise<void> {
      if (busy.has(identity)) {
        again.add(identity);
        return;
      }
      busy.add(identity);
      try {
        do {
          again.delete(identity);
          await reconcileOnce(identity);
        } while (again.has(identity) && !closed);
      } catch (e) {
        node.warn(`${identity}: ${boundedText(String((e as Error)?.message ?? e))}`);
      } finally {
        busy.delete(identity);
      }
    }

    async function reconcileOnce(identity: string): Promise<void> {
      const st = stations.get(identity)!;
      const link = links.get(identity);
      const su = setup.get(identity);
      if (!link || !su || !st.connected || closed) return;
      const c = byId.get(identity)!;
      const off = offlineOf(st);
      if (!su.done) {
        try {
          const conf = await link.call('GetConfiguration', { key: [...CONFIG_KEYS] });
          st.capability = readCapability(conf.configurationKey);
        } catch (e) {
          node.warn(`${identity}: ${callProblem('GetConfiguration', e)}`);
          st.capability = readCapability([]);
        }
        if (!smartChargeable(st)) flag(st, 'no SmartCharging with limits in A');
        for (const plan of MEASURAND_PLAN) {
          const r = await link.call('ChangeConfiguration', { key: 'MeterValuesSampledData', value: plan }).catch(() => null);
          if (r && (r.status === 'Accepted' || r.status === 'RebootRequired')) break;
        }
        su.done = true;
        await link.call('TriggerMessage', { requestedMessage: 'StatusNotification' }).catch(() => null);
      }
      const hbKey = JSON.stringify(bootConfiguration(off.heartbeatS));
      if (su.heartbeatKey !== hbKey) {
        for (const kv of bootConfiguration(off.heartbeatS)) {
          const r = await link.call('ChangeConfiguration', kv).catch(() => null);
          if (!r || r.status !== 'Accepted') node.warn(`${identity}: ${kv.key} not accepted`);
        }
        su.heartbeatKey = hbKey;
      }
      if (!smartChargeable(st)) return;
      const defKey = JSON.stringify([off, c.wholeAmps]);
      if (su.txDefaultKey !== defKey) {
        const r = await link
          .call('SetChargingProfile', { connectorId: 0, csChargingProfiles: txDefaultProfile(off, c.wholeAmps) })
          .catch((e) => {
            node.warn(`${identity}: ${callProblem('SetChargingProfile', e)}`);
            return null;
          });
        if (r && r.status !== 'Accepted') flag(st, 'refused the default profile');
        su.txDefaultKey = defKey;
      }
      const now = Date.now();
      for (let i = 0; i < c.plugs; i++) {
        const k = st.connectors[i];
        if (k.transactionId === null || now < k.retryAt) continue;
        const limit = setpointLimit(wantedA(k), c.wholeAmps);
        const why = writeReason(k.written, k.transactionId, limit, off.heartbeatS, now);
        if (!why) continue;
        const txId = k.transactionId;
        const profile = txProfile(i + 1, txId, limit, off, now, c.wholeAmps);
        let status: string;
        try {
          status = (await link.call('SetChargingProfile', { connectorId: i + 1, csChargingProfiles: profile })).status;
        } catch (e) {
          // No answer (timeout, link lost): try again after a pause, without flooding the log.
          node.warn(`${identity}: ${callProblem('SetChargingProfile', e)}`);
          k.retryAt = now + STRIKE_RETRY_MS;
          continue;
        }
        if (k.transactionId !== txId) continue; // the transaction ended meanwhile
        if (status !== 'Accepted') {
          if (strike(k, now)) flag(st, 'refuses its charging profiles');
          continue;
        }
        k.written = { limitA: limit, at: now, fallbackAt: fallbackStartsAt(profile), transactionId: txId };
        // Verify: the charger's own composite schedule must not allow more than we set.
        try {
          const cs = await link.call('GetCompositeSchedule', { connectorId: i + 1, duration: 60, chargingRateUnit: 'A' });
          const first = cs.status === 'Accepted' ? cs.chargingSchedule?.chargingSchedulePeriod?.[0]?.limit : undefined;
          if (typeof first === 'number' && first > limit + 0.1) {
            if (strike(k, now)) flag(st, 'its composite schedule stays above the limit');
          } else k.strikes = 0;
        } catch {
          /* optional in practice: the measured current is checked too */
        }
      }
      const sample = Math.min(10, Math.max(1, Math.floor(off.heartbeatS / 3)));
      if (st.connectors.some((k) => meterStale(k, now, sample)) && now - su.lastTriggerAt > 3 * sample * 1000) {
        su.lastTriggerAt = now;
        await link.call('TriggerMessage', { requestedMessage: 'MeterValues' }).catch(() => null);
      }
    }

    /** Transactions are not refused by the load manager unless an idTag list is configured. */
    const allowedTags = new Set(cfg.idTags);
    function idTagStatus(idTag: string): 'Accepted' | 'Invalid' {
      return allowedTags.size === 0 || allowedTags.has(idTag) ? 'Accepted' : 'Invalid';
    }

    function connectorOf(st: StationState, connectorId: number) {
      const c = byId.get(st.identity)!;
      return connectorId >= 1 && connectorId <= c.plugs ? st.connectors[connectorId - 1] : null;
    }

    function attach(link: ChargerLink) {
      const identity = link.identity;
      const st = stations.get(identity);
      if (!st || closed) {
        link.close();
        return;
      }
      const old = links.get(identity);
      links.set(identity, link);
      if (old) old.close(); // a charger reconnecting over a half-open link
      st.connected = true;
      for (const k of st.connectors) k.written = null; // reconnect → profiles re-sent
      setup.set(identity, { done: false, txDefaultKey: null, heartbeatKey: null, lastTriggerAt: 0 });
      let seen = false;
      const sign = () => {
        if (!seen) {
          seen = true;
          reconcile(identity);
        }
        emitReport(st);
      };
      link.handle('BootNotification', (req) => {
        st.boot = {
          chargePointVendor: req.chargePointVendor,
          chargePointModel: req.chargePointModel,
          firmwareVersion: req.firmwareVersion,
        };
        st.disobedient = false; // a rebooted charger gets a new chance
        st.disobedientWhy = null;
        const su = setup.get(identity);
        if (su) Object.assign(su, { done: false, txDefaultKey: null, heartbeatKey: null });
        event('boot', identity, `${req.chargePointVendor} ${req.chargePointModel} ${req.firmwareVersion ?? ''}`.trim());
        setImmediate(() => {
          seen = true;
          reconcile(identity);
          emitReport(st);
        });
        return { status: 'Accepted', currentTime: isoTime(Date.now()), interval: Math.max(1, Math.floor(offlineOf(st).heartbeatS / 3)) };
      });
      link.handle('Heartbeat', () => {
        setImmediate(sign);
        return { currentTime: isoTime(Date.now()) };
      });
      let skewWarned = false;
      link.handle('StatusNotification', (req) => {
        // Clock skew moves every profile's start and fallback (docs/ocpp.md): say so once per connection.
        const skew = clockSkewS(req.timestamp, Date.now());
        if (!skewWarned && skew !== null && Math.abs(skew) > CLOCK_SKEW_WARN_S) {
          skewWarned = true;
          const text = `clock ${skew > 0 ? 'ahead' : 'behind'} by ${Math.round(Math.abs(skew))} s`;
          node.warn(`${identity}: ${text}; the BootNotification/Heartbeat answers carry our time`);
          event('clock-skew', identity, text);
        }
        const k = connectorOf(st, req.connectorId);
        if (k) {
          k.status = req.status;
          k.errorCode = req.errorCode;
          if (req.status === 'Available') {
            // No vehicle, so no transaction (a StopTransaction lost while the link was down).
            k.currentA = 0;
            k.phaseCurrentsA = null;
            k.transactionId = null;
            k.written = null;
            k.strikes = 0;
          }
        }
        setImmediate(sign);
        return {};
      });
      link.handle('MeterValues', (req) => {
        const k = connectorOf(st, req.connectorId);
        if (k) {
          const r = readMeterValues(req.meterValue);
          const now = Date.now();
          if (r.currentA !== undefined) {
            k.currentA = r.currentA;
            // R-3PH-3: per-phase Current.Import (OCPP phases are the charger's) → phaseCurrentsA.
            k.phaseCurrentsA = phaseCurrentsOf(r);
            k.lastMeterAt = now;
          }
          if (r.registerWh !== undefined) {
            k.registerWh = r.registerWh;
            if (k.meterStartWh === null) k.meterStartWh = r.registerWh;
          }
          // After our restart: learn the running transaction from the charger's readings.
          if (k.transactionId === null && typeof req.transactionId === 'number' && req.transactionId > 0)
            k.transactionId = req.transactionId;
          const ob = checkObedience(k, now, (cfg.reactionDelayS + 2 * Math.min(10, Math.floor(offlineOf(st).heartbeatS / 3))) * 1000);
          k.overSince = ob.overSince;
          if (ob.disobedient) flag(st, 'draws above its limit beyond the reaction delay');
        }
        setImmediate(sign);
        return {};
      });
      link.handle('Authorize', (req) => {
        setImmediate(sign);
        return { idTagInfo: { status: idTagStatus(req.idTag) } };
      });
      link.handle('StartTransaction', (req) => {
        const k = connectorOf(st, req.connectorId);
        const transactionId = ++txCounter;
        if (k) {
          k.transactionId = transactionId;
          k.meterStartWh = req.meterStart;
          k.registerWh = req.meterStart;
          k.written = null;
          k.overSince = null;
          k.strikes = 0;
          k.retryAt = 0;
          const letter = connectorLetter(req.connectorId) as PlugLetter;
          const plate = req.idTag.trim();
          if (byId.get(identity)!.plateFromIdTag && plate && !CONTROL_CHARS.test(plate)) {
            setImmediate(() => node.send([{ topic: 'plate', address: identity, payload: { letter, plate } }, null]));
          }
        }
        setImmediate(() => {
          sign();
          reconcile(identity);
        });
        // A refused idTag: the charger stops (StopTransactionOnInvalidId); until it does, the
        // transaction is load-managed like any other.
        return { idTagInfo: { status: idTagStatus(req.idTag) }, transactionId };
      });
      link.handle('StopTransaction', (req) => {
        for (const k of st.connectors) {
          if (k.transactionId === req.transactionId) {
            k.transactionId = null;
            k.written = null;
            k.overSince = null;
            k.currentA = 0;
            k.phaseCurrentsA = null;
          }
        }
        setImmediate(sign);
        return { idTagInfo: { status: 'Accepted' } };
      });
      link.onClose(() => {
        if (links.get(identity) !== link) return;
        links.delete(identity);
        setup.delete(identity);
        st.connected = false;
        for (const k of st.connectors) k.written = null;
        if (!closed) {
          event('disconnected', identity, 'connection closed');
          showStatus();
        }
      });
      event('connected', identity, 'connected');
      showStatus();
    }

    function auth(identity: string, password: Buffer | undefined, endpoint: string): true | 401 | 404 {
      if (endpoint.replace(/^\/+|\/+$/g, '') !== cfg.path) return 404;
      const c = byId.get(identity);
      if (!c) {
        lastUnknown = boundedText(identity, 48);
        refusedEvent('unknown-charger', identity, `unknown charger tried to connect: ${lastUnknown}`);
        showStatus();
        return 401;
      }
      if (c.password) {
        const want = Buffer.from(c.password, 'utf8');
        if (!password || password.length !== want.length || !crypto.timingSafeEqual(password, want)) {
          refusedEvent('wrong-password', identity, 'refused: wrong or missing password');
          return 401;
        }
      }
      return true;
    }

    let tls: { key: Buffer; cert: Buffer } | undefined;
    try {
      if (cfg.tls) tls = { key: fs.readFileSync(cfg.tls.keyFile), cert: fs.readFileSync(cfg.tls.certFile) };
    } catch {
      node.error('cannot read the TLS key or certificate file');
      node.status({ fill: 'red', shape: 'ring', text: 'TLS files unreadable' });
      node.on('input', (_m: any, _s: Send, done: Done) => done(new Error('ocpp-central: not running (TLS files unreadable)')));
      return;
    }
    startCentral({
      host: cfg.host,
      port: cfg.port,
      tls,
      auth: (r) => auth(r.identity, r.password, r.endpoint),
      onCharger: attach,
      onProblem: (t) => node.debug?.(boundedText(t)),
    })
      .then((c) => {
        if (closed) {
          c.close();
          return;
        }
        central = c;
        node.port = c.port;
        node.log(`OCPP 1.6J central system on ${cfg.tls ? 'wss' : 'ws'}://${cfg.host}:${c.port}/${cfg.path}/<identity>`);
        showStatus();
      })
      .catch((e) => {
        node.error(`cannot listen on ${cfg.host}:${cfg.port}: ${boundedText(String((e as any)?.code ?? 'error'), 40)}`);
        node.status({ fill: 'red', shape: 'ring', text: `cannot listen on port ${cfg.port}` });
      });

    const timer = setInterval(() => {
      const now = Date.now();
      for (const st of stations.values()) {
        if (!st.connected) continue;
        for (const k of st.connectors) {
          // The obedience clock also runs between readings.
          if (k.overSince !== null) {
            const ob = checkObedience(k, now, (cfg.reactionDelayS + 2 * Math.min(10, Math.floor(offlineOf(st).heartbeatS / 3))) * 1000);
            if (ob.disobedient) flag(st, 'draws above its limit beyond the reaction delay');
          }
        }
        reconcile(st.identity);
      }
    }, TICK_MS);

    node.on('input', (msg: any, _send: Send, done: Done) => {
      const bad = messageProblem(msg) ?? untrustedProblem(msg.payload);
      if (bad) return done(new Error(`ocpp-central: ${bad}`));
      if (msg.topic !== 'command') return done(new Error('ocpp-central: expected topic "command"'));
      const cmd = msg.payload as DeviceCommand;
      const address = cmd && typeof cmd === 'object' ? (cmd as any).address : undefined;
      if (typeof address !== 'string' || !stations.has(address))
        return done(new Error('ocpp-central: command for an address that is not in the charger list'));
      const st = stations.get(address)!;
      const c = byId.get(address)!;
      const letters: PlugLetter[] = c.plugs === 1 ? ['A'] : ['A', 'B'];
      const errs = validateDeviceCommand(cmd, letters);
      if (errs.length) return done(new Error(`ocpp-central: ${address}: bad command: ${boundedText(errs.join('; '), 150)}`));
      if (cmd.offline) st.offline = { ...cmd.offline };
      for (const [letter, a] of Object.entries(cmd.plugs) as [PlugLetter, number][]) {
        st.connectors[letterConnector(letter) - 1].setpointA = a;
      }
      reconcile(address);
      done();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      clearInterval(timer);
      const c = central;
      central = null;
      Promise.all([...links.values()].map((l) => l.close()))
        .then(() => (c ? c.close() : undefined))
        .catch(() => undefined)
        .then(() => done());
    });
    // Keep the allow-list's connectors array sized (1–2 plugs).
    for (const st of stations.values()) while (st.connectors.length < 2) st.connectors.push(newConnector());
  }
  RED.nodes.registerType('ocpp-central', OcppCentralNode, { credentials: { passwords: { type: 'text' } } });
};
