/**
 * Direct status delivery (issue 13). A dashboard widget that names its balancer (the `balancer`
 * property, as a charge point names it for its setpoints) joins here; the balancer hands each
 * status it makes (at most once per second) to every widget joined to it — the same object, no
 * wire, no message clone per widget, no re-check: it is this runtime's own balancer's status.
 * Widgets must treat it as read-only (the dashboard's view functions do). Wired widgets keep
 * working through output 2. One registry per Node-RED runtime (this module is loaded once).
 */
import type { StatusMessage } from '../../lib/shared/types';

export type StatusHandler = (status: StatusMessage) => void;

interface Channel {
  members: Set<StatusHandler>;
  last: StatusMessage | null;
}

const bus = new Map<string, Channel>();

function channel(balancerId: string): Channel {
  let c = bus.get(balancerId);
  if (!c) bus.set(balancerId, (c = { members: new Set(), last: null }));
  return c;
}

/**
 * Registers `handler` for the statuses of balancer `balancerId`; it gets the last one at once when
 * there is one (a widget redeployed alone shows the site without waiting). Returns the function that
 * leaves again.
 */
export function joinStatus(balancerId: string, handler: StatusHandler): () => void {
  const c = channel(balancerId);
  c.members.add(handler);
  if (c.last) handler(c.last);
  return () => {
    c.members.delete(handler);
  };
}

/** Widgets joined to balancer `balancerId`. */
export function statusMembers(balancerId: string): number {
  return bus.get(balancerId)?.members.size ?? 0;
}

/** Hands `status` to every widget joined to balancer `balancerId` (a failing widget does not stop the others). */
export function publishStatus(balancerId: string, status: StatusMessage, onError: (e: unknown) => void): void {
  const c = channel(balancerId);
  c.last = status;
  for (const h of [...c.members]) {
    try {
      h(status);
    } catch (e) {
      onError(e);
    }
  }
}

/** The balancer stops: its last status is forgotten (joined widgets stay joined for its successor). */
export function forgetStatus(balancerId: string): void {
  const c = bus.get(balancerId);
  if (!c) return;
  c.last = null;
  if (c.members.size === 0) bus.delete(balancerId);
}
