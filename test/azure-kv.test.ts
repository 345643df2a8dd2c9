// Azure Key Vault master keys, cross-checked with Go sops 3.13.3 both ways.
//
// There is no Key Vault emulator that installs offline here (Lowkey Vault's
// app jar is published to GitHub Packages, not Maven Central; only its client
// library is on Central), so this file runs a small Key Vault test double:
//  - an HTTPS server (a throw-away self-signed certificate made with openssl)
//    that answers Key Vault's `encrypt`, `decrypt` and `get key` REST calls
//    with real RSA-OAEP-256 (node:crypto) under RSA keys it generates, and
//    challenges every request without a token as Key Vault does
//    (`401`, `WWW-Authenticate: Bearer authorization=…, resource=…`);
//  - an App Service managed-identity token endpoint (IDENTITY_ENDPOINT /
//    IDENTITY_HEADER) handing out the one token the vault accepts;
//  - an HTTP CONNECT proxy, so that Go sops reaches the vault at a real
//    Key Vault host name (`https://sopsts.vault.azure.net`) through
//    HTTPS_PROXY and trusts the certificate through SSL_CERT_FILE; the
//    challenge's resource (`https://vault.azure.net`) then passes the Go
//    SDK's resource check, which sops cannot switch off.
// Every request is recorded, so sops's and sops-ts's requests are compared.
//
// The live part needs Go sops and openssl (skipped visibly without them; a
// missing sops fails under SOPS_TS_REQUIRE_SOPS=1). The one test through
// `@azure/identity`'s DefaultAzureCredential is skipped visibly when that
// optional package is not installed (CI does not install it).
import { execFileSync } from 'node:child_process';
import { constants as C, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoDataKeyError, SopsError } from '../src/errors.js';
import { wrapDataKey } from '../src/keysource.js';
import {
  AzureKvIdentity,
  AzureKvRecipient,
  azureKvKeyString,
  base64RawUrlDecode,
  base64RawUrlEncode,
  parseAzureKvUrl,
  parseAzureKvUrls,
  type AzureKvClient,
} from '../src/keysources/azure-kv.js';
import type { AzureKvStoredKey } from '../src/metadata.js';
import { azureKvIdentity, azureKvRecipients, createAzureKvClient, parseKeyVaultChallenge, type AzureTokenCredential } from '../src/node/azure-kv.js';
import { decrypt, encrypt } from '../src/sops.js';
import { assertIsGoSops, cleanSopsEnv, findSops } from './helpers/sops.js';
import { reportErrors, runAsync, storedKeys, type AsyncRun } from './helpers/key-sources.js';

const VAULT = 'https://sopsts.vault.azure.net';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const TOKEN = 'test-token-' + randomBytes(8).toString('hex');
const IDENTITY_HEADER = 'identity-header-secret';
const PLAIN = 'db:\n    user: admin\n    password: hunter2\n';

// ------------------------------------------------------------ prerequisites

const sopsBin = findSops();
const missing: string[] = [];
if (!sopsBin) missing.push('Go sops 3.13.3 (npm run sops:install)');
try {
  execFileSync('openssl', ['version'], { stdio: 'ignore' });
} catch {
  missing.push('openssl (for the test certificate)');
}
if (missing.length > 0) {
  const msg = `Azure Key Vault live tests need ${missing.join(', ')}`;
  if (process.env.SOPS_TS_REQUIRE_SOPS === '1' && !sopsBin) throw new Error(`[sops-ts] ${msg} (SOPS_TS_REQUIRE_SOPS=1)`);
  console.warn(`[sops-ts] Azure Key Vault live tests SKIPPED: ${msg}`);
}
const live = missing.length === 0;
let identityPackage = true;
try {
  await import('@azure/identity' as string);
} catch {
  identityPackage = false;
  console.warn('[sops-ts] Azure Key Vault through @azure/identity (DefaultAzureCredential) SKIPPED: optional package not installed (npm install --no-save @azure/identity)');
}

// ------------------------------------------------------------ the Key Vault test double

interface VaultCall {
  method: string;
  path: string;
  apiVersion: string | null;
  authorized: boolean;
  body: string;
  alg?: string;
}

interface VaultKey {
  versions: { version: string; privateKey: KeyObject; publicKey: KeyObject }[];
}

let dir: string;
let certFile: string;
let cert: string;
let vault: Server;
let vaultPort = 0;
let identity: Server;
let identityPort = 0;
let proxy: Server;
let proxyPort = 0;
let vaultCalls: VaultCall[] = [];
let tokenRequests: { resource: string | null; header: string | undefined }[] = [];
const keys = new Map<string, VaultKey>();

function addKeyVersion(name: string): string {
  const version = randomBytes(16).toString('hex');
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const k = keys.get(name) ?? { versions: [] };
  k.versions.push({ version, privateKey, publicKey });
  keys.set(name, k);
  return version;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.on('data', (c: Buffer) => (s += c.toString('utf8')));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function kvError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

/** Key Vault's REST answers (keys API 2025-07-01), with real RSA-OAEP-256. */
async function handleVault(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const url = new URL(req.url ?? '/', VAULT);
  const call: VaultCall = { method: req.method ?? '', path: url.pathname, apiVersion: url.searchParams.get('api-version'), authorized: req.headers.authorization !== undefined, body };
  vaultCalls.push(call);
  if (req.headers.authorization === undefined) {
    res.writeHead(401, { 'www-authenticate': `Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="https://vault.azure.net"`, 'content-length': '0' });
    res.end();
    return;
  }
  if (req.headers.authorization !== `Bearer ${TOKEN}`) return kvError(res, 401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.');
  // /keys/{name}[/{version}][/{op}], the version possibly empty (`/keys/n//encrypt`)
  const m = /^\/keys\/([^/]+)(?:\/([^/]*))?(?:\/(encrypt|decrypt))?\/?$/.exec(url.pathname);
  if (!m) return kvError(res, 400, 'BadParameter', 'unknown path');
  const [, name, versionRaw, op] = m;
  const k = keys.get(name!);
  const version = versionRaw ?? '';
  const v = k === undefined ? undefined : version === '' ? k.versions[k.versions.length - 1] : k.versions.find((x) => x.version === version);
  if (v === undefined) return kvError(res, 404, 'KeyNotFound', `A key with (name/id) ${name} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);
  const kid = `${VAULT}/keys/${name}/${v.version}`;
  if (op === undefined && req.method === 'GET') {
    const jwk = v.publicKey.export({ format: 'jwk' });
    return sendJson(res, 200, { key: { kid, kty: 'RSA', key_ops: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'], n: jwk.n, e: jwk.e }, attributes: { enabled: true, recoveryLevel: 'Recoverable+Purgeable' } });
  }
  if (req.method !== 'POST' || op === undefined) return kvError(res, 405, 'MethodNotAllowed', 'method not allowed');
  const params = JSON.parse(body) as { alg?: string; value?: string };
  call.alg = params.alg;
  if (params.alg !== 'RSA-OAEP-256') return kvError(res, 400, 'BadParameter', `Invalid algorithm ${params.alg}`);
  const input = Buffer.from(params.value ?? '', 'base64url');
  try {
    const out = op === 'encrypt'
      ? publicEncrypt({ key: v.publicKey, padding: C.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, input)
      : privateDecrypt({ key: v.privateKey, padding: C.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, input);
    sendJson(res, 200, { kid, value: out.toString('base64url') });
  } catch {
    kvError(res, 400, 'BadParameter', 'Bad Request');
  }
}

/** App Service managed identity (api-version 2019-08-01), as azidentity and @azure/identity call it. */
function handleIdentity(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const header = req.headers['x-identity-header'] as string | undefined;
  tokenRequests.push({ resource: url.searchParams.get('resource'), header });
  if (header !== IDENTITY_HEADER) return sendJson(res, 401, { error: 'unauthorized' });
  sendJson(res, 200, { access_token: TOKEN, expires_on: String(Math.floor(Date.now() / 1000) + 3600), resource: url.searchParams.get('resource'), token_type: 'Bearer', client_id: '00000000-0000-0000-0000-000000000001' });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

/**
 * A `fetch` for sops-ts's client that reaches the double: TLS to 127.0.0.1
 * with the vault's host name (SNI and Host) and the test certificate
 * trusted, the way sops reaches it through the proxy.
 */
const testFetch: typeof fetch = (input, init) =>
  new Promise((resolve, reject) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = { ...(init?.headers as Record<string, string>), host: url.host };
    const req = httpsRequest({ host: '127.0.0.1', port: vaultPort, servername: url.hostname, ca: cert, method: init?.method ?? 'GET', path: url.pathname + url.search, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        const status = res.statusCode ?? 500;
        resolve(new Response(status === 204 ? null : Buffer.concat(chunks), { status, headers: h }));
      });
    });
    req.on('error', reject);
    req.end(init?.body as string | undefined);
  });

/** A credential that hands out the vault's token and records what it was asked for. */
const credentialCalls: { scopes: string | string[]; tenantId: string | undefined }[] = [];
const credential: AzureTokenCredential = {
  getToken(scopes, options) {
    credentialCalls.push({ scopes, tenantId: options?.tenantId });
    return Promise.resolve({ token: TOKEN, expiresOnTimestamp: Date.now() + 3600_000 });
  },
};

function client(): AzureKvClient {
  return createAzureKvClient({ credential, fetch: testFetch });
}

function sopsEnv(): Record<string, string> {
  return cleanSopsEnv({
    HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`,
    SSL_CERT_FILE: certFile,
    IDENTITY_ENDPOINT: `http://127.0.0.1:${identityPort}/msi/token`,
    IDENTITY_HEADER,
  });
}


function file(name: string, data: string): string {
  writeFileSync(join(dir, name), data);
  return name;
}

async function recording<T>(f: () => Promise<T>): Promise<{ result: T; calls: VaultCall[] }> {
  vaultCalls = [];
  const result = await f();
  const calls = vaultCalls;
  vaultCalls = [];
  return { result, calls };
}



/** Method, path, version and authorization of each call (bodies hold random keys). */
const strip = (cs: VaultCall[]) => cs.map(({ body, ...c }) => ({ ...c, hasBody: body.length > 0 }));

// ------------------------------------------------------------ pure parsing (no services)

function sops(args: string[]): Promise<AsyncRun> {
  return runAsync(sopsBin!, args, dir, sopsEnv());
}

const azureEntries = (text: string) => storedKeys<AzureKvStoredKey>(text);

describe('Azure Key Vault key URLs and enc encoding (sops azkv/keysource.go)', () => {
  it('parses key URLs as NewMasterKeyFromURL does', () => {
    expect(parseAzureKvUrl('https://v.vault.azure.net/keys/sops/0123abcd')).toEqual({ vaultUrl: 'https://v.vault.azure.net', name: 'sops', version: '0123abcd' });
    expect(parseAzureKvUrl(' https://v.vault.azure.net/keys/sops\n')).toEqual({ vaultUrl: 'https://v.vault.azure.net', name: 'sops', version: '' });
    // an empty version segment means "no version", like no segment at all
    expect(parseAzureKvUrl('https://v.vault.azure.net/keys/sops/')).toEqual({ vaultUrl: 'https://v.vault.azure.net', name: 'sops', version: '' });
    expect(parseAzureKvUrl('https://localhost:8443/keys/k/v')).toEqual({ vaultUrl: 'https://localhost:8443', name: 'k', version: 'v' });
    expect(parseAzureKvUrls('')).toEqual([]);
    expect(parseAzureKvUrls('https://a/keys/x/1,https://b/keys/y').map(azureKvKeyString)).toEqual(['https://a/keys/x/1', 'https://b/keys/y/']);
  });

  it('rejects what sops rejects, with its text', () => {
    const bad = ['http://v.vault.azure.net/keys/k/v', 'https://v.vault.azure.net/keys/k/v/x', 'https://v.vault.azure.net/secrets/k', 'https://v.vault.azure.net/keys/', ''];
    for (const u of bad) {
      expect(() => parseAzureKvUrl(u), u).toThrow(`could not parse ${JSON.stringify(u)} into a valid Azure Key Vault MasterKey []`);
    }
    expect(() => parseAzureKvUrls('https://a/keys/x/1,')).toThrow('could not parse "" into');
    try {
      parseAzureKvUrl('nope');
    } catch (e) {
      expect(e).toBeInstanceOf(SopsError);
      expect((e as SopsError).exitCode).toBe(1);
    }
  });

  it("encodes enc as Go's base64.RawURLEncoding and decodes with its error offsets", () => {
    for (const n of [0, 1, 2, 3, 31, 32, 256]) {
      const b = randomBytes(n);
      const s = base64RawUrlEncode(b);
      expect(s).toBe(b.toString('base64url'));
      expect(Buffer.from(base64RawUrlDecode(s) as Uint8Array).equals(b)).toBe(true);
    }
    // Go 1.26 RawURLEncoding.DecodeString: '=' and the std alphabet's '+' '/' are invalid,
    // a lone trailing character is invalid, newlines are skipped, trailing bits accepted.
    const cases: [string, number | string][] = [['QUJD', '414243'], ['QUI=', 3], ['QU+D', 2], ['QU/D', 2], ['Q', 0], ['QUJDR', 4], ['QU\nJD', '414243'], ['QUJ', '4142'], ['QUK', '4142'], ['é', 0]];
    for (const [s, want] of cases) {
      const r = base64RawUrlDecode(s);
      expect(typeof r === 'number' ? r : Buffer.from(r).toString('hex'), JSON.stringify(s)).toBe(want);
    }
  });

  it('parses Key Vault challenges as the Go SDK does', () => {
    expect(parseKeyVaultChallenge(`Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="https://vault.azure.net"`)).toEqual({ resource: 'https://vault.azure.net', scope: 'https://vault.azure.net/.default', tenantId: TENANT });
    expect(parseKeyVaultChallenge('Bearer authorization="https://login.microsoftonline.com/t", scope="https://managedhsm.azure.net/.default" resource="https://managedhsm.azure.net"').scope).toBe('https://managedhsm.azure.net/.default');
    expect(() => parseKeyVaultChallenge('Bearer realm=""')).toThrow('could not find a valid resource');
  });

  it('rejects a client that is not one', () => {
    expect(() => new AzureKvIdentity({} as never)).toThrow(TypeError);
    expect(() => new AzureKvRecipient({ vaultUrl: VAULT, name: 'k' }, null as never)).toThrow(TypeError);
  });
});

// ------------------------------------------------------------ live

describe.skipIf(!live)('Azure Key Vault against a Key Vault test double, cross-checked with Go sops 3.13.3', () => {
  let v1 = '';
  let v2 = '';

  beforeAll(async () => {
    assertIsGoSops(sopsBin!);
    dir = mkdtempSync(join(tmpdir(), 'sops-ts-azkv-'));
    // A throw-away certificate for the double (EC P-256: quick to make).
    certFile = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', certFile, '-days', '2', '-subj', '/CN=sops-ts test vault', '-addext', 'subjectAltName=DNS:*.vault.azure.net,DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
    cert = readFileSync(certFile, 'utf8');
    v1 = addKeyVersion('sops-key');
    addKeyVersion('other');
    vault = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => void handleVault(req, res));
    vaultPort = await listen(vault);
    identity = createHttpServer(handleIdentity);
    identityPort = await listen(identity);
    // CONNECT proxy: every tunnel goes to the vault double.
    proxy = createHttpServer((_req, res) => {
      res.writeHead(405);
      res.end();
    });
    proxy.on('connect', (_req: IncomingMessage, sock: Socket, head: Buffer) => {
      const up = netConnect(vaultPort, '127.0.0.1', () => {
        sock.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        up.write(head);
        up.pipe(sock);
        sock.pipe(up);
      });
      up.on('error', () => sock.destroy());
      sock.on('error', () => up.destroy());
    });
    proxyPort = await listen(proxy);
    file('plain.yaml', PLAIN);
  });

  afterAll(async () => {
    const close = (s: Server | undefined) => new Promise<void>((r) => (s ? s.close(() => r()) : r()));
    await Promise.all([close(vault), close(identity), close(proxy)]);
  });

  it('sops encrypts --azure-kv URL → sops-ts decrypts, with the same requests as sops', async () => {
    const enc = await recording(() => sops(['encrypt', '--azure-kv', `${VAULT}/keys/sops-key/${v1}`, 'plain.yaml']));
    expect(enc.result.stderr).toBe('');
    expect(enc.result.code).toBe(0);
    // sops: the challenge round (no token, no body), then encrypt with RSA-OAEP-256
    expect(strip(enc.calls)).toEqual([
      { method: 'POST', path: `/keys/sops-key/${v1}/encrypt`, apiVersion: '2025-07-01', authorized: false, hasBody: false },
      { method: 'POST', path: `/keys/sops-key/${v1}/encrypt`, apiVersion: '2025-07-01', authorized: true, hasBody: true, alg: 'RSA-OAEP-256' },
    ]);
    expect(tokenRequests.at(-1)).toEqual({ resource: 'https://vault.azure.net', header: IDENTITY_HEADER });
    const [k] = await azureEntries(enc.result.stdout);
    expect(k).toMatchObject({ type: 'azure_kv', vaultUrl: VAULT, name: 'sops-key', version: v1 });
    // enc is unpadded base64url of a 2048-bit RSA ciphertext
    expect(k!.enc).toMatch(/^[A-Za-z0-9_-]{342}$/);

    credentialCalls.length = 0;
    const ours = await recording(() => decrypt(enc.result.stdout, { format: 'yaml', identities: [new AzureKvIdentity(client())] }));
    expect(ours.result).toBe(PLAIN);
    file('sops-azkv.yaml', enc.result.stdout);
    const theirs = await recording(() => sops(['decrypt', 'sops-azkv.yaml']));
    expect(theirs.result.stdout).toBe(PLAIN);
    expect(strip(ours.calls)).toEqual(strip(theirs.calls));
    expect(strip(ours.calls).map((c) => [c.path, c.authorized, c.alg])).toEqual([[`/keys/sops-key/${v1}/decrypt`, false, undefined], [`/keys/sops-key/${v1}/decrypt`, true, 'RSA-OAEP-256']]);
    // the token was asked for the challenge's scope and tenant
    expect(credentialCalls).toEqual([{ scopes: ['https://vault.azure.net/.default'], tenantId: TENANT }]);
  });

  it('sops-ts encrypts → sops decrypts (MAC verified), same requests and file shape', async () => {
    const ours = await recording(async () => encrypt(PLAIN, { format: 'yaml', recipients: await azureKvRecipients(`${VAULT}/keys/sops-key/${v1}`, { client: client() }) }));
    const theirsEnc = await recording(() => sops(['encrypt', '--azure-kv', `${VAULT}/keys/sops-key/${v1}`, 'plain.yaml']));
    expect(strip(ours.calls)).toEqual(strip(theirsEnc.calls));
    file('ours-azkv.yaml', ours.result);
    const dec = await sops(['decrypt', 'ours-azkv.yaml']);
    expect(dec.stderr).toBe('');
    expect(dec.stdout).toBe(PLAIN);
    const shape = (t: string) => t.replace(/ENC\[AES256_GCM,[^\]]*\]/g, 'ENC[…]').replace(/(enc|created_at|lastmodified): .*/g, '$1: …');
    expect(shape(ours.result)).toBe(shape(theirsEnc.result.stdout));
    const [k] = await azureEntries(ours.result);
    expect(k!.enc).toMatch(/^[A-Za-z0-9_-]{342}$/);
  });

  it('a URL without a version: both pin the latest version with a get-key call first', async () => {
    v2 = addKeyVersion('sops-key');
    const theirs = await recording(() => sops(['encrypt', '--azure-kv', `${VAULT}/keys/sops-key`, 'plain.yaml']));
    expect(theirs.result.code).toBe(0);
    const ours = await recording(async () => encrypt(PLAIN, { format: 'yaml', recipients: await azureKvRecipients(`${VAULT}/keys/sops-key/`, { client: client() }) }));
    expect(strip(ours.calls)).toEqual(strip(theirs.calls));
    expect(strip(ours.calls).map((c) => `${c.method} ${c.path} ${c.authorized}`)).toEqual([
      'GET /keys/sops-key/ false', 'GET /keys/sops-key/ true',
      `POST /keys/sops-key/${v2}/encrypt false`, `POST /keys/sops-key/${v2}/encrypt true`,
    ]);
    expect((await azureEntries(theirs.result.stdout))[0]!.version).toBe(v2);
    expect((await azureEntries(ours.result))[0]!.version).toBe(v2);
    // a recipient made without pinning pins itself on the first wrap
    const r = new AzureKvRecipient({ vaultUrl: VAULT, name: 'sops-key' }, client());
    expect(r.name).toBe(`${VAULT}/keys/sops-key/`);
    const stored = await r.wrap(randomBytes(32));
    expect(stored.version).toBe(v2);
    expect(r.name).toBe(`${VAULT}/keys/sops-key/${v2}`);
  });

  it('two keys, a Shamir-free group: either key alone decrypts, in both programs', async () => {
    const other = keys.get('other')!.versions[0]!.version;
    const list = `${VAULT}/keys/sops-key/${v1},${VAULT}/keys/other/${other}`;
    const theirs = await sops(['encrypt', '--azure-kv', list, 'plain.yaml']);
    expect(theirs.code).toBe(0);
    const entries = await azureEntries(theirs.stdout);
    expect(entries.map((e) => e.name)).toEqual(['sops-key', 'other']);
    const id = new AzureKvIdentity(client());
    const a = await id.unwrap(entries[0]!);
    const b = await id.unwrap(entries[1]!);
    expect(a?.length).toBe(32);
    expect(Buffer.from(a!).equals(Buffer.from(b!))).toBe(true);
    expect(await id.unwrap({ type: 'age', recipient: 'age1x', enc: '' })).toBeNull();
  });

  it('a missing key: the same "Could not generate data key" text as sops (azcore ResponseError)', async () => {
    const url = `${VAULT}/keys/missing/0000`;
    const theirs = await sops(['encrypt', '--azure-kv', url, 'plain.yaml']);
    expect(theirs.code).toBe(1);
    let ours = '';
    try {
      await wrapDataKey([[new AzureKvRecipient(parseAzureKvUrl(url), client())]], randomBytes(32), 0);
    } catch (e) {
      ours = (e as Error).message;
    }
    expect(ours).toContain("failed to encrypt sops data key with Azure Key Vault key 'https://sopsts.vault.azure.net/keys/missing/0000': POST https://sopsts.vault.azure.net/keys/missing/0000/encrypt\n");
    expect(ours).toContain('RESPONSE 404: 404 Not Found\nERROR CODE: KeyNotFound\n');
    expect(theirs.stderr.trimEnd()).toBe(ours.trimEnd());
  });

  it('a missing key without a version: the version lookup fails as in sops', async () => {
    const theirs = await sops(['encrypt', '--azure-kv', `${VAULT}/keys/missing`, 'plain.yaml']);
    expect(theirs.code).toBe(1);
    let ours = '';
    try {
      await azureKvRecipients(`${VAULT}/keys/missing`, { client: client() });
    } catch (e) {
      ours = (e as Error).message;
    }
    expect(ours).toMatch(/^failed to fetch Azure Key to retrieve key version: GET https:\/\/sopsts\.vault\.azure\.net\/keys\/missing\/\n/);
    expect(theirs.stderr.trimEnd()).toBe(ours.trimEnd());
  });

  it('an unparsable URL: the same message as sops', async () => {
    const theirs = await sops(['encrypt', '--azure-kv', 'http://v.vault.azure.net/keys/k', 'plain.yaml']);
    expect(theirs.code).toBe(1);
    expect(() => parseAzureKvUrls('http://v.vault.azure.net/keys/k')).toThrow(theirs.stderr.trim());
  });

  it('a corrupt enc and a failing decrypt: the same per-key report as sops', async () => {
    const enc = await sops(['encrypt', '--azure-kv', `${VAULT}/keys/sops-key/${v1}`, 'plain.yaml']);
    const [k] = await azureEntries(enc.stdout);
    for (const [label, bad] of [['padded', k!.enc + '=='], ['other ciphertext', base64RawUrlEncode(randomBytes(256))]] as const) {
      const text = enc.stdout.replace(k!.enc, bad);
      file('bad.yaml', text);
      const theirs = await sops(['decrypt', 'bad.yaml']);
      expect(theirs.code, label).toBe(128);
      let ours: unknown;
      try {
        await decrypt(text, { format: 'yaml', identities: [new AzureKvIdentity(client())] });
      } catch (e) {
        ours = e;
      }
      expect(ours, label).toBeInstanceOf(NoDataKeyError);
      // trimEnd: Key Vault errors end with a newline, and sops's prefixer does not
      // prefix the empty line after it; src/keysource.ts prefixLines does (to fix there).
      const trim = (xs: string[]) => xs.map((x) => x.trimEnd());
      expect(trim(reportErrors((ours as Error).message)), label).toEqual(trim(reportErrors(theirs.stderr)));
      expect(reportErrors(theirs.stderr).length, label).toBe(1);
    }
  });

  it.skipIf(!identityPackage)('@azure/identity DefaultAzureCredential through the same managed identity as sops', async () => {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (k.startsWith('AZURE_') || k.startsWith('IDENTITY_') || k === 'MSI_ENDPOINT' || k === 'IMDS_ENDPOINT') delete process.env[k];
    process.env['IDENTITY_ENDPOINT'] = `http://127.0.0.1:${identityPort}/msi/token`;
    process.env['IDENTITY_HEADER'] = IDENTITY_HEADER;
    try {
      tokenRequests = [];
      const enc = await sops(['encrypt', '--azure-kv', `${VAULT}/keys/sops-key/${v1}`, 'plain.yaml']);
      const ours = await decrypt(enc.stdout, { format: 'yaml', identities: [azureKvIdentity({ fetch: testFetch })] });
      expect(ours).toBe(PLAIN);
      // sops's azidentity and @azure/identity asked the endpoint the same way
      expect(tokenRequests.length).toBe(2);
      expect(tokenRequests[1]).toEqual(tokenRequests[0]);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});

describe('Azure Key Vault without @azure/identity', () => {
  it('names the package to install', async () => {
    const c = createAzureKvClient({ identityPackage: '@azure/identity-not-installed-xyz', fetch: () => Promise.resolve(new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer authorization="https://login.microsoftonline.com/t", resource="https://vault.azure.net"' } })) });
    await expect(c.decrypt({ vaultUrl: VAULT, name: 'k', version: 'v' }, { algorithm: 'RSA-OAEP-256', value: new Uint8Array(1) })).rejects.toThrow('install it with: npm install @azure/identity-not-installed-xyz');
  });

  it("refuses a challenge for another domain, as sops's SDK does", async () => {
    const c = createAzureKvClient({ credential, fetch: () => Promise.resolve(new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer authorization="https://login.microsoftonline.com/t", resource="https://evil.example"' } })) });
    await expect(c.encrypt({ vaultUrl: VAULT, name: 'k', version: 'v' }, { algorithm: 'RSA-OAEP-256', value: new Uint8Array(1) })).rejects.toThrow(`challenge resource "https://evil.example" doesn't match the requested domain`);
  });
});
