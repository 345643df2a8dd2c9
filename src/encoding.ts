/**
 * Byte/text helpers with Go's semantics where sops relies on them.
 * @module
 */

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_LOOKUP = /* @__PURE__ */ (() => {
  const t = new Int16Array(256).fill(-1);
  for (let i = 0; i < 64; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

/** Go `base64.StdEncoding.EncodeToString`: standard alphabet with `=` padding. */
export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + '=';
  }
  return out;
}

/**
 * Go `base64.StdEncoding.DecodeString`: padding required, `\r` and `\n`
 * ignored, any other stray character an error. Non-zero trailing bits are
 * accepted (and dropped), as Go's default (non-strict) encoding does — sops
 * decrypts such a value; with `strict`, they are an error
 * (`base64.StdEncoding.Strict()`, which age uses). Returns `undefined` where
 * Go returns an error.
 */
export function base64Decode(s: string, strict = false): Uint8Array | undefined {
  if (s.includes('\n') || s.includes('\r')) s = s.replace(/[\r\n]/g, '');
  if (s.length % 4 !== 0) return undefined;
  let pad = 0;
  if (s.endsWith('==')) pad = 2;
  else if (s.endsWith('=')) pad = 1;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  // One value per character, no allocation per quad (this runs for every value of a file).
  const digit = (i: number, last: boolean, k: number): number => {
    const ch = s.charCodeAt(i + k);
    if (last && ch === 61 /* = */ && k >= 4 - pad) return 0;
    return ch < 256 ? B64_LOOKUP[ch]! : -1;
  };
  for (let i = 0; i < s.length; i += 4) {
    const last = i + 4 === s.length;
    const c0 = digit(i, last, 0);
    const c1 = digit(i, last, 1);
    const c2 = digit(i, last, 2);
    const c3 = digit(i, last, 3);
    if ((c0 | c1 | c2 | c3) < 0) return undefined;
    const n = (c0 << 18) | (c1 << 12) | (c2 << 6) | c3;
    if (last && pad === 2) {
      if (strict && n & 0xffff) return undefined; // non-canonical trailing bits
      out[o++] = n >> 16;
    } else if (last && pad === 1) {
      if (strict && n & 0xff) return undefined;
      out[o++] = n >> 16;
      out[o++] = (n >> 8) & 255;
    } else {
      out[o++] = n >> 16;
      out[o++] = (n >> 8) & 255;
      out[o++] = n & 255;
    }
  }
  return out;
}

const encoder = /* @__PURE__ */ new TextEncoder();
const strictDecoder = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Decode UTF-8, or `undefined` when the bytes are not valid UTF-8 (a Go string may hold any bytes). */
export function fromUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Uppercase hex, as Go's `fmt.Sprintf("%X", b)`. */
export function hexUpper(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += (b < 16 ? '0' : '') + b.toString(16);
  return s.toUpperCase();
}

/** Accept any byte view (Buffer, a subarray) and return a plain Uint8Array over the same bytes. */
export function toBytes(data: Uint8Array | string): Uint8Array {
  if (typeof data === 'string') return utf8(data);
  if (!(data instanceof Uint8Array)) throw new TypeError('data must be a string or Uint8Array');
  return data.constructor === Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Constant-time comparison of two strings of ASCII (a MAC's hex). */
export function equalConstantTime(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

/** The bytes of `parts`, one after another, in a new array. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
