/**
 * Errors with stable codes. Every failure the library reports on bad input is
 * a {@link SopsError}; its `code` is stable and its `exitCode` is the exit code
 * the Go `sops` CLI uses for the same failure (`cmd/sops/codes/codes.go`).
 *
 * Messages never contain a secret value: only key paths, positions, lengths
 * and the names of things.
 *
 * @module
 */

/** sops's exit codes, by name (`cmd/sops/codes/codes.go`). */
export const ExitCode = {
  ErrorGeneric: 1,
  CouldNotReadInputFile: 2,
  CouldNotWriteOutputFile: 3,
  ErrorDumpingTree: 4,
  ErrorReadingConfig: 5,
  ErrorInvalidKMSEncryptionContextFormat: 6,
  ErrorInvalidSetFormat: 7,
  ErrorConflictingParameters: 8,
  ErrorEncryptingMac: 21,
  ErrorEncryptingTree: 23,
  ErrorDecryptingMac: 24,
  ErrorDecryptingTree: 25,
  CannotChangeKeysFromNonExistentFile: 49,
  MacMismatch: 51,
  MacNotFound: 52,
  ConfigFileNotFound: 61,
  KeyboardInterrupt: 85,
  InvalidTreePathFormat: 91,
  NeedAtLeastOneDocument: 92,
  NoFileSpecified: 100,
  NoEncryptionKeyFound: 111,
  DuplicateDecryptionKeyType: 112,
  CouldNotRetrieveKey: 128,
  FileHasNotBeenModified: 200,
  NoEditorFound: 201,
  FailedToCompareVersions: 202,
  FileAlreadyEncrypted: 203,
} as const;

/** The stable error codes of sops-ts. */
export type SopsErrorCode =
  /** The input could not be parsed in its format (YAML/JSON syntax, unsupported top level). */
  | 'ERR_PARSE'
  /** The file has no `sops` metadata: it is not encrypted. */
  | 'ERR_METADATA_NOT_FOUND'
  /** The `sops` metadata is present but malformed (bad type, bad time, no keys). */
  | 'ERR_METADATA_INVALID'
  /** A value is not a well-formed `ENC[AES256_GCM,...]` string. */
  | 'ERR_MALFORMED_VALUE'
  /** AES-GCM authentication of a value failed: wrong key, tampering, or a value moved to another key. */
  | 'ERR_DECRYPT_VALUE'
  /** The MAC could not be decrypted or does not match the values. */
  | 'ERR_MAC_MISMATCH'
  /** No master key could unwrap the data key. */
  | 'ERR_NO_DATA_KEY'
  /** No identity or recipient is available. */
  | 'ERR_NO_KEY'
  /** A recipient or identity string is malformed. */
  | 'ERR_INVALID_KEY'
  /** The file already has a top-level `sops` entry. */
  | 'ERR_ALREADY_ENCRYPTED'
  /** The tree cannot be encrypted (non-string key, conflicting rules, empty document list). */
  | 'ERR_ENCRYPT'
  /** The tree cannot be emitted in the requested format. */
  | 'ERR_EMIT'
  /** Conflicting options. */
  | 'ERR_CONFLICTING_PARAMETERS'
  /** The input is larger or deeper than the configured limits. */
  | 'ERR_LIMIT'
  /** `.sops.yaml` cannot be read, or has no rule for the file. */
  | 'ERR_CONFIG'
  /** The format is not known or not supported by this build. */
  | 'ERR_UNSUPPORTED_FORMAT';

const defaultExit: Record<SopsErrorCode, number> = {
  ERR_PARSE: ExitCode.CouldNotReadInputFile,
  ERR_METADATA_NOT_FOUND: ExitCode.ErrorGeneric,
  ERR_METADATA_INVALID: ExitCode.CouldNotReadInputFile,
  ERR_MALFORMED_VALUE: ExitCode.ErrorDecryptingTree,
  ERR_DECRYPT_VALUE: ExitCode.ErrorDecryptingTree,
  ERR_MAC_MISMATCH: ExitCode.MacMismatch,
  ERR_NO_DATA_KEY: ExitCode.CouldNotRetrieveKey,
  ERR_NO_KEY: ExitCode.NoEncryptionKeyFound,
  ERR_INVALID_KEY: ExitCode.ErrorGeneric,
  ERR_ALREADY_ENCRYPTED: ExitCode.FileAlreadyEncrypted,
  ERR_ENCRYPT: ExitCode.ErrorEncryptingTree,
  ERR_EMIT: ExitCode.ErrorDumpingTree,
  ERR_CONFLICTING_PARAMETERS: ExitCode.ErrorConflictingParameters,
  ERR_LIMIT: ExitCode.CouldNotReadInputFile,
  ERR_UNSUPPORTED_FORMAT: ExitCode.ErrorGeneric,
  ERR_CONFIG: ExitCode.ErrorGeneric,
};

/** Where in the input a parse error was found (1-based). */
export interface SourcePosition {
  line: number;
  column: number;
}

/** Options of {@link SopsError}. */
export interface SopsErrorOptions {
  cause?: unknown;
  /** Override the exit code derived from the error code. */
  exitCode?: number;
  position?: SourcePosition;
  /** The map keys leading to the value concerned (never the value). */
  keyPath?: readonly string[];
  /** Which step failed: reading the input file, or writing the output. */
  stage?: 'load' | 'emit';
}

/**
 * The one error class of sops-ts. `code` is stable; `message` is for people
 * and follows sops's wording where sops has one.
 */
export class SopsError extends Error {
  override name = 'SopsError';
  readonly code: SopsErrorCode;
  /** The exit code Go sops uses for this failure. */
  readonly exitCode: number;
  readonly position: SourcePosition | undefined;
  /** The map keys leading to the value concerned, when there is one. */
  readonly keyPath: readonly string[] | undefined;
  /** Which step failed, when it was reading the input or writing the output. */
  stage: 'load' | 'emit' | undefined;
  constructor(code: SopsErrorCode, message: string, options: SopsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exitCode = options.exitCode ?? defaultExit[code];
    this.position = options.position;
    this.keyPath = options.keyPath;
    this.stage = options.stage;
  }
}

/** The MAC did not match (sops exit code 51). */
export class MacMismatchError extends SopsError {
  override name = 'MacMismatchError';
  constructor(message: string, options: SopsErrorOptions = {}) {
    super('ERR_MAC_MISMATCH', message, options);
  }
}

/** No master key could unwrap the data key (sops exit code 128). */
export class NoDataKeyError extends SopsError {
  override name = 'NoDataKeyError';
  constructor(message: string, options: SopsErrorOptions = {}) {
    super('ERR_NO_DATA_KEY', message, options);
  }
}

/** Run a store step, marking a `SopsError` it throws with the step. @internal */
export function atStage<T>(stage: 'load' | 'emit', f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SopsError && e.stage === undefined) e.stage = stage;
    throw e;
  }
}
