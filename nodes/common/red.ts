/**
 * The part of Node-RED's runtime API our nodes use, typed once (Node-RED ships no types for it):
 * the RED object a node module receives, a node, its messages, its context, its status. The nodes
 * import these instead of `any`, so what they call on Node-RED is checked by the compiler.
 */

/** A message as it arrives at a node: every field is untrusted until lib/shared/guard checks it. */
export interface NodeMessage {
  topic?: unknown;
  payload?: unknown;
  [field: string]: unknown;
}

/** Node-RED's `send` (one message, or one per output) and `done` (an error reaches Catch nodes). */
export type Send = (msgs: unknown) => void;
export type Done = (err?: Error) => void;

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

/** A node's context store (R-ERR-2): asynchronous get/set through the configured store. */
export interface NodeContext {
  get(key: string, cb: (err: unknown, value: unknown) => void): void;
  set(key: string, value: unknown, cb?: (err: unknown) => void): void;
}

/** A node as our constructors use it (`this` after RED.nodes.createNode). */
export interface RedNode {
  id: string;
  name?: string;
  on(event: 'input', handler: (msg: NodeMessage, send: Send, done: Done) => void): void;
  on(event: 'close', handler: (removed: boolean, done: () => void) => void): void;
  send(msgs: unknown): void;
  receive(msg: NodeMessage): void;
  status(status: NodeStatus): void;
  log(text: string): void;
  warn(text: string): void;
  error(err: unknown, msg?: unknown): void;
  context(): NodeContext;
  /** Fields our constructors add (e.g. a config node's parsed configuration). */
  [field: string]: unknown;
}

/** The editor configuration of a node: what the .html form stored, untrusted until parsed. */
export type NodeConfig = Record<string, unknown> & { id?: string; name?: string; type?: string };

/** The RED object a node module is called with. */
export interface NodeRED {
  nodes: {
    createNode(node: RedNode, config: NodeConfig): void;
    registerType(type: string, ctor: (this: RedNode, config: NodeConfig) => void, opts?: unknown): void;
    getNode(id: string): RedNode | null;
  };
  settings: Record<string, unknown>;
  events?: {
    on(event: string, fn: () => void): void;
    off?(event: string, fn: () => void): void;
    removeListener?(event: string, fn: () => void): void;
  };
  log?: { info(text: string): void; warn(text: string): void; error(text: string): void };
  require?: (module: string) => unknown;
  [field: string]: unknown;
}
