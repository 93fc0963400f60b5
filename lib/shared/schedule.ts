/**
 * The priority schedule (SPEC §6, R-PRIO-1/2): 24 one-hour slots in the site's IANA time zone.
 * Pure: time is always an argument (ms since the Unix epoch); local time comes from
 * Intl.DateTimeFormat, so daylight-saving changes and :30/:45 offsets are handled by the
 * runtime's time zone database, never by arithmetic on fixed offsets.
 */
import type { Schedule } from './types';
import { isValidTimeZone } from './params';
import { describeValue } from './guard';

const HOUR_MS = 3_600_000;
const QUARTER_MS = 900_000;

/** One formatter per time zone (creating them is the expensive part of Intl). */
const hourFormatters = new Map<string, Intl.DateTimeFormat>();
const fullFormatters = new Map<string, Intl.DateTimeFormat>();

function hourFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = hourFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: 'numeric', hourCycle: 'h23' });
    hourFormatters.set(timeZone, f);
  }
  return f;
}

function fullFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = fullFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    fullFormatters.set(timeZone, f);
  }
  return f;
}

/** Local hour 0..23 at `now` in `timeZone` (R-PRIO-1). */
export function localHour(timeZone: string, now: number): number {
  // Since 1972 every zone's offset is a whole number of minutes, so local hours change on whole
  // UTC minutes: one lookup per zone and minute. Older instants (odd local mean time offsets)
  // are looked up every time.
  const minute = now >= WHOLE_MINUTE_OFFSETS_SINCE ? Math.floor(now / 60_000) : NaN;
  if (hourCache.timeZone === timeZone && hourCache.minute === minute) return hourCache.hour;
  const part = hourFormatter(timeZone)
    .formatToParts(now)
    .find((p) => p.type === 'hour');
  const h = Number(part?.value);
  // Some ICU versions print midnight as "24" even with h23; it is hour 0.
  const hour = h === 24 ? 0 : h;
  hourCache = { timeZone, minute, hour };
  return hour;
}

/** 1972-01-01T00:00Z: from then on all time zone offsets are whole minutes (Liberia was last). */
const WHOLE_MINUTE_OFFSETS_SINCE = Date.UTC(1972, 0, 1);

/** Memo of the last localHour answer (a pure function of its inputs, so caching is safe). */
let hourCache: { timeZone: string; minute: number; hour: number } = { timeZone: '', minute: NaN, hour: 0 };

/** Offset of local time from UTC at `now`, minutes (e.g. +60 in Madrid in winter, +330 in Kolkata). */
export function utcOffsetMinutes(timeZone: string, now: number): number {
  const parts: Record<string, number> = {};
  for (const p of fullFormatter(timeZone).formatToParts(now)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const hour = parts.hour === 24 ? 0 : parts.hour;
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, hour, parts.minute, parts.second);
  const whole = now - (((now % 1000) + 1000) % 1000);
  return Math.round((asUtc - whole) / 60_000);
}

/**
 * Is priority active at `now` (R-PRIO-1/2): the schedule is ON and the local hour is a
 * priority slot. In the repeated hour of a DST fall-back the slot of that hour applies to both
 * passes; the hour skipped in spring simply does not occur.
 */
export function isPriorityActive(schedule: Schedule, timeZone: string, now: number): boolean {
  return schedule.enabled && schedule.slots[localHour(timeZone, now)] === true;
}

/**
 * The next instant after `now` at which the local hour differs from the local hour at `now`
 * (DST-correct). Walks the 15-minute UTC marks (every modern offset is a multiple of 15 min)
 * until the hour differs, then bisects to the exact millisecond, so even an odd historical
 * offset is found exactly. On a fall-back day the repeated hour counts as one slot, so the
 * boundary can be up to 2 h away; on a spring-forward day it comes when the clock jumps.
 */
export function nextSlotBoundary(timeZone: string, now: number): number {
  const h0 = localHour(timeZone, now);
  let lo = now; // latest instant known to have hour h0
  let hi = Math.floor(now / QUARTER_MS) * QUARTER_MS + QUARTER_MS;
  // 26 h of quarter marks is far more than any real zone needs (Samoa skipped a whole day but
  // its local hour still changed every hour).
  for (let i = 0; i < 26 * 4 && localHour(timeZone, hi) === h0; i++) {
    lo = hi;
    hi += QUARTER_MS;
  }
  if (localHour(timeZone, hi) === h0) return now + HOUR_MS; // unreachable with a real tz database
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localHour(timeZone, mid) === h0) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Validates a schedule's shape (R-PRIO-1): enabled boolean, exactly 24 boolean slots. */
export function validateSchedule(x: unknown): string[] {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return ['schedule must be an object {enabled, slots}'];
  const s = x as Record<string, unknown>;
  const errors: string[] = [];
  if (typeof s.enabled !== 'boolean') errors.push('schedule enabled must be true or false');
  if (!Array.isArray(s.slots)) errors.push('schedule slots must be an array of 24 true/false values');
  else if (s.slots.length !== 24) errors.push(`schedule slots must have exactly 24 entries, not ${s.slots.length}`);
  else if (!s.slots.every((v) => typeof v === 'boolean')) errors.push('every schedule slot must be true or false');
  return errors;
}

/** Slots from a list of priority hours, e.g. [7, 9, 10, 11, 12]. */
export function hoursToSlots(hours: readonly number[]): boolean[] {
  const slots = new Array<boolean>(24).fill(false);
  for (const h of hours) slots[h] = true;
  return slots;
}

/** The priority hours of a slot array, ascending. */
export function slotsToHours(slots: readonly boolean[]): number[] {
  const hours: number[] = [];
  slots.forEach((on, h) => {
    if (on) hours.push(h);
  });
  return hours;
}

const two = (n: number) => String(n).padStart(2, '0');

/** Slots as the manual writes them: runs of hours "07-08,09-13"; "" when there are none. */
export function slotsToText(slots: readonly boolean[]): string {
  const runs: string[] = [];
  let start = -1;
  for (let h = 0; h <= 24; h++) {
    const on = h < 24 && slots[h] === true;
    if (on && start < 0) start = h;
    if (!on && start >= 0) {
      runs.push(`${two(start)}-${two(h)}`);
      start = -1;
    }
  }
  return runs.join(',');
}

/**
 * Parses "07-08,09-13" (hour ranges, end exclusive, "24" or "00" as the end of the day, a range
 * like "22-02" wraps past midnight), single hours "07", or "" / "none" for no slots.
 */
export function parseSlotsText(text: string): { ok: true; slots: boolean[] } | { ok: false; error: string } {
  const t = text.trim();
  const slots = new Array<boolean>(24).fill(false);
  if (t === '' || t.toLowerCase() === 'none') return { ok: true, slots };
  for (const raw of t.split(',')) {
    const item = raw.trim();
    const m = /^(\d{1,2})(?:h)?(?:\s*-\s*(\d{1,2})(?:h)?)?$/.exec(item);
    if (!m) return { ok: false, error: `slot range "${item}" is not like 07-08` };
    const start = Number(m[1]);
    let end = m[2] === undefined ? start + 1 : Number(m[2]);
    if (start > 23) return { ok: false, error: `slot range "${item}": start hour must be 00..23` };
    if (end > 24) return { ok: false, error: `slot range "${item}": end hour must be 00..24` };
    if (end === 0) end = 24;
    if (end === start) return { ok: false, error: `slot range "${item}" is empty` };
    for (let h = start; h !== end; h = (h + 1) % 24) {
      slots[h] = true;
      if (end === 24 && h === 23) break;
    }
  }
  return { ok: true, slots };
}

/** The schedule and zone a priority-schedule node runs with. */
export interface ScheduleConfig {
  schedule: Schedule;
  timeZone: string;
}

/** Keys a run-time change may carry; `active` and `timestamp` (from our own output) are ignored. */
const CHANGE_KEYS = new Set(['enabled', 'slots', 'timeZone', 'active', 'timestamp']);

/**
 * Applies a run-time change `{enabled?, slots?, timeZone?}` (R-PRIO-1). `slots` may be 24
 * booleans, a list of priority hours (integers 0..23), or text like "07-08,09-13". Unknown keys
 * are errors so a typo never passes silently. Returns the new configuration or the errors;
 * `current` is never modified.
 */
export function applyScheduleChange(
  current: ScheduleConfig,
  change: unknown,
): { ok: true; config: ScheduleConfig } | { ok: false; errors: string[] } {
  if (change === null || typeof change !== 'object' || Array.isArray(change)) {
    return { ok: false, errors: ['schedule change must be an object {enabled?, slots?, timeZone?}'] };
  }
  const c = change as Record<string, unknown>;
  const unknown = Object.keys(c).filter((k) => !CHANGE_KEYS.has(k));
  if (unknown.length) return { ok: false, errors: [`unknown schedule field(s): ${unknown.join(', ')}`] };
  if (!('enabled' in c) && !('slots' in c) && !('timeZone' in c)) {
    return { ok: false, errors: ['schedule change has none of enabled, slots, timeZone'] };
  }
  const errors: string[] = [];
  let enabled = current.schedule.enabled;
  let slots = current.schedule.slots.slice();
  let timeZone = current.timeZone;
  if ('enabled' in c) {
    if (typeof c.enabled === 'boolean') enabled = c.enabled;
    else errors.push('enabled must be true or false');
  }
  if ('slots' in c) {
    const v = c.slots;
    if (typeof v === 'string') {
      const r = parseSlotsText(v);
      if (r.ok) slots = r.slots;
      else errors.push(r.error);
    } else if (Array.isArray(v) && v.length === 24 && v.every((x) => typeof x === 'boolean')) {
      slots = v.slice() as boolean[];
    } else if (Array.isArray(v) && v.every((x) => typeof x === 'number')) {
      const bad = v.filter((h) => !Number.isInteger(h) || h < 0 || h > 23);
      if (bad.length) errors.push(`slot hours must be whole numbers 0..23, not ${bad.join(', ')}`);
      else slots = hoursToSlots(v as number[]);
    } else {
      errors.push('slots must be 24 true/false values, a list of hours 0..23, or text like "07-08,09-13"');
    }
  }
  if ('timeZone' in c) {
    if (isValidTimeZone(c.timeZone)) timeZone = c.timeZone;
    else errors.push(`time zone ${describeValue(c.timeZone)} is not an IANA time zone such as Europe/Madrid`);
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, config: { schedule: { enabled, slots }, timeZone } };
}
