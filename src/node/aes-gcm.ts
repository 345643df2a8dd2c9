/**
 * AES-256-GCM on `node:crypto` for the core's value cipher: the same bytes as
 * WebCrypto, at a fraction of the per-call cost (a file has one call per
 * value). The CLI turns it on; library users call {@link useNodeCrypto}.
 *
 * @example
 * ```ts
 * import { useNodeCrypto } from 'sops-ts/node';
 * useNodeCrypto(); // every decrypt/encrypt of this process uses node:crypto for values
 * ```
 * @module
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { AuthenticationError, setAesGcmProvider, setDigestProvider, type AesGcmKey, type DigestAlgorithm } from '../aes-gcm.js';

function bytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** A `node:crypto` AES-256-GCM key (any IV length, 16-byte tag). */
export function nodeAesGcmKey(key: Uint8Array): AesGcmKey {
  const k = Buffer.from(key);
  return {
    async seal(iv, plaintext, aad) {
      const c = createCipheriv('aes-256-gcm', k, iv, { authTagLength: 16 });
      c.setAAD(aad);
      return bytes(Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]));
    },
    async open(iv, sealed, aad) {
      // WebCrypto's answers for what OpenSSL would refuse differently.
      if (iv.length === 0 || sealed.length < 16) throw new AuthenticationError();
      const d = createDecipheriv('aes-256-gcm', k, iv, { authTagLength: 16 });
      d.setAAD(aad);
      d.setAuthTag(sealed.subarray(sealed.length - 16));
      try {
        return bytes(Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]));
      } catch {
        throw new AuthenticationError();
      }
    },
  };
}

/** SHA-256/SHA-512 of the concatenation of `parts` on `node:crypto`. */
export function nodeDigest(algorithm: DigestAlgorithm, parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash(algorithm === 'SHA-512' ? 'sha512' : 'sha256');
  for (const p of parts) h.update(p);
  return bytes(h.digest());
}

/** Use `node:crypto` for every value and the MAC of this process (`false`: back to WebCrypto). */
export function useNodeCrypto(on = true): void {
  setAesGcmProvider(on ? nodeAesGcmKey : undefined);
  setDigestProvider(on ? nodeDigest : undefined);
}
