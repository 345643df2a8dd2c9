/**
 * Go's number and time formatting, which sops's bytes depend on.
 *
 * JS `Number#toString` and Go `strconv.FormatFloat` agree on the shortest
 * round-trip digits; they differ in where they switch to exponent notation
 * and how the exponent is written. These helpers take the digits from JS and
 * lay them out as Go does.
 *
 * @module
 */

interface Decimal {
  neg: boolean;
  /** Significant digits, no leading zeros ("0" for zero). */
  digits: string;
  /** Position of the decimal point relative to the digits (Go's `dp`). */
  dp: number;
}

function decompose(x: number): Decimal {
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  if (a === 0) return { neg, digits: '0', dp: 1 };
  // toExponential() with no argument gives the shortest digits that round-trip.
  const [mant, exp] = a.toExponential().split('e') as [string, string];
  const digits = mant.replace('.', '');
  return { neg, digits, dp: Number(exp) + 1 };
}

function special(x: number): string | undefined {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  return undefined;
}

function fixed(d: Decimal): string {
  let s: string;
  if (d.dp <= 0) s = '0.' + '0'.repeat(-d.dp) + d.digits;
  else if (d.dp >= d.digits.length) s = d.digits + '0'.repeat(d.dp - d.digits.length);
  else s = d.digits.slice(0, d.dp) + '.' + d.digits.slice(d.dp);
  return (d.neg ? '-' : '') + s;
}

function exponent(d: Decimal, e: 'e' | 'E'): string {
  const mant = d.digits.length > 1 ? d.digits[0] + '.' + d.digits.slice(1) : d.digits;
  const x = d.digits === '0' ? 0 : d.dp - 1;
  const ax = Math.abs(x);
  return (d.neg ? '-' : '') + mant + e + (x < 0 ? '-' : '+') + (ax < 10 ? '0' : '') + String(ax);
}

/** Go `strconv.FormatFloat(x, 'f', -1, 64)`: never an exponent (`1e21` → `1000000000000000000000`). */
export function formatFloatF(x: number): string {
  return special(x) ?? fixed(decompose(x));
}

/** Go `strconv.FormatFloat(x, 'g', -1, 64)` (or `'G'`): exponent when the decimal exponent is < -4 or ≥ 6. */
export function formatFloatG(x: number, upper = false): string {
  const s = special(x);
  if (s !== undefined) return s;
  const d = decompose(x);
  // Go (strconv/ftoa.go, %g): with shortest formatting the switch to %e is
  // decided with a precision of 6, whatever the number of digits.
  const eprec = 6;
  const exp = d.dp - 1;
  if (exp < -4 || exp >= eprec) return exponent(d, upper ? 'E' : 'e');
  return fixed(d);
}

/**
 * Go `encoding/json`'s float64 encoding: `'f'` between 1e-6 and 1e21, `'e'`
 * otherwise with a two-digit negative exponent shortened (`1e-07` → `1e-7`).
 * NaN and infinities are not representable and throw.
 */
export function formatFloatJSON(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError('json: unsupported value: ' + formatFloatG(x));
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-6 || a >= 1e21)) {
    let s = exponent(decompose(x), 'e');
    s = s.replace(/e-0(\d)$/, 'e-$1');
    return s;
  }
  return formatFloatF(x);
}

/** YAML (go-yaml v3) float emission: `'g'` formatting with `.inf`, `-.inf`, `.nan`. */
export function formatFloatYAML(x: number): string {
  if (Number.isNaN(x)) return '.nan';
  if (x === Infinity) return '.inf';
  if (x === -Infinity) return '-.inf';
  return formatFloatG(x);
}

/** sops `stores.ValToString` for float64: `'G'`, and `.0` added when there is neither `.` nor `E`. */
export function formatFloatValToString(x: number): string {
  const s = formatFloatG(x, true);
  if (!s.includes('.') && !s.includes('E') && Number.isFinite(x)) return s + '.0';
  return s;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Whether `n` fits Go's `int` (int64 on the platforms sops ships for). */
export function isInt64(n: bigint): boolean {
  return n >= INT64_MIN && n <= INT64_MAX;
}

/**
 * Go `strconv.ParseInt(s, 10, 64)` / `Atoi`: optional sign, decimal digits,
 * int64 range. Returns `undefined` when Go would return an error.
 */
export function parseGoInt(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return isInt64(n) ? n : undefined;
}

/**
 * Go `strconv.ParseFloat(s, 64)` for the forms sops writes and Go accepts:
 * decimal and exponent forms, `Inf`/`Infinity`/`NaN` in any case with a sign,
 * hex floats and `_` separators are not accepted (Go accepts `_` only with a
 * base prefix). Returns `undefined` on error, including out of range.
 */
export function parseGoFloat(s: string): number | undefined {
  const lower = s.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(lower)) return lower.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(lower)) return NaN;
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(s)) return undefined;
  const x = Number(s);
  if (!Number.isFinite(x)) return undefined;
  return x;
}

/** Go `strconv.ParseBool`. */
export function parseGoBool(s: string): boolean | undefined {
  switch (s) {
    case '1': case 't': case 'T': case 'TRUE': case 'true': case 'True':
      return true;
    case '0': case 'f': case 'F': case 'FALSE': case 'false': case 'False':
      return false;
    default:
      return undefined;
  }
}

/** Go's `%#v` of a string (`strconv.Quote`). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (c === 0x07) out += '\\a';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0b) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (isGoPrintable(c)) out += ch;
    else if (c < 0x10000) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += '\\U' + c.toString(16).padStart(8, '0');
  }
  return out + '"';
}

/** An approximation of Go's `strconv.IsPrint` (letters, marks, numbers, punctuation, symbols, ASCII space). */
export function isGoPrintable(c: number): boolean {
  if (c < 0x80) return c >= 0x20 && c < 0x7f;
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(String.fromCodePoint(c));
}

/** Go `json.Marshal`'s short escapes; the other escaped characters are written `\u00xx`. */
const JSON_SHORT_ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
};

/**
 * Go `json.Marshal` of a string (HTML-safe: C0 controls, `"`, `\`, `<`, `>`,
 * `&`, U+2028, U+2029 escaped; `u`: a surrogate pair is one code point, not
 * matched). A lone surrogate stands for invalid UTF-8 and is written as
 * `loneSurrogate`: the JSON store writes Go's `\ufffd` escape, the INI store
 * a raw U+FFFD (its strings reach Go already decoded).
 */
export function goJsonQuote(s: string, loneSurrogate: string): string {
  const escape = (ch: string): string => {
    const c = ch.charCodeAt(0);
    return c >= 0xd800 ? loneSurrogate : (JSON_SHORT_ESCAPES[c] ?? '\\u' + c.toString(16).padStart(4, '0'));
  };
  return '"' + s.replace(/[\0-\x1f"\\<>&\u2028\u2029\ud800-\udfff]/gu, escape) + '"';
}
