/**
 * Licence plates (R-CP-6): untrusted text, kept verbatim, never interpreted. Shared vocabulary.
 */
import { NO_PLATE, PLATE_MAX_LENGTH } from './params';

/** C0/C1 control characters and the Unicode line/paragraph separators (defined in guard.ts, which has no imports). */
import { CONTROL_CHARS } from './guard';
export { CONTROL_CHARS };

/** Checks a licence plate (R-CP-6): text, trimmed, not empty ("-" = none), short, no control characters. */
export function validatePlate(x: unknown): { ok: true; plate: string } | { ok: false; error: string } {
  if (typeof x !== 'string') return { ok: false, error: `plate must be text ("${NO_PLATE}" for none)` };
  const plate = x.trim();
  if (plate === '') return { ok: false, error: `plate must not be empty: use "${NO_PLATE}" for none` };
  if (plate.length > PLATE_MAX_LENGTH) return { ok: false, error: `plate must be at most ${PLATE_MAX_LENGTH} characters` };
  if (CONTROL_CHARS.test(plate)) return { ok: false, error: 'plate must not contain control characters' };
  return { ok: true, plate };
}
