/**
 * What every `sops-ts` command shares: the parsed arguments, the I/O seam,
 * usage errors with sops's exit codes, and the config/format/output helpers.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { warn, warnExtraArguments } from './log.js';
import { readFileGo } from '../node/files.js';
import { ExitCode } from '../errors.js';
import { formatFromFileName } from '../sops.js';
import type { Format } from '../stores/store.js';
import type { Env } from '../node/age-keys.js';
import { writeFileAtomic } from '../node/files.js';
import { findConfigFile, loadConfigFile, type LoadedConfig } from '../node/config.js';

/** What the CLI writes to and reads from; injectable for tests. */
export interface CliIo {
  stdout: (data: Uint8Array | string) => void;
  stderr: (data: string) => void;
  env: Env;
  cwd: string;
  /** Standard input, for `-`/`/dev/stdin` and `--value-stdin`. Default: none. */
  stdin?: () => Promise<Uint8Array>;
}

/** An error the CLI reports as it is, with sops's exit code. */
export class UsageError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = ExitCode.ErrorGeneric) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The command line, parsed: the command, its flags (by long name) and its positional arguments. */
export interface Parsed {
  command: string;
  flags: Map<string, string[]>;
  bools: Set<string>;
  files: string[];
  /** The legacy form (`sops -e FILE`, `sops FILE`), not a subcommand: sops's app action differs in places. */
  legacy?: boolean;
}

/** A command: its flags (long names; `aliases` maps short to long) and what it does. Resolves to the exit code. */
export interface Command {
  valueFlags?: readonly string[];
  boolFlags?: readonly string[];
  run(p: Parsed, io: CliIo): Promise<number>;
}

/** The last value of a flag. */
export function one(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  return v === undefined ? undefined : v[v.length - 1];
}

/**
 * Input and output formats as sops's `FormatForPathOrString`: a known
 * `--input-type`/`--output-type` wins, anything else (even a misspelt
 * type) falls back to the file name.
 */
export function formats(p: Parsed, file: string): { input: Format; output: Format } {
  const known = (t: string | undefined): Format | undefined => (t !== undefined && ['yaml', 'json', 'dotenv', 'ini', 'binary'].includes(t) ? (t as Format) : undefined);
  const input = known(one(p, 'input-type')) ?? formatFromFileName(file);
  const output = known(one(p, 'output-type')) ?? formatFromFileName(file);
  return { input, output };
}

/** The config for this run: `--config`, `SOPS_CONFIG`, or the nearest `.sops.yaml` (parsed on every command, as sops does). */
export function configFor(p: Parsed, io: CliIo): LoadedConfig | undefined {
  const explicit = one(p, 'config') ?? io.env['SOPS_CONFIG'];
  if (explicit !== undefined && explicit !== '') return loadConfigFile(resolve(io.cwd, explicit));
  const found = findConfigFile(io.cwd);
  if (found.warning !== undefined) warn(io, found.warning);
  return found.path === undefined ? undefined : loadConfigFile(found.path);
}

/** `--indent`, else the config's `stores` indent for the output format. */
export function indentOf(p: Parsed, config: LoadedConfig | undefined, output: Format): { indent?: number } {
  const v = one(p, 'indent');
  if (v !== undefined) {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new UsageError(`invalid value "${v}" for flag -indent: parse error`);
    return { indent: n };
  }
  const stores = config?.config.stores;
  if (stores === undefined) return {};
  const n = output === 'yaml' ? stores.yaml.indent : output === 'json' ? stores.json.indent : output === 'binary' ? stores.jsonBinary.indent : 0;
  return n === 0 ? {} : { indent: n };
}

/** The file a command works on, as sops's `decrypt`/`encrypt` preamble resolves it. */
export interface InputFile {
  /** Absolute path of the file; `''` when the input is standard input. */
  path: string;
  /** The path that picks formats and the creation rule: `--filename-override` (made absolute) or `path`. */
  configPath: string;
  /** The file's bytes. */
  data: Uint8Array;
}

/**
 * Resolve and read the input file as sops's `decrypt` and `encrypt` do:
 * no file means standard input (`encrypt` then needs
 * `--filename-override`, and neither allows `--in-place`); more than one
 * file warns that only the first is used; `--in-place` with `--output`
 * conflicts; a missing file is exit 100. `/dev/stdin` works as any path.
 */
export async function inputFile(p: Parsed, io: CliIo, mode: 'decrypt' | 'encrypt'): Promise<InputFile> {
  const fromStdin = p.files.length === 0;
  const inPlace = p.bools.has('in-place') || p.bools.has('i');
  if (fromStdin) {
    if (inPlace) throw new UsageError('Error: cannot use --in-place when reading from stdin', ExitCode.ErrorConflictingParameters);
    if (mode === 'encrypt' && (one(p, 'filename-override') ?? '') === '') {
      throw new UsageError('Error: must specify --filename-override when reading from stdin', ExitCode.ErrorConflictingParameters);
    }
  }
  warnExtraArguments(p, io);
  if (inPlace && (one(p, 'output') ?? '') !== '') throw new UsageError('Error: cannot operate on both --output and --in-place', ExitCode.ErrorConflictingParameters);
  const path = fromStdin ? '' : resolve(io.cwd, p.files[0]!);
  if (!fromStdin && !existsSync(path)) throw new UsageError(`Error: cannot operate on non-existent file "${path}"`, ExitCode.NoFileSpecified);
  const override = one(p, 'filename-override') ?? '';
  const configPath = override === '' ? path : resolve(io.cwd, override);
  let data: Uint8Array;
  try {
    // `/dev/stdin` is standard input: read through the injected reader when there is one.
    data = fromStdin || (path === '/dev/stdin' && io.stdin !== undefined) ? await readStdin(io) : readFileGo(path);
  } catch (e) {
throw new UsageError(`Error reading file: ${e instanceof Error ? e.message : String(e)}`, ExitCode.CouldNotReadInputFile);
  }
  return { path, configPath, data };
}

/** All of standard input: the injected reader, else file descriptor 0. */
export async function readStdin(io: CliIo): Promise<Uint8Array> {
  if (io.stdin !== undefined) return io.stdin();
  return new Uint8Array(readFileSync(0));
}

export function emit(p: Parsed, io: CliIo, path: string, out: Uint8Array): void {
  const output = one(p, 'output');
  if (p.bools.has('in-place') || p.bools.has('i')) {
    writeFileAtomic(path, out);
    return;
  }
  if (output !== undefined) {
    try {
      writeFileAtomic(resolve(io.cwd, output), out);
    } catch (e) {
      throw new UsageError(`Could not open output file for writing: ${e instanceof Error ? e.message : String(e)}`, ExitCode.CouldNotWriteOutputFile);
    }
    return;
  }
  io.stdout(out);
}


/**
 * `--decryption-order` / `SOPS_DECRYPTION_ORDER` (sops `decryptionOrder`):
 * split on `,` without trimming, a duplicate refused with exit 112.
 */
export function decryptionOrderOf(p: Parsed, io: CliIo): string[] | undefined {
  const order = one(p, 'decryption-order') ?? io.env['SOPS_DECRYPTION_ORDER'];
  if (order === undefined || order === '') return undefined;
  const list = order.split(',');
  const seen = new Set<string>();
  for (const t of list) {
    if (seen.has(t)) throw new UsageError(`Duplicate decryption key type: ${t}`, ExitCode.DuplicateDecryptionKeyType);
    seen.add(t);
  }
  return list;
}

/** sops's text for a file that already has a top-level `sops` entry (exit 203). */
export const ALREADY_ENCRYPTED = `The file you have provided contains a top-level entry called 'sops', or for
flat file formats top-level entries starting with 'sops_'. This is
generally due to the file already being encrypted. SOPS uses a top-level
entry called 'sops' to store the metadata required to decrypt the file. For
this reason, SOPS can not encrypt files that already contain such an entry.

If this is an unencrypted file, rename the 'sops' entry.

If this is an encrypted file and you want to edit it, use the editor mode,
for example: \`sops edit my_file.yaml\``;
