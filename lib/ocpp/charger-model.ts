/**
 * The strict test charger's brain (issue 12): an OCPP 1.6 charge point with 1–2 connectors, its
 * installed charging profiles (lib/ocpp/composite.ts, our own §3.13 evaluator), transactions, and
 * a vehicle per connector that draws min(composite limit, vehicle maximum, charger maximum) after
 * a reaction delay. A disobedient charger ignores the limits. Pure, in virtual time: every method
 * takes `now` (ms epoch); the I/O shell is tools/ocpp-charger.ts.
 */
import type { ChargePointStatus } from './messages';
import { compositeLimitAt, endTransaction, installProfile, type ConnectorTransaction, type InstalledProfile } from './composite';
import type { ChargingProfile } from './messages';

export interface ChargerModelOptions {
  connectors: number;
  /** Largest current the charger offers, A. */
  maxCurrentA: number;
  /** The vehicle follows a new limit this long after it is offered, ms. */
  reactionMs: number;
  /** false = draws the vehicle's maximum whatever the profiles say ("does not follow limits"). */
  followsLimits: boolean;
}

export interface ConnectorModel {
  id: number;
  vehicleMaxA: number | null;
  idTag: string;
  tx: (ConnectorTransaction & { meterStartWh: number }) | null;
  /** Offered-limit changes, oldest first: [time, limit A]. */
  offered: [number, number][];
  drawnA: number;
  /** Energy register, Wh. */
  registerWh: number;
}

export class ChargerModel {
  profiles: InstalledProfile[] = [];
  connectors: ConnectorModel[];
  t: number;
  constructor(
    readonly o: ChargerModelOptions,
    now: number,
  ) {
    this.connectors = Array.from({ length: o.connectors }, (_, i) => ({
      id: i + 1,
      vehicleMaxA: null,
      idTag: '',
      tx: null,
      offered: [[now, 0]],
      drawnA: 0,
      registerWh: 1000 * (i + 1),
    }));
    this.t = now;
  }

  connector(id: number): ConnectorModel {
    const c = this.connectors[id - 1];
    if (!c) throw new Error(`no connector ${id}`);
    return c;
  }

  /** The composite limit on a connector at `at` (null = none: the charger's maximum applies). */
  limitA(id: number, at: number): number | null {
    const c = this.connector(id);
    return compositeLimitAt(this.profiles, id, at, c.tx);
  }

  /** What the charger offers the vehicle at `at`, A. */
  offerA(id: number, at: number): number {
    const c = this.connector(id);
    if (!c.tx || c.vehicleMaxA === null) return 0;
    if (!this.o.followsLimits) return this.o.maxCurrentA;
    const l = this.limitA(id, at);
    return Math.min(l ?? this.o.maxCurrentA, this.o.maxCurrentA);
  }

  /** Moves to `now`: energy accrues at the draw so far; offers and draws follow. */
  advance(now: number): void {
    if (now < this.t) return;
    const dtH = (now - this.t) / 3600e3;
    for (const c of this.connectors) {
      c.registerWh += c.drawnA * 230 * dtH;
      const offer = this.offerA(c.id, now);
      if (c.offered[c.offered.length - 1][1] !== offer) c.offered.push([now, offer]);
      // The vehicle follows what was offered one reaction delay ago.
      let seen = 0;
      for (const [at, v] of c.offered) if (at <= now - this.o.reactionMs) seen = v;
      while (c.offered.length > 1 && c.offered[1][0] <= now - this.o.reactionMs) c.offered.shift();
      c.drawnA = c.vehicleMaxA === null ? 0 : Math.min(seen, c.vehicleMaxA);
    }
    this.t = now;
  }

  plugIn(id: number, vehicleMaxA: number, idTag: string, now: number): void {
    this.advance(now);
    const c = this.connector(id);
    c.vehicleMaxA = vehicleMaxA;
    c.idTag = idTag;
  }

  /** The central system accepted the transaction. */
  started(id: number, transactionId: number, now: number): void {
    const c = this.connector(id);
    c.tx = { transactionId, startedAt: now, meterStartWh: Math.round(c.registerWh) };
    this.advance(now);
  }

  unplug(id: number, now: number): { transactionId: number; meterStopWh: number } | null {
    this.advance(now);
    const c = this.connector(id);
    const tx = c.tx;
    c.vehicleMaxA = null;
    c.tx = null;
    c.drawnA = 0;
    c.offered = [[now, 0]];
    this.profiles = endTransaction(this.profiles, id);
    return tx ? { transactionId: tx.transactionId, meterStopWh: Math.round(c.registerWh) } : null;
  }

  setProfile(connectorId: number, p: ChargingProfile, now: number): 'Accepted' | 'Rejected' {
    this.advance(now);
    const tx = connectorId > 0 ? (this.connectors[connectorId - 1]?.tx ?? null) : null;
    const r = installProfile(this.profiles, connectorId, p, this.o.connectors, tx);
    this.profiles = r.profiles;
    this.advance(now);
    return r.status;
  }

  /** OCPP status of a connector. */
  status(id: number, now: number): ChargePointStatus {
    const c = this.connector(id);
    if (c.vehicleMaxA === null) return 'Available';
    if (!c.tx) return 'Preparing';
    if (c.drawnA > 0) return 'Charging';
    return this.offerA(id, now) > 0 ? 'SuspendedEV' : 'SuspendedEVSE';
  }
}
