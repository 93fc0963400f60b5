/**
 * Test support for ocpp-central (issue 12): a flow with an ocpp-central node, charge-point nodes
 * (address = identity) with their offline-mode-config, and recorders `dev`, `events`, `plug`.
 */
import { sleep, recorderNode } from './nr';
import type { OfflineMode } from '../../lib/shared/types';

const centralNode = require('../../nodes/ocpp-central/ocpp-central');
const chargePointNode = require('../../nodes/charge-point/charge-point');
const offlineNode = require('../../nodes/offline-mode-config/offline-mode-config');
export const NODES = [centralNode, chargePointNode, offlineNode, recorderNode];

export const PASSWORD = 'correct-horse-battery';

export interface Cp {
  name: string;
  mode: OfflineMode;
  heartbeatS?: number;
}

export function flow(port: number, cps: Cp[], extra: Record<string, unknown> = {}) {
  const nodes: any[] = [
    { id: 'f1', type: 'tab', label: 'ocpp' },
    {
      id: 'central',
      z: 'f1',
      type: 'ocpp-central',
      host: '127.0.0.1',
      port,
      path: 'ocpp',
      reactionDelayS: 1,
      chargers: cps.map((c) => ({ identity: c.name, plugs: 2, plateFromIdTag: true })),
      wires: [[...cps.map((c) => `cp-${c.name}`), 'dev'], ['events']],
      ...extra,
    },
    { id: 'dev', z: 'f1', type: 'recorder' },
    { id: 'events', z: 'f1', type: 'recorder' },
    { id: 'plug', z: 'f1', type: 'recorder' },
  ];
  for (const c of cps) {
    nodes.push({
      id: `cp-${c.name}`,
      z: 'f1',
      type: 'charge-point',
      name: c.name,
      index: '',
      address: c.name,
      plugCount: 2,
      phaseA: 'L1',
      phaseB: 'L2',
      priorityA: false,
      priorityB: false,
      maxCurrentA: 32,
      maxCurrentB: 32,
      enabled: true,
      offline: `oc-${c.name}`,
      wires: [['plug'], ['central']],
    });
    nodes.push({ id: `oc-${c.name}`, type: 'offline-mode-config', heartbeatS: c.heartbeatS ?? 10, mode: c.mode, currentA: 8 });
  }
  return nodes;
}
export const creds = (cps: Cp[]) => ({ central: { passwords: JSON.stringify(Object.fromEntries(cps.map((c) => [c.name, PASSWORD]))) } });

export async function until<T>(what: string, probe: () => T | undefined | null | false, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== null && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export const setpoint = (name: string, plugs: Record<string, number>) => ({
  topic: 'setpoint',
  payload: { chargePoint: name, plugs, timestamp: Date.now() },
});
