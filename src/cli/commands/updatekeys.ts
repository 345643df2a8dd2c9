/**
 * `sops-ts updatekeys [-y] FILE…`: bring a file's key groups in line with
 * its `.sops.yaml` creation rule (sops
 * `cmd/sops/subcommand/updatekeys/updatekeys.go`). Prints sops's diff, asks
 * `Is this okay? (y/n):` unless `-y`, then wraps the **existing** data key
 * for the rule's groups; values, MAC and `lastmodified` are written back as
 * they were.
 * @module
 */
import { readSync, statSync } from 'node:fs';
import { readFileGo } from '../../node/files.js';
import { relative, resolve } from 'node:path';
import { creationRuleFor, specName } from '../../config.js';
import { ExitCode, SopsError } from '../../errors.js';
import { getDataKey } from '../../keysource.js';
import { CliKeys } from '../keys.js';
import { findConfigFile, loadConfigFile, type LoadedConfig } from '../../node/config.js';
import { writeFileAtomic } from '../../node/files.js';
import { diffKeyGroups, emitEncrypted, formatKeyGroupsDiff, keyEntryName, loadEncrypted, rewrapMetadata, type KeyEntry } from '../../rekey.js';
import { formatFromFileName } from '../../sops.js';
import type { Format, StoreOptions } from '../../stores/store.js';
import { goLogLine, logrusLine } from '../log.js';
import { UsageError, one, type CliIo, type Command, type Parsed } from '../common.js';
import { refuseKeyservice } from './rotate.js';

export const updatekeysCommand: Command = {
  valueFlags: ['input-type', 'keyservice'],
  boolFlags: ['yes', 'y'],
  async run(p, io) {
    return runUpdatekeys(p, io);
  },
};

// ---------------------------------------------------------------- prompt

/** Standard input read one line at a time, as Go's unbuffered `fmt.Scanln` reads it. */
class LineReader {
  #buf: Uint8Array | undefined;
  #pos = 0;
  readonly #io: CliIo;
  constructor(io: CliIo) {
    this.#io = io;
  }
  async #byte(): Promise<number | undefined> {
    if (this.#io.stdin !== undefined) {
      this.#buf ??= await this.#io.stdin();
      return this.#pos < this.#buf.length ? this.#buf[this.#pos++] : undefined;
    }
    const one = new Uint8Array(1);
    for (;;) {
      try {
        return readSync(0, one, 0, 1, null) === 1 ? one[0] : undefined;
      } catch (e) {
        if ((e as { code?: string }).code === 'EAGAIN') {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        return undefined;
      }
    }
  }
  /**
   * `fmt.Scanln(&s)`: skip spaces, read one word, then require the end of
   * the line. Throws Go's error text (`EOF`, `unexpected newline`,
   * `expected newline`).
   */
  async scanln(): Promise<string> {
    let c = await this.#byte();
    while (c === 0x20 || c === 0x09 || c === 0x0d) c = await this.#byte();
    if (c === undefined) throw new UsageError('EOF', ExitCode.ErrorGeneric);
    if (c === 0x0a) throw new UsageError('unexpected newline', ExitCode.ErrorGeneric);
    const word: number[] = [];
    while (c !== undefined && c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) {
      word.push(c);
      c = await this.#byte();
    }
    while (c === 0x20 || c === 0x09 || c === 0x0d) c = await this.#byte();
    if (c !== undefined && c !== 0x0a) throw new UsageError('expected newline', ExitCode.ErrorGeneric);
    return new TextDecoder().decode(new Uint8Array(word));
  }
}

// ---------------------------------------------------------------- command

function useColor(io: CliIo): boolean {
  return io.env['NO_COLOR'] === undefined && io.env['TERM'] !== 'dumb' && process.stdout.isTTY === true;
}

async function runUpdatekeys(p: Parsed, io: CliIo): Promise<number> {
  // The config: --config / SOPS_CONFIG, else found upwards (named relative to the working directory, as sops does).
  let config: LoadedConfig;
  let configName: string;
  const explicit = one(p, 'config') ?? io.env['SOPS_CONFIG'];
  if (explicit !== undefined && explicit !== '') {
    configName = explicit;
    config = loadConfigFile(resolve(io.cwd, explicit));
  } else {
    const found = findConfigFile(io.cwd);
    if (found.warning !== undefined) io.stderr(logrusLine('CMD', 'warning', found.warning));
    if (found.path === undefined) throw new UsageError('config file not found', ExitCode.ErrorGeneric);
    configName = relative(io.cwd, found.path) || '.sops.yaml';
    config = loadConfigFile(found.path);
  }
  if (p.files.length < 1) throw new UsageError('Error: no file specified', ExitCode.NoFileSpecified);
  refuseKeyservice(p, io);
  const reader = new LineReader(io);
  const interactive = !(p.bools.has('yes') || p.bools.has('y'));
  let failed = 0;
  for (const file of p.files) {
    try {
      await updateFile(p, io, resolve(io.cwd, file), config, configName, interactive, reader);
    } catch (e) {
      if (p.files.length === 1) throw e;
      failed++;
      io.stderr(logrusLine('CMD', 'error', e instanceof Error ? e.message : String(e)));
    }
  }
  if (failed > 0) throw new UsageError(`failed updating ${failed} key(s)`, ExitCode.ErrorGeneric);
  return 0;
}

async function updateFile(p: Parsed, io: CliIo, path: string, config: LoadedConfig, configName: string, interactive: boolean, reader: LineReader): Promise<void> {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UsageError(`stat ${path}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : String(code)}`, ExitCode.ErrorGeneric);
  }
  if (isDir) throw new UsageError("can't operate on a directory", ExitCode.ErrorGeneric);
  const t = one(p, 'input-type');
  const format: Format = t !== undefined && ['yaml', 'json', 'dotenv', 'ini', 'binary'].includes(t) ? (t as Format) : formatFromFileName(path);
  io.stderr(goLogLine(`Syncing keys for file ${path}`));
  let data: Uint8Array;
  try {
    data = readFileGo(path);
  } catch (e) {
    throw new UsageError(`Error reading file: ${e instanceof Error ? e.message : String(e)}`, ExitCode.CouldNotReadInputFile);
  }
  let file;
  try {
    file = await loadEncrypted(data, format);
  } catch (e) {
    if (e instanceof SopsError) throw new UsageError(e.message, ExitCode.ErrorGeneric);
    throw e;
  }
  const rule = creationRuleFor(config.config, config.dir, path);
  if (rule === undefined) throw new UsageError(`The config file ${configName} does not contain any creation rule`, ExitCode.ErrorGeneric);
  const md = file.metadata;
  const diffs = diffKeyGroups(md.keyGroups.map((g) => g.map(keyEntryName)), rule.keyGroups.map((g) => g.map(specName)));
  const keysWillChange = diffs.some((d) => d.added.length > 0 || d.removed.length > 0);
  // sops keeps the file's threshold (not the rule's), capped at the rule's group count.
  const threshold = Math.min(md.shamirThreshold, rule.keyGroups.length);
  if (!keysWillChange && threshold === md.shamirThreshold) {
    io.stderr(goLogLine(`File ${path} already up to date`));
    return;
  }
  io.stdout("The following changes will be made to the file's groups:\n");
  io.stdout(formatKeyGroupsDiff(md.shamirThreshold, threshold, diffs, useColor(io)));
  if (interactive) {
    let response = '';
    while (response !== 'y' && response !== 'n') {
      io.stdout('Is this okay? (y/n):');
      response = await reader.scanln();
    }
    if (response === 'n') {
      io.stderr(goLogLine(`File ${path} left unchanged`));
      return;
    }
  }
  const keys = new CliKeys(io);
  const dataKey = await getDataKey(md, keys.identities());
  const groups: KeyEntry[][] = await Promise.all(rule.keyGroups.map((g) => Promise.all(g.map((k) => keys.fromSpec(k)))));
  file.metadata = await rewrapMetadata(md, dataKey, groups, threshold, { recipientFor: keys.resolver() });
  const stores = config.config.stores;
  const indent = format === 'yaml' ? stores.yaml.indent : format === 'json' ? stores.json.indent : format === 'binary' ? stores.jsonBinary.indent : 0;
  const storeOptions: StoreOptions = indent === 0 ? {} : { indent };
  let out: Uint8Array;
  try {
    out = await emitEncrypted(file, format, storeOptions);
  } catch (e) {
    if (e instanceof SopsError && e.stage === 'emit') throw new UsageError(`Could not marshal tree: ${e.message}`, ExitCode.ErrorDumpingTree);
    throw e;
  }
  try {
    writeFileAtomic(path, out);
  } catch (e) {
    throw new UsageError(`could not open file for writing: ${e instanceof Error ? e.message : String(e)}`, ExitCode.ErrorGeneric);
  }
  io.stderr(goLogLine(`File ${path} synced with new keys`));
}
