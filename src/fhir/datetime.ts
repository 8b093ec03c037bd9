/**
 * FHIR date, dateTime and instant values as time ranges (hl7.org/fhir/R4/datatypes.html#dateTime,
 * search.html#date): "2020" is the whole year, "2020-03-01T10:00" the whole minute. Times without a
 * zone are taken as UTC (the server's zone); a value's range is [start, end] in epoch ms, inclusive.
 */
export interface DateRange {
  start: number;
  end: number;
}

const DATE_TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export function parseDateRange(text: string): DateRange | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo ? Number(mo) : undefined;
  const day = d ? Number(d) : undefined;
  if (month !== undefined && (month < 1 || month > 12)) return undefined;
  if (day !== undefined && (day < 1 || day > daysIn(year, month!))) return undefined;
  if (h !== undefined) {
    if (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59)) return undefined;
    if (tz && tz !== 'Z') {
      const [th, tm] = tz.slice(1).split(':').map(Number);
      if (th > 14 || tm > 59) return undefined;
    }
  }
  const offsetMs = tz && tz !== 'Z' ? (tz[0] === '-' ? -1 : 1) * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6))) * 60_000 : 0;
  if (month === undefined) return { start: Date.UTC(year, 0, 1), end: Date.UTC(year + 1, 0, 1) - 1 };
  if (day === undefined) return { start: Date.UTC(year, month - 1, 1), end: Date.UTC(year, month, 1) - 1 };
  if (h === undefined) return { start: Date.UTC(year, month - 1, day), end: Date.UTC(year, month - 1, day + 1) - 1 };
  const base = Date.UTC(year, month - 1, day, Number(h), Number(mi), s ? Number(s) : 0) - offsetMs;
  if (s === undefined) return { start: base, end: base + 60_000 - 1 };
  if (frac === undefined) return { start: base, end: base + 999 };
  const digits = frac.slice(1);
  const ms = Number(digits.padEnd(3, '0').slice(0, 3));
  const precisionMs = digits.length >= 3 ? 1 : 10 ** (3 - digits.length);
  return { start: base + ms, end: base + ms + precisionMs - 1 };
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** RFC 7231 HTTP-date (as in If-Modified-Since) to epoch ms. */
export function parseHttpDate(text: string): number | undefined {
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}
