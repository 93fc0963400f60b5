/**
 * charge-point: one device between the balancer and the charger (SPEC §2, §7).
 * Input topics: `device` (DeviceReport) → output 1 `plug`; `setpoint` (SetpointMessage) →
 * output 2 `command`; `plate` ({letter, plate}) → output 1 `plug`. A heartbeat timer marks the
 * device OFFLINE when it has not reported for its heartbeat interval (R-OFF-3). Plates persist in
 * node context (R-ERR-2). All rules live in lib/chargepoint; this file is the Node-RED shell.
 */
import type { ChargePointConfig, DeviceReport, OfflineConfig, PlugLetter } from '../../lib/shared/types';
import { DEFAULT_OFFLINE } from '../../lib/shared/params';
import {
  applyDeviceReport,
  ChargePointNodeState,
  isOnline,
  markOffline,
  offlineAt,
  offlinePushCommand,
  parsePlateInput,
  setPlate,
  setpointToCommand,
  statusText,
  toPlugMessage,
  validateDeviceReport,
} from '../../lib/chargepoint/device';
import { configFromEditor, configProblems } from '../../lib/chargepoint/config';
import { initialChargePointState } from '../../lib/chargepoint/device';
import { FlowsStartedQueue } from '../common/flows-started';
import { joinSetpoints } from '../common/setpoint-bus';
import { makeInert, onGuardedInput, type Done, type Send } from '../common/input';
import { describeValue } from '../../lib/shared/guard';
import type { NodeConfig, NodeRED, NodeStatus, RedNode } from '../common/red';

/** An offline-mode-config node as charge points read it (nodes/offline-mode-config). */
type OfflineConfigNode = RedNode & { config: OfflineConfig | null; errors?: string[] };

/** Context key of the persisted plates. */
const PLATES_KEY = 'dlmPlates';

/** Start messages wait for 'flows:started' (see nodes/common/flows-started); one listener per node type. */
const awaitingStart = new FlowsStartedQueue();

export = function (RED: NodeRED) {
  awaitingStart.attach(RED);
  function ChargePointNode(this: RedNode, n: NodeConfig) {
    RED.nodes.createNode(this, n);
    const node = this;

    // Offline configuration: the referenced config node, or the manual's defaults when none.
    let offline: OfflineConfig | null = { ...DEFAULT_OFFLINE };
    const errors: string[] = [];
    if (n.offline) {
      const cfgNode = RED.nodes.getNode(String(n.offline)) as OfflineConfigNode | null;
      if (!cfgNode) {
        offline = null;
        errors.push('the referenced offline-mode-config node does not exist');
      } else if (!cfgNode.config) {
        offline = null;
        errors.push(`the referenced offline-mode-config is invalid: ${(cfgNode.errors || []).join('; ')}`);
      } else {
        offline = { ...cfgNode.config };
      }
    }
    let config: ChargePointConfig | null = null;
    if (offline) {
      const built = configFromEditor(n, offline);
      if (built.ok) config = built.config;
      else errors.push(...built.errors);
    }
    if (!config) return makeInert(node, `invalid configuration: ${errors.join('; ')}`);
    const cfg: ChargePointConfig = config;
    node.chargePoint = cfg;

    let state: ChargePointNodeState = initialChargePointState(cfg);
    let lastCommand: Partial<Record<PlugLetter, number>> = {};
    let heartbeat: NodeJS.Timeout | null = null;
    let closed = false;
    let lastBadge = '';

    /** Sets the node status when it changed (Node-RED publishes every call to the editor). */
    function showStatus() {
      const text = statusText(cfg, state, lastCommand);
      let fill: NodeStatus['fill'] = 'green';
      let shape: NodeStatus['shape'] = 'dot';
      if (!cfg.enabled) {
        fill = 'grey';
        shape = 'ring';
      } else if (configProblems(cfg).length) {
        fill = 'yellow';
        shape = 'ring';
      } else if (!state.online) {
        fill = state.lastReportAt === null ? 'grey' : 'red';
        shape = 'ring';
      } else if (/fault/.test(text)) {
        fill = 'red';
      }
      const key = `${fill}|${shape}|${text}`;
      if (key === lastBadge) return;
      lastBadge = key;
      node.status({ fill, shape, text });
    }

    function plugMsg(now: number) {
      return { topic: 'plug', payload: toPlugMessage(cfg, state, now) };
    }

    /** Re-arms the heartbeat watchdog for the last report (R-OFF-3). */
    function armHeartbeat() {
      if (heartbeat) clearTimeout(heartbeat);
      heartbeat = null;
      const at = offlineAt(state.lastReportAt, cfg.offline.heartbeatS);
      if (at === null || closed) return;
      heartbeat = setTimeout(
        () => {
          heartbeat = null;
          const now = Date.now();
          if (!state.online) return;
          if (isOnline(state.lastReportAt, cfg.offline.heartbeatS, now)) {
            armHeartbeat(); // the clock was set back; wait for the real expiry
            return;
          }
          state = markOffline(state);
          showStatus();
          node.send([plugMsg(now), null]);
        },
        Math.max(0, at - Date.now()),
      );
    }

    function persistPlates() {
      node.context().set(PLATES_KEY, state.plates, (err: unknown) => {
        if (err) node.warn(`could not store the plates in context: ${String(err)}`);
      });
    }

    // Restore the plates (R-ERR-2), then tell the balancer this charge point exists: offline
    // until the device's first report, pilot A, so the balancer reserves what the device's
    // offline mode may draw (R-OFF-3) rather than assume it idle.
    const ready = new Promise<void>((resolve) => {
      node.context().get(PLATES_KEY, (err: unknown, saved: unknown) => {
        if (err) node.warn(`could not read the stored plates: ${String(err)}`);
        state = initialChargePointState(cfg, err ? undefined : saved);
        resolve();
      });
    });
    const announce = () => {
      ready.then(() => {
        if (closed) return;
        showStatus();
        node.send([plugMsg(Date.now()), null]);
      });
    };
    awaitingStart.add(announce);

    function onDevice(payload: unknown, send: Send, done: Done) {
      const errs = validateDeviceReport(cfg, payload);
      if (errs.length) return done(new Error(`${cfg.name}: bad device report: ${errs.join('; ')}`));
      const now = Date.now();
      const r = applyDeviceReport(state, payload as DeviceReport, now);
      state = r.state;
      armHeartbeat();
      showStatus();
      // First report after start or after a heartbeat loss: re-push the offline configuration (R-OFF-2).
      send([plugMsg(now), r.reconnected ? { topic: 'command', payload: offlinePushCommand(cfg, now) } : null]);
      done();
    }

    function onSetpoint(payload: unknown, send: Send, done: Done) {
      const now = Date.now();
      const r = setpointToCommand(cfg, payload, now);
      if (r.kind === 'ignored') return done();
      if (r.kind === 'error') return done(new Error(`${cfg.name}: ${r.error}`));
      lastCommand = { ...lastCommand, ...r.command.plugs };
      showStatus();
      send([null, { topic: 'command', payload: r.command }]);
      done();
    }

    function onPlate(payload: unknown, send: Send, done: Done) {
      const r = parsePlateInput(cfg, payload);
      if (!r.ok) return done(new Error(`${cfg.name}: ${r.error}`));
      state = setPlate(state, r.letter, r.plate);
      persistPlates();
      send([plugMsg(Date.now()), null]);
      done();
    }

    // Issue 13: joined to its balancer, setpoints arrive directly (no wire from the balancer).
    let leaveBalancer: (() => void) | null = null;
    if (typeof n.balancer === 'string' && n.balancer !== '') {
      leaveBalancer = joinSetpoints(n.balancer, cfg.name, (sp) => {
        ready.then(() => {
          if (closed) return;
          onSetpoint(
            sp,
            (msgs) => node.send(msgs),
            (err?: Error) => err && node.error(err),
          );
        });
      });
      if (!leaveBalancer)
        node.error(
          `${cfg.name}: another charge-point node with this name is already joined to the same balancer; this one takes setpoints from its input only`,
        );
    }

    // R-SEC-3: the guard checks every message before any handler reads it.
    onGuardedInput(
      node,
      (msg, send, done) => {
        // One transport node may serve many devices (ocpp-central): a device report or plate
        // carrying another charge point's address is not for this node (ignored, no error).
        if ((msg.topic === 'device' || msg.topic === 'plate') && typeof msg.address === 'string' && msg.address !== cfg.address)
          return done();
        switch (msg.topic) {
          case 'device':
            return onDevice(msg.payload, send, done);
          case 'setpoint':
            return onSetpoint(msg.payload, send, done);
          case 'plate':
            return onPlate(msg.payload, send, done);
          default:
            return done(new Error(`${cfg.name}: unknown topic ${describeValue(msg.topic)}; expected "device", "setpoint" or "plate"`));
        }
      },
      { ready },
    );

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      leaveBalancer?.();
      awaitingStart.delete(announce);
      if (heartbeat) clearTimeout(heartbeat);
      heartbeat = null;
      done();
    });
  }
  RED.nodes.registerType('charge-point', ChargePointNode);
};
