#!/usr/bin/env node
// Runs the node tests again on Node-RED 5 (npm alias "node-red-5" in devDependencies), which needs
// Node.js ≥ 22.9: the npm registry's `node@22` package provides that runtime through npx.
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

const root = path.resolve(__dirname, '..');
const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
const r = spawnSync(
  'npx',
  [
    '-y',
    '-p',
    'node@22',
    'node',
    mocha,
    '--no-config',
    '--reporter',
    path.join(root, 'tools', 'mocha-reporter.js'),
    '--timeout',
    '20000',
    '--exit',
    'dist/test/nodes/*.test.js',
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, DLM_NODE_RED: 'node-red-5', DLM_TEST_LABEL: 'node-red-5' } },
);
// Grand total of both runs (Node-RED 4 by `mocha`, Node-RED 5 here), as the last line.
let passed = 0;
let failed = 0;
for (const label of ['node-red-4', 'node-red-5']) {
  try {
    const s = JSON.parse(require('fs').readFileSync(path.join(root, 'test-output', `summary-${label}.json`), 'utf8'));
    passed += s.passes;
    failed += s.failures;
  } catch (e) {
    /* a run that did not finish reports nothing */
  }
}
if (r.status !== 0 && failed === 0) failed = 1;
console.log(`\nTotal: ${passed} passed, ${failed} failed`);
process.exit(r.status === null ? 1 : r.status);
