/**
 * The browser half of the dlm-ui widgets (node-red-dashboard 3, AngularJS). Bundled by
 * `npm run build` (tsconfig.browser.json checks it, vite.dlm-ui.config.mjs bundles it with the
 * lib/shared rules it uses) into one script, dist/nodes/dlm-ui/dlm-ui.browser.js, that defines
 * `DlmUi`; the node sends it to the page inside each widget's initController (assets.ts).
 *
 * Templates render user text with {{ }} only (R-CP-6: plates are untrusted text), never
 * ng-bind-html; nothing here writes HTML.
 */
import { params } from './params';
import { plugs } from './plugs';
import { relayout } from './relayout';
import type { Scope } from './scope';
import { schedule } from './schedule';

/** The controllers of the editable widgets, by the name the widget table gives (widgets.ts). */
const CONTROLLERS: Record<string, (scope: Scope) => void> = { plugs, params, schedule };

/** Sets up a widget's scope: every widget keeps its card fitted; an editable one gets its handlers. */
export function start(scope: Scope, controller: string): void {
  relayout(scope);
  const init = CONTROLLERS[controller];
  if (init) init(scope);
}
