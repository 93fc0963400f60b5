/**
 * The one module that touches `ocpp-rpc` (2.2.x, CommonJS; its 3.x is ESM-only): everything else
 * sees the small typed interface below (messages typed in lib/ocpp/messages.ts), so the library
 * can be swapped. Strict mode everywhere: every call and every answer, both ways, is validated
 * against the official OCPP 1.6 JSON schemas; frames are bounded (ws maxPayload).
 *
 * Server: its own HTTP(S) listener (docs/ocpp.md "Why its own port"). The upgrade path is checked
 * before the library sees it (the library decodes the identity outside its own try/catch: a
 * malformed %-escape would be an unhandled rejection that stops Node-RED).
 */
import * as http from 'http';
import * as https from 'https';
import type { AddressInfo } from 'net';
import type { ChargePointCalls, CentralCalls } from '../../lib/ocpp/messages';
import { OCPP16 } from '../../lib/ocpp/messages';
import { CONTROL_CHARS } from '../../lib/shared/plate';

const rpc: any = require('ocpp-rpc');

/** Largest WebSocket frame accepted, bytes (the biggest 1.6 message we use is far smaller). */
export const MAX_FRAME_BYTES = 64 * 1024;
/** Longest charger identity accepted in the URL (OCPP 1.6 chargeBoxIdentity is 48 characters at most in practice; 1.6 security whitepaper: 48). */
export const MAX_IDENTITY = 48;
/** Answer time allowed to a charger for our calls, ms. */
export const CALL_TIMEOUT_MS = 10000;

type Handler<K extends keyof ChargePointCalls> = (req: ChargePointCalls[K][0]) => ChargePointCalls[K][1] | Promise<ChargePointCalls[K][1]>;
type CpHandler<K extends keyof CentralCalls> = (req: CentralCalls[K][0]) => CentralCalls[K][1] | Promise<CentralCalls[K][1]>;

/** One connected charger, as the central system sees it. */
export interface ChargerLink {
  readonly identity: string;
  call<K extends keyof CentralCalls>(method: K, req: CentralCalls[K][0]): Promise<CentralCalls[K][1]>;
  handle<K extends keyof ChargePointCalls>(method: K, fn: Handler<K>): void;
  onClose(fn: () => void): void;
  close(): Promise<void>;
}

export interface AuthRequest {
  identity: string;
  /** Basic-auth password when its user name equals the identity (security profile 1). */
  password: Buffer | undefined;
  /** Path before the identity, e.g. "/ocpp". */
  endpoint: string;
  remoteAddress: string;
}
/** Accept (true) or refuse with an HTTP status (401 unknown / wrong password). */
export type AuthDecision = true | 401 | 404;

export interface CentralOptions {
  host: string;
  port: number;
  /** TLS (security profile 2): PEM key and certificate. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  auth: (req: AuthRequest) => AuthDecision;
  onCharger: (link: ChargerLink) => void;
  /** Library or socket trouble worth a log line (never the input itself). */
  onProblem?: (text: string) => void;
}

export interface Central {
  /** The port listened on (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

function wrapLink(client: any): ChargerLink {
  return {
    identity: String(client.identity),
    call: (method, req) => client.call(method, req),
    handle: (method, fn) => client.handle(method, ({ params }: { params: any }) => fn(params)),
    onClose: (fn) => client.once('close', fn),
    close: async () => {
      await client.close({ force: true }).catch(() => undefined);
    },
  };
}

/** Is a URL path's last segment a plausible identity (decodable, bounded, printable)? */
export function identityFromPath(url: string | undefined): { endpoint: string; identity: string } | null {
  if (typeof url !== 'string' || url.length > 512) return null;
  const path = url.split('?')[0];
  const cut = path.lastIndexOf('/');
  if (cut < 0) return null;
  let identity: string;
  try {
    identity = decodeURIComponent(path.slice(cut + 1));
  } catch {
    return null;
  }
  if (!identity || identity.length > MAX_IDENTITY || CONTROL_CHARS.test(identity)) return null;
  return { endpoint: path.slice(0, cut) || '/', identity };
}

/** Starts an OCPP 1.6J central system. Resolves once it listens. */
export async function startCentral(opts: CentralOptions): Promise<Central> {
  const server = new rpc.RPCServer({
    protocols: [OCPP16],
    strictMode: true,
    callTimeoutMs: CALL_TIMEOUT_MS,
    maxBadMessages: 5,
    respondWithDetailedErrors: false,
    wssOptions: { maxPayload: MAX_FRAME_BYTES },
  });
  server.on('error', () => opts.onProblem?.('WebSocket server error'));
  server.auth((accept: (s?: unknown) => void, reject: (code: number, msg?: string) => void, hs: any) => {
    let decision: AuthDecision;
    try {
      decision = opts.auth({
        identity: String(hs.identity),
        password: hs.password,
        endpoint: String(hs.endpoint),
        remoteAddress: String(hs.remoteAddress),
      });
    } catch {
      decision = 401;
    }
    if (decision === true) accept();
    else reject(decision, decision === 401 ? 'Unauthorized' : 'Not found');
  });
  server.on('client', (client: any) => {
    // Trouble on one link must never reach the process (R-SEC-3).
    client.on('error', () => undefined);
    client.on('strictValidationFailure', () => opts.onProblem?.(`${client.identity}: a message failed OCPP 1.6 schema validation`));
    client.on('badMessage', () => opts.onProblem?.(`${client.identity}: malformed OCPP frame`));
    try {
      opts.onCharger(wrapLink(client));
    } catch {
      client.close({ force: true }).catch(() => undefined);
    }
  });
  const web = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }) : http.createServer();
  web.on('request', (_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' });
    res.end('OCPP 1.6J: connect with a WebSocket to /<path>/<charger identity>\n');
  });
  web.on('upgrade', (req, socket, head) => {
    socket.on('error', () => undefined);
    if (!identityFromPath(req.url)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    Promise.resolve()
      .then(() => server.handleUpgrade(req, socket, head))
      .catch(() => socket.destroy());
  });
  web.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    web.once('error', reject);
    web.listen(opts.port, opts.host, () => {
      web.off('error', reject);
      resolve();
    });
  });
  web.on('error', () => opts.onProblem?.('HTTP server error'));
  const port = (web.address() as AddressInfo).port;
  return {
    port,
    close: async () => {
      await server.close({ force: true }).catch(() => undefined);
      await new Promise<void>((resolve) => {
        web.close(() => resolve());
        web.closeAllConnections?.();
      });
    },
  };
}

// --- The charge-point side (the strict test charger and the demo's chargers) --------------------

export interface ChargePointClientOptions {
  /** ws://host:port/path (the identity is appended). */
  endpoint: string;
  identity: string;
  password?: string;
  /** CA to trust for wss:// (a self-signed test certificate). */
  ca?: string | Buffer;
  /** Reconnect after a loss (default true), quickly (tests, demo). */
  reconnect?: boolean;
}

/** A charger's link to a central system. */
export interface CentralLink {
  connect(): Promise<void>;
  call<K extends keyof ChargePointCalls>(method: K, req: ChargePointCalls[K][0]): Promise<ChargePointCalls[K][1]>;
  handle<K extends keyof CentralCalls>(method: K, fn: CpHandler<K>): void;
  on(event: 'open' | 'close' | 'disconnect', fn: () => void): void;
  /** OPEN = 1. */
  readonly state: number;
  close(): Promise<void>;
}

export function chargePointClient(o: ChargePointClientOptions): CentralLink {
  const client = new rpc.RPCClient({
    endpoint: o.endpoint,
    identity: o.identity,
    password: o.password,
    protocols: [OCPP16],
    strictMode: true,
    callTimeoutMs: CALL_TIMEOUT_MS,
    reconnect: o.reconnect ?? true,
    backoff: { initialDelay: 200, maxDelay: 1000, randomisationFactor: 0 },
    wsOpts: { maxPayload: MAX_FRAME_BYTES, ...(o.ca ? { ca: o.ca } : {}) },
  });
  client.on('error', () => undefined);
  client.on('socketError', () => undefined);
  return {
    connect: async () => {
      await client.connect();
    },
    call: (method, req) => client.call(method, req),
    handle: (method, fn) => client.handle(method, ({ params }: { params: any }) => fn(params)),
    on: (event, fn) => client.on(event, fn),
    get state() {
      return client.state as number;
    },
    close: async () => {
      await client.close({ force: true }).catch(() => undefined);
    },
  };
}
