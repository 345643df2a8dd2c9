/**
 * The value cipher: one `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` string per
 * value, as sops's `aes/cipher.go`.
 *
 * - AES-256-GCM with a **32-byte IV** on write (any length on read) and a
 *   16-byte tag split off the end; standard base64 with padding.
 * - The `type:` field records the Go type so the value comes back typed.
 * - Empty strings (and empty comments) are not encrypted: `""` stays `""`.
 * - The IV stash: every decrypt remembers `(AAD, typed value) → IV`, and an
 *   encrypt of the same pair reuses it, so re-encrypting an unchanged value
 *   with the same data key gives the same bytes (minimal diffs on edit).
 *
 * @module
 */
import { aesGcmKey, type AesGcmKey } from './aes-gcm.js';
import { base64Decode, base64Encode, fromUtf8, utf8 } from './encoding.js';
import { SopsError } from './errors.js';
import { formatFloatF, parseGoBool, parseGoFloat, parseGoInt } from './gofmt.js';
import { parseRfc3339 } from './time.js';
import { Comment, SopsTime, type Scalar } from './tree.js';

/** The `type:` names sops writes, plus the legacy `bytes` it reads. */
export type EncryptedType = 'str' | 'int' | 'float' | 'bool' | 'time' | 'comment' | 'bytes';

/** A value the cipher can encrypt: any non-null scalar or a comment. */
export type Plaintext = Exclude<Scalar, null> | Comment;

/** The parts of an `ENC[...]` string. */
export interface EncryptedValue {
  data: Uint8Array;
  iv: Uint8Array;
  tag: Uint8Array;
  type: string;
}

// sops's regexp is anchored at the start only, with greedy groups:
// ^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]
const ENC_RE = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/s;

/** Whether a string looks like a sops encrypted value. */
export function isEncryptedValue(s: string): boolean {
  return s.startsWith('ENC[AES256_GCM,') && ENC_RE.test(s);
}

/**
 * Parse an `ENC[...]` string strictly. Throws `ERR_MALFORMED_VALUE`; the
 * message never repeats the input (it may be a plaintext secret).
 */
export function parseEncryptedValue(s: string): EncryptedValue {
  const m = ENC_RE.exec(s);
  if (m === null) throw new SopsError('ERR_MALFORMED_VALUE', "Input string does not match sops' data format");
  const field = (name: string, text: string) => {
    const b = base64Decode(text);
    if (b === undefined) throw new SopsError('ERR_MALFORMED_VALUE', `Error base64-decoding ${name}`);
    return b;
  };
  return { data: field('data', m[1]!), iv: field('iv', m[2]!), tag: field('tag', m[3]!), type: m[4]! };
}

/** The `type:` name and plaintext bytes of a value (sops `Cipher.Encrypt` / `ToBytes`). */
export function plaintextOf(value: Plaintext): { type: EncryptedType; bytes: Uint8Array } {
  if (typeof value === 'string') return { type: 'str', bytes: utf8(value) };
  if (value instanceof Uint8Array) return { type: 'str', bytes: value };
  if (typeof value === 'bigint') return { type: 'int', bytes: utf8(value.toString()) };
  if (typeof value === 'number') return { type: 'float', bytes: utf8(formatFloatF(value)) };
  if (typeof value === 'boolean') return { type: 'bool', bytes: utf8(value ? 'True' : 'False') };
  if (value instanceof SopsTime) return { type: 'time', bytes: utf8(value.rfc3339Nano) };
  if (value instanceof Comment) return { type: 'comment', bytes: utf8(value.value) };
  throw new SopsError('ERR_ENCRYPT', `Value to encrypt has unsupported type ${typeof value}`);
}

function typedFrom(type: string, bytes: Uint8Array): Plaintext {
  const text = () => fromUtf8(bytes);
  const bad = (what: string) => new SopsError('ERR_DECRYPT_VALUE', `Decrypted value is not a valid ${what}`);
  switch (type) {
    case 'str':
      // A Go string may hold any bytes; keep them raw when they are not UTF-8.
      return text() ?? bytes.slice();
    case 'bytes':
      return bytes.slice();
    case 'int':
    case 'float':
    case 'bool': {
      // strconv.Atoi / ParseFloat / ParseBool
      const parse = type === 'int' ? parseGoInt : type === 'float' ? parseGoFloat : parseGoBool;
      const v = parse(text() ?? '');
      if (v === undefined) throw bad(type);
      return v;
    }
    case 'time': {
      const t = parseRfc3339(text() ?? '');
      if (t === undefined) throw bad('time');
      return t;
    }
    case 'comment':
      return new Comment(text() ?? '', false);
    default:
      throw new SopsError('ERR_MALFORMED_VALUE', `Unknown datatype: ${type.length > 16 ? type.slice(0, 16) + '…' : type}`);
  }
}

/** An `ENC[...]` string parsed and checked: IV, ciphertext ‖ tag, type. */
function parseSealed(enc: string): { iv: Uint8Array; sealed: Uint8Array; type: string } {
  const ev = parseEncryptedValue(enc);
  if (ev.iv.length === 0) throw new SopsError('ERR_MALFORMED_VALUE', 'cipher: the nonce can\'t have zero length');
  if (ev.tag.length !== 16) throw new SopsError('ERR_MALFORMED_VALUE', `Invalid tag length ${ev.tag.length}, expected 16`);
  const sealed = new Uint8Array(ev.data.length + 16);
  sealed.set(ev.data);
  sealed.set(ev.tag, ev.data.length);
  return { iv: ev.iv, sealed, type: ev.type };
}

function decryptFailed(cause: unknown): SopsError {
  return new SopsError('ERR_DECRYPT_VALUE', 'Could not decrypt with AES_GCM: cipher: message authentication failed', { cause });
}

function opened(ev: { iv: Uint8Array; type: string }, bytes: Uint8Array): OpenedValue {
  const value = typedFrom(ev.type, bytes);
  return { value, iv: ev.iv, bytes: typeof value === 'string' ? bytes : undefined };
}

function formatSealed(sealed: Uint8Array, iv: Uint8Array, type: EncryptedType): string {
  const cut = sealed.length - 16;
  return `ENC[AES256_GCM,data:${base64Encode(sealed.subarray(0, cut))},iv:${base64Encode(iv)},tag:${base64Encode(sealed.subarray(cut))},type:${type}]`;
}

function isEmpty(value: Plaintext): boolean {
  if (typeof value === 'string') return value === '';
  if (value instanceof Uint8Array) return value.length === 0;
  if (value instanceof Comment) return value.value === '';
  return false;
}

// Each byte to one code point (windows-1252, which WHATWG calls latin1, maps
// all 256 bytes to distinct code points): an injective, native conversion.
const byteString = new TextDecoder('latin1');

function stashKey(aad: string, type: EncryptedType, bytes: Uint8Array, inline: boolean): string {
  // Go compares the stash key with ==: same AAD, same Go type, same value
  // (and for comments the same Inline flag). Bytes decide equality here.
  return `${type}${inline ? '+i' : ''}\u0000${aad}\u0000${byteString.decode(bytes)}`;
}

/** A value {@link ValueCipher.open} decrypted. */
export interface OpenedValue {
  /** The typed value. */
  value: Plaintext;
  /** Its IV (`undefined` for `""`, which is not encrypted). */
  iv: Uint8Array | undefined;
  /**
   * The bytes the MAC hashes for it (sops `ToBytes` of the typed value), when
   * they are the decrypted bytes themselves (strings); else `undefined`.
   */
  bytes?: Uint8Array | undefined;
}

/** Source of fresh IVs. @internal tests may inject a deterministic one. */
export type IvSource = (length: number) => Uint8Array;

/**
 * Fresh IVs from the platform CSPRNG, drawn 8 KiB at a time: one
 * `getRandomValues` call per IV costs more than the AES-GCM of a short value
 * (a 10,000-value file drew 10,000 times). Each IV is a copy; the pool's
 * bytes are handed out once.
 */
let pool = new Uint8Array(0);
let poolAt = 0;
const randomIv: IvSource = (n) => {
  if (n > 1024) return crypto.getRandomValues(new Uint8Array(n));
  if (poolAt + n > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(8192));
    poolAt = 0;
  }
  poolAt += n;
  return pool.slice(poolAt - n, poolAt);
};

/** Options of {@link ValueCipher}. */
export interface ValueCipherOptions {
  /** @internal Fresh IV generator for tests. Default: `crypto.getRandomValues`. */
  ivSource?: IvSource;
}

/**
 * Encrypts and decrypts single values under one data key, with sops's IV
 * stash. Use one instance per decrypt→re-encrypt cycle.
 */
export class ValueCipher {
  readonly #key: AesGcmKey;
  readonly #stash = new Map<string, Uint8Array>();
  #ivSource: IvSource;

  constructor(dataKey: Uint8Array, options: ValueCipherOptions = {}) {
    this.#key = aesGcmKey(dataKey);
    this.#ivSource = options.ivSource ?? randomIv;
  }

  /**
   * @internal A cipher under another data key holding a copy of this one's
   * IV stash: sops's rotate re-encrypts every value with a new data key but
   * the IV each value had (`sops rotate` keeps IVs).
   */
  _withDataKey(dataKey: Uint8Array): ValueCipher {
    const c = new ValueCipher(dataKey, { ivSource: this.#ivSource });
    for (const [k, iv] of this.#stash) c.#stash.set(k, iv);
    return c;
  }

  /** @internal Replace the source of fresh IVs (tests reproduce another writer's random IVs). */
  _setIvSource(source: IvSource): void {
    this.#ivSource = source;
  }

  /** Encrypt `value` with AAD `aad`. Empty values come back as `""`. */
  async encrypt(value: Plaintext, aad: string): Promise<string> {
    if (isEmpty(value)) return '';
    const { type, bytes, iv } = this.#prepareSeal(value, aad);
    return formatSealed(await this.#key.seal(iv, bytes, utf8(aad)), iv, type);
  }

  /** {@link encrypt}, synchronously; only where {@link sync} is true. */
  encryptSync(value: Plaintext, aad: string): string {
    if (isEmpty(value)) return '';
    const { type, bytes, iv } = this.#prepareSeal(value, aad);
    return formatSealed(this.#key.sealSync!(iv, bytes, utf8(aad)), iv, type);
  }

  /** The type, bytes and IV (stashed, else fresh) of a value to encrypt. */
  #prepareSeal(value: Plaintext, aad: string): { type: EncryptedType; bytes: Uint8Array; iv: Uint8Array } {
    const { type, bytes } = plaintextOf(value);
    // Go looks the stash up with ==, and NaN never equals itself: a NaN always gets a fresh IV.
    const stashed = Number.isNaN(value) ? undefined : this.#stash.get(stashKey(aad, type, bytes, value instanceof Comment && value.inline));
    return { type, bytes, iv: stashed ?? this.#ivSource(32) };
  }

  /**
   * Decrypt an `ENC[...]` string with AAD `aad` and return the typed value,
   * remembering its IV in the stash. `""` decrypts to `""`. Throws
   * `ERR_MALFORMED_VALUE` or `ERR_DECRYPT_VALUE`.
   */
  async decrypt(enc: string, aad: string): Promise<Plaintext> {
    const { value, iv } = await this.open(enc, aad);
    if (iv !== undefined) this.remember(aad, value, iv);
    return value;
  }

  /**
   * Decrypt without touching the stash; returns the value and its IV
   * (`undefined` for `""`). The tree walk decrypts values concurrently and
   * then calls {@link remember} in document order, so that where one
   * (AAD, value) pair occurs twice the later IV wins, as in sops's walk.
   */
  async open(enc: string, aad: string): Promise<OpenedValue> {
    if (enc === '') return { value: '', iv: undefined };
    const ev = parseSealed(enc);
    let bytes: Uint8Array;
    try {
      bytes = await this.#key.open(ev.iv, ev.sealed, utf8(aad));
    } catch (e) {
      throw decryptFailed(e);
    }
    return opened(ev, bytes);
  }

  /** Whether {@link openSync} and {@link encryptSync} are available (a platform AES-GCM with synchronous forms). */
  get sync(): boolean {
    return this.#key.openSync !== undefined && this.#key.sealSync !== undefined;
  }

  /** {@link open}, synchronously; only where {@link sync} is true. */
  openSync(enc: string, aad: string): OpenedValue {
    if (enc === '') return { value: '', iv: undefined };
    const ev = parseSealed(enc);
    let bytes: Uint8Array;
    try {
      bytes = this.#key.openSync!(ev.iv, ev.sealed, utf8(aad));
    } catch (e) {
      throw decryptFailed(e);
    }
    return opened(ev, bytes);
  }

  /**
   * Record that `value` at `aad` was encrypted with `iv`, so re-encrypting it
   * reuses the IV. `bytes`: the value's {@link plaintextOf} bytes if known.
   */
  remember(aad: string, value: Plaintext, iv: Uint8Array, bytes?: Uint8Array): void {
    if (isEmpty(value) || Number.isNaN(value)) return;
    if (bytes !== undefined && typeof value === 'string') {
      this.#stash.set(stashKey(aad, 'str', bytes, false), iv);
      return;
    }
    const p = plaintextOf(value);
    this.#stash.set(stashKey(aad, p.type, p.bytes, false), iv);
  }
}
