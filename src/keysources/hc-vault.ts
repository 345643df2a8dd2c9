/**
 * HashiCorp Vault / OpenBao transit master keys (sops `hcvault/keysource.go`):
 * the data key, base64-encoded, is sent to the transit engine's
 * `encrypt/<key>` endpoint and the returned `vault:v1:…` ciphertext is stored
 * as it is in the `hc_vault:` entry's `enc`, next to `vault_address`,
 * `engine_path`, `key_name` and `created_at`.
 *
 * I/O-free: requests go through the global `fetch` (or an injected one) and
 * the token comes from an injectable provider, so browsers and embedders can
 * use it. The Node defaults (`VAULT_TOKEN`, `~/.vault-token`,
 * `VAULT_NAMESPACE`, `SOPS_HC_VAULT_ALLOWLIST`, …) are in `sops-ts/node`'s
 * `node/hc-vault.ts`.
 *
 * What is matched from sops and the Vault Go client (`vault/api` 1.23):
 * - key URIs are parsed as `NewMasterKeyFromURI` does (Go `net/url`, the
 *   two path regexes, `path.Join` of the engine path), with sops's texts;
 * - requests are `PUT <address>/v1/<engine>/{encrypt,decrypt}/<key>` with
 *   `X-Vault-Request: true`, `X-Vault-Token` and `X-Vault-Namespace`;
 * - connection errors, 429, 412 and 5xx (but 501) are retried twice with a
 *   1–1.5 s linear jitter back-off; one 301/302/307 redirect is followed;
 * - error texts are the client's (`Error making API request. … Code: 403.
 *   Errors: … * permission denied`) after sops's `failed to encrypt sops
 *   data key to Vault transit backend '<path>': ` prefix.
 *
 * @module
 */
import { base64Encode } from '../encoding.js';
import type { MasterKeyIdentity, MasterKeyRecipient } from '../keysource.js';
import type { StoredKey, VaultStoredKey } from '../metadata.js';
import { formatRfc3339Utc } from '../time.js';
import { goBase64Decode } from './kms.js';

/** A transit key as sops's key URI names it, before wrapping. */
export interface VaultTransitKeySpec {
  /** The server address, the URI without its path (sops `VaultAddress`), e.g. `https://vault.example.org:8200`. */
  vaultAddress: string;
  /** The transit engine's mount path, possibly with slashes (sops `EnginePath`), e.g. `transit`. */
  enginePath: string;
  /** The transit key's name (sops `KeyName`). */
  keyName: string;
}

// ---------------------------------------------------------------- Go net/url

/** A URL as Go's `net/url.Parse` splits it (only the fields sops uses). */
interface GoUrl {
  scheme: string;
  opaque: string;
  /** userinfo as written (without `@`), or undefined */
  user: string | undefined;
  host: string;
  /** unescaped path */
  path: string;
  /** the path as written when it was a valid encoding of `path`, else '' */
  rawPath: string;
  rawQuery: string;
  forceQuery: boolean;
  /** the fragment as written (without `#`), '' if none */
  rawFragment: string;
}

const HEX = '0123456789ABCDEF';

/** Go `shouldEscape` for the path (`encodePath`) and host (`encodeHost`) modes. */
function shouldEscape(c: number, mode: 'path' | 'host'): boolean {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) return false;
  const ch = String.fromCharCode(c);
  if (mode === 'host' && `!$&'()*+,;=:[]<>"`.includes(ch)) return false;
  if ('-_.~'.includes(ch)) return false;
  if (mode === 'path' && '$&+,/:;=@'.includes(ch)) return false;
  return true;
}

/** Go `url.escape(s, encodePath)`, on the UTF-8 bytes of `s`. */
function escapePath(s: string): string {
  let out = '';
  for (const b of new TextEncoder().encode(s)) {
    out += shouldEscape(b, 'path') ? '%' + HEX[b >> 4]! + HEX[b & 15]! : String.fromCharCode(b);
  }
  return out;
}

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

/** Go `url.unescape` for the path and host modes; throws Go's error text. */
function unescape(s: string, mode: 'path' | 'host'): string {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; ) {
    const ch = s[i]!;
    if (ch === '%') {
      if (!isHex(s[i + 1]) || !isHex(s[i + 2])) {
        throw new Error(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      }
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 3;
      continue;
    }
    const code = s.charCodeAt(i);
    if (mode === 'host' && code < 0x80 && shouldEscape(code, 'host')) {
      throw new Error(`invalid character ${JSON.stringify(ch)} in host name`);
    }
    const cp = s.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    bytes.push(...enc.encode(s.slice(i, i + w)));
    i += w;
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

/** Go `validEncoded(s, encodePath)`. */
function validEncodedPath(s: string): boolean {
  for (const b of new TextEncoder().encode(s)) {
    const ch = String.fromCharCode(b);
    if (`!$&'()*+,;=:@[]%`.includes(ch)) continue;
    if (shouldEscape(b, 'path')) return false;
  }
  return true;
}

/** Go `validOptionalPort`. */
function validOptionalPort(port: string): boolean {
  if (port === '') return true;
  if (port[0] !== ':') return false;
  return /^[0-9]*$/.test(port.slice(1));
}

/** Go `parseHost` (simplified: IPv6 zones are kept as written). */
function parseHost(host: string): string {
  if (host.startsWith('[')) {
    const i = host.lastIndexOf(']');
    if (i < 0) throw new Error('missing \']\' in host');
    const colonPort = host.slice(i + 1);
    if (!validOptionalPort(colonPort)) throw new Error(`invalid port ${JSON.stringify(colonPort)} after host`);
    return host;
  }
  const i = host.lastIndexOf(':');
  if (i >= 0) {
    const colonPort = host.slice(i);
    if (!validOptionalPort(colonPort)) throw new Error(`invalid port ${JSON.stringify(colonPort)} after host`);
  }
  unescape(host, 'host');
  return host;
}

/** Go `validUserinfo`. */
function validUserinfo(s: string): boolean {
  return /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(s);
}

/** Go `url.Parse`; throws `parse "<raw>": <reason>` as Go's `*url.Error` prints. */
function goUrlParse(raw: string): GoUrl {
  try {
    return goUrlParseInner(raw);
  } catch (e) {
    throw new Error(`parse ${JSON.stringify(raw)}: ${(e as Error).message}`);
  }
}

function goUrlParseInner(raw: string): GoUrl {
  const u: GoUrl = { scheme: '', opaque: '', user: undefined, host: '', path: '', rawPath: '', rawQuery: '', forceQuery: false, rawFragment: '' };
  let rest = raw;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    u.rawFragment = rest.slice(hash + 1);
    unescape(u.rawFragment, 'path');
    rest = rest.slice(0, hash);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(rest)) throw new Error('net/url: invalid control character in URL');
  if (rest === '') return u;
  // getScheme
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) break;
      continue;
    }
    if (c === ':') {
      if (i === 0) throw new Error('missing protocol scheme');
      u.scheme = rest.slice(0, i).toLowerCase();
      rest = rest.slice(i + 1);
    }
    break;
  }
  if (rest.endsWith('?') && rest.split('?').length === 2) {
    u.forceQuery = true;
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf('?');
    if (q >= 0) {
      u.rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith('/')) {
    if (u.scheme !== '') {
      u.opaque = rest;
      return u;
    }
    const colon = rest.indexOf(':');
    const slash = rest.indexOf('/');
    if (colon >= 0 && (slash < 0 || colon < slash)) throw new Error('first path segment in URL cannot contain colon');
  }
  if (rest.startsWith('//') && !rest.startsWith('///')) {
    const end = rest.indexOf('/', 2);
    const authority = end < 0 ? rest.slice(2) : rest.slice(2, end);
    rest = end < 0 ? '' : rest.slice(end);
    const at = authority.lastIndexOf('@');
    let host = authority;
    if (at >= 0) {
      const userinfo = authority.slice(0, at);
      if (!validUserinfo(userinfo)) throw new Error('net/url: invalid userinfo');
      u.user = userinfo;
      host = authority.slice(at + 1);
    }
    u.host = parseHost(host);
  }
  u.path = unescape(rest, 'path');
  u.rawPath = escapePath(u.path) === rest ? '' : rest;
  return u;
}

/** Go `(*URL).EscapedPath`. */
function escapedPath(u: GoUrl): string {
  if (u.rawPath !== '' && validEncodedPath(u.rawPath)) {
    try {
      if (unescape(u.rawPath, 'path') === u.path) return u.rawPath;
    } catch {
      // not a valid encoding: fall through
    }
  }
  if (u.path === '*') return '*';
  return escapePath(u.path);
}

/** Go `(*URL).RequestURI`. */
function requestUri(u: GoUrl): string {
  let result = u.opaque;
  if (result === '') {
    result = escapedPath(u);
    if (result === '') result = '/';
  } else if (result.startsWith('//')) {
    result = u.scheme + ':' + result;
  }
  if (u.forceQuery || u.rawQuery !== '') result += '?' + u.rawQuery;
  return result;
}

/** Go `(*URL).String` (host and userinfo kept as written). */
function urlString(u: GoUrl): string {
  let out = '';
  if (u.scheme !== '') out += u.scheme + ':';
  if (u.opaque !== '') out += u.opaque;
  else {
    if (u.scheme !== '' || u.host !== '' || u.user !== undefined) {
      if (u.host !== '' || u.path !== '' || u.user !== undefined) out += '//';
      if (u.user !== undefined) out += u.user + '@';
      out += u.host;
    }
    const p = escapedPath(u);
    if (p !== '' && p[0] !== '/' && u.host !== '') out += '/';
    out += p;
  }
  if (u.forceQuery || u.rawQuery !== '') out += '?' + u.rawQuery;
  if (u.rawFragment !== '') out += '#' + u.rawFragment;
  return out;
}

/** Go `path.Join`: join the non-empty elements with `/` and `path.Clean` the result. */
export function goPathJoin(...elems: string[]): string {
  const joined = elems.filter((e) => e !== '').join('/');
  if (joined === '') return '';
  const rooted = joined.startsWith('/');
  const out: string[] = [];
  for (const seg of joined.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const s = (rooted ? '/' : '') + out.join('/');
  return s === '' ? '.' : s;
}

// ----------------------------------------------------------------- key URIs

/** sops's example in its URI errors. */
const URI_EXAMPLE = 'https://vault.example.com:8200/v1/transit/keys/keyName';

/**
 * Parse a transit key URI as sops does (`NewMasterKeyFromURI`):
 * `https://vault.example.org:8200/v1/transit/keys/dev` gives the address
 * `https://vault.example.org:8200`, the engine path `transit` and the key
 * `dev`. The engine path is every segment between `v1` and the last two, so
 * `…/v1/sops/nested/keys/dev` has the engine path `sops/nested`; the
 * second-to-last segment is not checked to be `keys`. A query stays in the
 * address and in the key name, as in sops. Throws sops's texts:
 * `missing scheme in Vault URL (should be like this: +https://…), got: …`,
 * `running Vault with a prefixed URL is not supported! …`,
 * `vault path does not seem to be formatted correctly: …`, or Go's
 * `parse "…": …`.
 *
 * @example
 * ```ts
 * parseVaultTransitUri('https://vault.example.org:8200/v1/transit/keys/dev');
 * // { vaultAddress: 'https://vault.example.org:8200', enginePath: 'transit', keyName: 'dev' }
 * ```
 */
export function parseVaultTransitUri(uri: string): VaultTransitKeySpec {
  const u = goUrlParse(uri);
  if (u.scheme === '') {
    throw new Error(`missing scheme in Vault URL (should be like this: +${URI_EXAMPLE}), got: ${uri}`);
  }
  const { enginePath, keyName } = engineAndKeyFromPath(requestUri(u));
  return { vaultAddress: urlString({ ...u, path: '', rawPath: '' }), enginePath, keyName };
}

/** sops `engineAndKeyFromPath`: the two unanchored regexes, then the segments. */
function engineAndKeyFromPath(fullPath: string): { enginePath: string; keyName: string } {
  if (/\/[^/]+\/v[0-9]+\/[^/]+\/[^/]+\/[^/]+/.test(fullPath)) {
    throw new Error(`running Vault with a prefixed URL is not supported! (Format has to be like ${URI_EXAMPLE})`);
  }
  if (!/\/v[0-9]+\/[^/]+\/[^/]+\/[^/]+/.test(fullPath)) {
    throw new Error(`vault path does not seem to be formatted correctly: (eg. ${URI_EXAMPLE})`);
  }
  const dirs = fullPath.replace(/^\/+|\/+$/g, '').split('/');
  return { keyName: dirs[dirs.length - 1]!, enginePath: goPathJoin(...dirs.slice(1, dirs.length - 2)) };
}

/**
 * Parse a comma-separated list of key URIs (`--hc-vault-transit`,
 * `SOPS_VAULT_URIS`, a `.sops.yaml` `hc_vault_transit_uri` string), as sops's
 * `NewMasterKeysFromURIs`: `''` gives none, empty entries are skipped, no
 * trimming (a space before a URI is a missing scheme).
 */
export function parseVaultTransitUris(list: string): VaultTransitKeySpec[] {
  if (list === '') return [];
  return list.split(',').filter((u) => u !== '').map(parseVaultTransitUri);
}

/** The display string of a transit key (sops `ToString()`): `<address>/v1/<engine>/keys/<key>`. */
export function vaultTransitKeyString(key: VaultTransitKeySpec): string {
  return `${key.vaultAddress}/v1/${key.enginePath}/keys/${key.keyName}`;
}

// ------------------------------------------------------------------- client

/** A token, or a function that finds one (called once per request). */
export type VaultTokenProvider = string | (() => string | Promise<string>);

/** What a {@link VaultTransitRecipient} or {@link VaultTransitIdentity} needs to reach Vault. */
export interface VaultTransitOptions {
  /**
   * The Vault token (`X-Vault-Token`), or a function returning it. `''` sends
   * none (the server answers 403 `permission denied`, as for sops without a
   * token). An error thrown by the function is reported as sops reports a
   * token file it cannot read: `cannot get Vault token: …`. Default: `''`.
   * Node: `vaultTokenProvider(env)` in `sops-ts/node` (`VAULT_TOKEN`, then
   * `~/.vault-token`).
   */
  token?: VaultTokenProvider;
  /** The `fetch` to use. Default: `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  /** The Vault Enterprise / OpenBao namespace (`X-Vault-Namespace`, `VAULT_NAMESPACE`). Default: none. */
  namespace?: string;
  /** Extra request headers (`VAULT_HEADERS`); `X-Vault-*` names are refused. Default: none. */
  headers?: Readonly<Record<string, string>>;
  /**
   * Send every request here instead of to the key's address, as the Go
   * client does when `VAULT_AGENT_ADDR` is set (sops sets only the
   * address, so the agent address wins). Default: none.
   */
  agentAddress?: string;
  /**
   * sops's `SOPS_HC_VAULT_ALLOWLIST`: `all`, `none`, or a comma-separated
   * list of address prefixes (trimmed, `/` appended); a key whose address is
   * not allowed fails with `Allowlist does not allow <address>`. Default: `all`.
   */
  allowlist?: string;
  /** Retries after a connection error, 412, 429 or 5xx but 501 (`VAULT_MAX_RETRIES`). Default: 2. */
  maxRetries?: number;
  /** Per-request timeout in milliseconds (`VAULT_CLIENT_TIMEOUT`); 0 for none. Default: 60000. */
  timeoutMs?: number;
  /** Back-off bounds between retries, in milliseconds. Default: `[1000, 1500]`. */
  retryWaitMs?: readonly [number, number];
  /**
   * An error the Go client raises when it is created from a bad environment
   * (e.g. an unparsable `VAULT_MAX_RETRIES`); reported per key, after the
   * allowlist check, as `cannot create Vault client: <text>`.
   * @internal set by `sops-ts/node`
   */
  clientError?: string;
}

/** sops `parseAllowlistString` + `Allows`. */
function allowlistAllows(allowlist: string, address: string): boolean {
  if (allowlist === 'all') return true;
  if (allowlist === 'none') return false;
  const uris = allowlist.split(',').map((raw, i) => {
    const uri = raw.replace(/^ +| +$/g, '');
    if (uri === '') throw new Error(`SOPS_HC_VAULT_ALLOWLIST's entry ${i + 1} is empty`);
    return uri.endsWith('/') ? uri : uri + '/';
  });
  const a = address.endsWith('/') ? address : address + '/';
  return uris.some((u) => a.startsWith(u));
}

/** A JSON value as Vault returns it. */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Go `unicode.IsPrint` for what a token can hold (ASCII printable, or any non-control non-ASCII). */
function tokenIsPrintable(t: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\x00-\x1f\x7f-\x9f\u2028\u2029\u00ad]/.test(t);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Go's network error text for a failed `fetch` (Node's undici causes mapped to Go's dial errors). */
function networkErrorText(e: unknown): string {
  const cause = (e as { cause?: { code?: string; address?: string; port?: number; hostname?: string; message?: string } })?.cause;
  if (cause?.code === 'ECONNREFUSED' && cause.address !== undefined) {
    const host = cause.address.includes(':') ? `[${cause.address}]` : cause.address;
    return `dial tcp ${host}:${cause.port}: connect: connection refused`;
  }
  if (cause?.code === 'ENOTFOUND' && cause.hostname !== undefined) return `dial tcp: lookup ${cause.hostname}: no such host`;
  if ((e as Error)?.name === 'TimeoutError' || (e as Error)?.name === 'AbortError') return 'context deadline exceeded';
  const msg = cause?.message ?? (e instanceof Error ? e.message : String(e));
  return msg;
}

/** The `vault/api` ResponseError text. */
function responseErrorText(method: string, url: string, status: number, body: string, namespace: string): string {
  let errors: string[];
  let raw = false;
  try {
    const j = JSON.parse(body) as { errors?: unknown };
    if (j === null || typeof j !== 'object' || Array.isArray(j)) throw new Error('not an object');
    errors = Array.isArray(j.errors) ? j.errors.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))) : [];
  } catch {
    raw = true;
    errors = [body];
  }
  const ns = namespace !== '' && namespace !== 'root/' ? `Namespace: ${namespace}\n` : '';
  let out = `Error making API request.\n\n${ns}URL: ${method} ${url}\nCode: ${status}. ${raw ? 'Raw Message' : 'Errors'}:\n\n`;
  if (raw && errors.length === 1) out += errors[0];
  else for (const err of errors) out += `* ${err}`;
  return out;
}

/** Base64 of a string (for basic auth from URL userinfo). */
function basicAuth(userinfo: string): string {
  const i = userinfo.indexOf(':');
  const dec = (s: string) => decodeURIComponent(s);
  const cred = i < 0 ? `${dec(userinfo)}:` : `${dec(userinfo.slice(0, i))}:${dec(userinfo.slice(i + 1))}`;
  return base64Encode(new TextEncoder().encode(cred));
}

/**
 * One `client.Logical().Write(path, body)` of the Vault Go client, as sops
 * calls it; returns the response's `data` (or `null`: "transit backend is
 * empty") or throws the client's error text.
 */
async function vaultWrite(address: string, apiPath: string, body: Record<string, string>, o: VaultTransitOptions): Promise<Record<string, Json> | null> {
  if (!allowlistAllows(o.allowlist ?? 'all', address)) throw new Error(`Allowlist does not allow ${address}`);
  if (o.clientError !== undefined) throw new Error(`cannot create Vault client: ${o.clientError}`);
  let addr: GoUrl;
  try {
    addr = goUrlParse(o.agentAddress || address);
  } catch (e) {
    throw new Error(`cannot create Vault client: ${(e as Error).message}`);
  }
  let token: string;
  try {
    token = typeof o.token === 'function' ? await o.token() : (o.token ?? '');
  } catch (e) {
    throw new Error(`cannot get Vault token: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (!tokenIsPrintable(token)) throw new Error('configured Vault token contains non-printable characters and cannot be used');
  for (const h of Object.keys(o.headers ?? {})) {
    if (h.startsWith('X-Vault-')) throw new Error(`cannot create Vault client: failed to setup Headers[${h}]: Header starting by 'X-Vault-' are for internal usage only`);
  }
  const doFetch = o.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function') throw new TypeError('no fetch available: pass options.fetch');
  // vault/api NewRequest: the address's scheme and host, path.Join(addr.Path, "/v1/" + path).
  let url = `${addr.scheme}://${addr.host}${escapePath(goPathJoin(addr.path, '/v1/' + apiPath))}`;
  const shownUrl = () => {
    const user = addr.user === undefined ? '' : addr.user.includes(':') ? `${addr.user.slice(0, addr.user.indexOf(':'))}:***@` : `${addr.user}@`;
    return url.replace('://', `://${user}`);
  };
  const headers: Record<string, string> = { ...o.headers, 'X-Vault-Request': 'true' };
  if (token !== '') headers['X-Vault-Token'] = token;
  if (o.namespace) headers['X-Vault-Namespace'] = o.namespace;
  if (addr.user !== undefined) headers['Authorization'] = `Basic ${basicAuth(addr.user)}`;
  const payload = JSON.stringify(body);
  const maxRetries = o.maxRetries ?? 2;
  const [waitMin, waitMax] = o.retryWaitMs ?? [1000, 1500];
  const timeoutMs = o.timeoutMs ?? 60000;
  let redirects = 0;
  for (;;) {
    let res: Response | undefined;
    let netErr: unknown;
    for (let attempt = 0; ; attempt++) {
      res = undefined;
      netErr = undefined;
      try {
        res = await doFetch(url, {
          method: 'PUT',
          headers,
          body: payload,
          redirect: 'manual',
          ...(timeoutMs > 0 ? { signal: AbortSignal.timeout(timeoutMs) } : {}),
        });
      } catch (e) {
        netErr = e;
      }
      const timedOut = netErr !== undefined && ((netErr as Error)?.name === 'TimeoutError' || (netErr as Error)?.name === 'AbortError');
      const retry = timedOut ? false : res === undefined ? true : res.status === 412 || res.status === 429 || res.status === 0 || (res.status >= 500 && res.status !== 501);
      if (!retry || attempt >= maxRetries) break;
      let wait = (waitMin + Math.random() * (waitMax - waitMin)) * (attempt + 1);
      if (res !== undefined && (res.status === 429 || res.status === 503)) {
        const ra = res.headers.get('Retry-After');
        if (ra !== null && /^[0-9]+$/.test(ra)) wait = Number(ra) * 1000;
      }
      if (res !== undefined) await res.arrayBuffer().catch(() => undefined);
      await sleep(wait);
    }
    if (res === undefined) throw new Error(`Put ${JSON.stringify(shownUrl())}: ${networkErrorText(netErr)}`);
    // One redirect (standby nodes answer 307 to the active one), never from https to http.
    if ((res.status === 301 || res.status === 302 || res.status === 307) && redirects === 0) {
      const loc = res.headers.get('Location');
      if (loc !== null) {
        const next = new URL(loc, url);
        if (url.startsWith('https:') && next.protocol !== 'https:') throw new Error('redirect would cause protocol downgrade');
        url = next.href;
        redirects++;
        continue;
      }
    }
    const text = await res.text();
    // vault/api Response.Error: every status outside 200–399 is a
    // ResponseError. Logical().Write's 404 special case only returns the
    // secret *with* that error, which sops reports all the same.
    if (res.status < 200 || res.status >= 400) {
      throw new Error(responseErrorText('PUT', shownUrl(), res.status, text, res.headers.get('X-Vault-Namespace') ?? ''));
    }
    // vault/api ParseSecret: an empty body is no secret; a body without any
    // of a secret's fields is taken as raw data, unless it holds `errors`.
    if (text === '') return null;
    let parsed: Json;
    try {
      parsed = JSON.parse(text) as Json;
    } catch (e) {
      throw new Error(`invalid JSON in the Vault response: ${(e as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
    const secret = parsed;
    const known = ['request_id', 'lease_id', 'lease_duration', 'renewable', 'data', 'warnings', 'auth', 'wrap_info', 'mount_type'];
    const isSecret = Object.keys(secret).some((k) => known.includes(k) && secret[k] !== null && secret[k] !== '' && secret[k] !== false && secret[k] !== 0);
    if (isSecret) {
      const d = secret['data'];
      return d !== null && typeof d === 'object' && !Array.isArray(d) ? d : null;
    }
    const keys = Object.keys(secret);
    if (keys.length === 1 && keys[0] === 'errors') return null;
    if ('errors' in secret) {
      const errs = secret['errors'];
      throw new Error(Array.isArray(errs) ? errs.join(' ') : String(errs));
    }
    return keys.length > 0 ? secret : null;
  }
}

/** sops `encryptPath` / `decryptPath`. */
function transitPath(key: VaultTransitKeySpec, op: 'encrypt' | 'decrypt'): string {
  return goPathJoin(key.enginePath, op, key.keyName);
}

/** Options of {@link VaultTransitRecipient}: the client options and the entry's date. */
export interface VaultTransitRecipientOptions extends VaultTransitOptions {
  /**
   * The entry's `created_at`. Default: now. sops keeps a key's creation date
   * when it re-wraps a data key for it (rotate, updatekeys).
   * @internal also a fixed clock for tests
   */
  createdAt?: Date | string;
}

/**
 * Wraps data keys with one Vault/OpenBao transit key (sops
 * `MasterKey.Encrypt`): `PUT /v1/<engine>/encrypt/<key>` with
 * `{"plaintext": base64(dataKey)}`; the answer's `ciphertext`
 * (`vault:v1:…`) is the entry's `enc`.
 *
 * @example
 * ```ts
 * const r = new VaultTransitRecipient('https://vault.example.org:8200/v1/transit/keys/dev', { token: 's.xxxx' });
 * await encrypt(text, { format: 'yaml', recipients: [r] });
 * ```
 */
export class VaultTransitRecipient implements MasterKeyRecipient {
  readonly type = 'hc_vault' as const;
  /** sops's `ToString()`: `<address>/v1/<engine>/keys/<key>`. */
  readonly name: string;
  readonly vaultAddress: string;
  readonly enginePath: string;
  readonly keyName: string;
  readonly #options: VaultTransitRecipientOptions;

  /** `key` is a key URI (parsed with {@link parseVaultTransitUri}, which may throw) or its parts. */
  constructor(key: string | VaultTransitKeySpec, options: VaultTransitRecipientOptions = {}) {
    const spec = typeof key === 'string' ? parseVaultTransitUri(key) : key;
    if (typeof spec?.vaultAddress !== 'string' || typeof spec.enginePath !== 'string' || typeof spec.keyName !== 'string') {
      throw new TypeError('key must be a Vault transit key URI or { vaultAddress, enginePath, keyName }');
    }
    this.vaultAddress = spec.vaultAddress;
    this.enginePath = spec.enginePath;
    this.keyName = spec.keyName;
    this.name = vaultTransitKeyString(this);
    this.#options = { ...options };
  }

  /** The recipient that re-wraps a data key for a stored `hc_vault:` entry, keeping its `created_at`. */
  static fromStoredKey(key: VaultStoredKey, options: VaultTransitOptions = {}): VaultTransitRecipient {
    return new VaultTransitRecipient(key, { ...options, createdAt: key.createdAt });
  }

  async wrap(dataKey: Uint8Array): Promise<VaultStoredKey> {
    const fullPath = transitPath(this, 'encrypt');
    const prefix = `failed to encrypt sops data key to Vault transit backend '${fullPath}': `;
    let data: Record<string, Json> | null;
    try {
      data = await vaultWrite(this.vaultAddress, fullPath, { plaintext: base64Encode(dataKey) }, this.#options);
    } catch (e) {
      throw clientError(e, prefix);
    }
    if (data === null) throw new Error(prefix + 'transit backend is empty');
    if (!('ciphertext' in data)) throw new Error(prefix + 'no encrypted data');
    const c = data['ciphertext'];
    if (typeof c !== 'string') throw new Error(prefix + 'encrypted ciphertext cannot be cast to string');
    const at = this.#options.createdAt;
    return {
      type: 'hc_vault',
      vaultAddress: this.vaultAddress,
      enginePath: this.enginePath,
      keyName: this.keyName,
      createdAt: at === undefined ? formatRfc3339Utc(new Date()) : typeof at === 'string' ? at : formatRfc3339Utc(at),
      enc: c,
    };
  }
}

/** Errors before the request (allowlist, client setup, token) carry no prefix in sops. */
function clientError(e: unknown, prefix: string): Error {
  const msg = e instanceof Error ? e.message : String(e);
  if (/^(Allowlist does not allow |SOPS_HC_VAULT_ALLOWLIST's entry |cannot create Vault client: |cannot get Vault token: )/.test(msg)) {
    return new Error(msg, { cause: e });
  }
  return new Error(prefix + msg, { cause: e });
}

/**
 * Unwraps transit-wrapped data keys (sops `MasterKey.Decrypt`):
 * `PUT /v1/<engine>/decrypt/<key>` with `{"ciphertext": enc}` to the
 * entry's own address. Handles every `hc_vault:` entry with the same token
 * and options (sops uses one token for all Vault keys); returns `null` for
 * other kinds.
 *
 * @example
 * ```ts
 * const text = await decrypt(enc, { format: 'yaml', identities: [new VaultTransitIdentity({ token })] });
 * ```
 */
export class VaultTransitIdentity implements MasterKeyIdentity {
  readonly #options: VaultTransitOptions;
  constructor(options: VaultTransitOptions = {}) {
    this.#options = { ...options };
  }

  async unwrap(key: StoredKey): Promise<Uint8Array | null> {
    if (key.type !== 'hc_vault') return null;
    const fullPath = transitPath(key, 'decrypt');
    const prefix = `failed to decrypt sops data key from Vault transit backend '${fullPath}': `;
    let data: Record<string, Json> | null;
    try {
      data = await vaultWrite(key.vaultAddress, fullPath, { ciphertext: key.enc }, this.#options);
    } catch (e) {
      throw clientError(e, prefix);
    }
    if (data === null) throw new Error(prefix + 'transit backend is empty');
    if (!('plaintext' in data)) throw new Error(prefix + 'no decrypted data');
    const p = data['plaintext'];
    if (typeof p !== 'string') throw new Error(prefix + 'decrypted plaintext data cannot be cast to string');
    const bytes = goBase64Decode(p);
    if (typeof bytes === 'number') throw new Error(prefix + 'cannot decode base64 plaintext into data key bytes');
    return bytes;
  }
}
