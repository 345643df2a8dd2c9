// AWS KMS master keys against a real local KMS (nsmithuk/local-kms, built by
// scripts/install-local-kms.sh), cross-checked with Go sops 3.13.3 both ways.
//
// Both sops and sops-ts talk to one loopback HTTP server of this test:
//  - KMS requests (`X-Amz-Target: TrentService.*`) are passed through to
//    local-kms unchanged, and recorded (operation, KeyId, EncryptionContext,
//    signing key id and region) so the two programs' requests can be compared;
//  - STS `AssumeRole` is answered here (local-kms has no STS) with fixed
//    credentials, or AccessDenied for a role named `denied`, and recorded.
// Endpoints come from AWS_ENDPOINT_URL_KMS / AWS_ENDPOINT_URL_STS, honoured by
// sops's Go SDK v2 (config 1.32) and the JS SDK v3 alike.
//
// Skipped with a visible message when Go sops, local-kms or the AWS SDK
// (`@aws-sdk/client-kms`, `@aws-sdk/client-sts`: optional peers) is absent;
// under SOPS_TS_REQUIRE_SOPS=1 a missing one fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoDataKeyError } from '../src/errors.js';
import {
  KmsIdentity,
  KmsRecipient,
  formatKmsEncryptionContext,
  goBase64Decode,
  kmsArnRegion,
  kmsKeyString,
  kmsStsSessionName,
  parseKmsArn,
  parseKmsArns,
  parseKmsEncryptionContext,
} from '../src/keysources/kms.js';
import { metadataFromTree } from '../src/metadata.js';
import { awsKmsIdentity, awsKmsRecipients, createAwsKmsClient } from '../src/node/kms-aws.js';
import { decrypt, encrypt, storeFor } from '../src/sops.js';
import { REPO_ROOT, assertIsGoSops, cleanSopsEnv, findSops } from './helpers/sops.js';

const REGION = 'eu-west-2';
const ACCOUNT = '111122223333';
const KEY1 = 'bc436485-5092-42b8-92a3-0aa8b93536dc';
const KEY2 = '49c5492b-b1bc-42a8-9a5c-b2015e810c1c';
const ARN1 = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY1}`;
const ARN2 = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY2}`;
const ALIAS = `arn:aws:kms:${REGION}:${ACCOUNT}:alias/sops-ts-test`;
const MISSING = `arn:aws:kms:${REGION}:${ACCOUNT}:key/00000000-0000-0000-0000-000000000000`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/sops-ts-test`;
const DENIED_ROLE = `arn:aws:iam::${ACCOUNT}:role/denied`;
const ROLE_AKID = 'ASIAROLEASSUMED00001';
const PROFILE_AKID = 'AKIAPROFILE000000001';
const PLAIN = 'db:\n    user: admin\n    password: hunter2\nlist:\n    - 1\n    - two\n';

// ------------------------------------------------------------ prerequisites

const LOCAL_KMS = join(REPO_ROOT, '.tools', 'local-kms', 'local-kms');
async function sdkPresent(): Promise<boolean> {
  // variable specifiers: the SDK is an optional peer, absent from package.json
  const names = ['@aws-sdk/client-kms', '@aws-sdk/client-sts'];
  try {
    for (const n of names) await import(n);
    return true;
  } catch {
    return false;
  }
}
const missing: string[] = [];
const sopsBin = findSops();
if (!sopsBin) missing.push('Go sops 3.13.3 (npm run sops:install)');
if (!existsSync(LOCAL_KMS)) missing.push('local-kms (bash scripts/install-local-kms.sh)');
if (!(await sdkPresent())) missing.push('the AWS SDK (npm install --no-save @aws-sdk/client-kms @aws-sdk/client-sts)');
if (missing.length > 0) {
  const msg = `AWS KMS live tests need ${missing.join(', ')}`;
  if (process.env.SOPS_TS_REQUIRE_SOPS === '1') throw new Error(`[sops-ts] ${msg} (SOPS_TS_REQUIRE_SOPS=1)`);
  console.warn(`[sops-ts] AWS KMS live tests SKIPPED: ${msg}`);
}
const live = missing.length === 0;

// ------------------------------------------------------------ servers

interface KmsCall {
  service: 'kms';
  operation: string;
  accessKeyId: string;
  region: string;
  keyId: string | undefined;
  encryptionContext: Record<string, string> | undefined;
  userAgent: string;
}
interface StsCall {
  service: 'sts';
  operation: string;
  accessKeyId: string;
  region: string;
  roleArn: string | null;
  roleSessionName: string | null;
  userAgent: string;
}
type Call = KmsCall | StsCall;

let dir: string;
let localKms: ChildProcess | undefined;
let front: Server | undefined;
let frontUrl = '';
let calls: Call[] = [];
const savedEnv: Record<string, string | undefined> = {};
let awsEnv: Record<string, string> = {};

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function signing(req: IncomingMessage): { accessKeyId: string; region: string } {
  const m = /Credential=([^/]+)\/\d{8}\/([^/]+)\//.exec(String(req.headers.authorization ?? ''));
  return { accessKeyId: m?.[1] ?? '', region: m?.[2] ?? '' };
}

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** The loopback front: KMS passed through to local-kms and recorded; STS answered here. */
function startFront(kmsPort: number): Promise<void> {
  front = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const target = req.headers['x-amz-target'];
      const userAgent = String(req.headers['user-agent'] ?? '');
      if (typeof target === 'string' && target.startsWith('TrentService.')) {
        const json = JSON.parse(body.toString('utf8') || '{}') as { KeyId?: string; EncryptionContext?: Record<string, string> };
        calls.push({ service: 'kms', operation: target.slice('TrentService.'.length), ...signing(req), keyId: json.KeyId, encryptionContext: json.EncryptionContext, userAgent });
        const up = httpRequest({ host: '127.0.0.1', port: kmsPort, method: req.method, path: req.url, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode ?? 500, r.headers);
          r.pipe(res);
        });
        up.on('error', (e) => {
          res.writeHead(502);
          res.end(String(e));
        });
        up.end(body);
        return;
      }
      const form = new URLSearchParams(body.toString('utf8'));
      const roleArn = form.get('RoleArn');
      calls.push({ service: 'sts', operation: form.get('Action') ?? '', ...signing(req), roleArn, roleSessionName: form.get('RoleSessionName'), userAgent });
      if (form.get('Action') !== 'AssumeRole') {
        res.writeHead(400, { 'content-type': 'text/xml' });
        res.end(`<ErrorResponse xmlns="${STS_NS}"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>not emulated</Message></Error><RequestId>req-invalid</RequestId></ErrorResponse>`);
        return;
      }
      if (roleArn === DENIED_ROLE) {
        res.writeHead(403, { 'content-type': 'text/xml', 'x-amzn-requestid': 'req-denied' });
        res.end(`<ErrorResponse xmlns="${STS_NS}"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform sts:AssumeRole</Message></Error><RequestId>req-denied</RequestId></ErrorResponse>`);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': 'req-assume' });
      res.end(
        `<AssumeRoleResponse xmlns="${STS_NS}"><AssumeRoleResult><Credentials><AccessKeyId>${ROLE_AKID}</AccessKeyId>` +
          `<SecretAccessKey>role-secret</SecretAccessKey><SessionToken>role-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>` +
          `<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:${form.get('RoleSessionName')}</AssumedRoleId><Arn>arn:aws:sts::${ACCOUNT}:assumed-role/sops-ts-test/x</Arn></AssumedRoleUser>` +
          `</AssumeRoleResult><ResponseMetadata><RequestId>req-assume</RequestId></ResponseMetadata></AssumeRoleResponse>`,
      );
    })();
  });
  return new Promise((resolve) => {
    front!.listen(0, '127.0.0.1', () => {
      const a = front!.address();
      frontUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
      resolve();
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Start local-kms on a free port with two seeded AES keys and an alias; resolves when it listens. */
async function startLocalKms(): Promise<number> {
  // Test-only backing keys (random hex, made for this file; local-kms needs fixed ones to seed).
  writeFileSync(
    join(dir, 'seed.yaml'),
    `Keys:\n  Symmetric:\n    Aes:\n` +
      `      - Metadata:\n          KeyId: ${KEY1}\n        BackingKeys:\n          - 5cdaead27fe7da2de47945d73cd6d79e36494e73802f3cd3869f1d2cb0b5d7a9\n` +
      `      - Metadata:\n          KeyId: ${KEY2}\n        BackingKeys:\n          - 3f1c2e5d8a7b6c4d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f\n` +
      `Aliases:\n  - AliasName: alias/sops-ts-test\n    TargetKeyId: ${KEY1}\n`,
  );
  const port = await freePort();
  const child = spawn(LOCAL_KMS, [], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PORT: String(port), KMS_REGION: REGION, KMS_ACCOUNT_ID: ACCOUNT, KMS_SEED_PATH: join(dir, 'seed.yaml'), KMS_DATA_PATH: join(dir, 'kms-data') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  localKms = child;
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local-kms did not start within 10 s:\n${log}`)), 10_000);
    const onData = (d: Buffer) => {
      log += d.toString('utf8');
      if (log.includes('Local KMS started')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local-kms exited with ${code}:\n${log}`));
    });
  });
  return port;
}

/** Go sops, asynchronously (the front server runs in this process), in a clean environment plus the AWS settings. */
function sops(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(sopsBin!, args, { cwd: dir, env: cleanSopsEnv({ ...awsEnv, ...extraEnv }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function file(name: string, data: string): string {
  writeFileSync(join(dir, name), data);
  return name;
}

/** The calls recorded while `f` runs. */
async function recording<T>(f: () => Promise<T>): Promise<{ result: T; calls: Call[] }> {
  calls = [];
  const result = await f();
  const got = calls;
  calls = [];
  return { result, calls: got };
}

/** Strip what differs between two encryptions (ciphertexts, times) to compare the files' shape. */
function shape(text: string): string {
  return text
    .replace(/ENC\[AES256_GCM,[^\]]*\]/g, 'ENC[…]')
    .replace(/(enc|created_at|lastmodified): .*/g, '$1: …');
}

/** sops's `Could not generate data key: [failed to encrypt new data key with master key "NAME": MESSAGE]`. */
function sopsWrapError(stderr: string): { name: string; message: string } {
  const m = /Could not generate data key: \[failed to encrypt new data key with master key "((?:[^"\\]|\\.)*)": (.*)\]\n?$/s.exec(stderr.trim());
  if (!m) throw new Error(`unexpected sops stderr: ${stderr}`);
  return { name: m[1]!, message: m[2]! };
}

/** The error texts in sops's `Failed to get the data key` report, word wrap undone. */
function reportErrors(report: string): string[] {
  const out: string[] = [];
  for (const line of report.split('\n')) {
    const m = /^ {4}([- ]) \| ?(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '-') out.push(m[2]!);
    else out[out.length - 1] += ' ' + m[2]!;
  }
  return out;
}

async function ourEncrypt(kms: string, opts: { context?: Record<string, string>; awsProfile?: string } = {}): Promise<string> {
  return encrypt(PLAIN, { format: 'yaml', recipients: awsKmsRecipients(kms, opts) });
}
async function ourDecrypt(text: string): Promise<string> {
  return decrypt(text, { format: 'yaml', identities: [awsKmsIdentity()] });
}
async function kmsEntries(text: string) {
  const store = await storeFor('yaml');
  return metadataFromTree(store.loadEncryptedFile(text).metadata).keyGroups.flat();
}

// ------------------------------------------------------------ pure parsing (no services)

describe('KMS key strings and encryption contexts (sops kms/keysource.go)', () => {
  it('splits ARN+ROLE at the first "+arn:" after removing spaces (NewMasterKeyFromArn)', () => {
    expect(parseKmsArn(` ${ARN1} + arn:aws:iam::1:role/r `)).toEqual({ arn: ARN1, role: 'arn:aws:iam::1:role/r' });
    expect(parseKmsArn(`+arn:${ARN1}`)).toEqual({ arn: `+arn:${ARN1}`, role: '' }); // sops: roleIndex > 0 only
    expect(parseKmsArns('')).toEqual([]);
    expect(parseKmsArns(`${ARN1},,${ARN2}`).map((k) => k.arn)).toEqual([ARN1, '', ARN2]);
  });

  it('parses --encryption-context as ParseKMSContext does', () => {
    expect(parseKmsEncryptionContext('a:b,c:d')).toEqual({ a: 'b', c: 'd' });
    expect(parseKmsEncryptionContext(' a:b')).toEqual({ ' a': 'b' });
    expect(parseKmsEncryptionContext('a:1,a:2')).toEqual({ a: '2' });
    expect(parseKmsEncryptionContext('a:')).toEqual({ a: '' });
    for (const bad of ['a', 'a:b:c', 'a:b,', 'a=b']) expect(parseKmsEncryptionContext(bad)).toBeUndefined();
    expect(parseKmsEncryptionContext('')).toBeUndefined();
    expect(parseKmsEncryptionContext({})).toBeUndefined();
    expect(parseKmsEncryptionContext({ a: 'b', n: 1 })).toBeUndefined();
    expect(parseKmsEncryptionContext({ a: 'b' })).toEqual({ a: 'b' });
  });

  it('prints keys as MasterKey.ToString (context sorted, profile after a second |)', () => {
    expect(kmsKeyString({ arn: ARN1 })).toBe(ARN1);
    expect(kmsKeyString({ arn: ARN1, role: ROLE, context: { z: '1', a: '2' } })).toBe(`${ARN1}+${ROLE}|a:2,z:1`);
    expect(kmsKeyString({ arn: ARN1, awsProfile: 'p' })).toBe(`${ARN1}||p`);
    expect(formatKmsEncryptionContext({ b: 'x', B: 'y', a: 'z' })).toBe('B:y,a:z,b:x');
  });

  it('takes the region from the ARN and rejects what sops rejects', () => {
    expect(kmsArnRegion(ARN1)).toBe(REGION);
    expect(kmsArnRegion('arn:aws-cn:kms:cn-north-1:1:alias/x')).toBe('cn-north-1');
    expect(() => kmsArnRegion('not-an-arn')).toThrow("no valid ARN found in 'not-an-arn'");
    expect(() => kmsArnRegion(`arn:aws:kms:${REGION}:${ACCOUNT}:key/a\nb`)).toThrow(/no valid ARN/);
  });

  it('builds STS session names as sops does (outputs of Go regexp with stsSessionRegex, go1.26)', () => {
    // `@-_` in sops's class is a range, so '-' is removed; cut to 64 bytes.
    expect(kmsStsSessionName('my-host.example.com')).toBe('sops@myhost.example.com');
    expect(kmsStsSessionName('ÄB_c[d]^e\\f g')).toBe('sops@B_c[d]^e\\fg');
    expect(kmsStsSessionName('x'.repeat(70))).toBe('sops@' + 'x'.repeat(59));
    expect(kmsStsSessionName('ab' + '-'.repeat(10) + 'y'.repeat(60))).toBe('sops@ab' + 'y'.repeat(57));
  });

  it("decodes enc as Go's base64.StdEncoding (error offsets from Go 1.26)", () => {
    const cases: [string, number | string][] = [
      ['abc', 0], ['ab=c', 2], ['a*bc', 1], ['QUJDRA=', 7], ['QUJDRA==QUJD', 8], ['QUJDRA=x', 6],
      ['QUI=', '4142'], ['QUJ=', '4142'], ['QUJDR', 4], ['QQ==QQ==', 4], ['QU\nJD', '414243'], ['é', 0],
    ];
    for (const [s, want] of cases) {
      const r = goBase64Decode(s);
      expect(typeof r === 'number' ? r : Buffer.from(r).toString('hex'), s).toBe(want);
    }
  });

  it('rejects a client that is not one', () => {
    expect(() => new KmsIdentity({} as never)).toThrow(TypeError);
    expect(() => new KmsRecipient({ arn: ARN1 }, null as never)).toThrow(TypeError);
  });
});

// ------------------------------------------------------------ live

describe.skipIf(!live)('AWS KMS against local-kms, cross-checked with Go sops 3.13.3', () => {
  beforeAll(async () => {
    assertIsGoSops(sopsBin!);
    dir = mkdtempSync(join(tmpdir(), 'sops-ts-kms-'));
    const kmsPort = await startLocalKms();
    await startFront(kmsPort);
    writeFileSync(join(dir, 'aws-config'), '[profile sopsts]\nregion = us-west-1\n');
    writeFileSync(join(dir, 'aws-credentials'), `[sopsts]\naws_access_key_id = ${PROFILE_AKID}\naws_secret_access_key = profile-secret\n`);
    awsEnv = {
      AWS_ENDPOINT_URL_KMS: frontUrl,
      AWS_ENDPOINT_URL_STS: frontUrl,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      // deliberately not the ARN's region: sops takes the region from the ARN
      AWS_REGION: 'us-east-1',
      AWS_CONFIG_FILE: join(dir, 'aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'aws-credentials'),
      // never reach for instance metadata (169.254.169.254) from a test
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    // The JS SDK reads process.env (this worker's copy).
    for (const k of [...Object.keys(awsEnv), 'AWS_PROFILE', 'AWS_ENDPOINT_URL', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_REGION', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE']) {
      savedEnv[k] = process.env[k];
      delete process.env[k];
    }
    Object.assign(process.env, awsEnv);
    file('plain.yaml', PLAIN);
  });

  afterAll(async () => {
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    localKms?.kill();
    await new Promise<void>((r) => (front ? front.close(() => r()) : r()));
  });

  it('sops encrypts --kms ARN → sops-ts decrypts, sending the same Decrypt request as sops', async () => {
    const enc = await sops(['encrypt', '--kms', ARN1, 'plain.yaml']);
    expect(enc.stderr).toBe('');
    expect(enc.code).toBe(0);
    const ours = await recording(() => ourDecrypt(enc.stdout));
    expect(ours.result).toBe(PLAIN);
    file('sops-kms.yaml', enc.stdout);
    const theirs = await recording(() => sops(['decrypt', 'sops-kms.yaml']));
    expect(theirs.result.stdout).toBe(PLAIN);
    const strip = (cs: Call[]) => cs.map(({ userAgent: _, ...c }) => c);
    expect(strip(ours.calls)).toEqual(strip(theirs.calls));
    expect(ours.calls).toMatchObject([{ service: 'kms', operation: 'Decrypt', keyId: ARN1, region: REGION, accessKeyId: 'test', encryptionContext: {} }]);
    expect(ours.calls[0]!.userAgent).toMatch(/aws-sdk-js/); // the request really came from us
    const [k] = await kmsEntries(enc.stdout);
    expect(k).toMatchObject({ type: 'kms', arn: ARN1, role: '', context: undefined, awsProfile: '' });
  });

  it('sops encrypts with --encryption-context (key names with spaces and colons-free values) → sops-ts decrypts with that context', async () => {
    const enc = await recording(() => sops(['encrypt', '--kms', `${ARN1},${ALIAS}`, '--encryption-context', 'app:web, env:prod', 'plain.yaml']));
    expect(enc.result.code).toBe(0);
    const sent = enc.calls.filter((c): c is KmsCall => c.service === 'kms');
    expect(sent.map((c) => c.encryptionContext)).toEqual([{ app: 'web', ' env': 'prod' }, { app: 'web', ' env': 'prod' }]);
    expect(parseKmsEncryptionContext('app:web, env:prod')).toEqual(sent[0]!.encryptionContext);
    const ours = await recording(() => ourDecrypt(enc.result.stdout));
    expect(ours.result).toBe(PLAIN);
    expect(ours.calls).toMatchObject([{ operation: 'Decrypt', keyId: ARN1, encryptionContext: { app: 'web', ' env': 'prod' } }]);
    // the alias entry alone decrypts too
    const entries = await kmsEntries(enc.result.stdout);
    expect(entries.map((e) => e.type === 'kms' && e.arn)).toEqual([ARN1, ALIAS]);
    const aliasOnly = await new KmsIdentity(createAwsKmsClient()).unwrap(entries[1]!);
    expect(aliasOnly?.length).toBe(32);
  });

  it('sops-ts encrypts → sops decrypts (MAC verified), and the file has the same shape as sops\'s', async () => {
    const variants: { args: string[]; kms: string; context?: Record<string, string>; awsProfile?: string }[] = [
      { args: ['--kms', ARN1], kms: ARN1 },
      { args: ['--kms', `${ARN1},${ARN2}`, '--encryption-context', 'b:2,a:1'], kms: `${ARN1},${ARN2}`, context: { b: '2', a: '1' } },
      { args: ['--kms', `${ALIAS}+${ROLE}`], kms: `${ALIAS}+${ROLE}` },
      { args: ['--kms', ARN2, '--aws-profile', 'sopsts', '--encryption-context', 'k:v'], kms: ARN2, context: { k: 'v' }, awsProfile: 'sopsts' },
    ];
    for (const v of variants) {
      const ours = await ourEncrypt(v.kms, { ...(v.context ? { context: v.context } : {}), ...(v.awsProfile ? { awsProfile: v.awsProfile } : {}) });
      file('ours.yaml', ours);
      const dec = await sops(['decrypt', 'ours.yaml']);
      expect(dec.stderr, v.args.join(' ')).toBe('');
      expect(dec.stdout).toBe(PLAIN);
      const theirs = await sops(['encrypt', ...v.args, 'plain.yaml']);
      expect(theirs.code).toBe(0);
      expect(shape(ours), v.args.join(' ')).toBe(shape(theirs.stdout));
      expect(ours).toMatch(/created_at: "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"/);
    }
  });

  it('assumes the role as sops does (same AssumeRole request, KMS signed with the role credentials)', async () => {
    const theirs = await recording(() => sops(['encrypt', '--kms', `${ARN1}+${ROLE}`, 'plain.yaml']));
    expect(theirs.result.code).toBe(0);
    const ours = await recording(() => ourDecrypt(theirs.result.stdout));
    expect(ours.result).toBe(PLAIN);
    const strip = (cs: Call[]) => cs.map(({ userAgent: _, operation, service, accessKeyId, region, ...rest }) => ({ service, accessKeyId, region, ...('roleArn' in rest ? { roleArn: rest.roleArn, roleSessionName: rest.roleSessionName } : { keyId: rest.keyId }) }));
    expect(strip(ours.calls)).toEqual([
      { service: 'sts', accessKeyId: 'test', region: REGION, roleArn: ROLE, roleSessionName: kmsStsSessionName(hostname()) },
      { service: 'kms', accessKeyId: ROLE_AKID, region: REGION, keyId: ARN1 },
    ]);
    expect(strip(ours.calls)).toEqual(strip(theirs.calls));
    const [k] = await kmsEntries(theirs.result.stdout);
    expect(k).toMatchObject({ arn: ARN1, role: ROLE });
  });

  it('uses aws_profile for credentials as sops does (the profile wins over env keys)', async () => {
    const theirs = await recording(() => sops(['encrypt', '--kms', ARN1, '--aws-profile', 'sopsts', 'plain.yaml']));
    expect(theirs.result.code).toBe(0);
    const ours = await recording(() => ourDecrypt(theirs.result.stdout));
    expect(ours.result).toBe(PLAIN);
    expect(ours.calls).toMatchObject([{ operation: 'Decrypt', accessKeyId: PROFILE_AKID, region: REGION }]);
    expect(theirs.calls).toMatchObject([{ operation: 'Encrypt', accessKeyId: PROFILE_AKID, region: REGION }]);
    const [k] = await kmsEntries(theirs.result.stdout);
    expect(k).toMatchObject({ awsProfile: 'sopsts' });
  });

  it('reports a key ARN that does not exist with sops\'s text', async () => {
    const theirs = await sops(['encrypt', '--kms', MISSING, 'plain.yaml']);
    expect(theirs.code).toBe(1);
    const want = sopsWrapError(theirs.stderr);
    const [r] = awsKmsRecipients(MISSING);
    expect(r!.name).toBe(want.name);
    await expect(r!.wrap(new Uint8Array(32))).rejects.toThrow(want.message);
    expect(want.message).toMatch(/^failed to encrypt sops data key with AWS KMS: operation error KMS: Encrypt, https response error StatusCode: 400, RequestID: , NotFoundException: Key '.*' does not exist$/);
  });

  it('names keys and reports errors as sops does (invalid ARN, role denied, missing profile)', async () => {
    const cases: { kms: string; args: string[]; context?: Record<string, string>; awsProfile?: string }[] = [
      { kms: 'not-an-arn', args: [] },
      { kms: `${MISSING}+${ROLE}`, args: ['--encryption-context', 'z:1,a:2'], context: { z: '1', a: '2' } },
      { kms: `${ARN1}+${DENIED_ROLE}`, args: [] },
      { kms: ARN1, args: ['--aws-profile', 'nope'], awsProfile: 'nope' },
    ];
    for (const c of cases) {
      const theirs = await sops(['encrypt', '--kms', c.kms, ...c.args, 'plain.yaml']);
      expect(theirs.code, theirs.stderr).toBe(1);
      const want = sopsWrapError(theirs.stderr);
      const [r] = awsKmsRecipients(c.kms, { ...(c.context ? { context: c.context } : {}), ...(c.awsProfile ? { awsProfile: c.awsProfile } : {}) });
      expect(r!.name).toBe(want.name);
      let got = '';
      await r!.wrap(new Uint8Array(32)).catch((e: Error) => (got = e.message));
      expect(got, c.kms).toBe(want.message);
    }
  });

  it('reports a wrong encryption context on decrypt with sops\'s text', async () => {
    const enc = await sops(['encrypt', '--kms', ARN1, '--encryption-context', 'a:b', 'plain.yaml']);
    const tampered = enc.stdout.replace(/context:\n(\s+)a: b/, 'context:\n$1a: x');
    expect(tampered).not.toBe(enc.stdout);
    file('tampered.yaml', tampered);
    const theirs = await sops(['decrypt', 'tampered.yaml']);
    expect(theirs.code).toBe(128);
    let err: unknown;
    await ourDecrypt(tampered).catch((e: unknown) => (err = e));
    expect(err).toBeInstanceOf(NoDataKeyError);
    expect(reportErrors((err as Error).message)).toEqual(reportErrors(theirs.stderr));
    expect(reportErrors(theirs.stderr)).toEqual(['failed to decrypt sops data key with AWS KMS: operation error KMS: Decrypt, https response error StatusCode: 400, RequestID: , InvalidCiphertextException: ']);
  });

  it('rejects an encryption context sops rejects (exit 6)', async () => {
    const theirs = await sops(['encrypt', '--kms', ARN1, '--encryption-context', 'a:b:c', 'plain.yaml']);
    expect(theirs.code).toBe(6);
    expect(theirs.stderr).toContain('Invalid KMS encryption context format');
    expect(parseKmsEncryptionContext('a:b:c')).toBeUndefined();
  });

  it('reports a corrupt enc with Go base64\'s text, as sops does', async () => {
    const enc = await sops(['encrypt', '--kms', ARN1, 'plain.yaml']);
    const bad = enc.stdout.replace(/(\benc: )(\S{10})/, '$1$2*');
    file('bad-enc.yaml', bad);
    const theirs = await sops(['decrypt', 'bad-enc.yaml']);
    expect(theirs.code).toBe(128);
    let err: unknown;
    await ourDecrypt(bad).catch((e: unknown) => (err = e));
    expect(reportErrors((err as Error).message)).toEqual(reportErrors(theirs.stderr));
    expect(reportErrors(theirs.stderr)[0]).toMatch(/^error base64-decoding encrypted data key: illegal base64 data at input byte \d+$/);
  });

  it('keeps created_at when re-wrapping a stored key (KmsRecipient.fromStoredKey)', async () => {
    const enc = await sops(['encrypt', '--kms', ARN1, '--encryption-context', 'a:b', 'plain.yaml']);
    const [k] = await kmsEntries(enc.stdout);
    if (k?.type !== 'kms') throw new Error('no kms entry');
    const client = createAwsKmsClient();
    const rewrapped = await KmsRecipient.fromStoredKey(k, client).wrap(new Uint8Array(32).fill(7));
    expect({ ...rewrapped, enc: '' }).toEqual({ ...k, enc: '' });
    expect(await new KmsIdentity(client).unwrap(rewrapped)).toEqual(new Uint8Array(32).fill(7));
  });

  it('says which package to install when the SDK cannot be loaded', async () => {
    const client = createAwsKmsClient({ sdkPackages: { kms: '@aws-sdk/client-kms-not-installed' } });
    const [spec] = parseKmsArns(ARN1);
    let got = '';
    await new KmsRecipient(spec!, client).wrap(new Uint8Array(32)).catch((e: Error) => (got = e.message));
    expect(got).toBe('AWS KMS needs the AWS SDK package @aws-sdk/client-kms-not-installed, which could not be loaded; install it with: npm install @aws-sdk/client-kms-not-installed');
  });
});
