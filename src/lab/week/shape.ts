/**
 * The shape of a simulated week: how many players arrive at a moment, relative to a normal
 * weekday's mean. A day's curve in each region's local time (quietest at 08:00, busiest at
 * 20:00), weekends busier and flatter, a holiday that swells the day smoothly, and a deploy.
 */

export interface Calendar {
  /** Day indexes (0 = the first day, a Monday) that are Saturday and Sunday-like. */
  weekendDays: number[];
  /** A holiday: played like a weekend, `lift` busier at its height, eased in and out over `easeHours`. */
  holiday?: { day: number; lift: number; easeHours: number };
  /**
   * A deploy: at `at` (ms since the start), `dropShare` of the players online drop and come back
   * over `rejoinMinutes`; announced as a change window from `at` for `windowMinutes`.
   */
  deploy?: { at: number; dropShare: number; rejoinMinutes: number; windowMinutes: number };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A day's curve in local hours: 0.4 at 08:00, 1.0 at 20:00 (weekend: 0.55 to 1.0). */
function dayCurve(localHour: number, trough: number): number {
  return trough + (1 - trough) * ((1 + Math.cos((2 * Math.PI * (localHour - 20)) / 24)) / 2);
}

/** Weight of the holiday at `t`: 0 outside it, 1 through it, eased at both ends. */
function holidayWeight(c: Calendar, t: number): number {
  if (!c.holiday) return 0;
  const from = c.holiday.day * DAY;
  const to = from + DAY;
  const ease = c.holiday.easeHours * HOUR;
  if (t <= from - ease || t >= to + ease) return 0;
  if (t < from) return (t - (from - ease)) / ease;
  if (t > to) return (to + ease - t) / ease;
  return 1;
}

/** Arrivals at `t` ms since the start, in a region `utcOffsetHours` from UTC, relative to a weekday's mean. */
export function arrivalShape(c: Calendar, t: number, utcOffsetHours: number): number {
  const local = t + utcOffsetHours * HOUR;
  const day = Math.floor(local / DAY) % 7;
  const hour = (local % DAY) / HOUR;
  const weekend = c.weekendDays.includes(((day % 7) + 7) % 7);
  const base = weekend ? 1.2 * dayCurve(hour, 0.55) : dayCurve(hour, 0.4);
  const h = holidayWeight(c, local);
  const holiday =
    h === 0 ? base : (1 - h) * base + h * 1.2 * dayCurve(hour, 0.55) * (1 + (c.holiday?.lift ?? 0));
  // 1 / 0.7 makes a weekday's mean over the day 1 (the curve's mean is 0.7).
  return holiday / 0.7;
}
