/**
 * A charge point's configuration (R-CP-1..3): the charge-point node's editor fields parsed and
 * validated in one place, before the node is built from them.
 */
import { PLUG_LETTERS, indexFromName, lettersOf } from '../shared/ids';
import {
  ADDRESS_MAX_LENGTH,
  DEFAULT_OFFLINE,
  DEFAULT_PLUG_COUNT,
  DEFAULT_PLUG_MAX_A,
  INDEX_MAX,
  NAME_MAX_LENGTH,
  PLUG_MAX_LIMITS,
  parseRotation,
  validateOffline,
} from '../shared/params';
import { describeValue } from '../shared/guard';
import { CONTROL_CHARS } from '../shared/plate';
import { PHASES, ROTATIONS, SITE_BOARD } from '../shared/types';
import type { ChargePointConfig, OfflineConfig, Phase, Rotation } from '../shared/types';

/** The charger phase rotation when the editor leaves it empty (R-3PH-1). */
export const DEFAULT_ROTATION: Rotation = 'RST';

/** The supply line a rotation letter names (R-3PH-1): R = L1, S = L2, T = L3. */
const LINE_OF_LETTER: Readonly<Record<string, Phase>> = Object.freeze({ R: 'L1', S: 'L2', T: 'L3' });

/** The supply lines of charger phases 1, 2, 3 under `rotation` (R-3PH-1): "STR" → L2, L3, L1. */
export function rotationLines(rotation: Rotation): [Phase, Phase, Phase] {
  return [LINE_OF_LETTER[rotation[0]], LINE_OF_LETTER[rotation[1]], LINE_OF_LETTER[rotation[2]]];
}

/**
 * A number from the editor: numbers pass, numeric text is converted, anything else (empty text,
 * "12abc", NaN) is NaN so range checks refuse it.
 */
export function editorNumber(x: unknown): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(x)) return Number(x);
  return NaN;
}

/** Builds the offline configuration from the editor fields; empty fields take the manual's defaults. */
export function offlineFromEditor(raw: {
  heartbeatS?: unknown;
  mode?: unknown;
  currentA?: unknown;
}): { ok: true; config: OfflineConfig } | { ok: false; errors: string[] } {
  const pick = (v: unknown, d: number) => (v === undefined || v === null || v === '' ? d : editorNumber(v));
  const candidate = {
    heartbeatS: pick(raw.heartbeatS, DEFAULT_OFFLINE.heartbeatS),
    mode: pick(raw.mode, DEFAULT_OFFLINE.mode),
    currentA: pick(raw.currentA, DEFAULT_OFFLINE.currentA),
  };
  const errors = validateOffline(candidate);
  return errors.length ? { ok: false, errors } : { ok: true, config: candidate as OfflineConfig };
}

/** Editor booleans arrive as booleans, or as "true"/"false" from older exports. */
function editorBoolean(x: unknown): boolean | undefined {
  if (typeof x === 'boolean') return x;
  if (x === 'true') return true;
  if (x === 'false') return false;
  return undefined;
}

/** The fields of the charge-point node as its editor stores them. */
export interface ChargePointEditorConfig {
  name?: unknown;
  index?: unknown;
  address?: unknown;
  plugCount?: unknown;
  phaseA?: unknown;
  phaseB?: unknown;
  priorityA?: unknown;
  priorityB?: unknown;
  maxCurrentA?: unknown;
  maxCurrentB?: unknown;
  enabled?: unknown;
  /** Charger phase rotation (R-3PH-1): one of ROTATIONS; "" = RST. */
  rotation?: unknown;
  /** The board it hangs on (R-CIRC-1): "" or "site" = the site's main board. */
  board?: unknown;
  /** 1 or 3 phases per plug (R-3PH-1); "" = 1. */
  phasesA?: unknown;
  phasesB?: unknown;
}

/** Reads the editor's rotation: empty = RST; anything else must parse (R-3PH-1). */
function rotationOf(v: unknown): Rotation | null {
  if (v === undefined || v === null || v === '') return DEFAULT_ROTATION;
  return parseRotation(v);
}

/** Reads the editor's board: empty / "site" (any case) = the site; else the trimmed name. */
function boardOf(v: unknown): unknown {
  if (v === undefined || v === null) return SITE_BOARD;
  if (typeof v !== 'string') return v;
  const t = v.trim();
  return t === '' || t.toLowerCase() === SITE_BOARD ? SITE_BOARD : t;
}

/** Reads a plug's phase count: empty = 1; "1"/"3" or 1/3; anything else stays as given (refused). */
function phasesOf(v: unknown): unknown {
  if (v === undefined || v === null || v === '') return 1;
  const n = editorNumber(v);
  return n === 1 || n === 3 ? n : v;
}

/**
 * Builds a charge point's configuration from its editor fields and its offline configuration
 * (R-CP-1): index from the name when left empty, phase "" → not set (null), max current default
 * DEFAULT_PLUG_MAX_A when left empty. Returns the configuration or every error found.
 */
export function configFromEditor(
  raw: ChargePointEditorConfig,
  offline: OfflineConfig,
): { ok: true; config: ChargePointConfig } | { ok: false; errors: string[] } {
  const name = typeof raw.name === 'string' ? raw.name.trim() : raw.name;
  const indexRaw = raw.index === undefined || raw.index === null || raw.index === '' ? undefined : raw.index;
  const index = indexRaw === undefined ? (typeof name === 'string' ? indexFromName(name) : null) : editorNumber(indexRaw);
  const plugCount = editorNumber(raw.plugCount ?? DEFAULT_PLUG_COUNT); // the editor's default
  const phase = (p: unknown): unknown => (p === '' || p === undefined || p === null ? null : p);
  const max = (m: unknown): number => (m === '' || m === undefined || m === null ? DEFAULT_PLUG_MAX_A : editorNumber(m));
  const enabled = editorBoolean(raw.enabled);
  const rotation = rotationOf(raw.rotation);
  const candidate = {
    name,
    index: index ?? NaN,
    address: typeof raw.address === 'string' ? raw.address.trim() : (raw.address ?? ''),
    enabled: enabled === undefined ? raw.enabled : enabled,
    plugs: lettersOf(plugCount === 2 ? 2 : 1).map((letter) => {
      const phases = phasesOf(letter === 'A' ? raw.phasesA : raw.phasesB);
      return {
        letter,
        // R-3PH-1: a three-phase plug's lines come from the rotation; its phase is the line of charger phase 1.
        phase: phases === 3 && rotation ? rotationLines(rotation)[0] : phase(letter === 'A' ? raw.phaseA : raw.phaseB),
        priority: editorBoolean(letter === 'A' ? raw.priorityA : raw.priorityB) ?? false,
        maxCurrentA: max(letter === 'A' ? raw.maxCurrentA : raw.maxCurrentB),
        phases,
      };
    }),
    offline,
    rotation: rotation ?? raw.rotation,
    board: boardOf(raw.board),
  };
  const errors: string[] = [];
  if (plugCount !== 1 && plugCount !== 2) errors.push('number of plugs must be 1 or 2');
  if (indexRaw === undefined && index === null) {
    errors.push('index: give the charge point number k (plug ids 2k-1, 2k) or end the name with it, e.g. CP07');
  }
  errors.push(...validateChargePointConfig(candidate));
  if (errors.length) return { ok: false, errors: [...new Set(errors)] };
  return { ok: true, config: candidate as ChargePointConfig };
}

/** Validates a complete charge point configuration (R-CP-1). Returns the errors. */
export function validateChargePointConfig(x: unknown): string[] {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return ['charge point configuration must be an object'];
  const c = x as Record<string, unknown>;
  const errors: string[] = [];
  if (typeof c.name !== 'string' || c.name.trim() === '') errors.push('name must be a non-empty text such as CP01');
  else if (c.name.length > NAME_MAX_LENGTH) errors.push(`name must be at most ${NAME_MAX_LENGTH} characters`);
  else if (CONTROL_CHARS.test(c.name)) errors.push('name must not contain control characters');
  if (typeof c.index !== 'number' || !Number.isInteger(c.index) || c.index < 1 || c.index > INDEX_MAX) {
    errors.push(`index must be a whole number 1..${INDEX_MAX} (plug ids 2k-1, 2k)`);
  }
  if (typeof c.address !== 'string') errors.push('address must be text');
  else if (c.address.length > ADDRESS_MAX_LENGTH) errors.push(`address must be at most ${ADDRESS_MAX_LENGTH} characters`);
  else if (CONTROL_CHARS.test(c.address)) errors.push('address must not contain control characters');
  if (typeof c.enabled !== 'boolean') errors.push('enabled must be true or false');
  // R-3PH-1: absent = RST (older configurations); present, it must be one of the six rotations.
  const rotation = c.rotation === undefined ? DEFAULT_ROTATION : parseRotation(c.rotation) === c.rotation ? (c.rotation as Rotation) : null;
  if (rotation === null)
    errors.push(
      `rotation must be one of ${ROTATIONS.join(', ')} (OCPP ConnectorPhaseRotation, R = L1, S = L2, T = L3), not ${describeValue(c.rotation)}`,
    );
  // R-CIRC-1: absent = the site.
  if (c.board !== undefined) {
    if (typeof c.board !== 'string' || c.board.trim() === '' || c.board.length > NAME_MAX_LENGTH)
      errors.push(`board must be "${SITE_BOARD}" or a board's name of 1..${NAME_MAX_LENGTH} characters`);
    else if (CONTROL_CHARS.test(c.board)) errors.push('board must not contain control characters');
  }
  if (!Array.isArray(c.plugs) || c.plugs.length < 1 || c.plugs.length > 2) {
    errors.push('a charge point has 1 or 2 plugs');
  } else {
    c.plugs.forEach((p: unknown, i: number) => {
      const letter = PLUG_LETTERS[i];
      if (p === null || typeof p !== 'object') {
        errors.push(`plug ${letter} must be an object`);
        return;
      }
      const plug = p as Record<string, unknown>;
      if (plug.letter !== letter) errors.push(`plug ${i + 1} must have letter ${letter}`);
      if (plug.phase !== null && !PHASES.includes(plug.phase as Phase)) errors.push(`plug ${letter} phase must be L1, L2, L3 or not set`);
      if (plug.phases !== undefined && plug.phases !== 1 && plug.phases !== 3)
        errors.push(`plug ${letter} phases must be 1 (single-phase) or 3 (three-phase), not ${describeValue(plug.phases)}`);
      else if (plug.phases === 3 && rotation && plug.phase !== rotationLines(rotation)[0])
        errors.push(
          `plug ${letter} is three-phase: its phase must be ${rotationLines(rotation)[0]}, the line of charger phase 1 (rotation ${rotation})`,
        );
      if (typeof plug.priority !== 'boolean') errors.push(`plug ${letter} priority must be true or false`);
      const m = plug.maxCurrentA;
      if (typeof m !== 'number' || !Number.isFinite(m) || m < PLUG_MAX_LIMITS.min || m > PLUG_MAX_LIMITS.max) {
        errors.push(`plug ${letter} max current must be a number ${PLUG_MAX_LIMITS.min}..${PLUG_MAX_LIMITS.max} A`);
      }
    });
  }
  errors.push(...validateOffline(c.offline));
  return errors;
}

/**
 * Why an otherwise valid configuration cannot charge (R-CP-3): enabled with a plug whose phase
 * is not set. The balancer shows such plugs as ERR_CFG with 0 A; the node shows it too.
 */
export function configProblems(config: ChargePointConfig): string[] {
  if (!config.enabled) return [];
  return config.plugs.filter((p) => p.phase === null).map((p) => `plug ${p.letter}: phase not set`);
}
