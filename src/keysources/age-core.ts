/**
 * The part of age v1 (C2SP `age`, Go `filippo.io/age` v1.3) that sops files
 * need, small enough for the browser bundle: the binary header (stanzas and
 * the header MAC), the ASCII armor, the STREAM payload, and the two native
 * recipient types, `X25519` and the post-quantum hybrid `mlkem768x25519`
 * (HPKE with the MLKEM768-X25519 KEM, a.k.a. X-Wing), with their Bech32 key
 * encodings (`age1…`, `age1pq1…`, `AGE-SECRET-KEY-1…`,
 * `AGE-SECRET-KEY-PQ-1…`).
 *
 * A sops age key entry (`enc`) is an armored age file whose payload is the
 * 32-byte sops data key, with one recipient stanza; but the format is
 * implemented whole (any number of stanzas and payload chunks) and is as
 * strict as Go age, which is what sops runs: what Go age rejects is
 * rejected, and errors carry Go age's texts, since sops shows them.
 *
 * Crypto goes through one helper: WebCrypto where the platform has it
 * (X25519 `deriveBits`, HMAC-SHA-256, from which HKDF is built) and
 * `@noble/*` otherwise, loaded by dynamic `import()` so that the pure-JS code
 * is a separate chunk, fetched only when WebCrypto is missing.
 * ChaCha20-Poly1305 has no WebCrypto form and is needed for every file, so our
 * compact one (`chacha20poly1305.ts`) is imported statically; our ML-KEM-768
 * and SHA-3 (`mlkem768.ts`, for the hybrid type only)
 * are loaded on first use. {@link _forceNobleAgeCrypto} forces the fallback
 * in tests, as typage's `forceWebCryptoOff`.
 *
 * @module
 */
import { chacha20poly1305 } from '../chacha20poly1305.js';
import { goQuote } from '../gofmt.js';
import { base64Decode, concat } from '../encoding.js';

// ---------------------------------------------------------------------------
// Crypto helper: WebCrypto first, noble (dynamically imported) otherwise.

let forceNoble = false;

/**
 * Force the pure-JS (`@noble/*`) path for X25519 and HMAC even where
 * WebCrypto exists.
 * @internal For tests: both paths must give the same bytes and the same errors.
 */
export function _forceNobleAgeCrypto(on: boolean): void {
  forceNoble = on;
}

/**
 * A platform's synchronous X25519 and HMAC-SHA-256 (e.g. `node:crypto`, set
 * by `sops-ts/node`'s `useNodeCrypto()`): in Node each WebCrypto call is a
 * thread-pool round trip, and unwrapping one age stanza takes about ten.
 */
export interface AgeCryptoProvider {
  /** X25519(scalar, u), RFC 7748; may throw for a low-order `u`. */
  x25519(scalar: Uint8Array, u: Uint8Array): Uint8Array;
  /** HMAC-SHA-256(key, data). */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
}

let provider: AgeCryptoProvider | undefined;

/** Use a platform's X25519 and HMAC instead of WebCrypto (`undefined`: back to WebCrypto); {@link _forceNobleAgeCrypto} still wins. */
export function setAgeCryptoProvider(p: AgeCryptoProvider | undefined): void {
  provider = p;
}

function subtle(): SubtleCrypto | undefined {
  if (forceNoble) return undefined;
  return (globalThis as { crypto?: Crypto }).crypto?.subtle;
}

function buf(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b as Uint8Array<ArrayBuffer>;
}

/**
 * Run the WebCrypto form, falling back to noble where the algorithm is not
 * supported (typage's `webCryptoFallback`: Bun and older browsers have
 * `importKey` for X25519 but not `deriveBits`, so support is detected by
 * trying).
 */
async function withFallback<T>(web: (s: SubtleCrypto) => Promise<T>, noble: () => Promise<T>): Promise<T> {
  const s = subtle();
  if (s === undefined) return noble();
  try {
    return await web(s);
  } catch (e) {
    const name = (e as { name?: unknown } | null)?.name;
    if (e instanceof ReferenceError || name === 'NotSupportedError') return noble();
    throw e;
  }
}

/** Thrown by {@link x25519} for an all-zero shared secret (a low-order point), which age refuses. */
class LowOrderPointError extends Error {}

/** PKCS #8 prefix of a raw X25519 private key: WebCrypto imports X25519 private keys only as PKCS #8 or JWK. */
export const X25519_PKCS8_PREFIX = /* @__PURE__ */ Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20);
const X25519_BASEPOINT = /* @__PURE__ */ (() => {
  const b = new Uint8Array(32);
  b[0] = 9;
  return b;
})();

/** X25519(scalar, u). Throws {@link LowOrderPointError} where the result is all zeros (an error in Go's `crypto/ecdh`). */
async function x25519(scalar: Uint8Array, u: Uint8Array): Promise<Uint8Array> {
  if (provider !== undefined && !forceNoble) {
    let out: Uint8Array;
    try {
      out = provider.x25519(scalar, u);
    } catch {
      throw new LowOrderPointError(); // OpenSSL refuses an all-zero result
    }
    if (out.every((b) => b === 0)) throw new LowOrderPointError();
    return out;
  }
  const out = await withFallback(
    async (s) => {
      const key = await s.importKey('pkcs8', buf(concat(X25519_PKCS8_PREFIX, scalar)), { name: 'X25519' }, false, ['deriveBits']);
      const pub = await s.importKey('raw', buf(u.slice()), { name: 'X25519' }, false, []);
      try {
        return new Uint8Array(await s.deriveBits({ name: 'X25519', public: pub }, key, 256));
      } catch (e) {
        // WebCrypto refuses an all-zero result with an OperationError.
        if ((e as { name?: unknown } | null)?.name === 'OperationError') throw new LowOrderPointError();
        throw e;
      }
    },
    async () => {
      const { x25519ScalarMult } = await import('./age-core-noble.js');
      try {
        return x25519ScalarMult(scalar, u);
      } catch {
        // noble refuses low-order points (and so an all-zero result) the same way.
        throw new LowOrderPointError();
      }
    },
  );
  if (out.every((b) => b === 0)) throw new LowOrderPointError();
  return out;
}

async function hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  // WebCrypto refuses an empty HMAC key; HMAC pads keys with zeros to the
  // block size, so 32 zero bytes is the same key.
  if (key.length === 0) key = new Uint8Array(32);
  if (provider !== undefined && !forceNoble) return provider.hmacSha256(key, data);
  return withFallback(
    async (s) => {
      const k = await s.importKey('raw', buf(key.slice()), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      return new Uint8Array(await s.sign('HMAC', k, buf(data.slice())));
    },
    async () => (await import('./age-core-noble.js')).hmacSha256(key, data),
  );
}

/** HKDF-Extract (RFC 5869) with SHA-256; an empty salt is 32 zero bytes. */
function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array> {
  return hmacSha256(salt, ikm);
}

/** HKDF-Expand (RFC 5869) with SHA-256. */
async function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 0, o = 0; o < length; i++) {
    t = await hmacSha256(prk, concat(t, info, Uint8Array.of(i + 1)));
    out.set(t.subarray(0, Math.min(32, length - o)), o);
    o += 32;
  }
  return out;
}

async function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string | Uint8Array, length: number): Promise<Uint8Array> {
  return hkdfExpand(await hkdfExtract(salt, ikm), typeof info === 'string' ? utf8(info) : info, length);
}

/** The lazily loaded ML-KEM-768 and SHA-3 (hybrid recipients only): there is no WebCrypto form. */
function pq(): Promise<typeof import('./mlkem768.js')> {
  return import('./mlkem768.js');
}

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

// ---------------------------------------------------------------------------
// Bytes and Go's encodings.

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** Go's `%q` of a byte slice (invalid UTF-8 as `\x` escapes). */
function quoteBytes(b: Uint8Array): string {
  try {
    return goQuote(new TextDecoder('utf-8', { fatal: true }).decode(b));
  } catch {
    let s = '"';
    for (const c of b) s += c >= 0x20 && c < 0x7f ? (c === 0x22 || c === 0x5c ? '\\' : '') + String.fromCharCode(c) : '\\x' + c.toString(16).padStart(2, '0');
    return s + '"';
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_MAP = /* @__PURE__ */ (() => {
  const t = new Int16Array(256).fill(-1);
  for (let i = 0; i < 64; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

/** Base64 of the standard alphabet, with `=` padding or without (Go's `RawStdEncoding`). */
function b64encode(b: Uint8Array, pad: boolean): string {
  let s = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i]! << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    const k = Math.min(3, b.length - i) + 1;
    for (let j = 0; j < 4; j++) s += j < k ? B64[(n >> (18 - 6 * j)) & 63] : pad ? '=' : '';
  }
  return s;
}

/**
 * Go's `base64.StdEncoding.Strict().Decode` (`pad`) or
 * `base64.RawStdEncoding.Strict().Decode`, error offsets included:
 * returns the bytes, or the text of Go's `CorruptInputError`. Like Go, `\r`
 * and `\n` are skipped (age's callers refuse them beforehand where needed).
 */
function b64decode(src: Uint8Array, pad: boolean): Uint8Array | string {
  // Valid input (every real file) takes the shared decoder; anything it
  // refuses goes through the quantum-by-quantum form below for Go's error text.
  let text = latin1.decode(src);
  if (!pad) {
    if (text.includes('=')) return b64decodeGo(src, pad); // padding in raw base64
    text += ['', '', '==', '='][text.replace(/[\r\n]/g, '').length % 4]!;
  }
  return base64Decode(text, true) ?? b64decodeGo(src, pad);
}

const latin1 = /* @__PURE__ */ new TextDecoder('latin1');

function b64decodeGo(src: Uint8Array, pad: boolean): Uint8Array | string {
  const corrupt = (i: number) => `illegal base64 data at input byte ${i}`;
  const out: number[] = [];
  let si = 0;
  while (si < src.length) {
    // One quantum, as Go's decodeQuantum.
    const d = [0, 0, 0, 0];
    let dlen = 4;
    let trailing: string | undefined;
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return Uint8Array.from(out);
        if (j === 1 || pad) return corrupt(si - j);
        dlen = j;
        break;
      }
      const c = src[si++]!;
      const v = B64_MAP[c]!;
      if (v >= 0) {
        d[j] = v;
        continue;
      }
      if (c === 0x0a || c === 0x0d) {
        j--;
        continue;
      }
      if (!pad || c !== 0x3d) return corrupt(si - 1);
      if (j === 0 || j === 1) return corrupt(si - 1);
      if (j === 2) {
        while (si < src.length && (src[si] === 0x0a || src[si] === 0x0d)) si++;
        if (si === src.length) return corrupt(src.length);
        if (src[si] !== 0x3d) return corrupt(si - 1);
        si++;
      }
      while (si < src.length && (src[si] === 0x0a || src[si] === 0x0d)) si++;
      if (si < src.length) trailing = corrupt(si);
      dlen = j;
      break;
    }
    const val = (d[0]! << 18) | (d[1]! << 12) | (d[2]! << 6) | d[3]!;
    const b0 = (val >> 16) & 255;
    const b1 = (val >> 8) & 255;
    const b2 = val & 255;
    if (dlen === 4) out.push(b0, b1, b2);
    else if (dlen === 3) {
      if (b2 !== 0) return corrupt(si - 1);
      out.push(b0, b1);
    } else if (dlen === 2) {
      if (b1 !== 0 || b2 !== 0) return corrupt(si - 2);
      out.push(b0);
    }
    if (trailing !== undefined) return trailing;
    if (dlen < 4) break;
  }
  return Uint8Array.from(out);
}

/** age's `format.DecodeString`: raw (unpadded) strict base64, no CR or LF. */
function ageB64decode(s: Uint8Array | string): Uint8Array | string {
  const b = typeof s === 'string' ? utf8(s) : s;
  if (b.includes(0x0a) || b.includes(0x0d)) return 'unexpected newline character';
  return b64decode(b, false);
}

// ---------------------------------------------------------------------------
// Bech32 (age's `internal/bech32`: BIP 173 without the 90-character limit).

const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = (((chk & 0x1ffffff) << 5) ^ v) >>> 0;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk = (chk ^ GEN[i]!) >>> 0;
  }
  return chk;
}

function hrpExpand(hrp: string): number[] {
  const h = Array.from(utf8(hrp.toLowerCase()));
  return [...h.map((c) => c >> 5), 0, ...h.map((c) => c & 31)];
}

function convertBits(data: ArrayLike<number>, from: number, to: number, pad: boolean): number[] {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const maxv = (1 << to) - 1;
  for (let i = 0; i < data.length; i++) {
    acc = ((acc << from) | data[i]!) & 0xffffff;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >> bits) & maxv);
    }
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & maxv);
  } else if (bits >= from) {
    throw new Error('illegal zero padding');
  } else if ((acc << (to - bits)) & maxv) {
    throw new Error('non-zero padding');
  }
  return out;
}

/** Bech32-encode `data` (age's `bech32.Encode`; an upper-case HRP gives an upper-case string). */
export function bech32Encode(hrp: string, data: Uint8Array): string {
  const values = convertBits(data, 8, 5, true);
  const lower = hrp.toLowerCase();
  const chk = polymod([...hrpExpand(lower), ...values, 0, 0, 0, 0, 0, 0]) ^ 1;
  let s = lower + '1';
  for (const v of values) s += BECH32[v];
  for (let p = 0; p < 6; p++) s += BECH32[(chk >>> (5 * (5 - p))) & 31];
  return hrp === lower ? s : s.toUpperCase();
}

/**
 * Bech32-decode as age's `bech32.Decode`: mixed case refused, the HRP
 * returned in the string's case, Go's error texts.
 */
export function bech32Decode(s: string): { hrp: string; data: Uint8Array } {
  if (s.toLowerCase() !== s && s.toUpperCase() !== s) throw new Error('mixed case');
  const bytes = utf8(s);
  const pos = bytes.lastIndexOf(0x31);
  if (pos < 1 || pos + 7 > bytes.length) throw new Error(`separator '1' at invalid position: pos=${pos}, len=${bytes.length}`);
  const hrp = new TextDecoder().decode(bytes.subarray(0, pos));
  for (let p = 0; p < hrp.length; p++) {
    const c = hrp.codePointAt(p)!;
    if (c < 33 || c > 126) throw new Error(`invalid character human-readable part: s[${p}]=${c}`);
  }
  const rest = new TextDecoder().decode(bytes.subarray(pos + 1)).toLowerCase();
  const values: number[] = [];
  let p = 0;
  for (const ch of rest) {
    const d = BECH32.indexOf(ch);
    if (d === -1) throw new Error(`invalid character data part: s[${p}]=${ch.codePointAt(0)}`);
    values.push(d);
    p += utf8(ch).length;
  }
  if (polymod([...hrpExpand(hrp), ...values]) !== 1) throw new Error('invalid checksum');
  return { hrp, data: Uint8Array.from(convertBits(values.slice(0, -6), 5, 8, false)) };
}

// ---------------------------------------------------------------------------
// Stanzas and recipient types.

/**
 * A recipient stanza: `args[0]` is its type. The same shape as typage's
 * `Stanza`, so typage identities and recipients can be used with these.
 */
export interface AgeStanza {
  readonly args: readonly string[];
  readonly body: Uint8Array;
}

/** A native recipient (`X25519` or `mlkem768x25519`) that wraps a file key. */
export interface AgeNativeRecipient {
  /** `X25519` or `mlkem768x25519`. */
  readonly type: string;
  /** Wrap a 16-byte file key into this recipient's stanza. Throws with Go age's text. */
  wrapFileKey(fileKey: Uint8Array): Promise<AgeStanza[]>;
}

/**
 * A native identity. `unwrapFileKey` returns `null` when no stanza is for it
 * (Go's `ErrIncorrectIdentity`) and throws, with Go age's text, when a
 * stanza of its type is malformed.
 */
export interface AgeNativeIdentity {
  readonly type: string;
  unwrapFileKey(stanzas: readonly AgeStanza[]): Promise<Uint8Array | null>;
}

const FILE_KEY_SIZE = 16;
const X25519_LABEL = 'age-encryption.org/v1/X25519';
const PQ_LABEL = 'age-encryption.org/mlkem768x25519';
const MLKEM768_PUBLIC = 1184;
const MLKEM768_CIPHERTEXT = 1088;
/** The X-Wing combiner label `\.//^\`. */
const XWING_LABEL = /* @__PURE__ */ Uint8Array.of(0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c);

/**
 * Go's text for an all-zero X25519 shared secret. age calls
 * `x/crypto/curve25519.X25519`, which (x/crypto ≥ v0.2x, as in age v1.3.1's
 * and sops 3.13.3's builds) is `crypto/ecdh`; the hybrid KEM calls
 * `crypto/ecdh` directly.
 */
const ECDH_LOW_ORDER = 'crypto/ecdh: bad X25519 remote ECDH input: low order point';

function zeroNonce(): Uint8Array {
  return new Uint8Array(12);
}

/** age's `aeadDecrypt`: the ciphertext must be exactly the expected size; `null` when authentication fails. */
function aeadOpen(key: Uint8Array, nonce: Uint8Array, body: Uint8Array): Uint8Array | null {
  try {
    return chacha20poly1305(key, nonce).decrypt(body);
  } catch {
    return null;
  }
}

class X25519Recipient implements AgeNativeRecipient {
  readonly type = 'X25519';
  constructor(readonly publicKey: Uint8Array) {}
  async wrapFileKey(fileKey: Uint8Array): Promise<AgeStanza[]> {
    const ephemeral = randomBytes(32);
    const share = await x25519(ephemeral, X25519_BASEPOINT);
    let secret: Uint8Array;
    try {
      secret = await x25519(ephemeral, this.publicKey);
    } catch (e) {
      if (e instanceof LowOrderPointError) throw new Error(ECDH_LOW_ORDER);
      throw e;
    }
    const key = await hkdf(secret, concat(share, this.publicKey), X25519_LABEL, 32);
    return [{ args: ['X25519', b64encode(share, false)], body: chacha20poly1305(key, zeroNonce()).encrypt(fileKey) }];
  }
}

class X25519Identity implements AgeNativeIdentity {
  readonly type = 'X25519';
  #publicKey: Promise<Uint8Array> | undefined;
  constructor(readonly secretKey: Uint8Array) {}
  publicKey(): Promise<Uint8Array> {
    return (this.#publicKey ??= x25519(this.secretKey, X25519_BASEPOINT));
  }
  async unwrapFileKey(stanzas: readonly AgeStanza[]): Promise<Uint8Array | null> {
    // Go `multiUnwrap`: skip stanzas that are not ours, fail on a malformed one of ours.
    for (const s of stanzas) {
      if (s.args[0] !== 'X25519') continue;
      if (s.args.length !== 2) throw new Error('invalid X25519 recipient block');
      const share = ageB64decode(s.args[1]!);
      if (typeof share === 'string') throw new Error(`failed to parse X25519 recipient: ${share}`);
      if (share.length !== 32) throw new Error('invalid X25519 recipient block');
      let secret: Uint8Array;
      try {
        secret = await x25519(this.secretKey, share);
      } catch (e) {
        if (e instanceof LowOrderPointError) throw new Error(`invalid X25519 recipient: ${ECDH_LOW_ORDER}`);
        throw e;
      }
      const key = await hkdf(secret, concat(share, await this.publicKey()), X25519_LABEL, 32);
      if (s.body.length !== FILE_KEY_SIZE + 16) throw new Error('invalid X25519 recipient block: incorrect file key size');
      const fileKey = aeadOpen(key, zeroNonce(), s.body);
      if (fileKey !== null) return fileKey;
    }
    return null;
  }
}

/** HPKE (RFC 9180) base-mode key schedule with HKDF-SHA-256 and ChaCha20-Poly1305: the first message's key and nonce. */
async function hpkeKeyAndNonce(kemId: number, sharedSecret: Uint8Array, info: Uint8Array): Promise<{ key: Uint8Array; nonce: Uint8Array }> {
  // suite_id = "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id = HKDF-SHA256, 2) || I2OSP(aead_id = ChaCha20Poly1305, 2)
  const suite = concat(utf8('HPKE'), Uint8Array.of(kemId >> 8, kemId & 255, 0, 1, 0, 3));
  const v1 = utf8('HPKE-v1');
  const labeledExtract = (salt: Uint8Array, label: string, ikm: Uint8Array) => hkdfExtract(salt, concat(v1, suite, utf8(label), ikm));
  const labeledExpand = (prk: Uint8Array, label: string, ctx: Uint8Array, n: number) => hkdfExpand(prk, concat(Uint8Array.of(n >> 8, n & 255), v1, suite, utf8(label), ctx), n);
  const empty = new Uint8Array(0);
  const pskIdHash = await labeledExtract(empty, 'psk_id_hash', empty);
  const infoHash = await labeledExtract(empty, 'info_hash', info);
  const context = concat(Uint8Array.of(0), pskIdHash, infoHash); // mode_base
  // The shared secret is the salt here, and the (empty) PSK the input keying material.
  const secret = await labeledExtract(sharedSecret, 'secret', empty);
  return { key: await labeledExpand(secret, 'key', context, 32), nonce: await labeledExpand(secret, 'base_nonce', context, 12) };
}

/** Whether an ML-KEM-768 encapsulation key passes FIPS 203's modulus check (every 12-bit coefficient < q), as Go's `mlkem.NewEncapsulationKey768`. */
function mlkemKeyValid(ek: Uint8Array): boolean {
  for (let i = 0; i < 1152; i += 3) {
    const a = ek[i]! | ((ek[i + 1]! & 0x0f) << 8);
    const b = (ek[i + 1]! >> 4) | (ek[i + 2]! << 4);
    if (a >= 3329 || b >= 3329) return false;
  }
  return true;
}


class HybridRecipient implements AgeNativeRecipient {
  readonly type = 'mlkem768x25519';
  constructor(readonly publicKey: Uint8Array) {}
  async wrapFileKey(fileKey: Uint8Array): Promise<AgeStanza[]> {
    const { ml_kem768, sha3_256 } = await pq();
    const pkM = this.publicKey.subarray(0, MLKEM768_PUBLIC);
    const pkX = this.publicKey.subarray(MLKEM768_PUBLIC);
    // X-Wing encapsulation (hpke `hybridPublicKey.encap`): the X25519 part first, as Go.
    const ephemeral = randomBytes(32);
    let ssX: Uint8Array;
    try {
      ssX = await x25519(ephemeral, pkX);
    } catch (e) {
      if (e instanceof LowOrderPointError) throw new Error(`failed to set up HPKE sender: ${ECDH_LOW_ORDER}`);
      throw e;
    }
    const ctX = await x25519(ephemeral, X25519_BASEPOINT);
    const { cipherText: ctM, sharedSecret: ssM } = ml_kem768.encapsulate(pkM);
    const ss = sha3_256(concat(ssM, ssX, ctX, pkX, XWING_LABEL));
    const { key, nonce } = await hpkeKeyAndNonce(0x647a, ss, utf8(PQ_LABEL));
    return [{ args: ['mlkem768x25519', b64encode(concat(ctM, ctX), false)], body: chacha20poly1305(key, nonce).encrypt(fileKey) }];
  }
}

/** The expanded hybrid key: ML-KEM-768 decapsulation key, X25519 scalar, and the public key. */
interface HybridKeys {
  skM: Uint8Array;
  skX: Uint8Array;
  pkX: Uint8Array;
  publicKey: Uint8Array;
}

class HybridIdentity implements AgeNativeIdentity {
  readonly type = 'mlkem768x25519';
  #keys: Promise<HybridKeys> | undefined;
  constructor(readonly seed: Uint8Array) {}
  /** hpke `hybridKEM.NewPrivateKey`: SHAKE256(seed) gives the 64-byte ML-KEM seed (d ‖ z), then the X25519 scalar. */
  keys(): Promise<HybridKeys> {
    return (this.#keys ??= (async () => {
      const { ml_kem768, shake256 } = await pq();
      const expanded = shake256(this.seed, { dkLen: 96 });
      const { publicKey: pkM, secretKey: skM } = ml_kem768.keygen(expanded.subarray(0, 64));
      const skX = expanded.slice(64, 96);
      const pkX = await x25519(skX, X25519_BASEPOINT);
      return { skM, skX, pkX, publicKey: concat(pkM, pkX) };
    })());
  }
  async unwrapFileKey(stanzas: readonly AgeStanza[]): Promise<Uint8Array | null> {
    for (const s of stanzas) {
      if (s.args[0] !== 'mlkem768x25519') continue;
      if (s.args.length !== 2) throw new Error('invalid mlkem768x25519 recipient block');
      const enc = ageB64decode(s.args[1]!);
      if (typeof enc === 'string') throw new Error(`failed to parse mlkem768x25519 recipient: ${enc}`);
      if (s.body.length !== FILE_KEY_SIZE + 16) throw new Error('encrypted value has unexpected length');
      if (enc.length !== MLKEM768_CIPHERTEXT + 32) throw new Error('invalid mlkem768x25519 recipient: invalid encapsulated key size');
      const { ml_kem768, sha3_256 } = await pq();
      const k = await this.keys();
      const ctX = enc.subarray(MLKEM768_CIPHERTEXT);
      const ssM = ml_kem768.decapsulate(enc.subarray(0, MLKEM768_CIPHERTEXT), k.skM);
      let ssX: Uint8Array;
      try {
        ssX = await x25519(k.skX, ctX);
      } catch (e) {
        if (e instanceof LowOrderPointError) throw new Error(`invalid mlkem768x25519 recipient: ${ECDH_LOW_ORDER}`);
        throw e;
      }
      const ss = sha3_256(concat(ssM, ssX, ctX, k.pkX, XWING_LABEL));
      const { key, nonce } = await hpkeKeyAndNonce(0x647a, ss, utf8(PQ_LABEL));
      const fileKey = aeadOpen(key, nonce, s.body);
      if (fileKey !== null) return fileKey;
    }
    return null;
  }
}

/**
 * Parse a native recipient, `age1…` (X25519) or `age1pq1…` (hybrid), as Go
 * age's `ParseX25519Recipient` / `ParseHybridRecipient`. Throws with Go's
 * text, e.g. `malformed recipient "age1…": invalid checksum`.
 */
export function parseAgeRecipient(s: string): AgeNativeRecipient {
  const pqKey = s.startsWith('age1pq1');
  let hrp: string;
  let data: Uint8Array;
  try {
    ({ hrp, data } = bech32Decode(s));
  } catch (e) {
    throw new Error(`malformed recipient ${goQuote(s)}: ${(e as Error).message}`);
  }
  const want = pqKey ? 'age1pq' : 'age';
  if (hrp !== want) throw new Error(`malformed recipient ${goQuote(s)}: invalid type ${goQuote(hrp)}`);
  if (pqKey) {
    if (data.length !== MLKEM768_PUBLIC + 32 || !mlkemKeyValid(data)) throw new Error(`malformed recipient ${goQuote(s)}: invalid MLKEM768-X25519 public key`);
    return new HybridRecipient(data);
  }
  if (data.length !== 32) throw new Error(`malformed recipient ${goQuote(s)}: invalid X25519 public key`);
  return new X25519Recipient(data);
}

/**
 * Parse a native identity, `AGE-SECRET-KEY-1…` (X25519) or
 * `AGE-SECRET-KEY-PQ-1…` (hybrid), as Go age's `ParseX25519Identity` /
 * `ParseHybridIdentity`. Throws with Go's text (`malformed secret key: …`),
 * which never contains the key.
 */
export function parseAgeIdentity(s: string): AgeNativeIdentity {
  const pqKey = s.startsWith('AGE-SECRET-KEY-PQ-1');
  let hrp: string;
  let data: Uint8Array;
  try {
    ({ hrp, data } = bech32Decode(s));
  } catch (e) {
    throw new Error(`malformed secret key: ${(e as Error).message}`);
  }
  const want = pqKey ? 'AGE-SECRET-KEY-PQ-' : 'AGE-SECRET-KEY-';
  if (hrp !== want) throw new Error(`malformed secret key: unknown type ${goQuote(hrp)}`);
  if (data.length !== 32) throw new Error(`malformed secret key: invalid ${pqKey ? 'MLKEM768-X25519' : 'X25519'} secret key`);
  return pqKey ? new HybridIdentity(data) : new X25519Identity(data);
}

/** Whether `s` is a native identity string (`AGE-SECRET-KEY-1…` or `AGE-SECRET-KEY-PQ-1…`). */
export function isNativeIdentity(s: string): boolean {
  return s.startsWith('AGE-SECRET-KEY-1') || s.startsWith('AGE-SECRET-KEY-PQ-1');
}

/**
 * The recipient string of a native identity (`age-keygen -y`).
 *
 * @example
 * ```ts
 * await identityToRecipient('AGE-SECRET-KEY-1…'); // 'age1…'
 * ```
 */
export async function identityToRecipient(identity: string): Promise<string> {
  const id = parseAgeIdentity(identity);
  if (id instanceof HybridIdentity) return bech32Encode('age1pq', (await id.keys()).publicKey);
  return bech32Encode('age', await (id as X25519Identity).publicKey());
}

/**
 * Generate a native identity: X25519 (`AGE-SECRET-KEY-1…`) or, with `pq`,
 * the hybrid (`AGE-SECRET-KEY-PQ-1…`). Both are 32 random bytes.
 */
export function generateIdentity(pq = false): string {
  return bech32Encode(pq ? 'AGE-SECRET-KEY-PQ-' : 'AGE-SECRET-KEY-', randomBytes(32));
}

// ---------------------------------------------------------------------------
// Armor: Go age's `armor` package (a strict PEM subset).

const ARMOR_HEADER = '-----BEGIN AGE ENCRYPTED FILE-----';
const ARMOR_FOOTER = '-----END AGE ENCRYPTED FILE-----';
const COLUMNS = 64;
const BYTES_PER_LINE = 48;
const MAX_WHITESPACE = 1024;

/**
 * Encode an age file in the ASCII armor, as Go's `armor.NewWriter`: 64-column
 * padded base64 lines between the markers, and a final newline. This is the
 * `enc` of a sops age key entry.
 */
export function armorEncode(file: Uint8Array): string {
  let s = ARMOR_HEADER + '\n';
  const b = b64encode(file, true);
  for (let i = 0; i < b.length; i += COLUMNS) s += b.slice(i, i + COLUMNS) + '\n';
  return s + ARMOR_FOOTER + '\n';
}

/** Go's `unicode.IsSpace` (what `bytes.TrimSpace` trims). */
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;

function isBlank(b: Uint8Array): boolean {
  return GO_SPACE.test(new TextDecoder().decode(b));
}

/**
 * What Go's armored reader delivers: the decoded bytes, then either a clean
 * end (`error` undefined) or an error. Go decodes lazily, one line per read,
 * so the error only surfaces where the age parser reads past the good bytes;
 * {@link decryptFile} reproduces that.
 */
interface ArmorStream {
  data: Uint8Array;
  /** Go's text, `invalid armor: …`. */
  error?: string;
}

function readArmor(text: string | Uint8Array): ArmorStream {
  const b = typeof text === 'string' ? utf8(text) : text;
  const chunks: Uint8Array[] = [];
  const done = (error?: string): ArmorStream => ({ data: concat(...chunks), ...(error !== undefined ? { error: 'invalid armor: ' + error } : {}) });
  let pos = 0;
  const getLine = (): Uint8Array | undefined => {
    if (pos >= b.length) return undefined; // io.ErrUnexpectedEOF
    let end = b.indexOf(0x0a, pos);
    const next = end === -1 ? b.length : end + 1;
    if (end === -1) end = b.length;
    let line = b.subarray(pos, end);
    if (line[line.length - 1] === 0x0d) line = line.subarray(0, -1);
    pos = next;
    return line;
  };
  const str = (l: Uint8Array) => new TextDecoder().decode(l);
  const drainTrailing = (): string | undefined => {
    const rest = b.subarray(pos, pos + MAX_WHITESPACE);
    if (!isBlank(rest)) return 'trailing data after armored file';
    if (rest.length === MAX_WHITESPACE) return 'too much trailing whitespace';
    return undefined;
  };
  let removed = 0;
  for (;;) {
    const line = getLine();
    if (line === undefined) return done('unexpected EOF');
    if (isBlank(line)) {
      removed += line.length + 1;
      if (removed > MAX_WHITESPACE) return done('too much leading whitespace');
      continue;
    }
    if (str(line) !== ARMOR_HEADER) return done(`invalid first line: ${quoteBytes(line)}`);
    break;
  }
  for (;;) {
    const line = getLine();
    if (line === undefined) return done('unexpected EOF');
    if (str(line) === ARMOR_FOOTER) return done(drainTrailing());
    if (line.length === 0) return done('empty line in armored data');
    if (line.length > COLUMNS) return done('column limit exceeded');
    const d = b64decode(line, true);
    if (typeof d === 'string') return done(d);
    chunks.push(d);
    if (d.length < BYTES_PER_LINE) {
      const close = getLine();
      if (close === undefined) return done('unexpected EOF');
      if (str(close) !== ARMOR_FOOTER) return done(`invalid closing line: ${quoteBytes(close)}`);
      return done(drainTrailing());
    }
  }
}

/**
 * Decode the ASCII armor as Go's `armor.NewReader` (leading and trailing
 * whitespace up to 1 KiB, LF or CRLF, 64-column strict padded base64, the
 * last line short or followed directly by the footer). Throws Go's text
 * (`invalid armor: …`).
 */
export function armorDecode(text: string | Uint8Array): Uint8Array {
  const r = readArmor(text);
  if (r.error !== undefined) throw new Error(r.error);
  return r.data;
}

// ---------------------------------------------------------------------------
// Header: `age-encryption.org/v1`, stanzas, the MAC line.

const INTRO = 'age-encryption.org/v1\n';

/** A parsed age header. */
export interface AgeHeader {
  stanzas: AgeStanza[];
  /** The header up to and including `---` (what the MAC covers). */
  headerNoMac: Uint8Array;
  mac: Uint8Array;
  /** Offset of the payload (after the MAC line's newline). */
  payloadOffset: number;
}

/**
 * Where decryption failed, as sops reports it: `header` errors come from Go
 * age's `Decrypt` (sops: `failed to create reader for decrypting sops data key
 * with age: …`), `payload` errors from reading the STREAM payload (sops:
 * `failed to copy age decrypted data into bytes.Buffer: …`). The message is
 * Go age's text.
 */
export class AgeDecryptError extends Error {
  override name = 'AgeDecryptError';
  constructor(
    readonly stage: 'header' | 'payload',
    message: string,
  ) {
    super(message);
  }
}

/** `err` text for a read that ran out of good bytes: Go's `io.EOF` or the armor error. */
const eofText = (e: string | undefined) => e ?? 'EOF';

function isValidArg(a: string): boolean {
  if (a.length === 0) return false;
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c < 33 || c > 126) return false;
  }
  return true;
}

/**
 * Parse the header as Go's `format.Parse`, over bytes that may end in a
 * deferred read error (`streamError`, from the armor). Throws
 * {@link AgeDecryptError} with Go age's text, `failed to read header: …`.
 */
export function parseHeader(data: Uint8Array, streamError?: string): AgeHeader {
  const fail = (m: string): never => {
    throw new AgeDecryptError('header', 'failed to read header: ' + m);
  };
  const parseError = (m: string) => 'parsing age header: ' + m;
  let pos = 0;
  /** bufio `ReadBytes('\n')`: the line with its newline, or the read error. */
  const readLine = (): Uint8Array | string => {
    const nl = data.indexOf(0x0a, pos);
    if (nl === -1) {
      pos = data.length;
      return eofText(streamError);
    }
    const line = data.subarray(pos, nl + 1);
    pos = nl + 1;
    return line;
  };
  const text = (l: Uint8Array) => new TextDecoder().decode(l);
  const intro = readLine();
  if (typeof intro === 'string') fail(parseError(streamError === undefined ? 'file is empty' : `failed to read intro: ${intro}`));
  if (text(intro as Uint8Array) !== INTRO) fail(parseError(`unexpected intro: ${quoteBytes(intro as Uint8Array)}`));
  const stanzas: AgeStanza[] = [];
  for (;;) {
    if (data.length - pos < 3) fail(parseError(`failed to read header: ${eofText(streamError)}`));
    const start = pos;
    if (data[pos] === 0x2d && data[pos + 1] === 0x2d && data[pos + 2] === 0x2d) {
      const line = readLine();
      if (typeof line === 'string') return fail(`failed to read header: ${line}`);
      const parts = text(line.subarray(0, -1)).split(' ');
      if (parts[0] !== '---' || parts.length !== 2) fail(parseError(`malformed closing line: ${quoteBytes(line)}`));
      const mac = ageB64decode(parts[1]!);
      if (typeof mac === 'string' || mac.length !== 32) fail(parseError(`malformed closing line ${quoteBytes(line)}: ${typeof mac === 'string' ? mac : '<nil>'}`));
      return { stanzas, headerNoMac: data.slice(0, start + 3), mac: mac as Uint8Array, payloadOffset: pos };
    }
    // Go `StanzaReader.ReadStanza`, its errors wrapped in "failed to parse header: ".
    const stanzaFail = (m: string): never => fail('failed to parse header: ' + m);
    const line = readLine();
    if (typeof line === 'string') return stanzaFail(`failed to read line: ${line}`);
    if (line[0] !== 0x2d || line[1] !== 0x3e) stanzaFail(`malformed stanza opening line: ${quoteBytes(line)}`);
    const parts = text(line.subarray(0, -1)).split(' ');
    const args = parts.slice(1);
    if (parts[0] !== '->' || args.length < 1 || !args.every(isValidArg)) stanzaFail(`malformed stanza: ${quoteBytes(line)}`);
    const body: Uint8Array[] = [];
    for (;;) {
      const l = readLine();
      if (typeof l === 'string') return stanzaFail(`failed to read line: ${l}`);
      const d = ageB64decode(l.subarray(0, -1));
      if (typeof d === 'string') {
        if ((l[0] === 0x2d && l[1] === 0x2d && l[2] === 0x2d) || (l[0] === 0x2d && l[1] === 0x3e)) {
          stanzaFail(`malformed body line ${quoteBytes(l)}: stanza ended without a short line\nnote: this might be a file encrypted with an old beta version of age or rage; use age v1.0.0-beta6 or rage to decrypt it`);
        }
        stanzaFail(parseError(`malformed body line ${quoteBytes(l)}: ${d}`));
      }
      const bytes = d as Uint8Array;
      if (bytes.length > BYTES_PER_LINE) stanzaFail(parseError(`malformed body line ${quoteBytes(l)}: too long`));
      body.push(bytes);
      if (bytes.length < BYTES_PER_LINE) break;
    }
    stanzas.push({ args, body: concat(...body) });
  }
}

/** The header without its MAC, as Go's `Header.MarshalWithoutMAC`: what the MAC covers. */
export function encodeHeaderNoMac(stanzas: readonly AgeStanza[]): Uint8Array {
  let s = INTRO;
  for (const st of stanzas) {
    s += '-> ' + st.args.join(' ') + '\n';
    const b = b64encode(st.body, false);
    // Body lines of 64 columns; the last line is always short, so possibly empty.
    for (let i = 0; i <= b.length; i += COLUMNS) s += b.slice(i, i + COLUMNS) + '\n';
  }
  return utf8(s + '---');
}

/** age's header MAC: HMAC-SHA-256 under HKDF-SHA-256(file key, no salt, "header"). */
async function headerMac(fileKey: Uint8Array, headerNoMac: Uint8Array): Promise<Uint8Array> {
  return hmacSha256(await hkdf(fileKey, new Uint8Array(0), 'header', 32), headerNoMac);
}

// ---------------------------------------------------------------------------
// Payload: STREAM with ChaCha20-Poly1305 in 64 KiB chunks.

const CHUNK = 64 * 1024;
const TAG = 16;
const NONCE_SIZE = 16;

function chunkNonce(counter: number, last: boolean): Uint8Array {
  const n = new Uint8Array(12);
  // 11-byte big-endian counter; the last byte flags the final chunk.
  let c = counter;
  for (let i = 10; i >= 0 && c > 0; i--) {
    n[i] = c & 255;
    c = Math.floor(c / 256);
  }
  if (last) n[11] = 1;
  return n;
}

async function streamKey(fileKey: Uint8Array, nonce: Uint8Array): Promise<Uint8Array> {
  return hkdf(fileKey, nonce, 'payload', 32);
}

/**
 * The STREAM payload (nonce excluded) of `plaintext` under `fileKey` and the
 * 16-byte payload `nonce`.
 * @internal For tests (round trips of the CCTV vectors' payloads).
 */
export async function _encryptPayload(fileKey: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
  return encryptPayload(await streamKey(fileKey, nonce), plaintext);
}

function encryptPayload(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const out: Uint8Array[] = [];
  let counter = 0;
  for (let off = 0; ; off += CHUNK, counter++) {
    const end = Math.min(off + CHUNK, plaintext.length);
    const last = end === plaintext.length;
    out.push(chacha20poly1305(key, chunkNonce(counter, last)).encrypt(plaintext.subarray(off, end)));
    if (last) return concat(...out);
  }
}

/** Go's `stream.DecryptReader` read to the end (what sops's `io.Copy` does). */
function decryptPayload(key: Uint8Array, data: Uint8Array, streamError: string | undefined): Uint8Array {
  const fail = (m: string): never => {
    throw new AgeDecryptError('payload', m);
  };
  const out: Uint8Array[] = [];
  let pos = 0;
  for (let counter = 0; ; counter++) {
    const avail = data.length - pos;
    let last = false;
    let n = CHUNK + TAG;
    if (avail < CHUNK + TAG) {
      if (streamError !== undefined) fail(streamError);
      if (avail === 0) fail('unexpected EOF');
      if (counter !== 0 && avail === TAG) fail('last chunk is empty, try age v1.0.0, and please consider reporting this');
      last = true;
      n = avail;
    }
    const chunk = data.subarray(pos, pos + n);
    let pt = aeadOpen(key, chunkNonce(counter, last), chunk);
    if (pt === null && !last) {
      // A full-size chunk may be the last one.
      last = true;
      pt = aeadOpen(key, chunkNonce(counter, true), chunk);
    }
    if (pt === null) fail('failed to decrypt and authenticate payload chunk, file may be corrupted or tampered with');
    out.push(pt as Uint8Array);
    pos += n;
    if (last) {
      if (pos < data.length) fail('trailing data after end of encrypted file');
      if (streamError !== undefined) fail(`non-EOF error reading after end of encrypted file: ${streamError}`);
      return concat(...out);
    }
  }
}

// ---------------------------------------------------------------------------
// Files.

/**
 * Encrypt `plaintext` to native recipients (Go's `age.Encrypt`): a random
 * 16-byte file key wrapped by each recipient, the header MAC, a 16-byte
 * payload nonce, and the STREAM payload. Returns the binary file; wrap it
 * with {@link armorEncode} for a sops `enc`.
 *
 * @example
 * ```ts
 * const enc = armorEncode(await encryptFile(dataKey, [parseAgeRecipient('age1…')]));
 * ```
 */
export async function encryptFile(plaintext: Uint8Array, recipients: readonly AgeNativeRecipient[]): Promise<Uint8Array> {
  if (recipients.length === 0) throw new Error('no recipients specified');
  const pqCount = recipients.filter((r) => r.type === 'mlkem768x25519').length;
  if (pqCount !== 0 && pqCount !== recipients.length) {
    throw new Error("incompatible recipients: can't mix post-quantum and classic recipients, or the file would be vulnerable to quantum computers");
  }
  const fileKey = randomBytes(FILE_KEY_SIZE);
  const stanzas: AgeStanza[] = [];
  for (const [i, r] of recipients.entries()) {
    try {
      stanzas.push(...(await r.wrapFileKey(fileKey)));
    } catch (e) {
      throw new Error(`failed to wrap key for recipient #${i}: ${(e as Error).message}`, { cause: e });
    }
  }
  const hdr = encodeHeaderNoMac(stanzas);
  const mac = await headerMac(fileKey, hdr);
  const nonce = randomBytes(NONCE_SIZE);
  const payload = encryptPayload(await streamKey(fileKey, nonce), plaintext);
  return concat(hdr, utf8(' ' + b64encode(mac, false) + '\n'), nonce, payload);
}

/**
 * Decrypt an age file with native identities, as Go's `age.Decrypt` and
 * reading the payload to its end. `file` is the binary file, or the armored
 * text (a `string`, or bytes with `armored`), read as Go's armored reader: an armor error surfaces where
 * Go's parser would meet it. Throws {@link AgeDecryptError} with Go age's
 * text; no identity matching is `identity did not match any of the
 * recipients: incorrect identity for recipient block` with one identity and
 * `no identity matched any of the recipients` otherwise.
 */
export async function decryptFile(file: Uint8Array | string, identities: readonly AgeNativeIdentity[], armored: boolean = typeof file === 'string'): Promise<Uint8Array> {
  const { data, error } = armored ? readArmor(file) : { data: typeof file === 'string' ? utf8(file) : file, error: undefined };
  const hdr = parseHeader(data, error);
  if (identities.length === 0) throw new AgeDecryptError('header', 'no identities specified');
  let fileKey: Uint8Array | null = null;
  let misses = 0;
  for (const id of identities) {
    try {
      fileKey = await id.unwrapFileKey(hdr.stanzas);
    } catch (e) {
      throw new AgeDecryptError('header', e instanceof Error ? e.message : String(e));
    }
    if (fileKey !== null) break;
    misses++;
  }
  if (fileKey === null) {
    throw new AgeDecryptError('header', misses === 1 ? 'identity did not match any of the recipients: incorrect identity for recipient block' : 'no identity matched any of the recipients');
  }
  if (!equalBytes(await headerMac(fileKey, hdr.headerNoMac), hdr.mac)) throw new AgeDecryptError('header', 'bad header MAC');
  const rest = data.subarray(hdr.payloadOffset);
  if (rest.length < NONCE_SIZE) {
    // io.ReadFull: EOF with nothing read, ErrUnexpectedEOF with some, the armor error as is.
    throw new AgeDecryptError('header', `failed to read nonce: ${error ?? (rest.length === 0 ? 'EOF' : 'unexpected EOF')}`);
  }
  const key = await streamKey(fileKey, rest.subarray(0, NONCE_SIZE));
  return decryptPayload(key, rest.subarray(NONCE_SIZE), error);
}
