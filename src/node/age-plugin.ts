/**
 * age plugins (C2SP `age-plugin.md`): recipients `age1<name>1…` and
 * identities `AGE-PLUGIN-<NAME>-1…` handled by a binary `age-plugin-<name>`
 * found on `PATH`, driven over its stdin/stdout with the `recipient-v1` and
 * `identity-v1` state machines. This is the client side, as Go age's
 * `plugin/client.go` (age v1.3.1, the version Go sops 3.13.3 pins) does it;
 * {@link AgePluginRecipient} and {@link AgePluginIdentity} implement typage's
 * `Recipient`/`Identity` interfaces so they plug into `Encrypter`/`Decrypter`.
 *
 * **Security: a plugin is a program run with the user's privileges.** Build
 * these objects only from recipients and identities the *user* supplied
 * (command line, `.sops.yaml` creation rules, their own key files and
 * `SOPS_AGE_*` variables), never from a file's `sops.age[].recipient`
 * metadata: whoever wrote the file would otherwise choose which
 * `age-plugin-*` binary runs on the reader's machine. Where sops re-wraps for
 * the recipients listed in a file (`rotate`, `updatekeys`), resolve them with
 * {@link agePluginRecipientResolver}, which only yields plugins the user named.
 * The binary is looked up on `PATH` only, in absolute directories only (never
 * the current directory), and started without a shell.
 *
 * @example
 * ```ts
 * import { Decrypter, armor } from 'age-encryption';
 * import { AgePluginIdentity } from 'sops-ts/node';
 * const d = new Decrypter();
 * d.addIdentity(new AgePluginIdentity('AGE-PLUGIN-YUBIKEY-1…'));
 * const dataKey = await d.decrypt(armor.decode(storedKey.enc));
 * ```
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { childProcess } from './builtins.js';
import { constants, accessSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import type { Identity, Recipient, Stanza } from 'age-encryption';
import { SopsError, type SopsErrorCode } from '../errors.js';
import { bech32Decode, bech32Encode } from '../keysources/age-core.js';

// Bech32 as age uses it (`internal/bech32`): age-core's, no 90-character limit.

// ------------------------------------------------------------------ names and encodings

/**
 * Whether `name` is a valid plugin name: non-empty, only ASCII letters,
 * digits and `- _ . +` (spec: `NAME = 1*(ALPHA / DIGIT / "-" / "_" / "." / "+")`).
 * This is what keeps a name from carrying a path separator into the binary
 * name `age-plugin-<name>`.
 *
 * @example
 * ```ts
 * isValidAgePluginName('yubikey'); // true
 * isValidAgePluginName('../evil'); // false
 * ```
 */
export function isValidAgePluginName(name: string): boolean {
  return /^[A-Za-z0-9+\-._]+$/.test(name);
}

/** A decoded plugin recipient or identity. */
export interface AgePluginKey {
  /** The plugin name, lower-cased (the binary is `age-plugin-<name>`). */
  readonly name: string;
  /** The Bech32 payload, opaque to the client. */
  readonly data: Uint8Array;
}

/** Why an age plugin operation failed (stable; `message` is for people). */
export type AgePluginFailure =
  /** The recipient or identity string is not a valid plugin encoding. */
  | 'invalid-encoding'
  /** The plugin name has characters the spec forbids (e.g. a path separator). */
  | 'invalid-name'
  /** No `age-plugin-<name>` executable in an absolute `PATH` directory. */
  | 'not-found'
  /** The binary was found but could not be started. */
  | 'spawn'
  /** The plugin exited or closed its output before finishing the exchange. */
  | 'exited'
  /** The plugin did not answer within the timeout. */
  | 'timeout'
  /** The plugin broke the protocol (malformed stanza, unexpected command). */
  | 'protocol'
  /** The plugin reported an error (`error` command); `message` has its text. */
  | 'plugin';

/** An age plugin failure. `code` is `ERR_INVALID_KEY` for bad strings, `ERR_ENCRYPT` when wrapping, `ERR_NO_DATA_KEY` when unwrapping. */
export class AgePluginError extends SopsError {
  override name = 'AgePluginError';
  /** What went wrong. */
  readonly reason: AgePluginFailure;
  /** The plugin name, when known. */
  readonly plugin: string | undefined;
  constructor(code: SopsErrorCode, reason: AgePluginFailure, message: string, plugin?: string, cause?: unknown) {
    super(code, message, cause === undefined ? {} : { cause });
    this.reason = reason;
    this.plugin = plugin;
  }
}

function invalid(reason: 'invalid-encoding' | 'invalid-name', message: string, name?: string): AgePluginError {
  return new AgePluginError('ERR_INVALID_KEY', reason, message, name);
}

/**
 * Decode a plugin recipient `age1<name>1…` (age `plugin.ParseRecipient`).
 * Throws `AgePluginError` (`ERR_INVALID_KEY`) with age's wording, e.g.
 * `invalid plugin name: "../x"`. Starts nothing.
 *
 * @example
 * ```ts
 * parseAgePluginRecipient('age1yubikey1q…').name; // 'yubikey'
 * ```
 */
export function parseAgePluginRecipient(recipient: string): AgePluginKey {
  let d: { hrp: string; data: Uint8Array };
  try {
    d = bech32Decode(recipient);
  } catch (e) {
    throw invalid('invalid-encoding', `invalid recipient encoding: ${(e as Error).message}`);
  }
  // Go age: the HRP must start with (lower-case) "age1"; an upper-case recipient is refused.
  if (!d.hrp.startsWith('age1')) throw invalid('invalid-encoding', 'not a plugin recipient');
  const name = d.hrp.slice(4);
  if (!isValidAgePluginName(name)) throw invalid('invalid-name', `invalid plugin name: ${JSON.stringify(name)}`);
  return { name, data: d.data };
}

/**
 * Decode a plugin identity `AGE-PLUGIN-<NAME>-1…` (age `plugin.ParseIdentity`).
 * The error never repeats the identity (its payload may be secret).
 *
 * @example
 * ```ts
 * parseAgePluginIdentity('AGE-PLUGIN-YUBIKEY-1…').name; // 'yubikey'
 * ```
 */
export function parseAgePluginIdentity(identity: string): AgePluginKey {
  let d: { hrp: string; data: Uint8Array };
  try {
    d = bech32Decode(identity);
  } catch (e) {
    // Go's text may quote a character of the payload; ours gives its position only.
    throw invalid('invalid-encoding', `invalid identity encoding: ${(e as Error).message}`);
  }
  if (!d.hrp.startsWith('AGE-PLUGIN-') || !d.hrp.endsWith('-')) throw invalid('invalid-encoding', 'not a plugin identity');
  const name = d.hrp.slice('AGE-PLUGIN-'.length, -1).toLowerCase();
  if (!isValidAgePluginName(name)) throw invalid('invalid-name', `invalid plugin name: ${JSON.stringify(name)}`);
  return { name, data: d.data };
}

/**
 * Encode a plugin recipient `age1<name>1…` (age `plugin.EncodeRecipient`).
 * Throws `ERR_INVALID_KEY` for an invalid name.
 *
 * @example
 * ```ts
 * encodeAgePluginRecipient('example', new Uint8Array([1, 2])); // 'age1example1…'
 * ```
 */
export function encodeAgePluginRecipient(name: string, data: Uint8Array): string {
  if (!isValidAgePluginName(name)) throw invalid('invalid-name', `invalid plugin name: ${JSON.stringify(name)}`);
  return bech32Encode('age1' + name.toLowerCase(), data);
}

/**
 * Encode a plugin identity `AGE-PLUGIN-<NAME>-1…` (age `plugin.EncodeIdentity`).
 * Throws `ERR_INVALID_KEY` for an invalid name.
 *
 * @example
 * ```ts
 * encodeAgePluginIdentity('example', new Uint8Array(0)); // 'AGE-PLUGIN-EXAMPLE-1…'
 * ```
 */
export function encodeAgePluginIdentity(name: string, data: Uint8Array): string {
  if (!isValidAgePluginName(name)) throw invalid('invalid-name', `invalid plugin name: ${JSON.stringify(name)}`);
  return bech32Encode(`AGE-PLUGIN-${name.toUpperCase()}-`, data);
}

/**
 * Whether sops 3.13 would hand `recipient` to a plugin (`age/keysource.go`
 * `parseRecipient`): `age1…` with more than one `1`, except `age1pq1…`, which
 * sops parses natively. Note that sops does route `age1tag1…`/`age1tagpq1…`
 * to `age-plugin-tag`/`age-plugin-tagpq`, although typage (and the age CLI)
 * support them natively.
 *
 * @example
 * ```ts
 * isAgePluginRecipient('age1yubikey1q…'); // true
 * isAgePluginRecipient('age1pq1…');       // false: native
 * ```
 */
export function isAgePluginRecipient(recipient: string): boolean {
  return recipient.startsWith('age1') && !recipient.startsWith('age1pq1') && recipient.split('1').length > 2;
}

/**
 * Whether `identity` is a plugin identity for sops (`AGE-PLUGIN-` prefix,
 * sops `parseIdentity`).
 *
 * @example
 * ```ts
 * isAgePluginIdentity('AGE-PLUGIN-YUBIKEY-1…'); // true
 * ```
 */
export function isAgePluginIdentity(identity: string): boolean {
  return identity.startsWith('AGE-PLUGIN-');
}

/** The environment, as `process.env`. */
export type AgePluginEnv = Record<string, string | undefined>;

/**
 * Find `age-plugin-<name>` on `PATH`: the first regular, executable file in an
 * absolute `PATH` directory. Empty and relative entries (which would mean the
 * current directory) are skipped, as the spec requires ("Paths relative to the
 * current working directory MUST NOT be searched"). Returns the absolute path,
 * or `undefined`. Throws `ERR_INVALID_KEY` for an invalid name. Starts nothing.
 *
 * @example
 * ```ts
 * findAgePlugin('yubikey'); // '/usr/local/bin/age-plugin-yubikey' or undefined
 * ```
 */
export function findAgePlugin(name: string, env: AgePluginEnv = process.env): string | undefined {
  if (!isValidAgePluginName(name)) throw invalid('invalid-name', `invalid plugin name: ${JSON.stringify(name)}`);
  const binary = 'age-plugin-' + name.toLowerCase();
  const win = process.platform === 'win32';
  // Windows: only real executables; .cmd/.bat would need a shell to run.
  const exts = win ? ['.exe', '.com'] : [''];
  for (const dir of (env['PATH'] ?? env['Path'] ?? '').split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    for (const ext of exts) {
      const p = join(dir, binary + ext);
      try {
        if (!statSync(p).isFile()) continue;
        if (!win) accessSync(p, constants.X_OK);
        return p;
      } catch {
        // not here (absent or not executable): keep looking, as exec.LookPath does
      }
    }
  }
  return undefined;
}

// ------------------------------------------------------------------ options

/**
 * Answers to a plugin's interactive requests (Go age's `plugin.ClientUI`).
 * A missing callback, or one that throws, answers `fail`, and the plugin
 * decides whether that is fatal. With no UI at all every request is answered
 * `fail`, as age does for a non-interactive client.
 */
export interface AgePluginUI {
  /** Show `message` (`msg`); it starts lower-case and has no final period. */
  displayMessage?(plugin: string, message: string): void | Promise<void>;
  /** Ask for a value (`request-secret` when `secret`, else `request-public`). */
  requestValue?(plugin: string, prompt: string, secret: boolean): string | Promise<string>;
  /** Ask to choose (`confirm`); `no` may be absent. Return `true` for `yes`. */
  confirm?(plugin: string, prompt: string, yes: string, no: string | undefined): boolean | Promise<boolean>;
  /** Called once when a single wait for the plugin passes 5 s (e.g. a token waiting for a touch). */
  waitTimer?(plugin: string): void;
}

/** Options of {@link AgePluginRecipient} and {@link AgePluginIdentity}. */
export interface AgePluginOptions {
  /** Interactive answers. Default: none (every request answered `fail`). */
  ui?: AgePluginUI;
  /**
   * Longest wait, in ms, for the plugin's next message (time spent in `ui`
   * callbacks does not count); the plugin is killed when it passes.
   * `0` waits forever. Default: `120000`.
   */
  timeout?: number;
  /** Environment for the `PATH` lookup and the plugin. Default: `process.env`. */
  env?: AgePluginEnv;
  /** Receives the plugin's stderr. Default: passed through to our stderr. */
  onStderr?: (chunk: Uint8Array) => void;
}

const DEFAULT_TIMEOUT = 120_000;
/** Longest line accepted from a plugin (long post-quantum stanza arguments fit easily). */
const MAX_LINE = 1 << 20;
/** Most bytes read from one plugin run. */
const MAX_OUTPUT = 16 << 20;

// ------------------------------------------------------------------ stanza framing

interface WireStanza {
  type: string;
  args: string[];
  body: Uint8Array;
}

/** Valid argument: non-empty, VCHAR only (age header ABNF `arbitrary string`). */
const ARG = /^[\x21-\x7e]+$/;

function b64encode(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64').replace(/=+$/, '');
}

/** Strict, canonical, unpadded base64 (RFC 4648 §3.5), as age's `format.DecodeString`. */
function b64decode(s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*$/.test(s) || s.length % 4 === 1) return undefined;
  const b = Buffer.from(s, 'base64');
  if (b64encode(b) !== s) return undefined; // non-zero trailing bits
  return new Uint8Array(b);
}

/** One stanza in age's text form: `-> type args…`, then the body in 64-column base64 lines ending with a short line. */
function marshalStanza(type: string, args: readonly string[], body: Uint8Array = new Uint8Array(0)): string {
  let out = `-> ${[type, ...args].join(' ')}\n`;
  const b = b64encode(body);
  for (let i = 0; i < b.length; i += 64) {
    const line = b.slice(i, i + 64);
    out += line;
    if (line.length === 64) out += '\n';
  }
  return out + '\n';
}

function randomHex(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
}

/** A grease stanza, as age's client sends (the spec's rust-prevention: the plugin must ignore it). */
function grease(): string {
  const args: string[] = [];
  const n = crypto.getRandomValues(new Uint8Array(3));
  for (let i = 0; i < n[0]! % 3; i++) args.push(String(n[1]! % 100));
  return marshalStanza(`grease-${randomHex(8)}`, args, n[2]! % 2 ? crypto.getRandomValues(new Uint8Array(n[2]! % 100)) : undefined);
}

// ------------------------------------------------------------------ connection

type StateMachine = 'recipient-v1' | 'identity-v1';

/** One run of a plugin binary: spawn, write phase 1, read phase 2, close. */
class PluginConnection {
  readonly #name: string;
  readonly #binary: string;
  readonly #sm: StateMachine;
  readonly #code: SopsErrorCode;
  readonly #timeout: number;
  readonly #ui: AgePluginUI | undefined;
  readonly #child: ChildProcess;
  #buf: Buffer = Buffer.alloc(0);
  #total = 0;
  #eof = false;
  #failure: AgePluginError | undefined;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  #wake: (() => void) | undefined;
  #exited: Promise<void>;

  constructor(name: string, sm: StateMachine, code: SopsErrorCode, options: AgePluginOptions) {
    this.#name = name;
    this.#binary = 'age-plugin-' + name;
    this.#sm = sm;
    this.#code = code;
    this.#ui = options.ui;
    this.#timeout = options.timeout ?? DEFAULT_TIMEOUT;
    if (!Number.isFinite(this.#timeout) || this.#timeout < 0) throw new RangeError('options.timeout must be a number of milliseconds ≥ 0');
    const env = options.env ?? process.env;
    const path = findAgePlugin(name, env);
    if (path === undefined) {
      // Go age: `"name" plugin not found: exec: "age-plugin-name": executable file not found in $PATH`.
      throw this.#error('not-found', `couldn't start plugin: ${JSON.stringify(name)} plugin not found: exec: ${JSON.stringify(this.#binary)}: executable file not found in $PATH`);
    }
    // No shell; the working directory is the temporary directory, as age does,
    // so plugins cannot come to rely on (or be steered by) the caller's cwd.
    this.#child = childProcess().spawn(path, [`--age-plugin=${sm}`], {
      cwd: tmpdir(),
      env,
      shell: false,
      windowsHide: true,
      stdio: ['pipe', 'pipe', options.onStderr ? 'pipe' : 'inherit'],
    });
    const onStderr = options.onStderr;
    if (onStderr) {
      this.#child.stderr!.on('data', (c: Buffer) => {
        try {
          onStderr(new Uint8Array(c));
        } catch {
          // the caller's sink must not crash the exchange
        }
      });
    }
    this.#exited = new Promise((resolve) => this.#child.once('close', () => resolve()));
    this.#child.once('exit', (code, signal) => {
      this.#exit = { code, signal };
      this.#notify();
    });
    this.#child.once('error', (e: NodeJS.ErrnoException) => {
      this.#failure ??= this.#error('spawn', `couldn't start plugin: ${this.#binary}: ${e.code ?? e.message}`, e);
      this.#eof = true;
      this.#notify();
    });
    // A plugin that exits early closes the pipe: writes then fail with EPIPE; the read reports it.
    this.#child.stdin!.on('error', () => {});
    this.#child.stdout!.on('data', (c: Buffer) => {
      this.#total += c.length;
      this.#buf = this.#buf.length === 0 ? c : Buffer.concat([this.#buf, c]);
      if (this.#total > MAX_OUTPUT) this.#fail(this.#error('protocol', `${this.#binary} sent more than ${MAX_OUTPUT} bytes`));
      this.#notify();
    });
    this.#child.stdout!.on('end', () => {
      this.#eof = true;
      this.#notify();
    });
  }

  #error(reason: AgePluginFailure, message: string, cause?: unknown): AgePluginError {
    // Go age prefixes every client error with "<name> plugin: ".
    return new AgePluginError(this.#code, reason, `${this.#name} plugin: ${message}`, this.#name, cause);
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  #fail(e: AgePluginError): void {
    this.#failure ??= e;
    this.#kill();
    this.#notify();
  }

  #kill(): void {
    if (this.#exit === undefined) this.#child.kill('SIGKILL');
  }

  write(text: string): void {
    if (this.#child.stdin!.writable) this.#child.stdin!.write(text);
  }

  /** Why the plugin stopped talking, after its output ended. */
  async #endedError(): Promise<AgePluginError> {
    // stdout can end a moment before the exit status is known and before the
    // last of stderr is delivered: wait (briefly) for both, so the plugin's
    // own words come before ours.
    await Promise.race([this.#exited, new Promise((r) => setTimeout(r, 1000).unref())]);
    const how = this.#exit === undefined ? 'closed its output' : this.#exit.signal ? `was killed by ${this.#exit.signal}` : `exited with code ${this.#exit.code}`;
    return this.#error('exited', `${this.#binary} ${how} before finishing the ${this.#sm} exchange (its stderr, above, may say why)`);
  }

  async #readLine(): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    let waitTimer: NodeJS.Timeout | undefined;
    try {
      for (;;) {
        if (this.#failure) throw this.#failure;
        const nl = this.#buf.indexOf(0x0a);
        if (nl >= 0) {
          if (nl > MAX_LINE) throw this.#error('protocol', `${this.#binary} sent a line longer than ${MAX_LINE} bytes`);
          const line = this.#buf.subarray(0, nl).toString('latin1');
          this.#buf = this.#buf.subarray(nl + 1);
          return line;
        }
        if (this.#buf.length > MAX_LINE) throw this.#error('protocol', `${this.#binary} sent a line longer than ${MAX_LINE} bytes`);
        if (this.#eof) throw await this.#endedError();
        if (timer === undefined && this.#timeout > 0) {
          timer = setTimeout(() => this.#fail(this.#error('timeout', `${this.#binary} did not answer within ${this.#timeout} ms; it was stopped`)), this.#timeout);
        }
        const ui = this.#ui;
        if (waitTimer === undefined && ui?.waitTimer) {
          waitTimer = setTimeout(() => {
            try {
              ui.waitTimer!(this.#name);
            } catch {
              // a UI notification must not break the exchange
            }
          }, 5000);
        }
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      clearTimeout(timer);
      clearTimeout(waitTimer);
    }
  }

  /** Read one stanza (age `format.StanzaReader`). */
  async readStanza(): Promise<WireStanza> {
    const open = await this.#readLine();
    const parts = open.split(' ');
    if (parts[0] !== '->' || parts.length < 2 || !parts.slice(1).every((a) => ARG.test(a))) {
      // Opening lines carry commands, never secrets: a short excerpt helps.
      const excerpt = open.length > 40 ? open.slice(0, 40) + '…' : open;
      throw this.#error('protocol', `${this.#binary} sent a malformed stanza opening line ${JSON.stringify(excerpt)}`);
    }
    const chunks: Uint8Array[] = [];
    for (;;) {
      // Body lines may hold a file key: never quote them.
      const line = await this.#readLine();
      const b = b64decode(line);
      if (b === undefined || b.length > 48) throw this.#error('protocol', `${this.#binary} sent a malformed stanza body line in ${JSON.stringify(parts[1])}`);
      chunks.push(b);
      if (b.length < 48) break;
    }
    return { type: parts[1]!, args: parts.slice(2), body: new Uint8Array(Buffer.concat(chunks)) };
  }

  protocolError(message: string): AgePluginError {
    return this.#error('protocol', message);
  }

  pluginError(body: Uint8Array): AgePluginError {
    // Go age: fmt.Errorf("%s", s.Body) — the plugin's own words.
    return this.#error('plugin', new TextDecoder().decode(body));
  }

  /**
   * Answer an interactive command (`msg`, `request-*`, `confirm`) through the
   * UI, or `unsupported` for a command we do not know (the bi-directional
   * phase rule; this is also how grease from the plugin is answered).
   */
  async handleInteractive(s: WireStanza): Promise<void> {
    const ui = this.#ui;
    const text = () => new TextDecoder().decode(s.body);
    switch (s.type) {
      case 'msg': {
        if (!ui?.displayMessage) return this.write(marshalStanza('fail', []));
        try {
          await ui.displayMessage(this.#name, text());
          return this.write(marshalStanza('ok', []));
        } catch {
          return this.write(marshalStanza('fail', []));
        }
      }
      case 'request-secret':
      case 'request-public': {
        if (!ui?.requestValue) return this.write(marshalStanza('fail', []));
        let value: string;
        try {
          value = await ui.requestValue(this.#name, text(), s.type === 'request-secret');
          if (typeof value !== 'string') throw new TypeError('requestValue must return a string');
        } catch {
          return this.write(marshalStanza('fail', []));
        }
        return this.write(marshalStanza('ok', [], new TextEncoder().encode(value)));
      }
      case 'confirm': {
        if (s.args.length !== 1 && s.args.length !== 2) throw this.protocolError('malformed confirm stanza: unexpected number of arguments');
        const yes = b64decode(s.args[0]!);
        if (yes === undefined) throw this.protocolError('malformed confirm stanza: invalid YES option encoding');
        const no = s.args.length === 2 ? b64decode(s.args[1]!) : new Uint8Array(0);
        if (no === undefined) throw this.protocolError('malformed confirm stanza: invalid NO option encoding');
        if (!ui?.confirm) return this.write(marshalStanza('fail', []));
        let choseYes: boolean;
        try {
          const dec = new TextDecoder();
          choseYes = (await ui.confirm(this.#name, text(), dec.decode(yes), s.args.length === 2 ? dec.decode(no) : undefined)) === true;
        } catch {
          return this.write(marshalStanza('fail', []));
        }
        return this.write(marshalStanza('ok', [choseYes ? 'yes' : 'no']));
      }
      default:
        return this.write(marshalStanza('unsupported', []));
    }
  }

  /**
   * End the run as Go age's `clientConnection.Close` does: close stdin, send
   * SIGINT; a plugin still there after 2 s is killed. Does not wait.
   */
  close(): void {
    this.#child.stdin!.end();
    this.#child.stdout!.destroy();
    if (this.#exit === undefined && this.#child.exitCode === null) {
      this.#child.kill('SIGINT');
      const t = setTimeout(() => this.#kill(), 2000);
      t.unref();
      this.#child.once('exit', () => clearTimeout(t));
    }
  }
}

function checkArgs(args: readonly string[], what: string): void {
  for (const a of args) if (!ARG.test(a)) throw new TypeError(`${what}: stanza arguments must be non-empty printable ASCII without spaces`);
}

// ------------------------------------------------------------------ recipient

/**
 * A plugin recipient `age1<name>1…` as a typage `Recipient`: `wrapFileKey`
 * runs `age-plugin-<name> --age-plugin=recipient-v1` (age
 * `plugin.Recipient.Wrap`). Constructing it validates the string and starts
 * nothing; each `wrapFileKey` starts the plugin once.
 *
 * **Only for recipients the user supplied** (command line, `.sops.yaml`,
 * environment), never for one read from a file's metadata: see the module
 * documentation and {@link agePluginRecipientResolver}.
 *
 * @example
 * ```ts
 * import { Encrypter, armor } from 'age-encryption';
 * const e = new Encrypter();
 * e.addRecipient(new AgePluginRecipient('age1yubikey1q…', { ui }));
 * const enc = armor.encode(await e.encrypt(dataKey));
 * ```
 */
export class AgePluginRecipient implements Recipient {
  /** The recipient string, as given. */
  readonly recipient: string;
  /** The plugin name (binary `age-plugin-<name>`). */
  readonly plugin: string;
  readonly #options: AgePluginOptions;

  /** Throws `AgePluginError` (`ERR_INVALID_KEY`) for a string that is not a valid plugin recipient. */
  constructor(recipient: string, options: AgePluginOptions = {}) {
    this.plugin = parseAgePluginRecipient(recipient).name;
    this.recipient = recipient;
    this.#options = options;
  }

  /** typage `Recipient`: wrap `fileKey` through the plugin; the labels are dropped. */
  async wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
    return (await this.wrapFileKeyWithLabels(fileKey)).stanzas;
  }

  /**
   * Wrap `fileKey` and also return the plugin's labels (`extension-labels`,
   * e.g. `postquantum`), which a client combining several recipients must
   * check are the same for all. Throws `AgePluginError` (`ERR_ENCRYPT`).
   */
  wrapFileKeyWithLabels(fileKey: Uint8Array): Promise<{ stanzas: Stanza[]; labels: string[] }> {
    return wrapWithPlugin(this.plugin, 'add-recipient', this.recipient, fileKey, this.#options);
  }
}

/**
 * The `recipient-v1` exchange (age `plugin.Recipient.WrapWithLabels`): one
 * recipient (`add-recipient`) or identity used as a recipient
 * (`add-identity`), one file key.
 */
async function wrapWithPlugin(plugin: string, add: 'add-recipient' | 'add-identity', encoding: string, fileKey: Uint8Array, options: AgePluginOptions): Promise<{ stanzas: Stanza[]; labels: string[] }> {
  if (!(fileKey instanceof Uint8Array)) throw new TypeError('fileKey must be a Uint8Array');
  const conn = new PluginConnection(plugin, 'recipient-v1', 'ERR_ENCRYPT', options);
  try {
    // Phase 1 (client, uni-directional), in age's order.
    conn.write(marshalStanza(add, [encoding]) + grease() + marshalStanza('wrap-file-key', [], fileKey) + marshalStanza('extension-labels', []) + marshalStanza('done', []));
    // Phase 2 (plugin, bi-directional).
    const stanzas: Stanza[] = [];
    let labels: string[] | undefined;
    for (;;) {
      const s = await conn.readStanza();
      if (s.type === 'done') break;
      switch (s.type) {
        case 'recipient-stanza': {
          if (s.args.length < 2) throw conn.protocolError('malformed recipient stanza: unexpected argument count');
          if (!/^[0-9]+$/.test(s.args[0]!)) throw conn.protocolError('malformed recipient stanza: invalid index');
          // A single file key was sent: its index is 0.
          if (Number(s.args[0]) !== 0) throw conn.protocolError('malformed recipient stanza: unexpected index');
          // typage reads only `args` and `body` (a type-only import keeps typage out of the CLI bundle).
          stanzas.push({ args: s.args.slice(1), body: s.body } as Stanza);
          conn.write(marshalStanza('ok', []));
          break;
        }
        case 'labels':
          if (labels !== undefined) throw conn.protocolError('repeated labels stanza');
          if (new Set(s.args).size !== s.args.length) throw conn.protocolError('duplicate label in labels stanza');
          labels = s.args;
          conn.write(marshalStanza('ok', []));
          break;
        case 'error':
          conn.write(marshalStanza('ok', []));
          throw conn.pluginError(s.body);
        default:
          await conn.handleInteractive(s);
      }
    }
    if (stanzas.length === 0) throw conn.protocolError('received zero recipient stanzas');
    return { stanzas, labels: labels ?? [] };
  } finally {
    conn.close();
  }
}

// ------------------------------------------------------------------ identity

/**
 * A plugin identity `AGE-PLUGIN-<NAME>-1…` as a typage `Identity`:
 * `unwrapFileKey` runs `age-plugin-<name> --age-plugin=identity-v1` with all
 * of the file's stanzas (age `plugin.Identity.Unwrap`) and returns `null`
 * when the plugin finds none of them its own. Constructing it validates the
 * string and starts nothing; each `unwrapFileKey` starts the plugin once.
 *
 * Only for identities the user supplied (their key files, `SOPS_AGE_KEY`…):
 * which plugin runs is chosen by the identity, never by the encrypted file.
 *
 * @example
 * ```ts
 * import { Decrypter, armor } from 'age-encryption';
 * const d = new Decrypter();
 * d.addIdentity(new AgePluginIdentity('AGE-PLUGIN-YUBIKEY-1…', { timeout: 30_000 }));
 * const dataKey = await d.decrypt(armor.decode(enc));
 * ```
 */
export class AgePluginIdentity implements Identity {
  /** The plugin name (binary `age-plugin-<name>`). */
  readonly plugin: string;
  readonly #identity: string;
  readonly #options: AgePluginOptions;

  /** Throws `AgePluginError` (`ERR_INVALID_KEY`) for a string that is not a valid plugin identity; the message never repeats it. */
  constructor(identity: string, options: AgePluginOptions = {}) {
    this.plugin = parseAgePluginIdentity(identity).name;
    this.#identity = identity;
    this.#options = options;
  }

  /**
   * This identity used as a recipient (age `plugin.Identity.Recipient`): its
   * `wrapFileKey` sends the identity with `add-identity` in `recipient-v1`,
   * for plugins that encrypt to their identities (e.g. `age-plugin-batchpass`).
   * sops never does this; it is here for completeness.
   *
   * @example
   * ```ts
   * new Encrypter().addRecipient(new AgePluginIdentity('AGE-PLUGIN-BATCHPASS-1…').recipient());
   * ```
   */
  recipient(): Recipient {
    const { plugin } = this;
    const identity = this.#identity;
    const options = this.#options;
    return {
      async wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
        return (await wrapWithPlugin(plugin, 'add-identity', identity, fileKey, options)).stanzas;
      },
    };
  }

  /**
   * typage `Identity`: the file key, `null` if the plugin unwrapped none of
   * `stanzas`; throws `AgePluginError` (`ERR_NO_DATA_KEY`) if the plugin
   * cannot be run, breaks the protocol, or reports an error (as Go age,
   * which stops at such an identity rather than trying the next one).
   * Throws `TypeError` for a stanza argument that is not printable ASCII
   * without spaces (it could inject protocol commands; a parsed header never
   * has one).
   */
  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    // A header always has a stanza; with none there is nothing to ask.
    if (stanzas.length === 0) return null;
    for (const s of stanzas) checkArgs(s.args, 'unwrapFileKey');
    const conn = new PluginConnection(this.plugin, 'identity-v1', 'ERR_NO_DATA_KEY', this.#options);
    try {
      // Phase 1: the identity and every stanza of the (single) file, index 0.
      let phase1 = marshalStanza('add-identity', [this.#identity]) + grease();
      for (const s of stanzas) phase1 += marshalStanza('recipient-stanza', ['0', ...s.args], s.body);
      conn.write(phase1 + marshalStanza('done', []));
      // Phase 2.
      let fileKey: Uint8Array | undefined;
      for (;;) {
        const s = await conn.readStanza();
        if (s.type === 'done') break;
        switch (s.type) {
          case 'file-key': {
            if (s.args.length !== 1) throw conn.protocolError('malformed file-key stanza: unexpected arguments count');
            if (!/^[0-9]+$/.test(s.args[0]!)) throw conn.protocolError('malformed file-key stanza: invalid index');
            if (Number(s.args[0]) !== 0) throw conn.protocolError('malformed file-key stanza: unexpected index');
            if (fileKey !== undefined) throw conn.protocolError('received duplicated file-key stanza');
            // age file keys are 16 bytes; anything else cannot be one.
            if (s.body.length !== 16) throw conn.protocolError(`malformed file-key stanza: ${s.body.length}-byte file key, want 16`);
            fileKey = s.body;
            conn.write(marshalStanza('ok', []));
            break;
          }
          case 'error':
            conn.write(marshalStanza('ok', []));
            throw conn.pluginError(s.body);
          default:
            await conn.handleInteractive(s);
        }
      }
      return fileKey ?? null;
    } finally {
      conn.close();
    }
  }
}

// ------------------------------------------------------------------ policy

/**
 * The safe way to turn recipient strings into plugin recipients when the
 * strings may come from a file (sops `rotate`/`updatekeys` re-wrap for every
 * recipient in the metadata): returns a function that yields an
 * {@link AgePluginRecipient} only for a plugin recipient in `userRecipients`
 * (the ones the user typed or configured) and `undefined` for any other, so
 * a file cannot make us start a plugin the user did not name. Invalid plugin
 * strings in `userRecipients` throw here, up front.
 *
 * @example
 * ```ts
 * const resolve = agePluginRecipientResolver(cliAgeRecipients, { ui });
 * for (const k of metadataAgeKeys) {
 *   const r = resolve(k.recipient);
 *   if (isAgePluginRecipient(k.recipient) && !r) throw new Error(`not re-wrapping for ${k.recipient}: not one of your recipients`);
 * }
 * ```
 */
export function agePluginRecipientResolver(userRecipients: readonly string[], options: AgePluginOptions = {}): (recipient: string) => AgePluginRecipient | undefined {
  const allowed = new Map<string, AgePluginRecipient>();
  for (const r of userRecipients) {
    const t = r.trim();
    if (isAgePluginRecipient(t)) allowed.set(t, new AgePluginRecipient(t, options));
  }
  return (recipient) => allowed.get(recipient.trim());
}
