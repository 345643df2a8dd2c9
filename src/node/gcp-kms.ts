/**
 * The default GCP Cloud KMS client for Node: the Cloud KMS REST API (v1)
 * over `fetch`, with OAuth 2.0 access tokens found as sops finds them.
 *
 * Why REST over `fetch` rather than `@google-cloud/kms`: sops needs two
 * calls with small JSON shapes; the gRPC client is a large dependency tree;
 * sops 3.13 itself can use the REST client (`SOPS_GCP_KMS_CLIENT_TYPE=rest`)
 * and the requests here are the ones it then sends. Only credentials need
 * Google's library, and only for service-account keys and Application
 * Default Credentials: `google-auth-library` is an optional peer dependency,
 * loaded with a dynamic `import()` when it is needed.
 *
 * Credentials, in sops's order (`newKMSClient`):
 * 1. `GOOGLE_CREDENTIALS`: a path to a credentials file if one exists
 *    there, else the credentials JSON itself;
 * 2. `GOOGLE_OAUTH_ACCESS_TOKEN`: a bare access token;
 * 3. Application Default Credentials: `GOOGLE_APPLICATION_CREDENTIALS`,
 *    gcloud's ADC file, the metadata server.
 *
 * A `service_account` key (from 1, or the file of
 * `GOOGLE_APPLICATION_CREDENTIALS`) is handled here with no package, as Go's
 * oauth2 library handles it: an RS256 JWT (`iss` the client email, `scope`
 * the KMS scopes, `aud` the key's `token_uri`) exchanged at `token_uri`
 * (RFC 7523 JWT bearer grant). Every other kind of credentials (user
 * credentials, external accounts, the metadata server) goes through
 * `google-auth-library`.
 *
 * Endpoint: `SOPS_GCP_KMS_ENDPOINT` if set (a URL; a bare `host[:port]`, the
 * form sops's default gRPC client takes, gets `https://`), else
 * `https://cloudkms.<SOPS_GCP_KMS_UNIVERSE_DOMAIN>` if that is set, else
 * `https://cloudkms.googleapis.com`.
 *
 * API errors are reported in the gRPC form sops prints with its default
 * client (`rpc error: code = NotFound desc = …`), from the REST error's
 * `status` and `message`.
 *
 * @module
 */
import { createSign } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { base64Encode, base64Decode } from '../encoding.js';
import {
  GcpKmsIdentity,
  GcpKmsRecipient,
  GcpKmsServiceError,
  parseGcpKmsResourceIds,
  type GcpKmsClient,
  type GcpKmsDecryptInput,
  type GcpKmsEncryptInput,
} from '../keysources/gcp-kms.js';

/** The npm package service-account and Application Default Credentials come from. */
export const GOOGLE_AUTH_PACKAGE = 'google-auth-library';

/** The OAuth scopes of sops's Go KMS client (`DefaultAuthScopes`). */
export const GCP_KMS_SCOPES: readonly string[] = ['https://www.googleapis.com/auth/cloud-platform', 'https://www.googleapis.com/auth/cloudkms'];

/** Options of {@link createGcpKmsClient}. */
export interface GcpKmsClientOptions {
  /**
   * Where the access token comes from, instead of sops's environment lookup
   * (sops's keyservice `TokenSource`). Default: see the module notes.
   */
  getAccessToken?: () => Promise<string>;
  /** The environment read for credentials and the endpoint. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The `fetch` used for KMS calls and service-account token exchanges. Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** @internal The package to load instead of {@link GOOGLE_AUTH_PACKAGE} (tests of the missing-package error). */
  authPackage?: string;
}

interface GoogleAuthModule {
  GoogleAuth: new (options: { scopes: readonly string[] }) => {
    getAccessToken(): Promise<string | null | undefined>;
    fromJSON(json: unknown): { getAccessToken(): Promise<{ token?: string | null | undefined }> };
  };
}

/** The fields of a service-account key file used here. */
interface ServiceAccountKey {
  type: 'service_account';
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

function isServiceAccount(j: unknown): j is ServiceAccountKey {
  const o = j as Partial<ServiceAccountKey> | null;
  return o !== null && typeof o === 'object' && o.type === 'service_account' && typeof o.client_email === 'string' && typeof o.private_key === 'string';
}

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/**
 * A token for a service-account key as Go's `golang.org/x/oauth2/jwt`
 * gets one: a signed JWT exchanged at the key's `token_uri`.
 * @internal
 */
export async function serviceAccountToken(key: ServiceAccountKey, doFetch: typeof fetch, now: Date = new Date()): Promise<string> {
  const tokenUri = key.token_uri || 'https://oauth2.googleapis.com/token';
  const iat = Math.floor(now.getTime() / 1000);
  const header: Record<string, string> = { alg: 'RS256', typ: 'JWT' };
  if (key.private_key_id) header['kid'] = key.private_key_id;
  const claims = { iss: key.client_email, scope: GCP_KMS_SCOPES.join(' '), aud: tokenUri, exp: iat + 3600, iat };
  const unsigned = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  let signature: string;
  try {
    signature = createSign('RSA-SHA256').update(unsigned).sign(key.private_key, 'base64url');
  } catch (e) {
    throw new GcpKmsServiceError(`credentials: the service account's private key cannot sign: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: `${unsigned}.${signature}` });
  const res = await doFetch(tokenUri, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  const text = await res.text();
  // golang.org/x/oauth2's text for a refused grant
  if (!res.ok) throw new Error(`oauth2: cannot fetch token: ${res.status} ${res.statusText}\nResponse: ${text}`);
  const token = (JSON.parse(text) as { access_token?: unknown }).access_token;
  if (typeof token !== 'string' || token === '') throw new Error('oauth2: server response missing access_token');
  return token;
}

const loaded = new Map<string, Promise<unknown>>();

function loadAuth(name: string): Promise<GoogleAuthModule> {
  let p = loaded.get(name);
  if (p === undefined) {
    p = import(name).catch((e: unknown) => {
      loaded.delete(name);
      throw new GcpKmsServiceError(`GCP KMS needs the package ${name} for these credentials, which could not be loaded; install it with: npm install ${name} (or set GOOGLE_OAUTH_ACCESS_TOKEN)`, { cause: e });
    });
    loaded.set(name, p);
  }
  return p as Promise<GoogleAuthModule>;
}

/** The base URL of the KMS REST API, from sops's endpoint variables. @internal */
export function gcpKmsEndpoint(env: Readonly<Record<string, string | undefined>>): string {
  const endpoint = env['SOPS_GCP_KMS_ENDPOINT'];
  if (endpoint) {
    const url = endpoint.includes('://') ? endpoint : `https://${endpoint.replace(/:443$/, '')}`;
    return url.replace(/\/+$/, '');
  }
  const ud = env['SOPS_GCP_KMS_UNIVERSE_DOMAIN'];
  return ud ? `https://cloudkms.${ud}` : 'https://cloudkms.googleapis.com';
}

/** gRPC code names by the REST `status` (google.rpc.Code), as grpc-go prints them. */
const GRPC_CODE_NAMES: Record<string, string> = {
  CANCELLED: 'Canceled', UNKNOWN: 'Unknown', INVALID_ARGUMENT: 'InvalidArgument', DEADLINE_EXCEEDED: 'DeadlineExceeded',
  NOT_FOUND: 'NotFound', ALREADY_EXISTS: 'AlreadyExists', PERMISSION_DENIED: 'PermissionDenied', RESOURCE_EXHAUSTED: 'ResourceExhausted',
  FAILED_PRECONDITION: 'FailedPrecondition', ABORTED: 'Aborted', OUT_OF_RANGE: 'OutOfRange', UNIMPLEMENTED: 'Unimplemented',
  INTERNAL: 'Internal', UNAVAILABLE: 'Unavailable', DATA_LOSS: 'DataLoss', UNAUTHENTICATED: 'Unauthenticated',
};

/** A REST error answer as grpc-go's `status.Error` text. @internal */
export function gcpKmsErrorText(status: number, body: string): string {
  try {
    const e = (JSON.parse(body) as { error?: { message?: unknown; status?: unknown } }).error;
    if (e && typeof e.status === 'string' && typeof e.message === 'string') {
      return `rpc error: code = ${GRPC_CODE_NAMES[e.status] ?? e.status} desc = ${e.message}`;
    }
  } catch {
    // not JSON: fall through
  }
  return `rpc error: code = Unknown desc = HTTP ${status}: ${body.slice(0, 200)}`;
}

/**
 * The default {@link GcpKmsClient} for Node (see the module notes).
 *
 * @example
 * ```ts
 * import { decryptFile, createGcpKmsClient } from 'sops-ts/node';
 * import { GcpKmsIdentity } from 'sops-ts';
 * const text = await decryptFile('secret.enc.yaml', { identities: [new GcpKmsIdentity(createGcpKmsClient())] });
 * ```
 */
export function createGcpKmsClient(options: GcpKmsClientOptions = {}): GcpKmsClient {
  const env = options.env ?? process.env;
  const doFetch = options.fetch ?? globalThis.fetch;

  async function token(): Promise<string> {
    if (options.getAccessToken !== undefined) return options.getAccessToken();
    const creds = env['GOOGLE_CREDENTIALS'];
    if (creds) {
      let json: string;
      try {
        json = existsSync(creds) ? readFileSync(creds, 'utf8') : creds;
      } catch (e) {
        throw new GcpKmsServiceError(`credentials: failed to obtain credentials from "GOOGLE_CREDENTIALS": ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(json);
      } catch (e) {
        throw new GcpKmsServiceError(`credentials: could not parse the GOOGLE_CREDENTIALS JSON: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      if (isServiceAccount(parsed)) return serviceAccountToken(parsed, doFetch);
      const { GoogleAuth } = await loadAuth(options.authPackage ?? GOOGLE_AUTH_PACKAGE);
      return required((await new GoogleAuth({ scopes: GCP_KMS_SCOPES }).fromJSON(parsed).getAccessToken()).token);
    }
    const bare = env['GOOGLE_OAUTH_ACCESS_TOKEN'];
    if (bare) return bare;
    const adcFile = env['GOOGLE_APPLICATION_CREDENTIALS'];
    if (adcFile) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(adcFile, 'utf8'));
      } catch {
        parsed = undefined; // google-auth-library reports it in its own words
      }
      if (isServiceAccount(parsed)) return serviceAccountToken(parsed, doFetch);
    }
    const { GoogleAuth } = await loadAuth(options.authPackage ?? GOOGLE_AUTH_PACKAGE);
    return required(await new GoogleAuth({ scopes: GCP_KMS_SCOPES }).getAccessToken());
  }

  function required(t: string | null | undefined): string {
    if (!t) throw new Error('the credentials gave no access token');
    return t;
  }

  async function call(op: 'encrypt' | 'decrypt', name: string, body: Record<string, string>): Promise<Record<string, unknown>> {
    const bearer = await token();
    // Go's REST client: POST {endpoint}/v1/{name}:{op}?$alt=json;enum-encoding=int
    const url = `${gcpKmsEndpoint(env)}/v1/${name}:${op}?%24alt=json%3Benum-encoding%3Dint`;
    let res: Response;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${bearer}`,
          'content-type': 'application/json',
          'x-goog-request-params': `name=${encodeURIComponent(name)}`,
        },
        body: JSON.stringify(body),
      });
    } catch (e) {
      const cause = (e as { cause?: { message?: string } })?.cause?.message ?? (e instanceof Error ? e.message : String(e));
      throw new Error(`rpc error: code = Unavailable desc = ${cause}`, { cause: e });
    }
    const text = await res.text();
    if (!res.ok) throw new Error(gcpKmsErrorText(res.status, text));
    return JSON.parse(text) as Record<string, unknown>;
  }

  /** protojson bytes: standard or URL-safe base64, padded or not. */
  function bytesField(v: unknown, field: string): Uint8Array {
    if (v === undefined) return new Uint8Array(0);
    const s = typeof v === 'string' ? v.replace(/-/g, '+').replace(/_/g, '/') : '';
    const padded = s + '='.repeat((4 - (s.length % 4)) % 4);
    const out = base64Decode(padded);
    if (out === undefined) throw new Error(`the response's ${field} is not base64`);
    return out;
  }

  return {
    async encrypt(input: GcpKmsEncryptInput) {
      const out = await call('encrypt', input.name, { name: input.name, plaintext: base64Encode(input.plaintext) });
      return { ciphertext: bytesField(out['ciphertext'], 'ciphertext') };
    },
    async decrypt(input: GcpKmsDecryptInput) {
      const out = await call('decrypt', input.name, { name: input.name, ciphertext: base64Encode(input.ciphertext) });
      return { plaintext: bytesField(out['plaintext'], 'plaintext') };
    },
  };
}

/** A {@link GcpKmsIdentity} on the default Node client: unwraps every `gcp_kms:` entry with the ambient credentials. */
export function gcpKmsIdentity(options: GcpKmsClientOptions = {}): GcpKmsIdentity {
  return new GcpKmsIdentity(createGcpKmsClient(options));
}

/** Options of {@link gcpKmsRecipients}. */
export interface GcpKmsRecipientsOptions extends GcpKmsClientOptions {
  /** The client. Default: {@link createGcpKmsClient} with these options. */
  client?: GcpKmsClient;
}

/**
 * Recipients for a `--gcp-kms` / `SOPS_GCP_KMS_IDS` list on the default Node client.
 *
 * @example
 * ```ts
 * const recipients = gcpKmsRecipients('projects/p/locations/global/keyRings/r/cryptoKeys/k');
 * ```
 */
export function gcpKmsRecipients(list: string, options: GcpKmsRecipientsOptions = {}): GcpKmsRecipient[] {
  const client = options.client ?? createGcpKmsClient(options);
  return parseGcpKmsResourceIds(list).map((id) => new GcpKmsRecipient(id, client));
}
