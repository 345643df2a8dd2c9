/**
 * The `sops-ts` command line: sops's commands, flags, messages and exit
 * codes. Each command lives in `commands/`; this module parses the command
 * line and turns errors into sops's wording.
 *
 * @module
 */
import { ExitCode, SopsError } from '../errors.js';
import { SOPS_VERSION } from '../metadata.js';
import { ALREADY_ENCRYPTED, UsageError, type CliIo, type Command, type Parsed } from './common.js';
import { COMMANDS } from './commands/index.js';
import { useNodeCrypto } from '../node/aes-gcm.js';

export type { CliIo } from './common.js';

/** Flags every command accepts (sops's global flags), long names. */
const GLOBAL_VALUE_FLAGS = ['config', 'indent'];
const GLOBAL_BOOL_FLAGS = ['verbose', 'mac-only-encrypted', 'enable-local-keyservice', 'disable-version-check', 'check-for-updates', 'help', 'version'];
/** Short forms. */
const ALIASES: Record<string, string> = { d: 'decrypt', e: 'encrypt', i: 'in-place', r: 'rotate', s: 'show-master-keys', h: 'help', v: 'version', a: 'age', p: 'pgp', k: 'kms' };
/** The legacy forms: `sops -d FILE` is `sops decrypt FILE`, `sops --set 'PATH VALUE' FILE` is `sops set`, and so on. */
const LEGACY_BOOL = ['decrypt', 'encrypt', 'rotate'];
const LEGACY_VALUE = ['set'];

/**
 * urfave/cli v1 `reorderArgs`: a subcommand's own flags (and the argument
 * after each one written without `=`, whatever kind the flag is) move before
 * the other arguments, in order; `--` and what follows stay last. So
 * `decrypt FILE --output X` works, `set FILE PATH -5` keeps `-5` as the
 * value, and `decrypt --ignore-mac FILE --output X` ignores `--output`
 * (the file travelled with `--ignore-mac`), exactly as sops.
 */
export function reorderArgs(args: readonly string[], isOwnFlag: (name: string) => boolean): string[] {
  const isFlag = (a: string) => {
    if (a === '-' || a === '--' || !a.startsWith('-')) return false;
    let n = a.startsWith('--') ? a.slice(2) : a.slice(1);
    n = n.split('=')[0]!;
    return isOwnFlag(n);
  };
  const reordered: string[] = [];
  let remaining: string[] = [];
  let mayBeValue = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (mayBeValue && !isFlag(a)) {
      mayBeValue = false;
      reordered.push(a);
    } else if (a === '--') {
      remaining = ['--', ...remaining, ...args.slice(i + 1)];
      break;
    } else if (isFlag(a)) {
      reordered.push(a);
      mayBeValue = !a.includes('=');
    } else {
      remaining.push(a);
    }
  }
  return [...reordered, ...remaining];
}

function parseArgs(argv: readonly string[]): Parsed {
  // The command is the first positional argument that names one.
  let command: string | undefined;
  let commandAt = -1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a.startsWith('-') && a !== '-') {
      // A global flag's value is not the command: `sops --config F encrypt X`.
      const name = ALIASES[a.replace(/^--?/, '')] ?? a.replace(/^--?/, '');
      if (!name.includes('=') && (GLOBAL_VALUE_FLAGS.includes(name) || LEGACY_VALUE.includes(name))) i++;
      continue;
    }
    if (Object.hasOwn(COMMANDS, a)) {
      command = a;
      commandAt = i;
    }
    break;
  }
  const known = (name: string) => {
    const cmds = command !== undefined ? [COMMANDS[command]!] : Object.values(COMMANDS);
    const value = GLOBAL_VALUE_FLAGS.includes(name) || (command === undefined && LEGACY_VALUE.includes(name)) || cmds.some((c: Command) => c.valueFlags?.includes(name));
    const bool = GLOBAL_BOOL_FLAGS.includes(name) || (command === undefined && LEGACY_BOOL.includes(name)) || cmds.some((c: Command) => c.boolFlags?.includes(name));
    return value ? 'value' : bool ? 'bool' : undefined;
  };
  const flags = new Map<string, string[]>();
  const bools = new Set<string>();
  const files: string[] = [];
  // A subcommand's arguments are reordered first, as urfave/cli v1 does.
  let args: readonly string[] = argv;
  if (command !== undefined) {
    const cmd = COMMANDS[command]!;
    const own = (name: string) => cmd.valueFlags?.includes(name) || cmd.boolFlags?.includes(name);
    let tail = argv.slice(commandAt + 1);
    const sub = command === 'groups' && (tail[0] === 'add' || tail[0] === 'delete') ? tail.slice(0, 1) : [];
    tail = tail.slice(sub.length);
    args = [...argv.slice(0, commandAt), ...sub, ...reorderArgs(tail, (n) => own(ALIASES[n] ?? n) === true)];
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      files.push(...args.slice(i + 1));
      break;
    }
    // Go's flag package stops at the first positional argument: what
    // follows it is positional too (sops then warns that it was ignored).
    const sub = command === 'groups' && (files[0] === 'add' || files[0] === 'delete') ? 1 : 0;
    if (files.length <= sub && a.startsWith('-') && a !== '-') {
      let name = a.replace(/^--?/, '');
      let value: string | undefined;
      const eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.slice(eq + 1);
        name = name.slice(0, eq);
      }
      name = ALIASES[name] ?? name;
      const kind = known(name);
      if (kind === 'value') {
        if (value === undefined) {
          if (i + 1 >= args.length) throw new UsageError(`flag needs an argument: -${name}`);
          value = args[++i]!;
        }
        flags.set(name, [...(flags.get(name) ?? []), value]);
      } else if (kind !== undefined) {
        bools.add(name);
      } else {
        throw new UsageError(`flag provided but not defined: -${name}`);
      }
      continue;
    }
    files.push(a);
  }
  const legacyForm = command === undefined;
  if (command === undefined) {
    // The legacy forms need a file (sops's app action: exit 100 before anything else).
    const legacy = bools.has('decrypt') || bools.has('encrypt') || bools.has('rotate') || flags.has('set') || flags.has('extract');
    if (legacy && files.length === 0 && !bools.has('help')) throw new UsageError('Error: no file specified', ExitCode.NoFileSpecified);
    if (bools.has('decrypt')) command = 'decrypt';
    else if (bools.has('encrypt')) command = 'encrypt';
    else if (bools.has('rotate')) command = 'rotate';
    else if (flags.has('set')) command = 'set';
    else if (flags.has('extract')) command = 'decrypt';
    else if (bools.has('version')) command = 'version';
    else if (files.length > 0 && Object.hasOwn(COMMANDS, 'edit')) command = 'edit';
    else command = 'help';
  }
  return { command, flags, bools, files, ...(legacyForm ? { legacy: true } : {}) };
}

const HELP = `NAME:
   sops-ts - sops, in TypeScript: encrypt, decrypt and edit SOPS files

USAGE:
   sops-ts [global options] command [command options] [arguments...]

COMMANDS:
   decrypt     decrypt a file, and output the results to stdout
   encrypt     encrypt a file, and output the results to stdout
   edit        edit an encrypted file (also: sops-ts FILE)
   set         set a specific key or branch in the input document
   unset       unset a specific key or branch in the input document
   rotate      generate a new data encryption key and reencrypt all values with the new key
   updatekeys  update the keys of SOPS files using the config file
   filestatus  check the status of the file, returning encryption status
   exec-env    execute a command with decrypted values inserted into the environment
   exec-file   execute a command with the decrypted contents as a temporary file
   groups      modify the groups on a SOPS file
   keyservice  (not supported: use Go sops) start a SOPS key service server
   publish     (not supported: use Go sops) publish sops file or directory to a configured destination

GLOBAL OPTIONS:
   -d, -e, -r, --set, --extract, -i, -s   the legacy forms: sops-ts -d FILE is sops-ts decrypt FILE
   --config FILE      path to the config file (env: SOPS_CONFIG); default: .sops.yaml upwards
   --indent N         indentation of YAML and JSON output
   --version, --help

   Formats: yaml, json, dotenv, ini, binary (by extension, or --input-type/--output-type).
   Keys: age (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, ~/.config/sops/age/keys.txt,
   SSH keys, plugins), PGP through gpg (SOPS_PGP_FP), AWS KMS (SOPS_KMS_ARN), GCP KMS
   (SOPS_GCP_KMS_IDS), Azure Key Vault (SOPS_AZURE_KEYVAULT_URLS), Vault transit
   (SOPS_VAULT_URIS), HuaweiCloud KMS (SOPS_HUAWEICLOUD_KMS_IDS).
   "sops-ts COMMAND --help" lists a command's flags; see docs/cli.md.
`;


const NOT_BINARY_HINT = 'This is likely not an encrypted binary file? If not, use --output-type to select the correct output type.';

/**
 * sops's wording and exit code for an error, as the Go CLI prints it: the
 * store's message with the command's prefix (`cmd/sops/decrypt.go`,
 * `encrypt.go`, `common.LoadEncryptedFile`).
 */
function errorText(e: SopsError, command: string): { text: string; exitCode: number } {
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

/** The one-line description of each command, from the main help. */
function describeCommand(name: string): string {
  const line = HELP.split('\n').find((l) => l.startsWith(`   ${name} `));
  return line === undefined ? '' : line.slice(3 + name.length).trim();
}

/** `sops-ts COMMAND --help`: the command's description and every flag it takes. */
function commandHelp(name: string): string {
  const cmd = COMMANDS[name]!;
  const short = Object.entries(ALIASES).filter(([, long]) => cmd.valueFlags?.includes(long) || cmd.boolFlags?.includes(long));
  const flag = (f: string, value: boolean) => {
    const alias = short.find(([, long]) => long === f)?.[0];
    return `   --${f}${alias ? `, -${alias}` : ''}${value ? ' value' : ''}`;
  };
  const lines = [
    'NAME:',
    `   sops-ts ${name} - ${describeCommand(name)}`,
    '',
    'USAGE:',
    `   sops-ts ${name} [command options] [arguments...]`,
    '',
    'OPTIONS:',
    ...[...(cmd.valueFlags ?? [])].map((f) => flag(f, true)),
    ...[...(cmd.boolFlags ?? [])].map((f) => flag(f, false)),
    '',
    'See docs/cli.md for what each flag does (the same as in sops).',
    '',
  ];
  return lines.join('\n');
}

/** Run the CLI; resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  // Values through node:crypto: the same bytes as WebCrypto, much cheaper per call.
  useNodeCrypto();
  let command = 'help';
  try {
    const p = parseArgs(argv);
    command = p.command;
    if (p.command === 'version') {
      io.stdout(`sops-ts ${SOPS_VERSION} (compatible with sops ${SOPS_VERSION})\n`);
      return 0;
    }
    if (p.command === 'help' || p.bools.has('help')) {
      io.stdout(p.legacy === true || p.command === 'help' ? HELP : commandHelp(p.command));
      return 0;
    }
    return await COMMANDS[p.command]!.run(p, io);
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
