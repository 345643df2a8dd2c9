/**
 * The default Azure Key Vault client for Node: the Key Vault REST API over
 * `fetch`, with access tokens from a `TokenCredential`, by default
 * `@azure/identity`'s `DefaultAzureCredential` (an optional peer dependency,
 * loaded with a dynamic `import()` the first time an Azure key is used).
 *
 * Why REST over `fetch` rather than `@azure/keyvault-keys`: sops calls three
 * endpoints with fixed shapes, and doing it here keeps the dependency to the
 * one package that has to be the SDK (credentials: environment, workload
 * identity, managed identity, Azure CLI, Azure Developer CLI, as
 * azidentity's `DefaultAzureCredential` in sops), lets the request sequence
 * follow sops's Go SDK exactly, and lets errors be printed in the Go SDK's
 * form (`azcore.ResponseError`).
 *
 * What each call does, as sops's `azkeys` client (v1.5) does:
 * - the API version is `2025-07-01`;
 * - every call starts a new client (sops builds one per operation), so it
 *   first sends the request without a body and without a token to elicit
 *   Key Vault's `401` challenge (`WWW-Authenticate: Bearer
 *   authorization="https://login…/TENANT", resource="https://vault.azure.net"`),
 *   checks that the challenge's resource host is a parent domain of the
 *   vault's host (sops leaves `DisableChallengeResourceVerification` off),
 *   gets a token for `RESOURCE/.default` in that tenant, and sends the
 *   request again with its body;
 * - a non-2xx answer is reported in azcore's `ResponseError` layout
 *   (`POST https://…/encrypt`, `RESPONSE 404: 404 Not Found`,
 *   `ERROR CODE: KeyNotFound`, the JSON body indented).
 *
 * @module
 */
import { httpStatusText } from './builtins.js';
import {
  AzureKvIdentity,
  AzureKvRecipient,
  parseAzureKvUrls,
  resolveAzureKvVersion,
  type AzureKvClient,
  type AzureKvKeyReference,
  type AzureKvOperationInput,
  base64RawUrlDecode,
  base64RawUrlEncode,
} from '../keysources/azure-kv.js';

/** The npm package the default credential comes from. */
export const AZURE_IDENTITY_PACKAGE = '@azure/identity';

/** The Key Vault REST API version sops's Go SDK (`azkeys` 1.5) sends. */
export const AZURE_KV_API_VERSION = '2025-07-01';

/**
 * The part of `@azure/core-auth`'s `TokenCredential` used here, so that any
 * `@azure/identity` credential (or a hand-written one) fits.
 */
export interface AzureTokenCredential {
  getToken(scopes: string | string[], options?: { tenantId?: string }): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

/** Options of {@link createAzureKvClient}. */
export interface AzureKvClientOptions {
  /**
   * The credential tokens come from. Default: `new DefaultAzureCredential()`
   * from `@azure/identity` (installed separately), created on first use.
   */
  credential?: AzureTokenCredential;
  /** The `fetch` used for Key Vault calls (e.g. one with a proxy or extra CA). Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
  /**
   * Accept a challenge whose resource is not a parent domain of the vault
   * (Key Vault test doubles on `localhost`). Default: `false`, as in sops.
   */
  disableChallengeResourceVerification?: boolean;
  /** @internal The package to load instead of {@link AZURE_IDENTITY_PACKAGE} (tests of the missing-package error). */
  identityPackage?: string;
}

interface IdentityModule {
  DefaultAzureCredential: new () => AzureTokenCredential;
}

const loaded = new Map<string, Promise<unknown>>();

/** Import `@azure/identity`, or throw an error naming the package to install. */
function loadIdentity(name: string): Promise<IdentityModule> {
  let p = loaded.get(name);
  if (p === undefined) {
    p = import(name).catch((e: unknown) => {
      loaded.delete(name);
      throw new Error(`Azure Key Vault needs the package ${name} for credentials, which could not be loaded; install it with: npm install ${name} (or pass a credential)`, { cause: e });
    });
    loaded.set(name, p);
  }
  return p as Promise<IdentityModule>;
}

/**
 * The challenge parameters of a `WWW-Authenticate` header, parsed as the
 * Go SDK parses them (`updateTokenRequestOptions`): `Bearer ` removed, split
 * on spaces, `k=v` pairs with quotes and a trailing comma removed; the scope
 * is `scope` or else `resource`, with `/.default` appended; the tenant is the
 * fourth `/`-separated part of `authorization`.
 * @internal
 */
export function parseKeyVaultChallenge(header: string): { scope: string; resource: string; tenantId: string } {
  const vals = new Map<string, string>();
  for (const part of header.replaceAll('Bearer ', '').split(' ')) {
    const sub = part.split('=');
    if (sub.length === 2) {
      let v = sub[1]!.replaceAll('"', '');
      if (v.endsWith(',')) v = v.slice(0, -1);
      vals.set(sub[0]!, v);
    }
  }
  const resource = vals.get('scope') ?? vals.get('resource') ?? '';
  if (resource === '') throw new Error('could not find a valid resource in the WWW-Authenticate header');
  const authorization = vals.get('authorization') ?? '';
  const tenantId = authorization === '' ? '' : (authorization.split('/')[3] ?? '').replaceAll(',', '');
  return { resource, scope: resource.endsWith('/.default') ? resource : `${resource}/.default`, tenantId };
}

/** Go `url.URL.Host` of a challenge resource, or `undefined` if it is not a URL. */
function urlHost(s: string): string | undefined {
  try {
    return new URL(s).host;
  } catch {
    return undefined;
  }
}

/**
 * azcore's `ResponseError.Error()` text for a non-2xx Key Vault answer.
 * @internal
 */
export function azureResponseErrorText(method: string, url: URL, status: number, body: string, errorCodeHeader: string | null): string {
  const sep = '-'.repeat(80);
  let code = errorCodeHeader ?? '';
  let pretty: string | undefined;
  if (body.length > 0) {
    try {
      const parsed: unknown = JSON.parse(body);
      pretty = JSON.stringify(parsed, null, 2);
      if (code === '' && parsed !== null && typeof parsed === 'object') {
        const o = parsed as Record<string, unknown>;
        const inner = (o['error'] ?? o['odata.error'] ?? o) as Record<string, unknown> | undefined;
        if (inner !== null && typeof inner === 'object' && typeof inner['code'] === 'string') code = inner['code'];
      }
    } catch {
      pretty = body;
    }
  }
  const reason = httpStatusText(status);
  let msg = `${method} ${url.protocol}//${url.host}${url.pathname}\n${sep}\nRESPONSE ${status}: ${status}${reason ? ' ' + reason : ''}\n`;
  msg += code !== '' ? `ERROR CODE: ${code}\n` : 'ERROR CODE UNAVAILABLE\n';
  msg += `${sep}\n`;
  msg += pretty === undefined ? 'Response contained no body\n' : `${pretty}\n`;
  return msg + `${sep}\n`;
}

/** Go's `url.PathEscape`: unreserved characters and `$&+:=@` kept, everything else percent-encoded. */
function pathEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()).replace(/%(24|26|2B|3A|3D|40)/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/**
 * The default {@link AzureKvClient} for Node (see the module notes).
 *
 * @example
 * ```ts
 * import { decryptFile, createAzureKvClient } from 'sops-ts/node';
 * import { AzureKvIdentity } from 'sops-ts';
 * const text = await decryptFile('secret.enc.yaml', { identities: [new AzureKvIdentity(createAzureKvClient())] });
 * ```
 */
export function createAzureKvClient(options: AzureKvClientOptions = {}): AzureKvClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  const verify = options.disableChallengeResourceVerification !== true;
  let credential: Promise<AzureTokenCredential> | undefined;
  const getCredential = (): Promise<AzureTokenCredential> => {
    if (options.credential !== undefined) return Promise.resolve(options.credential);
    credential ??= loadIdentity(options.identityPackage ?? AZURE_IDENTITY_PACKAGE).then((m) => new m.DefaultAzureCredential());
    credential.catch(() => (credential = undefined));
    return credential;
  };

  async function send(method: 'GET' | 'POST', url: URL, headers: Record<string, string>, body: string | undefined): Promise<Response> {
    try {
      return await doFetch(url, { method, headers, body, redirect: 'manual' });
    } catch (e) {
      // Go's net/http error: `Post "URL": <cause>`.
      const cause = (e as { cause?: { message?: string } })?.cause?.message ?? (e instanceof Error ? e.message : String(e));
      throw new Error(`${method === 'GET' ? 'Get' : 'Post'} ${JSON.stringify(url.href)}: ${cause}`, { cause: e });
    }
  }

  async function call(method: 'GET' | 'POST', key: AzureKvKeyReference, suffix: string, json?: unknown): Promise<unknown> {
    // runtime.JoinPaths: one `/` between the vault URL and the path.
    const base = key.vaultUrl.endsWith('/') ? key.vaultUrl.slice(0, -1) : key.vaultUrl;
    const url = new URL(`${base}/keys/${pathEscape(key.name)}/${pathEscape(key.version)}${suffix}`);
    url.search = `api-version=${AZURE_KV_API_VERSION}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    // 1. elicit the challenge: no token, and no body (as the Go SDK: the
    //    data key is never sent before the vault is authenticated).
    let res = await send(method, url, headers, undefined);
    if (res.status === 401) {
      const header = res.headers.get('www-authenticate');
      await res.body?.cancel();
      if (header === null || header === '') throw new Error('response has no WWW-Authenticate header for challenge authentication');
      const challenge = parseKeyVaultChallenge(header);
      if (verify) {
        const host = urlHost(challenge.resource);
        if (host === undefined) throw new Error(`invalid challenge resource ${JSON.stringify(challenge.resource)}`);
        if (!url.host.endsWith('.' + host)) {
          throw new Error(`challenge resource ${JSON.stringify(challenge.resource)} doesn't match the requested domain. Set DisableChallengeResourceVerification to true in your client options to disable. See https://aka.ms/azsdk/blog/vault-uri for more information`);
        }
      }
      const cred = await getCredential();
      const token = await cred.getToken([challenge.scope], challenge.tenantId === '' ? {} : { tenantId: challenge.tenantId });
      if (token === null || typeof token.token !== 'string') throw new Error(`the credential returned no token for ${challenge.scope}`);
      // 2. the real request.
      const h2: Record<string, string> = { ...headers, authorization: `Bearer ${token.token}` };
      if (json !== undefined) h2['content-type'] = 'application/json';
      res = await send(method, url, h2, json === undefined ? undefined : JSON.stringify(json));
    }
    const text = await res.text();
    if (res.status < 200 || res.status > 299) throw new Error(azureResponseErrorText(method, url, res.status, text, res.headers.get('x-ms-error-code')));
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw new Error(`unmarshalling type *azkeys.KeyOperationResult: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  async function operation(op: 'encrypt' | 'decrypt', key: AzureKvKeyReference, input: AzureKvOperationInput): Promise<Uint8Array> {
    const out = (await call('POST', key, `/${op}`, { alg: input.algorithm, value: base64RawUrlEncode(input.value) })) as { value?: unknown };
    if (typeof out?.value !== 'string') throw new Error(`the ${op} response has no value`);
    // azcore decodes []byte fields with RawURLEncoding (after trimming `=`).
    const bytes = base64RawUrlDecode(out.value.replace(/=+$/, ''));
    if (typeof bytes === 'number') throw new Error(`the ${op} response value is not base64url (byte ${bytes})`);
    return bytes;
  }

  return {
    encrypt: (key, input) => operation('encrypt', key, input),
    decrypt: (key, input) => operation('decrypt', key, input),
    async getKeyVersion(key) {
      const out = (await call('GET', key, '')) as { key?: { kid?: unknown } };
      const kid = out?.key?.kid;
      if (typeof kid !== 'string') throw new Error('the key has no kid');
      // azkeys `ID.Version()`: the segment after the name in `…/keys/NAME/VERSION`.
      const parts = new URL(kid).pathname.split('/').filter((p) => p !== '');
      return parts.length >= 3 ? parts[2]! : '';
    },
  };
}

/**
 * An {@link AzureKvIdentity} on the default Node client: unwraps every
 * `azure_kv:` entry with the ambient Azure credentials, as sops does.
 */
export function azureKvIdentity(options: AzureKvClientOptions = {}): AzureKvIdentity {
  return new AzureKvIdentity(createAzureKvClient(options));
}

/** Options of {@link azureKvRecipients}. */
export interface AzureKvRecipientsOptions extends AzureKvClientOptions {
  /** The client. Default: {@link createAzureKvClient} with these options. */
  client?: AzureKvClient;
}

/**
 * Recipients for an `--azure-kv` / `SOPS_AZURE_KEYVAULT_URLS` list, each
 * key's version pinned first as sops does (a URL without a version costs a
 * get-key call).
 *
 * @example
 * ```ts
 * const recipients = await azureKvRecipients('https://v.vault.azure.net/keys/sops/0123abcd');
 * ```
 */
export async function azureKvRecipients(list: string, options: AzureKvRecipientsOptions = {}): Promise<AzureKvRecipient[]> {
  const client = options.client ?? createAzureKvClient(options);
  const out: AzureKvRecipient[] = [];
  for (const ref of parseAzureKvUrls(list)) out.push(new AzureKvRecipient(await resolveAzureKvVersion(ref, client), client));
  return out;
}
