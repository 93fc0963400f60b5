/**
 * Shared support for node tests on node-red-node-test-helper: a recorder node that keeps every
 * message it receives, waiting for the next one, and loading/restarting a flow with a real
 * localfilesystem context store (R-ERR-2 tests).
 */

export const helper: any = require('node-red-node-test-helper');

/**
 * The Node-RED runtime the node tests run on: Node-RED 4.1 by default; `DLM_NODE_RED=node-red-5`
 * (the npm alias of node-red@5 in devDependencies, run under Node 22) checks Node-RED 5.
 */
export const NODE_RED_PATH: string = require.resolve(process.env.DLM_NODE_RED || 'node-red');
helper.init(NODE_RED_PATH);

/** A core node module (e.g. 'core/common/25-catch.js') of the Node-RED under test. */
export function coreNode(rel: string): unknown {
  return require(require.resolve(`@node-red/nodes/${rel}`, { paths: [require('path').dirname(NODE_RED_PATH)] }));
}

const realSetTimeout = global.setTimeout;
const realClearTimeout = global.clearTimeout;

const inbox: Record<string, any[]> = {};
const waiters: Record<string, (() => void)[]> = {};

/** Test sink node type `recorder`: records every message it receives. */
export function recorderNode(RED: any) {
  RED.nodes.registerType('recorder', function (this: any, n: any) {
    RED.nodes.createNode(this, n);
    this.on('input', (msg: any, _send: any, done: () => void) => {
      (inbox[n.id] ||= []).push(msg);
      (waiters[n.id] || []).splice(0).forEach((w) => w());
      done();
    });
  });
}

/** The next unread message of recorder `id`, waiting up to `ms` of real time. */
export async function next(id: string, ms = 3000): Promise<any> {
  const box = (inbox[id] ||= []);
  if (box.length) return box.shift();
  await new Promise<void>((resolve, reject) => {
    const t = realSetTimeout(() => reject(new Error(`no message at ${id} within ${ms} ms`)), ms);
    (waiters[id] ||= []).push(() => {
      realClearTimeout(t);
      resolve();
    });
  });
  return box.shift();
}

/** The next message of recorder `id` that satisfies `pred` (others are dropped). */
export async function nextWhere(id: string, pred: (m: any) => boolean, ms = 5000): Promise<any> {
  const until = Date.now() + ms;
  for (;;) {
    const left = until - Date.now();
    if (left <= 0) throw new Error(`no matching message at ${id} within ${ms} ms`);
    const m = await next(id, left);
    if (pred(m)) return m;
  }
}

/** Messages waiting at recorder `id`. */
export const pending = (id: string): number => (inbox[id] || []).length;
/** The messages waiting at recorder `id`, oldest first, left unread (a copy). */
export const peek = (id: string): any[] => (inbox[id] || []).slice();
/** Drops everything recorded. */
export function clearInbox(): void {
  for (const k of Object.keys(inbox)) delete inbox[k];
  for (const k of Object.keys(waiters)) delete waiters[k];
}
/**
 * The usual afterEach of a node test: uninstall the fake clock if any, unload the flow, forget the
 * test's settings (e.g. a context store) and everything recorded.
 */
export async function resetFlow(clock?: { uninstall(): void } | null): Promise<void> {
  if (clock) clock.uninstall();
  await helper.unload();
  helper.settings({});
  clearInbox();
}
/** Drops what recorder `id` has so far. */
export function drain(id: string): any[] {
  return (inbox[id] ||= []).splice(0);
}

export const sleep = (ms: number) => new Promise((r) => realSetTimeout(r, ms));

/** Loads the flow with a localfilesystem context store in `dir`, opened before the flows start as Node-RED does. */
export async function loadWithStore(nodes: unknown[], flow: unknown[], dir: string): Promise<void> {
  helper.settings({ contextStorage: { default: { module: 'localfilesystem', config: { dir } } } });
  // node-red-node-test-helper skips the runtime's context plugin loading; do it before the flows start.
  await helper.load([...nodes, () => helper._context.load()], flow);
}

/** A Node-RED restart: stop the flows, flush and drop the context store, start a fresh runtime on the same directory. */
export async function restartWithStore(nodes: unknown[], flow: unknown[], dir: string): Promise<void> {
  await helper._redNodes.stopFlows();
  await helper._context.close();
  helper._context.init(helper._settings);
  await helper.unload();
  clearInbox();
  await loadWithStore(nodes, flow, dir);
}

/** Stops the flows and closes the store so the next test starts clean. */
export async function closeStore(): Promise<void> {
  await helper._redNodes.stopFlows();
  await helper._context.close();
  helper._context.init(helper._settings);
}
