/**
 * `sops-ts encrypt FILE` (and `-e`): encrypt with keys from flags or `.sops.yaml`.
 * @module
 */
import { ExitCode } from '../../errors.js';
import { creationRuleFor } from '../../config.js';
import { encryptToBytes } from '../../sops.js';
import type { SelectionRules } from '../../walk.js';
import { CliKeys, KEY_VALUE_FLAGS } from '../keys.js';
import { UsageError, configFor, emit, formats, indentOf, inputFile, one, type CliIo, type Command, type Parsed } from '../common.js';

export const encryptCommand: Command = {
  valueFlags: [...KEY_VALUE_FLAGS, 'input-type', 'output-type', 'output', 'encrypted-regex', 'unencrypted-regex', 'encrypted-suffix', 'unencrypted-suffix', 'encrypted-comment-regex', 'unencrypted-comment-regex', 'shamir-secret-sharing-threshold', 'filename-override', 'indent'],
  boolFlags: ['in-place', 'mac-only-encrypted'],
  async run(p, io) {
    await runEncrypt(p, io);
    return 0;
  },
};

async function runEncrypt(p: Parsed, io: CliIo): Promise<void> {
  const { path, configPath, data } = await inputFile(p, io, 'encrypt');
  const f = formats(p, configPath);
  // Key flags (and their environment variables) replace the config's keys;
  // the config is still read, and a config whose rules match nothing fails.
  const keys = new CliKeys(io);
  const fromFlags = await keys.groupFromFlags(p);
  const config = configFor(p, io);
  const rule = config === undefined ? undefined : creationRuleFor(config.config, config.dir, configPath);
  const keyGroups = await keys.keyGroups(p, fromFlags, rule);
  const thresholdFlag = one(p, 'shamir-secret-sharing-threshold');
  const shamirThreshold = thresholdFlag !== undefined ? Number(thresholdFlag) : rule?.shamirThreshold ?? 0;
  // Command-line rules take precedence, field by field (sops getEncryptConfig).
  const fromConfig = rule?.rules ?? {};
  const rule_ = (flag: string, field: keyof Omit<SelectionRules, 'macOnlyEncrypted'>) => {
    const v = one(p, flag);
    return v !== undefined && v !== '' ? v : fromConfig[field];
  };
  const rules: SelectionRules = {
    encryptedRegex: rule_('encrypted-regex', 'encryptedRegex'),
    unencryptedRegex: rule_('unencrypted-regex', 'unencryptedRegex'),
    encryptedSuffix: rule_('encrypted-suffix', 'encryptedSuffix'),
    unencryptedSuffix: rule_('unencrypted-suffix', 'unencryptedSuffix'),
    encryptedCommentRegex: rule_('encrypted-comment-regex', 'encryptedCommentRegex'),
    unencryptedCommentRegex: rule_('unencrypted-comment-regex', 'unencryptedCommentRegex'),
  };
  const clean = Object.fromEntries(Object.entries(rules).filter(([, v]) => v !== undefined && v !== '')) as SelectionRules;
  if (Object.keys(clean).length > 1 && f.input !== 'binary') {
    throw new UsageError(
      'Error: cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex in the same file',
      ExitCode.ErrorConflictingParameters,
    );
  }
  const out = await encryptToBytes(data, {
    format: f.input,
    outputFormat: f.output,
    keyGroups,
    shamirThreshold,
    ...clean,
    macOnlyEncrypted: p.bools.has('mac-only-encrypted') || fromConfig.macOnlyEncrypted === true,
    outputStore: indentOf(p, config, f.output),
  });
  emit(p, io, path, out);
}

