/**
 * `sops-ts encrypt FILE` (and `-e`): encrypt with keys from flags or `.sops.yaml`.
 * @module
 */
import { ExitCode } from '../../errors.js';
import { creationRuleFor } from '../../config.js';
import { splitRecipients } from '../../keysources/age.js';
import { encryptToBytes } from '../../sops.js';
import type { SelectionRules } from '../../walk.js';
import { UsageError, configFor, emit, formats, indentOf, inputFile, one, type CliIo, type Command, type Parsed } from '../common.js';

export const encryptCommand: Command = {
  valueFlags: ['age', 'input-type', 'output-type', 'output', 'encrypted-regex', 'unencrypted-regex', 'encrypted-suffix', 'unencrypted-suffix', 'encrypted-comment-regex', 'unencrypted-comment-regex', 'shamir-secret-sharing-threshold', 'filename-override', 'indent'],
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
  const ageList = [...(p.flags.get('age') ?? [])];
  if (ageList.length === 0 && io.env['SOPS_AGE_RECIPIENTS']) ageList.push(io.env['SOPS_AGE_RECIPIENTS']);
  const config = configFor(p, io);
  const rule = config === undefined ? undefined : creationRuleFor(config.config, config.dir, configPath);
  const age = ageList.flatMap(splitRecipients);
  let keyGroups: string[][] = age.length > 0 ? [age] : [];
  if (age.length === 0 && rule !== undefined) {
    const other = rule.keyGroups.flat().find((k) => k.type !== 'age');
    if (other !== undefined) throw new UsageError(`${other.type} keys are not supported by sops-ts yet`, ExitCode.ErrorGeneric);
    keyGroups = rule.keyGroups.map((g) => g.map((k) => (k as { recipient: string }).recipient));
  }
  const thresholdFlag = one(p, 'shamir-secret-sharing-threshold');
  const shamirThreshold = thresholdFlag !== undefined ? Number(thresholdFlag) : rule?.shamirThreshold ?? 0;
  if (keyGroups.flat().length === 0) {
    throw new UsageError('config file not found, or has no creation rules, and no keys provided through command line options', ExitCode.ErrorGeneric);
  }
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

