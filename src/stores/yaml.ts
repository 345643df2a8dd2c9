/**
 * The YAML store: sops's `stores/yaml` (go-yaml v3) byte for byte.
 *
 * Parsing follows go-yaml v3's scanner and parser closely enough to attach
 * comments where go-yaml does (sops turns node comments into comment items,
 * see {@link YamlStore.loadPlainFile}); scalars are typed with go-yaml's
 * resolution rules. Emission is a go-yaml v3 compatible emitter fed with the
 * node tree sops builds (`appendTreeBranch`/`appendSequence`).
 *
 * @example
 * ```ts
 * import { YamlStore } from 'sops-ts/stores/yaml';
 * const store = new YamlStore();
 * const branches = store.loadPlainFile('a: 1 # one\n');
 * store.emitPlainFile(branches); // 'a: 1 # one\n'
 * ```
 *
 * @module
 */
import { SopsError } from '../errors.js';
import { Branch, Comment, type Key, type TreeBranches, type TreeItem, type Value } from '../tree.js';
import type { EncryptedFileParts, Format, Store, StoreOptions } from './store.js';
import { appendTreeBranch, valueNode } from './yaml/build.js';
import { composeDocuments, YamlSyntaxError } from './yaml/compose.js';
import { YamlEncoder } from './yaml/emitter.js';
import { newNode, Style, type YamlNode } from './yaml/node.js';
import { resolve, resolveTag, ResolveError } from './yaml/resolve.js';

/** Limits of the YAML store. */
export interface YamlStoreLimits {
  /** Maximum nesting depth of maps and lists. Default: 200. */
  maxDepth?: number;
  /**
   * Maximum number of tree values produced, counting alias expansions (sops
   * expands every alias, so an "alias bomb" grows exponentially). Default: 1,000,000.
   */
  maxNodes?: number;
}

/** Options of {@link YamlStore}. */
export interface YamlStoreOptions extends StoreOptions, YamlStoreLimits {}

const SOPS_KEY = 'sops';

/**
 * Indentation as sops's YAML store computes it (`getIndentation`: 0 or unset
 * → 4, negative → error); go-yaml then clamps values outside 2..9 to 2.
 */
function yamlIndent(indent: number | undefined): number {
  if (indent === undefined || indent === 0) return 4;
  if (indent < 0) throw new SopsError('ERR_EMIT', 'YAML Negative indentation not accepted');
  return indent;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function toText(data: string | Uint8Array): string {
  if (typeof data === 'string') return data;
  try {
    return utf8.decode(data);
  } catch {
    throw new SopsError('ERR_PARSE', 'yaml: invalid UTF-8 in input');
  }
}

function parseErr(message: string, node?: YamlNode): SopsError {
  return new SopsError(
    'ERR_PARSE',
    message,
    node && node.line > 0 ? { position: { line: node.line, column: node.column } } : {},
  );
}

/** go-yaml `Node.indicatedString`. */
function indicatedString(n: YamlNode): boolean {
  return (
    n.kind === 'scalar' &&
    (n.tag === '!!str' ||
      ((n.tag === '' || n.tag === '!') &&
        (n.style & (Style.SingleQuoted | Style.DoubleQuoted | Style.Literal | Style.Folded)) !== 0))
  );
}

/** go-yaml `Node.ShortTag`. */
function nodeShortTag(n: YamlNode): string {
  if (indicatedString(n)) return '!!str';
  if (n.tag === '' || n.tag === '!') {
    switch (n.kind) {
      case 'mapping':
        return '!!map';
      case 'sequence':
        return '!!seq';
      case 'alias':
        return n.alias ? nodeShortTag(n.alias) : '';
      case 'scalar':
        return resolveTag(n.value);
      default:
        return '';
    }
  }
  return n.tag;
}

function decodeBase64(s: string): Uint8Array | undefined {
  // Go's base64.StdEncoding.DecodeString ignores \r and \n, and needs padding.
  const t = s.replace(/[\r\n]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 !== 0) return undefined;
  const bin = atob(t);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * A scalar node decoded into Go `interface{}` (go-yaml `decoder.scalar`).
 * Throws {@link ResolveError} where go-yaml's decode fails.
 */
function decodeScalar(n: YamlNode): Value {
  if (indicatedString(n)) return n.value;
  const tag = n.tag === '!' ? '' : n.tag;
  const r = resolve(tag, n.value);
  if (r.tag === '!!binary') {
    const bytes = decodeBase64(r.value as string);
    if (!bytes) throw new ResolveError('!!binary value contains invalid base64 data');
    try {
      return utf8.decode(bytes);
    } catch {
      return bytes;
    }
  }
  return r.value;
}

/**
 * sops's first-document check: decoding the first document into a Go
 * `map[string]interface{}` rejects a non-map document, duplicate keys
 * (go-yaml compares key kind and text), bad merges and bad tagged values.
 * Messages follow go-yaml's but never include scalar values.
 */
function checkFirstDocument(doc: YamlNode): void {
  const errors: string[] = [];
  const seen = new Set<YamlNode>();
  const visit = (n: YamlNode, top: boolean): void => {
    if (n.kind === 'alias') {
      if (n.alias && !seen.has(n.alias)) {
        seen.add(n.alias);
        visit(n.alias, top);
      }
      return;
    }
    if (n.kind === 'scalar') {
      try {
        decodeScalar(n);
      } catch (e) {
        if (e instanceof ResolveError) throw parseErr(`yaml: line ${n.line}: cannot decode ${nodeShortTag(n)} value as ${n.tag}`, n);
        throw e;
      }
      return;
    }
    if (n.kind === 'sequence') {
      for (const c of n.content) visit(c, false);
      return;
    }
    if (n.kind !== 'mapping') return;
    for (let i = 0; i < n.content.length; i += 2) {
      const ki = n.content[i]!;
      for (let j = i + 2; j < n.content.length; j += 2) {
        const kj = n.content[j]!;
        if (ki.kind === kj.kind && ki.value === kj.value) {
          errors.push(`line ${kj.line}: mapping key ${JSON.stringify(kj.value)} already defined at line ${ki.line}`);
        }
      }
    }
    for (let i = 0; i < n.content.length; i += 2) {
      const k = n.content[i]!;
      const v = n.content[i + 1]!;
      const kt = k.kind === 'alias' && k.alias ? k.alias : k;
      if (kt.kind !== 'scalar') {
        if (top) throw parseErr(`yaml: unmarshal errors:\n  line ${k.line}: cannot unmarshal ${nodeShortTag(kt)} into string`, k);
        throw parseErr(`yaml: line ${k.line}: invalid map key`, k);
      }
      if (kt.kind === 'scalar' && kt.style === 0 && kt.tag === '!!merge') {
        const target = v.kind === 'alias' && v.alias ? v.alias : v;
        const ok =
          target.kind === 'mapping' ||
          (target.kind === 'sequence' &&
            target.content.every((c) => (c.kind === 'alias' && c.alias ? c.alias : c).kind === 'mapping'));
        if (!ok) throw parseErr(`yaml: line ${v.line}: map merge requires map or sequence of maps as the value`, v);
      }
      visit(k, false);
      visit(v, false);
    }
  };
  const root = doc.content[0];
  if (!root) return;
  const r = root.kind === 'alias' && root.alias ? root.alias : root;
  if (r.kind === 'sequence') {
    throw parseErr(`yaml: unmarshal errors:\n  line ${r.line}: cannot unmarshal !!seq into map[string]interface {}`, r);
  }
  if (r.kind === 'scalar') {
    if (nodeShortTag(r) === '!!null') return;
    throw parseErr(`yaml: unmarshal errors:\n  line ${r.line}: cannot unmarshal ${nodeShortTag(r)} into map[string]interface {}`, r);
  }
  visit(r, true);
  if (errors.length > 0) throw parseErr('yaml: unmarshal errors:\n  ' + errors.join('\n  '), r);
}

/** Converts go-yaml nodes into tree branches exactly as sops's YAML store does. */
class TreeBuilder {
  private count = 0;
  constructor(private readonly maxNodes: number) {}

  private tick(): void {
    if (++this.count > this.maxNodes) {
      throw new SopsError('ERR_LIMIT', `yaml: document expands to more than ${this.maxNodes} values (aliases)`);
    }
  }

  /** sops `appendCommentToMapWithInline` / `appendCommentToListWithInline`: one item per non-empty line, `#` dropped. */
  private comments(text: string, inline: boolean): Comment[] {
    const out: Comment[] = [];
    if (text === '') return out;
    for (const line of text.split('\n')) if (line !== '') out.push(new Comment(line.slice(1), inline));
    return out;
  }

  private mapComments(items: TreeItem[], text: string, inline = false): void {
    for (const c of this.comments(text, inline)) items.push({ key: c, value: null });
  }

  private scalar(n: YamlNode): Value {
    try {
      return decodeScalar(n);
    } catch (e) {
      // sops ignores the error of node.Decode; the value stays nil.
      if (e instanceof ResolveError) return null;
      throw e;
    }
  }

  /** sops `nodeToTreeValue`. */
  value(node: YamlNode, handled: boolean): Value {
    this.tick();
    switch (node.kind) {
      case 'sequence': {
        const out: Value[] = [];
        if (!handled) {
          out.push(...this.comments(node.headComment, false));
          out.push(...this.comments(node.lineComment, false));
        }
        for (const item of node.content) {
          out.push(...this.comments(item.headComment, false));
          out.push(...this.comments(item.lineComment, true));
          out.push(this.value(item, true));
          out.push(...this.comments(item.footComment, false));
        }
        if (!handled) out.push(...this.comments(node.footComment, false));
        return out;
      }
      case 'mapping':
        return new Branch(this.append(node, [], handled));
      case 'scalar':
        return this.scalar(node);
      case 'alias':
        return this.value(node.alias!, false);
      default:
        return null;
    }
  }

  private key(node: YamlNode): Key {
    const n = node.kind === 'alias' && node.alias ? node.alias : node;
    if (n.kind !== 'scalar') throw parseErr(`yaml: line ${node.line}: complex mapping keys are not supported`, node);
    const v = this.scalar(n);
    if (v instanceof Uint8Array) return new TextDecoder().decode(v);
    if (v instanceof Branch || Array.isArray(v) || v instanceof Comment) return null;
    return v;
  }

  /** sops `appendYamlNodeToTreeBranch`. */
  append(node: YamlNode, items: TreeItem[], handled: boolean): TreeItem[] {
    if (!handled) {
      this.mapComments(items, node.headComment);
      this.mapComments(items, node.lineComment);
    }
    switch (node.kind) {
      case 'document':
        for (const c of node.content) this.append(c, items, false);
        break;
      case 'sequence':
        throw parseErr('Error unmarshaling input YAML: YAML documents that are sequences are not supported', node);
      case 'mapping':
        for (let i = 0; i < node.content.length; i += 2) {
          const k = node.content[i]!;
          const v = node.content[i + 1]!;
          this.mapComments(items, k.headComment);
          this.mapComments(items, k.lineComment);
          const hv = v.kind === 'scalar' || v.kind === 'alias';
          if (hv) {
            this.mapComments(items, v.headComment);
            this.mapComments(items, v.lineComment, true);
          }
          const key = this.key(k);
          const value = this.value(v, hv);
          this.tick();
          items.push({ key, value });
          if (hv) this.mapComments(items, v.footComment);
          this.mapComments(items, k.footComment);
        }
        break;
      case 'scalar':
        // An empty document ("---" alone) is a null scalar.
        if (nodeShortTag(node) === '!!null') return items;
        throw parseErr('Error unmarshaling input YAML: YAML documents that are values are not supported', node);
      case 'alias':
        this.append(node.alias!, items, false);
        break;
    }
    if (!handled) this.mapComments(items, node.footComment);
    return items;
  }
}

/**
 * The YAML store. Output is byte-identical to sops 3.13 with go-yaml v3.0.4.
 */
export class YamlStore implements Store {
  readonly format: Format = 'yaml';
  private readonly indent: number | undefined;
  private readonly maxDepth: number;
  private readonly maxNodes: number;

  /** `options.indent`: spaces per level; 0 or unset → 4, outside 2..9 → 2 (go-yaml). Negative indents fail on emit. */
  constructor(options: YamlStoreOptions = {}) {
    this.indent = options.indent;
    this.maxDepth = options.maxDepth ?? 200;
    this.maxNodes = options.maxNodes ?? 1_000_000;
  }

  /**
   * sops `LoadPlainFile`: one branch per document. Empty input gives no
   * branches; comment-only input fails with `EOF` as in sops. Comments become
   * {@link Comment} items where sops puts them (line comments of values are
   * inline, everything else is a comment line).
   */
  loadPlainFile(data: string | Uint8Array): TreeBranches {
    const text = toText(data);
    let docs: YamlNode[];
    try {
      docs = composeDocuments(text, { maxDepth: this.maxDepth });
    } catch (e) {
      if (e instanceof YamlSyntaxError) {
        throw new SopsError('ERR_PARSE', e.message, { position: { line: e.line, column: e.column } });
      }
      throw e;
    }
    if (text.length > 0) {
      if (docs.length === 0) throw new SopsError('ERR_PARSE', 'EOF');
      checkFirstDocument(docs[0]!);
    }
    const builder = new TreeBuilder(this.maxNodes);
    return docs.map((d) => new Branch(builder.append(d, [], false)));
  }

  /** sops `EmitPlainFile`: each branch a document, later ones preceded by `---`. */
  emitPlainFile(branches: TreeBranches): string {
    if (branches.length === 0) return '';
    const enc = new YamlEncoder(yamlIndent(this.indent));
    for (const branch of branches) {
      const doc = newNode('document');
      const mapping = newNode('mapping');
      appendTreeBranch(branch, mapping);
      doc.content.push(mapping);
      enc.encode(doc);
    }
    return enc.close();
  }

  /**
   * sops `LoadEncryptedFile`: the `sops` map of the first document is the
   * metadata; every top-level `sops` key is removed from every document.
   */
  loadEncryptedFile(data: string | Uint8Array): EncryptedFileParts {
    const branches = this.loadPlainFile(data);
    let metadata: Branch | undefined;
    let first = true;
    branches.forEach((branch, bi) => {
      const kept: TreeItem[] = [];
      for (const item of branch.items) {
        if (item.key !== SOPS_KEY) {
          kept.push(item);
          continue;
        }
        if (bi === 0) {
          if (!first) throw new SopsError('ERR_METADATA_INVALID', 'Found duplicate sops entry');
          first = false;
          if (!(item.value instanceof Branch)) throw new SopsError('ERR_METADATA_INVALID', 'Found sops entry that is not a mapping');
          metadata = item.value;
        }
      }
      branch.items = kept;
    });
    if (!metadata) throw new SopsError('ERR_METADATA_NOT_FOUND', 'sops metadata not found');
    return { branches, metadata };
  }

  /** sops `EmitEncryptedFile`: every document gets `sops:` with the metadata as its last key. */
  emitEncryptedFile(branches: TreeBranches, metadata: Branch): string {
    const withMeta = branches.map((b) => new Branch([...b.items, { key: SOPS_KEY, value: metadata }]));
    return this.emitPlainFile(withMeta);
  }

  /** sops `EmitValue`: `yaml.Marshal` of the value's node (indent 4), ending with a newline. */
  emitValue(value: Value): string {
    const enc = new YamlEncoder(4);
    enc.encode(valueNode(value));
    return enc.close();
  }
}
