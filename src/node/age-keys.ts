/**
 * Where age identities come from, exactly as sops 3.13 looks them up
 * (`age/keysource.go` `loadIdentities`): every source is read, in this order,
 * and all identities found are tried.
 *
 * 1. SSH keys (`loadAgeSSHIdentities`), each source independently of the
 *    others: `SOPS_AGE_SSH_PRIVATE_KEY_FILE`, `SOPS_AGE_SSH_PRIVATE_KEY_CMD`
 *    (run with `SOPS_AGE_RECIPIENT` set, its output is one private key), then
 *    `~/.ssh/id_ed25519` and `~/.ssh/id_rsa` whenever they exist, even if the
 *    variables are set. A passphrase-protected key file stands as an
 *    identity that fails only when a file is actually encrypted to it (sops
 *    would ask for the passphrase there).
 * 2. `SOPS_AGE_KEY`: the keys themselves, several per line allowed (3.13).
 * 3. `SOPS_AGE_KEY_FILE`: a key file.
 * 4. `SOPS_AGE_KEY_CMD`: a command (split like a shell, not run by one) whose
 *    output is a key file; it runs with `SOPS_AGE_RECIPIENT` set.
 * 5. `<user config dir>/sops/age/keys.txt`, when it exists.
 *
 * @module
 */
import { childProcess } from './builtins.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Identity } from 'age-encryption';
import { AgeIdentity, parseAgeIdentities } from '../keysources/age.js';
import { SshEncryptedIdentity, SshPassphraseMissingError, parseSshIdentity, parseSshPublicKey } from '../keysources/age-ssh.js';
import type { MasterKeyIdentity } from '../keysource.js';
import type { StoredKey } from '../metadata.js';
import { AgePluginIdentity, parseAgePluginIdentity, type AgePluginOptions } from './age-plugin.js';

/** The environment, as `process.env`. */
export type Env = Record<string, string | undefined>;

/** Go's `os` error text for a Node fs error. */
export function goFsError(op: string, path: string, e: unknown): string {
  const code = (e as { code?: string }).code;
  const text: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
    ELOOP: 'too many levels of symbolic links',
    ENXIO: 'no such device or address',
  };
  return `${op} ${path}: ${(code && text[code]) ?? (e instanceof Error ? e.message : String(e))}`;
}

/**
 * The user config directory as Go's `os.UserConfigDir` (plus sops's macOS
 * `XDG_CONFIG_HOME` override). Throws where Go returns an error.
 */
export function userConfigDir(env: Env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') {
    const d = env['AppData'] ?? env['APPDATA'];
    if (!d) throw new Error('%AppData% is not defined');
    return d;
  }
  if (platform === 'darwin') {
    const x = env['XDG_CONFIG_HOME'];
    if (x) return x;
    const h = env['HOME'];
    if (!h) throw new Error('$HOME is not defined');
    return join(h, 'Library', 'Application Support');
  }
  const x = env['XDG_CONFIG_HOME'];
  if (x) {
    if (!x.startsWith('/')) throw new Error('path in $XDG_CONFIG_HOME is relative');
    return x;
  }
  const h = env['HOME'];
  if (!h) throw new Error('neither $XDG_CONFIG_HOME nor $HOME are defined');
  return join(h, '.config');
}

/** The default age key file: `<user config dir>/sops/age/keys.txt`. */
export function defaultAgeKeyFile(env: Env = process.env): string | undefined {
  try {
    return join(userConfigDir(env), 'sops', 'age', 'keys.txt');
  } catch {
    return undefined;
  }
}

/** Split a command line like `github.com/google/shlex` (quotes and backslashes; no shell). */
export function shlexSplit(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += s[i + 1];
      inWord = true;
      i += 2;
    } else if (c === "'") {
      const j = s.indexOf("'", i + 1);
      if (j < 0) throw new Error('EOF found when expecting closing quote');
      cur += s.slice(i + 1, j);
      inWord = true;
      i = j + 1;
    } else if (c === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length && '"\\$`\n'.includes(s[i + 1]!)) i++;
        cur += s[i];
        i++;
      }
      if (i >= s.length) throw new Error('EOF found when expecting closing quote');
      i++;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else if (c === '#' && !inWord) {
      break; // shlex treats # as a comment at the start of a word
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

interface Loaded {
  identities: (string | Identity)[];
  unused: string[];
  errors: string[];
  /** How plugin identities run (environment, UI). */
  pluginOptions: AgePluginOptions;
}

function readSource(location: string, text: string, multi: boolean, out: Loaded): void {
  if (text.startsWith('age-encryption') || text.startsWith('-----BEGIN AGE')) {
    out.errors.push(`failed to parse '${location}' age identities: passphrase-protected identity files are not supported by sops-ts yet`);
    return;
  }
  try {
    // Plugin identities (`AGE-PLUGIN-…`) are checked here, so a bad one reads
    // "failed to parse '<location>' age identities: …" as in sops; the plugin
    // itself runs only when a file's key is unwrapped with it.
    const ids = parseAgeIdentities(text, multi).map((id) => {
      if (!id.startsWith('AGE-PLUGIN-')) return id;
      parseAgePluginIdentity(id);
      return new AgePluginIdentity(id, out.pluginOptions);
    });
    out.identities.push(...ids);
    if (ids.length === 0) out.unused.push(location);
  } catch (e) {
    out.errors.push(`failed to parse '${location}' age identities: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Go `os.UserHomeDir`. */
function userHomeDir(env: Env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') {
    const h = env['USERPROFILE'];
    if (!h) throw new Error('%userprofile% is not defined');
    return h;
  }
  const h = env['HOME'];
  if (!h) throw new Error('$HOME is not defined');
  return h;
}

/** Run a key command as sops's `getOutputFromCmd` does (no shell; `SOPS_AGE_RECIPIENT` set). */
function runKeyCommand(cmd: string, recipient: string, env: Env): string {
  try {
    const args = shlexSplit(cmd);
    if (args.length === 0) throw new Error('empty command');
    return childProcess().execFileSync(args[0]!, args.slice(1), {
      env: { ...env, SOPS_AGE_RECIPIENT: recipient },
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    });
  } catch (e) {
    throw new Error(`failed to execute command ${cmd}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
}

/**
 * An SSH identity from a key file (sops `parseSSHIdentityFromPrivateKeyFile`).
 * A passphrase-protected key becomes an {@link SshEncryptedIdentity}; its
 * public key comes from the file (OpenSSH format) or from `<path>.pub` (PEM).
 */
function sshIdentityFromFile(path: string): Identity {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`failed to open file: ${goFsError('open', path, e)}`);
  }
  try {
    return parseSshIdentity(text);
  } catch (e) {
    if (!(e instanceof SshPassphraseMissingError)) throw new Error(`malformed SSH identity in ${JSON.stringify(path)}: ${e instanceof Error ? e.message : String(e)}`);
    let pub = e.publicKey;
    if (pub === undefined) {
      const pubPath = path + '.pub';
      let pubText: string;
      try {
        pubText = readFileSync(pubPath, 'utf8');
      } catch (err) {
        throw new Error(`failed to obtain public ${JSON.stringify(pubPath)} key for ${JSON.stringify(path)} SSH key: ${goFsError('open', pubPath, err)}`);
      }
      try {
        pub = parseSshPublicKey(pubText).key;
      } catch (err) {
        throw new Error(`failed to parse ${JSON.stringify(pubPath)}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return new SshEncryptedIdentity(pub, path);
  }
}

/** sops `loadAgeSSHIdentities`: the SSH private key sources, every one that is present. */
function loadSshIdentities(recipient: string, env: Env, out: Loaded): void {
  const file = env['SOPS_AGE_SSH_PRIVATE_KEY_FILE'];
  if (file !== undefined) {
    try {
      out.identities.push(sshIdentityFromFile(file));
    } catch (e) {
      out.errors.push(e instanceof Error ? e.message : String(e));
    }
  } else out.unused.push('SOPS_AGE_SSH_PRIVATE_KEY_FILE');
  const cmd = env['SOPS_AGE_SSH_PRIVATE_KEY_CMD'];
  if (cmd !== undefined) {
    try {
      const text = runKeyCommand(cmd, recipient, env);
      try {
        out.identities.push(parseSshIdentity(text));
      } catch (e) {
        // sops: no prompt for a command's key, and the Go error quoted with %q.
        if (e instanceof SshPassphraseMissingError) throw new Error('the SSH key returned by running SOPS_AGE_SSH_PRIVATE_KEY_CMD is password protected, which is unsupported. ("ssh: this private key is passphrase protected")');
        throw new Error(`malformed SSH identity returned by running SOPS_AGE_SSH_PRIVATE_KEY_CMD: ${JSON.stringify(e instanceof Error ? e.message : String(e))}`);
      }
    } catch (e) {
      out.errors.push(e instanceof Error ? e.message : String(e));
    }
  } else out.unused.push('SOPS_AGE_SSH_PRIVATE_KEY_CMD');
  let home: string;
  try {
    home = userHomeDir(env);
  } catch (e) {
    out.errors.push(e instanceof Error ? e.message : String(e));
    return;
  }
  for (const f of ['id_ed25519', 'id_rsa']) {
    const p = join(home, '.ssh', f);
    // sops: os.Stat succeeds → the file is used (a parse error is a load error); otherwise a location not found.
    if (!existsSync(p)) {
      out.unused.push(p);
      continue;
    }
    try {
      out.identities.push(sshIdentityFromFile(p));
    } catch (e) {
      out.errors.push(e instanceof Error ? e.message : String(e));
    }
  }
}

/** Load age identities for one recipient from the environment, as sops does. */
export function loadAgeIdentities(recipient: string, env: Env = process.env, pluginOptions: AgePluginOptions = {}): Loaded {
  const out: Loaded = { identities: [], unused: [], errors: [], pluginOptions: { env, ...pluginOptions } };
  loadSshIdentities(recipient, env, out);
  const sources: [string, string, boolean][] = [];
  const key = env['SOPS_AGE_KEY'];
  if (key !== undefined) sources.push(['SOPS_AGE_KEY', key, true]);
  else out.unused.push('SOPS_AGE_KEY');
  const file = env['SOPS_AGE_KEY_FILE'];
  if (file !== undefined) {
    try {
      sources.push(['SOPS_AGE_KEY_FILE', readFileSync(file, 'utf8'), false]);
    } catch (e) {
      out.errors.push(`failed to open SOPS_AGE_KEY_FILE file: ${goFsError('open', file, e)}`);
    }
  } else out.unused.push('SOPS_AGE_KEY_FILE');
  const cmd = env['SOPS_AGE_KEY_CMD'];
  if (cmd !== undefined) {
    try {
      sources.push(['SOPS_AGE_KEY_CMD', runKeyCommand(cmd, recipient, env), false]);
    } catch (e) {
      out.errors.push(e instanceof Error ? e.message : String(e));
    }
  } else out.unused.push('SOPS_AGE_KEY_CMD');
  let dir: string | undefined;
  let dirError: unknown;
  try {
    dir = userConfigDir(env);
  } catch (e) {
    dirError = e;
  }
  if (dir === undefined) {
    if (sources.length === 0 && out.identities.length === 0) out.errors.push(`user config directory could not be determined: ${dirError instanceof Error ? dirError.message : String(dirError)}`);
  } else {
    const p = join(dir, 'sops', 'age', 'keys.txt');
    try {
      sources.push([p, readFileSync(p, 'utf8'), false]);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT') out.errors.push(`failed to open file: ${goFsError('open', p, e)}`);
      else if (sources.length === 0 && out.identities.length === 0) out.unused.push(p);
    }
  }
  for (const [location, text, multi] of sources) readSource(location, text, multi, out);
  return out;
}

/**
 * An age identity backed by the environment: identities are loaded on first
 * use for each recipient (the key command sees `SOPS_AGE_RECIPIENT`).
 */
export class EnvAgeIdentity implements MasterKeyIdentity {
  readonly #env: Env;
  readonly #plugins: AgePluginOptions;
  readonly #cache = new Map<string, AgeIdentity>();
  /**
   * @param env Where keys are looked up. Default: `process.env`.
   * @param pluginOptions How age plugin identities (`AGE-PLUGIN-…` in a key
   *   file) run: UI callbacks, timeout. Default: non-interactive.
   */
  constructor(env: Env = process.env, pluginOptions: AgePluginOptions = {}) {
    this.#env = env;
    this.#plugins = pluginOptions;
  }
  async unwrap(key: StoredKey): Promise<Uint8Array | null> {
    if (key.type !== 'age') return null;
    // Without a key command, every recipient sees the same identities.
    const cacheKey = this.#env['SOPS_AGE_KEY_CMD'] === undefined && this.#env['SOPS_AGE_SSH_PRIVATE_KEY_CMD'] === undefined ? '' : key.recipient;
    let id = this.#cache.get(cacheKey);
    if (id === undefined) {
      const loaded = loadAgeIdentities(key.recipient, this.#env, this.#plugins);
      id = new AgeIdentity(loaded.identities, { loadErrors: loaded.errors, unusedLocations: loaded.unused });
      this.#cache.set(cacheKey, id);
    }
    return id.unwrap(key);
  }
}
