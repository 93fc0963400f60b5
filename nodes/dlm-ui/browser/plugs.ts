import { NO_PLATE } from '../../../lib/shared/params';
import { validatePlate } from '../../../lib/shared/plate';
import { sentence, type Scope } from './scope';

interface PlugRow {
  id: number;
  letter: string;
  plate: string;
}

/**
 * The plate typed in the page, checked with the balancer's own rule (R-CP-6, lib/shared/plate.ts):
 * the trimmed plate, or why not, worded for the field.
 */
export function plateEdit(value: unknown): { ok: true; plate: string } | { ok: false; error: string } {
  const text = value === undefined || value === null ? '' : String(value);
  const r = validatePlate(text);
  if (r.ok) return r;
  return { ok: false, error: text.trim() === '' ? 'The plate cannot be empty: enter ' + NO_PLATE + ' for none.' : sentence(r.error) };
}

/** The plugs widget: edit a plug's licence plate in place (✎ Edit, ✓ Ok / Enter, ✗ Cancel / Esc). */
export function plugs(scope: Scope): void {
  scope.edit = { id: null, value: '', error: '', label: '' };
  scope.startEdit = function (p: PlugRow, cp: string) {
    scope.edit.id = p.id;
    scope.edit.value = p.plate;
    scope.edit.error = '';
    scope.edit.label = cp + '_' + p.letter;
  };
  scope.cancelEdit = function () {
    scope.edit.id = null;
    scope.edit.error = '';
  };
  scope.saveEdit = function (p: PlugRow) {
    const r = plateEdit(scope.edit.value);
    if (!r.ok) {
      scope.edit.error = r.error;
      return;
    }
    scope.send({ topic: 'plate', payload: { plugId: p.id, plate: r.plate } });
    scope.edit.id = null;
    scope.edit.error = '';
  };
  scope.keyEdit = function (e: KeyboardEvent, p: PlugRow) {
    if (e.keyCode === 13) scope.saveEdit(p);
    if (e.keyCode === 27) scope.cancelEdit();
  };
}
