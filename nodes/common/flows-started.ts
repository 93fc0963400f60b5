/**
 * Shared by the node modules (not a node itself: package.json does not register nodes/common).
 *
 * Start messages wait for Node-RED's 'flows:started' event: sent while the flow is still being
 * created they would reach no one (the wired nodes may not exist yet). Each node module keeps one
 * `FlowsStartedQueue` and calls `attach(RED)` in its module function, so there is one listener per
 * node type, not per node; a node queues its start action with `add` and drops it on close with
 * `delete`.
 */
import type { NodeRED } from './red';

type Events = NonNullable<NodeRED['events']>;

export class FlowsStartedQueue {
  private readonly waiting = new Set<() => void>();
  private hook: { events: Events; listener: () => void } | null = null;

  /** (Re-)subscribes to RED.events 'flows:started', replacing the listener of an earlier attach. */
  attach(RED: NodeRED): void {
    if (this.hook) this.hook.events.removeListener?.('flows:started', this.hook.listener);
    const listener = () => {
      for (const f of [...this.waiting]) {
        this.waiting.delete(f);
        f();
      }
    };
    if (!RED.events) return;
    RED.events.on('flows:started', listener);
    this.hook = { events: RED.events, listener };
  }

  /** Runs `f` once, at the next 'flows:started'. */
  add(f: () => void): void {
    this.waiting.add(f);
  }

  /** Forgets `f` if it has not run yet (a node closed before the flows started). */
  delete(f: () => void): void {
    this.waiting.delete(f);
  }
}
