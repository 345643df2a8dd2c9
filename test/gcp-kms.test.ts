// GCP Cloud KMS master keys, cross-checked with Go sops 3.13.3 both ways.
//
// There is no official Cloud KMS emulator, so this file runs a small Cloud
// KMS test double: a loopback HTTP server answering the v1 REST `:encrypt`
// and `:decrypt` methods (request and response shapes of the Cloud KMS REST
// reference: `{name, plaintext}` → `{name, ciphertext, …}`, errors as
// `{error: {code, message, status}}`) with real AES-256-GCM under a random
// key per CryptoKey. sops 3.13 is pointed at it with its own switches:
// SOPS_GCP_KMS_CLIENT_TYPE=rest, SOPS_GCP_KMS_ENDPOINT and
// GOOGLE_OAUTH_ACCESS_TOKEN; sops-ts's client reads the same variables.
// The double also has an OAuth token endpoint (JWT bearer grant, signature
// checked) that a throw-away service-account key names as its token_uri, so
// GOOGLE_CREDENTIALS / GOOGLE_APPLICATION_CREDENTIALS are cross-checked too.
// Every request is recorded and sops's and sops-ts's are compared.
//
// What this does not check: sops's default gRPC transport (its requests
// carry the same fields), the real service and its error texts, and
// credentials that go through google-auth-library (user credentials,
// external accounts, the metadata server).
import { createCipheriv, createDecipheriv, generateKeyPairSync, randomBytes, verify as verifySignature } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoDataKeyError } from '../src/errors.js';
import { wrapDataKey } from '../src/keysource.js';
import { GcpKmsIdentity, GcpKmsRecipient, GcpKmsServiceError, checkGcpKmsResourceId, parseGcpKmsResourceIds } from '../src/keysources/gcp-kms.js';
import type { GcpKmsStoredKey } from '../src/metadata.js';
import { createGcpKmsClient, gcpKmsEndpoint, gcpKmsErrorText, gcpKmsIdentity, gcpKmsRecipients } from '../src/node/gcp-kms.js';
import { decrypt, encrypt } from '../src/sops.js';
import { assertIsGoSops, cleanSopsEnv, findSops } from './helpers/sops.js';
import { reportErrors, runAsync, storedKeys, type AsyncRun } from './helpers/key-sources.js';

const KEY1 = 'projects/sops-ts/locations/global/keyRings/ring/cryptoKeys/key1';
const KEY2 = 'projects/sops-ts/locations/europe-west1/keyRings/ring/cryptoKeys/key2';
const MISSING = 'projects/sops-ts/locations/global/keyRings/ring/cryptoKeys/missing';
const TOKEN = 'ya29.test-' + randomBytes(8).toString('hex');
const PLAIN = 'db:\n    user: admin\n    password: hunter2\n';

// A throw-away service account for the GOOGLE_CREDENTIALS tests (made here, never real).
const SA = generateKeyPairSync('rsa', { modulusLength: 2048 });
const SA_EMAIL = 'sops-ts-test@sops-ts.iam.gserviceaccount.com';
const SA_TOKEN = 'ya29.sa-' + randomBytes(8).toString('hex');

const sopsBin = findSops();
if (!sopsBin) {
  const msg = 'GCP KMS live tests need Go sops 3.13.3 (npm run sops:install)';
  if (process.env.SOPS_TS_REQUIRE_SOPS === '1') throw new Error(`[sops-ts] ${msg} (SOPS_TS_REQUIRE_SOPS=1)`);
  console.warn(`[sops-ts] GCP KMS live tests SKIPPED: ${msg}`);
}

// ------------------------------------------------------------ the Cloud KMS test double

interface KmsCall {
  /** How the request authenticated: the bare token, a token from the token endpoint, or a self-signed service-account JWT. */
  auth?: 'token' | 'exchanged' | 'self-signed-jwt' | 'none';
  path: string;
  query: string;
  authorization: string | undefined;
  requestParams: string | undefined;
  fields: string[];
  name: unknown;
}

const keyMaterial = new Map<string, Buffer>([[KEY1, randomBytes(32)], [KEY2, randomBytes(32)]]);
let server: Server;
let endpoint = '';
let calls: KmsCall[] = [];
let tokenExchanges: { grantType: string | null; iss: unknown; aud: unknown; scope: unknown }[] = [];
let dir: string;

/** The claims of a JWT signed (RS256) by the test service account, or undefined. */
function verifiedJwt(jwt: string): Record<string, unknown> | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3) return undefined;
  const ok = verifySignature('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), SA.publicKey, Buffer.from(parts[2]!, 'base64url'));
  return ok ? (JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>) : undefined;
}

function authKind(header: string | undefined): KmsCall['auth'] {
  if (header === `Bearer ${TOKEN}`) return 'token';
  if (header === `Bearer ${SA_TOKEN}`) return 'exchanged';
  if (header?.startsWith('Bearer ') && verifiedJwt(header.slice(7))?.['iss'] === SA_EMAIL) return 'self-signed-jwt';
  return 'none';
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  let raw = '';
  req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
  req.on('end', () => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/token') {
      // OAuth 2.0 JWT bearer grant (RFC 7523), as Google's token endpoint takes it
      const form = new URLSearchParams(raw);
      const claims = verifiedJwt(form.get('assertion') ?? '');
      tokenExchanges.push({ grantType: form.get('grant_type'), iss: claims?.['iss'], aud: claims?.['aud'], scope: claims?.['scope'] });
      if (claims === undefined) return send(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
      return send(res, 200, { access_token: SA_TOKEN, expires_in: 3599, token_type: 'Bearer' });
    }
    const body = JSON.parse(raw || '{}') as { name?: string; plaintext?: string; ciphertext?: string };
    calls.push({ path: url.pathname, query: url.search, authorization: req.headers.authorization, requestParams: req.headers['x-goog-request-params'] as string | undefined, fields: Object.keys(body).sort(), name: body.name });
    const auth = authKind(req.headers.authorization);
    if (auth !== 'token') calls[calls.length - 1]!.auth = auth;
    if (auth === 'none') return send(res, 401, { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } });
    const m = /^\/v1\/(.+):(encrypt|decrypt)$/.exec(url.pathname);
    if (!m) return send(res, 404, { error: { code: 404, message: 'not found', status: 'NOT_FOUND' } });
    const [, name, op] = m;
    const key = keyMaterial.get(name!);
    if (key === undefined) return send(res, 404, { error: { code: 404, message: `CryptoKey ${name} not found.`, status: 'NOT_FOUND' } });
    if (op === 'encrypt') {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(name!));
      const ct = Buffer.concat([iv, c.update(Buffer.from(body.plaintext ?? '', 'base64')), c.final(), c.getAuthTag()]);
      return send(res, 200, { name: `${name}/cryptoKeyVersions/1`, ciphertext: ct.toString('base64'), protectionLevel: 1 });
    }
    try {
      const ct = Buffer.from(body.ciphertext ?? '', 'base64');
      const d = createDecipheriv('aes-256-gcm', key, ct.subarray(0, 12)).setAAD(Buffer.from(name!));
      d.setAuthTag(ct.subarray(ct.length - 16));
      const pt = Buffer.concat([d.update(ct.subarray(12, ct.length - 16)), d.final()]);
      send(res, 200, { plaintext: pt.toString('base64'), usedPrimary: true, protectionLevel: 1 });
    } catch {
      send(res, 400, { error: { code: 400, message: 'Decryption failed: the ciphertext is invalid.', status: 'INVALID_ARGUMENT' } });
    }
  });
}

function env(): Record<string, string> {
  return { SOPS_GCP_KMS_CLIENT_TYPE: 'rest', SOPS_GCP_KMS_ENDPOINT: endpoint, GOOGLE_OAUTH_ACCESS_TOKEN: TOKEN };
}

function serviceAccountJson(): string {
  return JSON.stringify({
    type: 'service_account',
    project_id: 'sops-ts',
    private_key_id: 'k1',
    private_key: SA.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    client_email: SA_EMAIL,
    client_id: '100000000000000000001',
    token_uri: `${endpoint}/token`,
  });
}


async function recording<T>(f: () => Promise<T>): Promise<{ result: T; calls: KmsCall[] }> {
  calls = [];
  const result = await f();
  const got = calls;
  calls = [];
  return { result, calls: got };
}



// ------------------------------------------------------------ no services

function sops(args: string[], environment: Record<string, string> = env()): Promise<AsyncRun> {
  return runAsync(sopsBin!, args, dir, cleanSopsEnv(environment));
}

const gcpEntries = (text: string) => storedKeys<GcpKmsStoredKey>(text);

describe('GCP KMS resource IDs, endpoints and errors (sops gcpkms/keysource.go)', () => {
  it('splits lists and removes spaces as MasterKeysFromResourceIDString does', () => {
    expect(parseGcpKmsResourceIds('')).toEqual([]);
    expect(parseGcpKmsResourceIds(` ${KEY1} ,${KEY2}`)).toEqual([KEY1, KEY2]);
    expect(parseGcpKmsResourceIds(`${KEY1},,\t`)).toEqual([KEY1, '', '\t']); // only U+0020 is removed
  });

  it('checks resource IDs when used, with sops\'s text', () => {
    expect(() => checkGcpKmsResourceId(KEY1)).not.toThrow();
    for (const bad of [`${KEY1}/cryptoKeyVersions/1`, 'projects/p/locations/l/keyRings/r', '', 'projects//locations/l/keyRings/r/cryptoKeys/k']) {
      expect(() => checkGcpKmsResourceId(bad)).toThrow(`cannot create GCP KMS service: no valid resource ID found in ${JSON.stringify(bad)}`);
    }
  });

  it('picks the endpoint from sops\'s variables', () => {
    expect(gcpKmsEndpoint({})).toBe('https://cloudkms.googleapis.com');
    expect(gcpKmsEndpoint({ SOPS_GCP_KMS_UNIVERSE_DOMAIN: 's3nsapis.fr' })).toBe('https://cloudkms.s3nsapis.fr');
    expect(gcpKmsEndpoint({ SOPS_GCP_KMS_ENDPOINT: 'cloudkms.s3nsapis.fr:443', SOPS_GCP_KMS_UNIVERSE_DOMAIN: 'x' })).toBe('https://cloudkms.s3nsapis.fr');
    expect(gcpKmsEndpoint({ SOPS_GCP_KMS_ENDPOINT: 'http://127.0.0.1:9/' })).toBe('http://127.0.0.1:9');
  });

  it('prints REST errors as grpc-go status errors', () => {
    expect(gcpKmsErrorText(404, '{"error":{"code":404,"message":"CryptoKey x not found.","status":"NOT_FOUND"}}')).toBe('rpc error: code = NotFound desc = CryptoKey x not found.');
    expect(gcpKmsErrorText(403, '{"error":{"code":403,"message":"denied","status":"PERMISSION_DENIED"}}')).toBe('rpc error: code = PermissionDenied desc = denied');
  });

  it('names google-auth-library when credentials need it and it is missing', async () => {
    const c = createGcpKmsClient({ env: { GOOGLE_CREDENTIALS: '{"type":"service_account"}' }, authPackage: 'google-auth-library-not-installed-xyz' });
    await expect(new GcpKmsRecipient(KEY1, c).wrap(randomBytes(32))).rejects.toThrow(/^cannot create GCP KMS service: GCP KMS needs the package google-auth-library-not-installed-xyz .*npm install google-auth-library-not-installed-xyz/);
    const c2 = createGcpKmsClient({ env: {}, authPackage: 'google-auth-library-not-installed-xyz' });
    await expect(c2.encrypt({ name: KEY1, plaintext: new Uint8Array(1) })).rejects.toBeInstanceOf(GcpKmsServiceError);
  });

  it('rejects a client that is not one', () => {
    expect(() => new GcpKmsIdentity({} as never)).toThrow(TypeError);
    expect(() => new GcpKmsRecipient(KEY1, null as never)).toThrow(TypeError);
  });
});

// ------------------------------------------------------------ live

describe.skipIf(!sopsBin)('GCP KMS against a Cloud KMS REST test double, cross-checked with Go sops 3.13.3 (REST client)', () => {
  beforeAll(async () => {
    assertIsGoSops(sopsBin!);
    dir = mkdtempSync(join(tmpdir(), 'sops-ts-gcpkms-'));
    writeFileSync(join(dir, 'plain.yaml'), PLAIN);
    server = createServer(handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const a = server.address();
    endpoint = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });

  afterAll(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  const ours = () => createGcpKmsClient({ env: env() });

  it('a service account in GOOGLE_CREDENTIALS (file, JSON) or GOOGLE_APPLICATION_CREDENTIALS: same token exchange as sops, both ways', async () => {
    writeFileSync(join(dir, 'sa.json'), serviceAccountJson());
    const base = { SOPS_GCP_KMS_CLIENT_TYPE: 'rest', SOPS_GCP_KMS_ENDPOINT: endpoint };
    const variants: Record<string, string>[] = [{ GOOGLE_CREDENTIALS: join(dir, 'sa.json') }, { GOOGLE_CREDENTIALS: serviceAccountJson() }, { GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'sa.json') }];
    for (const creds of variants) {
      const e: Record<string, string> = { ...base, ...creds };
      tokenExchanges = [];
      const t = await recording(() => sops(['encrypt', '--gcp-kms', KEY1, 'plain.yaml'], e));
      expect(t.result.stderr).toBe('');
      expect(t.calls[0]!.auth).toBe('exchanged');
      const theirExchange = tokenExchanges;
      tokenExchanges = [];
      const o = await recording(() => decrypt(t.result.stdout, { format: 'yaml', identities: [gcpKmsIdentity({ env: e })] }));
      expect(o.result).toBe(PLAIN);
      expect(o.calls[0]!.auth).toBe('exchanged');
      // the same JWT bearer grant: issuer, audience (token_uri) and scopes
      expect(tokenExchanges).toEqual(theirExchange);
      expect(theirExchange).toEqual([{ grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer', iss: SA_EMAIL, aud: `${endpoint}/token`, scope: 'https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/cloudkms' }]);
      const back = await encrypt(PLAIN, { format: 'yaml', recipients: gcpKmsRecipients(KEY1, { env: e }) });
      writeFileSync(join(dir, 'ours-sa.yaml'), back);
      expect((await sops(['decrypt', 'ours-sa.yaml'], e)).stdout).toBe(PLAIN);
    }
  });

  it('sops encrypts --gcp-kms → sops-ts decrypts, with the same requests as sops', async () => {
    const enc = await recording(() => sops(['encrypt', '--gcp-kms', `${KEY1}, ${KEY2}`, 'plain.yaml']));
    expect(enc.result.stderr).toBe('');
    expect(enc.result.code).toBe(0);
    expect(enc.calls.map((c) => [c.path, c.fields])).toEqual([[`/v1/${KEY1}:encrypt`, ['name', 'plaintext']], [`/v1/${KEY2}:encrypt`, ['name', 'plaintext']]]);
    const entries = await gcpEntries(enc.result.stdout);
    expect(entries.map((e) => e.resourceId)).toEqual([KEY1, KEY2]);
    // padded standard base64 of IV(12) + 32 + tag(16) = 60 bytes
    expect(entries[0]!.enc).toMatch(/^[A-Za-z0-9+/]{80}$/);
    const ourDec = await recording(() => decrypt(enc.result.stdout, { format: 'yaml', identities: [new GcpKmsIdentity(ours())] }));
    expect(ourDec.result).toBe(PLAIN);
    writeFileSync(join(dir, 'sops-gcp.yaml'), enc.result.stdout);
    const theirDec = await recording(() => sops(['decrypt', 'sops-gcp.yaml']));
    expect(theirDec.result.stdout).toBe(PLAIN);
    expect(ourDec.calls).toEqual(theirDec.calls);
    expect(ourDec.calls[0]).toEqual({ path: `/v1/${KEY1}:decrypt`, query: '?%24alt=json%3Benum-encoding%3Dint', authorization: `Bearer ${TOKEN}`, requestParams: `name=${encodeURIComponent(KEY1)}`, fields: ['ciphertext', 'name'], name: KEY1 });
    // the second key alone decrypts too
    expect((await new GcpKmsIdentity(ours()).unwrap(entries[1]!))?.length).toBe(32);
  });

  it('sops-ts encrypts → sops decrypts (MAC verified), same requests and file shape', async () => {
    const o = await recording(() => encrypt(PLAIN, { format: 'yaml', recipients: gcpKmsRecipients(`${KEY1}, ${KEY2}`, { env: env() }) }));
    const t = await recording(() => sops(['encrypt', '--gcp-kms', `${KEY1}, ${KEY2}`, 'plain.yaml']));
    expect(o.calls).toEqual(t.calls);
    writeFileSync(join(dir, 'ours-gcp.yaml'), o.result);
    const dec = await sops(['decrypt', 'ours-gcp.yaml']);
    expect(dec.stderr).toBe('');
    expect(dec.stdout).toBe(PLAIN);
    const shape = (s: string) => s.replace(/ENC\[AES256_GCM,[^\]]*\]/g, 'ENC[…]').replace(/(enc|created_at|lastmodified): .*/g, '$1: …');
    expect(shape(o.result)).toBe(shape(t.result.stdout));
  });

  it('an invalid resource ID: the same "Could not generate data key" text as sops, no request sent', async () => {
    const bad = `${KEY1}/cryptoKeyVersions/1`;
    const t = await recording(() => sops(['encrypt', '--gcp-kms', bad, 'plain.yaml']));
    expect(t.result.code).toBe(1);
    const o = await recording(() => wrapDataKey([gcpKmsRecipients(bad, { env: env() })], randomBytes(32), 0).catch((e: Error) => e.message));
    expect(o.result).toBe(t.result.stderr.trim());
    expect(t.calls).toEqual([]);
    expect(o.calls).toEqual([]);
  });

  it('a corrupt enc and a ciphertext KMS refuses: the same per-key report as sops', async () => {
    const enc = await sops(['encrypt', '--gcp-kms', KEY1, 'plain.yaml']);
    const [k] = await gcpEntries(enc.stdout);
    for (const [label, bad, want] of [
      ['bad base64', k!.enc.slice(0, 10) + '*' + k!.enc.slice(11), 'illegal base64 data at input byte 10'],
      ['refused', Buffer.from(randomBytes(60)).toString('base64'), 'failed to decrypt sops data key with GCP KMS key: rpc error: code = InvalidArgument desc = Decryption failed: the ciphertext is invalid.'],
    ] as const) {
      const text = enc.stdout.replace(k!.enc, bad);
      writeFileSync(join(dir, 'bad.yaml'), text);
      const theirs = await sops(['decrypt', 'bad.yaml']);
      expect(theirs.code, label).toBe(128);
      let err: unknown;
      try {
        await decrypt(text, { format: 'yaml', identities: [gcpKmsIdentity({ env: env() })] });
      } catch (e) {
        err = e;
      }
      expect(err, label).toBeInstanceOf(NoDataKeyError);
      expect(reportErrors((err as Error).message), label).toEqual([want]);
      if (label === 'bad base64') expect(reportErrors(theirs.stderr)).toEqual([want]);
      // sops's REST transport prints googleapi errors (its default gRPC one prints what we print)
      else expect(reportErrors(theirs.stderr)[0]).toMatch(/^failed to decrypt sops data key with GCP KMS key: .*Decryption failed: the ciphertext is invalid\./);
    }
  });

  it('a missing key: our gRPC-form error, and sops fails on the same key', async () => {
    const t = await sops(['encrypt', '--gcp-kms', MISSING, 'plain.yaml']);
    expect(t.code).toBe(1);
    expect(t.stderr).toContain(`failed to encrypt new data key with master key "${MISSING}": failed to encrypt sops data key with GCP KMS key:`);
    expect(t.stderr).toContain(`CryptoKey ${MISSING} not found.`);
    const o = await wrapDataKey([gcpKmsRecipients(MISSING, { env: env() })], randomBytes(32), 0).catch((e: Error) => e.message);
    expect(o).toBe(`Could not generate data key: [failed to encrypt new data key with master key "${MISSING}": failed to encrypt sops data key with GCP KMS key: rpc error: code = NotFound desc = CryptoKey ${MISSING} not found.]`);
  });

  it('GOOGLE_OAUTH_ACCESS_TOKEN is what both send; a wrong one fails in both', async () => {
    const o = await recording(() => new GcpKmsRecipient(KEY1, createGcpKmsClient({ env: { ...env(), GOOGLE_OAUTH_ACCESS_TOKEN: 'wrong' } })).wrap(randomBytes(32)).catch((e: Error) => e.message));
    expect(o.calls.map((c) => c.authorization)).toEqual(['Bearer wrong']);
    expect(o.result).toBe('failed to encrypt sops data key with GCP KMS key: rpc error: code = Unauthenticated desc = Request had invalid authentication credentials.');
  });
});
