/**
 * The layout shows the design (issue 10, README "Architecture", CONTRIBUTING.md): the vocabulary
 * imports only itself, the core only the vocabulary, node-side domains never the nodes, and lib/
 * never Node-RED, timers or the clock. Read from the source files, so a stray import fails here.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../support/node-red-runner';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(rel));
    else if (e.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

/** The repository paths a file imports (relative imports resolved; packages as written). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
  const specs = [...text.matchAll(/(?:from|require\()\s*'([^']+)'/g)].map((m) => m[1]);
  return specs.map((s) => (s.startsWith('.') ? path.normalize(path.join(path.dirname(file), s)) : s));
}

/** Which lib folder a file belongs to: shared, core, or a node-side domain. */
const layerOf = (p: string) => p.split(path.sep)[1];

describe('issue 10 — lib/ in visible layers', () => {
  const lib = sources('lib');

  it('there is no file directly in lib/: every module sits in its layer', () => {
    assert.deepEqual(
      lib.filter((f) => f.split(path.sep).length === 2),
      [],
    );
    assert.ok(lib.length > 30);
  });

  it('lib/shared imports only lib/shared; lib/core only lib/core and lib/shared (the core depends on nothing node-side)', () => {
    const wrong: string[] = [];
    for (const f of lib) {
      const mine = layerOf(f);
      if (mine !== 'shared' && mine !== 'core') continue;
      const allowed = mine === 'shared' ? ['shared'] : ['shared', 'core'];
      for (const imp of importsOf(f)) {
        if (!imp.startsWith('lib' + path.sep) && imp.startsWith('.')) continue;
        if (imp.startsWith('lib' + path.sep) && !allowed.includes(layerOf(imp))) wrong.push(`${f} → ${imp}`);
        if (!imp.startsWith('lib') && !imp.startsWith('.')) wrong.push(`${f} → package ${imp}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('no lib/ module imports nodes/, Node-RED, timers or the clock', () => {
    const wrong: string[] = [];
    for (const f of lib) {
      const text = fs.readFileSync(path.join(REPO_ROOT, f), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '');
      for (const imp of importsOf(f)) if (imp.startsWith('nodes') || /node-red/.test(imp)) wrong.push(`${f} → ${imp}`);
      for (const bad of ['Date.now(', 'setTimeout(', 'setInterval(', "require('fs')", "from 'fs'"])
        if (text.includes(bad)) wrong.push(`${f} uses ${bad}`);
    }
    assert.deepEqual(wrong, []);
  });
});
