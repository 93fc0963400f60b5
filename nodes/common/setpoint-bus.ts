/**
 * Direct setpoint delivery (issue 13). A charge-point node that names its balancer (the
 * `balancer` property, like a link-out node names its link-in) joins here under its charge-point
 * name; the balancer hands every setpoint to the one charge point it is for — O(1) per setpoint,
 * no wire, no message clone per charge point. Setpoints for charge points that have not joined
 * still leave on the balancer's output 1, so wired flows keep working. One registry per Node-RED
 * runtime (this module is loaded once by both node types).
 */
import type { SetpointMessage } from '../../lib/shared/types';

export type SetpointHandler = (sp: SetpointMessage) => void;

const bus = new Map<string, Map<string, SetpointHandler>>();

/**
 * Registers `handler` for setpoints of balancer `balancerId` to charge point `name`. Returns the
 * function that leaves again, or null when another node already joined under that name.
 */
export function joinSetpoints(balancerId: string, name: string, handler: SetpointHandler): (() => void) | null {
  let members = bus.get(balancerId);
  if (!members) bus.set(balancerId, (members = new Map()));
  if (members.has(name)) return null;
  members.set(name, handler);
  return () => {
    if (members.get(name) !== handler) return;
    members.delete(name);
    if (members.size === 0 && bus.get(balancerId) === members) bus.delete(balancerId);
  };
}

/** The handler of charge point `name` joined to balancer `balancerId`, if any. */
export function setpointHandlerOf(balancerId: string, name: string): SetpointHandler | undefined {
  return bus.get(balancerId)?.get(name);
}
