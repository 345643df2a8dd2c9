// src/chacha20poly1305.ts (the small RFC 8439 AEAD that replaces
// @noble/ciphers' chacha20poly1305 in the browser bundle), checked against two
// independent implementations used as oracles:
//  - @noble/ciphers (chacha20, poly1305, chacha20poly1305), and
//  - Node's OpenSSL ('chacha20' and 'chacha20-poly1305' ciphers).
// No expected output is typed in: the RFC 8439 vectors below carry only the
// RFC's *inputs* (key, nonce, AAD, message); their outputs come from the
// oracles, which must agree with each other and with us. Poly1305 alone has no
// Node oracle, so it is also checked against the RFC 8439 §2.5.1 definition
// evaluated with BigInt (a third, deliberately naive implementation).
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { chacha20 as nobleChacha20, chacha20poly1305 as nobleAead } from '@noble/ciphers/chacha.js';
import { poly1305 as noblePoly1305 } from '@noble/ciphers/_poly1305.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { _chacha20, _poly1305, chacha20poly1305 } from '../src/chacha20poly1305.js';

const RUNS = process.env.SLOW === '1' ? 5000 : 500;
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/[\s:]/g, ''), 'hex'));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const seq = (from: number, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 255);
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// ------------------------------------------------------------------ oracles

/** OpenSSL ChaCha20: the 16-byte IV is the 32-bit little-endian block counter ‖ 12-byte nonce. */
function nodeChacha20(key: Uint8Array, nonce: Uint8Array, counter: number, data: Uint8Array): Uint8Array {
  const iv = new Uint8Array(16);
  new DataView(iv.buffer).setUint32(0, counter, true);
  iv.set(nonce, 4);
  const c = createCipheriv('chacha20', key, iv);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

/** OpenSSL ChaCha20-Poly1305: ciphertext ‖ tag. */
function nodeSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: plaintext.length });
  return new Uint8Array(Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]));
}

/** OpenSSL open; `null` when OpenSSL rejects the tag. */
function nodeOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  d.setAAD(aad, { plaintextLength: sealed.length - 16 });
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    return new Uint8Array(Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]));
  } catch {
    return null;
  }
}

/** Poly1305 straight from RFC 8439 §2.5.1, with BigInt arithmetic. */
function bigintPoly1305(key: Uint8Array, msg: Uint8Array): Uint8Array {
  const le = (b: Uint8Array): bigint => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
  const p = (1n << 130n) - 5n;
  const r = le(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  let acc = 0n;
  for (let i = 0; i < msg.length; i += 16) {
    const block = msg.subarray(i, i + 16);
    acc = ((acc + le(block) + (1n << BigInt(8 * block.length))) * r) % p;
  }
  let tag = (acc + le(key.subarray(16))) & ((1n << 128n) - 1n);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++, tag >>= 8n) out[i] = Number(tag & 255n);
  return out;
}

/** Seal with both oracles, assert they agree, and return their bytes. */
function oracleSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const a = nodeSeal(key, nonce, aad, plaintext);
  const b = nobleAead(key, nonce, aad).encrypt(plaintext);
  expect(toHex(b)).toBe(toHex(a));
  return a;
}

// ------------------------------------------------------------------ RFC 8439 inputs

/** The RFC's sample plaintext in §2.4.2 and §2.8.2. */
const SUNSCREEN = utf8(
  "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
);

describe('RFC 8439 vectors (inputs from the RFC, outputs from the oracles)', () => {
  it('§2.4.2 ChaCha20 encryption (counter 1) matches noble and OpenSSL', () => {
    const key = seq(0, 32);
    const nonce = hex('00 00 00 00 00 00 00 4a 00 00 00 00');
    const ours = new Uint8Array(SUNSCREEN.length);
    _chacha20(key, nonce, 1, SUNSCREEN, ours);
    const node = nodeChacha20(key, nonce, 1, SUNSCREEN);
    expect(toHex(nobleChacha20(key, nonce, SUNSCREEN, undefined, 1))).toBe(toHex(node));
    expect(toHex(ours)).toBe(toHex(node));
  });

  it('ChaCha20 keystream at counters 0, 1 and 2^32 − 1 matches OpenSSL (block boundaries, counter wrap)', () => {
    const key = seq(0, 32);
    const nonce = hex('00 00 00 09 00 00 00 4a 00 00 00 00');
    for (const counter of [0, 1, 7, 0xffffffff]) {
      for (const len of [0, 1, 63, 64, 65, 200]) {
        const data = seq(len, len);
        const ours = new Uint8Array(len);
        _chacha20(key, nonce, counter, data, ours);
        // OpenSSL carries a wrapped 32-bit counter into the nonce's first word
        // (RFC 7539 leaves it undefined); compare only the blocks before a wrap.
        const blocks = counter === 0xffffffff ? Math.min(len, 64) : len;
        expect(toHex(ours.subarray(0, blocks))).toBe(toHex(nodeChacha20(key, nonce, counter, data).subarray(0, blocks)));
      }
    }
  });

  it('§2.5.2 Poly1305 matches noble and the BigInt definition', () => {
    const key = hex('85:d6:be:78:57:55:6d:33:7f:44:52:fe:42:d5:06:a8:01:03:80:8a:fb:0d:b2:fd:4a:bf:f6:af:41:49:f5:1b');
    const msg = utf8('Cryptographic Forum Research Group');
    const noble = noblePoly1305(msg, key);
    expect(toHex(bigintPoly1305(key, msg))).toBe(toHex(noble));
    expect(toHex(_poly1305(key, [msg], false))).toBe(toHex(noble));
  });

  it('Poly1305 over random keys and every length 0..300, and the all-ones key (h near p), matches both', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), (key, msg) => {
        const noble = toHex(noblePoly1305(msg, key));
        expect(toHex(bigintPoly1305(key, msg))).toBe(noble);
        expect(toHex(_poly1305(key, [msg], false))).toBe(noble);
      }),
      { numRuns: RUNS },
    );
    // Extreme limbs: r and s all ones (after clamping), message all 0xff.
    const key = new Uint8Array(32).fill(255);
    for (let len = 0; len <= 160; len++) {
      const msg = new Uint8Array(len).fill(255);
      expect(toHex(_poly1305(key, [msg], false))).toBe(toHex(bigintPoly1305(key, msg)));
    }
  });

  it('§2.8.2 AEAD encryption matches noble and OpenSSL, and decrypts', () => {
    const key = seq(0x80, 32);
    const nonce = hex('07 00 00 00 40 41 42 43 44 45 46 47');
    const aad = hex('50 51 52 53 c0 c1 c2 c3 c4 c5 c6 c7');
    const expected = oracleSeal(key, nonce, aad, SUNSCREEN);
    const sealed = chacha20poly1305(key, nonce, aad).encrypt(SUNSCREEN);
    expect(toHex(sealed)).toBe(toHex(expected));
    expect(toHex(chacha20poly1305(key, nonce, aad).decrypt(sealed))).toBe(toHex(SUNSCREEN));
  });

  it('Appendix A.5 AEAD decryption: the oracles’ sealed text opens to the RFC plaintext', () => {
    const key = hex('1c 92 40 a5 eb 55 d3 8a f3 33 88 86 04 f6 b5 f0 47 39 17 c1 40 2b 80 09 9d ca 5c bc 20 70 75 c0');
    const nonce = hex('00 00 00 00 01 02 03 04 05 06 07 08');
    const aad = hex('f3 33 88 86 00 00 00 00 00 00 4e 91');
    const plaintext = utf8(
      'Internet-Drafts are draft documents valid for a maximum of six months and may be updated, replaced, or obsoleted ' +
        'by other documents at any time. It is inappropriate to use Internet-Drafts as reference material or to cite them ' +
        'other than as /\u201cwork in progress./\u201d',
    );
    const sealed = oracleSeal(key, nonce, aad, plaintext);
    expect(toHex(chacha20poly1305(key, nonce, aad).decrypt(sealed))).toBe(toHex(plaintext));
    expect(toHex(chacha20poly1305(key, nonce, aad).encrypt(plaintext))).toBe(toHex(sealed));
  });
});

// ------------------------------------------------------------------ differential

/** Lengths around ChaCha20's 64-byte blocks and Poly1305's 16-byte blocks. */
const BOUNDARY_LENGTHS = [15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 127, 128, 129, 191, 192, 193, 255, 256, 257];
const plaintextArb = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.constantFrom(...BOUNDARY_LENGTHS).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
);
const caseArb = fc.record({
  key: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  nonce: fc.uint8Array({ minLength: 12, maxLength: 12 }),
  aad: fc.oneof(fc.uint8Array({ maxLength: 100 }), fc.constantFrom(...BOUNDARY_LENGTHS.filter((n) => n <= 100)).map((n) => new Uint8Array(n).fill(n))),
  plaintext: plaintextArb,
});

/** Flip bit `bit` of byte `at` in a copy of `b`. */
function flip(b: Uint8Array, at: number, bit: number): Uint8Array {
  const c = new Uint8Array(b);
  c[at]! ^= 1 << bit;
  return c;
}

describe('differential against noble and OpenSSL (fast-check)', () => {
  it(`encrypts byte-for-byte like both oracles and round-trips (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(caseArb, ({ key, nonce, aad, plaintext }) => {
        const expected = oracleSeal(key, nonce, aad, plaintext);
        const sealed = chacha20poly1305(key, nonce, aad).encrypt(plaintext);
        expect(toHex(sealed)).toBe(toHex(expected));
        expect(toHex(chacha20poly1305(key, nonce, aad).decrypt(sealed))).toBe(toHex(plaintext));
        // Without an aad argument, like age's calls: the same as an empty AAD.
        if (aad.length === 0) expect(toHex(chacha20poly1305(key, nonce).encrypt(plaintext))).toBe(toHex(expected));
      }),
      { numRuns: RUNS },
    );
  });

  it(`rejects any single-bit flip in ciphertext, tag, AAD, nonce or key, as OpenSSL does (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.constantFrom('sealed', 'aad', 'nonce', 'key'),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        ({ key, nonce, aad, plaintext }, what, pos, bit) => {
          const sealed = oracleSeal(key, nonce, aad, plaintext);
          const args = { key, nonce, aad, sealed };
          if (args[what].length === 0) return; // nothing to flip (empty AAD)
          const bad = { ...args, [what]: flip(args[what], pos % args[what].length, bit) };
          expect(nodeOpen(bad.key, bad.nonce, bad.aad, bad.sealed)).toBeNull();
          expect(() => nobleAead(bad.key, bad.nonce, bad.aad).decrypt(bad.sealed)).toThrow();
          expect(() => chacha20poly1305(bad.key, bad.nonce, bad.aad).decrypt(bad.sealed)).toThrow(
            'chacha20poly1305: message authentication failed',
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('rejects truncated input: anything shorter than a tag, and any proper prefix', () => {
    fc.assert(
      fc.property(caseArb, fc.nat(), ({ key, nonce, aad, plaintext }, cut) => {
        const aead = chacha20poly1305(key, nonce, aad);
        const sealed = aead.encrypt(plaintext);
        for (let n = 0; n < 16; n++) expect(() => aead.decrypt(sealed.subarray(0, n))).toThrow('message authentication failed');
        const prefix = sealed.subarray(0, cut % sealed.length);
        expect(() => aead.decrypt(prefix)).toThrow('message authentication failed');
      }),
      { numRuns: 100 },
    );
  });

  it('handles STREAM-sized inputs (64 KiB chunks and beyond) like both oracles', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.constantFrom(65535, 65536, 65537, 3 * 65536 + 1234),
        fc.integer({ min: 0, max: 0x7fffffff }),
        (key, nonce, length, seed) => {
          // Cheap deterministic filler (xorshift32) so large inputs stay fast to build.
          const plaintext = new Uint8Array(length);
          for (let i = 0, x = seed | 1; i < length; i++) {
            x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
            plaintext[i] = x;
          }
          const expected = oracleSeal(key, nonce, new Uint8Array(0), plaintext);
          const aead = chacha20poly1305(key, nonce);
          const sealed = aead.encrypt(plaintext);
          expect(Buffer.compare(sealed, expected)).toBe(0);
          expect(Buffer.compare(aead.decrypt(sealed), plaintext)).toBe(0);
          expect(() => aead.decrypt(flip(sealed, seed % sealed.length, seed % 8))).toThrow('message authentication failed');
        },
      ),
      { numRuns: 6 },
    );
  });
});

// ------------------------------------------------------------------ API contract

describe('API contract (drop-in for noble as age-core uses it)', () => {
  it('never mutates its inputs, accepts Buffers and offset views, and copies key/nonce/AAD', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 1, max: 7 }), ({ key, nonce, aad, plaintext }, offset) => {
        // Views at a non-zero offset into larger buffers, Buffer and plain.
        const at = (b: Uint8Array): Buffer => {
          const big = Buffer.alloc(b.length + 2 * offset, 0xa5);
          big.set(b, offset);
          return big.subarray(offset, offset + b.length);
        };
        const [k, n, a, p] = [at(key), at(nonce), at(aad), at(plaintext)];
        const before = [k, n, a, p].map(toHex);
        const aead = chacha20poly1305(k, n, a);
        const sealed = aead.encrypt(p);
        const sealedCopy = toHex(sealed);
        expect(toHex(aead.decrypt(sealed))).toBe(toHex(plaintext));
        expect([k, n, a, p].map(toHex)).toEqual(before);
        expect(toHex(sealed)).toBe(sealedCopy);
        expect(toHex(sealed)).toBe(toHex(oracleSeal(key, nonce, aad, plaintext)));
        // Outputs are plain Uint8Arrays of their own.
        expect(Object.getPrototypeOf(sealed)).toBe(Uint8Array.prototype);
        expect(sealed.byteOffset).toBe(0);
        expect(sealed.buffer.byteLength).toBe(sealed.length);
        // Changing the caller's key afterwards does not affect the AEAD.
        k.fill(0);
        expect(toHex(aead.encrypt(p))).toBe(sealedCopy);
      }),
      { numRuns: 100 },
    );
    // And the internal Poly1305 does not clamp the caller's key in place.
    const key = Buffer.alloc(32, 0xff);
    _poly1305(key, [new Uint8Array(5)], false);
    expect(key.every((x) => x === 0xff)).toBe(true);
  });

  it('validates arguments: TypeError for non-bytes, RangeError for wrong key or nonce sizes', () => {
    const key = new Uint8Array(32);
    const nonce = new Uint8Array(12);
    for (const n of [0, 16, 31, 33, 64]) expect(() => chacha20poly1305(new Uint8Array(n), nonce)).toThrow(RangeError);
    for (const n of [0, 8, 11, 13, 24]) expect(() => chacha20poly1305(key, new Uint8Array(n))).toThrow(RangeError);
    expect(() => chacha20poly1305([...key] as unknown as Uint8Array, nonce)).toThrow(TypeError);
    expect(() => chacha20poly1305(key, nonce, 'aad' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => chacha20poly1305(key, nonce).encrypt('x' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => chacha20poly1305(key, nonce).decrypt(null as unknown as Uint8Array)).toThrow(TypeError);
    // Both oracles agree these sizes are invalid (noble checks when used).
    expect(() => nobleAead(new Uint8Array(31), nonce).encrypt(new Uint8Array(1))).toThrow();
    expect(() => nobleAead(key, new Uint8Array(8)).encrypt(new Uint8Array(1))).toThrow();
    expect(() => nodeSeal(new Uint8Array(31), nonce, new Uint8Array(0), new Uint8Array(1))).toThrow();
  });
});
