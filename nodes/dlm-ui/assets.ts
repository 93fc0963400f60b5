/**
 * The browser half of the widgets, read once when Node-RED loads the node set: the templates
 * (templates/<name>.html), the style sheet (dlm-ui.css) and the browser code that `npm run build`
 * bundles from browser/*.ts into dlm-ui.browser.js (vite.dlm-ui.config.mjs), all beside this file.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Shown until the first status arrives. */
const WAIT = '<div class="dlm" ng-if="!msg.payload"><p class="dlm-wait">Waiting for the balancer status…</p></div>';

/** The name of the global the browser bundle defines (vite.dlm-ui.config.mjs `lib.name`). */
const BUNDLE_GLOBAL = 'DlmUi';

export interface Assets {
  /** The widget's template for node-red-dashboard (`format`): style, frame, "waiting", the template. */
  format(template: string): string;
  /** The function text node-red-dashboard evals in the page (`initController`), with its controller. */
  initController(controller: string | undefined): string;
}

/** Reads the assets from `dir` (the compiled node's folder); throws, naming the file, if one is missing. */
export function loadAssets(dir: string): Assets {
  const read = (file: string): string => {
    try {
      return fs.readFileSync(path.join(dir, file), 'utf8');
    } catch (e) {
      throw new Error(`dlm-ui: cannot read ${file} (run npm run build): ${(e as Error).message}`);
    }
  };
  // Comments are for the reader of the sources; the page gets the sheet on one line.
  const css = read('dlm-ui.css')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const bundle = read('dlm-ui.browser.js');
  if (!bundle.startsWith(`var ${BUNDLE_GLOBAL}=`)) throw new Error(`dlm-ui: dlm-ui.browser.js does not define ${BUNDLE_GLOBAL}`);
  return {
    format(template) {
      const body = read(path.join('templates', `${template}.html`))
        .replace(/<!--[\s\S]*?-->\n?/g, '')
        .trimEnd();
      // Every template sits in one element the relayout code (browser/relayout.ts) can find and measure.
      return `<style>${css}</style><div data-dlm-id="{{dlmId}}">${WAIT}\n${body}</div>`;
    },
    initController(controller) {
      // node-red-dashboard evals "(" + this + ")" and calls it with the widget's scope: the bundle
      // defines DlmUi locally, then sets the scope up.
      return `function (scope, events) {\n${bundle.trim()}\n${BUNDLE_GLOBAL}.start(scope, ${JSON.stringify(controller ?? '')});\n}`;
    },
  };
}
