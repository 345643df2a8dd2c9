/**
 * Vault / OpenBao transit master keys in Node: the token and client settings
 * found where sops (`hcvault/keysource.go`) and the Vault Go client
 * (`vault/api` `DefaultConfig`/`NewClient`) find them.
 *
 * - Token: `VAULT_TOKEN` when set and non-empty, otherwise the whole
 *   content, trimmed, of `$HOME/.vault-token` (sops's
 *   `userVaultToken`; a missing file means no token; the Vault CLI's
 *   `token_helper` from `~/.vault` is not consulted by sops, nor here).
 * - `VAULT_NAMESPACE` → `X-Vault-Namespace`; `VAULT_HEADERS` (a JSON object
 *   of strings, no `X-Vault-*`) → extra headers.
 * - `VAULT_AGENT_ADDR` → every request goes there, even though the key names
 *   another address (the Go client prefers the agent address and sops sets
 *   only the address). `VAULT_ADDR` is ignored: the key's address wins.
 * - `VAULT_MAX_RETRIES`, `VAULT_CLIENT_TIMEOUT` as the Go client parses them
 *   (a bad value fails each Vault key with the client's text).
 * - `SOPS_HC_VAULT_ALLOWLIST` (sops ≥ 3.13): `all` (default), `none` or
 *   address prefixes.
 *
 * Not supported (Node's `fetch` has no per-request TLS settings):
 * `VAULT_CACERT`, `VAULT_CAPATH`, `VAULT_CLIENT_CERT`/`_KEY`,
 * `VAULT_SKIP_VERIFY`, `VAULT_TLS_SERVER_NAME`, `VAULT_PROXY_ADDR`; use
 * `NODE_EXTRA_CA_CERTS` for a private CA, or pass your own `fetch`.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  parseVaultTransitUri,
  parseVaultTransitUris,
  VaultTransitIdentity,
  VaultTransitRecipient,
  type VaultTransitOptions,
} from '../keysources/hc-vault.js';

/** An environment to read (`process.env` by default). */
export type VaultEnv = Readonly<Record<string, string | undefined>>;

/** Go's `os.Open`/`Read` error text for a token file Node could not read. */
function fileErrorText(path: string, e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'EACCES': return `open ${path}: permission denied`;
    case 'EISDIR': return `read ${path}: is a directory`;
    case 'ENOTDIR': return `open ${path}: not a directory`;
    case 'ELOOP': return `open ${path}: too many levels of symbolic links`;
    default: return `open ${path}: ${e.message}`;
  }
}

/** The home directory as `go-homedir` finds it: `$HOME`, else the account's. */
function homeDir(env: VaultEnv): string {
  const h = env['HOME'];
  return h !== undefined && h !== '' ? h : homedir();
}

/**
 * The token sops uses, as a provider for {@link VaultTransitOptions.token}:
 * `VAULT_TOKEN` if non-empty, else `$HOME/.vault-token` trimmed, else `''`.
 * Read at each request, so a token renewed on disk is picked up. A token file
 * that exists but cannot be read throws Go's text (reported by the key as
 * `cannot get Vault token: open …: permission denied`).
 *
 * @example
 * ```ts
 * const identity = new VaultTransitIdentity({ token: vaultTokenProvider(process.env) });
 * ```
 */
export function vaultTokenProvider(env: VaultEnv = process.env): () => string {
  return () => {
    const t = env['VAULT_TOKEN'];
    if (t !== undefined && t !== '') return t;
    const path = join(homeDir(env), '.vault-token');
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') return '';
      throw new Error(fileErrorText(path, err));
    }
    // Go strings.TrimSpace: ASCII and Unicode white space.
    return text.trim();
  };
}

/** `parseutil.ParseDurationSecond`: plain seconds or a Go duration, in ms; undefined if invalid. */
function parseDurationSecond(s: string): number | undefined {
  const t = s.trim();
  if (/^[0-9]+$/.test(t)) return Number(t) * 1000;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  const re = /([0-9]*\.?[0-9]+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  const sign = t.startsWith('-') ? -1 : 1;
  const body = t.replace(/^[+-]/, '');
  if (body === '') return undefined;
  for (let m = re.exec(body); m !== null; m = re.exec(body)) {
    total += Number(m[1]) * unit[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== body.length) return undefined;
  return sign * total;
}

/**
 * The client options sops's Vault client would take from `env`: token
 * provider, namespace, extra headers, agent address, retries, timeout and
 * sops's allowlist. An environment the Go client refuses (e.g.
 * `VAULT_MAX_RETRIES=x`, bad `VAULT_HEADERS`) gives options that fail each
 * Vault key with the client's text, as sops does.
 */
export function vaultTransitOptions(env: VaultEnv = process.env): VaultTransitOptions {
  const o: VaultTransitOptions = { token: vaultTokenProvider(env) };
  const get = (k: string) => {
    const v = env[k];
    return v === undefined || v === '' ? undefined : v;
  };
  const allow = get('SOPS_HC_VAULT_ALLOWLIST');
  if (allow !== undefined) o.allowlist = allow;
  const agent = get('VAULT_AGENT_ADDR');
  if (agent !== undefined) o.agentAddress = agent;
  const ns = get('VAULT_NAMESPACE');
  if (ns !== undefined) o.namespace = ns;
  const setup = (text: string) => {
    o.clientError ??= `error encountered setting up default configuration: ${text}`;
  };
  const retries = get('VAULT_MAX_RETRIES');
  if (retries !== undefined) {
    if (!/^[0-9]+$/.test(retries)) setup(`strconv.ParseUint: parsing ${JSON.stringify(retries)}: invalid syntax`);
    else if (Number(retries) > 0xffffffff) setup(`strconv.ParseUint: parsing ${JSON.stringify(retries)}: value out of range`);
    else o.maxRetries = Number(retries);
  }
  const timeout = get('VAULT_CLIENT_TIMEOUT');
  if (timeout !== undefined) {
    const ms = parseDurationSecond(timeout);
    if (ms === undefined) setup('could not parse "VAULT_CLIENT_TIMEOUT"');
    else if (ms !== 0) o.timeoutMs = ms;
  }
  const headers = get('VAULT_HEADERS');
  if (headers !== undefined && o.clientError === undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(headers);
    } catch {
      parsed = undefined;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      o.clientError = 'could not unmarshal environment-supplied headers';
    } else {
      const entries = Object.entries(parsed as Record<string, unknown>);
      const forbidden = entries.filter(([k]) => k.startsWith('X-Vault-')).map(([k]) => k);
      if (entries.some(([k, v]) => !k.startsWith('X-Vault-') && typeof v !== 'string')) {
        o.clientError = 'environment-supplied headers include non-string values';
      } else if (forbidden.length > 0) {
        o.clientError = `failed to setup Headers[${forbidden.join(', ')}]: Header starting by 'X-Vault-' are for internal usage only`;
      } else {
        o.headers = Object.fromEntries(entries) as Record<string, string>;
      }
    }
  }
  return o;
}

/**
 * The identity that unwraps every `hc_vault:` entry with the token and
 * settings found in `env` (see {@link vaultTransitOptions}).
 *
 * @example
 * ```ts
 * const text = await decrypt(enc, { format: 'yaml', identities: [vaultTransitIdentity()] });
 * ```
 */
export function vaultTransitIdentity(env: VaultEnv = process.env, overrides: VaultTransitOptions = {}): VaultTransitIdentity {
  return new VaultTransitIdentity({ ...vaultTransitOptions(env), ...overrides });
}

/**
 * Recipients for key URIs, with the token and settings found in `env`:
 * a string is a comma-separated `--hc-vault-transit` / `SOPS_VAULT_URIS`
 * list (empty entries skipped); an array holds one URI per entry, not split
 * (as `groups add --hc-vault-transit` and `.sops.yaml` `key_groups` take
 * them). Throws sops's URI errors.
 *
 * @example
 * ```ts
 * const recipients = vaultTransitRecipients(process.env.SOPS_VAULT_URIS ?? '');
 * ```
 */
export function vaultTransitRecipients(list: string | readonly string[], env: VaultEnv = process.env, overrides: VaultTransitOptions = {}): VaultTransitRecipient[] {
  const options = { ...vaultTransitOptions(env), ...overrides };
  const specs = typeof list === 'string' ? parseVaultTransitUris(list) : list.map((l) => parseVaultTransitUri(l));
  return specs.map((s) => new VaultTransitRecipient(s, options));
}
