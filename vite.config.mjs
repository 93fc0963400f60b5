// Builds the FlowFuse Dashboard 2.0 widgets (issue 14): the Vue single-file components of ui2/
// into one UMD library, resources/dlm-ui2.umd.js, which Node-RED serves at
// <httpAdminRoot>/resources/@evdlm/node-red-dlm/dlm-ui2.umd.js and Dashboard 2.0 imports
// (package.json "node-red-dashboard-2"). Vue is not bundled: the dashboard provides window.Vue.
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [vue()],
  // The bundle is loaded into a page that already runs Vue: no dev-only code, no process.env.
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('./resources', import.meta.url)),
    emptyOutDir: true,
    minify: true,
    sourcemap: false,
    copyPublicDir: false,
    lib: {
      entry: fileURLToPath(new URL('./ui2/index.js', import.meta.url)),
      name: 'DlmUi2',
      formats: ['umd'],
      fileName: () => 'dlm-ui2.umd.js',
    },
    rollupOptions: {
      external: ['vue'],
      output: { globals: { vue: 'Vue' } },
    },
  },
});
