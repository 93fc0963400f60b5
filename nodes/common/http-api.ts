/**
 * The package's HTTP API on Node-RED's admin server (SPEC R-SEC-1, R-SEC-3; issue 9 items 2, 3, 9).
 * Shared by the node modules (not a node itself).
 *
 * Routes (under httpAdminRoot; docs/messages.md "HTTP API"):
 *   GET  /dlm/status            dlm.read    the balancer's status message
 *   GET  /dlm/transactions      dlm.read    closed + open sessions, JSON
 *   GET  /dlm/transactions.csv  dlm.read    the same as CSV
 *   POST /dlm/plate             dlm.write   {plugId, plate}       → the balancer, as a `plate` message
 *   POST /dlm/params            dlm.write   {<parameter>: value}  → the balancer, as a `params` message
 *   POST /dlm/schedule          dlm.write   {enabled?, slots?, timeZone?} → the priority-schedule node
 *
 * Because the routes sit on `RED.httpAdmin` behind `RED.auth.needsPermission`, a Node-RED with
 * `adminAuth` protects them like the editor: a Bearer token from /auth/token (no cookie, so another
 * web site cannot drive them). POST bodies must be `application/json` (415 otherwise: no form
 * "simple requests"), at most MAX_BODY_BYTES (413), within lib/guard's bounds (400); replies are
 * `{ok: true}` or `{error: "<bounded text>"}` and never quote the request. No CORS headers: Node-RED 4
 * adds `Access-Control-Allow-Origin: *` to every admin route; a layer placed before it strips
 * the CORS headers from /dlm/* replies (pre-flights included).
 *
 * The nodes join a registry when they are created and leave it on close; the handlers call the
 * node's own input path (`change`), so messages and requests pass the same checks.
 */
import { boundedText, untrustedProblem } from '../../lib/shared/guard';

/** Largest POST body, bytes (the contract's messages are far smaller). */
export const MAX_BODY_BYTES = 64 * 1024;
/** Largest reply to a refused request, bytes. */
export const MAX_ERROR_REPLY_BYTES = 300;
/** Longest `?balancer=` / `?schedule=` value. */
const MAX_SELECTOR = 200;

/** What a deployed dlm-balancer offers the API. */
export interface BalancerEndpoint {
  id: string;
  name: string;
  status(): Promise<unknown>;
  transactions(): Promise<unknown[]>;
  transactionsCsv(): Promise<string>;
  /** Applies a change as the message `{topic, payload}` would: null when accepted, else the reason. */
  change(topic: 'plate' | 'params', payload: unknown): Promise<string | null>;
}

/** What a deployed priority-schedule node offers the API. */
export interface ScheduleEndpoint {
  id: string;
  name: string;
  /** Applies a change as an input message would: null when accepted, else the reason. */
  change(payload: unknown): Promise<string | null>;
}

type Kind = 'dlm-balancer' | 'priority-schedule';
/** The deployed nodes, by node id (one runtime per process). */
const registry = {
  'dlm-balancer': new Map<string, BalancerEndpoint>(),
  'priority-schedule': new Map<string, ScheduleEndpoint>(),
};

function join<E extends { id: string }>(map: Map<string, E>, e: E): () => void {
  map.set(e.id, e);
  return () => {
    if (map.get(e.id) === e) map.delete(e.id);
  };
}

/** A balancer joins the API; call the returned function on close. */
export function joinBalancer(e: BalancerEndpoint): () => void {
  return join(registry['dlm-balancer'], e);
}

/** A priority-schedule node joins the API; call the returned function on close. */
export function joinSchedule(e: ScheduleEndpoint): () => void {
  return join(registry['priority-schedule'], e);
}

/** The node a request means: by `?<param>=<id or name>`, or the only one deployed. */
export function choose<E extends { id: string; name: string }>(
  map: Map<string, E>,
  kind: Kind,
  param: string,
  query: unknown,
): { node: E } | { code: number; error: string } {
  const all = [...map.values()];
  if (all.length === 0) return { code: 503, error: `no ${kind} node is deployed` };
  if (query === undefined) {
    if (all.length === 1) return { node: all[0] };
    return { code: 400, error: `several ${kind} nodes are deployed: choose one with ?${param}=<node id or name>` };
  }
  if (typeof query !== 'string' || query === '' || query.length > MAX_SELECTOR) {
    return { code: 400, error: `?${param}= must be one node id or name (at most ${MAX_SELECTOR} characters)` };
  }
  const byId = map.get(query);
  if (byId) return { node: byId };
  const named = all.filter((e) => e.name === query);
  if (named.length === 1) return { node: named[0] };
  if (named.length > 1) return { code: 409, error: `several ${kind} nodes have that name: use the node id` };
  return { code: 404, error: `no deployed ${kind} node has that id or name` };
}

/** `{error}` as JSON, at most MAX_ERROR_REPLY_BYTES bytes whatever the text holds. */
export function errorBody(text: string): string {
  let t = boundedText(String(text));
  for (;;) {
    const body = JSON.stringify({ error: t });
    if (Buffer.byteLength(body) <= MAX_ERROR_REPLY_BYTES || t.length === 0) return body;
    t = boundedText(t, Math.max(1, Math.floor(t.length * 0.75)));
  }
}

function reply(res: any, code: number, body: string, type = 'application/json; charset=utf-8') {
  if (res.headersSent) return;
  res.statusCode = code;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(body);
}
const fail = (res: any, code: number, text: string) => reply(res, code, errorBody(text));

/** Reads a request body of at most `max` bytes: the text, or 'too large'. */
function readBody(req: any, max: number): Promise<string | 'too large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (v: string | 'too large' | 'aborted') => {
      if (settled) return;
      settled = true;
      req.removeListener('data', onData);
      resolve(v);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > max) {
        // Discard the rest without keeping it; the reply closes the connection.
        req.resume();
        finish('too large');
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () => finish(Buffer.concat(chunks).toString('utf8')));
    req.once('error', () => finish('aborted'));
    req.once('aborted', () => finish('aborted'));
    req.once('close', () => finish('aborted')); // after 'end' this changes nothing
  });
}

/** Most bytes of a refused body read and thrown away so the client sees the reply; then the connection is cut. */
const MAX_DISCARD_BYTES = 16 * 1024 * 1024;

/** Reads and drops the rest of a refused body (bounded), so the client can read our reply. */
function discard(req: any) {
  let dropped = 0;
  req.on('data', (c: Buffer) => {
    dropped += c.length;
    if (dropped > MAX_DISCARD_BYTES) req.destroy();
  });
  req.resume();
}

/** Marks the request so Node-RED's body parsers leave the body to us and strips CORS headers. */
function frontLayer(req: any, res: any, next: () => void) {
  req.dlmRawBody = true;
  // body-parser skips a request whose body is marked as read: ours reads it with its own limit.
  req._body = true;
  const setHeader = res.setHeader;
  res.setHeader = function (name: string, value: unknown) {
    if (typeof name === 'string' && name.toLowerCase().startsWith('access-control-')) return res;
    return setHeader.call(res, name, value);
  };
  next();
}

/** Moves the last layer of an Express app's stack to just after Express's own init layers. */
function moveLastLayerToFront(app: any): boolean {
  const stack: any[] | undefined = app?._router?.stack ?? app?.router?.stack;
  if (!Array.isArray(stack) || stack.length < 2) return false;
  const layer = stack.pop();
  let at = 0;
  while (at < stack.length && (stack[at].name === 'query' || stack[at].name === 'expressInit')) at++;
  stack.splice(at, 0, layer);
  return true;
}

const attached = new WeakSet<object>();

/**
 * Registers the routes on RED.httpAdmin, once per admin app (each node module calls this; nodes
 * are recreated on every deploy but the module function runs once).
 */
export function attachHttpApi(RED: any): void {
  const app = RED?.httpAdmin;
  if (!app || typeof app.get !== 'function' || attached.has(app)) return;
  attached.add(app);
  const needs = (perm: string) => {
    const check = RED.auth?.needsPermission ? RED.auth.needsPermission(perm) : (_q: any, _s: any, n: () => void) => n();
    // Node-RED answers 401 for a logged-in user without the permission; we answer 403 then.
    return (req: any, res: any, next: (e?: unknown) => void) => {
      const status = res.status;
      res.status = function (code: number) {
        return status.call(res, code === 401 && req.user && !req.user.anonymous ? 403 : code);
      };
      check(req, res, (e?: unknown) => {
        res.status = status;
        next(e);
      });
    };
  };

  // RED.httpAdmin is the runtime's admin app, mounted at the end of the editor API's app (which
  // adds Node-RED 4's wildcard CORS and 5 MB body parsers first): the front layer goes there.
  const outer = app.parent && typeof app.parent.use === 'function' ? app.parent : app;
  outer.use('/dlm', frontLayer);
  const first = moveLastLayerToFront(outer);
  if (!first) RED.log?.warn?.("dlm: could not place the HTTP API before Node-RED's admin middleware; /dlm/* may carry its CORS headers");

  const balancer = (req: any) => choose(registry['dlm-balancer'], 'dlm-balancer', 'balancer', req.query?.balancer);
  const guarded = (f: (req: any, res: any) => Promise<void>) => (req: any, res: any) => {
    f(req, res).catch((e) => {
      RED.log?.warn?.(`dlm HTTP API: ${boundedText(String(e && (e as Error).message ? (e as Error).message : e))}`);
      fail(res, 500, 'internal error; see the Node-RED log');
    });
  };

  /** The JSON body of a POST, or a reply already sent (null). */
  async function jsonBody(req: any, res: any): Promise<{ body: unknown } | null> {
    if (!req.is || !req.is('application/json')) {
      fail(res, 415, 'send the body as Content-Type: application/json');
      return null;
    }
    const declared = Number(req.headers['content-length']);
    const tooLarge = () => {
      fail(res, 413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
      discard(req);
      return null;
    };
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) return tooLarge();
    let body: unknown;
    if (req.dlmRawBody) {
      const text = await readBody(req, MAX_BODY_BYTES);
      if (text === 'too large') return tooLarge();
      if (text === 'aborted') return null;
      try {
        body = JSON.parse(text);
      } catch {
        fail(res, 400, 'the body is not valid JSON');
        return null;
      }
    } else {
      body = req.body; // already parsed by Node-RED (front layer not placed)
    }
    const problem = untrustedProblem(body, 'body');
    if (problem) {
      fail(res, 400, problem);
      return null;
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      fail(res, 400, 'the body must be a JSON object');
      return null;
    }
    return { body };
  }

  app.get(
    '/dlm/status',
    needs('dlm.read'),
    guarded(async (req, res) => {
      const c = balancer(req);
      if ('error' in c) return fail(res, c.code, c.error);
      reply(res, 200, JSON.stringify(await c.node.status()));
    }),
  );
  app.get(
    '/dlm/transactions',
    needs('dlm.read'),
    guarded(async (req, res) => {
      const c = balancer(req);
      if ('error' in c) return fail(res, c.code, c.error);
      reply(res, 200, JSON.stringify(await c.node.transactions()));
    }),
  );
  app.get(
    '/dlm/transactions.csv',
    needs('dlm.read'),
    guarded(async (req, res) => {
      const c = balancer(req);
      if ('error' in c) return fail(res, c.code, c.error);
      const csv = await c.node.transactionsCsv();
      res.setHeader('Content-Disposition', 'attachment; filename="transactions.csv"');
      reply(res, 200, csv, 'text/csv; charset=utf-8');
    }),
  );
  for (const topic of ['plate', 'params'] as const) {
    app.post(
      `/dlm/${topic}`,
      needs('dlm.write'),
      guarded(async (req, res) => {
        const c = balancer(req);
        if ('error' in c) {
          discard(req);
          return fail(res, c.code, c.error);
        }
        const b = await jsonBody(req, res);
        if (!b) return;
        const refused = await c.node.change(topic, b.body);
        if (refused) return fail(res, 400, refused);
        reply(res, 200, '{"ok":true}');
      }),
    );
  }
  app.post(
    '/dlm/schedule',
    needs('dlm.write'),
    guarded(async (req, res) => {
      const c = choose(registry['priority-schedule'], 'priority-schedule', 'schedule', req.query?.schedule);
      if ('error' in c) {
        discard(req);
        return fail(res, c.code, c.error);
      }
      const b = await jsonBody(req, res);
      if (!b) return;
      const refused = await c.node.change(b.body);
      if (refused) return fail(res, 400, refused);
      reply(res, 200, '{"ok":true}');
    }),
  );
  // Pre-flights get no CORS headers (so a browser refuses the cross-site request); other methods 405.
  app.options('/dlm/*', (_req: any, res: any) => {
    res.setHeader('Allow', 'GET, POST');
    res.statusCode = 204;
    res.end();
  });
  app.all('/dlm/*', (req: any, res: any) => {
    discard(req);
    fail(
      res,
      ['/dlm/status', '/dlm/transactions', '/dlm/transactions.csv', '/dlm/plate', '/dlm/params', '/dlm/schedule'].includes(req.path)
        ? 405
        : 404,
      'no such route: see docs/messages.md, HTTP API',
    );
  });
  // Whatever fails in a /dlm route (e.g. the authentication layer) answers short JSON, no stack.
  app.use('/dlm', (err: unknown, req: any, res: any, _next: unknown) => {
    const status = Number((err as any)?.status ?? (err as any)?.statusCode);
    if (typeof req.resume === 'function') discard(req);
    fail(
      res,
      status >= 400 && status < 500 ? status : 500,
      status === 413 ? `the body is larger than ${MAX_BODY_BYTES} bytes` : 'request failed',
    );
  });
}
