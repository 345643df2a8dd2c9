/**
 * Go `time.Time` text forms as sops uses them.
 * @module
 */
import { SopsTime } from './tree.js';

const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Parse RFC 3339 as Go's `time.Parse(time.RFC3339, s)` / `Time.UnmarshalText`
 * do, returning the canonical `MarshalText` form (RFC3339Nano: fraction
 * without trailing zeros, `Z` for a zero offset). `undefined` on error.
 */
export function parseRfc3339(s: string): SopsTime | undefined {
  const m = RFC3339_RE.exec(s);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, se, frac, z, sign, oh, om] = m;
  const year = Number(y), month = Number(mo), day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(se) > 59) return undefined;
  let offset = 'Z';
  if (z === undefined) {
    if (Number(oh) > 23 || Number(om) > 59) return undefined;
    if (Number(oh) !== 0 || Number(om) !== 0) offset = `${sign}${oh}:${om}`;
  }
  const f = (frac ?? '').replace(/0+$/, '');
  return new SopsTime(`${y}-${mo}-${d}T${h}:${mi}:${se}${f ? '.' + f : ''}${offset}`);
}

/** Go `time.Now().UTC().Format(time.RFC3339)` for a JS date: whole seconds, `Z`. */
export function formatRfc3339Utc(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Go's error text for `time.Parse(time.RFC3339, s)` failing (the value is
 * quoted, as Go does; callers use it for metadata timestamps, not secrets).
 * `undefined` when `s` parses.
 */
export function rfc3339ParseError(s: string): string | undefined {
  if (parseRfc3339(s) !== undefined) return undefined;
  const q = JSON.stringify(s);
  const elements: [string, RegExp][] = [
    ['2006', /^\d{4}/], ['-', /^-/], ['01', /^\d{2}/], ['-', /^-/], ['02', /^\d{2}/], ['T', /^[Tt]/],
    ['15', /^\d{2}/], [':', /^:/], ['04', /^\d{2}/], [':', /^:/], ['05', /^\d{2}(\.\d+)?/], ['Z07:00', /^(Z|z|[+-]\d{2}:\d{2})/],
  ];
  let rest = s;
  for (const [name, re] of elements) {
    const m = re.exec(rest);
    if (m === null) return `parsing time ${q} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(rest)} as ${JSON.stringify(name)}`;
    rest = rest.slice(m[0].length);
  }
  if (rest !== '') return `parsing time ${q}: extra text: ${JSON.stringify(rest)}`;
  const [, mo, d, h, mi, se] = /^\d{4}-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})/.exec(s)!;
  const range = Number(mo) < 1 || Number(mo) > 12 ? 'month' : Number(h) > 23 ? 'hour' : Number(mi) > 59 ? 'minute' : Number(se) > 59 ? 'second' : Number(d) < 1 || Number(d) > 31 ? 'day' : 'day';
  return `parsing time ${q}: ${range} out of range`;
}
