/**
 * The strict OCPP 1.6J test charger (issue 12): a charge point on ocpp-rpc's client in strict
 * mode (every call and answer validated against the 1.6 schemas, both ways), with OUR composite-
 * schedule evaluator (lib/ocpp/composite.ts via lib/ocpp/charger-model.ts). Tests and the demo
 * (`npm start -- --ocpp`) drive it: plug a vehicle in, read what it draws and the limit in force.
 * Free vending: a vehicle that plugs in starts a transaction at once (locally while offline).
 */
import { chargePointClient, type CentralLink } from '../nodes/common/ocpp-rpc';
import { ChargerModel } from '../lib/ocpp/charger-model';
import { compositeSchedule, clearProfiles } from '../lib/ocpp/composite';
import type { ChargePointStatus, MeterValue } from '../lib/ocpp/messages';

export interface TestChargerOptions {
  /** ws(s)://host:port/path — the identity is appended. */
  endpoint: string;
  identity: string;
  password?: string;
  ca?: string | Buffer;
  connectors?: number;
  maxCurrentA?: number;
  reactionMs?: number;
  /** false = ignores every limit (draws the vehicle's maximum). */
  followsLimits?: boolean;
  /** false = no SmartCharging feature profile. */
  smartCharging?: boolean;
  /** true = refuses a MeterValuesSampledData list (accepts one measurand). */
  rejectMeasurandList?: boolean;
  /** Model step, real ms (default 100). */
  tickMs?: number;
  /** Phase the meter reports the current on (default L1). */
  phase?: 'L1' | 'L2' | 'L3';
  /**
   * Issue 11 (R-3PH-3): the meter reports Current.Import per charger phase L1, L2, L3; the vehicle
   * draws on this many of them (1 = a single-phase car on a three-phase plug: L2 and L3 read 0 A).
   */
  perPhase?: 1 | 3;
  /** false = sends meter values only when triggered (a charger whose readings go stale). */
  periodicMeter?: boolean;
  /** The charger's clock is this far ahead of the real time, ms (negative: behind). */
  clockOffsetMs?: number;
  /** true = answers every TxProfile with a CALLERROR (a charger in trouble). */
  failTxProfiles?: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class TestCharger {
  readonly model: ChargerModel;
  readonly link: CentralLink;
  readonly config: Record<string, string>;
  /** Every call received from the central system, oldest first. */
  readonly received: { method: string; params: any; at: number }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lastStatus: (ChargePointStatus | null)[] = [];
  private lastMeterAt: number[] = [];
  private lastHeartbeatAt = 0;
  private localTx = -1;
  /** Connectors whose StartTransaction answer has not been processed yet. */
  private readonly pending = new Set<number>();
  private connected = false;
  constructor(readonly o: TestChargerOptions) {
    const n = o.connectors ?? 2;
    this.model = new ChargerModel(
      { connectors: n, maxCurrentA: o.maxCurrentA ?? 32, reactionMs: o.reactionMs ?? 300, followsLimits: o.followsLimits ?? true },
      Date.now(),
    );
    this.config = {
      NumberOfConnectors: String(n),
      SupportedFeatureProfiles: o.smartCharging === false ? 'Core,RemoteTrigger' : 'Core,SmartCharging,RemoteTrigger',
      ChargingScheduleAllowedChargingRateUnit: 'Current',
      ConnectorPhaseRotation: '0.RST',
      HeartbeatInterval: '60',
      MeterValueSampleInterval: '10',
      MeterValuesSampledData: 'Energy.Active.Import.Register',
      ChargeProfileMaxStackLevel: '8',
    };
    this.lastStatus = Array(n).fill(null);
    this.lastMeterAt = Array(n).fill(0);
    this.link = chargePointClient({ endpoint: o.endpoint, identity: o.identity, password: o.password, ca: o.ca });
    this.installHandlers();
    this.link.on('open', () => {
      this.connected = true;
      this.boot().catch(() => undefined);
    });
    this.link.on('disconnect', () => {
      this.connected = false;
    });
  }

  private log(method: string, params: any) {
    this.received.push({ method, params, at: Date.now() });
    if (this.received.length > 2000) this.received.shift();
  }

  private installHandlers() {
    const L = this.link;
    L.handle('GetConfiguration', (req) => {
      this.log('GetConfiguration', req);
      const keys = req.key ?? Object.keys(this.config);
      return {
        configurationKey: keys
          .filter((k) => k in this.config)
          .map((k) => ({ key: k, readonly: !/Interval|SampledData/.test(k), value: this.config[k] })),
        unknownKey: keys.filter((k) => !(k in this.config)),
      };
    });
    L.handle('ChangeConfiguration', (req) => {
      this.log('ChangeConfiguration', req);
      if (req.key === 'MeterValuesSampledData' && this.o.rejectMeasurandList && req.value.includes(',')) return { status: 'Rejected' };
      if (!(req.key in this.config)) return { status: 'NotSupported' };
      if (/Interval$/.test(req.key) && !/^\d+$/.test(req.value)) return { status: 'Rejected' };
      this.config[req.key] = req.value;
      return { status: 'Accepted' };
    });
    L.handle('SetChargingProfile', (req) => {
      this.log('SetChargingProfile', req);
      if (this.o.smartCharging === false) return { status: 'NotSupported' };
      if (this.o.failTxProfiles && req.csChargingProfiles.chargingProfilePurpose === 'TxProfile') throw new Error('profile store busy');
      const tx = req.connectorId > 0 ? this.model.connectors[req.connectorId - 1]?.tx : null;
      const txId = req.csChargingProfiles.transactionId;
      if (tx && this.pending.has(req.connectorId) && txId !== undefined) tx.transactionId = txId;
      return { status: this.model.setProfile(req.connectorId, req.csChargingProfiles, Date.now()) };
    });
    L.handle('ClearChargingProfile', (req) => {
      this.log('ClearChargingProfile', req);
      const r = clearProfiles(this.model.profiles, req);
      this.model.profiles = r.profiles;
      return { status: r.cleared ? 'Accepted' : 'Unknown' };
    });
    L.handle('GetCompositeSchedule', (req) => {
      this.log('GetCompositeSchedule', req);
      if (this.o.smartCharging === false || req.connectorId < 1 || req.connectorId > this.model.connectors.length)
        return { status: 'Rejected' };
      const now = Date.now();
      const c = this.model.connector(req.connectorId);
      const periods = compositeSchedule(this.model.profiles, req.connectorId, now, req.duration, c.tx, this.model.o.maxCurrentA);
      return {
        status: 'Accepted',
        connectorId: req.connectorId,
        scheduleStart: iso(now),
        chargingSchedule: { duration: req.duration, startSchedule: iso(now), chargingRateUnit: 'A', chargingSchedulePeriod: periods },
      };
    });
    L.handle('TriggerMessage', (req) => {
      this.log('TriggerMessage', req);
      const ids = req.connectorId ? [req.connectorId] : this.model.connectors.map((c) => c.id);
      if (req.requestedMessage === 'StatusNotification')
        setImmediate(() => {
          for (const id of ids) this.sendStatus(id, true);
        });
      else if (req.requestedMessage === 'MeterValues')
        setImmediate(() => {
          for (const id of ids) this.sendMeter(id, Date.now());
        });
      else if (req.requestedMessage === 'Heartbeat')
        setImmediate(() => {
          this.link.call('Heartbeat', {}).catch(() => undefined);
        });
      else return { status: 'NotImplemented' };
      return { status: 'Accepted' };
    });
  }

  private async boot() {
    await this.link.call('BootNotification', {
      chargePointVendor: 'evdlm',
      chargePointModel: 'strict-test-charger',
      firmwareVersion: '1.0.0',
    });
    for (const c of this.model.connectors) this.sendStatus(c.id, true);
  }

  /** Connects (first time) and starts the model clock. */
  async start(): Promise<void> {
    this.timer = setInterval(() => this.tick(), this.o.tickMs ?? 100);
    try {
      await this.link.connect();
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  private sendStatus(id: number, force = false) {
    const s = this.model.status(id, Date.now());
    if (!force && this.lastStatus[id - 1] === s) return;
    this.lastStatus[id - 1] = s;
    if (!this.connected) return;
    this.link
      .call('StatusNotification', {
        connectorId: id,
        errorCode: 'NoError',
        status: s,
        timestamp: iso(Date.now() + (this.o.clockOffsetMs ?? 0)),
      })
      .catch(() => undefined);
  }

  private sendMeter(id: number, now: number) {
    const c = this.model.connector(id);
    this.lastMeterAt[id - 1] = now;
    if (!this.connected) return;
    const mv: MeterValue = {
      timestamp: iso(now),
      sampledValue: [
        ...(this.o.perPhase
          ? (['L1', 'L2', 'L3'] as const).map((phase, i) => ({
              value: (i < this.o.perPhase! ? c.drawnA : 0).toFixed(1),
              measurand: 'Current.Import' as const,
              phase,
              unit: 'A' as const,
              context: 'Sample.Periodic' as const,
            }))
          : [
              {
                value: c.drawnA.toFixed(1),
                measurand: 'Current.Import' as const,
                phase: this.o.phase ?? 'L1',
                unit: 'A' as const,
                context: 'Sample.Periodic' as const,
              },
            ]),
        { value: String(Math.round(c.registerWh)), measurand: 'Energy.Active.Import.Register', unit: 'Wh', context: 'Sample.Periodic' },
      ],
    };
    this.link
      .call('MeterValues', {
        connectorId: id,
        ...(c.tx && c.tx.transactionId > 0 ? { transactionId: c.tx.transactionId } : {}),
        meterValue: [mv],
      })
      .catch(() => undefined);
  }

  private tick() {
    const now = Date.now();
    this.model.advance(now);
    const sample = Number(this.config.MeterValueSampleInterval) * 1000;
    for (const c of this.model.connectors) {
      this.sendStatus(c.id);
      if (c.tx && sample > 0 && this.o.periodicMeter !== false && now - this.lastMeterAt[c.id - 1] >= sample) this.sendMeter(c.id, now);
    }
    const hb = Number(this.config.HeartbeatInterval) * 1000;
    if (this.connected && hb > 0 && now - this.lastHeartbeatAt >= hb) {
      this.lastHeartbeatAt = now;
      this.link.call('Heartbeat', {}).catch(() => undefined);
    }
  }

  /** A vehicle plugs in and (free vending) its transaction starts. */
  async plugIn(id: number, vehicleMaxA: number, idTag = 'TAG0001'): Promise<string | null> {
    const now = Date.now();
    this.model.plugIn(id, vehicleMaxA, idTag, now);
    this.sendStatus(id);
    // The transaction runs locally at once (a charger's own order of events); its id comes with
    // the answer — or with a TxProfile that arrives before the answer has been processed.
    this.model.started(id, this.localTx--, now);
    if (!this.connected) return null;
    this.pending.add(id);
    let status: string;
    const meterStart = this.model.connector(id).tx!.meterStartWh;
    try {
      const r = await this.link.call('StartTransaction', { connectorId: id, idTag, meterStart, timestamp: iso(now) });
      const tx = this.model.connector(id).tx;
      if (tx) tx.transactionId = r.transactionId;
      status = r.idTagInfo.status;
    } finally {
      this.pending.delete(id);
    }
    this.sendMeter(id, Date.now());
    return status;
  }

  async unplug(id: number): Promise<void> {
    const r = this.model.unplug(id, Date.now());
    this.sendStatus(id);
    if (r && r.transactionId > 0 && this.connected) {
      await this.link.call('StopTransaction', {
        transactionId: r.transactionId,
        meterStop: r.meterStopWh,
        timestamp: iso(Date.now()),
        reason: 'EVDisconnected',
      });
    }
  }

  /** Limit in force on a connector at `at` (default now), null = none. */
  limitA(id: number, at = Date.now()): number | null {
    return this.model.limitA(id, at);
  }

  drawnA(id: number): number {
    this.model.advance(Date.now());
    return this.model.connector(id).drawnA;
  }

  /** Drops the link (the model keeps running); `reconnect()` brings it back. */
  async disconnect(): Promise<void> {
    await this.link.close();
    this.connected = false;
  }

  async reconnect(): Promise<void> {
    await this.link.connect();
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.link.close();
  }
}
