/**
 * Shamir secret sharing as sops does it (`shamir/shamir.go`, a fork of
 * HashiCorp Vault's): GF(2^8) with the AES polynomial x^8+x^4+x^3+x+1, one
 * random polynomial per secret byte, and each share laid out as
 * `[y_0 … y_n-1, x]`, with x = group index + 1 (sops ≥ 3.10; older releases
 * drew distinct random x values, which combine the same way).
 *
 * Used when a file has two or more key groups: each group wraps one share.
 *
 * @module
 */
import { SopsError } from './errors.js';

/** Multiplication in GF(2^8) mod 0x11B, by shift-and-add with no secret-dependent branches. */
function mult(a: number, b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) {
    r ^= -(b & 1) & a;
    const hi = -((a >> 7) & 1) & 0x1b;
    a = ((a << 1) ^ hi) & 0xff;
    b >>= 1;
  }
  return r;
}

/** a^254 = a^-1 (0 for 0). */
function inverse(a: number): number {
  let b = mult(a, a); // a^2
  let c = mult(a, b); // a^3
  b = mult(c, c); // a^6
  b = mult(b, b); // a^12
  c = mult(b, c); // a^15
  b = mult(b, b); // a^24
  b = mult(b, b); // a^48
  b = mult(b, c); // a^63
  b = mult(b, b); // a^126
  b = mult(a, b); // a^127
  return mult(b, b); // a^254
}

function shamirError(msg: string): SopsError {
  return new SopsError('ERR_NO_DATA_KEY', `could not get data key from shamir parts: ${msg}`);
}

/**
 * Split `secret` into `parts` shares, any `threshold` of which recover it
 * (sops `shamir.Split`). `random` supplies the polynomial coefficients.
 */
export function split(secret: Uint8Array, parts: number, threshold: number, random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n))): Uint8Array[] {
  if (parts < threshold) throw new SopsError('ERR_ENCRYPT', 'parts cannot be less than threshold');
  if (parts > 255) throw new SopsError('ERR_ENCRYPT', 'parts cannot exceed 255');
  if (threshold < 2) throw new SopsError('ERR_ENCRYPT', 'threshold must be at least 2');
  if (threshold > 255) throw new SopsError('ERR_ENCRYPT', 'threshold cannot exceed 255');
  if (secret.length === 0) throw new SopsError('ERR_ENCRYPT', 'cannot split an empty secret');
  const out = Array.from({ length: parts }, (_, i) => {
    const s = new Uint8Array(secret.length + 1);
    s[secret.length] = i + 1;
    return s;
  });
  for (let idx = 0; idx < secret.length; idx++) {
    const coeffs = random(threshold - 1);
    for (let i = 0; i < parts; i++) {
      const x = i + 1;
      // Horner: intercept + x*(c1 + x*(c2 + …))
      let y = 0;
      for (let d = coeffs.length - 1; d >= 0; d--) y = mult(y, x) ^ coeffs[d]!;
      out[i]![idx] = mult(y, x) ^ secret[idx]!;
    }
  }
  return out;
}

/** Recover a secret from two or more shares (sops `shamir.Combine`): Lagrange interpolation at 0. */
export function combine(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length < 2) throw shamirError('less than two parts cannot be used to reconstruct the secret');
  const len = parts[0]!.length;
  if (len < 2) throw shamirError('parts must be at least two bytes');
  const xs: number[] = [];
  for (const p of parts) {
    if (p.length !== len) throw shamirError('all parts must be the same length');
    const x = p[len - 1]!;
    if (xs.includes(x)) throw shamirError('duplicate part detected');
    xs.push(x);
  }
  // Basis values at 0: prod_{j≠i} x_j / (x_i ^ x_j).
  const basis = xs.map((xi, i) => {
    let b = 1;
    for (let j = 0; j < xs.length; j++) {
      if (j === i) continue;
      b = mult(b, mult(xs[j]!, inverse(xi ^ xs[j]!)));
    }
    return b;
  });
  const secret = new Uint8Array(len - 1);
  for (let idx = 0; idx < len - 1; idx++) {
    let v = 0;
    for (let i = 0; i < parts.length; i++) v ^= mult(parts[i]![idx]!, basis[i]!);
    secret[idx] = v;
  }
  return secret;
}
