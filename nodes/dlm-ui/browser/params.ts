import { checkParam, PARAM_SPECS } from '../../../lib/shared/params';
import { sentence, type Scope } from './scope';

/** One row of the parameters view (lib/dashboard paramsView). */
interface ParamRow {
  key: string;
  value: unknown;
}

/** The page's draft: values typed, which were touched, their errors, and the last "Sent: …" line. */
interface Draft {
  v: Record<string, unknown>;
  dirty: Record<string, boolean>;
  err: Record<string, string>;
  info: string;
}

/**
 * Why the page refuses a value, or '' (R-MON-3): the balancer's own range check (checkParam of
 * lib/shared/params.ts), without the setting's name — the text sits under its field ("At least 6 A.").
 */
export function fieldError(key: string, value: unknown): string {
  const spec = PARAM_SPECS.find((s) => s.key === key);
  if (!spec) return 'Unknown setting.';
  const problem = checkParam(spec, value);
  if (!problem) return '';
  const rule = problem.replace(/^.*? must be /, '');
  return sentence((/^an? /.test(rule) ? 'Enter ' : /^one of /.test(rule) ? 'Choose ' : '') + rule);
}

/** The touched values as a change, each checked; the errors go into the draft. */
function draftChange(d: Draft, rows: ParamRow[]): { change: Record<string, unknown>; bad: number } {
  const change: Record<string, unknown> = {};
  let bad = 0;
  rows.forEach(function (r) {
    if (!d.dirty[r.key]) return;
    const raw = d.v[r.key];
    const v = typeof raw === 'string' ? raw.trim() : raw;
    const e = fieldError(r.key, v);
    d.err[r.key] = e;
    if (e) bad++;
    else change[r.key] = v;
  });
  return { change, bad };
}

/** The parameters widget: a draft per setting, checked in the page, sent as one { topic: 'params' } change. */
export function params(scope: Scope): void {
  const d: Draft = { v: {}, dirty: {}, err: {}, info: '' };
  scope.d = d;
  const rows = (): ParamRow[] | null => (scope.msg && scope.msg.payload && scope.msg.payload.rows) || null;
  scope.$watch('msg', function (m: Scope['msg']) {
    if (!m || !m.payload || !m.payload.rows) return;
    // The server refused the last change: its reason replaces "Sent: …".
    if (m.payload.serverNote && m.payload.serverNote.error) d.info = '';
    m.payload.rows.forEach(function (r: ParamRow) {
      if (!d.dirty[r.key]) d.v[r.key] = r.value;
    });
  });
  scope.touch = function (r: ParamRow) {
    d.dirty[r.key] = true;
    d.err[r.key] = '';
    d.info = '';
  };
  scope.reset = function () {
    d.dirty = {};
    d.err = {};
    d.info = '';
    (rows() || []).forEach(function (r) {
      d.v[r.key] = r.value;
    });
  };
  scope.anyDirty = function () {
    return Object.keys(d.dirty).length > 0;
  };
  scope.apply = function () {
    const all = rows();
    if (!all) return;
    const { change, bad } = draftChange(d, all);
    if (bad) {
      d.info = 'Not sent: correct the marked values.';
      return;
    }
    if (Object.keys(change).length === 0) return;
    scope.send({ topic: 'params', payload: change });
    d.dirty = {};
    d.info =
      'Sent: ' +
      Object.keys(change)
        .map((k) => k + ' = ' + change[k])
        .join(', ');
  };
}
