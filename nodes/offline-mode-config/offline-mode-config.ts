/**
 * offline-mode-config: a config node holding what a charge point does when it stops hearing
 * from the balancer (R-OFF-1): heartbeat interval, work mode 0..3, offline current. Charge
 * points reference it and read `.config`; the runtime validates it again (the editor's checks
 * can be bypassed by an imported flow).
 */
import { offlineFromEditor } from '../../lib/chargepoint/config';
import type { NodeConfig, NodeRED, RedNode } from '../common/red';

export = function (RED: NodeRED) {
  function OfflineModeConfigNode(this: RedNode, n: NodeConfig) {
    RED.nodes.createNode(this, n);
    const node = this;
    node.name = n.name;
    const r = offlineFromEditor({ heartbeatS: n.heartbeatS, mode: n.mode, currentA: n.currentA });
    /** The valid configuration, or null when the editor fields are invalid (see `.errors`). */
    node.config = r.ok ? Object.freeze(r.config) : null;
    node.errors = r.ok ? [] : r.errors;
    if (!r.ok) node.error(`invalid offline configuration: ${r.errors.join('; ')}`);
  }
  RED.nodes.registerType('offline-mode-config', OfflineModeConfigNode);
};
