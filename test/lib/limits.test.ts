/**
 * Issue 10 ("no limit literal outside its one home"): every limit the package checks against is a
 * named constant of lib/shared/params.ts (or, for the generic bounds of the untrusted-input walk,
 * of lib/shared/guard.ts, which params.ts depends on). This test reads the sources — lib/**.ts and
 * the editor scripts of nodes/<n>/<n>.html — and fails, naming file:line, wherever one of those
 * limits' values is written as a bare number in a bound position: a comparison (`x > 64`,
 * `6 <= x`), a range entry (`max: 100000`, `[0.1, 3600]`), a bound named outside its home
 * (`const POWER_LIVE_MAX = 600`), a length cut (`slice(0, 200)`,
 * `boundedText(t, 40)`) or a length/count argument of a checker (`text(0, 10000)`,
 * `arrayOf(v, path, 1442, …)`).
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as params from '../../lib/shared/params';
import * as guard from '../../lib/shared/guard';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The homes: the only files that may write a limit as a number. */
const HOMES = new Set(['lib/shared/params.ts', 'lib/shared/guard.ts']);

/**
 * Editor code owned elsewhere for now: nodes/dlm-ui and nodes/dlm-ui2 (the widget rebuild of
 * issue 10 ships checkParam to them itself). Remove an entry once that code takes its limits from
 * params.ts.
 */
const NOT_YET = new Set<string>();

/**
 * Numbers that are facts, not limits, and would otherwise collide with a limit's value: 0 and 1
 * (empty, first, whole), 2 and 3 (plugs per charge point, phases), 24 (hours of a day) and 60
 * (minutes of an hour, seconds of a minute).
 */
const FACTS = new Set([0, 1, 2, 3, 24, 60]);

/** Every number held by the limit tables and constants of the homes (options lists excluded: they are enums). */
function limitValues(): Set<number> {
  const out = new Set<number>();
  const walk = (x: unknown, key: string) => {
    if (typeof x === 'number') {
      if (Number.isFinite(x) && !FACTS.has(Math.abs(x))) out.add(Math.abs(x));
    } else if (Array.isArray(x)) {
      if (key !== 'options') x.forEach((v) => walk(v, key));
    } else if (x && typeof x === 'object') {
      for (const [k, v] of Object.entries(x)) if (k !== 'options' && k !== 'slots' && k !== 'default') walk(v, k);
    }
  };
  for (const [name, v] of [...Object.entries(params), ...Object.entries(guard)]) {
    if (typeof v === 'function' || /^DEFAULT_|^MANUAL_|_DEFAULTS$/.test(name)) continue; // defaults are checked by the editors test
    walk(v, name);
  }
  return out;
}

/** A numeric literal: 64, 0.1, 100_000, 1e9, 2 ** 32 is caught by its parts only where they are limits. */
const NUM = String.raw`(\d[\d_]*(?:\.\d+)?(?:e\d+)?)`;

/** Bound positions: each pattern's last group is the number. */
const BOUND_PATTERNS: RegExp[] = [
  new RegExp(String.raw`(?<![=<>\-!])[<>]=?(?![=>])\s*-?${NUM}(?![\w.])`, 'g'), //          x > 64, x <= 1e9
  new RegExp(String.raw`(?<![\w.])${NUM}\s*[<>]=?(?![=>])(?!\s*[<>])`, 'g'), //            6 <= x
  new RegExp(String.raw`\b(?:min|max)\w*\s*:\s*-?${NUM}(?![\w.])`, 'gi'), //               max: 100000, maxDepth: 16
  new RegExp(String.raw`\b\w*(?:min|max|limit)\w*\s*=\s*["']?-?${NUM}(?![\w.])`, 'gi'), // const MAX_INDEX = 100000, POWER_LIVE_MAX = 600, max="1000"
  new RegExp(String.raw`\[\s*-?[\d.]+\s*,\s*${NUM}\s*\]`, 'g'), //                        [0.1, 3600]
  new RegExp(String.raw`\bslice\(\s*0\s*,\s*${NUM}\s*\)`, 'g'), //                        slice(0, 200)
  new RegExp(String.raw`\bboundedText\([^()]*,\s*${NUM}\s*\)`, 'g'), //                   boundedText(t, 40)
  new RegExp(String.raw`\b(?:text|num|arrayOf)\((?:[^()]*,)?\s*${NUM}\s*[,)]`, 'g'), //   text(0, 10000), arrayOf(v, path, 1442, …)
];

/** Comments and quoted texts blanked (same length, so columns and lines stay), code kept. */
function codeOnly(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"/g, (m) => m.replace(/[^\n]/g, ' '));
}

/** The code to scan of a file: a .ts file whole, an editor .html only its editor scripts. */
function scanned(rel: string): string {
  const src = fs.readFileSync(path.join(ROOT, rel), 'utf8');
  if (rel.endsWith('.ts')) return codeOnly(src);
  // Keep the line numbers: everything outside <script type="text/javascript"> is blanked.
  return src.replace(/(<script type="text\/javascript">)([\s\S]*?)(<\/script>)|[^\n]/g, (m, open, body) =>
    open ? ' '.repeat(open.length) + codeOnly(body) + ' '.repeat(9) : ' ',
  );
}

function files(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...files(rel, ext));
    else if (e.name.endsWith(ext)) out.push(rel);
  }
  return out;
}

/**
 * A number that collides with a limit's value without being one (an hour of the day, a step size)
 * carries `limits: not a limit` in a comment on its line or on the line just above.
 */
const NOT_A_LIMIT = 'limits: not a limit';

/** file:line: text of every limit value written as a number in a bound position of `code` (`source`: the same text with its comments). */
export function limitLiterals(rel: string, code: string, values: ReadonlySet<number>, source = code): string[] {
  const found: string[] = [];
  const raw = source.split('\n');
  code.split('\n').forEach((line, i) => {
    if (raw[i]?.includes(NOT_A_LIMIT) || raw[i - 1]?.includes(NOT_A_LIMIT)) return;
    for (const re of BOUND_PATTERNS) {
      for (const m of line.matchAll(re)) {
        const n = Number(m[m.length - 1].replace(/_/g, ''));
        if (values.has(n)) found.push(`${rel}:${i + 1}: ${n} in "${m[0].trim()}"`);
      }
    }
  });
  return found;
}

describe('limits: one home for every limit (issue 10)', () => {
  const values = limitValues();
  const sources = [...files('lib', '.ts'), ...files('nodes', '.html')].filter((f) => !HOMES.has(f) && !NOT_YET.has(f));

  it('the limit values are read from params.ts and guard.ts (sanity: the known ones are there)', () => {
    for (const v of [
      params.INDEX_MAX,
      params.NAME_MAX_LENGTH,
      params.PLUG_MAX_LIMITS.max,
      params.METER_LIMITS.unitId.max,
      params.EV_SIM_LIMITS.timeScale.min,
      params.STORED_PEAKS_MAX,
      guard.MAX_ERROR_TEXT,
    ]) {
      assert.ok(values.has(v), String(v));
    }
    assert.ok(sources.includes('nodes/charge-point/charge-point.html') && sources.includes('lib/core/restore.ts'));
  });

  it('no limit is written as a number outside lib/shared/params.ts and lib/shared/guard.ts (lib/**.ts, editor scripts)', () => {
    const found = sources.flatMap((rel) => limitLiterals(rel, scanned(rel), values, fs.readFileSync(path.join(ROOT, rel), 'utf8')));
    assert.deepEqual(
      found,
      [],
      `limit literals outside their home (name them in lib/shared/params.ts and import / inject them):\n${found.join('\n')}`,
    );
  });

  it('the check catches a reintroduced literal in each bound position, in TypeScript and in an editor script', () => {
    const cases = [
      'if (name.length > 64) return null;',
      'if (6 <= a) x();',
      'const L = { max: 100000 };',
      'const MAX_INDEX = 100000;',
      'export const POWER_LIVE_MAX = 600;',
      'const lim = [0.1, 3600];',
      'w.slice(0, 200)',
      'boundedText(k, 40)',
      'arrayOf(v, path, 1442, f)',
      'text(0, 10000)',
    ];
    for (const c of cases) assert.equal(limitLiterals('x.ts', codeOnly(c), values).length, 1, c);
    const html =
      '<p>at most 64 characters</p>\n<script type="text/javascript">\n  validate: function (v) { return v.length <= 64; }\n</script>';
    const wrapped = html.replace(/(<script type="text\/javascript">)([\s\S]*?)(<\/script>)|[^\n]/g, (m, open, body) =>
      open ? ' '.repeat(open.length) + codeOnly(body) + ' '.repeat(9) : ' ',
    );
    assert.deepEqual(limitLiterals('x.html', wrapped, values), ['x.html:3: 64 in "<= 64"']);
  });

  it('facts and non-bound numbers pass: phases, hours, unit factors, comments, texts, arrows and shifts', () => {
    const fine = [
      'for (let p = 0; p < 3; p++) {}',
      'const on = h < 24;',
      'const ms = s * 1000;',
      '// at most 64 characters',
      "const t = 'must be 1..100000';",
      'const f = (x) => x >> 16;',
      'const r = (x >>> 16) & 0xffff;',
    ];
    for (const c of fine) assert.deepEqual(limitLiterals('x.ts', codeOnly(c), values), [], c);
    const marked = 'if (hour >= 6 && hour < 10) x(); // limits: not a limit (hours of the day)';
    assert.deepEqual(limitLiterals('x.ts', codeOnly(marked), values, marked), []);
    assert.equal(limitLiterals('x.ts', codeOnly(marked), values).length, 2); // the same line without its marker
  });
});
