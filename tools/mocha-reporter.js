'use strict';
// Mocha's spec reporter plus a plain closing line "N passed, N failed" (what CI reads), and the
// counts in test-output/summary-<label>.json so tools/test-nr5.js can print the grand total.
const fs = require('fs');
const path = require('path');
const Mocha = require('mocha');

class DlmReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const dir = path.resolve(__dirname, '..', 'test-output');
    // A fresh first run forgets the previous runs' counts.
    if ((process.env.DLM_TEST_LABEL || 'node-red-4') === 'node-red-4')
      fs.rmSync(path.join(dir, 'summary-node-red-5.json'), { force: true });
    runner.once('end', () => {
      const { passes, failures, pending } = this.stats;
      const label = process.env.DLM_TEST_LABEL || 'node-red-4';
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `summary-${label}.json`), JSON.stringify({ passes, failures, pending }));
      console.log(`\n${label}: ${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ''}`);
    });
  }
}
module.exports = DlmReporter;
