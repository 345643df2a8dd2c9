/**
 * The pure-JS fallback of {@link digest} (`aes-gcm.ts`) for platforms without
 * WebCrypto's `digest`: a module of its own so a bundler puts `@noble/hashes`
 * in a chunk fetched only there.
 * @module
 * @internal
 */
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import type { DigestAlgorithm } from './aes-gcm.js';

/** SHA-256 or SHA-512 of the concatenation of `parts`. */
export function nobleDigest(algorithm: DigestAlgorithm, parts: readonly Uint8Array[]): Uint8Array {
  const h = (algorithm === 'SHA-512' ? sha512 : sha256).create();
  for (const p of parts) h.update(p);
  return h.digest();
}
