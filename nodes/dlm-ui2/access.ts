/**
 * Who may edit from a Dashboard 2.0 widget (SPEC R-SEC-1, issue 14; the same rule as the
 * node-red-dashboard 3 family). Each editing widget has the option `edits`:
 *  - "protected" (default): edits are accepted only when the dashboard is behind a login;
 *  - "open": always accepted (closed networks, demos — the editor warns);
 *  - "readonly": never (the widget shows no edit controls).
 *
 * "Behind a login" for Dashboard 2.0: its socket.io connection, which carries every edit, runs
 * through an `ioMiddleware` from settings.js — `dashboard.ioMiddleware`, or `ui.ioMiddleware`
 * when there is no `dashboard` section (Dashboard 2.0 itself falls back to `ui` that way).
 * An `httpMiddleware` alone does not count: it guards the page, not the socket.
 *
 * Not counted either: a user in `msg._client` (FlowFuse's user plugins put one there). Dashboard
 * 2.0 keeps a `_client` object that the browser itself sent with a widget action and only adds
 * the socket id to it, so without a plugin that overwrites it the browser could claim any user.
 */
export type EditsMode = 'protected' | 'open' | 'readonly';

export interface EditAccess {
  mode: EditsMode;
  allowed: boolean;
  /** Why edits are refused (empty when allowed). */
  reason: string;
  /** What the page says about edits (empty when nothing to say). */
  note: string;
}

const isFn = (x: unknown) => typeof x === 'function';

/** Does settings.js put Dashboard 2.0's socket behind a login? `settings` = RED.settings. */
export function dashboardProtected(settings: unknown): boolean {
  if (settings === null || typeof settings !== 'object') return false;
  const s = settings as Record<string, unknown>;
  let dash: unknown;
  try {
    dash = s.dashboard ?? s.ui;
  } catch {
    return false;
  }
  if (dash === null || typeof dash !== 'object') return false;
  const io = (dash as Record<string, unknown>).ioMiddleware;
  return isFn(io) || (Array.isArray(io) && io.length > 0 && io.every(isFn));
}

/** The rule: may an edit be accepted now? */
export function editAccess(mode: EditsMode, behindLogin: boolean): EditAccess {
  if (mode === 'readonly') return { mode, allowed: false, reason: 'this widget is read-only (option Edits)', note: '' };
  if (mode === 'open') return { mode, allowed: true, reason: '', note: '' };
  if (behindLogin) return { mode, allowed: true, reason: '', note: '' };
  return {
    mode,
    allowed: false,
    reason: 'the dashboard has no login (settings.js dashboard.ioMiddleware), and the widget\'s Edits option is "protected"',
    note: 'Read-only: this dashboard has no login. Changes are accepted once settings.js puts Dashboard 2.0 behind authentication (dashboard.ioMiddleware), or when the widget\'s Edits option is "open".',
  };
}
