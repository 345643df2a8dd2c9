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
