// Bundles the browser half of the node-red-dashboard 3 widgets (nodes/dlm-ui/browser/*.ts, with the
// lib/shared rules they use: checkParam, validatePlate) into one IIFE script that defines `DlmUi`:
// dist/nodes/dlm-ui/dlm-ui.browser.js. The dlm-ui node reads it at load time and sends it to the page
// in each widget's initController (nodes/dlm-ui/assets.ts). Type-checked by tsconfig.browser.json.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  logLevel: 'warn',
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('./dist/nodes/dlm-ui', import.meta.url)),
    // The folder holds the node's compiled code too.
    emptyOutDir: false,
    minify: true,
    sourcemap: false,
    // lib/shared freezes its tables: a frozen table nobody reads is left out.
    rolldownOptions: { treeshake: { manualPureFunctions: ['Object.freeze'] } },
    lib: {
      entry: fileURLToPath(new URL('./nodes/dlm-ui/browser/index.ts', import.meta.url)),
      name: 'DlmUi',
      formats: ['iife'],
      fileName: () => 'dlm-ui.browser.js',
    },
  },
});
