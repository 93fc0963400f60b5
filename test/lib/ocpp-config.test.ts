import { strict as assert } from 'assert';
import { centralConfigFromEditor, identityProblem } from '../../lib/ocpp/config';
import { identityFromPath } from '../../nodes/common/ocpp-rpc';

describe('lib/ocpp/config: the ocpp-central editor configuration (issue 12, R-SEC-5)', () => {
  it('parses the allow-list, the passwords from the credentials and the defaults', () => {
    const r = centralConfigFromEditor(
      { port: '9000', chargers: [{ identity: 'CP01', plugs: 1, wholeAmps: true }, { identity: 'CP02' }] },
      { passwords: JSON.stringify({ CP01: 'secret-secret-01' }) },
    );
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.deepEqual(r.config, {
      host: '0.0.0.0',
      port: 9000,
      path: 'ocpp',
      tls: null,
      reactionDelayS: 5,
      idTags: [],
      chargers: [
        { identity: 'CP01', plugs: 1, wholeAmps: true, plateFromIdTag: false, password: 'secret-secret-01' },
        { identity: 'CP02', plugs: 2, wholeAmps: false, plateFromIdTag: false, password: '' },
      ],
    });
    assert.deepEqual(r.warnings, ['CP02 has no password (security profile 0)']);
  });

  it('refuses bad identities, duplicates, bad ports, TLS without files and broken stored passwords', () => {
    const errs = (n: Record<string, unknown>, c?: Record<string, unknown>) => {
      const r = centralConfigFromEditor(n, c);
      return r.ok ? [] : r.errors;
    };
    assert.match(errs({ chargers: [{ identity: 'a/b' }] }).join(), /"\/"/);
    assert.match(errs({ chargers: [{ identity: 'x'.repeat(49) }] }).join(), /48/);
    assert.match(errs({ chargers: [{ identity: 'CP01' }, { identity: 'CP01' }] }).join(), /twice/);
    assert.match(errs({ port: 70000 }).join(), /port/);
    assert.match(errs({ tls: true }).join(), /TLS/);
    assert.match(errs({}, { passwords: '{nope' }).join(), /JSON/);
    assert.match(errs({ chargers: [{ identity: 'CP01', plugs: 3 }] }).join(), /plugs/);
    assert.match(errs({ idTags: 'OK1 ' + 'x'.repeat(21) }).join(), /idTag/);
    const r = centralConfigFromEditor({ idTags: 'AB12, CD34\nEF56' }, undefined);
    assert.deepEqual(r.ok && r.config.idTags, ['AB12', 'CD34', 'EF56']);
    assert.equal(identityProblem('CP\u0007'), 'identity must not contain control characters or "/"');
  });

  it('the URL check before the library: decodable, bounded identity; a bad %-escape is refused, not thrown (R-SEC-3)', () => {
    assert.deepEqual(identityFromPath('/ocpp/CP%2001'), { endpoint: '/ocpp', identity: 'CP 01' });
    assert.equal(identityFromPath('/ocpp/%E0%A4%A'), null);
    assert.equal(identityFromPath('/ocpp/'), null);
    assert.equal(identityFromPath('/ocpp/' + 'x'.repeat(49)), null);
    assert.equal(identityFromPath('/ocpp/a%0Ab'), null);
    assert.equal(identityFromPath(undefined), null);
  });
});
