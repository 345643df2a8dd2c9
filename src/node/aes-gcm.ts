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
import { createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey, createSecretKey, diffieHellman, type KeyObject } from 'node:crypto';
import { AuthenticationError, setAesGcmProvider, setDigestProvider, type AesGcmKey, type DigestAlgorithm } from '../aes-gcm.js';
import { X25519_PKCS8_PREFIX, setAgeCryptoProvider, type AgeCryptoProvider } from '../keysources/age-core.js';

function bytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** A `node:crypto` AES-256-GCM key (any IV length, 16-byte tag), with synchronous forms. */
export function nodeAesGcmKey(key: Uint8Array): AesGcmKey {
  const k = createSecretKey(key);
  const sealSync = (iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array => {
    const c = createCipheriv('aes-256-gcm', k, iv, { authTagLength: 16 });
    c.setAAD(aad);
    const head = c.update(plaintext);
    c.final();
    const out = new Uint8Array(head.length + 16);
    out.set(head);
    out.set(c.getAuthTag(), head.length);
    return out;
  };
  const openSync = (iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array => {
    // WebCrypto's answers for what OpenSSL would refuse differently.
    if (iv.length === 0 || sealed.length < 16) throw new AuthenticationError();
    const d = createDecipheriv('aes-256-gcm', k, iv, { authTagLength: 16 });
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    try {
      const head = d.update(sealed.subarray(0, sealed.length - 16));
      d.final();
      return bytes(head);
    } catch {
      throw new AuthenticationError();
    }
  };
  return {
    seal: async (iv, plaintext, aad) => sealSync(iv, plaintext, aad),
    open: async (iv, sealed, aad) => openSync(iv, sealed, aad),
    sealSync,
    openSync,
  };
}

/** SHA-256/SHA-512 of the concatenation of `parts` on `node:crypto`. */
export function nodeDigest(algorithm: DigestAlgorithm, parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash(algorithm === 'SHA-512' ? 'sha512' : 'sha256');
  for (const p of parts) h.update(p);
  return bytes(h.digest());
}


/**
 * A raw X25519 private key as a KeyObject. The JWK form costs a tenth of
 * PKCS #8 DER (OpenSSL 3's decoders); its `x` (the public key, which Node
 * derives from `d` and does not read) is left empty, and if a Node version
 * checks it, the DER form is used instead.
 */
function x25519PrivateKey(scalar: Uint8Array): KeyObject {
  let k = privateKeys.get(scalar);
  if (k === undefined) privateKeys.set(scalar, (k = importX25519PrivateKey(scalar)));
  return k;
}

/**
 * Key objects of the scalars seen, by the scalar's array (an age identity
 * keeps its own), so a parsed identity is imported once; a WeakMap, so they
 * go with the identity.
 */
const privateKeys = new WeakMap<Uint8Array, KeyObject>();

function importX25519PrivateKey(scalar: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: Buffer.from(scalar).toString('base64url'), x: '' }, format: 'jwk' });
  } catch {
    return createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, scalar]), format: 'der', type: 'pkcs8' });
  }
}

/** age's X25519 and HMAC-SHA-256 on `node:crypto`: synchronous, no thread-pool round trips. */
export const nodeAgeCrypto: AgeCryptoProvider = {
  x25519(scalar, u) {
    const privateKey = x25519PrivateKey(scalar);
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(u).toString('base64url') }, format: 'jwk' });
    return bytes(diffieHellman({ privateKey, publicKey }));
  },
  hmacSha256(key, data) {
    return bytes(createHmac('sha256', key).update(data).digest());
  },
};

/**
 * Use `node:crypto` for every value, the MAC and age's X25519 and HMAC in
 * this process (`false`: back to WebCrypto): the same bytes, at a fraction of
 * the cost of Node's WebCrypto, whose every call is a thread-pool round trip.
 */
export function useNodeCrypto(on = true): void {
  setAesGcmProvider(on ? nodeAesGcmKey : undefined);
  setDigestProvider(on ? nodeDigest : undefined);
  setAgeCryptoProvider(on ? nodeAgeCrypto : undefined);
}
