/**
 * sops-ts: SOPS in TypeScript. Encrypt, decrypt and verify SOPS files
 * byte-compatibly with Go sops, in Node and in browsers.
 *
 * The root entry is I/O-free (strings and bytes in, strings and bytes out).
 * Files, environment variables and `.sops.yaml` live in `sops-ts/node`.
 *
 * @example
 * ```ts
 * import { encrypt, decrypt } from 'sops-ts';
 * const enc = await encrypt('password: hunter2\n', { format: 'yaml', age: ['age1…'] });
 * const yaml = await decrypt(enc, { format: 'yaml', ageIdentities: ['AGE-SECRET-KEY-1…'] });
 * ```
 * @module
 */
export {
  decrypt,
  decryptToBytes,
  decryptDocument,
  decryptToObject,
  encrypt,
  encryptToBytes,
  formatFromFileName,
  parseFormat,
  storeFor,
  type DecryptOptions,
  type DecryptedDocument,
  type EncryptOptions,
} from './sops.js';
export { Branch, Comment, SopsTime, isBranch, isList, toJS, type ToJSOptions, type Key, type List, type Scalar, type TreeBranches, type TreeItem, type Value } from './tree.js';
export { SopsError, MacMismatchError, NoDataKeyError, ExitCode, type SopsErrorCode, type SourcePosition } from './errors.js';
export { SOPS_VERSION, metadataFromTree, metadataToTree, type Metadata, type KeyGroup, type KeyType, type StoredKey, type AgeStoredKey } from './metadata.js';
export { getDataKey, storedKeyName, DEFAULT_DECRYPTION_ORDER, type MasterKeyIdentity, type MasterKeyRecipient, type GetDataKeyOptions } from './keysource.js';
export { AgeIdentity, AgeRecipient, parseAgeIdentities, splitRecipients } from './keysources/age.js';
export { ValueCipher, isEncryptedValue, parseEncryptedValue, type EncryptedValue, type Plaintext } from './cipher.js';
export { shouldBeEncrypted, prepareSelectionRules, type SelectionRules } from './walk.js';
export { compileRe2, type Re2Matcher } from './re2-lazy.js';
export type { Format, Store, StoreOptions } from './stores/store.js';
export { parseTreePath, formatTreePath, truncate, setValue, unsetValue, treeEquals, isItem, TreePathError, KeyNotFoundError, TreeOperationError, type PathComponent, type ExtractedItem } from './treepath.js';
export {
  rotateDocument,
  rewrapMetadata,
  editKeyGroups,
  loadEncrypted,
  emitEncrypted,
  diffKeyGroups,
  formatKeyGroupsDiff,
  environmentFrom,
  keyEntryName,
  type KeyEntry,
  type RotateOptions,
  type RewrapOptions,
  type EncryptedFile,
  type KeyGroupDiff,
} from './rekey.js';
