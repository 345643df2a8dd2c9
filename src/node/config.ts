/**
 * Finding and reading `.sops.yaml` as sops does (`config.LookupConfigFile`):
 * `--config` or `SOPS_CONFIG` when given; otherwise `.sops.yaml` in the
 * working directory or up to 100 levels above it. A `.sops.yml` on the way is
 * ignored with a warning.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseConfig, type SopsConfig } from '../config.js';
import { createRequire } from 'node:module';
import { compileRe2Sync } from '../re2.js';

/** re2js, through its CommonJS build (synchronous), only when a pattern needs it. */
function loadRe2js(): typeof import('re2js').RE2JS {
  return (createRequire(import.meta.url)('re2js') as typeof import('re2js')).RE2JS;
}
import { SopsError } from '../errors.js';

/** Where the config is and what was said while looking. */
export interface FoundConfig {
  path: string | undefined;
  warning: string | undefined;
}

/** Look for `.sops.yaml` from `cwd` upwards (sops `LookupConfigFile`). */
export function findConfigFile(cwd: string): FoundConfig {
  let dir = resolve(cwd);
  let alternate: string | undefined;
  for (let i = 0; i < 100; i++) {
    const p = join(dir, '.sops.yaml');
    if (existsSync(p)) {
      return { path: p, warning: alternate && `ignoring "${alternate}" when searching for config file; the config file must be called ".sops.yaml"; using "${p}" instead` };
    }
    if (alternate === undefined && existsSync(join(dir, '.sops.yml'))) alternate = join(dir, '.sops.yml');
    dir = join(dir, '..');
  }
  return { path: undefined, warning: alternate && `ignoring "${alternate}" when searching for config file; the config file must be called ".sops.yaml"` };
}

/** A loaded config with its location. */
export interface LoadedConfig {
  path: string;
  dir: string;
  config: SopsConfig;
}

/** Read and parse a config file; throws `ERR_CONFIG` as sops words it. */
export function loadConfigFile(path: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new SopsError('ERR_CONFIG', `could not read config file: open ${path}: ${code === 'ENOENT' ? 'no such file or directory' : e instanceof Error ? e.message : String(e)}`);
  }
  const config = parseConfig(text);
  // creationRuleFor is synchronous: a path_regex outside what src/re2.ts
  // translates needs re2js, loaded here (synchronously, so the CLI's bundle
  // need not carry it).
  for (const r of config.creationRules ?? []) {
    if (r.pathRegex !== '' && compileRe2Sync(r.pathRegex) === undefined) compileRe2Sync(r.pathRegex, loadRe2js());
  }
  return { path, dir: resolve(dirname(path)), config };
}
