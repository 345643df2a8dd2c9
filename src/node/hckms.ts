/**
 * The default HuaweiCloud KMS client for Node: the KMS REST API (v1.0) over
 * `fetch`, signed with the HuaweiCloud SDK's AK/SK algorithm
 * (`SDK-HMAC-SHA256`), with credentials and endpoints found as the
 * HuaweiCloud Go SDK (v0.1.207, the one sops 3.13.3 is built with) finds
 * them.
 *
 * Why no SDK: sops needs two POSTs with three-field JSON bodies and the
 * signing algorithm is a few lines of HMAC-SHA256. HuaweiCloud does publish
 * a Node.js SDK (`@huaweicloud/huaweicloud-sdk-core` 3.1.x plus generated
 * per-service packages, CommonJS), but it is a large tree to take as a peer
 * dependency for this, and the Go SDK's behaviour (what sops does) is what
 * has to be matched anyway.
 *
 * Requests (as the Go SDK sends them, `services/kms/v2/kms_meta.go`):
 * `POST {endpoint}/v1.0/{project_id}/kms/encrypt-data` with
 * `{"key_id","plain_text","encryption_algorithm"}` and
 * `POST …/kms/decrypt-data` with `{"cipher_text","encryption_algorithm",
 * "key_id"}`, `Content-Type: application/json;charset=UTF-8`,
 * `X-Project-Id`, `X-Sdk-Date` and `Authorization: SDK-HMAC-SHA256
 * Access=AK, SignedHeaders=…, Signature=…`.
 *
 * Credentials (the SDK's `BasicCredentialProviderChain`):
 * 1. environment: `HUAWEICLOUD_SDK_AK` + `HUAWEICLOUD_SDK_SK` (both set),
 *    `HUAWEICLOUD_SDK_SECURITY_TOKEN`, `HUAWEICLOUD_SDK_PROJECT_ID`;
 * 2. the `[basic]` section of `HUAWEICLOUD_SDK_CREDENTIALS_FILE` or
 *    `~/.huaweicloud/credentials` (`ak`, `sk`, `project_id`,
 *    `security_token`, `iam_endpoint`).
 * The SDK's last two providers (the ECS metadata service, CCE pod identity)
 * and IdP federation (`HUAWEICLOUD_SDK_IDP_ID` + `HUAWEICLOUD_SDK_ID_TOKEN_FILE`)
 * are not implemented: pass `credentials` for those.
 *
 * Without a project ID the SDK looks it up in IAM (`GET /v3/projects?name=
 * <region>`, signed the same way) at `HUAWEICLOUD_SDK_IAM_ENDPOINT` (always
 * HTTPS), the profile's `iam_endpoint`, `https://iam.<region>.myhuaweicloud.com`
 * for the regions the SDK lists, or `https://iam.myhuaweicloud.com`; so does
 * this client (sops 3.13.3 panics when that lookup fails; here it is an
 * error).
 *
 * Endpoint of a region (the SDK's `kms/v2/region.SafeValueOf`):
 * `HUAWEICLOUD_SDK_REGION_KMS_<REGION>` (region upper-cased, `-` → `_`; a
 * comma-separated list; how to point sops at another server), else the `KMS`
 * entry of `HUAWEICLOUD_SDK_REGIONS_FILE` or `~/.huaweicloud/regions.yaml`,
 * else the SDK's built-in table (`https://kms.<region>.myhuaweicloud.com`);
 * an endpoint without a scheme gets `https://`, and its path is ignored.
 *
 * Errors are printed as the Go SDK prints them: an API error as its
 * `ServiceResponseError` JSON (`{"status_code":…,"request_id":…,
 * "error_code":…,"error_message":…,…}` and a newline), a transport error as
 * Go's `Post "<url>": …`.
 *
 * @module
 */
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { YamlStore } from '../stores/yaml.js';
import { toJS } from '../tree.js';
import { HcKmsClientError, HcKmsIdentity, HcKmsRecipient, parseHcKmsKeyIds, type HcKmsClient, type HcKmsDecryptInput, type HcKmsEncryptInput } from '../keysources/hckms.js';

type Env = Readonly<Record<string, string | undefined>>;

/** AK/SK credentials, as the SDK's `BasicCredentials`. */
export interface HcKmsCredentials {
  /** Access key ID. */
  ak: string;
  /** Secret access key. */
  sk: string;
  /** Temporary credentials' token (`X-Security-Token`). Default: none. */
  securityToken?: string | undefined;
  /** The project of the KMS region. Default: looked up in IAM by region name. */
  projectId?: string | undefined;
  /** IAM endpoint for the project lookup. Default: see the module notes. */
  iamEndpoint?: string | undefined;
}

/** Options of {@link createHcKmsClient}. */
export interface HcKmsClientOptions {
  /** Credentials instead of the environment / credentials file (sops's keyservice `Credentials`). */
  credentials?: HcKmsCredentials | (() => Promise<HcKmsCredentials>);
  /** The environment read for credentials and endpoints. Default: `process.env`. */
  env?: Env;
  /** The `fetch` used. Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** @internal The signing clock (tests). Default: now. */
  now?: () => Date;
}

/** The SDK's built-in KMS regions (`services/kms/v2/region`), all `https://kms.<id>.myhuaweicloud.com` but one. */
const KMS_REGIONS: readonly string[] = [
  'ae-ad-1', 'af-north-1', 'af-south-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5',
  'cn-east-2', 'cn-east-3', 'cn-east-4', 'cn-east-5', 'cn-north-1', 'cn-north-11', 'cn-north-12', 'cn-north-2', 'cn-north-4', 'cn-north-9',
  'cn-south-1', 'cn-south-2', 'cn-south-4', 'cn-southwest-2', 'cn-southwest-3', 'eu-west-101', 'la-north-2', 'la-south-2', 'me-east-1',
  'my-kualalumpur-1', 'na-mexico-1', 'ru-moscow-1', 'sa-brazil-1', 'tr-west-1',
];

/** The regions with their own IAM endpoint in the SDK (`core/auth/internal/iam_endpoint.go`). */
const IAM_REGIONS: ReadonlySet<string> = new Set([
  'cn-north-2', 'cn-north-4', 'cn-north-1', 'cn-east-2', 'cn-east-3', 'cn-south-1', 'cn-south-2', 'cn-southwest-2', 'ap-southeast-1',
  'ap-southeast-2', 'ap-southeast-3', 'af-south-1', 'sa-brazil-1', 'la-south-2', 'na-mexico-1', 'la-north-2', 'cn-north-9', 'eu-west-0',
  'my-kualalumpur-1', 'ru-moscow-1', 'me-east-1', 'ap-southeast-4', 'ae-ad-1', 'cn-east-4', 'cn-east-5', 'tr-west-1', 'cn-north-12',
]);

function homeDir(env: Env): string {
  return env['HOME'] || homedir();
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The SDK's `CredentialsTypeError` text. */
const credentialsTypeError = (msg: string) => `{"ErrorMessage": "${msg}"}`;

/**
 * The endpoints of the KMS service in `region` (module notes), or
 * {@link HcKmsClientError} with sops's text for a region the SDK does not know.
 * @internal
 */
export function hcKmsEndpoints(region: string, env: Env): string[] {
  let endpoints: string[] | undefined;
  const fromEnv = env[`HUAWEICLOUD_SDK_REGION_KMS_${region.replaceAll('-', '_').toUpperCase()}`];
  if (fromEnv) endpoints = fromEnv.split(',');
  else endpoints = regionsFileEndpoints(region, env);
  if (endpoints === undefined) {
    if (KMS_REGIONS.includes(region)) endpoints = [`https://kms.${region}.${region === 'eu-west-101' ? 'myhuaweicloud.eu' : 'myhuaweicloud.com'}`];
    else throw new HcKmsClientError(`invalid region ${JSON.stringify(region)}: region id '${region}' is not in the following supported regions of service 'KMS': [${KMS_REGIONS.join(', ')}]`);
  }
  return endpoints.map((e) => (e.startsWith('http') ? e : `https://${e}`));
}

/** The `KMS` entries of the SDK's regions file (`core/region/profile_region.go`). */
function regionsFileEndpoints(region: string, env: Env): string[] | undefined {
  const path = env['HUAWEICLOUD_SDK_REGIONS_FILE'] || join(homeDir(env), '.huaweicloud', 'regions.yaml');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  let doc: unknown;
  try {
    // The SDK reads it with go-yaml: our go-yaml port, with its error texts.
    const branches = new YamlStore().loadPlainFile(text);
    doc = branches.length === 0 ? null : toJS(branches[0]!);
  } catch (e) {
    throw new HcKmsClientError(`invalid region ${JSON.stringify(region)}: failed to resolve file: '${path}'\n${errorText(e)}`, { cause: e });
  }
  if (doc === null || typeof doc !== 'object') return undefined;
  for (const [service, infos] of Object.entries(doc as Record<string, unknown>)) {
    if (service.toUpperCase() !== 'KMS' || !Array.isArray(infos)) continue;
    for (const info of infos as { id?: unknown; endpoint?: unknown; endpoints?: unknown }[]) {
      if (info?.id !== region) continue;
      const eps = [...(typeof info.endpoint === 'string' && info.endpoint ? [info.endpoint] : []), ...(Array.isArray(info.endpoints) ? info.endpoints.map(String) : [])];
      if (eps.length > 0) return eps;
    }
  }
  return undefined;
}

/** The `[basic]` section of an INI file (go-ini: `key = value`, `#`/`;` comments, optional quotes). */
function iniSection(text: string, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  let current = 'DEFAULT';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.*)\]$/.exec(line);
    if (sec) {
      current = sec[1]!.trim();
      continue;
    }
    const eq = line.search(/[=:]/);
    if (eq < 0 || current !== name) continue;
    let value = line.slice(eq + 1).trim();
    const q = /^(["'`])(.*)\1$/.exec(value);
    if (q) value = q[2]!;
    out[line.slice(0, eq).trim()] = value;
  }
  return out;
}

/**
 * Credentials as the SDK's basic provider chain finds them (module notes),
 * or {@link HcKmsClientError} with the chain's text (sops: `failed to get
 * HuaweiCloud credentials: …`).
 * @internal
 */
export function hcKmsCredentialsFromEnv(env: Env): HcKmsCredentials {
  const errs: string[] = [];
  const fromAttrs = (a: Record<string, string | undefined>, projectId: string | undefined): HcKmsCredentials | string => {
    if (a['idp_id'] && a['id_token_file']) return 'sops-ts does not support HuaweiCloud IdP federation (idp_id + id_token_file); use AK/SK';
    if (a['ak'] && a['sk']) return { ak: a['ak'], sk: a['sk'], securityToken: a['security_token'] || undefined, projectId: projectId || undefined, iamEndpoint: a['iam_endpoint'] || undefined };
    return credentialsTypeError('AK&SK or IdpId&IdTokenFile does not exist');
  };
  const e = fromAttrs({ ak: env['HUAWEICLOUD_SDK_AK'], sk: env['HUAWEICLOUD_SDK_SK'], security_token: env['HUAWEICLOUD_SDK_SECURITY_TOKEN'], idp_id: env['HUAWEICLOUD_SDK_IDP_ID'], id_token_file: env['HUAWEICLOUD_SDK_ID_TOKEN_FILE'] }, env['HUAWEICLOUD_SDK_PROJECT_ID']);
  if (typeof e !== 'string') return e;
  errs.push(e);
  const path = env['HUAWEICLOUD_SDK_CREDENTIALS_FILE'] || join(homeDir(env), '.huaweicloud', 'credentials');
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    errs.push(`open ${path}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : errorText(err)}`);
  }
  if (text !== undefined) {
    const s = iniSection(text, 'basic');
    const p = fromAttrs(s, s['project_id']);
    if (typeof p !== 'string') return p;
    errs.push(p);
  }
  errs.push('sops-ts does not read credentials from the ECS metadata service or CCE pod identity; set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK');
  throw new HcKmsClientError(`failed to get HuaweiCloud credentials: ${credentialsTypeError(`unable to get credential in providers:\n${errs.join('\n')}`)}`);
}

/** The SDK signer's percent-encoding (`signer.escape`): all but `A-Za-z0-9_-~.`, upper-case hex, byte-wise. */
function sdkEscape(s: string): string {
  let out = '';
  for (const b of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_\-~.]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `20060102T150405Z`, the SDK's `X-Sdk-Date` form. */
function sdkDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** A request to sign: method, path, query, headers (names as sent), body. @internal */
export interface HcSignInput {
  method: string;
  path: string;
  query?: Readonly<Record<string, string>>;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sign a request as the SDK's `signer.Signer` (`SDK-HMAC-SHA256`): adds
 * `X-Sdk-Date` to `input.headers` and returns the `Authorization` value.
 *
 * Canonical request: method, the path with every segment escaped and a
 * trailing `/`, the sorted escaped query, `name:value` lines of the signed
 * headers (every header but `Content-Type` and names with `_`, lower-cased,
 * sorted) and an empty line, the signed header names joined by `;`, and the
 * hex SHA-256 of the body. String to sign: `SDK-HMAC-SHA256\n<date>\n<hex
 * SHA-256 of the canonical request>`; signature: hex HMAC-SHA256 with SK.
 * @internal
 */
export function hcSign(input: HcSignInput, ak: string, sk: string, now: Date): string {
  const date = sdkDate(now);
  input.headers['X-Sdk-Date'] = date;
  const lower = new Map<string, string>();
  for (const [k, v] of Object.entries(input.headers)) lower.set(k.toLowerCase(), v);
  const signed = [...lower.keys()].filter((k) => !k.startsWith('content-type') && !k.includes('_')).sort();
  let uri = input.path.split('/').map(sdkEscape).join('/');
  if (!uri.endsWith('/')) uri += '/';
  const query = Object.entries(input.query ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${sdkEscape(k)}=${sdkEscape(v)}`)
    .join('&');
  const headerLines = signed.map((k) => `${k}:${lower.get(k)!.trim()}`).join('\n');
  const hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
  const canonical = `${input.method}\n${uri}\n${query}\n${headerLines}\n\n${signed.join(';')}\n${hex(input.body)}`;
  const stringToSign = `SDK-HMAC-SHA256\n${date}\n${hex(canonical)}`;
  const signature = createHmac('sha256', sk).update(stringToSign, 'utf8').digest('hex');
  return `SDK-HMAC-SHA256 Access=${ak}, SignedHeaders=${signed.join(';')}, Signature=${signature}`;
}

/**
 * An error answer as the SDK's `ServiceResponseError.Error()` (JSON and a
 * newline, via jsoniter's `Encoder`): the `error_code`/`error_msg` or
 * `code`/`message` pair found at the top level or in a nested object.
 * @internal
 */
export function hcKmsErrorText(status: number, requestId: string, body: string): string {
  interface Sr { status_code: number; request_id: string; error_code: string; error_message: string; encoded_authorization_message: string; details: Sr[] | null }
  const sr: Sr = { status_code: 0, request_id: '', error_code: '', error_message: '', encoded_authorization_message: '', details: null };
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const fill = (m: Record<string, unknown>, into: Sr): void => {
    if (str(m['encoded_authorization_message'])) into.encoded_authorization_message = str(m['encoded_authorization_message']);
    if ('details' in m && Array.isArray(m['details'])) {
      into.details = (m['details'] as unknown[]).filter((d) => d !== null && typeof d === 'object' && !Array.isArray(d)).map((d) => {
        const x: Sr = { status_code: 0, request_id: '', error_code: '', error_message: '', encoded_authorization_message: '', details: null };
        fill(d as Record<string, unknown>, x);
        return x;
      });
    }
    for (const [c, msg] of [['error_code', 'error_msg'], ['code', 'message']] as const) {
      if (str(m[c]) && str(m[msg])) {
        into.error_code = str(m[c]);
        into.error_message = str(m[msg]);
        return;
      }
    }
    for (const v of Object.values(m)) if (v !== null && typeof v === 'object' && !Array.isArray(v)) fill(v as Record<string, unknown>, into);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
    fill(parsed as Record<string, unknown>, sr);
    if (sr.error_message === '') sr.error_message = body;
  } else sr.error_message = body;
  sr.status_code = status;
  sr.request_id = requestId;
  return `${JSON.stringify(sr)}\n`;
}

/** The User-Agent sent (and signed, as the SDK signs its own). */
const USER_AGENT = 'sops-ts';

/**
 * The default {@link HcKmsClient} for Node (see the module notes).
 *
 * @example
 * ```ts
 * import { decryptFile, createHcKmsClient } from 'sops-ts/node';
 * import { HcKmsIdentity } from 'sops-ts';
 * const text = await decryptFile('secret.enc.yaml', { identities: [new HcKmsIdentity(createHcKmsClient())] });
 * ```
 */
export function createHcKmsClient(options: HcKmsClientOptions = {}): HcKmsClient {
  const env = options.env ?? process.env;
  const doFetch = options.fetch ?? globalThis.fetch;
  const now = options.now ?? (() => new Date());
  /** Project IDs found in IAM, by AK and region (the SDK caches them the same way). */
  const projects = new Map<string, string>();

  async function credentials(): Promise<HcKmsCredentials> {
    const c = options.credentials;
    if (c === undefined) return hcKmsCredentialsFromEnv(env);
    return typeof c === 'function' ? c() : c;
  }

  /** One signed request; transport errors as Go's `*url.Error`, API errors as the SDK's. */
  async function send(method: 'GET' | 'POST', endpoints: string[], path: string, query: Record<string, string>, headers: Record<string, string>, body: string, creds: HcKmsCredentials): Promise<{ status: number; requestId: string; traceId: string; text: string }> {
    const errs: string[] = [];
    for (let i = 0; ; i++) {
      const base = new URL(endpoints[i]!);
      const h: Record<string, string> = { ...headers };
      if (creds.securityToken) h['X-Security-Token'] = creds.securityToken;
      h['Authorization'] = hcSign({ method, path, query, headers: h, body }, creds.ak, creds.sk, now());
      const qs = new URLSearchParams(query).toString();
      const url = `${base.protocol}//${base.host}${path.split('/').map(encodeURIComponent).join('/')}${qs ? `?${qs}` : ''}`;
      try {
        const res = await doFetch(url, { method, headers: h, ...(method === 'POST' ? { body } : {}) });
        return { status: res.status, requestId: res.headers.get('x-request-id') ?? '', traceId: res.headers.get('x-iam-trace-id') ?? '', text: await res.text() };
      } catch (e) {
        const cause = (e as { cause?: { message?: string } })?.cause?.message ?? errorText(e);
        errs.push(`${method === 'POST' ? 'Post' : 'Get'} ${JSON.stringify(url)}: ${cause}`);
        // the SDK moves to the next endpoint on DNS and certificate errors; any transport error here
        if (i + 1 >= endpoints.length) throw new Error(errs.join('; '), { cause: e });
      }
    }
  }

  /** The SDK's `BasicCredentials.ProcessAuthParams`: the project ID, from IAM if not given. */
  async function projectId(creds: HcKmsCredentials, region: string): Promise<string> {
    if (creds.projectId) return creds.projectId;
    const cacheKey = `${creds.ak}\u0000${region}`;
    const cached = projects.get(cacheKey);
    if (cached !== undefined) return cached;
    let iam = env['HUAWEICLOUD_SDK_IAM_ENDPOINT'];
    if (iam) iam = iam.startsWith('https://') ? iam : `https://${iam}`;
    else iam = creds.iamEndpoint || (IAM_REGIONS.has(region) ? `https://iam.${region}.myhuaweicloud.com` : 'https://iam.myhuaweicloud.com');
    const fail = (msg: string) => new HcKmsClientError(`failed to get project id of region '${region}' automatically, ${msg}`);
    let r: Awaited<ReturnType<typeof send>>;
    try {
      r = await send('GET', [iam], '/v3/projects', { name: region }, {}, '', creds);
    } catch (e) {
      throw fail(errorText(e));
    }
    if (r.status >= 400) {
      let text = hcKmsErrorText(r.status, r.requestId, r.text);
      if (r.traceId) {
        const o = JSON.parse(text) as { error_message: string };
        o.error_message += `, X-IAM-Trace-Id=${r.traceId}`;
        text = `${JSON.stringify(o)}\n`;
      }
      throw fail(text);
    }
    let list: { id?: unknown }[];
    try {
      list = ((JSON.parse(r.text) as { projects?: { id?: unknown }[] }).projects ?? []).filter((p) => p !== null && typeof p === 'object');
    } catch (e) {
      throw fail(errorText(e));
    }
    if (list.length < 1) throw new HcKmsClientError(`failed to get project id of region '${region}' automatically, X-IAM-Trace-Id=${r.traceId}, confirm that the project exists in your account, or set project id manually (HUAWEICLOUD_SDK_PROJECT_ID)`);
    if (list.length > 1) throw new HcKmsClientError(`multiple project ids found: [${list.map((p) => String(p.id)).join(',')}], X-IAM-Trace-Id=${r.traceId}, please select one (HUAWEICLOUD_SDK_PROJECT_ID)`);
    const id = String(list[0]!.id);
    projects.set(cacheKey, id);
    return id;
  }

  async function call(region: string, op: 'encrypt-data' | 'decrypt-data', body: Record<string, string>): Promise<Record<string, unknown>> {
    // sops's createKMSClient: credentials first, then the region, then (SDK) the project ID
    const creds = await credentials();
    const endpoints = hcKmsEndpoints(region, env);
    const project = await projectId(creds, region);
    // jsoniter's Encoder, as the SDK serializes bodies: compact JSON and a newline
    const json = `${JSON.stringify(body)}\n`;
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT, 'Content-Type': 'application/json;charset=UTF-8', 'X-Project-Id': project };
    const r = await send('POST', endpoints, `/v1.0/${project}/kms/${op}`, {}, headers, json, creds);
    if (r.status >= 400) throw new Error(hcKmsErrorText(r.status, r.requestId, r.text));
    try {
      return JSON.parse(r.text) as Record<string, unknown>;
    } catch (e) {
      throw new Error(errorText(e), { cause: e });
    }
  }

  const optionalString = (v: unknown) => (typeof v === 'string' ? v : undefined);

  return {
    async encryptData(input: HcKmsEncryptInput) {
      const out = await call(input.region, 'encrypt-data', { key_id: input.keyId, plain_text: input.plainText, encryption_algorithm: input.encryptionAlgorithm });
      return { cipherText: optionalString(out['cipher_text']) };
    },
    async decryptData(input: HcKmsDecryptInput) {
      const out = await call(input.region, 'decrypt-data', { cipher_text: input.cipherText, encryption_algorithm: input.encryptionAlgorithm, key_id: input.keyId });
      return { plainText: optionalString(out['plain_text']) };
    },
  };
}

/** A {@link HcKmsIdentity} on the default Node client: unwraps every `hckms:` entry with the ambient credentials. */
export function hcKmsIdentity(options: HcKmsClientOptions = {}): HcKmsIdentity {
  return new HcKmsIdentity(createHcKmsClient(options));
}

/** Options of {@link hcKmsRecipients}. */
export interface HcKmsRecipientsOptions extends HcKmsClientOptions {
  /** The client. Default: {@link createHcKmsClient} with these options. */
  client?: HcKmsClient;
}

/**
 * Recipients for a `--hckms` / `SOPS_HUAWEICLOUD_KMS_IDS` list on the default
 * Node client; throws sops's text for a malformed key ID.
 *
 * @example
 * ```ts
 * const recipients = hcKmsRecipients('tr-west-1:0b8b7c1e-…');
 * ```
 */
export function hcKmsRecipients(list: string, options: HcKmsRecipientsOptions = {}): HcKmsRecipient[] {
  const ids = parseHcKmsKeyIds(list);
  const client = options.client ?? createHcKmsClient(options);
  return ids.map((id) => new HcKmsRecipient(id, client));
}
