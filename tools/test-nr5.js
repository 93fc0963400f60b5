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
  ['-y', '-p', 'node@22', 'node', mocha, '--no-config', '--timeout', '20000', '--exit', 'dist/test/nodes/*.test.js'],
  { cwd: root, stdio: 'inherit', env: { ...process.env, DLM_NODE_RED: 'node-red-5' } },
);
process.exit(r.status === null ? 1 : r.status);
