/**
 * The interface every store (format) implements, as sops's `sops.Store`.
 *
 * A store only moves bytes to and from the {@link TreeBranches} tree. It knows
 * nothing of encryption: an encrypted file is a plaintext tree whose values
 * happen to be `ENC[...]` strings, plus the `sops` metadata, which the store
 * carries as a generic {@link Branch} (keys already in the order they are
 * written; see `metadata.ts`).
 *
 * @module
 */
import type { Branch, TreeBranches, Value } from '../tree.js';

/** The five formats sops knows. */
export type Format = 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary';

/** Options common to stores. */
export interface StoreOptions {
  /**
   * Indentation. YAML: spaces per level, 0 or unset → 4, values outside 2..9 → 2.
   * JSON: -1 or unset → one tab per level, 0 → newlines without indentation, N → N spaces.
   * Default: the format's sops default.
   */
  indent?: number;
}

/** An encrypted file as a store reads it. */
export interface EncryptedFileParts {
  /** The data, with the `sops` key removed from every branch. */
  branches: TreeBranches;
  /** The `sops` metadata map of branch 0, as a generic tree. */
  metadata: Branch;
}

/** A store: parse and emit one format byte-for-byte as sops does. */
export interface Store {
  readonly format: Format;
  /** Parse a plaintext file (sops `LoadPlainFile`). */
  loadPlainFile(data: string | Uint8Array): TreeBranches;
  /** Emit a plaintext file (sops `EmitPlainFile`). */
  emitPlainFile(branches: TreeBranches): string | Uint8Array;
  /** Parse an encrypted file (sops `LoadEncryptedFile`); throws `SopsError` code `METADATA_NOT_FOUND` when there is no `sops` entry. */
  loadEncryptedFile(data: string | Uint8Array): EncryptedFileParts;
  /** Emit an encrypted file: the data with `sops: metadata` appended as the last key of every branch (YAML) or of branch 0. */
  emitEncryptedFile(branches: TreeBranches, metadata: Branch): string | Uint8Array;
  /**
   * Whether plaintext branches already carry sops metadata (a top-level
   * `sops` key; for dotenv, keys starting `sops_`), so encrypting must refuse
   * them. Default when absent: a top-level `sops` key in any branch.
   */
  hasMetadata?(branches: TreeBranches): boolean;
  /** Emit one value as `--extract` does for non-string values (sops `EmitValue`). */
  emitValue(value: Value): string | Uint8Array;
}
