/**
 * nodes/common/http-api.ts, the pure parts (issue 9 items 2, 9; R-SEC-1, R-SEC-3): which node a
 * request means, and refusals that stay short whatever the reason holds. The routes themselves
 * are tested in a real Node-RED (test/integration/http-api.test.ts).
 */
import { strict as assert } from 'assert';
import { choose, errorBody, MAX_ERROR_REPLY_BYTES } from '../../nodes/common/http-api';

const node = (id: string, name: string) => ({ id, name });

describe('http-api: choosing the node and bounding refusals (issue 9, R-SEC-1, R-SEC-3)', () => {
  it('one node is the default; several need ?balancer=; by id, then by unique name; none deployed → 503', () => {
    const one = new Map([['a', node('a', 'site')]]);
    assert.deepEqual(choose(one, 'dlm-balancer', 'balancer', undefined), { node: node('a', 'site') });
    const two = new Map([
      ['a', node('a', 'site')],
      ['b', node('b', 'garage')],
      ['c', node('c', 'garage')],
    ]);
    assert.equal((choose(two, 'dlm-balancer', 'balancer', undefined) as any).code, 400);
    assert.deepEqual(choose(two, 'dlm-balancer', 'balancer', 'b'), { node: node('b', 'garage') });
    assert.deepEqual(choose(two, 'dlm-balancer', 'balancer', 'site'), { node: node('a', 'site') });
    assert.equal((choose(two, 'dlm-balancer', 'balancer', 'garage') as any).code, 409);
    assert.equal((choose(two, 'dlm-balancer', 'balancer', 'nope') as any).code, 404);
    for (const q of [['a'], { x: 1 }, '', 'x'.repeat(201)]) assert.equal((choose(two, 'dlm-balancer', 'balancer', q) as any).code, 400);
    assert.equal((choose(new Map(), 'priority-schedule', 'schedule', undefined) as any).code, 503);
    for (const q of ['nope', 'x'.repeat(201)])
      assert.ok(!(choose(two, 'dlm-balancer', 'balancer', q) as any).error.includes(q.slice(0, 4)));
  });

  it(`every refusal body is JSON {error} of at most ${MAX_ERROR_REPLY_BYTES} bytes, even for long or escaped texts`, () => {
    for (const text of ['short', 'é'.repeat(5000), '\u0001'.repeat(5000), '"'.repeat(1000), '']) {
      const body = errorBody(text);
      assert.ok(Buffer.byteLength(body) <= MAX_ERROR_REPLY_BYTES, `${body.length}`);
      assert.equal(typeof JSON.parse(body).error, 'string');
    }
    assert.deepEqual(JSON.parse(errorBody('short')), { error: 'short' });
  });
});
