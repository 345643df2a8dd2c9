/**
 * ChaCha20-Poly1305 (RFC 8439 §2.8), the AEAD that age uses for its header
 * stanza bodies and its STREAM payload chunks, and that WebCrypto lacks.
 *
 * A compact, dependency-free replacement for `@noble/ciphers/chacha.js`'s
 * `chacha20poly1305` in the browser bundle: exactly the IETF construction
 * (32-byte key, 12-byte nonce, 16-byte tag), nothing else. It keeps the shape
 * of noble's constructor (`chacha20poly1305(key, nonce, aad).encrypt/decrypt`)
 * so that age-core can switch by changing one import.
 *
 * Design notes:
 * - ChaCha20 runs its rounds on sixteen local variables (`| 0` keeps them
 *   32-bit integers): about three times faster than quarter rounds on a typed
 *   array, for ~250 bytes gzipped, and what lets 64 KiB STREAM chunks clear
 *   50 MB/s. Keystream bytes are written explicitly little-endian, so the
 *   code is endian-independent.
 * - Poly1305 uses ten 13-bit limbs (the poly1305-donna-16 layout TweetNaCl's
 *   JavaScript port uses). 26-bit limbs, as in poly1305-donna-32, do not fit:
 *   their products reach ~2^57, past the 2^53 that a JavaScript number holds
 *   exactly. With 13-bit limbs every column sum stays below 2^34.
 * - The tag is compared by OR-accumulating byte differences (no early exit),
 *   and `decrypt` only runs ChaCha20 over the ciphertext after the tag has
 *   been verified, so no plaintext is ever produced for a forged message.
 *
 * @module
 */

/** "expand 32-byte k", ChaCha20's constant words (RFC 8439 §2.3). */
const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574];

/** Little-endian 32-bit word of `b` at `i`. */
function u32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

/** Rotate the 32-bit word `x` left by `n` bits. */
function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

/**
 * ChaCha20 (RFC 8439 §2.4): XOR `input` with the keystream for `key` and
 * `nonce` starting at block `counter`, into `output` (which may be longer;
 * only `input.length` bytes are written). `input` is never modified unless
 * it is `output` itself.
 *
 * @internal Exported for the RFC 8439 §2.4.2 vector test; use
 * {@link chacha20poly1305}.
 */
export function _chacha20(key: Uint8Array, nonce: Uint8Array, counter: number, input: Uint8Array, output: Uint8Array): void {
  const state = new Int32Array(16);
  const stream = new Uint8Array(64);
  state.set(SIGMA);
  for (let i = 0; i < 8; i++) state[4 + i] = u32(key, 4 * i);
  state[12] = counter;
  for (let i = 0; i < 3; i++) state[13 + i] = u32(nonce, 4 * i);
  for (let pos = 0; pos < input.length; pos += 64) {
    let x0 = state[0]!, x1 = state[1]!, x2 = state[2]!, x3 = state[3]!, x4 = state[4]!, x5 = state[5]!, x6 = state[6]!, x7 = state[7]!;
    let x8 = state[8]!, x9 = state[9]!, x10 = state[10]!, x11 = state[11]!, x12 = state[12]!, x13 = state[13]!, x14 = state[14]!, x15 = state[15]!;
    for (let round = 0; round < 10; round++) {
      // A double round (§2.3): quarter rounds (§2.1) on the four columns…
      x0 = (x0 + x4) | 0; x12 = rotl(x12 ^ x0, 16); x8 = (x8 + x12) | 0; x4 = rotl(x4 ^ x8, 12); x0 = (x0 + x4) | 0; x12 = rotl(x12 ^ x0, 8); x8 = (x8 + x12) | 0; x4 = rotl(x4 ^ x8, 7);
      x1 = (x1 + x5) | 0; x13 = rotl(x13 ^ x1, 16); x9 = (x9 + x13) | 0; x5 = rotl(x5 ^ x9, 12); x1 = (x1 + x5) | 0; x13 = rotl(x13 ^ x1, 8); x9 = (x9 + x13) | 0; x5 = rotl(x5 ^ x9, 7);
      x2 = (x2 + x6) | 0; x14 = rotl(x14 ^ x2, 16); x10 = (x10 + x14) | 0; x6 = rotl(x6 ^ x10, 12); x2 = (x2 + x6) | 0; x14 = rotl(x14 ^ x2, 8); x10 = (x10 + x14) | 0; x6 = rotl(x6 ^ x10, 7);
      x3 = (x3 + x7) | 0; x15 = rotl(x15 ^ x3, 16); x11 = (x11 + x15) | 0; x7 = rotl(x7 ^ x11, 12); x3 = (x3 + x7) | 0; x15 = rotl(x15 ^ x3, 8); x11 = (x11 + x15) | 0; x7 = rotl(x7 ^ x11, 7);
      // …then on the four diagonals.
      x0 = (x0 + x5) | 0; x15 = rotl(x15 ^ x0, 16); x10 = (x10 + x15) | 0; x5 = rotl(x5 ^ x10, 12); x0 = (x0 + x5) | 0; x15 = rotl(x15 ^ x0, 8); x10 = (x10 + x15) | 0; x5 = rotl(x5 ^ x10, 7);
      x1 = (x1 + x6) | 0; x12 = rotl(x12 ^ x1, 16); x11 = (x11 + x12) | 0; x6 = rotl(x6 ^ x11, 12); x1 = (x1 + x6) | 0; x12 = rotl(x12 ^ x1, 8); x11 = (x11 + x12) | 0; x6 = rotl(x6 ^ x11, 7);
      x2 = (x2 + x7) | 0; x13 = rotl(x13 ^ x2, 16); x8 = (x8 + x13) | 0; x7 = rotl(x7 ^ x8, 12); x2 = (x2 + x7) | 0; x13 = rotl(x13 ^ x2, 8); x8 = (x8 + x13) | 0; x7 = rotl(x7 ^ x8, 7);
      x3 = (x3 + x4) | 0; x14 = rotl(x14 ^ x3, 16); x9 = (x9 + x14) | 0; x4 = rotl(x4 ^ x9, 12); x3 = (x3 + x4) | 0; x14 = rotl(x14 ^ x3, 8); x9 = (x9 + x14) | 0; x4 = rotl(x4 ^ x9, 7);
    }
    const x = [x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15];
    for (let i = 0; i < 16; i++) {
      const w = x[i]! + state[i]!;
      stream[4 * i] = w;
      stream[4 * i + 1] = w >>> 8;
      stream[4 * i + 2] = w >>> 16;
      stream[4 * i + 3] = w >>> 24;
    }
    const n = Math.min(64, input.length - pos);
    for (let j = 0; j < n; j++) output[pos + j] = input[pos + j]! ^ stream[j]!;
    // The 32-bit block counter (§2.3); 2^32 blocks is 256 GiB, far beyond any
    // age chunk (64 KiB) or anything a Uint8Array holds.
    state[12]!++;
  }
}

/**
 * Add the 16-byte little-endian block of `b` at `p`, plus `highBit`·2^128,
 * into `h` as ten 13-bit limbs (limb i holds bits 13i … 13i + 12).
 */
function addLimbs(h: Float64Array, b: Uint8Array, p: number, highBit: number): void {
  for (let i = 0; i < 10; i++) {
    const bit = 13 * i;
    const k = p + (bit >> 3);
    // Only limb 9 (bits 117…129) reaches past the block, into the high bit.
    h[i]! += ((b[k]! | (b[k + 1]! << 8) | ((i < 9 ? b[k + 2]! : highBit) << 16)) >>> (bit & 7)) & 0x1fff;
  }
}

/**
 * Carry `h` through its ten limbs, fold the carry out of 2^130 back into limb
 * 0 as 5 (2^130 ≡ 5 mod p), and carry limb 0 into limb 1 once more. Limbs are
 * doubles and may be far above 2^32 on entry, hence division, not shifts.
 */
function carry(h: Float64Array): void {
  let c = 0;
  for (let i = 0; i < 10; i++) {
    const v = h[i]! + c;
    const low = v & 0x1fff; // exact: ToInt32 keeps the low bits of an integer
    c = (v - low) / 8192;
    h[i] = low;
  }
  h[0]! += 5 * c;
  c = h[0]! >>> 13;
  h[0]! &= 0x1fff;
  h[1]! += c;
}

/**
 * Poly1305 (RFC 8439 §2.5) with the one-time key `oneTimeKey` (r ‖ s) over
 * the concatenation of `parts`.
 *
 * With `aeadPadding`, each part is zero-padded to a multiple of 16 bytes, as
 * the AEAD construction (§2.8) pads the AAD and the ciphertext: a padded
 * final block is then a full block, high bit set. Without it, the message's
 * last partial block gets the 0x01 byte and no high bit (§2.5.1), and only
 * one part is meaningful.
 *
 * @internal Exported for the RFC 8439 §2.5.2 vector test; use
 * {@link chacha20poly1305}.
 */
export function _poly1305(oneTimeKey: Uint8Array, parts: readonly Uint8Array[], aeadPadding: boolean): Uint8Array {
  const h = new Float64Array(10);
  // rr[10 + i] = r_i and rr[i] = 5·r_i: limb j of h times limb (i − j) of r,
  // with 2^130 wrapping around as 5, is then rr[10 + i − j] for every i, j.
  const rr = new Float64Array(20);
  // A copy (not `slice`, which on a Node Buffer is a view): clamped here,
  // then reused for partial blocks.
  const block = new Uint8Array(16);
  block.set(oneTimeKey.subarray(0, 16));
  // Clamp r (§2.5.1).
  for (let i = 3; i < 16; i += 4) block[i]! &= 15;
  for (let i = 4; i < 16; i += 4) block[i]! &= 252;
  addLimbs(rr.subarray(10), block, 0, 0);
  for (let i = 0; i < 10; i++) rr[i] = 5 * rr[10 + i]!;

  for (const m of parts) {
    for (let pos = 0; pos < m.length; pos += 16) {
      const n = m.length - pos;
      if (n >= 16) addLimbs(h, m, pos, 1);
      else {
        // A final partial block: zero-padded (AEAD), or 0x01-terminated
        // without the high bit (plain Poly1305).
        block.fill(0);
        block.set(m.subarray(pos));
        if (!aeadPadding) block[n] = 1;
        addLimbs(h, block, 0, aeadPadding ? 1 : 0);
      }
      // h = h·r mod p, column by column. Limbs of h are below 2^14.2 and of
      // 5·r below 2^15.4, so each sum of ten products is below 2^33: exact
      // in a double (not in an int32, hence Float64Array and carry's division).
      const h0 = h[0]!, h1 = h[1]!, h2 = h[2]!, h3 = h[3]!, h4 = h[4]!, h5 = h[5]!, h6 = h[6]!, h7 = h[7]!, h8 = h[8]!, h9 = h[9]!;
      for (let i = 0, k = 10; i < 10; i++, k++) {
        h[i] = h0 * rr[k]! + h1 * rr[k - 1]! + h2 * rr[k - 2]! + h3 * rr[k - 3]! + h4 * rr[k - 4]!
          + h5 * rr[k - 5]! + h6 * rr[k - 6]! + h7 * rr[k - 7]! + h8 * rr[k - 8]! + h9 * rr[k - 9]!;
      }
      carry(h);
    }
  }

  // Fully reduce: two carry passes leave every limb below 2^13 and h < 2^130
  // (the second pass can only wrap if the first left h ≥ 2^130, and then h0
  // is small). Then h − p = h + 5 − 2^130 is taken iff it does not borrow,
  // selected by mask, without a branch on secret data.
  carry(h);
  carry(h);
  const g = new Float64Array(10);
  let c = 5;
  for (let i = 0; i < 10; i++) {
    g[i] = h[i]! + c;
    c = g[i]! >>> 13;
    g[i]! &= 0x1fff;
  }
  const mask = -c; // c is 1 iff h + 5 ≥ 2^130, i.e. h ≥ p
  for (let i = 0; i < 10; i++) h[i] = (h[i]! & ~mask) | (g[i]! & mask);

  // tag = (h + s) mod 2^128, little-endian.
  const tag = new Uint8Array(16);
  let acc = 0;
  let bits = 0;
  let j = 0;
  c = 0;
  for (let i = 0; i < 10 && j < 16; i++) {
    acc |= h[i]! << bits;
    bits += 13;
    for (; bits >= 8 && j < 16; bits -= 8, acc >>>= 8, j++) {
      c += (acc & 255) + oneTimeKey[16 + j]!;
      tag[j] = c;
      c >>>= 8;
    }
  }
  return tag;
}

/** The AEAD's Poly1305 tag over `aad` and `ciphertext` (RFC 8439 §2.8). */
function aeadTag(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  // The one-time key is the first 32 bytes of ChaCha20 block 0 (§2.6).
  const oneTimeKey = new Uint8Array(32);
  _chacha20(key, nonce, 0, oneTimeKey, oneTimeKey);
  // The two lengths as 64-bit little-endian integers; JavaScript lengths
  // stay below 2^53, so 32 + 21 bits by division are enough.
  const lengths = new Uint8Array(16);
  for (const [at, length] of [[0, aad.length], [8, ciphertext.length]] as const) {
    for (let i = 0, v = length; i < 8; i++, v = Math.floor(v / 256)) lengths[at + i] = v;
  }
  return _poly1305(oneTimeKey, [aad, ciphertext, lengths], true);
}

/** Validate a byte argument at the public boundary (any view, `Buffer` included). */
function checkBytes(name: string, value: unknown, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`chacha20poly1305: ${name} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`chacha20poly1305: ${name} must be ${length} bytes, got ${value.length}`);
  }
}

/**
 * ChaCha20-Poly1305 AEAD (RFC 8439 §2.8) for `key` (32 bytes), `nonce`
 * (12 bytes) and optional additional authenticated data `aad`: a drop-in for
 * `@noble/ciphers`'s `chacha20poly1305` as age uses it (age's header stanza
 * bodies with a zero nonce, and its STREAM chunks with the counter nonce).
 *
 * `encrypt` returns ciphertext ‖ 16-byte tag. `decrypt` verifies the tag in
 * constant time before decrypting and throws `Error` (Go x/crypto's text,
 * "chacha20poly1305: message authentication failed") when it does not match
 * or the input is shorter than a tag. Inputs are never modified; outputs
 * are fresh `Uint8Array`s.
 *
 * @throws {TypeError} if an argument is not a `Uint8Array`.
 * @throws {RangeError} if `key` is not 32 bytes or `nonce` not 12.
 *
 * @example
 * ```ts
 * const aead = chacha20poly1305(key, new Uint8Array(12));
 * const sealed = aead.encrypt(fileKey);   // fileKey.length + 16 bytes
 * const opened = aead.decrypt(sealed);    // throws if sealed was altered
 * ```
 */
export function chacha20poly1305(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array = new Uint8Array(0),
): { encrypt(plaintext: Uint8Array): Uint8Array; decrypt(sealed: Uint8Array): Uint8Array } {
  checkBytes('key', key, 32);
  checkBytes('nonce', nonce, 12);
  checkBytes('aad', aad);
  // Copies, so that a caller reusing its buffers cannot change an AEAD
  // already constructed. `new Uint8Array(view)` copies for any view; a
  // Buffer's `slice` would not.
  const k = new Uint8Array(key);
  const n = new Uint8Array(nonce);
  const a = new Uint8Array(aad);
  return {
    encrypt(plaintext: Uint8Array): Uint8Array {
      checkBytes('plaintext', plaintext);
      const sealed = new Uint8Array(plaintext.length + 16);
      const ciphertext = sealed.subarray(0, plaintext.length);
      // Payload blocks start at counter 1; block 0 made the Poly1305 key.
      _chacha20(k, n, 1, plaintext, ciphertext);
      sealed.set(aeadTag(k, n, a, ciphertext), plaintext.length);
      return sealed;
    },
    decrypt(sealed: Uint8Array): Uint8Array {
      checkBytes('sealed', sealed);
      if (sealed.length < 16) throw new Error('chacha20poly1305: message authentication failed');
      const ciphertext = sealed.subarray(0, sealed.length - 16);
      const tag = aeadTag(k, n, a, ciphertext);
      let diff = 0;
      for (let i = 0; i < 16; i++) diff |= tag[i]! ^ sealed[ciphertext.length + i]!;
      if (diff !== 0) throw new Error('chacha20poly1305: message authentication failed');
      const plaintext = new Uint8Array(ciphertext.length);
      _chacha20(k, n, 1, ciphertext, plaintext);
      return plaintext;
    },
  };
}
