/**
 * The first check of anything that arrives from outside — a message payload, an HTTP body, a
 * stored value, a device frame (SPEC R-SEC-3, R-ERR-1). It walks the value once, iteratively and
 * within fixed bounds, before any other code stringifies, copies or compares it, and refuses the
 * shapes that could stop Node-RED: deep nesting, huge values, circular references, BigInt,
 * functions and symbols, and keys that reach object prototypes. The reason it gives names the
 * problem and never quotes the input.
 */

/*
 * The walk's own bounds (UNTRUSTED_LIMITS, STATUS_LIMITS, MAX_ERROR_TEXT, TOPIC_MAX_LENGTH) live
 * here as named constants, the one exception to "every limit in lib/shared/params.ts": params.ts
 * uses this module (describeValue, UntrustedLimits), so this module cannot import params.ts
 * without a cycle. Every domain limit, including the bounds of stored values, is in params.ts
 * (test/lib/limits.test.ts checks that no other file writes one as a number).
 */

/** Bounds of an untrusted value. */
export interface UntrustedLimits {
  /** Deepest nesting of objects and arrays (the value itself is depth 0). */
  readonly maxDepth: number;
  /** Most values (objects, arrays and leaves) in the whole value. */
  readonly maxValues: number;
  /** Longest text, in UTF-16 code units, of any string or key. */
  readonly maxStringLength: number;
  /** Largest binary value (Buffer, typed array), in bytes. */
  readonly maxBytes: number;
}

/** The bounds every node applies to `msg.payload` (the contract's messages are far smaller). */
export const UNTRUSTED_LIMITS: UntrustedLimits = Object.freeze({
  maxDepth: 16,
  maxValues: 20000,
  maxStringLength: 10000,
  maxBytes: 65536,
});

/**
 * The bounds for the balancer's own `status` message on its way to dashboard widgets: a site of
 * thousands of plugs has a large status; depth, cycles and types are still checked.
 */
export const STATUS_LIMITS: UntrustedLimits = Object.freeze({
  maxDepth: 16,
  maxValues: 5_000_000,
  maxStringLength: 1_000_000,
  maxBytes: 65536,
});

/** Keys that reach or replace an object's prototype when copied or merged. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Longest error text a node or the API returns (R-SEC-3). */
export const MAX_ERROR_TEXT = 200;

/** Longest `msg.topic` accepted, characters. */
export const TOPIC_MAX_LENGTH = 64;

/**
 * Why an untrusted value cannot be accepted, or null when it stays within the bounds. `what`
 * names the value in the reason ("payload", "body"). Never throws, whatever `x` is (a Proxy that
 * throws on access is reported as unreadable).
 */
export function untrustedProblem(x: unknown, what = 'payload', limits: UntrustedLimits = UNTRUSTED_LIMITS): string | null {
  try {
    return walk(x, what, limits);
  } catch {
    return `${what} cannot be read`;
  }
}

type Frame = { v: unknown; depth: number; exit?: object };

function walk(root: unknown, what: string, limits: UntrustedLimits): string | null {
  // Depth-first with explicit exit markers, so `onPath` holds exactly the objects between the
  // root and the value being looked at: an object met again on its own path is a cycle; one
  // shared by two branches is walked twice and counts twice towards `maxValues`.
  const stack: Frame[] = [{ v: root, depth: 0 }];
  const onPath = new Set<object>();
  let count = 0;
  while (stack.length) {
    const { v, depth, exit } = stack.pop() as Frame;
    if (exit) {
      onPath.delete(exit);
      continue;
    }
    if (++count > limits.maxValues) return `${what} is too large (more than ${limits.maxValues} values)`;
    const leaf = leafProblem(v, what, limits);
    if (leaf !== undefined) {
      if (leaf) return leaf;
      continue;
    }
    const o = v as object;
    if (onPath.has(o)) return `${what} has a circular reference`;
    if (depth >= limits.maxDepth) return `${what} is nested deeper than ${limits.maxDepth} levels`;
    onPath.add(o);
    stack.push({ v: undefined, depth, exit: o });
    const inner = pushChildren(o, depth, stack, what, limits);
    if (inner) return inner;
  }
  return null;
}

/**
 * A value that is not a container: its problem (a string), null when it is fine, or undefined
 * for an object or array whose children must be walked.
 */
function leafProblem(v: unknown, what: string, limits: UntrustedLimits): string | null | undefined {
  switch (typeof v) {
    case 'string':
      return v.length > limits.maxStringLength ? `${what} holds a text longer than ${limits.maxStringLength} characters` : null;
    case 'number':
    case 'boolean':
    case 'undefined':
      return null;
    case 'bigint':
      return `${what} holds a BigInt; use a number`;
    case 'function':
      return `${what} holds a function`;
    case 'symbol':
      return `${what} holds a symbol`;
    default:
      break;
  }
  if (v === null || v instanceof Date) return null;
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
    return (v as ArrayBuffer).byteLength > limits.maxBytes ? `${what} holds binary data over ${limits.maxBytes} bytes` : null;
  }
  if (v instanceof Map || v instanceof Set || v instanceof Promise || v instanceof WeakMap || v instanceof WeakSet) {
    return `${what} holds a ${(v as object).constructor.name}; use plain objects and arrays`;
  }
  return undefined;
}

/** Pushes the children of an array or object, checking its size and keys; returns a problem or null. */
function pushChildren(o: object, depth: number, stack: Frame[], what: string, limits: UntrustedLimits): string | null {
  if (Array.isArray(o)) {
    if (o.length > limits.maxValues) return `${what} is too large (more than ${limits.maxValues} values)`;
    for (let i = o.length - 1; i >= 0; i--) stack.push({ v: o[i], depth: depth + 1 });
    return null;
  }
  const keys = Object.keys(o);
  if (keys.length > limits.maxValues) return `${what} is too large (more than ${limits.maxValues} values)`;
  if (Object.getOwnPropertySymbols(o).length) return `${what} holds a symbol key`;
  for (const k of keys) {
    if (FORBIDDEN_KEYS.has(k)) return `${what} has a forbidden key (__proto__, constructor or prototype)`;
    if (k.length > limits.maxStringLength) return `${what} holds a key longer than ${limits.maxStringLength} characters`;
    stack.push({ v: (o as Record<string, unknown>)[k], depth: depth + 1 });
  }
  return null;
}

/**
 * A topic checked before use: absent, or a short text. Returns the problem (without quoting the
 * topic), or null.
 */
export function topicProblem(topic: unknown): string | null {
  if (topic === undefined || topic === null) return null;
  if (typeof topic !== 'string') return 'msg.topic must be text';
  if (topic.length > TOPIC_MAX_LENGTH) return `msg.topic is longer than ${TOPIC_MAX_LENGTH} characters`;
  return null;
}

/** An error text cut to `MAX_ERROR_TEXT` characters (R-SEC-3). */
export function boundedText(text: string, max = MAX_ERROR_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * A short, safe description of a value for an error text: its type and, for a short plain
 * number or word, the value itself. Never more than 40 characters and never markup.
 */
export function describeValue(x: unknown): string {
  if (x === undefined) return 'undefined';
  if (x === null) return 'null';
  if (typeof x === 'number') return Number.isFinite(x) ? String(x).slice(0, 24) : String(x);
  if (typeof x === 'boolean') return String(x);
  if (typeof x === 'string') return /^[A-Za-z0-9 ._:/-]{0,24}$/.test(x) ? JSON.stringify(x) : `a text of ${x.length} characters`;
  if (Array.isArray(x)) return 'an array';
  return `a ${typeof x}`;
}

/**
 * The problem of an incoming Node-RED message, or null: its topic (short text or absent) and
 * each of `fields` (untrusted values, `payload` by default). Every node calls this first.
 */
export function messageProblem(
  msg: unknown,
  fields: readonly string[] = ['payload'],
  limits: UntrustedLimits = UNTRUSTED_LIMITS,
): string | null {
  if (msg === null || typeof msg !== 'object') return 'the message is not an object';
  const m = msg as Record<string, unknown>;
  const t = topicProblem(m.topic);
  if (t) return t;
  for (const f of fields) {
    const p = untrustedProblem(m[f], `msg.${f}`, limits);
    if (p) return p;
  }
  return null;
}

/** C0/C1 control characters and the Unicode line/paragraph separators, refused in names and texts. */
// eslint-disable-next-line no-control-regex -- the point of this pattern is to find control characters
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
