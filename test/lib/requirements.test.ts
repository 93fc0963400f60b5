/**
 * docs/requirements.md and the code cite the same requirements (issue 10): every requirement id
 * cited in lib/, nodes/, tools/, test/, examples/, docs/ or the README has its `### <id>` heading
 * in docs/requirements.md (so `docs/requirements.md#<id in lower case>` resolves), and every
 * heading there is cited by code or tests, or says it is not implemented yet. The files a
 * requirement names on its **Where:** / **Tests:** lines exist, and the links of the file (and every
 * link into it from the repository) land on a heading.
 *
 * The checks are pure functions of text (`citedIds`, `requirementProblems`) so they are tested on
 * made-up documents too: the suite shows they fail when a heading is missing.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../support/node-red-runner';

const DOC = 'docs/requirements.md';
/** Where citations are looked for (repository-relative). */
const SCANNED = ['lib', 'nodes', 'tools', 'test', 'examples', 'docs', 'README.md'];
/** Code and tests: a heading must be cited from one of these (docs do not count). */
const CODE_AND_TESTS = ['lib/', 'nodes/', 'tools/', 'test/', 'examples/'];
/** This file: its made-up ids are examples, not citations. */
const THIS_FILE = 'test/lib/requirements.test.ts';
const TEXT_FILE = /\.(ts|js|html|md|json)$/;
/** Markers that exempt a heading from being cited by code or tests. */
const NOT_IMPLEMENTED = /not implemented yet/i;
const NOT_CITED_YET = /not cited in code or tests yet/i;

/**
 * The requirement ids a text cites, ranges expanded: `R-VEH-1..4` (also `R-VEH-1–4`) is 1, 2, 3
 * and 4; `R-CP-1/2/5` is 1, 2 and 5.
 */
export function citedIds(text: string): string[] {
  const out = new Set<string>();
  const re = /\bR-([A-Z0-9]+)-(\d+)((?:\/\d+)+|(?:\.\.|–)\d+)?/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const family = m[1];
    const first = Number(m[2]);
    const rest = m[3] ?? '';
    let numbers = [first];
    if (rest.startsWith('/')) numbers = numbers.concat(rest.slice(1).split('/').map(Number));
    else if (rest) {
      const last = Number(rest.replace(/^(\.\.|–)/, ''));
      numbers = [];
      for (let i = first; i <= last && i - first < 100; i++) numbers.push(i);
    }
    for (const n of numbers) out.add(`R-${family}-${n}`);
  }
  return [...out];
}

/** GitHub's anchor for a heading text (lower case, punctuation dropped, spaces → hyphens). */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The headings of a Markdown text (outside fenced code blocks), with their level. */
export function headings(md: string): { level: number; text: string; line: number }[] {
  const out: { level: number; text: string; line: number }[] = [];
  let fenced = false;
  md.split('\n').forEach((raw, i) => {
    if (/^\s*(```|~~~)/.test(raw)) fenced = !fenced;
    const m = !fenced && /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(raw);
    if (m) out.push({ level: m[1].length, text: m[2], line: i + 1 });
  });
  return out;
}

export interface RequirementInput {
  /** docs/requirements.md itself. */
  doc: string;
  /** Every cited id → the repository-relative files citing it (the requirements file excluded). */
  cited: Map<string, string[]>;
  /** Does this repository-relative path exist? */
  exists: (rel: string) => boolean;
}

/** Everything wrong between the requirements file and its citations, in words ([] = nothing). */
export function requirementProblems({ doc, cited, exists }: RequirementInput): string[] {
  const problems: string[] = [];
  const lines = doc.split('\n');
  const all = headings(doc);
  const reqs = new Map<string, string>(); // id → its block of text
  for (let k = 0; k < all.length; k++) {
    const h = all[k];
    if (!/\bR-[A-Z0-9]+-\d+/.test(h.text)) continue;
    if (h.level !== 3 || !/^R-[A-Z0-9]+-\d+$/.test(h.text)) {
      problems.push(
        `line ${h.line}: a requirement heading must be "### <id>" and nothing else (so its anchor is the id in lower case): "${h.text}"`,
      );
      continue;
    }
    if (reqs.has(h.text)) problems.push(`line ${h.line}: ${h.text} has two headings`);
    const end = k + 1 < all.length ? all[k + 1].line - 1 : lines.length;
    reqs.set(h.text, lines.slice(h.line, end).join('\n'));
  }

  // Every cited id has its heading.
  for (const [id, files] of [...cited].sort()) {
    if (!reqs.has(id))
      problems.push(
        `${id} is cited (${files.slice(0, 3).join(', ')}${files.length > 3 ? ', …' : ''}) but has no "### ${id}" heading in ${DOC}`,
      );
  }

  for (const [id, block] of reqs) {
    const status = /^\*\*Status:\*\*(.*)$/m.exec(block)?.[1] ?? '';
    const exempt = NOT_IMPLEMENTED.test(status) || NOT_CITED_YET.test(status);
    // Every heading is cited by code or tests, or says why not.
    const byCode = (cited.get(id) ?? []).filter((f) => CODE_AND_TESTS.some((d) => f.startsWith(d)));
    if (byCode.length === 0 && !exempt)
      problems.push(`${id} has a heading but no code or test cites it (cite it, or say "**Status:** not implemented yet (issue N)")`);
    // Implemented rules say where they live.
    const where = /^\*\*Where:\*\*(.*)$/m.exec(block)?.[1];
    const tests = /^\*\*Tests:\*\*(.*)$/m.exec(block)?.[1];
    if (!NOT_IMPLEMENTED.test(status) && (where === undefined || tests === undefined)) {
      problems.push(`${id} needs a "**Where:**" and a "**Tests:**" line (or "**Status:** not implemented yet (issue N)")`);
    }
    // The files they name exist.
    for (const line of [where, tests]) {
      for (const m of (line ?? '').matchAll(/`([^`\s]+)`/g)) {
        const p = m[1];
        if (/^(lib|nodes|tools|test|examples|docs)\//.test(p) && !exists(p)) problems.push(`${id} names ${p}, which does not exist`);
      }
    }
  }
  return problems;
}

/** Repository-relative paths of the scanned text files. */
function scannedFiles(): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const abs = path.join(REPO_ROOT, rel);
    const st = fs.statSync(abs);
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(abs).sort()) if (name !== 'node_modules') walk(path.posix.join(rel, name));
    } else if (TEXT_FILE.test(rel)) out.push(rel);
  };
  for (const r of SCANNED) walk(r);
  return out;
}

const read = (rel: string): string => fs.readFileSync(path.join(REPO_ROOT, rel), 'utf8');
const exists = (rel: string): boolean => fs.existsSync(path.join(REPO_ROOT, rel));

// ------------------------------------------------------------------------------------------

describe('docs/requirements.md — every requirement id cited resolves there, and the reverse (issue 10)', () => {
  const doc = read(DOC);
  const files = scannedFiles().filter((f) => f !== THIS_FILE);
  const texts = new Map(files.map((f) => [f, read(f)] as const));

  it('the scan sees the code, the tests, the docs and the README', () => {
    for (const f of [
      'lib/core/balancer.ts',
      'nodes/dlm-balancer/dlm-balancer.ts',
      'test/lib/balancer.test.ts',
      'docs/messages.md',
      'README.md',
      DOC,
    ]) {
      assert.ok(texts.has(f), `${f} not scanned`);
    }
    assert.ok(!texts.has(THIS_FILE));
  });

  it('every cited id has its "### <id>" heading; every heading is cited by code or tests or marked not implemented; named files exist', () => {
    const cited = new Map<string, string[]>();
    for (const [f, text] of texts) {
      if (f === DOC) continue;
      for (const id of citedIds(text)) cited.set(id, [...(cited.get(id) ?? []), f]);
    }
    // The requirements file's own cross-references must resolve too (but do not count as citations).
    for (const id of citedIds(doc)) if (!cited.has(id)) cited.set(id, [DOC]);
    const problems = requirementProblems({ doc, cited, exists });
    assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
  });

  it('every link into docs/requirements.md lands on a heading, and its own links land on existing files and headings', () => {
    const anchorsOf = (rel: string): Set<string> => new Set(headings(read(rel)).map((h) => slug(h.text)));
    const own = anchorsOf(DOC);
    const problems: string[] = [];
    for (const [f, text] of texts) {
      for (const m of text.matchAll(/requirements\.md#([A-Za-z0-9_-]+)/g)) {
        if (!own.has(m[1])) problems.push(`${f}: link to ${DOC}#${m[1]}, no such heading`);
      }
    }
    for (const m of doc.matchAll(/\]\(([^)\s]+)\)/g)) {
      const [target, anchor] = m[1].split('#');
      if (/^[a-z]+:/.test(target)) continue;
      const rel = target === '' ? DOC : path.posix.normalize(path.posix.join('docs', target));
      if (!exists(rel)) {
        problems.push(`${DOC}: link ${m[1]}: ${rel} does not exist`);
        continue;
      }
      if (anchor !== undefined && rel.endsWith('.md') && !anchorsOf(rel).has(anchor))
        problems.push(`${DOC}: link ${m[1]}: no heading #${anchor} in ${rel}`);
    }
    assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
  });

  it('README points to docs/requirements.md, not to a SPEC.md outside the repository', () => {
    const readme = texts.get('README.md')!;
    assert.match(readme, /docs\/requirements\.md/);
    assert.doesNotMatch(readme, /SPEC\.md/);
  });
});

describe('the requirement checks themselves (they fail when they should)', () => {
  const made = (...blocks: string[]): string => `# Requirements\n\n## 1. Things\n\n${blocks.join('\n\n')}\n`;
  const done = (id: string): string => `### ${id}\n\nA rule.\n\n**Where:** \`lib/a.ts\`\n**Tests:** \`test/a.test.ts\``;
  const everything = (): boolean => true;
  const citing = (...ids: string[]): Map<string, string[]> => new Map(ids.map((id) => [id, ['lib/a.ts']]));

  it('cited ids: single ids, ranges with .. or – and lists with / are expanded', () => {
    assert.deepEqual(citedIds('see R-ALLOC-4 and (R-MTR-4/5), R-VEH-1..3; R-CP-2–3, R-3PH-1').sort(), [
      'R-3PH-1',
      'R-ALLOC-4',
      'R-CP-2',
      'R-CP-3',
      'R-MTR-4',
      'R-MTR-5',
      'R-VEH-1',
      'R-VEH-2',
      'R-VEH-3',
    ]);
    assert.deepEqual(citedIds('HR-ALLOC-1, R-ALLOC, SPEC §4'), []);
  });

  it('a complete document passes', () => {
    assert.deepEqual(
      requirementProblems({ doc: made(done('R-X-1'), done('R-X-2')), cited: citing('R-X-1', 'R-X-2'), exists: everything }),
      [],
    );
  });

  it('a removed heading fails, naming the id and a file that cites it', () => {
    const problems = requirementProblems({ doc: made(done('R-X-1')), cited: citing('R-X-1', 'R-X-2'), exists: everything });
    assert.equal(problems.length, 1);
    assert.match(problems[0], /R-X-2 is cited \(lib\/a\.ts\) but has no "### R-X-2" heading/);
  });

  it('a heading nobody cites fails, unless marked not implemented yet (no Where/Tests needed then)', () => {
    assert.match(
      requirementProblems({ doc: made(done('R-X-1')), cited: new Map(), exists: everything }).join('\n'),
      /R-X-1 has a heading but no code or test cites it/,
    );
    const planned = '### R-X-1\n\nA rule.\n\n**Status:** not implemented yet (issue 11)';
    assert.deepEqual(requirementProblems({ doc: made(planned), cited: new Map(), exists: everything }), []);
  });

  it('a citation from the docs alone does not count for the reverse direction', () => {
    const problems = requirementProblems({ doc: made(done('R-X-1')), cited: new Map([['R-X-1', ['docs/other.md']]]), exists: everything });
    assert.match(problems.join('\n'), /R-X-1 has a heading but no code or test cites it/);
  });

  it('a heading with more than the id, a duplicate, a missing Where line or a missing file fails', () => {
    const titled = '### R-X-1 Pause\n\nA rule.';
    assert.match(
      requirementProblems({ doc: made(titled), cited: new Map(), exists: everything }).join('\n'),
      /must be "### <id>" and nothing else/,
    );
    assert.match(
      requirementProblems({ doc: made(done('R-X-1'), done('R-X-1')), cited: citing('R-X-1'), exists: everything }).join('\n'),
      /R-X-1 has two headings/,
    );
    const noWhere = '### R-X-1\n\nA rule.\n\n**Tests:** `test/a.test.ts`';
    assert.match(
      requirementProblems({ doc: made(noWhere), cited: citing('R-X-1'), exists: everything }).join('\n'),
      /R-X-1 needs a "\*\*Where:\*\*" and a "\*\*Tests:\*\*" line/,
    );
    const problems = requirementProblems({ doc: made(done('R-X-1')), cited: citing('R-X-1'), exists: (p) => p !== 'test/a.test.ts' });
    assert.deepEqual(problems, ['R-X-1 names test/a.test.ts, which does not exist']);
  });

  it('anchors: GitHub slugs of headings', () => {
    assert.equal(slug('R-ALLOC-4'), 'r-alloc-4');
    assert.equal(slug('Persistence across restarts and redeploys (R-ERR-2)'), 'persistence-across-restarts-and-redeploys-r-err-2');
    assert.equal(slug('Fallback budget: what if Node-RED stops'), 'fallback-budget-what-if-node-red-stops');
    assert.equal(slug('4. Allocation'), '4-allocation');
  });
});
