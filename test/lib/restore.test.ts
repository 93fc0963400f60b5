/**
 * Issue 9 item 4 (SPEC R-ERR-2, R-SEC-3): the check of a stored balancer state is total. A real
 * stored state (the core run through a scenario) is corrupted at EVERY field path — null, wrong
 * type, out of range, removed — and the check either names the problem or the state is safe to
 * step; it never throws. Plus the durable session log's parsing and the reconciliation of a
 * stored open session with the log (issue 9 item 5).
 */
import { strict as assert } from 'assert';
import fc from 'fast-check';
import { findPlug, type BalancerState, type DlmEvent } from '../../lib/core/state';
import { step } from '../../lib/core/balancer';
import { mergeHistory, parseRecordLog, reconcileWithLog, recordLine } from '../../lib/records/history';
import { readableHistory, restoreProblem, storedProblem } from '../../lib/core/restore';
import type { TransactionRecord } from '../../lib/shared/types';
import { plugMsg, Site, type CpSpec } from '../support/site';

/** A real stored state: four charge points, priority hours, open and closed sessions, a queued plug, an offline charge point. */
function realState(): { state: BalancerState; cps: CpSpec[]; now: number } {
  const site = new Site({ mccbA: 40, marginPct: 0, waitingTimeS: 5, minPauseS: 60 });
  site.apply({ type: 'schedule', schedule: { enabled: true, slots: new Array(24).fill(true) }, timeZone: 'Europe/Madrid' });
  const cps: CpSpec[] = [
    {
      name: 'CP01',
      index: 1,
      plugs: [
        { letter: 'A', phase: 'L1', pilot: 'C', priority: true, measuredA: 14, energyWh: 500 },
        { letter: 'B', phase: 'L1', pilot: 'C', measuredA: 10 },
      ],
    },
    { name: 'CP02', index: 2, plugs: [{ letter: 'A', phase: 'L1', pilot: 'B', plate: 'AB-123' }] },
    {
      name: 'CP03',
      index: 3,
      devicePlugs: 2,
      plugs: [
        { letter: 'A', phase: 'L2', pilot: 'C' },
        { letter: 'B', phase: 'L3', pilot: 'C', fault: 'x' },
      ],
    },
    { name: 'CP05', index: 5, offline: { heartbeatS: 30, mode: 2, currentA: 10 }, plugs: [{ letter: 'B', phase: 'L2', pilot: 'C' }] },
  ];
  for (const cp of cps) site.report(cp);
  site.run(8, [12, 5, 30]);
  site.plug('CP03', 'A', { pilot: 'A' }); // a closed session
  site.report({ ...cps[3], online: false }); // an offline charge point
  site.run(3, [12, 5, 30]);
  const state = JSON.parse(JSON.stringify(site.state)) as BalancerState;
  return { state, cps, now: site.now };
}

/** Steps the state through ticks and the events a restart brings; throws if the core does. */
function stepAround(state: BalancerState, cps: CpSpec[], now: number, ticks = 5): void {
  let s = state;
  const events: DlmEvent[] = [
    { type: 'meter', meter: { online: true, currentA: [10, 10, 10], timestamp: now } },
    ...cps.map((cp): DlmEvent => ({ type: 'plug', plug: plugMsg(cp, now) })),
    { type: 'plate', plugId: 1, plate: 'NEW-1' },
    { type: 'params', params: { mccbA: 35 } },
  ];
  for (const e of events) s = step(s, e, now).state;
  for (let i = 1; i <= ticks; i++) s = step(s, { type: 'tick' }, now + i * 1000).state;
}

type Path = (string | number)[];

/** Every path of a JSON value (containers and leaves), root excluded. */
function paths(v: unknown, prefix: Path = []): Path[] {
  if (v === null || typeof v !== 'object') return [];
  const out: Path[] = [];
  const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v as object);
  for (const [k, x] of entries) {
    out.push([...prefix, k]);
    out.push(...paths(x, [...prefix, k]));
  }
  return out;
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));
const REMOVE = Symbol('remove');

/** A copy of `root` with the value at `path` replaced (or removed). */
function corrupt(root: unknown, path: Path, value: unknown): any {
  const copy = clone(root) as any;
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k];
  const last = path[path.length - 1];
  if (value === REMOVE) {
    if (Array.isArray(o)) o.splice(last as number, 1);
    else delete o[last];
  } else o[last] = value;
  return copy;
}

const get = (root: unknown, path: Path): unknown => path.reduce((o: any, k) => o[k], root);
const show = (p: Path) => p.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');

const SENTINEL = 'ZZ-SENTINEL-ZZ';
/** A value of another JSON type than `v`. */
function wrongType(v: unknown): unknown {
  if (typeof v === 'string') return 12345;
  if (typeof v === 'number' || typeof v === 'boolean') return SENTINEL;
  if (v === null) return [SENTINEL]; // a nullable text, time or object: an array is none of them
  return Array.isArray(v) ? { [SENTINEL]: 1 } : [SENTINEL];
}

describe('lib/restore — the stored state check is total (issue 9 item 4, R-ERR-2, R-SEC-3)', function () {
  this.timeout(120000);
  const { state, cps, now } = realState();
  const all = paths(state);

  it('the real stored state covers the interesting fields and passes the check as it is', () => {
    assert.equal(restoreProblem(state), null);
    const shown = new Set(all.map(show));
    for (const p of [
      '.plugs[0].session.start',
      '.chargePoints[3].offlineSince',
      '.chargePoints[0].lastSent.A',
      '.view.table.PRIORITY.L1.state',
      '.meter.samples[0].a[2]',
      '.recentTransactions[0].stop',
      '.schedule.timeZone',
      '.plugs[2].plate',
    ]) {
      assert.ok(shown.has(p), `the scenario gives ${p}`);
    }
    assert.ok(all.length > 400, `${all.length} field paths`);
    stepAround(state, cps, now, 100);
  });

  it('every field path, set to a value of another type: refused, naming the field, never echoing the value', () => {
    for (const p of all) {
      const bad = corrupt(state, p, wrongType(get(state, p)));
      const problem = restoreProblem(bad);
      assert.ok(problem, `${show(p)} of another type must be refused`);
      assert.ok(problem.length <= 200, 'bounded reason');
      assert.ok(!problem.includes(SENTINEL) && !problem.includes('12345'), `the reason does not quote the stored value (${problem})`);
      assert.ok(problem.includes(String(p[0])), `the reason names the field (${show(p)}: ${problem})`);
    }
  });

  it('every object field removed: refused (except the per-letter and per-phase entries, which are optional: then safe to step)', () => {
    const optional = /(\.lastSent\.[AB]|\.view\.table\.[A-Z]+\.L[123])$/;
    for (const p of all.filter((q) => typeof q[q.length - 1] === 'string')) {
      const bad = corrupt(state, p, REMOVE);
      if (optional.test(show(p))) {
        assert.equal(restoreProblem(bad), null);
        stepAround(bad, cps, now);
      } else assert.ok(restoreProblem(bad), `${show(p)} removed must be refused`);
    }
  });

  it('every field path set to null, out of range, or (array items) removed: refused or safe to step, never a throw', () => {
    const values: unknown[] = [null, REMOVE, -1, 0, 0.5, 7, 1e12, -1e20, Infinity, NaN, '', 'x'.repeat(20000), 'L2', 'B', true, {}, []];
    let refused = 0;
    let accepted = 0;
    for (const p of all) {
      for (const v of values) {
        const bad = corrupt(state, p, v);
        let problem: string | null = null;
        assert.doesNotThrow(
          () => {
            problem = restoreProblem(bad);
          },
          `restoreProblem must not throw at ${show(p)}`,
        );
        if (problem) {
          refused++;
          continue;
        }
        accepted++;
        assert.doesNotThrow(
          () => stepAround(bad, cps, now),
          `accepted corruption at ${show(p)} = ${String(v).slice(0, 20)} must be safe to step`,
        );
      }
    }
    assert.ok(refused > accepted, `${refused} refused, ${accepted} accepted and stepped`);
  });

  it("the issue's examples: chargePoints[0].offline = null and plugs[0] = null are refused (the old check passed the first and threw on the second)", () => {
    assert.match(restoreProblem(corrupt(state, ['chargePoints', 0, 'offline'], null))!, /chargePoints\[0\]\.offline/);
    assert.match(restoreProblem(corrupt(state, ['plugs', 0], null))!, /plugs\[0\]/);
  });

  it('references the core relies on: unsorted, a plug without its charge point, a wrong id/letter pair, a letter without its plug, a foreign session', () => {
    const swapped = clone(state);
    [swapped.plugs[0], swapped.plugs[1]] = [swapped.plugs[1], swapped.plugs[0]];
    assert.match(restoreProblem(swapped)!, /out of order/);
    const cpSwap = clone(state);
    [cpSwap.chargePoints[0], cpSwap.chargePoints[1]] = [cpSwap.chargePoints[1], cpSwap.chargePoints[0]];
    assert.match(restoreProblem(cpSwap)!, /out of order/);
    assert.match(restoreProblem(corrupt(state, ['plugs', 0, 'letter'], 'B'))!, /letter does not match its id/);
    assert.match(restoreProblem(corrupt(state, ['plugs', 0, 'chargePoint'], 'CP99'))!, /chargePoint/);
    assert.match(restoreProblem(corrupt(state, ['chargePoints', 0, 'letters'], ['A']))!, /letter is not configured/);
    assert.match(restoreProblem(corrupt(state, ['plugs', 1], REMOVE))!, /missing for letters/);
    assert.match(restoreProblem(corrupt(state, ['plugs', 0, 'session', 'plugId'], 2))!, /session belongs to another plug/);
    assert.match(restoreProblem(corrupt(state, ['chargePoints', 1, 'name'], 'CP01'))!, /name repeats/);
    assert.match(restoreProblem(corrupt(state, ['plugs', 0, 'session', 'stop'], now))!, /open session/);
  });

  it('given the restore time, a past event dated after it is refused (a clock set back would keep a silent charger or meter online, R-ERR-3)', () => {
    assert.equal(restoreProblem(state, now), null);
    assert.equal(restoreProblem(state, now - 60_000), null, 'within the tolerance');
    const back = now - 24 * 3600_000;
    assert.match(restoreProblem(state, back)!, /lies after the current time/);
    assert.match(
      restoreProblem(corrupt(state, ['chargePoints', 0, 'lastReportAt'], now + 3600_000), now)!,
      /chargePoints\[0\]\.lastReportAt lies after/,
    );
    assert.match(restoreProblem(corrupt(state, ['meter', 'lastValidAt'], now + 3600_000), now)!, /meter\.lastValidAt lies after/);
    assert.equal(restoreProblem(corrupt(state, ['plugs', 0, 'holdUntil'], now + 60_000), now), null, 'a hold ends in the future');
    assert.equal(storedProblem({ version: 1, configHash: 'h', state }, back)!.includes('lies after'), true);
  });

  it('shapes that could stop the process are refused by the guard first: deep nesting, cycles, huge arrays, prototype keys', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10000; i++) deep = [deep];
    assert.match(restoreProblem({ ...state, errors: deep })!, /nested deeper/);
    const cyc: any = clone(state);
    cyc.meter.self = cyc;
    assert.match(restoreProblem(cyc)!, /circular/);
    assert.match(restoreProblem(JSON.parse(`{"version":2,"__proto__":{"x":1}}`))!, /forbidden key/);
    assert.ok(restoreProblem({ ...state, errors: new Array(3_000_000).fill('') }));
    assert.match(restoreProblem(undefined)!, /not an object/);
    assert.match(restoreProblem('{"version":2')!, /not an object/);
  });

  it('truncated JSON of a stored value never reaches the check as an object; every prefix that parses is refused or safe', () => {
    const text = JSON.stringify({ version: 1, configHash: 'h', state });
    for (let cut = 0; cut < text.length; cut += 97) {
      let v: unknown;
      try {
        v = JSON.parse(text.slice(0, cut));
      } catch {
        v = text.slice(0, cut);
      }
      assert.ok(storedProblem(v), `a stored value cut at ${cut} is refused`);
    }
    assert.equal(storedProblem({ version: 1, configHash: 'h', state }), null);
    assert.match(storedProblem({ version: 2, configHash: 'h', state })!, /unknown format/);
  });

  it('property: random corruptions of a real state never make the check throw; whatever passes can be stepped 100 ticks', () => {
    const leafValue = fc.oneof(
      fc.constant(REMOVE),
      fc.constant(null),
      fc.boolean(),
      fc.double(),
      fc.integer({ min: -5, max: 300000 }),
      fc.string({ maxLength: 40 }),
      fc.constantFrom('A', 'B', 'L1', 'L2', 'L3', 'C', 'CP01', '-'),
      fc.jsonValue({ maxDepth: 3 }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(all.length - 1), leafValue), { minLength: 1, maxLength: 4 }), (changes) => {
        let bad: any = clone(state);
        for (const [i, v] of changes) {
          const p = all[i];
          try {
            get(bad, p.slice(0, -1));
          } catch {
            continue;
          } // an earlier change removed its parent
          if (get(bad, p.slice(0, -1)) === null || typeof get(bad, p.slice(0, -1)) !== 'object') continue;
          bad = corrupt(bad, p, v);
        }
        let problem: string | null = null;
        assert.doesNotThrow(() => {
          problem = restoreProblem(bad);
        });
        if (problem === null) stepAround(bad, cps, now, 100);
      }),
      { numRuns: 400 },
    );
  });
});

describe('lib/history — durable session log and reconciliation (issue 9 item 5)', () => {
  const rec = (plugId: number, start: number, stop: number): TransactionRecord => ({
    plugId,
    chargePoint: 'CP01',
    letter: plugId % 2 ? 'A' : 'B',
    plate: '-',
    start,
    stop,
    energyWh: 100,
    peakA: 16,
    pauses: 0,
  });

  it('a log back to records: a torn last line is ignored, bad lines skipped and counted, each record checked', () => {
    const a = rec(1, 1000, 2000);
    const b = rec(2, 1500, 2500);
    const text =
      recordLine(a) + 'not json\n' + JSON.stringify({ ...b, stop: null }) + '\n' + '\n' + recordLine(b) + recordLine(a).slice(0, 30);
    const parsed = parseRecordLog(text);
    assert.deepEqual(parsed.records, [a, b]);
    assert.equal(parsed.bad, 2);
    assert.equal(parsed.torn, true);
    assert.equal(parsed.lines, 4);
    assert.deepEqual(parseRecordLog(''), { records: [], bad: 0, torn: false, lines: 0 });
    const deep = '['.repeat(5000) + ']'.repeat(5000) + '\n' + '{"__proto__":{}}\n';
    assert.equal(parseRecordLog(deep).bad, 2);
  });

  it('a stored history is read record by record: readable ones kept, the others counted', () => {
    const good = rec(1, 1000, 2000);
    const r = readableHistory([good, null, { ...good, plugId: 'x' }, 5, { ...good, stop: null }, rec(2, 3000, 4000)]);
    assert.deepEqual(r.records, [good, rec(2, 3000, 4000)]);
    assert.equal(r.dropped, 4);
    assert.deepEqual(readableHistory(undefined), { records: [], dropped: 0 });
    assert.deepEqual(readableHistory({ a: 1 }), { records: [], dropped: 1 });
    // Issue 13: stored as one compact JSON text; the same checks record by record.
    const text = readableHistory(JSON.stringify([good, null, rec(2, 3000, 4000)]));
    assert.equal(text.records.length, 2);
    assert.equal(text.dropped, 1);
    assert.deepEqual(readableHistory('[{"plugId": 1,'), { records: [], dropped: 1 }, 'text that is not JSON');
    assert.deepEqual(readableHistory('"a"'), { records: [], dropped: 1 }, 'JSON that is not an array');
  });

  it('history from the log and context: one record per session, oldest first, bounded', () => {
    const a = rec(1, 1000, 2000);
    const b = rec(2, 1500, 2500);
    const c = rec(1, 3000, 4000);
    const m = mergeHistory([a, b], [b, c]);
    assert.deepEqual(m.history, [a, b, c]);
    assert.equal(m.fromContext, 1);
    assert.deepEqual(mergeHistory([a, b], [c], 2).history, [b, c]);
  });

  it('a session stored OPEN whose closing record is in the log is closed: no OPEN plug, no second record on the next report', () => {
    const site = new Site({ analyserEnabled: false });
    const cp: CpSpec = { name: 'CP01', index: 1, plugs: [{ letter: 'A', phase: 'L1', pilot: 'C', measuredA: 16 }] };
    site.report(cp);
    site.run(3);
    const stored = clone(site.state); // saved while the session was open
    site.plug('CP01', 'A', { pilot: 'A', measuredA: 0 }); // unplugged just before the crash
    const closed = site.last.closedTransactions;
    assert.equal(closed.length, 1);
    const r = reconcileWithLog(stored, closed);
    assert.equal(r.closed, 1);
    assert.equal(restoreProblem(r.state), null);
    const p = findPlug(r.state, 1)!;
    assert.equal(p.session, null);
    assert.equal(p.pilot, 'A');
    assert.deepEqual(r.state.recentTransactions.slice(-1), closed);
    // The charge point reports again (vehicle gone): nothing closes twice; the setpoint goes.
    let s = step(
      r.state,
      { type: 'plug', plug: plugMsg({ ...cp, plugs: [{ letter: 'A', phase: 'L1', pilot: 'A' }] }, site.now + 1000) },
      site.now + 1000,
    );
    assert.deepEqual(s.closedTransactions, []);
    s = step(s.state, { type: 'tick' }, site.now + 60000);
    assert.equal(findPlug(s.state, 1)!.setpointA, 0);
    // Without the log the stored state would have closed the session again (double record).
    const without = step(
      stored,
      { type: 'plug', plug: plugMsg({ ...cp, plugs: [{ letter: 'A', phase: 'L1', pilot: 'A' }] }, site.now + 1000) },
      site.now + 1000,
    );
    assert.equal(without.closedTransactions.length, 1);
    // Unrelated records change nothing.
    assert.equal(reconcileWithLog(stored, [rec(1, 1, 2)]).state, stored);
  });
});
