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
  if (m === 'open') return null;
  if (m === 'readonly') return 'Edits are off for this widget (edits: read-only).';
  if (m === 'protected') {
    if (ui.middleware && ui.ioMiddleware) return null;
    return 'Edits refused: this dashboard has no login. Set ui.middleware and ui.ioMiddleware in settings.js, or this widget\'s edits to "open".';
  }
  return 'Edits refused: the widget\'s "edits" setting is not protected, open or readonly.';
}

