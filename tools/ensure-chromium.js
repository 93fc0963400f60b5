#!/usr/bin/env node
// The browser tests drive Debian's Chromium (playwright-core cannot download a browser here).
// Installs it with apt-get when it is missing and we are root; otherwise says how.
'use strict';
const fs = require('fs');
const { execSync } = require('child_process');

const exe = process.env.DLM_CHROMIUM || '/usr/bin/chromium';
if (fs.existsSync(exe)) process.exit(0);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
let hasApt = false;
try {
  execSync('command -v apt-get', { stdio: 'ignore', shell: '/bin/sh' });
  hasApt = true;
} catch (e) {
  /* no apt */
}
if (!isRoot || !hasApt) {
  console.error(`Chromium not found at ${exe}. Install it (Debian: sudo apt-get install -y chromium) or set DLM_CHROMIUM.`);
  process.exit(1);
}
console.log('Installing Debian chromium for the browser tests (apt-get)…');
execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null', {
  stdio: 'inherit',
  shell: '/bin/sh',
});
