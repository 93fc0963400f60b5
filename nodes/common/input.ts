/**
 * The one way our nodes take input (R-ERR-1, R-SEC-3): the message is checked by lib/guard
 * before any handler sees it, the handler runs after the node's start-up work (`ready`), and
 * whatever happens — a refusal, a throw, a rejected promise — ends in `done(err)` with a bounded
 * text that a Catch node receives. Nothing a message carries can become an unhandled rejection.
 */
import {
  boundedText,
  MAX_ERROR_TEXT,
  messageProblem,
  topicProblem,
  untrustedProblem,
  UNTRUSTED_LIMITS,
  type UntrustedLimits,
} from '../../lib/shared/guard';

import type { Done, NodeMessage, RedNode, Send } from './red';

export type { Done, Send } from './red';
export type InputHandler = (msg: NodeMessage, send: Send, done: Done) => void | Promise<void>;

export interface GuardOptions {
  /** Start-up work (restoring context) the handler must wait for. */
  ready?: Promise<unknown>;
  /** Message fields checked as untrusted values (default: payload). */
  fields?: readonly string[];
  /** Prefix of every error text, e.g. the node's kind. */
  prefix?: string;
  /** Bounds of those fields (default: lib/guard's UNTRUSTED_LIMITS). */
  limits?: UntrustedLimits;
}

/** Registers `handler` as the node's input handler behind the guard. */
export function onGuardedInput(node: Pick<RedNode, 'on'>, handler: InputHandler, opts: GuardOptions = {}): void {
  const prefix = opts.prefix ? `${opts.prefix}: ` : '';
  node.on('input', (msg: NodeMessage, send: Send, done: Done) => {
    let finished = false;
    const end: Done = (err) => {
      if (finished) return;
      finished = true;
      // Node-RED shows `String(err)` ("Error: …"): the whole text stays within MAX_ERROR_TEXT.
      if (err) done(new Error(boundedText(`${prefix}${String(err.message ?? err)}`, MAX_ERROR_TEXT - 'Error: '.length)));
      else done();
    };
    const bad = messageProblem(msg, opts.fields, opts.limits);
    if (bad) {
      // The refused value leaves the message before Node-RED copies it for Catch nodes: its deep
      // clone would overflow the stack on the very shapes the guard refuses, and R-SEC-3 says a
      // refusal echoes nothing back.
      stripUntrusted(msg, opts.fields ?? ['payload'], opts.limits);
      return end(new Error(bad));
    }
    const run = async () => {
      if (opts.ready) await opts.ready;
      await handler(msg, send, end);
    };
    run().catch((e: unknown) => end(new Error(`internal error: ${e instanceof Error ? e.message : 'unknown'}`)));
  });
}

/** Removes from a refused message the fields the guard refused (the topic too, if it was one). */
function stripUntrusted(msg: NodeMessage, fields: readonly string[], limits: UntrustedLimits = UNTRUSTED_LIMITS): void {
  if (msg === null || typeof msg !== 'object') return;
  if (topicProblem(msg.topic)) delete msg.topic;
  for (const f of fields) if (untrustedProblem(msg[f], f, limits)) delete msg[f];
}

/**
 * A node whose configuration cannot work (R-ERR-1): red status, one error with the reason, and
 * every message refused with it (through the guard, so a Catch node sees it). Nothing else runs.
 */
export function makeInert(node: RedNode, reason: string, statusText = 'invalid configuration'): void {
  node.status({ fill: 'red', shape: 'ring', text: statusText });
  node.error(reason);
  onGuardedInput(node, (_msg, _send, done) => done(new Error(reason)));
}
