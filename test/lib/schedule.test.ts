import { strict as assert } from 'assert';
import fc from 'fast-check';
import { DEFAULT_SCHEDULE, MANUAL_SCHEDULE_SLOTS } from '../../lib/shared/params';
import {
  applyScheduleChange,
  hoursToSlots,
  isPriorityActive,
  localHour,
  nextSlotBoundary,
  parseSlotsText,
  slotsToHours,
  slotsToText,
  utcOffsetMinutes,
  validateSchedule,
} from '../../lib/shared/schedule';

const MADRID = 'Europe/Madrid';
const utc = (s: string) => Date.parse(s);
const HOUR = 3_600_000;
const manual = { enabled: true, slots: hoursToSlots(MANUAL_SCHEDULE_SLOTS) };

describe('lib/schedule — priority slots in the site time zone (R-PRIO-1/2)', () => {
  describe('localHour', () => {
    it('R-PRIO-1: Madrid is UTC+1 in winter and UTC+2 in summer', () => {
      assert.equal(localHour(MADRID, utc('2026-01-15T06:30:00Z')), 7);
      assert.equal(localHour(MADRID, utc('2026-07-15T06:30:00Z')), 8);
    });
    it('R-PRIO-1: midnight is hour 0, never 24 (hourCycle h23)', () => {
      assert.equal(localHour(MADRID, utc('2026-01-14T23:00:00Z')), 0);
      assert.equal(localHour('UTC', utc('2026-01-15T00:00:00Z')), 0);
    });
    it('R-PRIO-1: Asia/Kolkata (UTC+5:30) changes hour at :30 UTC', () => {
      assert.equal(localHour('Asia/Kolkata', utc('2026-05-01T01:29:59Z')), 6);
      assert.equal(localHour('Asia/Kolkata', utc('2026-05-01T01:30:00Z')), 7);
    });
    it('utcOffsetMinutes follows DST and odd offsets', () => {
      assert.equal(utcOffsetMinutes(MADRID, utc('2026-01-15T12:00:00Z')), 60);
      assert.equal(utcOffsetMinutes(MADRID, utc('2026-07-15T12:00:00Z')), 120);
      assert.equal(utcOffsetMinutes('Asia/Kathmandu', utc('2026-07-15T12:00:00Z')), 345);
      assert.equal(utcOffsetMinutes('America/St_Johns', utc('2026-01-15T12:34:56.789Z')), -210);
    });
  });

  describe('isPriorityActive', () => {
    it('R-PRIO-1: the manual schedule (07-08, 09-13) is active at 07:xx and 09:00–12:59 local, not at 08:xx or 13:00', () => {
      const at = (hhmm: string) => utc(`2026-01-15T${hhmm}:00+01:00`);
      assert.equal(isPriorityActive(manual, MADRID, at('07:00')), true);
      assert.equal(isPriorityActive(manual, MADRID, at('07:59')), true);
      assert.equal(isPriorityActive(manual, MADRID, at('08:00')), false);
      assert.equal(isPriorityActive(manual, MADRID, at('09:00')), true);
      assert.equal(isPriorityActive(manual, MADRID, at('12:59')), true);
      assert.equal(isPriorityActive(manual, MADRID, at('13:00')), false);
      assert.equal(isPriorityActive(manual, MADRID, at('06:59')), false);
    });
    it('R-PRIO-2: with the schedule OFF no hour is priority', () => {
      const off = { enabled: false, slots: new Array(24).fill(true) };
      for (let h = 0; h < 24; h++) assert.equal(isPriorityActive(off, 'UTC', utc('2026-01-15T00:00:00Z') + h * HOUR), false);
    });
    it('R-PRIO-1: the same instant is priority in one zone and not in another', () => {
      const t = utc('2026-01-15T06:30:00Z'); // 07:30 Madrid, 12:00 Kolkata
      assert.equal(isPriorityActive(manual, MADRID, t), true);
      assert.equal(isPriorityActive(manual, 'Asia/Kolkata', t), true);
      assert.equal(isPriorityActive(manual, 'UTC', t), false);
    });
    it('R-PRIO-1 DST: on 2026-10-25 in Madrid the 02h slot covers both passes of the repeated hour', () => {
      const slot2 = { enabled: true, slots: hoursToSlots([2]) };
      assert.equal(isPriorityActive(slot2, MADRID, utc('2026-10-25T00:30:00Z')), true); // 02:30 CEST
      assert.equal(isPriorityActive(slot2, MADRID, utc('2026-10-25T01:30:00Z')), true); // 02:30 CET
      assert.equal(isPriorityActive(slot2, MADRID, utc('2026-10-25T02:00:00Z')), false); // 03:00 CET
    });
  });

  describe('nextSlotBoundary', () => {
    it('an ordinary hour ends at the next local full hour', () => {
      assert.equal(nextSlotBoundary(MADRID, utc('2026-01-15T06:30:00Z')), utc('2026-01-15T07:00:00Z'));
      assert.equal(nextSlotBoundary(MADRID, utc('2026-01-15T07:00:00Z')), utc('2026-01-15T08:00:00Z'));
      assert.equal(nextSlotBoundary(MADRID, utc('2026-01-15T06:59:59.999Z')), utc('2026-01-15T07:00:00Z'));
    });
    it('R-PRIO-1 DST spring forward 2026-03-29 Madrid: 01h jumps straight to 03h at 01:00 UTC', () => {
      const t = utc('2026-03-29T00:10:00Z'); // 01:10 CET
      const b = nextSlotBoundary(MADRID, t);
      assert.equal(b, utc('2026-03-29T01:00:00Z'));
      assert.equal(localHour(MADRID, b), 3);
      assert.equal(localHour(MADRID, b - 1), 1);
      // then 03h lasts a normal hour
      assert.equal(nextSlotBoundary(MADRID, b), utc('2026-03-29T02:00:00Z'));
    });
    it('R-PRIO-1 DST fall back 2026-10-25 Madrid: the repeated 02h hour is one slot lasting two hours', () => {
      const t = utc('2026-10-25T00:00:00Z'); // 02:00 CEST
      const b = nextSlotBoundary(MADRID, t);
      assert.equal(b, utc('2026-10-25T02:00:00Z')); // 03:00 CET
      assert.equal(b - t, 2 * HOUR);
      assert.equal(localHour(MADRID, b), 3);
      // the hour before: 01h CEST ends when 02h CEST starts
      assert.equal(nextSlotBoundary(MADRID, utc('2026-10-24T23:30:00Z')), utc('2026-10-25T00:00:00Z'));
    });
    it('R-PRIO-1: Asia/Kolkata (+5:30) and Asia/Kathmandu (+5:45) boundaries are at :30 and :15 UTC', () => {
      assert.equal(nextSlotBoundary('Asia/Kolkata', utc('2026-05-01T01:00:00Z')), utc('2026-05-01T01:30:00Z'));
      assert.equal(nextSlotBoundary('Asia/Kolkata', utc('2026-05-01T01:30:00Z')), utc('2026-05-01T02:30:00Z'));
      assert.equal(nextSlotBoundary('Asia/Kathmandu', utc('2026-05-01T01:00:00Z')), utc('2026-05-01T01:15:00Z'));
    });
    it('Lord Howe Island (30-minute DST) and a pre-1970 odd offset are handled exactly', () => {
      // Australia/Lord_Howe: +11 in summer, +10:30 in winter; DST ends 2026-04-05 02:00 local (+11) → 01:30.
      const t = utc('2026-04-04T14:40:00Z'); // 01:40 (+11)
      const b = nextSlotBoundary('Australia/Lord_Howe', t);
      assert.notEqual(localHour('Australia/Lord_Howe', b), 1);
      assert.equal(localHour('Australia/Lord_Howe', b - 1), 1);
      assert.ok(b - t <= 1.5 * HOUR);
      // Africa/Monrovia used -0:44:30 until 1972: the boundary is still the exact instant.
      const m = utc('1960-06-01T10:00:00Z');
      const mb = nextSlotBoundary('Africa/Monrovia', m);
      assert.notEqual(localHour('Africa/Monrovia', mb), localHour('Africa/Monrovia', m));
      assert.equal(localHour('Africa/Monrovia', mb - 1), localHour('Africa/Monrovia', m));
    });

    const zones = ['Europe/Madrid', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/New_York', 'Pacific/Chatham', 'UTC', 'America/St_Johns'];
    it('property: the boundary is in the future, the hour differs there and not 1 ms before; ≤ 1 h away unless DST changed', () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...zones),
          fc.integer({ min: utc('2000-01-01T00:00:00Z'), max: utc('2040-01-01T00:00:00Z') }),
          (tz, now) => {
            const b = nextSlotBoundary(tz, now);
            assert.ok(b > now);
            assert.notEqual(localHour(tz, b), localHour(tz, now));
            assert.equal(localHour(tz, b - 1), localHour(tz, now));
            if (utcOffsetMinutes(tz, now) === utcOffsetMinutes(tz, b)) assert.ok(b - now <= HOUR, `${tz} ${now}`);
            else assert.ok(b - now <= 2 * HOUR, `${tz} ${now}`);
          },
        ),
        { numRuns: 500 },
      );
    });
    it('property: around every DST change of 2026 in Madrid the boundaries chain through the day (23, 24 or 25 h)', () => {
      for (const day of ['2026-03-29', '2026-10-25', '2026-06-01']) {
        let t = utc(`${day}T00:00:00+0${day === '2026-03-29' ? 1 : 2}:00`);
        let count = 0;
        const hours: number[] = [];
        while (localHour(MADRID, t) !== 0 || count === 0) {
          hours.push(localHour(MADRID, t));
          t = nextSlotBoundary(MADRID, t);
          count++;
          assert.ok(count <= 24);
        }
        if (day === '2026-03-29') assert.deepEqual(hours, [0, 1, ...Array.from({ length: 21 }, (_, i) => i + 3)]);
        else
          assert.deepEqual(
            hours,
            Array.from({ length: 24 }, (_, i) => i),
          );
      }
    });
  });

  describe('validateSchedule', () => {
    it('accepts the default and the manual schedule', () => {
      assert.deepEqual(validateSchedule(DEFAULT_SCHEDULE), []);
      assert.deepEqual(validateSchedule(manual), []);
    });
    it('refuses non-objects, a non-boolean enabled, and slots that are not exactly 24 booleans', () => {
      const bad: unknown[] = [
        null,
        undefined,
        3,
        'on',
        [],
        { slots: new Array(24).fill(false) },
        { enabled: 'true', slots: new Array(24).fill(false) },
        { enabled: true },
        { enabled: true, slots: new Array(23).fill(false) },
        { enabled: true, slots: new Array(25).fill(false) },
        { enabled: true, slots: [...new Array(23).fill(false), 1] },
        { enabled: true, slots: [...new Array(23).fill(false), null] },
        { enabled: true, slots: 'all' },
      ];
      for (const b of bad) assert.ok(validateSchedule(b).length > 0, JSON.stringify(b));
    });
  });

  describe('slot text', () => {
    it('the manual schedule reads "07-08,09-13" and parses back', () => {
      assert.equal(slotsToText(manual.slots), '07-08,09-13');
      const r = parseSlotsText('07-08,09-13');
      assert.ok(r.ok);
      assert.deepEqual(r.ok && slotsToHours(r.slots), [7, 9, 10, 11, 12]);
    });
    it('whole day, none, single hours, "h" suffixes, wrap past midnight, 00 as end of day', () => {
      assert.equal(slotsToText(new Array(24).fill(true)), '00-24');
      assert.equal(slotsToText(new Array(24).fill(false)), '');
      const cases: [string, number[]][] = [
        ['', []],
        ['none', []],
        ['07', [7]],
        ['07h-08h', [7]],
        ['22-02', [0, 1, 22, 23]],
        ['23-00', [23]],
        ['00-24', Array.from({ length: 24 }, (_, i) => i)],
        [' 7 - 9 , 12 ', [7, 8, 12]],
      ];
      for (const [text, hours] of cases) {
        const r = parseSlotsText(text);
        assert.ok(r.ok, text);
        assert.deepEqual(r.ok && slotsToHours(r.slots), hours, text);
      }
    });
    it('refuses malformed ranges', () => {
      for (const t of ['7-7', '24-01', '07-25', 'seven', '07-08;09-10', '-3', '07-08,']) {
        assert.equal(parseSlotsText(t).ok, false, t);
      }
    });
    it('property: text round-trips any slot set', () => {
      fc.assert(
        fc.property(fc.array(fc.boolean(), { minLength: 24, maxLength: 24 }), (slots) => {
          const r = parseSlotsText(slotsToText(slots));
          assert.ok(r.ok);
          assert.deepEqual(r.ok && r.slots, slots);
        }),
      );
    });
  });

  describe('applyScheduleChange (R-PRIO-1 run-time changes)', () => {
    const base = { schedule: { enabled: false, slots: new Array(24).fill(false) }, timeZone: MADRID };
    it('accepts enabled, slots as booleans / hours / text, and a time zone; missing fields keep their value', () => {
      let r = applyScheduleChange(base, { enabled: true });
      assert.ok(r.ok && r.config.schedule.enabled && r.config.timeZone === MADRID);
      r = applyScheduleChange(base, { slots: [7, 9, 10, 11, 12] });
      assert.ok(r.ok && slotsToText(r.config.schedule.slots) === '07-08,09-13' && !r.config.schedule.enabled);
      r = applyScheduleChange(base, { slots: '07-08,09-13', timeZone: 'Asia/Kolkata' });
      assert.ok(r.ok && slotsToText(r.config.schedule.slots) === '07-08,09-13' && r.config.timeZone === 'Asia/Kolkata');
      r = applyScheduleChange(base, { slots: manual.slots, active: false, timestamp: 1 });
      assert.ok(r.ok && slotsToText(r.config.schedule.slots) === '07-08,09-13');
      r = applyScheduleChange(base, { slots: [] });
      assert.ok(r.ok && slotsToText(r.config.schedule.slots) === '');
    });
    it('refuses bad changes whole and never modifies the current configuration', () => {
      const before = JSON.stringify(base);
      const bad: unknown[] = [
        null,
        undefined,
        'on',
        7,
        [],
        {},
        { enable: true },
        { enabled: 'yes' },
        { enabled: 1 },
        { slots: [24] },
        { slots: [-1] },
        { slots: [7.5] },
        { slots: [NaN] },
        { slots: new Array(23).fill(true) },
        { slots: [true, 7] },
        { slots: '25-26' },
        { slots: null },
        { slots: { 7: true } },
        { timeZone: 'Mars/Olympus' },
        { timeZone: '' },
        { timeZone: 3 },
        { enabled: true, timeZone: 'Nowhere' }, // one bad field refuses the good one too
      ];
      for (const b of bad) {
        const r = applyScheduleChange(base, b);
        assert.equal(r.ok, false, JSON.stringify(b));
        assert.ok(!r.ok && r.errors.length > 0 && r.errors.every((e) => typeof e === 'string' && e.length > 0));
      }
      assert.equal(JSON.stringify(base), before);
    });
  });
});
