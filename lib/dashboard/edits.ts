/**
 * Who may change the site from a dashboard widget (SPEC R-SEC-1; issue 9 item 2; README,
 * Security). Pure: the caller passes the widget's `edits` setting and node-red-dashboard's
 * `settings.ui` object. Shared by the node-red-dashboard 3 widgets (nodes/dlm-ui) and any other
 * dashboard front end of the package, so every editing widget follows one rule.
 */

/** Who may edit through an editing widget (R-SEC-1, issue 9 item 2; README, Security). */
export type EditsMode = 'protected' | 'open' | 'readonly';
export const EDITS_MODES: readonly EditsMode[] = ['protected', 'open', 'readonly'];

/**
 * Why an edit from the page is refused, or null when it may go on. `protected` (the default):
 * only when node-red-dashboard itself asks for a login, i.e. settings.js sets both
 * `ui.middleware` (HTTP) and `ui.ioMiddleware` (its socket.io channel); `open`: always (closed
 * networks and demos); `readonly`: never. `ui.readOnly: true` stops every edit in the dashboard.
 */
export function editRefusal(mode: unknown, uiSettings: unknown): string | null {
  const ui = uiSettings && typeof uiSettings === 'object' ? (uiSettings as Record<string, unknown>) : {};
  if (ui.readOnly === true) return 'Edits are off: the dashboard is read-only (ui.readOnly in settings.js).';
  const m = mode === undefined || mode === '' ? 'protected' : mode;
  if (!EDITS_MODES.includes(m as EditsMode)) return 'Edits refused: the widget\'s "edits" setting is not protected, open or readonly.';
  // One decision for both dashboard families (editAccess); node-red-dashboard's login is both middlewares.
  const access = editAccess(m as EditsMode, Boolean(ui.middleware && ui.ioMiddleware));
  if (access.allowed) return null;
  if (m === 'readonly') return 'Edits are off for this widget (edits: read-only).';
  return 'Edits refused: this dashboard has no login. Set ui.middleware and ui.ioMiddleware in settings.js, or this widget\'s edits to "open".';
}

// ---------------------------------------------------------------------------------------------
// FlowFuse Dashboard 2.0 (nodes/dlm-ui2)
// ---------------------------------------------------------------------------------------------

/*
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
