import { dateToMillis } from './es-dates.js';
import { EsError } from './es-errors.js';

const DAY = 86_400_000;
const FIXED: Record<string, number> = { w: 7 * DAY, d: DAY, h: 3_600_000, H: 3_600_000, m: 60_000, s: 1000 };

const mathError = (expr: string, why: string) => new EsError(400, 'parse_exception', `failed to parse date field [${expr}]: ${why}`);

function add(t: number, amount: number, unit: string): number {
  if (unit === 'y' || unit === 'M') {
    const d = new Date(t);
    d.setUTCMonth(d.getUTCMonth() + (unit === 'y' ? 12 : 1) * amount);
    return d.getTime();
  }
  return t + amount * (FIXED[unit] as number);
}

/** The start of the unit `t` falls in (UTC; weeks start on Monday, as java.time's ISO weeks do). */
function floor(t: number, unit: string): number {
  const d = new Date(t);
  switch (unit) {
    case 'y':
      return Date.UTC(d.getUTCFullYear(), 0, 1);
    case 'M':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    case 'w': {
      const day = Math.floor(t / DAY) * DAY;
      return day - ((d.getUTCDay() + 6) % 7) * DAY;
    }
    default:
      return Math.floor(t / (FIXED[unit] as number)) * (FIXED[unit] as number);
  }
}

/**
 * A date in a range query as epoch milliseconds: a date (`strict_date_optional_time` or epoch millis), or date math
 * on `now` or on `<date>||`: `+1d`, `-90d`, `/d` and so on (y M w d h H m s), in UTC. `roundUp` is how the bound is
 * used: lte and gt round up (to the last millisecond of the unit or of the date's missing fields), gte and lt round
 * down, as a node rounds them.
 */
export function dateMathToMillis(expr: unknown, now: number, roundUp: boolean, epochSeconds = false): number {
  if (typeof expr === 'number') return epochSeconds ? expr * 1000 : expr;
  if (typeof expr !== 'string') throw mathError(String(expr), 'a date must be a string or a number');
  let anchor: number | undefined;
  let math: string;
  if (expr.startsWith('now')) {
    anchor = now;
    math = expr.slice(3);
  } else {
    const split = expr.indexOf('||');
    const base = split < 0 ? expr : expr.slice(0, split);
    math = split < 0 ? '' : expr.slice(split + 2);
    anchor = epochSeconds && /^-?\d+(\.\d+)?$/.test(base) ? Number(base) * 1000 : dateToMillis(base, roundUp && math === '');
    if (anchor === undefined) throw mathError(expr, `[${base}] is not a strict_date_optional_time or epoch_millis date`);
  }
  let t = anchor;
  for (let i = 0; i < math.length; ) {
    const op = math[i];
    if (op === '/') {
      const unit = math[i + 1] ?? '';
      if (!'yMwdhHms'.includes(unit) || unit === '') throw mathError(expr, `rounding unit [${unit}] not supported`);
      t = roundUp ? add(floor(t, unit), 1, unit) - 1 : floor(t, unit);
      i += 2;
      continue;
    }
    const step = /^([+-])(\d*)([yMwdhHms])/.exec(math.slice(i));
    if (!step) throw mathError(expr, `operator not supported for date math [${math.slice(i)}]`);
    const amount = step[2] === '' ? 1 : Number(step[2]);
    t = add(t, step[1] === '-' ? -amount : amount, step[3] as string);
    i += step[0].length;
  }
  return t;
}
