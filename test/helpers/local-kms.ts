// A local AWS KMS for tests: the pinned nsmithuk/local-kms (built by
// scripts/install-local-kms.sh) behind one loopback HTTP "front" server that
// both Go sops and sops-ts talk to:
//  - KMS requests (`X-Amz-Target: TrentService.*`) are passed through to
//    local-kms unchanged, and recorded (operation, KeyId, EncryptionContext,
//    signing key id and region) so two programs' requests can be compared;
//  - STS `AssumeRole` is answered here (local-kms has no STS) with fixed
//    credentials, or AccessDenied for the role `denied`, and recorded.
// Endpoints come from AWS_ENDPOINT_URL_KMS / AWS_ENDPOINT_URL_STS, honoured by
// sops's Go SDK v2 (config 1.32) and the JS SDK v3 alike. The JS SDK reads
// `process.env`, so a test file applies {@link LocalKms.env} to its worker's
// `process.env` with {@link useAwsEnv} (vitest runs each file in its own worker).
//
// Because the front server runs in the test's own process, Go sops must be
// run asynchronously (`spawn`, never `spawnSync`) while it is up.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { REPO_ROOT } from './sops.js';

export const REGION = 'eu-west-2';
export const ACCOUNT = '111122223333';
export const KEY1 = 'bc436485-5092-42b8-92a3-0aa8b93536dc';
export const KEY2 = '49c5492b-b1bc-42a8-9a5c-b2015e810c1c';
export const ARN1 = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY1}`;
export const ARN2 = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY2}`;
/** An alias of KEY1. */
export const ALIAS = `arn:aws:kms:${REGION}:${ACCOUNT}:alias/sops-ts-test`;
/** A well-formed key ARN that local-kms does not know. */
export const MISSING = `arn:aws:kms:${REGION}:${ACCOUNT}:key/00000000-0000-0000-0000-000000000000`;
/** A role the fake STS lets anyone assume. */
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/sops-ts-test`;
/** A role the fake STS refuses (AccessDenied). */
export const DENIED_ROLE = `arn:aws:iam::${ACCOUNT}:role/denied`;
/** The access key id of the credentials the fake STS hands out. */
export const ROLE_AKID = 'ASIAROLEASSUMED00001';
/** The access key id of the `sopsts` profile in {@link LocalKms.env}'s credentials file. */
export const PROFILE_AKID = 'AKIAPROFILE000000001';
/** The profile defined in the shared config and credentials files. */
export const PROFILE = 'sopsts';

/** The pinned local-kms binary. */
export const LOCAL_KMS_BIN = join(REPO_ROOT, '.tools', 'local-kms', 'local-kms');

/** A KMS request the front passed through. */
export interface KmsCall {
  service: 'kms';
  operation: string;
  accessKeyId: string;
  region: string;
  keyId: string | undefined;
  encryptionContext: Record<string, string> | undefined;
  userAgent: string;
}
/** An STS request the front answered. */
export interface StsCall {
  service: 'sts';
  operation: string;
  accessKeyId: string;
  region: string;
  roleArn: string | null;
  roleSessionName: string | null;
  userAgent: string;
}
/** A recorded request. */
export type Call = KmsCall | StsCall;

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

/**
 * What the local KMS tests lack besides Go sops (local-kms, the AWS SDK),
 * as texts saying how to install each; empty when everything is there.
 */
export async function localKmsMissing(): Promise<string[]> {
  const missing: string[] = [];
  if (!existsSync(LOCAL_KMS_BIN)) missing.push('local-kms (bash scripts/install-local-kms.sh)');
  if (!(await sdkPresent())) missing.push('the AWS SDK (npm install --no-save @aws-sdk/client-kms @aws-sdk/client-sts)');
  return missing;
}

/**
 * Whether local-kms tests can run; `extra` are other missing prerequisites
 * (e.g. Go sops). Missing ones skip with a visible message, or throw under
 * SOPS_TS_REQUIRE_SOPS=1 (CI).
 */
export async function requireLocalKms(what: string, extra: string[] = []): Promise<boolean> {
  const missing = [...extra, ...(await localKmsMissing())];
  if (missing.length === 0) return true;
  const msg = `${what} need ${missing.join(', ')}`;
  if (process.env.SOPS_TS_REQUIRE_SOPS === '1') throw new Error(`[sops-ts] ${msg} (SOPS_TS_REQUIRE_SOPS=1)`);
  console.warn(`[sops-ts] ${what} SKIPPED: ${msg}`);
  return false;
}

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

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A running local-kms with its front server. */
export interface LocalKms {
  /** The front server's URL (KMS and STS). */
  readonly url: string;
  /**
   * The AWS environment sops and the JS SDK need: endpoints, static
   * credentials, a region that is deliberately not the keys' (sops takes
   * the region from the ARN), shared config/credentials files defining the
   * profile {@link PROFILE}, and instance metadata disabled.
   */
  readonly env: Record<string, string>;
  /** The requests recorded since the last {@link LocalKms.recording} (or start). */
  readonly calls: Call[];
  /** The requests made while `f` runs. */
  recording<T>(f: () => Promise<T>): Promise<{ result: T; calls: Call[] }>;
  /** Stop local-kms and the front. */
  stop(): Promise<void>;
}

/**
 * Start local-kms on a free port, seeded with two AES keys ({@link KEY1},
 * {@link KEY2}) and an alias ({@link ALIAS}), and the front server. `dir`
 * (a temp directory the caller owns) receives the seed, local-kms's data and
 * the AWS shared config/credentials files.
 */
export async function startLocalKms(dir: string): Promise<LocalKms> {
  let calls: Call[] = [];
  // Test-only backing keys (random hex, made for these tests; local-kms needs fixed ones to seed).
  writeFileSync(
    join(dir, 'seed.yaml'),
    `Keys:\n  Symmetric:\n    Aes:\n` +
      `      - Metadata:\n          KeyId: ${KEY1}\n        BackingKeys:\n          - 5cdaead27fe7da2de47945d73cd6d79e36494e73802f3cd3869f1d2cb0b5d7a9\n` +
      `      - Metadata:\n          KeyId: ${KEY2}\n        BackingKeys:\n          - 3f1c2e5d8a7b6c4d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f\n` +
      `Aliases:\n  - AliasName: alias/sops-ts-test\n    TargetKeyId: ${KEY1}\n`,
  );
  const kmsPort = await freePort();
  const child: ChildProcess = spawn(LOCAL_KMS_BIN, [], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PORT: String(kmsPort), KMS_REGION: REGION, KMS_ACCOUNT_ID: ACCOUNT, KMS_SEED_PATH: join(dir, 'seed.yaml'), KMS_DATA_PATH: join(dir, 'kms-data') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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

  const front = createServer((req, res) => {
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
  const frontPort = await listen(front);
  const url = `http://127.0.0.1:${frontPort}`;

  writeFileSync(join(dir, 'aws-config'), `[profile ${PROFILE}]\nregion = us-west-1\n`);
  writeFileSync(join(dir, 'aws-credentials'), `[${PROFILE}]\naws_access_key_id = ${PROFILE_AKID}\naws_secret_access_key = profile-secret\n`);
  const env = {
    AWS_ENDPOINT_URL_KMS: url,
    AWS_ENDPOINT_URL_STS: url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    // deliberately not the ARN's region: sops takes the region from the ARN
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(dir, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'aws-credentials'),
    // never reach for instance metadata (169.254.169.254) from a test
    AWS_EC2_METADATA_DISABLED: 'true',
  };

  return {
    url,
    env,
    get calls() {
      return calls;
    },
    async recording<T>(f: () => Promise<T>) {
      calls = [];
      const result = await f();
      const got = calls;
      calls = [];
      return { result, calls: got };
    },
    async stop() {
      child.kill();
      await new Promise<void>((r) => front.close(() => r()));
    },
  };
}

/** AWS variables that would change what the SDK does if inherited from the user. */
const AWS_VARS = ['AWS_PROFILE', 'AWS_ENDPOINT_URL', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_REGION', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE'];

/**
 * Put `env` (a {@link LocalKms.env}) into this worker's `process.env`, where
 * the JS SDK reads it, after removing the user's AWS variables; returns the
 * function that puts everything back.
 */
export function useAwsEnv(env: Record<string, string>): () => void {
  const saved: Record<string, string | undefined> = {};
  for (const k of [...Object.keys(env), ...AWS_VARS]) {
    saved[k] = process.env[k];
    delete process.env[k];
  }
  Object.assign(process.env, env);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
