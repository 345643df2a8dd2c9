/**
 * The display name of an AWS KMS master key (sops `MasterKey.ToString()`),
 * kept apart from `kms.ts` so naming keys in reports does not bundle the
 * KMS key source into the root entry.
 *
 * @module
 */

/**
 * An encryption context as sops prints it in key names (`kmsContextToString`):
 * `k:v` pairs sorted by key (byte order), joined by `,`; `''` when empty.
 */
export function formatKmsEncryptionContext(context: Readonly<Record<string, string | null>> | undefined): string {
  if (context === undefined) return '';
  const keys = Object.keys(context).sort(compareBytes);
  // Go dereferences a nil pointer here and panics; we print it as empty.
  return keys.map((k) => `${k}:${context[k] ?? ''}`).join(',');
}

function compareBytes(a: string, b: string): number {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(ea.length, eb.length); i++) if (ea[i] !== eb[i]) return ea[i]! - eb[i]!;
  return ea.length - eb.length;
}

/**
 * The display string of a KMS master key (sops `MasterKey.ToString()`), used
 * in sops's per-key error report and to match `--rm-kms`:
 * `ARN[+ROLE]`, then `|CONTEXT` if there is a context, and `|CONTEXT|PROFILE`
 * whenever there is a profile.
 */
export function kmsKeyString(key: { arn: string; role?: string; context?: Readonly<Record<string, string | null>> | undefined; awsProfile?: string }): string {
  const arnRole = key.role ? `${key.arn}+${key.role}` : key.arn;
  const context = formatKmsEncryptionContext(key.context);
  if (key.awsProfile) return `${arnRole}|${context}|${key.awsProfile}`;
  if (context !== '') return `${arnRole}|${context}`;
  return arnRole;
}
