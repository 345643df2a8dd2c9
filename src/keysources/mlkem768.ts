// ML-KEM-768 (FIPS 203, final, August 2024) and the SHA-3 functions it needs (FIPS 202),
// in one small module: exactly what age's `mlkem768x25519` hybrid recipient uses, so the
// browser bundle does not carry @noble/post-quantum + @noble/hashes (and their shared
// modular-arithmetic chunks) for it.
//
// Checked (test/mlkem768.test.ts) against @noble/post-quantum and @noble/hashes byte for
// byte, and against the accumulated known-answer hashes of Go's crypto/mlkem, the
// implementation Go age uses.
//
// Security caveat, as noble's: this is JavaScript, not a hardened constant-time
// implementation. The JIT, the garbage collector and `%`/`/` on numbers can leak timing.
// Where it is cheap we avoid secret-dependent branches and indexes (the implicit-rejection
// compare and select in decapsulation use a mask, sampling is from public or per-call data),
// but do not rely on it against an attacker who can time many decapsulations.

// ---------------------------------------------------------------------------
// Keccak-f[1600] (FIPS 202 §3) on 32-bit halves: lane i is s[2i] (low) and s[2i+1] (high).
// BigUint64Array is shorter to write but several times slower in V8; two 32-bit words keep
// every operation on small integers.

/** Round constants (FIPS 202 Algorithm 6), derived from the rc(t) LFSR of Algorithm 5. */
const RC_LO = new Uint32Array(24);
const RC_HI = new Uint32Array(24);
/** ρ rotation offsets and π destinations (as 32-bit word indexes), in the order of the ρ∘π chain. */
const ROTATIONS: number[] = [];
const PI_WORD: number[] = [];
{
  let r = 1; // rc's 8-bit state R, bit k = R[k]
  for (let i = 0; i < 24; i++) {
    for (let j = 0; j < 7; j++) {
      // RC[i] bit 2^j − 1 is rc(j + 7i).
      const bit = (1 << j) - 1;
      if (r & 1) bit < 32 ? (RC_LO[i]! |= 1 << bit) : (RC_HI[i]! |= 1 << (bit - 32));
      r = ((r << 1) ^ (r & 0x80 ? 0x71 : 0)) & 0xff;
    }
  }
  // Walk (x, y) → (y, 2x + 3y) from (1, 0): lane t moves by (t+1)(t+2)/2 mod 64 (§3.2.2).
  for (let t = 0, x = 1, y = 0; t < 24; t++) {
    ROTATIONS.push((((t + 1) * (t + 2)) / 2) % 64);
    [x, y] = [y, (2 * x + 3 * y) % 5];
    PI_WORD.push(2 * (x + 5 * y));
  }
}

/** Keccak-p[1600, 24] in place (FIPS 202 Algorithm 7). */
function keccakF1600(s: Uint32Array): void {
  const c = new Uint32Array(10);
  for (let round = 0; round < 24; round++) {
    // θ: xor each lane with the parities of the columns x−1 and rot(x+1, 1).
    for (let x = 0; x < 10; x++) c[x] = s[x]! ^ s[x + 10]! ^ s[x + 20]! ^ s[x + 30]! ^ s[x + 40]!;
    for (let x = 0; x < 10; x += 2) {
      const lo = c[(x + 2) % 10]!;
      const hi = c[(x + 3) % 10]!;
      const dLo = c[(x + 8) % 10]! ^ ((lo << 1) | (hi >>> 31));
      const dHi = c[(x + 9) % 10]! ^ ((hi << 1) | (lo >>> 31));
      for (let y = 0; y < 50; y += 10) {
        s[x + y]! ^= dLo;
        s[x + y + 1]! ^= dHi;
      }
    }
    // ρ and π together: follow the permutation's single 24-lane cycle, rotating as we go.
    let lo = s[2]!;
    let hi = s[3]!;
    for (let t = 0; t < 24; t++) {
      // Rotating by n ≥ 32 swaps the halves, then rotates by n − 32 (JS shifts count mod 32;
      // the offsets are never 0 or 32, where this would break).
      const n = ROTATIONS[t]!;
      const a = n < 32 ? lo : hi;
      const b = n < 32 ? hi : lo;
      const rLo = (a << n) | (b >>> (32 - n));
      const rHi = (b << n) | (a >>> (32 - n));
      const w = PI_WORD[t]!;
      lo = s[w]!;
      hi = s[w + 1]!;
      s[w] = rLo;
      s[w + 1] = rHi;
    }
    // χ: a ^= ~b & c along each row.
    for (let y = 0; y < 50; y += 10) {
      for (let x = 0; x < 10; x++) c[x] = s[y + x]!;
      for (let x = 0; x < 10; x++) s[y + x]! ^= ~c[(x + 2) % 10]! & c[(x + 4) % 10]!;
    }
    // ι
    s[0]! ^= RC_LO[round]!;
    s[1]! ^= RC_HI[round]!;
  }
}

/**
 * A Keccak sponge (FIPS 202 Algorithm 8) with `rate` bytes and the domain-separation
 * suffix `ds` (0x06 for SHA-3, 0x1f for SHAKE, both with pad10*1's first bit folded in):
 * absorbs `data` and returns a reader that squeezes the next `n` bytes on each call.
 */
function sponge(rate: number, ds: number, data: Uint8Array): (n: number) => Uint8Array {
  const s = new Uint32Array(50);
  // Bytes are xored into words explicitly (little-endian lanes), so the host's byte order
  // does not matter.
  const xorByte = (i: number, b: number) => (s[i >> 2]! ^= b << ((i & 3) << 3));
  let pos = 0;
  for (let i = 0; i < data.length; i++) {
    xorByte(pos, data[i]!);
    if (++pos === rate) {
      keccakF1600(s);
      pos = 0;
    }
  }
  xorByte(pos, ds);
  xorByte(rate - 1, 0x80);
  pos = rate; // the first squeeze permutes
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++, pos++) {
      if (pos === rate) {
        keccakF1600(s);
        pos = 0;
      }
      out[i] = s[pos >> 2]! >>> ((pos & 3) << 3);
    }
    return out;
  };
}

/**
 * SHA3-256 (FIPS 202 §6.1). age's hybrid KEM uses it to combine the two shared secrets.
 *
 * @example sha3_256(new TextEncoder().encode('abc')) // 32 bytes
 */
export function sha3_256(data: Uint8Array): Uint8Array {
  return sponge(136, 0x06, data)(32);
}

/** SHA3-512 (FIPS 202 §6.1): ML-KEM's G. Exported for tests. */
export function sha3_512(data: Uint8Array): Uint8Array {
  return sponge(72, 0x06, data)(64);
}

/** SHAKE128 (FIPS 202 §6.2) with `dkLen` output bytes: ML-KEM's XOF. Exported for tests. */
export function shake128(data: Uint8Array, opts: { dkLen: number }): Uint8Array {
  return sponge(168, 0x1f, data)(opts.dkLen);
}

/**
 * SHAKE256 (FIPS 202 §6.2) with `dkLen` output bytes. age's hybrid identity expands its
 * 32-byte seed with it; ML-KEM uses it as PRF and J.
 *
 * @example shake256(seed, { dkLen: 96 }) // ML-KEM seed d‖z, then the X25519 scalar
 */
export function shake256(data: Uint8Array, opts: { dkLen: number }): Uint8Array {
  return sponge(136, 0x1f, data)(opts.dkLen);
}

// ---------------------------------------------------------------------------
// ML-KEM-768 parameters (FIPS 203 §8, Table 2) and the ring Z_q[X]/(X^256 + 1).

const Q = 3329;
const K = 3;
const DU = 10;
const DV = 4;
// η1 = η2 = 2 for ML-KEM-768: every noise polynomial comes from 64·η = 128 PRF bytes.
const ETA_BYTES = 128;
const EK_BYTES = 384 * K + 32; // 1184
const DK_BYTES = 768 * K + 96; // 2400
const CT_BYTES = 32 * (DU * K + DV); // 1088

type Poly = Uint16Array; // 256 coefficients, each in [0, 4096), reduced mod q by every operation

function powMod(b: number, e: number): number {
  let r = 1;
  for (; e > 0; e--) r = (r * b) % Q;
  return r;
}
const bitRev7 = (i: number) => {
  let r = 0;
  for (let b = 0; b < 7; b++) r |= ((i >> b) & 1) << (6 - b);
  return r;
};
/** ζ^BitRev7(i) for the NTT (§4.3, ζ = 17), and ζ^(2·BitRev7(i)+1) for MultiplyNTTs (Algorithm 11). */
const ZETAS = new Uint16Array(128);
const GAMMAS = new Uint16Array(128);
for (let i = 0; i < 128; i++) {
  ZETAS[i] = powMod(17, bitRev7(i));
  GAMMAS[i] = powMod(17, 2 * bitRev7(i) + 1);
}
/** 128⁻¹ mod q, the scaling of NTT⁻¹ (Algorithm 10, step 14); q is prime. */
const INV128 = powMod(128, Q - 2);

/** NTT (Algorithm 9), in place. */
function ntt(f: Poly): Poly {
  for (let len = 128, i = 1; len >= 2; len >>= 1) {
    for (let start = 0; start < 256; start += 2 * len) {
      const zeta = ZETAS[i++]!;
      for (let j = start; j < start + len; j++) {
        const t = (zeta * f[j + len]!) % Q;
        f[j + len] = (f[j]! - t + Q) % Q;
        f[j] = (f[j]! + t) % Q;
      }
    }
  }
  return f;
}

/** NTT⁻¹ (Algorithm 10), in place. */
function nttInverse(f: Poly): Poly {
  for (let len = 2, i = 127; len <= 128; len <<= 1) {
    for (let start = 0; start < 256; start += 2 * len) {
      const zeta = ZETAS[i--]!;
      for (let j = start; j < start + len; j++) {
        const t = f[j]!;
        f[j] = (t + f[j + len]!) % Q;
        f[j + len] = (zeta * (f[j + len]! - t + Q)) % Q;
      }
    }
  }
  for (let j = 0; j < 256; j++) f[j] = (f[j]! * INV128) % Q;
  return f;
}

/** acc += a ∘ b in the NTT domain: MultiplyNTTs (Algorithm 11) with BaseCaseMultiply (Algorithm 12). */
function multiplyAddNtt(acc: Poly, a: Poly, b: Poly): void {
  for (let i = 0; i < 128; i++) {
    const a0 = a[2 * i]!, a1 = a[2 * i + 1]!, b0 = b[2 * i]!, b1 = b[2 * i + 1]!;
    acc[2 * i] = (acc[2 * i]! + a0 * b0 + ((a1 * b1) % Q) * GAMMAS[i]!) % Q;
    acc[2 * i + 1] = (acc[2 * i + 1]! + a0 * b1 + a1 * b0) % Q;
  }
}

/** a + b, into a. */
function add(a: Poly, b: Poly): Poly {
  for (let i = 0; i < 256; i++) a[i] = (a[i]! + b[i]!) % Q;
  return a;
}

/** ByteEncode_d (Algorithm 5): 256 d-bit integers, little-endian bit order. */
function byteEncode(f: Poly, d: number): Uint8Array {
  const out = new Uint8Array(32 * d);
  for (let i = 0, o = 0, acc = 0, bits = 0; i < 256; i++) {
    acc |= f[i]! << bits;
    for (bits += d; bits >= 8; bits -= 8, acc >>>= 8) out[o++] = acc;
  }
  return out;
}

/**
 * ByteDecode_d (Algorithm 6) without the final reduction mod q for d = 12: callers either
 * reject values ≥ q (the encapsulation key's modulus check) or feed them to arithmetic that
 * reduces mod q anyway (the decapsulation key's ŝ), which gives the same result.
 */
function byteDecode(b: Uint8Array, d: number): Poly {
  const f = new Uint16Array(256);
  for (let i = 0, j = 0, acc = 0, bits = 0; i < 256; i++, acc >>>= d, bits -= d) {
    for (; bits < d; bits += 8) acc |= b[j++]! << bits;
    f[i] = acc & ((1 << d) - 1);
  }
  return f;
}

/** Compress_d (§4.2.1, eq. 4.7), in place: round(2^d/q · x) mod 2^d. */
function compress(f: Poly, d: number): Poly {
  for (let i = 0; i < 256; i++) f[i] = Math.floor(((f[i]! << (d + 1)) + Q) / (2 * Q)) & ((1 << d) - 1);
  return f;
}

/** Decompress_d (§4.2.1, eq. 4.8), in place: round(q/2^d · y). */
function decompress(f: Poly, d: number): Poly {
  for (let i = 0; i < 256; i++) f[i] = (f[i]! * Q + (1 << (d - 1))) >> d;
  return f;
}

/** SampleNTT (Algorithm 7): rejection-sample Â[i][j] from SHAKE128(ρ‖j‖i). */
function sampleNtt(rho: Uint8Array, j: number, i: number): Poly {
  const xof = sponge(168, 0x1f, concat(rho, Uint8Array.of(j, i)));
  const a = new Uint16Array(256);
  for (let n = 0; n < 256; ) {
    const c = xof(168); // a multiple of 3: each 3 bytes give two 12-bit candidates
    for (let k = 0; k < 168 && n < 256; k += 3) {
      const d1 = c[k]! | ((c[k + 1]! & 0x0f) << 8);
      const d2 = (c[k + 1]! >> 4) | (c[k + 2]! << 4);
      if (d1 < Q) a[n++] = d1;
      if (d2 < Q && n < 256) a[n++] = d2;
    }
  }
  return a;
}

/** SamplePolyCBD_2 (Algorithm 8) of PRF_2(s, b) = SHAKE256(s‖b, 128) (eq. 4.3). */
function sampleCbd(s: Uint8Array, b: number): Poly {
  const bytes = shake256(concat(s, Uint8Array.of(b)), { dkLen: ETA_BYTES });
  const f = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    // Coefficient i is bits 4i..4i+3: (b0 + b1) − (b2 + b3).
    const nibble = bytes[i >> 1]! >> ((i & 1) << 2);
    const x = (nibble & 1) + ((nibble >> 1) & 1);
    const y = ((nibble >> 2) & 1) + ((nibble >> 3) & 1);
    f[i] = (x - y + Q) % Q;
  }
  return f;
}

/** Σ_j row(j) ∘ v[j], in the NTT domain. */
function dot(row: (j: number) => Poly, v: readonly Poly[]): Poly {
  const acc = new Uint16Array(256);
  for (let j = 0; j < K; j++) multiplyAddNtt(acc, row(j), v[j]!);
  return acc;
}

// A copy of encoding.ts's concat: this module imports nothing, so it can be
// checked and measured on its own (test/mlkem768.test.ts).
function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function checkLength(name: string, b: Uint8Array, n: number): void {
  if (!(b instanceof Uint8Array) || b.length !== n) throw new Error(`ML-KEM-768: ${name} must be ${n} bytes`);
}

/** K-PKE.KeyGen (Algorithm 13): the encryption key ek and decryption key ŝ encoded. */
function kpkeKeyGen(d: Uint8Array): { ek: Uint8Array; dkPke: Uint8Array } {
  // G(d‖k): FIPS 203 final appends k = 3 as a domain separator (Kyber and the ipd did not).
  const g = sha3_512(concat(d, Uint8Array.of(K)));
  const rho = g.subarray(0, 32);
  const sigma = g.subarray(32);
  const s: Poly[] = [];
  const e: Poly[] = [];
  for (let i = 0; i < K; i++) s.push(ntt(sampleCbd(sigma, i)));
  for (let i = 0; i < K; i++) e.push(ntt(sampleCbd(sigma, K + i)));
  const tHat: Uint8Array[] = [];
  for (let i = 0; i < K; i++) tHat.push(byteEncode(add(dot((j) => sampleNtt(rho, j, i), s), e[i]!), 12));
  return { ek: concat(...tHat, rho), dkPke: concat(...s.map((p) => byteEncode(p, 12))) };
}

/** K-PKE.Encrypt (Algorithm 14) of the 32-byte message m with randomness r; ek is already checked. */
function kpkeEncrypt(ek: Uint8Array, m: Uint8Array, r: Uint8Array): Uint8Array {
  const tHat: Poly[] = [];
  for (let i = 0; i < K; i++) tHat.push(byteDecode(ek.subarray(384 * i, 384 * (i + 1)), 12));
  const rho = ek.subarray(384 * K);
  const y: Poly[] = [];
  for (let i = 0; i < K; i++) y.push(ntt(sampleCbd(r, i)));
  const parts: Uint8Array[] = [];
  // u = NTT⁻¹(Âᵀ ∘ ŷ) + e1, with Âᵀ[i][j] = Â[j][i] = SampleNTT(ρ‖i‖j).
  for (let i = 0; i < K; i++) {
    const u = add(nttInverse(dot((j) => sampleNtt(rho, i, j), y)), sampleCbd(r, K + i));
    parts.push(byteEncode(compress(u, DU), DU));
  }
  // v = NTT⁻¹(t̂ᵀ ∘ ŷ) + e2 + Decompress_1(ByteDecode_1(m)).
  const v = add(add(nttInverse(dot((j) => tHat[j]!, y)), sampleCbd(r, 2 * K)), decompress(byteDecode(m, 1), 1));
  parts.push(byteEncode(compress(v, DV), DV));
  return concat(...parts);
}

/** K-PKE.Decrypt (Algorithm 15): the message m′ of ciphertext c. */
function kpkeDecrypt(dkPke: Uint8Array, c: Uint8Array): Uint8Array {
  const u: Poly[] = [];
  for (let i = 0; i < K; i++) u.push(ntt(decompress(byteDecode(c.subarray(32 * DU * i, 32 * DU * (i + 1)), DU), DU)));
  const v = decompress(byteDecode(c.subarray(32 * DU * K), DV), DV);
  // w = v′ − NTT⁻¹(ŝᵀ ∘ NTT(u′))
  const su = nttInverse(dot((j) => byteDecode(dkPke.subarray(384 * j, 384 * (j + 1)), 12), u));
  for (let i = 0; i < 256; i++) v[i] = (v[i]! - su[i]! + Q) % Q;
  return byteEncode(compress(v, 1), 1);
}

/** The encapsulation key check of §7.2: the modulus check (every ByteDecode_12 value < q). */
function checkEncapsulationKey(ek: Uint8Array): void {
  checkLength('encapsulation key', ek, EK_BYTES);
  for (let i = 0; i < K; i++) {
    const t = byteDecode(ek.subarray(384 * i, 384 * (i + 1)), 12);
    for (let j = 0; j < 256; j++) if (t[j]! >= Q) throw new Error('ML-KEM-768: invalid encapsulation key (coefficient not reduced mod q)');
  }
}

/**
 * ML-KEM-768 (FIPS 203 final), with the derandomized entry points age needs: key pair from
 * the 64-byte seed d‖z (age's hybrid identity derives it with SHAKE256), encapsulation with
 * an optional 32-byte message m (random by default), and decapsulation with implicit
 * rejection. Invalid lengths and encapsulation keys that fail the modulus check throw;
 * a ciphertext that does not decrypt does not throw but yields J(z‖c), as FIPS 203 requires.
 *
 * JavaScript, not a hardened constant-time implementation (see the module comment).
 *
 * @example
 * const { publicKey, secretKey } = ml_kem768.keygen(shake256(seed, { dkLen: 64 }));
 * const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey);
 * ml_kem768.decapsulate(cipherText, secretKey); // equals sharedSecret
 */
export const ml_kem768 = {
  /** ML-KEM.KeyGen_internal (Algorithm 16): ek (1184 bytes) and dk = dk_PKE‖ek‖H(ek)‖z (2400 bytes). */
  keygen(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
    checkLength('seed', seed, 64);
    const { ek, dkPke } = kpkeKeyGen(seed.subarray(0, 32));
    return { publicKey: ek, secretKey: concat(dkPke, ek, sha3_256(ek), seed.subarray(32, 64)) };
  },

  /** ML-KEM.Encaps (Algorithm 20 after the §7.2 input check, via Encaps_internal, Algorithm 17). */
  encapsulate(publicKey: Uint8Array, msg: Uint8Array = crypto.getRandomValues(new Uint8Array(32))): { cipherText: Uint8Array; sharedSecret: Uint8Array } {
    checkEncapsulationKey(publicKey);
    checkLength('message', msg, 32);
    const kr = sha3_512(concat(msg, sha3_256(publicKey))); // (K, r) = G(m‖H(ek))
    return { cipherText: kpkeEncrypt(publicKey, msg, kr.subarray(32)), sharedSecret: kr.slice(0, 32) };
  },

  /** ML-KEM.Decaps (Algorithm 21 after the §7.3 input checks, via Decaps_internal, Algorithm 18). */
  decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array {
    checkLength('ciphertext', cipherText, CT_BYTES);
    checkLength('decapsulation key', secretKey, DK_BYTES);
    const dkPke = secretKey.subarray(0, 384 * K);
    const ek = secretKey.subarray(384 * K, 768 * K + 32);
    const h = secretKey.subarray(768 * K + 32, 768 * K + 64);
    const z = secretKey.subarray(768 * K + 64);
    // §7.3 hash check: the embedded H(ek) must match ek (a public-data comparison).
    const hEk = sha3_256(ek);
    for (let i = 0; i < 32; i++) if (hEk[i] !== h[i]) throw new Error('ML-KEM-768: invalid decapsulation key (hash check failed)');
    const m = kpkeDecrypt(dkPke, cipherText);
    const kr = sha3_512(concat(m, h)); // (K′, r′) = G(m′‖h)
    const rejected = shake256(concat(z, cipherText), { dkLen: 32 }); // K̄ = J(z‖c)
    const c2 = kpkeEncrypt(ek, m, kr.subarray(32));
    // Compare every byte, then select K′ or K̄ with a mask rather than a branch.
    let diff = 0;
    for (let i = 0; i < CT_BYTES; i++) diff |= cipherText[i]! ^ c2[i]!;
    const keep = (diff - 1) >> 31; // −1 (all ones) iff c = c′, else 0
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++) out[i] = (kr[i]! & keep) | (rejected[i]! & ~keep);
    return out;
  },
};
