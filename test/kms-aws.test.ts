// AWS KMS master keys against a real local KMS (nsmithuk/local-kms, built by
// scripts/install-local-kms.sh), cross-checked with Go sops 3.13.3 both ways.
//
// Both sops and sops-ts talk to one loopback HTTP server (test/helpers/local-kms.ts):
//  - KMS requests (`X-Amz-Target: TrentService.*`) are passed through to
//    local-kms unchanged, and recorded (operation, KeyId, EncryptionContext,
//    signing key id and region) so the two programs' requests can be compared;
//  - STS `AssumeRole` is answered there (local-kms has no STS) with fixed
//    credentials, or AccessDenied for a role named `denied`, and recorded.
// Endpoints come from AWS_ENDPOINT_URL_KMS / AWS_ENDPOINT_URL_STS, honoured by
// sops's Go SDK v2 (config 1.32) and the JS SDK v3 alike.
//
// Skipped with a visible message when Go sops, local-kms or the AWS SDK
// (`@aws-sdk/client-kms`, `@aws-sdk/client-sts`: optional peers) is absent;
// under SOPS_TS_REQUIRE_SOPS=1 a missing one fails.
import { mkdtempSync, writeFileSync } from 'node:fs';
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
import { awsKmsIdentity, awsKmsRecipients, createAwsKmsClient } from '../src/node/kms-aws.js';
import { decrypt, encrypt } from '../src/sops.js';
import {
  ACCOUNT, ALIAS, ARN1, ARN2, DENIED_ROLE, MISSING, PROFILE_AKID, REGION, ROLE, ROLE_AKID, requireLocalKms, startLocalKms, useAwsEnv,
  type Call, type KmsCall, type LocalKms,
} from './helpers/local-kms.js';
import { assertIsGoSops, cleanSopsEnv, findSops } from './helpers/sops.js';
import { reportErrors, runAsync, storedKeys, type AsyncRun } from './helpers/key-sources.js';

const PLAIN = 'db:\n    user: admin\n    password: hunter2\nlist:\n    - 1\n    - two\n';

// ------------------------------------------------------------ prerequisites

const sopsBin = findSops();
const live = await requireLocalKms('AWS KMS live tests', sopsBin ? [] : ['Go sops 3.13.3 (npm run sops:install)']);

let dir: string;
let localKms: LocalKms;
let awsEnv: Record<string, string> = {};
let restoreEnv: () => void = () => {};

/** Go sops, asynchronously (the front server runs in this process), in a clean environment plus the AWS settings. */
function sops(args: string[], extraEnv: Record<string, string> = {}): Promise<AsyncRun> {
  return runAsync(sopsBin!, args, dir, cleanSopsEnv({ ...awsEnv, ...extraEnv }));
}

function file(name: string, data: string): string {
  writeFileSync(join(dir, name), data);
  return name;
}

/** The calls recorded while `f` runs. */
function recording<T>(f: () => Promise<T>): Promise<{ result: T; calls: Call[] }> {
  return localKms.recording(f);
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


async function ourEncrypt(kms: string, opts: { context?: Record<string, string>; awsProfile?: string } = {}): Promise<string> {
  return encrypt(PLAIN, { format: 'yaml', recipients: awsKmsRecipients(kms, opts) });
}
async function ourDecrypt(text: string): Promise<string> {
  return decrypt(text, { format: 'yaml', identities: [awsKmsIdentity()] });
}
const kmsEntries = (text: string) => storedKeys(text);

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
    localKms = await startLocalKms(dir);
    awsEnv = localKms.env;
    // The JS SDK reads process.env (this worker's copy).
    restoreEnv = useAwsEnv(awsEnv);
    file('plain.yaml', PLAIN);
  });

  afterAll(async () => {
    restoreEnv();
    await localKms?.stop();
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
