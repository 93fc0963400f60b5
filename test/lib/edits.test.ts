import { strict as assert } from 'assert';
import { editRefusal } from '../../lib/dashboard/edits';

describe('lib/edits: who may edit from a dashboard widget (R-SEC-1, issue 9 item 2)', () => {
  const mw = () => undefined;
  it('"protected" (and no setting, the default) needs both ui.middleware and ui.ioMiddleware', () => {
    for (const mode of ['protected', undefined, '']) {
      assert.match(editRefusal(mode, undefined) ?? '', /no login/);
      assert.match(editRefusal(mode, { middleware: mw }) ?? '', /no login/);
      assert.match(editRefusal(mode, { ioMiddleware: mw }) ?? '', /no login/);
      assert.equal(editRefusal(mode, { middleware: mw, ioMiddleware: mw }), null);
    }
  });
  it('"open" always edits, "readonly" never, an unknown mode is refused; ui.readOnly stops everything', () => {
    assert.equal(editRefusal('open', undefined), null);
    assert.match(editRefusal('readonly', { middleware: mw, ioMiddleware: mw }) ?? '', /read-only/);
    assert.match(editRefusal('sometimes', { middleware: mw, ioMiddleware: mw }) ?? '', /not protected, open or readonly/);
    assert.match(editRefusal('open', { readOnly: true }) ?? '', /ui\.readOnly/);
    for (const m of ['protected', 'open', 'readonly', 'x']) assert.ok((editRefusal(m, null) ?? '').length <= 200);
  });
});
