/**
 * age's SSH recipient types (`ssh-ed25519`, `ssh-rsa`), as Go age's
 * `agessh` package implements them and sops (≥ 3.10) uses them: an SSH
 * public key (an `authorized_keys` line) is an age recipient, and an SSH
 * private key is an age identity.
 *
 * - `ssh-ed25519`: the Ed25519 public key is mapped to X25519
 *   (Edwards → Montgomery), an ephemeral X25519 share is made, and the shared
 *   secret is multiplied once more by a "tweak" derived with HKDF-SHA-256
 *   (empty secret, the SSH wire public key as salt, label
 *   `age-encryption.org/v1/ssh-ed25519`),
 *   so the wrapping depends on the SSH key and not only on its X25519 form.
 *   The wrapping key is HKDF-SHA-256(secret, share ‖ recipient, label); the
 *   file key is sealed with ChaCha20-Poly1305 and a zero nonce.
 *   Stanza: `ssh-ed25519 <tag> <share>`.
 * - `ssh-rsa`: RSA-OAEP with SHA-256 and the label
 *   `age-encryption.org/v1/ssh-rsa` (WebCrypto). Stanza: `ssh-rsa <tag>`.
 *
 * The tag is the first 4 bytes of SHA-256 of the SSH wire public key, base64
 * without padding: SSH recipients are not anonymous.
 *
 * Private keys are read as Go's `ssh.ParseRawPrivateKey` does (what
 * `agessh.ParseIdentity` calls): the first PEM block, `OPENSSH PRIVATE KEY`
 * (`openssh-key-v1`, cipher `none`), `RSA PRIVATE KEY` (PKCS #1) and
 * `PRIVATE KEY` (PKCS #8, RSA or Ed25519). Passphrase-protected keys are not
 * supported: {@link SshPassphraseMissingError}.
 *
 * Web-standard only: `@noble/curves` for X25519, `@noble/hashes`,
 * `@noble/ciphers`, and `crypto.subtle` for RSA-OAEP. Parsing and the checks
 * agessh makes when it parses a key are synchronous and here (the Edwards
 * point check and the Edwards → Montgomery map with a few lines of BigInt
 * arithmetic); the crypto is in `age-ssh-crypto.ts`, loaded by dynamic
 * `import()` on the first `wrapFileKey` / `unwrapFileKey`, so that a browser
 * bundle does not carry it until an SSH key is used.
 *
 * @module
 */
// Only types from typage: a value import would pull all of typage into the
// bundle that parses SSH keys; a stanza is built as a plain `{ args, body }`
// (all typage's header encoder reads).
import type { Identity, Recipient, Stanza } from 'age-encryption';
// SHA-2 is in the main bundle anyway (the MAC); it is all the synchronous
// part needs. X25519, HKDF and ChaCha20-Poly1305 are in `age-ssh-crypto.ts`.
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { base64Decode, base64Encode, concat, fromUtf8, utf8 } from '../encoding.js';
import { SopsError } from '../errors.js';
import type * as SshCrypto from './age-ssh-crypto.js';

/** The SSH crypto module, loaded on the first wrap or unwrap. */
let sshCrypto: Promise<typeof SshCrypto> | undefined;
function loadSshCrypto(): Promise<typeof SshCrypto> {
  // A failed load (a chunk that could not be fetched) is not cached: the next use retries.
  return (sshCrypto ??= import('./age-ssh-crypto.js').catch((e: unknown) => {
    sshCrypto = undefined;
    throw e;
  }));
}

/** SSH key algorithms Go's `ssh.ParsePublicKey` knows but age cannot use as recipients. */
const OTHER_SSH_KEY_TYPES = new Set([
  'ssh-dss', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  'sk-ecdsa-sha2-nistp256@openssh.com', 'sk-ssh-ed25519@openssh.com',
  'ssh-rsa-cert-v01@openssh.com', 'ssh-dss-cert-v01@openssh.com', 'ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com', 'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com', 'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'sk-ssh-ed25519-cert-v01@openssh.com',
]);

/** An SSH public key age can encrypt to. `wire` is its canonical SSH wire encoding (Go `PublicKey.Marshal()`). */
export type SshPublicKey =
  | { readonly type: 'ssh-ed25519'; readonly key: Uint8Array; readonly wire: Uint8Array }
  | { readonly type: 'ssh-rsa'; readonly e: bigint; readonly n: bigint; readonly wire: Uint8Array };

/** A malformed SSH key (public or private). The message never contains private key material. */
function invalid(message: string, cause?: unknown): SopsError {
  return new SopsError('ERR_INVALID_KEY', message, cause === undefined ? {} : { cause });
}

// ---------------------------------------------------------------------------
// bytes, base64, bigint

/** Go `base64.RawStdEncoding` (age's stanza encoding): no padding, strict. */
function b64raw(bytes: Uint8Array): string {
  return base64Encode(bytes).replace(/=+$/, '');
}

function unb64raw(s: string): Uint8Array | undefined {
  if (s.includes('=') || s.length % 4 === 1) return undefined;
  return base64Decode(s + '='.repeat((4 - (s.length % 4)) % 4), true);
}

function b64url(bytes: Uint8Array): string {
  return b64raw(bytes).replace(/\+/g, '-').replace(/\//g, '_');
}

function bytesToBigint(b: Uint8Array): bigint {
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return n;
}

/** Minimal big-endian bytes of a non-negative integer (empty for 0). */
function bigintToBytes(n: bigint): Uint8Array {
  const out: number[] = [];
  while (n > 0n) {
    out.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  return new Uint8Array(out);
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

function modInverse(a: bigint, m: bigint): bigint | undefined {
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return r0 === 1n ? mod(s0, m) : undefined;
}

// ---------------------------------------------------------------------------
// SSH wire format (RFC 4251 §5)

class WireReader {
  #b: Uint8Array;
  #o = 0;
  constructor(b: Uint8Array) {
    this.#b = b;
  }
  get remaining(): number {
    return this.#b.length - this.#o;
  }
  u32(): number {
    if (this.remaining < 4) throw invalid('ssh: short read');
    const b = this.#b;
    const o = this.#o;
    this.#o += 4;
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }
  bytes(): Uint8Array {
    const n = this.u32();
    if (this.remaining < n) throw invalid('ssh: short read');
    const out = this.#b.subarray(this.#o, this.#o + n);
    this.#o += n;
    return out;
  }
  string(): string {
    return fromUtf8(this.bytes()) ?? '\ufffd';
  }
  /** An mpint; negative values (which no key has) are rejected. */
  mpint(): bigint {
    const b = this.bytes();
    if (b.length > 0 && b[0]! & 0x80) throw invalid('ssh: negative integer in key');
    return bytesToBigint(b);
  }
  rest(): Uint8Array {
    const out = this.#b.subarray(this.#o);
    this.#o = this.#b.length;
    return out;
  }
}

function wireString(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + b.length);
  new DataView(out.buffer).setUint32(0, b.length);
  out.set(b, 4);
  return out;
}

function wireMpint(n: bigint): Uint8Array {
  let b = bigintToBytes(n);
  if (b.length > 0 && b[0]! & 0x80) b = concat(new Uint8Array([0]), b);
  return wireString(b);
}

function ed25519PublicKey(key: Uint8Array): SshPublicKey {
  return { type: 'ssh-ed25519', key, wire: concat(wireString(utf8('ssh-ed25519')), wireString(key)) };
}

/** The RSA checks of Go's `ssh.parseRSA`. */
function rsaPublicKey(e: bigint, n: bigint): SshPublicKey {
  if (bitLength(n) > 8192) throw invalid('ssh: rsa modulus too large');
  if (bitLength(e) > 24) throw invalid('ssh: exponent too large');
  if (e < 3n || (e & 1n) === 0n) throw invalid('ssh: incorrect exponent');
  return { type: 'ssh-rsa', e, n, wire: concat(wireString(utf8('ssh-rsa')), wireMpint(e), wireMpint(n)) };
}

/** A key type Go's `ssh.ParsePublicKey` accepts but age cannot encrypt to (its contents are not checked). */
interface OtherSshPublicKey {
  readonly type: string;
  readonly other: true;
}

function parseWireKey(blob: Uint8Array): SshPublicKey | OtherSshPublicKey {
  const r = new WireReader(blob);
  const type = r.string();
  let key: SshPublicKey;
  if (type === 'ssh-ed25519') {
    const k = r.bytes();
    if (k.length !== 32) throw invalid(`invalid size ${k.length} for Ed25519 public key`);
    key = ed25519PublicKey(new Uint8Array(k));
  } else if (type === 'ssh-rsa') {
    const e = r.mpint();
    const n = r.mpint();
    key = rsaPublicKey(e, n);
  } else if (OTHER_SSH_KEY_TYPES.has(type)) {
    return { type, other: true };
  } else {
    throw invalid(`ssh: unknown key algorithm: ${type}`);
  }
  if (r.remaining > 0) throw invalid('ssh: trailing junk in public key');
  return key;
}

/**
 * Parse an SSH wire-format public key (Go `ssh.ParsePublicKey`) of type
 * `ssh-ed25519` or `ssh-rsa`. The key is re-encoded canonically, as Go's
 * `Marshal()` does, since the tag and the Ed25519 tweak are computed over it.
 */
export function parseSshPublicKeyBlob(blob: Uint8Array): SshPublicKey {
  const key = parseWireKey(blob);
  if ('other' in key) throw invalid(`unknown SSH recipient type: ${JSON.stringify(key.type)}`);
  return key;
}

/** The age stanza tag of an SSH key: base64 (raw) of the first 4 bytes of SHA-256 of its wire encoding. */
export function sshKeyTag(key: SshPublicKey): string {
  return b64raw(sha256(key.wire).subarray(0, 4));
}

/** The `authorized_keys` form of a key: `<type> <base64>` (no comment). */
export function formatSshPublicKey(key: SshPublicKey): string {
  return `${key.type} ${base64Encode(key.wire)}`;
}

const B64_STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Go `base64.StdEncoding.Decode` (not strict: trailing bits may be set),
 * for one whitespace-free field. Returns the bytes, or the offset Go reports
 * in `illegal base64 data at input byte N`.
 */
function goBase64Decode(s: string): Uint8Array | number {
  const out: number[] = [];
  let si = 0;
  for (;;) {
    const q = [0, 0, 0, 0];
    let dlen = 4;
    for (let j = 0; j < 4; j++) {
      if (si === s.length) {
        if (j === 0) return new Uint8Array(out);
        return si - j;
      }
      const c = s[si++]!;
      const v = B64_STD.indexOf(c);
      if (v >= 0) {
        q[j] = v;
        continue;
      }
      if (c !== '=' || j < 2) return si - 1;
      if (j === 2) {
        if (si === s.length) return s.length;
        if (s[si] !== '=') return si - 1;
        si++;
      }
      if (si < s.length) return si; // trailing garbage
      dlen = j;
      break;
    }
    const val = (q[0]! << 18) | (q[1]! << 12) | (q[2]! << 6) | q[3]!;
    const bytes = [(val >> 16) & 255, (val >> 8) & 255, val & 255];
    out.push(...bytes.slice(0, dlen - 1));
    if (dlen < 4) return new Uint8Array(out);
  }
}

type AuthorizedKey = { key: SshPublicKey | OtherSshPublicKey; comment: string };

const firstBlank = (s: string) => s.search(/[ \t]/);

/** Go's `parseAuthorizedKey` and the declared-type check, for `<type> <base64> [comment]`. */
function parseKeyFields(declared: string, rest: string): AuthorizedKey | string {
  const t = rest.trim();
  let i = firstBlank(t);
  if (i < 0) i = t.length;
  const blob = goBase64Decode(t.slice(0, i));
  if (typeof blob === 'number') return `illegal base64 data at input byte ${blob}`;
  let key: SshPublicKey | OtherSshPublicKey;
  try {
    key = parseWireKey(blob);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  if (declared !== key.type) return `ssh: authorized keys key type mismatch: human-readable type ${JSON.stringify(declared)}, encoded type ${JSON.stringify(key.type)}`;
  return { key, comment: t.slice(i).trim() };
}

/** Go `ssh.ParseAuthorizedKey`: the first usable line, options before the key type allowed. */
function parseAuthorizedKey(text: string): AuthorizedKey {
  let lastError: string | undefined;
  for (let line of text.split('\n')) {
    const cr = line.indexOf('\r');
    if (cr >= 0) line = line.slice(0, cr);
    line = line.trim();
    if (line === '' || line.startsWith('#')) continue;
    let i = firstBlank(line);
    if (i < 0) continue;
    const first = parseKeyFields(line.slice(0, i), line.slice(i));
    if (typeof first !== 'string') return first;
    lastError = first;
    // Maybe an options field comes first (`no-pty,command="…" ssh-ed25519 AAAA…`).
    let inQuote = false;
    for (i = 0; i < line.length; i++) {
      const b = line[i]!;
      if (!inQuote && (b === ' ' || b === '\t')) break;
      if (b === '"' && (i === 0 || line[i - 1] !== '\\')) inQuote = !inQuote;
    }
    if (i === line.length) i--; // Go's range variable keeps the last index
    while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
    if (i === line.length) continue;
    const rest = line.slice(i);
    const j = firstBlank(rest);
    if (j < 0) continue;
    const second = parseKeyFields(rest.slice(0, j), rest.slice(j));
    if (typeof second !== 'string') return second;
    lastError = second;
  }
  throw invalid(lastError === undefined ? 'ssh: no key found' : `ssh: no key found; last parsing error for ignored line: ${lastError}`);
}

/**
 * Parse an `authorized_keys` line (`ssh-ed25519 AAAA… comment`) holding an
 * `ssh-ed25519` or `ssh-rsa` key, as Go's `ssh.ParseAuthorizedKey`: the first
 * line that is neither empty nor a `#` comment and parses, its declared type
 * matching the encoded one. Throws `ERR_INVALID_KEY` with Go's reason.
 */
export function parseSshPublicKey(text: string): { key: SshPublicKey; comment: string } {
  const { key, comment } = parseAuthorizedKey(text);
  if ('other' in key) throw invalid(`unknown SSH recipient type: ${JSON.stringify(key.type)}`);
  return { key, comment };
}

// ---------------------------------------------------------------------------
// Curve25519 field arithmetic (what parsing needs; the rest is lazy)

/** The field prime 2^255 − 19. */
const P = (1n << 255n) - 19n;
/** The Edwards curve constant d = −121665/121666 mod p. */
const ED_D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n;

function powP(b: bigint, e: bigint): bigint {
  let r = 1n;
  b = mod(b, P);
  for (; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % P;
    b = (b * b) % P;
  }
  return r;
}

/** Inversion by Fermat, so that 0 maps to 0 as in Go's `field.Element.Invert`. */
const invP = (a: bigint) => powP(a, P - 2n);

function leBytesToBigint(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

function bigintToLe32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

/**
 * The X25519 (Montgomery u) form of an Ed25519 public key, with the checks of
 * Go's `edwards25519.Point.SetBytes` that agessh's `NewEd25519Recipient`
 * makes when it parses the key: y is the low 255 bits (the top bit is x's
 * sign), reduced mod p — non-canonical encodings (y ≥ p) are accepted, as is
 * x = 0 with the sign bit set — and the point must be on the curve:
 * x² = (y² − 1)/(d·y² + 1) must be a square. Small-order points (the
 * identity among them) pass here, as in Go; X25519 refuses them when a file
 * key is wrapped. Then u = (1 + y)/(1 − y) (Go `Point.BytesMontgomery`,
 * where the identity's 1/0 is 0). Throws Go's text.
 */
function ed25519ToMontgomery(key: Uint8Array): Uint8Array {
  const y = leBytesToBigint(key) & ((1n << 255n) - 1n);
  const y2 = (y * y) % P;
  const x2 = mod((y2 - 1n) * invP(ED_D * y2 + 1n), P);
  // Euler's criterion: x² is a square unless x²^((p−1)/2) = −1.
  if (powP(x2, (P - 1n) / 2n) === P - 1n) throw new Error('edwards25519: invalid point encoding');
  return bigintToLe32(mod((1n + y) * invP(1n - y), P));
}

/**
 * The Ed25519 public key of a seed (RFC 8032 §5.1.5): a = clamp(SHA-512(seed)[0..32]),
 * A = a·B. Only PKCS #8 Ed25519 keys need it (an OpenSSH key stores its public
 * half), as Go's `ed25519.NewKeyFromSeed` when `x509.ParsePKCS8PrivateKey`
 * reads one; kept synchronous so that the identity's `publicKey` is there at
 * construction. Extended coordinates, a = −1, unified addition (also used to
 * double): not constant-time, but the key is the user's own and never leaves memory.
 */
function ed25519PublicKeyFromSeed(seed: Uint8Array): Uint8Array {
  const h = sha512(seed);
  h[0]! &= 248;
  h[31]! &= 127;
  h[31]! |= 64;
  const a = leBytesToBigint(h.subarray(0, 32));
  type Pt = [bigint, bigint, bigint, bigint]; // X, Y, Z, T
  const d2 = (2n * ED_D) % P;
  const add = ([x1, y1, z1, t1]: Pt, [x2, y2, z2, t2]: Pt): Pt => {
    const A = ((y1 - x1) * (y2 - x2)) % P;
    const B = ((y1 + x1) * (y2 + x2)) % P;
    const C = (((t1 * d2) % P) * t2) % P;
    const D = (2n * z1 * z2) % P;
    const [E, F, G, H] = [B - A, D - C, D + C, B + A];
    return [(E * F) % P, (G * H) % P, (F * G) % P, (E * H) % P];
  };
  const by = (4n * invP(5n)) % P;
  let bx = recoverX(by);
  if (bx & 1n) bx = P - bx; // the base point's x is even
  let q: Pt = [0n, 1n, 1n, 0n];
  let b: Pt = [bx, by, 1n, (bx * by) % P];
  for (let k = a; k > 0n; k >>= 1n) {
    if (k & 1n) q = add(q, b);
    b = add(b, b);
  }
  const zi = invP(q[2]);
  const x = mod(q[0] * zi, P);
  const y = mod(q[1] * zi, P);
  return bigintToLe32(y | ((x & 1n) << 255n));
}

/** A square root x of (y² − 1)/(d·y² + 1), for a y on the curve (RFC 8032 §5.1.3). */
function recoverX(y: bigint): bigint {
  const x2 = mod((y * y - 1n) * invP(ED_D * y * y + 1n), P);
  let x = powP(x2, (P + 3n) / 8n);
  if ((x * x) % P !== x2) x = (x * powP(2n, (P - 1n) / 4n)) % P; // times √−1
  return x;
}

// ---------------------------------------------------------------------------
// ssh-ed25519

/** The age `ssh-ed25519` recipient (Go `agessh.Ed25519Recipient`). */
export class SshEd25519Recipient implements Recipient {
  /** The SSH public key. */
  readonly publicKey: SshPublicKey;
  readonly #theirPublicKey: Uint8Array;
  /** Throws `ERR_INVALID_KEY` as agessh: `invalid Ed25519 public key: edwards25519: invalid point encoding` for a point off the curve. */
  constructor(publicKey: SshPublicKey) {
    if (publicKey.type !== 'ssh-ed25519') throw invalid('SSH public key is not an Ed25519 key');
    this.publicKey = publicKey;
    try {
      this.#theirPublicKey = ed25519ToMontgomery(publicKey.key);
    } catch (e) {
      throw invalid(`invalid Ed25519 public key: ${e instanceof Error ? e.message : String(e)}`, e);
    }
  }
  /**
   * @see {@link Recipient.wrapFileKey}. Rejects with Go's text
   * (`crypto/ecdh: bad X25519 remote ECDH input: low order point`) for a
   * small-order key, which parsing accepts as Go does.
   */
  async wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
    const { ed25519Wrap } = await loadSshCrypto();
    const { share, body } = ed25519Wrap(this.#theirPublicKey, this.publicKey.wire, fileKey);
    return [{ args: ['ssh-ed25519', sshKeyTag(this.publicKey), b64raw(share)], body }];
  }
}

/** The age `ssh-ed25519` identity (Go `agessh.Ed25519Identity`): an Ed25519 seed and its SSH public key. */
export class SshEd25519Identity implements Identity {
  /** The SSH public key. */
  readonly publicKey: SshPublicKey;
  readonly #seed: Uint8Array;
  readonly #tag: string;
  #keys: Promise<SshCrypto.Ed25519IdentityKeys> | undefined;
  /**
   * @param seed - the 32-byte Ed25519 seed.
   * @param publicKey - the Ed25519 public key as stored with the private key
   *   (Go uses the stored half, not one derived from the seed).
   */
  constructor(seed: Uint8Array, publicKey: Uint8Array) {
    if (seed.length !== 32 || publicKey.length !== 32) throw invalid('ssh: private key unexpected length');
    this.publicKey = ed25519PublicKey(new Uint8Array(publicKey));
    this.#seed = new Uint8Array(seed);
    this.#tag = sshKeyTag(this.publicKey);
  }
  /** @see {@link Identity.unwrapFileKey} */
  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    for (const s of stanzas) {
      if (s.args[0] !== 'ssh-ed25519') continue;
      if (s.args.length !== 3) throw new Error('invalid ssh-ed25519 recipient block');
      const share = unb64raw(s.args[2]!);
      if (share === undefined) throw new Error('failed to parse ssh-ed25519 recipient: illegal base64 data');
      if (share.length !== 32) throw new Error('invalid ssh-ed25519 recipient block');
      if (s.args[1] !== this.#tag) continue;
      const c = await loadSshCrypto();
      // The X25519 key pair is derived on first use (it cannot fail).
      this.#keys ??= Promise.resolve(c.ed25519IdentityKeys(this.#seed));
      return c.ed25519Unwrap(await this.#keys, this.publicKey.wire, share, s.body);
    }
    return null;
  }
}

// ---------------------------------------------------------------------------
// ssh-rsa

/** The age `ssh-rsa` recipient (Go `agessh.RSARecipient`): RSA-OAEP-SHA-256 through WebCrypto. */
export class SshRsaRecipient implements Recipient {
  /** The SSH public key. */
  readonly publicKey: SshPublicKey & { type: 'ssh-rsa' };
  #cryptoKey: Promise<CryptoKey> | undefined;
  constructor(publicKey: SshPublicKey) {
    if (publicKey.type !== 'ssh-rsa') throw invalid('SSH public key is not an RSA key');
    // agessh: keys under 2048 bits are refused (Go `rsa.PublicKey.Size() < 256`).
    if ((bitLength(publicKey.n) + 7) >> 3 < 256) throw invalid('RSA key size is too small');
    this.publicKey = publicKey;
  }
  /** @see {@link Recipient.wrapFileKey} */
  async wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
    const c = await loadSshCrypto();
    const { n, e } = this.publicKey;
    this.#cryptoKey ??= c.importRsaKey({ kty: 'RSA', n: b64url(bigintToBytes(n)), e: b64url(bigintToBytes(e)), ext: true }, 'encrypt');
    const body = await c.rsaOaepEncrypt(await this.#cryptoKey, fileKey);
    return [{ args: ['ssh-rsa', sshKeyTag(this.publicKey)], body }];
  }
}

/** The parts of an RSA private key (PKCS #1 / OpenSSH). */
interface RsaPrivateParts {
  n: bigint;
  e: bigint;
  d: bigint;
  p: bigint;
  q: bigint;
}

/** Checks in the spirit of Go's `rsa.PrivateKey.Validate` (the key is about to be used). */
function checkRsaPrivate(k: RsaPrivateParts): void {
  if (bitLength(k.n) > 8192) throw invalid('ssh: rsa modulus too large');
  if (bitLength(k.p) > 4096 || bitLength(k.q) > 4096) throw invalid('ssh: rsa prime too large');
  rsaPublicKey(k.e, k.n);
  if (k.p <= 1n || k.q <= 1n || k.p * k.q !== k.n) throw invalid('crypto/rsa: invalid modulus');
  if (mod(k.d * k.e, k.p - 1n) !== 1n || mod(k.d * k.e, k.q - 1n) !== 1n) throw invalid('crypto/rsa: invalid exponents');
}

/** The age `ssh-rsa` identity (Go `agessh.RSAIdentity`): RSA-OAEP-SHA-256 through WebCrypto. */
export class SshRsaIdentity implements Identity {
  /** The SSH public key. */
  readonly publicKey: SshPublicKey;
  readonly #jwk: JsonWebKey;
  readonly #tag: string;
  #cryptoKey: Promise<CryptoKey> | undefined;
  /** @param key - the RSA private key's parts; the CRT values are computed here. */
  constructor(key: { n: bigint; e: bigint; d: bigint; p: bigint; q: bigint }) {
    checkRsaPrivate(key);
    const { n, e, d, p, q } = key;
    const qi = modInverse(q, p);
    if (qi === undefined) throw invalid('crypto/rsa: invalid CRT coefficient');
    this.publicKey = rsaPublicKey(e, n);
    this.#tag = sshKeyTag(this.publicKey);
    const u = (x: bigint) => b64url(bigintToBytes(x));
    this.#jwk = { kty: 'RSA', n: u(n), e: u(e), d: u(d), p: u(p), q: u(q), dp: u(d % (p - 1n)), dq: u(d % (q - 1n)), qi: u(qi), ext: true };
  }
  /** @see {@link Identity.unwrapFileKey} */
  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    for (const s of stanzas) {
      if (s.args[0] !== 'ssh-rsa') continue;
      if (s.args.length !== 2) throw new Error('invalid ssh-rsa recipient block');
      if (s.args[1] !== this.#tag) continue;
      const c = await loadSshCrypto();
      this.#cryptoKey ??= c.importRsaKey(this.#jwk, 'decrypt');
      return c.rsaOaepDecrypt(await this.#cryptoKey, s.body);
    }
    return null;
  }
}

// ---------------------------------------------------------------------------
// passphrase-protected keys

/**
 * The SSH private key is passphrase-protected (Go `ssh.PassphraseMissingError`).
 * sops would ask for the passphrase on the terminal; sops-ts does not support
 * such keys. `publicKey` is the public key stored unencrypted beside an
 * OpenSSH key (undefined for encrypted PEM keys).
 */
export class SshPassphraseMissingError extends SopsError {
  /** The key's public half, when the file holds it in clear. */
  readonly publicKey: SshPublicKey | undefined;
  constructor(publicKey: SshPublicKey | undefined) {
    super('ERR_INVALID_KEY', 'passphrase-protected SSH keys are not supported by sops-ts (ssh: this private key is passphrase protected)');
    this.publicKey = publicKey;
  }
}

/**
 * Stands for a passphrase-protected SSH key, as Go's
 * `agessh.EncryptedSSHIdentity` does: it ignores stanzas that are not for its
 * public key, and only when one is (where sops would ask for the passphrase)
 * throws `ERR_INVALID_KEY`. So an encrypted `~/.ssh/id_ed25519` does not get
 * in the way of other identities.
 */
export class SshEncryptedIdentity implements Identity {
  /** The SSH public key. */
  readonly publicKey: SshPublicKey;
  readonly #location: string;
  readonly #tag: string;
  /** @param location - where the key is, for the error message (a path). */
  constructor(publicKey: SshPublicKey, location: string) {
    this.publicKey = publicKey;
    this.#location = location;
    this.#tag = sshKeyTag(publicKey);
  }
  /** @see {@link Identity.unwrapFileKey} */
  unwrapFileKey(stanzas: Stanza[]): null {
    for (const s of stanzas) {
      if (s.args[0] !== this.publicKey.type) continue;
      if (s.args.length < 2) throw new Error(`invalid ${this.publicKey.type} recipient block`);
      if (s.args[1] !== this.#tag) continue;
      throw new SopsError('ERR_INVALID_KEY', `failed to obtain passphrase: the SSH key ${JSON.stringify(this.#location)} is passphrase-protected, which sops-ts does not support`);
    }
    return null;
  }
}

// ---------------------------------------------------------------------------
// private key files

/** Go `encoding/pem.Decode`, first block only: type, headers, bytes. */
function pemDecode(text: string): { type: string; headers: Map<string, string>; bytes: Uint8Array } | undefined {
  const re = /-----BEGIN ([^\r\n]*?)-----\r?\n/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const type = m[1]!;
    const end = text.indexOf(`-----END ${type}-----`, re.lastIndex);
    if (end < 0) continue;
    const body = text.slice(re.lastIndex, end).split(/\r?\n/);
    const headers = new Map<string, string>();
    let i = 0;
    while (i < body.length && body[i]!.includes(':')) {
      const line = body[i]!;
      const c = line.indexOf(':');
      headers.set(line.slice(0, c).trim(), line.slice(c + 1).trim());
      i++;
    }
    if (headers.size > 0 && i < body.length && body[i]!.trim() === '') i++;
    const bytes = base64Decode(body.slice(i).join('').replace(/[ \t]/g, ''));
    if (bytes === undefined) continue;
    return { type, headers, bytes };
  }
  return undefined;
}

/** A minimal DER reader (what PKCS #1 and PKCS #8 keys need). */
class Der {
  #b: Uint8Array;
  #o = 0;
  constructor(b: Uint8Array) {
    this.#b = b;
  }
  get done(): boolean {
    return this.#o >= this.#b.length;
  }
  next(expectTag: number): Uint8Array {
    const b = this.#b;
    if (this.#o + 2 > b.length || b[this.#o] !== expectTag) throw invalid('x509: malformed private key');
    let len = b[this.#o + 1]!;
    let o = this.#o + 2;
    if (len & 0x80) {
      const k = len & 0x7f;
      if (k === 0 || k > 4 || o + k > b.length) throw invalid('x509: malformed private key');
      len = 0;
      for (let i = 0; i < k; i++) len = len * 256 + b[o + i]!;
      o += k;
    }
    if (o + len > b.length) throw invalid('x509: malformed private key');
    this.#o = o + len;
    return b.subarray(o, o + len);
  }
  sequence(): Der {
    return new Der(this.next(0x30));
  }
  integer(): bigint {
    const v = this.next(0x02);
    if (v.length === 0 || v[0]! & 0x80) throw invalid('x509: malformed private key');
    return bytesToBigint(v);
  }
}

const OID_RSA = '2a864886f70d010101';
const OID_ED25519 = '2b6570';
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** PKCS #1 `RSAPrivateKey` (Go `x509.ParsePKCS1PrivateKey`). */
function parsePkcs1(der: Uint8Array): RsaPrivateParts {
  const s = new Der(der).sequence();
  const version = s.integer();
  if (version > 1n) throw invalid('x509: unsupported private key version');
  const n = s.integer();
  const e = s.integer();
  const d = s.integer();
  const p = s.integer();
  const q = s.integer();
  if (version === 1n) throw invalid('unsupported SSH identity type: multi-prime RSA key');
  return { n, e, d, p, q };
}

function parsePkcs8(der: Uint8Array): Identity {
  const s = new Der(der).sequence();
  s.integer();
  const alg = s.sequence();
  const oid = hex(alg.next(0x06));
  const priv = s.next(0x04);
  if (oid === OID_RSA) return new SshRsaIdentity(parsePkcs1(priv));
  if (oid === OID_ED25519) {
    const seed = new Der(priv).next(0x04);
    if (seed.length !== 32) throw invalid('x509: invalid Ed25519 private key length');
    return new SshEd25519Identity(seed, ed25519PublicKeyFromSeed(seed));
  }
  throw invalid('unsupported SSH identity type: not an RSA or Ed25519 key');
}

const OPENSSH_MAGIC = 'openssh-key-v1\0';

/** OpenSSH's `openssh-key-v1` format (Go `parseOpenSSHPrivateKey`, unencrypted). */
function parseOpenSsh(data: Uint8Array): Identity {
  if (data.length < OPENSSH_MAGIC.length || fromUtf8(data.subarray(0, OPENSSH_MAGIC.length)) !== OPENSSH_MAGIC) {
    throw invalid('ssh: invalid openssh private key format');
  }
  const r = new WireReader(data.subarray(OPENSSH_MAGIC.length));
  const cipherName = r.string();
  const kdfName = r.string();
  const kdfOpts = r.bytes();
  const numKeys = r.u32();
  const pubKey = r.bytes();
  const privBlock = r.bytes();
  if (numKeys !== 1) throw invalid('ssh: multi-key files are not supported');
  if (cipherName !== 'none' || kdfName !== 'none') {
    let pub: SshPublicKey | undefined;
    try {
      pub = parseSshPublicKeyBlob(pubKey);
    } catch (e) {
      throw invalid(`ssh: failed to parse embedded public key: ${e instanceof Error ? e.message : String(e)}`);
    }
    throw new SshPassphraseMissingError(pub);
  }
  if (kdfOpts.length !== 0) throw invalid('ssh: invalid openssh private key');
  const pk = new WireReader(privBlock);
  let keyType: string;
  try {
    const check1 = pk.u32();
    const check2 = pk.u32();
    keyType = pk.string();
    if (check1 !== check2) throw new Error();
  } catch {
    throw invalid('ssh: malformed OpenSSH key');
  }
  const checkPadding = (pad: Uint8Array) => {
    for (let i = 0; i < pad.length; i++) if (pad[i] !== i + 1) throw invalid('ssh: padding not as expected');
  };
  if (keyType === 'ssh-rsa') {
    const n = pk.mpint();
    const e = pk.mpint();
    const d = pk.mpint();
    pk.mpint(); // iqmp: recomputed from p and q
    const p = pk.mpint();
    const q = pk.mpint();
    pk.bytes(); // comment
    checkPadding(pk.rest());
    return new SshRsaIdentity({ n, e, d, p, q });
  }
  if (keyType === 'ssh-ed25519') {
    pk.bytes(); // public key (again in the private half)
    const priv = pk.bytes();
    if (priv.length !== 64) throw invalid('ssh: private key unexpected length');
    pk.bytes(); // comment
    checkPadding(pk.rest());
    return new SshEd25519Identity(priv.subarray(0, 32), priv.subarray(32));
  }
  if (/^ecdsa-sha2-|^sk-/.test(keyType)) throw invalid(`unsupported SSH identity type: ${keyType}`);
  throw invalid(`ssh: unhandled key type: ${keyType}`);
}

/** An age identity made from an SSH private key. */
export type SshIdentity = SshEd25519Identity | SshRsaIdentity;

/**
 * Parse an SSH private key file as age's `agessh.ParseIdentity` does (through
 * Go's `ssh.ParseRawPrivateKey`): the first PEM block of the text, one of
 * `OPENSSH PRIVATE KEY` (unencrypted `openssh-key-v1`), `RSA PRIVATE KEY`
 * (PKCS #1) or `PRIVATE KEY` (PKCS #8), holding an Ed25519 or RSA key.
 *
 * Throws `ERR_INVALID_KEY`: {@link SshPassphraseMissingError} for a
 * passphrase-protected key (sops would prompt for the passphrase), a
 * {@link SopsError} with Go's reason otherwise. Messages never include key
 * material.
 *
 * @example
 * ```ts
 * const id = parseSshIdentity(readFileSync(`${homedir()}/.ssh/id_ed25519`, 'utf8'));
 * const yaml = await decrypt(enc, { identities: [new AgeIdentity([id])] });
 * ```
 */
export function parseSshIdentity(pemText: string | Uint8Array): SshIdentity {
  const text = typeof pemText === 'string' ? pemText : new TextDecoder().decode(pemText);
  const block = pemDecode(text);
  if (block === undefined) throw invalid('ssh: no key found');
  if ((block.headers.get('Proc-Type') ?? '').includes('ENCRYPTED')) throw new SshPassphraseMissingError(undefined);
  let id: Identity;
  switch (block.type) {
    case 'OPENSSH PRIVATE KEY':
      id = parseOpenSsh(block.bytes);
      break;
    case 'RSA PRIVATE KEY':
      id = new SshRsaIdentity(parsePkcs1(block.bytes));
      break;
    case 'PRIVATE KEY':
      id = parsePkcs8(block.bytes);
      break;
    case 'EC PRIVATE KEY':
      throw invalid('unsupported SSH identity type: *ecdsa.PrivateKey');
    case 'DSA PRIVATE KEY':
      throw invalid('unsupported SSH identity type: *dsa.PrivateKey');
    default:
      throw invalid(`ssh: unsupported key type ${JSON.stringify(block.type)}`);
  }
  return id as SshIdentity;
}

/** An age recipient made from an SSH public key. */
export type SshRecipient = SshEd25519Recipient | SshRsaRecipient;

/**
 * Parse an SSH public key line (`ssh-ed25519 AAAA… comment` or `ssh-rsa …`)
 * into an age recipient, as Go's `agessh.ParseRecipient`. Throws
 * `ERR_INVALID_KEY` with agessh's wording: `malformed SSH recipient: "<line>": <reason>`
 * or `unknown SSH recipient type: "<type>"`.
 *
 * @example
 * ```ts
 * const r = parseSshRecipient('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI… me@host');
 * new Encrypter().addRecipient(r);
 * ```
 */
export function parseSshRecipient(line: string): SshRecipient {
  const malformed = (e: unknown) => invalid(`malformed SSH recipient: ${JSON.stringify(line)}: ${e instanceof Error ? e.message : String(e)}`, e);
  let key: SshPublicKey | OtherSshPublicKey;
  try {
    key = parseAuthorizedKey(line).key;
  } catch (e) {
    throw malformed(e);
  }
  if ('other' in key) throw invalid(`unknown SSH recipient type: ${JSON.stringify(key.type)}`);
  try {
    return key.type === 'ssh-ed25519' ? new SshEd25519Recipient(key) : new SshRsaRecipient(key);
  } catch (e) {
    throw malformed(e);
  }
}

/**
 * {@link parseSshRecipient} with sops's wording for a key it refuses:
 * `failed to parse input as age-ssh public key: <agessh's reason>`.
 */
export function parseSopsSshRecipient(line: string): SshRecipient {
  try {
    return parseSshRecipient(line);
  } catch (e) {
    throw new SopsError('ERR_INVALID_KEY', `failed to parse input as age-ssh public key: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

