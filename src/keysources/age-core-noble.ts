/**
 * The pure-JS fallbacks of `age-core.ts`'s crypto helper (X25519 and
 * HMAC-SHA-256 through `@noble/*`), for platforms without WebCrypto's X25519
 * or HMAC. `age-core.ts` loads this module with a dynamic `import()`, so a
 * bundler puts it in its own chunk, fetched only when WebCrypto is missing.
 *
 * It is a module of its own, rather than `import('@noble/curves/ed25519.js')`
 * in `age-core.ts`, because a bundler cannot tree-shake a dynamically
 * imported namespace: that form would carry all of `ed25519.js` (Ed25519,
 * Ristretto, FROST, OPRF…) where only X25519 is needed.
 *
 * @module
 * @internal
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';

/** X25519(scalar, u), RFC 7748. Throws for a low-order `u` (an all-zero result). */
export function x25519ScalarMult(scalar: Uint8Array, u: Uint8Array): Uint8Array {
  return x25519.scalarMult(scalar, u);
}

/** HMAC-SHA-256. */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(sha256, key, data);
}
