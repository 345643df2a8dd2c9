/**
 * The binary store: any file, kept whole as the one value `data`, as Go sops
 * 3.13.3's `json.BinaryStore` (`stores/json/store.go`). The encrypted form is
 * a JSON file `{"data": "ENC[…]", "sops": {…}}` written by the JSON store with
 * the `json_binary` indentation.
 *
 * @module
 */
import { fromUtf8, utf8 } from '../encoding.js';
import { SopsError } from '../errors.js';
import { Branch } from '../tree.js';
import type { TreeBranches, Value } from '../tree.js';
import { JsonStore } from './json.js';
import type { JsonStoreOptions } from './json.js';
import type { EncryptedFileParts, Format, Store } from './store.js';

/**
 * The binary store, byte-compatible with Go sops 3.13.3's `BinaryStore`.
 *
 * Plain load keeps the input's exact bytes as the value `data`: Go keeps them
 * as a Go string (no base64, no UTF-8 check). Here the value is a JS `string`
 * when the input is a string or valid UTF-8 bytes, and a `Uint8Array` of the
 * raw bytes otherwise, so that every input survives encrypt → decrypt byte for
 * byte (both are encrypted as `type:str` over the same bytes).
 *
 * @example
 * ```ts
 * const store = new BinaryStore();
 * const branches = store.loadPlainFile(new Uint8Array([0xff, 0x00, 0x41]));
 * store.emitPlainFile(branches); // Uint8Array [0xff, 0x00, 0x41]
 * ```
 */
export class BinaryStore implements Store {
  readonly format: Format = 'binary';
  readonly #json: JsonStore;

  /** `options.indent` is sops's `stores.json_binary.indent`. Default: `-1` (tab). */
  constructor(options: JsonStoreOptions = {}) {
    this.#json = new JsonStore(options);
  }

  /** The whole input as one item `data` (sops `BinaryStore.LoadPlainFile`). Never fails. */
  loadPlainFile(data: string | Uint8Array): TreeBranches {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw new TypeError('data must be a string or a Uint8Array');
    // fromUtf8 keeps a leading U+FEFF: the bytes must come back unchanged.
    const value = typeof data === 'string' ? data : (fromUtf8(data) ?? Uint8Array.from(data));
    return [new Branch([{ key: 'data', value }])];
  }

  /**
   * The exact bytes of the first `data` item, with nothing added (sops
   * `BinaryStore.EmitPlainFile`). `ERR_EMIT` with sops's messages when there
   * is not exactly one branch, no `data` item, or a `data` that is not a string.
   */
  emitPlainFile(branches: TreeBranches): Uint8Array {
    if (branches.length !== 1) {
      throw new SopsError('ERR_EMIT', 'error emitting binary store: there must be exactly one tree branch');
    }
    for (const item of branches[0]!.items) {
      if (item.key !== 'data') continue;
      // Go: the first `data` item decides; `item.Value.(string)`.
      if (typeof item.value === 'string') return utf8(item.value);
      if (item.value instanceof Uint8Array) return Uint8Array.from(item.value);
      throw new SopsError('ERR_EMIT', "error emitting binary store: 'data' key in tree does not have a string value");
    }
    throw new SopsError('ERR_EMIT', 'error emitting binary store: no binary data found in tree');
  }

  /** An encrypted binary file is a JSON file (sops delegates to the JSON store). */
  loadEncryptedFile(data: string | Uint8Array): EncryptedFileParts {
    return this.#json.loadEncryptedFile(data);
  }

  /** An encrypted binary file is a JSON file, indented per `json_binary.indent`. */
  emitEncryptedFile(branches: TreeBranches, metadata: Branch): string {
    return this.#json.emitEncryptedFile(branches, metadata);
  }

  /** Always fails, as in sops: a binary file has no structure to extract from. */
  emitValue(_value: Value): never {
    throw new SopsError('ERR_EMIT', 'Binary files are not structured and extracting a single value is not possible');
  }
}
