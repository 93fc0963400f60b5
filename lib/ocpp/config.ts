/**
 * The ocpp-central node's editor configuration → a typed, validated value (issue 12). The
 * allow-list of charger identities, each with its plug count and options; passwords come from
 * Node-RED's credentials store (a JSON object identity → password). Pure.
 */
import { DEFAULT_PARAMS, OCPP_LIMITS, PARAM_SPECS } from '../shared/params';
import { CONTROL_CHARS } from '../shared/plate';

export interface OcppChargerConfig {
  /** OCPP identity: the last segment of the connection URL (≤ 48 characters, no control characters, no "/"). */
  identity: string;
  /** Plugs of the charge-point node it feeds (1 or 2): connectors 1 (A) and 2 (B). */
  plugs: 1 | 2;
  /** Send whole amps only (chargers that round down or refuse decimals). */
  wholeAmps: boolean;
  /** Send the idTag of a transaction to the charge point as the plug's plate. */
  plateFromIdTag: boolean;
  /** Security profile 1 password; "" = none (security profile 0, warned at start). */
  password: string;
}

export interface OcppCentralConfig {
  /** Listen address ("0.0.0.0" = every interface, "127.0.0.1" = this machine only). */
  host: string;
  port: number;
  /** URL path before the identity, without slashes, e.g. "ocpp" → ws://host:port/ocpp/<identity>. */
  path: string;
  /** Security profile 2: PEM files. */
  tls: { keyFile: string; certFile: string } | null;
  chargers: OcppChargerConfig[];
  /** Grace before "does not follow limits", s: the vehicle reaction delay plus two meter samples. */
  reactionDelayS: number;
  /** idTags allowed to charge; empty = every transaction is accepted (the load manager manages current, not access). */
  idTags: string[];
}

export const OCPP_CENTRAL_DEFAULTS = Object.freeze({ host: '0.0.0.0', port: 8180, path: 'ocpp' });

const CONTROL = CONTROL_CHARS;

/** Is `x` an identity we can allow-list? */
export function identityProblem(x: unknown): string | null {
  if (typeof x !== 'string' || !x.length) return 'identity must be non-empty text';
  if (x.length > 48) return 'identity must be at most 48 characters';
  if (CONTROL.test(x) || x.includes('/')) return 'identity must not contain control characters or "/"';
  return null;
}

function str(x: unknown, dflt: string): string {
  return typeof x === 'string' && x.trim() ? x.trim() : dflt;
}

/** Parses the editor fields and the credentials. */
export function centralConfigFromEditor(
  n: Record<string, unknown>,
  credentials: Record<string, unknown> | undefined,
): { ok: true; config: OcppCentralConfig; warnings: string[] } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  const { host, port, path, tls } = listenerFromEditor(n, errors);
  const passwords = storedPasswords(credentials, errors);
  const chargers = allowListFromEditor(n.chargers, passwords, errors, warnings);
  const reactionDelayS =
    n.reactionDelayS === undefined || n.reactionDelayS === '' ? DEFAULT_PARAMS.reactionDelayS : Number(n.reactionDelayS);
  const delay = PARAM_SPECS.find((spec) => spec.key === 'reactionDelayS')!; // the balancer's own range (R-ALLOC-7)
  if (!(reactionDelayS >= delay.min! && reactionDelayS <= delay.max!)) errors.push(`reaction delay must be ${delay.min}–${delay.max} s`);
  const idTags = typeof n.idTags === 'string' ? n.idTags.split(/[\s,;]+/).filter(Boolean) : [];
  if (idTags.length > OCPP_LIMITS.idTagsMax) errors.push(`at most ${OCPP_LIMITS.idTagsMax} idTags`);
  if (idTags.some((t) => t.length > OCPP_LIMITS.idTagMaxLength || CONTROL.test(t))) {
    errors.push(`an idTag has at most ${OCPP_LIMITS.idTagMaxLength} characters (OCPP 1.6 IdToken) and no control characters`);
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, config: { host, port, path, tls, chargers, reactionDelayS, idTags }, warnings };
}

/** Where the central system listens: address, port, path, TLS files. */
function listenerFromEditor(n: Record<string, unknown>, errors: string[]): Pick<OcppCentralConfig, 'host' | 'port' | 'path' | 'tls'> {
  const port = Number(n.port ?? OCPP_CENTRAL_DEFAULTS.port);
  if (!Number.isInteger(port) || port < 0 || port > OCPP_LIMITS.portMax) errors.push(`port must be an integer 0–${OCPP_LIMITS.portMax}`);
  const host = str(n.host, OCPP_CENTRAL_DEFAULTS.host);
  if (host.length > OCPP_LIMITS.hostMaxLength || CONTROL.test(host)) errors.push('listen address is not valid');
  const path = str(n.path, OCPP_CENTRAL_DEFAULTS.path).replace(/^\/+|\/+$/g, '');
  if (!/^[A-Za-z0-9._~\-/]{0,100}$/.test(path)) errors.push('path may contain letters, digits and . _ ~ - / only');
  let tls: OcppCentralConfig['tls'] = null;
  if (n.tls === true || n.tls === 'true') {
    const keyFile = str(n.keyFile, '');
    const certFile = str(n.certFile, '');
    if (!keyFile || !certFile) errors.push('TLS needs a key file and a certificate file');
    tls = { keyFile, certFile };
  }
  return { host, port, path, tls };
}

/** The passwords kept in Node-RED's credentials store (JSON text: identity → password). */
function storedPasswords(credentials: Record<string, unknown> | undefined, errors: string[]): Record<string, unknown> {
  const raw = credentials?.passwords;
  if (typeof raw !== 'string' || !raw.trim()) return {};
  try {
    const p = JSON.parse(raw);
    if (p && typeof p === 'object' && !Array.isArray(p)) return p;
    errors.push('stored passwords are not an object');
  } catch {
    errors.push('stored passwords are not valid JSON');
  }
  return {};
}

/** The allow-list (R-SEC-5): each charger's identity, plug count, options and password. */
function allowListFromEditor(raw: unknown, passwords: Record<string, unknown>, errors: string[], warnings: string[]): OcppChargerConfig[] {
  const chargers: OcppChargerConfig[] = [];
  const list = Array.isArray(raw) ? raw : [];
  if (list.length > OCPP_LIMITS.chargersMax) errors.push(`at most ${OCPP_LIMITS.chargersMax} chargers`);
  const seen = new Set<string>();
  list.slice(0, OCPP_LIMITS.chargersMax).forEach((entry: unknown, i: number) => {
    const at = `charger ${i + 1}`;
    const c: Record<string, unknown> = entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>) : {};
    const idErr = identityProblem(c.identity);
    if (idErr) {
      errors.push(`${at}: ${idErr}`);
      return;
    }
    const identity = c.identity as string;
    if (seen.has(identity)) errors.push(`${at}: identity listed twice`);
    seen.add(identity);
    const plugs = Number(c.plugs ?? 2);
    if (plugs !== 1 && plugs !== 2) errors.push(`${at}: plugs must be 1 or 2`);
    const pw = Object.prototype.hasOwnProperty.call(passwords, identity) ? passwords[identity] : '';
    if (typeof pw !== 'string' || pw.length > OCPP_LIMITS.passwordMaxLength) {
      errors.push(`${at}: password must be text of at most ${OCPP_LIMITS.passwordMaxLength} characters`);
    } else if (!pw) warnings.push(`${identity} has no password (security profile 0)`);
    const password = typeof pw === 'string' ? pw : '';
    chargers.push({
      identity,
      plugs: plugs === 1 ? 1 : 2,
      wholeAmps: c.wholeAmps === true,
      plateFromIdTag: c.plateFromIdTag === true,
      password,
    });
  });
  return chargers;
}
