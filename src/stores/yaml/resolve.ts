/**
 * Scalar resolution as go-yaml v3 does it (`resolve.go`) when sops decodes a
 * scalar node into `interface{}`: the type a plain scalar gets decides both
 * how it is emitted again and the `type:` of its encrypted value.
 *
 * @module
 */
import { SopsTime } from '../../tree.js';

/** A resolved scalar: go-yaml's short tag and the Go value it stands for. */
export interface Resolved {
  tag: string;
  /** `null`, boolean, bigint (int, int64 or uint64), number (float64), SopsTime, or string. */
  value: null | boolean | bigint | number | SopsTime | string;
}

/** Thrown when an explicit tag does not match the text (go-yaml `cannot decode !!str `x` as a !!int`). */
export class ResolveError extends Error {
  override name = 'ResolveError';
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/** go-yaml's `resolveMap`: the fixed spellings. */
const FIXED = new Map<string, Resolved>();
for (const s of ['true', 'True', 'TRUE']) FIXED.set(s, { tag: '!!bool', value: true });
for (const s of ['false', 'False', 'FALSE']) FIXED.set(s, { tag: '!!bool', value: false });
for (const s of ['', '~', 'null', 'Null', 'NULL']) FIXED.set(s, { tag: '!!null', value: null });
for (const s of ['.nan', '.NaN', '.NAN']) FIXED.set(s, { tag: '!!float', value: NaN });
for (const s of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']) FIXED.set(s, { tag: '!!float', value: Infinity });
for (const s of ['-.inf', '-.Inf', '-.INF']) FIXED.set(s, { tag: '!!float', value: -Infinity });
FIXED.set('<<', { tag: '!!merge', value: '<<' });

/** go-yaml's `resolveTable`: the first byte decides which forms are tried. */
function hint(s: string): string {
  if (s === '') return 'N';
  const c = s[0]!;
  if (c === '+' || c === '-') return 'S';
  if (c >= '0' && c <= '9') return 'D';
  if ('yYnNtTfFoO~'.includes(c)) return 'M';
  if (c === '.') return '.';
  return '';
}

const RESOLVABLE = new Set(['', '!!str', '!!bool', '!!int', '!!float', '!!null', '!!timestamp']);

/**
 * Go `strconv.ParseInt(s, 0, 64)` / `ParseUint(s, 0, 64)` (base prefixes
 * `0x`, `0o`, `0b`, and a leading `0` for octal). `signed` allows a sign and
 * limits to int64; otherwise the range is uint64.
 */
function parseGoIntBase0(s: string, signed: boolean): bigint | undefined {
  let neg = false;
  let t = s;
  if (signed && (t[0] === '+' || t[0] === '-')) {
    neg = t[0] === '-';
    t = t.slice(1);
  }
  let digits: RegExp;
  let prefix: string;
  if (/^0[xX]/.test(t)) {
    digits = /^[0-9a-fA-F]+$/;
    prefix = '0x';
    t = t.slice(2);
  } else if (/^0[oO]/.test(t)) {
    digits = /^[0-7]+$/;
    prefix = '0o';
    t = t.slice(2);
  } else if (/^0[bB]/.test(t)) {
    digits = /^[01]+$/;
    prefix = '0b';
    t = t.slice(2);
  } else if (t.length > 1 && t[0] === '0') {
    digits = /^[0-7]+$/;
    prefix = '0o';
    t = t.slice(1);
  } else {
    digits = /^[0-9]+$/;
    prefix = '';
  }
  if (!digits.test(t)) return undefined;
  let n = BigInt(prefix + t);
  if (neg) n = -n;
  if (signed) return n >= INT64_MIN && n <= INT64_MAX ? n : undefined;
  return n <= UINT64_MAX ? n : undefined;
}

/**
 * Every character the int, float and timestamp forms can have (digits,
 * signs, `_`, base prefixes and hex digits, `.`, `e`, date and time
 * separators, `Z`): a string with any other is a `!!str` at once. (Random
 * tokens starting with a digit are common in secrets.)
 */
const NUMERIC_CHARS = /^[-+0-9_xXoObBa-fA-F.,: tTZ]*$/;
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** Go `strconv.ParseFloat` for the decimal forms go-yaml passes it; `undefined` on syntax or range error. */
function parseDecimalFloat(s: string): number | undefined {
  if (!YAML_STYLE_FLOAT.test(s)) return undefined;
  const x = Number(s);
  return Number.isFinite(x) ? x : undefined;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function daysIn(month: number, year: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS[month - 1]!;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * go-yaml's `parseTimestamp`: Go `time.Parse` with the layouts
 * `2006-1-2T15:4:5.999999999Z07:00` (also with `t`), `2006-1-2 15:4:5.999999999`
 * and `2006-1-2`. Returns the Go `time.Time` as `MarshalText` (RFC 3339 with
 * nanoseconds) writes it.
 */
export function parseTimestamp(s: string): SopsTime | undefined {
  // Go layouts: 4-digit year; month, day, hour, minute, second take 1 or 2 digits.
  const m = /^(\d{4})-(\d\d?)-(\d\d?)(?:([Tt ])(\d\d?):(\d\d?):(\d\d?)(?:[.,](\d+))?(Z|[+-]\d\d:\d\d)?)?$/.exec(s);
  if (!m) return undefined;
  const [, ys, mos, ds, sep, hs, mis, ss, frac, zone] = m;
  if (sep === ' ' && zone !== undefined) return undefined; // the space layout has no zone
  if ((sep === 'T' || sep === 't') && zone === undefined) return undefined; // the T layouts need one
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  if (month < 1 || month > 12) return undefined;
  if (day < 1 || day > daysIn(month, year)) return undefined;
  let text = `${ys}-${pad2(month)}-${pad2(day)}T`;
  if (sep === undefined) return new SopsTime(text + '00:00:00Z');
  const hour = Number(hs);
  const min = Number(mis);
  const sec = Number(ss);
  if (hour > 23 || min > 59 || sec > 59) return undefined;
  text += `${pad2(hour)}:${pad2(min)}:${pad2(sec)}`;
  if (frac !== undefined) {
    // Go keeps nanoseconds: extra digits are cut, trailing zeros dropped on output.
    const ns = frac.slice(0, 9).padEnd(9, '0').replace(/0+$/, '');
    if (ns !== '') text += '.' + ns;
  }
  if (zone === undefined || zone === 'Z') return new SopsTime(text + 'Z');
  const zh = Number(zone.slice(1, 3));
  const zm = Number(zone.slice(4, 6));
  if (zh > 24 || zm > 60) return undefined;
  if (zh === 0 && zm === 0) return new SopsTime(text + 'Z');
  return new SopsTime(text + zone);
}

/**
 * go-yaml v3 `resolve(tag, in)`: the tag and value of a scalar. `tag` is the
 * explicit short tag (or `''`). Throws {@link ResolveError} when an explicit
 * resolvable tag does not match the text.
 */
export function resolve(tag: string, input: string): Resolved {
  if (!RESOLVABLE.has(tag)) return { tag, value: input };
  const r = resolveImplicit(input, tag);
  if (tag === '' || tag === r.tag || tag === '!!str') return tag === '!!str' ? { tag, value: input } : r;
  if (tag === '!!float' && r.tag === '!!int') return { tag: '!!float', value: Number(r.value as bigint) };
  throw new ResolveError(`cannot decode ${r.tag} as a ${tag}`);
}

function resolveImplicit(input: string, tag: string): Resolved {
  const h = hint(input);
  if (h === '') return { tag: '!!str', value: input };
  const fixed = FIXED.get(input);
  if (fixed) return fixed;
  switch (h) {
    case '.': {
      // Go ParseFloat on the text as is (no `_`, which Go refuses without a base prefix).
      if (/^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(input)) {
        const x = Number(input);
        if (Number.isFinite(x)) return { tag: '!!float', value: x };
      }
      break;
    }
    case 'D':
    case 'S': {
      if (!NUMERIC_CHARS.test(input)) break;
      if (tag === '' || tag === '!!timestamp') {
        const t = parseTimestamp(input);
        if (t) return { tag: '!!timestamp', value: t };
      }
      const plain = input.replace(/_/g, '');
      const i = parseGoIntBase0(plain, true);
      if (i !== undefined) return { tag: '!!int', value: i };
      const u = parseGoIntBase0(plain, false);
      if (u !== undefined) return { tag: '!!int', value: u };
      const f = parseDecimalFloat(plain);
      if (f !== undefined) return { tag: '!!float', value: f };
      break;
    }
    default:
      break;
  }
  return { tag: '!!str', value: input };
}

/** The implicit tag of an unquoted scalar (go-yaml `resolve("", s)`'s tag). */
export function resolveTag(s: string): string {
  return resolveImplicit(s, '').tag;
}
