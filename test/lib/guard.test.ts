import { strict as assert } from 'assert';
import * as fc from 'fast-check';
import {
  boundedText,
  describeValue,
  MAX_ERROR_TEXT,
  messageProblem,
  topicProblem,
  UNTRUSTED_LIMITS,
  untrustedProblem,
} from '../../lib/shared/guard';

/** An array nested `n` deep: [[[…0…]]]. Built iteratively (as an attacker's JSON parser would). */
function nested(n: number, leaf: unknown = 0): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < n; i++) v = [v];
  return v;
}

describe('lib/guard — the first check of untrusted values (R-SEC-3, issue 9 item 1)', () => {
  it('refuses deep nesting before anything stringifies it: plugId 6 000 arrays deep (the crash of issue 9 item 1)', () => {
    const deep = { plugId: nested(6000), plate: 'X' };
    assert.throws(() => JSON.stringify(nested(2_000_000)));
    assert.match(untrustedProblem(deep)!, /nested deeper than 16 levels/);
    assert.equal(untrustedProblem(nested(UNTRUSTED_LIMITS.maxDepth)), null);
    assert.match(untrustedProblem(nested(UNTRUSTED_LIMITS.maxDepth + 1))!, /nested deeper/);
  });

  it('refuses circular references, BigInt, functions, symbols, Maps and prototype keys', () => {
    const circ: any = { a: { b: {} } };
    circ.a.b.back = circ;
    assert.match(untrustedProblem(circ)!, /circular/);
    const selfArr: any[] = [];
    selfArr.push(selfArr);
    assert.match(untrustedProblem(selfArr)!, /circular/);
    assert.match(untrustedProblem({ plugId: 10n })!, /BigInt/);
    assert.match(untrustedProblem({ f: () => 1 })!, /function/);
    assert.match(untrustedProblem([Symbol('x')])!, /symbol/);
    assert.match(untrustedProblem({ [Symbol('k')]: 1 })!, /symbol key/);
    assert.match(untrustedProblem({ m: new Map() })!, /Map/);
    assert.match(untrustedProblem(JSON.parse('{"__proto__": {"isAdmin": true}}'))!, /forbidden key/);
    assert.match(untrustedProblem({ a: { constructor: { prototype: {} } } })!, /forbidden key/);
    assert.match(untrustedProblem({ prototype: 1 })!, /forbidden key/);
  });

  it('a value shared by two branches is not a cycle; a DAG that explodes is cut by the value count', () => {
    const shared = { x: 1 };
    assert.equal(untrustedProblem({ a: shared, b: [shared, shared] }), null);
    let dag: unknown = [1];
    for (let i = 0; i < 15; i++) dag = [dag, dag]; // 2^15 paths, 16 objects
    assert.match(untrustedProblem(dag)!, /too large/);
  });

  it('bounds sizes: long texts and keys, many values, big binaries; small binaries and dates pass', () => {
    assert.match(untrustedProblem('x'.repeat(UNTRUSTED_LIMITS.maxStringLength + 1))!, /text longer/);
    assert.equal(untrustedProblem('x'.repeat(UNTRUSTED_LIMITS.maxStringLength)), null);
    assert.match(untrustedProblem({ ['k'.repeat(UNTRUSTED_LIMITS.maxStringLength + 1)]: 1 })!, /key longer/);
    assert.match(untrustedProblem(new Array(UNTRUSTED_LIMITS.maxValues + 1).fill(0))!, /too large/);
    assert.match(untrustedProblem(Buffer.alloc(UNTRUSTED_LIMITS.maxBytes + 1))!, /binary/);
    assert.equal(untrustedProblem({ buffer: Buffer.alloc(84), data: [1, 2, 3], at: new Date(0) }), null);
  });

  it('a value that throws when read is refused, not thrown', () => {
    const trap = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('boom');
        },
      },
    );
    assert.match(untrustedProblem({ trap })!, /cannot be read/);
    const getter = Object.defineProperty({}, 'x', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    assert.match(untrustedProblem(getter)!, /cannot be read/);
  });

  it('reasons never quote the input and stay short', () => {
    const secret = 'SECRET-' + 'y'.repeat(20000);
    for (const v of [secret, { [secret]: 1 }, { plugId: [[secret]] }, nested(100, secret)]) {
      const r = untrustedProblem(v)!;
      assert.ok(r && !r.includes('SECRET'), r);
      assert.ok(r.length <= MAX_ERROR_TEXT, r);
    }
  });

  it('messageProblem checks the topic and the named fields; topicProblem bounds the topic', () => {
    assert.equal(messageProblem({ topic: 'plug', payload: { a: 1 } }), null);
    assert.match(messageProblem({ topic: { x: 1 }, payload: 1 })!, /topic must be text/);
    assert.match(messageProblem({ topic: 't'.repeat(65) })!, /longer than 64/);
    assert.match(
      messageProblem({ payload: 1, responseBuffer: nested(100) }, ['payload', 'responseBuffer'])!,
      /msg.responseBuffer is nested/,
    );
    assert.match(messageProblem(null)!, /not an object/);
    assert.equal(topicProblem(undefined), null);
  });

  it('boundedText and describeValue: at most 200 / 40 characters, no markup, no input beyond a short plain word', () => {
    assert.equal(boundedText('a'.repeat(500)).length, MAX_ERROR_TEXT);
    assert.equal(boundedText('short'), 'short');
    assert.equal(describeValue('CP01'), '"CP01"');
    assert.equal(describeValue('<script>alert(1)</script>'), 'a text of 25 characters');
    assert.equal(describeValue([1]), 'an array');
    assert.equal(describeValue(10n), 'a bigint');
    fc.assert(fc.property(fc.anything(), (x) => describeValue(x).length <= 40 && !/[<>]/.test(describeValue(x))));
  });

  it('property: never throws on any value, and whatever passes can be stringified and copied', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withMap: true,
          withSet: true,
          withTypedArray: true,
          withDate: true,
          withNullPrototype: true,
          withObjectString: true,
        }),
        (x) => {
          const r = untrustedProblem(x);
          if (r === null) {
            JSON.stringify(x);
            structuredClone(x);
          } else {
            assert.ok(r.length <= MAX_ERROR_TEXT);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
