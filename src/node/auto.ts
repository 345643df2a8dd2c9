/**
 * The root entry (`sops-ts`) as Node resolves it (the `node` export
 * condition): the same API as the universal core (`src/index.ts`), with
 * `node:crypto` switched on for values, the MAC and age's X25519/HMAC
 * ({@link useNodeCrypto}). In Node each WebCrypto call is a thread-pool
 * round trip, which makes a small file's decrypt several times slower; the
 * bytes are the same either way. Browsers and bundlers targeting them get
 * `dist/index.js`, which never touches `node:`.
 * @module
 */
import { useNodeCrypto } from './aes-gcm.js';

export * from '../index.js';

useNodeCrypto();
