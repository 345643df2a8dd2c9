/**
 * The `sops-ts` command line: for now `decrypt` and `encrypt` (and sops's
 * legacy `-d`/`-e` forms) with sops's flags, messages and exit codes. The
 * full drop-in (edit, set, rotate, updatekeys, `.sops.yaml`) comes on top.
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ExitCode, SopsError } from '../errors.js';
import { SOPS_VERSION } from '../metadata.js';
import { splitRecipients } from '../keysources/age.js';
import { decryptToBytes, encryptToBytes, formatFromFileName } from '../sops.js';
import type { Format } from '../stores/store.js';
import { EnvAgeIdentity, type Env } from '../node/age-keys.js';
import { writeFileAtomic } from '../node/files.js';
import { findConfigFile, loadConfigFile, type LoadedConfig } from '../node/config.js';
import { creationRuleFor } from '../config.js';
import type { SelectionRules } from '../walk.js';

/** What the CLI writes to and reads from; injectable for tests. */
export interface CliIo {
  stdout: (data: Uint8Array | string) => void;
  stderr: (data: string) => void;
  env: Env;
  cwd: string;
}

class UsageError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = ExitCode.ErrorGeneric) {
    super(message);
    this.exitCode = exitCode;
  }
}

interface Parsed {
  command: 'decrypt' | 'encrypt' | 'version' | 'help';
  flags: Map<string, string[]>;
  bools: Set<string>;
  files: string[];
}

const VALUE_FLAGS = new Set([
  'age', 'a', 'input-type', 'output-type', 'output', 'encrypted-regex', 'unencrypted-regex', 'encrypted-suffix', 'unencrypted-suffix',
  'encrypted-comment-regex', 'unencrypted-comment-regex', 'indent', 'decryption-order', 'extract', 'config', 'filename-override',
  'shamir-secret-sharing-threshold',
]);
const BOOL_FLAGS = new Set(['ignore-mac', 'in-place', 'i', 'mac-only-encrypted', 'decrypt', 'd', 'encrypt', 'e', 'version', 'v', 'help', 'h', 'verbose', 'enable-local-keyservice', 'disable-version-check', 'check-for-updates']);

function parseArgs(argv: readonly string[]): Parsed {
  const flags = new Map<string, string[]>();
  const bools = new Set<string>();
  const files: string[] = [];
  let command: Parsed['command'] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      files.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a !== '-') {
      let name = a.replace(/^--?/, '');
      let value: string | undefined;
      const eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.slice(eq + 1);
        name = name.slice(0, eq);
      }
      if (VALUE_FLAGS.has(name)) {
        if (value === undefined) {
          if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: -${name}`);
          value = argv[++i]!;
        }
        const key = name === 'a' ? 'age' : name;
        flags.set(key, [...(flags.get(key) ?? []), value]);
      } else if (BOOL_FLAGS.has(name)) {
        bools.add(name);
      } else {
        throw new UsageError(`flag provided but not defined: -${name}`);
      }
      continue;
    }
    if (command === undefined && files.length === 0 && (a === 'decrypt' || a === 'encrypt')) {
      command = a;
      continue;
    }
    files.push(a);
  }
  if (command === undefined) {
    if (bools.has('d') || bools.has('decrypt')) command = 'decrypt';
    else if (bools.has('e') || bools.has('encrypt')) command = 'encrypt';
    else if (bools.has('version') || bools.has('v')) command = 'version';
    else command = 'help';
  }
  return { command, flags, bools, files };
}

const HELP = `NAME:
   sops-ts - sops, in TypeScript: encrypt and decrypt SOPS files

USAGE:
   sops-ts decrypt [--output FILE] [--input-type T] [--output-type T] [--ignore-mac] FILE
   sops-ts encrypt --age R1,R2 [--encrypted-regex RE | --unencrypted-regex RE | --encrypted-suffix S | --unencrypted-suffix S] [--mac-only-encrypted] FILE

   Formats: yaml, json, binary. Keys: age (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, ~/.config/sops/age/keys.txt).
`;

function one(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  return v === undefined ? undefined : v[v.length - 1];
}

/**
 * Input and output formats as sops's `FormatForPathOrString`: a known
 * `--input-type`/`--output-type` wins, anything else (even a misspelt
 * type) falls back to the file name.
 */
function formats(p: Parsed, file: string): { input: Format; output: Format } {
  const known = (t: string | undefined): Format | undefined => (t !== undefined && ['yaml', 'json', 'dotenv', 'ini', 'binary'].includes(t) ? (t as Format) : undefined);
  const input = known(one(p, 'input-type')) ?? formatFromFileName(file);
  const output = known(one(p, 'output-type')) ?? formatFromFileName(file);
  return { input, output };
}

/** The config for this run: `--config`, `SOPS_CONFIG`, or the nearest `.sops.yaml` (parsed on every command, as sops does). */
function configFor(p: Parsed, io: CliIo): LoadedConfig | undefined {
  const explicit = one(p, 'config') ?? io.env['SOPS_CONFIG'];
  if (explicit !== undefined && explicit !== '') return loadConfigFile(resolve(io.cwd, explicit));
  const found = findConfigFile(io.cwd);
  if (found.warning !== undefined) io.stderr(`[WARNING] ${found.warning}\n`);
  return found.path === undefined ? undefined : loadConfigFile(found.path);
}

/** `--indent`, else the config's `stores` indent for the output format. */
function indentOf(p: Parsed, config: LoadedConfig | undefined, output: Format): { indent?: number } {
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

function inputFile(p: Parsed, io: CliIo): { path: string; data: Uint8Array } {
  if (p.files.length === 0) throw new UsageError('Error: no file specified', ExitCode.NoFileSpecified);
  if (p.files.length > 1) throw new UsageError('Error: too many files specified', ExitCode.ErrorGeneric);
  const path = resolve(io.cwd, p.files[0]!);
  if (!existsSync(path)) throw new UsageError(`Error: cannot operate on non-existent file "${path}"`, ExitCode.NoFileSpecified);
  try {
    return { path, data: new Uint8Array(readFileSync(path)) };
  } catch (e) {
    throw new UsageError(`Error reading file: ${e instanceof Error ? e.message : String(e)}`, ExitCode.CouldNotReadInputFile);
  }
}

function emit(p: Parsed, io: CliIo, path: string, out: Uint8Array): void {
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

async function runDecrypt(p: Parsed, io: CliIo): Promise<void> {
  const { path, data } = inputFile(p, io);
  const f = formats(p, path);
  const config = configFor(p, io);
  const order = one(p, 'decryption-order') ?? io.env['SOPS_DECRYPTION_ORDER'];
  const decryptionOrder = order !== undefined && order !== '' ? order.split(',').map((s) => s.trim()) : undefined;
  if (decryptionOrder) {
    const seen = new Set<string>();
    for (const t of decryptionOrder) {
      if (seen.has(t)) throw new UsageError(`Duplicate decryption key type: ${t}`, ExitCode.DuplicateDecryptionKeyType);
      seen.add(t);
    }
  }
  const out = await decryptToBytes(data, {
    format: f.input,
    outputFormat: f.output,
    identities: [new EnvAgeIdentity(io.env)],
    ignoreMac: p.bools.has('ignore-mac'),
    outputStore: indentOf(p, config, f.output),
    onWarning: (m) => io.stderr(`[WARNING] ${m}\n`),
    ...(decryptionOrder ? { decryptionOrder } : {}),
  });
  emit(p, io, path, out);
}

async function runEncrypt(p: Parsed, io: CliIo): Promise<void> {
  const { path, data } = inputFile(p, io);
  const f = formats(p, path);
  // Key flags (and their environment variables) replace the config's keys;
  // the config is still read, and a config whose rules match nothing fails.
  const ageList = [...(p.flags.get('age') ?? [])];
  if (ageList.length === 0 && io.env['SOPS_AGE_RECIPIENTS']) ageList.push(io.env['SOPS_AGE_RECIPIENTS']);
  const config = configFor(p, io);
  const rule = config === undefined ? undefined : creationRuleFor(config.config, config.dir, path);
  const age = ageList.flatMap(splitRecipients);
  let keyGroups: string[][] = age.length > 0 ? [age] : [];
  if (age.length === 0 && rule !== undefined) {
    const other = rule.keyGroups.flat().find((k) => k.type !== 'age');
    if (other !== undefined) throw new UsageError(`${other.type} keys are not supported by sops-ts yet`, ExitCode.ErrorGeneric);
    keyGroups = rule.keyGroups.map((g) => g.map((k) => (k as { recipient: string }).recipient));
  }
  const thresholdFlag = one(p, 'shamir-secret-sharing-threshold');
  const shamirThreshold = thresholdFlag !== undefined ? Number(thresholdFlag) : rule?.shamirThreshold ?? 0;
  if (keyGroups.flat().length === 0) {
    throw new UsageError('config file not found, or has no creation rules, and no keys provided through command line options', ExitCode.ErrorGeneric);
  }
  // Command-line rules take precedence, field by field (sops getEncryptConfig).
  const fromConfig = rule?.rules ?? {};
  const rule_ = (flag: string, field: keyof Omit<SelectionRules, 'macOnlyEncrypted'>) => {
    const v = one(p, flag);
    return v !== undefined && v !== '' ? v : fromConfig[field];
  };
  const rules: SelectionRules = {
    encryptedRegex: rule_('encrypted-regex', 'encryptedRegex'),
    unencryptedRegex: rule_('unencrypted-regex', 'unencryptedRegex'),
    encryptedSuffix: rule_('encrypted-suffix', 'encryptedSuffix'),
    unencryptedSuffix: rule_('unencrypted-suffix', 'unencryptedSuffix'),
    encryptedCommentRegex: rule_('encrypted-comment-regex', 'encryptedCommentRegex'),
    unencryptedCommentRegex: rule_('unencrypted-comment-regex', 'unencryptedCommentRegex'),
  };
  const clean = Object.fromEntries(Object.entries(rules).filter(([, v]) => v !== undefined && v !== '')) as SelectionRules;
  if (Object.keys(clean).length > 1 && f.input !== 'binary') {
    throw new UsageError(
      'Error: cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex in the same file',
      ExitCode.ErrorConflictingParameters,
    );
  }
  const out = await encryptToBytes(data, {
    format: f.input,
    outputFormat: f.output,
    keyGroups,
    shamirThreshold,
    ...clean,
    macOnlyEncrypted: p.bools.has('mac-only-encrypted') || fromConfig.macOnlyEncrypted === true,
    outputStore: indentOf(p, config, f.output),
  });
  emit(p, io, path, out);
}

const ALREADY_ENCRYPTED = `The file you have provided contains a top-level entry called 'sops', or for
flat file formats top-level entries starting with 'sops_'. This is
generally due to the file already being encrypted. SOPS uses a top-level
entry called 'sops' to store the metadata required to decrypt the file. For
this reason, SOPS can not encrypt files that already contain such an entry.

If this is an unencrypted file, rename the 'sops' entry.

If this is an encrypted file and you want to edit it, use the editor mode,
for example: \`sops edit my_file.yaml\``;

const NOT_BINARY_HINT = 'This is likely not an encrypted binary file? If not, use --output-type to select the correct output type.';

/**
 * sops's wording and exit code for an error, as the Go CLI prints it: the
 * store's message with the command's prefix (`cmd/sops/decrypt.go`,
 * `encrypt.go`, `common.LoadEncryptedFile`).
 */
function errorText(e: SopsError, command: Parsed['command']): { text: string; exitCode: number } {
  if (e.code === 'ERR_ALREADY_ENCRYPTED') return { text: ALREADY_ENCRYPTED, exitCode: e.exitCode };
  if (e.stage === 'load') {
    // decrypt returns the loader's error as it is (exit 1); encrypt wraps it (exit 2).
    if (command === 'decrypt') return { text: e.message, exitCode: ExitCode.ErrorGeneric };
    return { text: `Error unmarshalling file: ${e.message}`, exitCode: ExitCode.CouldNotReadInputFile };
  }
  if (e.stage === 'emit') {
    if (command === 'decrypt') {
      const hint = e.message.startsWith('error emitting binary store:') ? `\n\n${NOT_BINARY_HINT}` : '';
      return { text: `Error dumping file: ${e.message}${hint}`, exitCode: ExitCode.ErrorDumpingTree };
    }
    return { text: `Could not marshal tree: ${e.message}`, exitCode: ExitCode.ErrorDumpingTree };
  }
  if ((e.code === 'ERR_DECRYPT_VALUE' || e.code === 'ERR_MALFORMED_VALUE') && e.message.startsWith('Error walking tree')) {
    return { text: `Error decrypting tree: ${e.message}`, exitCode: e.exitCode };
  }
  return { text: e.message, exitCode: e.exitCode };
}

/** Run the CLI; resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let command: Parsed['command'] = 'help';
  try {
    const p = parseArgs(argv);
    command = p.command;
    switch (p.command) {
      case 'version':
        io.stdout(`sops-ts ${SOPS_VERSION} (compatible with sops ${SOPS_VERSION})\n`);
        return 0;
      case 'help':
        io.stdout(HELP);
        return 0;
      case 'decrypt':
        await runDecrypt(p, io);
        return 0;
      case 'encrypt':
        await runEncrypt(p, io);
        return 0;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(e.message + '\n');
      return e.exitCode;
    }
    if (e instanceof SopsError) {
      const { text, exitCode } = errorText(e, command);
      io.stderr(text + '\n');
      return exitCode;
    }
    io.stderr(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
    return ExitCode.ErrorGeneric;
  }
}
