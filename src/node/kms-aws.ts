/**
 * The default AWS KMS client for Node, on the AWS SDK for JavaScript v3
 * (`@aws-sdk/client-kms`, and `@aws-sdk/client-sts` for role assumption).
 * Both are optional peer dependencies, loaded with a dynamic `import()` the
 * first time a KMS key is used, so users without KMS keys need neither.
 *
 * It does what sops's `kms/keysource.go` does for each call:
 * - the region is the ARN's (sops ignores `AWS_REGION` for KMS calls);
 * - credentials come from the SDK's default chain (environment, shared
 *   config and credentials files, SSO, `credential_process`, web identity,
 *   ECS/EC2 metadata), or from the key's `aws_profile` when it has one (a
 *   profile that is in neither file fails as in sops: `could not load AWS
 *   config: failed to get shared config profile, NAME`);
 * - with a role, STS `AssumeRole` (session name `sops@<hostname>`) first,
 *   and KMS is called with the role's credentials;
 * - endpoints follow the SDK's rules, so `AWS_ENDPOINT_URL_KMS`,
 *   `AWS_ENDPOINT_URL_STS` and `AWS_ENDPOINT_URL` work for both sops (Go SDK
 *   v2 config ≥ 1.25) and sops-ts.
 *
 * Error messages are rewritten in the Go SDK's form
 * (`operation error KMS: Encrypt, https response error StatusCode: 400,
 * RequestID: …, NotFoundException: …`) so sops-ts reports what sops reports.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { homedir, hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import {
  KmsConfigError,
  KmsIdentity,
  KmsRecipient,
  kmsStsSessionName,
  parseKmsArns,
  type KmsClient,
  type KmsDecryptInput,
  type KmsEncryptInput,
  type KmsKeyContext,
} from '../keysources/kms.js';

/** The npm packages the default client loads, by use. */
export const AWS_SDK_PACKAGES = { kms: '@aws-sdk/client-kms', sts: '@aws-sdk/client-sts' } as const;

// Minimal structural types of the SDK parts used, so this file type-checks
// without the SDK installed (it is an optional peer dependency).
interface SdkClient {
  send(command: unknown): Promise<unknown>;
  destroy(): void;
}
type SdkClientCtor = new (config: Record<string, unknown>) => SdkClient;
type SdkCommandCtor = new (input: Record<string, unknown>) => unknown;
interface KmsModule {
  KMSClient: SdkClientCtor;
  EncryptCommand: SdkCommandCtor;
  DecryptCommand: SdkCommandCtor;
}
interface StsModule {
  STSClient: SdkClientCtor;
  AssumeRoleCommand: SdkCommandCtor;
}
interface StsCredentials {
  AccessKeyId?: string;
  SecretAccessKey?: string;
  SessionToken?: string;
  Expiration?: Date;
}

const loaded = new Map<string, Promise<unknown>>();

/**
 * Import one SDK package, or throw a {@link KmsConfigError} naming the
 * package to install. The specifier is a variable so bundlers and `tsc` do
 * not require the package.
 */
function loadSdk<T>(name: string, why: string): Promise<T> {
  let p = loaded.get(name);
  if (p === undefined) {
    p = import(name).catch((e: unknown) => {
      loaded.delete(name);
      throw new KmsConfigError(`${why} needs the AWS SDK package ${name}, which could not be loaded; install it with: npm install ${name}`, { cause: e });
    });
    loaded.set(name, p);
  }
  return p as Promise<T>;
}

/** Options of {@link createAwsKmsClient}. */
export interface AwsKmsClientOptions {
  /**
   * Credentials for every call instead of the SDK's default chain: an AWS
   * SDK credential identity (`{ accessKeyId, secretAccessKey, sessionToken? }`)
   * or provider (sops's keyservice `CredentialsProvider`). With a role,
   * they are the ones that assume it. Default: the default chain.
   */
  credentials?: unknown;
  /** The host name in the STS role session name (`sops@<hostname>`). Default: `os.hostname()`. */
  hostname?: string;
  /**
   * Where `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE` and `HOME` are
   * read to check that an `aws_profile` exists. The SDK itself reads
   * `process.env`. Default: `process.env`.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** @internal Package names to load instead of {@link AWS_SDK_PACKAGES} (tests of the missing-SDK error). */
  sdkPackages?: { kms?: string; sts?: string };
  /** Extra AWS SDK client configuration (e.g. `endpoint`, `requestHandler`, `maxAttempts`). Default: none. */
  clientConfig?: Record<string, unknown>;
}

/**
 * The Go SDK's text for an error of `service`'s `operation`
 * (smithy `OperationError`, `awshttp.ResponseError`, the typed or generic
 * API error), built from an AWS SDK for JavaScript error.
 * @internal
 */
export function goAwsErrorText(service: string, operation: string, e: unknown): string {
  const err = (e ?? {}) as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number };
    constructor?: { name?: string };
  };
  const meta = err.$metadata ?? {};
  const attempts = meta.attempts !== undefined && meta.attempts >= 3 ? `exceeded maximum number of attempts, ${meta.attempts}, ` : '';
  const message = err.message ?? String(e);
  if (err.name === 'CredentialsProviderError' || err.name === 'ProviderError') {
    return `operation error ${service}: ${operation}, get identity: get credentials: ${message}`;
  }
  if (meta.httpStatusCode === undefined) {
    return `operation error ${service}: ${operation}, ${attempts}https response error StatusCode: 0, RequestID: , request send failed, ${message}`;
  }
  // A modelled exception prints `Code: message`; one the client does not
  // model (JS: the service's base exception class) prints `api error Code: message`.
  const generic = /ServiceException$/.test(err.constructor?.name ?? '');
  // The JS SDK says `UnknownError` when the response has no message; Go
  // prints the message as it is, empty (local-kms's InvalidCiphertextException).
  const apiMessage = message === 'UnknownError' ? '' : message;
  const api = `${generic ? 'api error ' : ''}${err.name ?? 'UnknownError'}: ${apiMessage}`;
  return `operation error ${service}: ${operation}, ${attempts}https response error StatusCode: ${meta.httpStatusCode}, RequestID: ${meta.requestId ?? ''}, ${api}`;
}

/**
 * The profile names in an AWS shared config (`[profile NAME]`, `[default]`)
 * or credentials (`[NAME]`) file; none if it cannot be read.
 */
function profilesIn(path: string, isConfig: boolean): Set<string> {
  const out = new Set<string>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return out;
  }
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*\[\s*([^\]]*?)\s*\]/.exec(raw);
    if (m === null) continue;
    const section = m[1]!;
    if (!isConfig) out.add(section);
    else if (section === 'default') out.add('default');
    else {
      const p = /^profile\s+(.+)$/.exec(section);
      if (p !== null) out.add(p[1]!.trim());
    }
  }
  return out;
}

/** Go SDK `LoadDefaultConfig` with `SharedConfigProfile`: the profile must be in one of the two files. */
function checkProfile(profile: string, env: Readonly<Record<string, string | undefined>>): void {
  const home = env['HOME'] || env['USERPROFILE'] || homedir();
  const config = env['AWS_CONFIG_FILE'] || join(home, '.aws', 'config');
  const credentials = env['AWS_SHARED_CREDENTIALS_FILE'] || join(home, '.aws', 'credentials');
  if (profilesIn(config, true).has(profile) || profilesIn(credentials, false).has(profile)) return;
  throw new KmsConfigError(`could not load AWS config: failed to get shared config profile, ${profile}`);
}

/**
 * The default {@link KmsClient} for Node: one AWS SDK client per call,
 * configured for the key as sops configures its Go client (see the module
 * notes).
 *
 * @example
 * ```ts
 * import { decryptFile, createAwsKmsClient } from 'sops-ts/node';
 * import { KmsIdentity } from 'sops-ts';
 * const text = await decryptFile('secret.enc.yaml', { identities: [new KmsIdentity(createAwsKmsClient())] });
 * ```
 */
export function createAwsKmsClient(options: AwsKmsClientOptions = {}): KmsClient {
  const env = options.env ?? process.env;
  const packages = { ...AWS_SDK_PACKAGES, ...options.sdkPackages };

  async function clientFor(key: KmsKeyContext): Promise<{ client: SdkClient; kms: KmsModule }> {
    const kms = await loadSdk<KmsModule>(packages.kms, 'AWS KMS');
    if (key.awsProfile !== '') checkProfile(key.awsProfile, env);
    const base: Record<string, unknown> = { ...options.clientConfig, region: key.region };
    if (key.awsProfile !== '') base['profile'] = key.awsProfile;
    if (options.credentials !== undefined) base['credentials'] = options.credentials;
    if (key.role === '') return { client: new kms.KMSClient(base), kms };

    const sts = await loadSdk<StsModule>(packages.sts, 'Assuming a role for AWS KMS');
    const sessionName = kmsStsSessionName(options.hostname ?? osHostname());
    const stsClient = new sts.STSClient(base);
    let creds: StsCredentials | undefined;
    try {
      const out = (await stsClient.send(new sts.AssumeRoleCommand({ RoleArn: key.role, RoleSessionName: sessionName }))) as { Credentials?: StsCredentials };
      creds = out.Credentials;
    } catch (e) {
      if (e instanceof KmsConfigError) throw e;
      throw new KmsConfigError(`failed to assume role '${key.role}': ${goAwsErrorText('STS', 'AssumeRole', e)}`, { cause: e });
    } finally {
      stsClient.destroy();
    }
    if (creds?.AccessKeyId === undefined || creds.SecretAccessKey === undefined) {
      throw new KmsConfigError(`failed to assume role '${key.role}': the response has no credentials`);
    }
    const credentials = { accessKeyId: creds.AccessKeyId, secretAccessKey: creds.SecretAccessKey, sessionToken: creds.SessionToken, expiration: creds.Expiration };
    return { client: new kms.KMSClient({ ...base, credentials }), kms };
  }

  async function call<T>(operation: 'Encrypt' | 'Decrypt', input: KmsEncryptInput | KmsDecryptInput, key: KmsKeyContext): Promise<T> {
    const { client, kms } = await clientFor(key);
    const Command = operation === 'Encrypt' ? kms.EncryptCommand : kms.DecryptCommand;
    try {
      return (await client.send(new Command({ ...input }))) as T;
    } catch (e) {
      throw new Error(goAwsErrorText('KMS', operation, e), { cause: e });
    } finally {
      client.destroy();
    }
  }

  return {
    encrypt: (input, key) => call<{ CiphertextBlob?: Uint8Array }>('Encrypt', input, key),
    decrypt: (input, key) => call<{ Plaintext?: Uint8Array }>('Decrypt', input, key),
  };
}

/**
 * A {@link KmsIdentity} on the default Node client: unwraps every `kms:`
 * entry with the ambient AWS credentials (or the entry's `aws_profile` and
 * role), as sops does.
 */
export function awsKmsIdentity(options: AwsKmsClientOptions = {}): KmsIdentity {
  return new KmsIdentity(createAwsKmsClient(options));
}

/** Options of {@link awsKmsRecipients}. */
export interface AwsKmsRecipientsOptions extends AwsKmsClientOptions {
  /** The `--encryption-context` (already parsed). Default: none. */
  context?: Record<string, string | null>;
  /** The `--aws-profile`. Default: `''`. */
  awsProfile?: string;
  /** The client. Default: {@link createAwsKmsClient} with these options. */
  client?: KmsClient;
}

/**
 * Recipients for a `--kms` / `SOPS_KMS_ARN` list (`ARN[+ROLE_ARN],…`), on
 * the default Node client.
 *
 * @example
 * ```ts
 * const recipients = awsKmsRecipients('arn:aws:kms:eu-west-2:111122223333:alias/sops', { context: { app: 'web' } });
 * ```
 */
export function awsKmsRecipients(list: string, options: AwsKmsRecipientsOptions = {}): KmsRecipient[] {
  const client = options.client ?? createAwsKmsClient(options);
  return parseKmsArns(list, options.context, options.awsProfile ?? '').map((s) => new KmsRecipient(s, client));
}
