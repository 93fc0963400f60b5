/**
 * Local time of day for the simulator's daily shapes (building profile, arrival peaks), from a
 * time in ms and an IANA time zone. Pure: Intl only, no clock. The UTC offset is looked up once
 * per UTC hour and cached, so a day simulated second by second stays cheap.
 */
import { ZONE_OFFSETS_CACHED_MAX } from '../shared/params';

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, number>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Offset of local time from UTC at `now` in `timeZone`, ms. */
export function utcOffsetMs(now: number, timeZone: string): number {
  const hourKey = `${timeZone}|${Math.floor(now / 3600_000)}`;
  const cached = offsets.get(hourKey);
  if (cached !== undefined) return cached;
  const base = Math.floor(now / 3600_000) * 3600_000;
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(base))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  const off = asUtc - base;
  if (offsets.size > ZONE_OFFSETS_CACHED_MAX) offsets.clear();
  offsets.set(hourKey, off);
  return off;
}

/** Hour of the day in `timeZone` at `now`, fractional: 13.5 = 13:30 local. */
export function localHour(now: number, timeZone: string): number {
  const local = now + utcOffsetMs(now, timeZone);
  const ms = ((local % 86_400_000) + 86_400_000) % 86_400_000;
  return ms / 3600_000;
}

/** The instant of local midnight starting the day `date` ("2026-03-02") in `timeZone`, ms. */
export function localMidnight(date: string, timeZone: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new Error(`date must be YYYY-MM-DD, not ${JSON.stringify(date)}`);
  const guess = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // Two passes settle the offset even next to a DST change.
  let t = guess - utcOffsetMs(guess, timeZone);
  t = guess - utcOffsetMs(t, timeZone);
  return t;
}
