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
import { goQuote } from '../gofmt.js';
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

/** go-yaml `failf`: `yaml: ` and the message, without a position. */
function goFail(message: string, node?: YamlNode): SopsError {
  return parseErr(`yaml: ${message}`, node);
}

/**
 * A scalar's decode failure as go-yaml words it. go-yaml quotes the scalar
 * (`cannot decode !!str `abc` as a !!int`); we never print file values, so
 * the quoted text is replaced by `<redacted>`.
 */
function decodeFailure(e: ResolveError, n: YamlNode): SopsError {
  const m = /^cannot decode (\S+) as a (\S+)$/.exec(e.message);
  if (m) return goFail(`cannot decode ${m[1]} \`<redacted>\` as a ${m[2]}`, n);
  return goFail(e.message, n);
}

/** go-yaml `allowedAliasRatio`. */
function allowedAliasRatio(decodeCount: number): number {
  if (decodeCount <= 400_000) return 0.99;
  if (decodeCount >= 4_000_000) return 0.1;
  return 0.99 - 0.89 * ((decodeCount - 400_000) / 3_600_000);
}

const deref = (n: YamlNode): YamlNode => (n.kind === 'alias' && n.alias ? n.alias : n);

/** go-yaml `isStringMap`. */
function isStringMap(n: YamlNode): boolean {
  for (let i = 0; i < n.content.length; i += 2) {
    const t = nodeShortTag(n.content[i]!);
    if (t !== '!!str' && t !== '!!merge') return false;
  }
  return true;
}

/** go-yaml `isMerge`. */
function isMerge(n: YamlNode): boolean {
  return n.kind === 'scalar' && n.value === '<<' && (n.tag === '' || n.tag === '!' || n.tag === '!!merge');
}

/** Where a value is decoded: `map[string]interface{}`, `map[interface{}]interface{}`, `interface{}`, `string` (a key). */
type GoOut = 'smap' | 'gmap' | 'iface' | 'string';
const GO_TYPE: Record<GoOut, string> = {
  smap: 'map[string]interface {}',
  gmap: 'map[interface {}]interface {}',
  iface: 'interface {}',
  string: 'string',
};

/**
 * sops's first pass: `yaml.NewDecoder(...).Decode(make(map[string]interface{}))`
 * on the first document, emulated for its errors only — go-yaml's
 * `decoder.unmarshal` walk with its type errors (collected, reported
 * together as `unmarshal errors`) and failures (reported at once):
 * duplicate keys, a document that is not a map, bad merges, bad tagged
 * scalars, self-containing aliases, excessive aliasing. Where go-yaml quotes
 * file content (a scalar in `cannot unmarshal`, a key in `invalid map key`)
 * it is replaced by `<redacted>`; keys of duplicate-key errors and anchor
 * names are printed as go-yaml prints them.
 */
function checkFirstDocument(doc: YamlNode, maxNodes: number): void {
  const terrors: string[] = [];
  const aliases = new Set<YamlNode>();
  let decodeCount = 0;
  let aliasCount = 0;
  let aliasDepth = 0;
  let mergedFields: Set<string> | null = null;

  const terror = (n: YamlNode, tag: string, out: GoOut): void => {
    const t = n.tag !== '' ? n.tag : tag;
    const value = t !== '!!seq' && t !== '!!map' ? ' `<redacted>`' : '';
    terrors.push(`line ${n.line}: cannot unmarshal ${t}${value} into ${GO_TYPE[out]}`);
  };

  /** The Go value a key decodes to, as a comparable string (for merges). */
  const keyId = (n: YamlNode, out: GoOut): string => {
    const t = deref(n);
    if (t.kind !== 'scalar') return `${t.kind}:${t.line}:${t.column}`;
    if (out === 'string' || indicatedString(t)) return `!!str:${t.value}`;
    try {
      const r = resolve(t.tag === '!' ? '' : t.tag, t.value);
      return `${r.tag}:${String(r.value)}`;
    } catch {
      return `!!str:${t.value}`;
    }
  };

  const scalar = (n: YamlNode, out: GoOut): boolean => {
    let tag: string;
    let isNull = false;
    if (indicatedString(n)) {
      tag = '!!str';
    } else {
      try {
        const r = resolve(n.tag === '!' ? '' : n.tag, n.value);
        tag = r.tag;
        isNull = r.value === null;
        if (tag === '!!binary') decodeScalar(n);
      } catch (e) {
        if (e instanceof ResolveError) throw e.message.startsWith('!!binary') ? goFail(e.message, n) : decodeFailure(e, n);
        throw e;
      }
    }
    // The top-level map is not addressable: a null leaves it alone.
    if (isNull) return out === 'iface';
    if (out === 'string' || out === 'iface') return true;
    terror(n, tag, out);
    return false;
  };

  const sequence = (n: YamlNode, out: GoOut): boolean => {
    if (out !== 'iface') {
      terror(n, '!!seq', out);
      return false;
    }
    for (const c of n.content) unmarshal(c, 'iface');
    return true;
  };

  const merge = (parent: YamlNode, m: YamlNode, out: GoOut): void => {
    const saved = mergedFields;
    if (mergedFields === null) {
      const fields = new Set<string>();
      for (let i = 0; i < parent.content.length; i += 2) {
        const k = parent.content[i]!;
        if (unmarshal(k, 'iface')) fields.add(keyId(k, 'iface'));
      }
      mergedFields = fields;
    }
    const wantMap = (): SopsError => goFail('map merge requires map or sequence of maps as the value', m);
    switch (m.kind) {
      case 'mapping':
        unmarshal(m, out);
        break;
      case 'alias':
        if (m.alias && m.alias.kind !== 'mapping') throw wantMap();
        unmarshal(m, out);
        break;
      case 'sequence':
        for (const ni of m.content) {
          if (ni.kind === 'alias') {
            if (ni.alias && ni.alias.kind !== 'mapping') throw wantMap();
          } else if (ni.kind !== 'mapping') {
            throw wantMap();
          }
          unmarshal(ni, out);
        }
        break;
      default:
        throw wantMap();
    }
    mergedFields = saved;
  };

  const mapping = (n: YamlNode, outIn: GoOut): boolean => {
    const l = n.content.length;
    const nerrs = terrors.length;
    // go-yaml compares every pair of keys (quadratic); the same errors, in
    // its order (earlier key first, then each later duplicate), from a map.
    const seen = new Map<string, number[]>();
    let dup = false;
    for (let i = 0; i < l; i += 2) {
      const ni = n.content[i]!;
      const id = `${ni.kind}\u0000${ni.value}`;
      const at = seen.get(id);
      if (at === undefined) seen.set(id, [i]);
      else {
        at.push(i);
        dup = true;
      }
    }
    if (dup) {
      for (let i = 0; i < l; i += 2) {
        const ni = n.content[i]!;
        const group = seen.get(`${ni.kind}\u0000${ni.value}`)!;
        for (const j of group) {
          if (j <= i) continue;
          terrors.push(`line ${n.content[j]!.line}: mapping key ${goQuote(n.content[j]!.value)} already defined at line ${ni.line}`);
        }
      }
    }
    if (terrors.length > nerrs) return false;
    if (outIn === 'string') {
      terror(n, '!!map', outIn);
      return false;
    }
    const out: GoOut = outIn === 'iface' ? (isStringMap(n) ? 'smap' : 'gmap') : outIn;
    const keyOut: GoOut = out === 'smap' ? 'string' : 'iface';
    const fields = mergedFields;
    mergedFields = null;
    let mergeNode: YamlNode | undefined;
    for (let i = 0; i < l; i += 2) {
      const k = n.content[i]!;
      if (isMerge(k)) {
        mergeNode = n.content[i + 1]!;
        continue;
      }
      if (!unmarshal(k, keyOut)) continue;
      if (fields !== null) {
        const id = keyId(k, keyOut);
        if (fields.has(id)) continue;
        fields.add(id);
      }
      if (keyOut === 'iface') {
        const kt = deref(k);
        if (kt.kind === 'mapping') {
          const type = isStringMap(kt) ? GO_TYPE.smap : GO_TYPE.gmap;
          throw goFail(`invalid map key: ${type}{${kt.content.length > 0 ? '<redacted>' : ''}}`, k);
        }
        if (kt.kind === 'sequence') throw goFail(`invalid map key: []interface {}{${kt.content.length > 0 ? '<redacted>' : ''}}`, k);
      }
      unmarshal(n.content[i + 1]!, 'iface');
    }
    mergedFields = fields;
    if (mergeNode) merge(n, mergeNode, out);
    return true;
  };

  const unmarshal = (n: YamlNode, out: GoOut): boolean => {
    decodeCount++;
    if (aliasDepth > 0) aliasCount++;
    if (aliasCount > 100 && decodeCount > 1000 && aliasCount / decodeCount > allowedAliasRatio(decodeCount)) {
      // go-yaml's message; the code stays ERR_LIMIT (a resource limit, like `maxNodes`).
      throw new SopsError('ERR_LIMIT', 'yaml: document contains excessive aliasing', { position: { line: n.line, column: n.column } });
    }
    if (decodeCount > maxNodes) {
      throw new SopsError('ERR_LIMIT', `yaml: document expands to more than ${maxNodes} values (aliases)`);
    }
    switch (n.kind) {
      case 'document':
        if (n.content.length === 1) unmarshal(n.content[0]!, out);
        return n.content.length === 1;
      case 'alias': {
        if (aliases.has(n)) throw goFail(`anchor '${n.value}' value contains itself`, n);
        aliases.add(n);
        aliasDepth++;
        const good = unmarshal(n.alias!, out);
        aliasDepth--;
        aliases.delete(n);
        return good;
      }
      case 'scalar':
        return scalar(n, out);
      case 'mapping':
        return mapping(n, out);
      case 'sequence':
        return sequence(n, out);
      default:
        return false;
    }
  };

  unmarshal(doc, 'smap');
  if (terrors.length > 0) throw parseErr('yaml: unmarshal errors:\n  ' + terrors.join('\n  '), doc.content[0]);
}

/** Converts go-yaml nodes into tree branches exactly as sops's YAML store does. */
class TreeBuilder {
  #count = 0;
  readonly #maxNodes: number;

  constructor(maxNodes: number) {
    this.#maxNodes = maxNodes;
  }

  #tick(): void {
    if (++this.#count > this.#maxNodes) {
      throw new SopsError('ERR_LIMIT', `yaml: document expands to more than ${this.#maxNodes} values (aliases)`);
    }
  }

  /**
   * sops `appendCommentToListWithInline`: one item per non-empty line, `#`
   * dropped, appended to `out`. (Most nodes have no comments: nothing is
   * allocated for those.)
   */
  #comments(out: Value[], text: string, inline: boolean): void {
    if (text === '') return;
    for (const line of text.split('\n')) if (line !== '') out.push(new Comment(line.slice(1), inline));
  }

  /** sops `appendCommentToMapWithInline`: as {@link TreeBuilder.#comments}, as items with comment keys. */
  #mapComments(items: TreeItem[], text: string, inline = false): void {
    if (text === '') return;
    for (const line of text.split('\n')) if (line !== '') items.push({ key: new Comment(line.slice(1), inline), value: null });
  }

  #scalar(n: YamlNode): Value {
    try {
      return decodeScalar(n);
    } catch (e) {
      // sops ignores the error of node.Decode; the value stays nil.
      if (e instanceof ResolveError) return null;
      throw e;
    }
  }

  /** sops `nodeToTreeValue`. */
  #value(node: YamlNode, handled: boolean): Value {
    this.#tick();
    switch (node.kind) {
      case 'sequence': {
        const out: Value[] = [];
        if (!handled) {
          this.#comments(out, node.headComment, false);
          this.#comments(out, node.lineComment, false);
        }
        for (const item of node.content) {
          this.#comments(out, item.headComment, false);
          this.#comments(out, item.lineComment, true);
          out.push(this.#value(item, true));
          this.#comments(out, item.footComment, false);
        }
        if (!handled) this.#comments(out, node.footComment, false);
        return out;
      }
      case 'mapping':
        return new Branch(this.append(node, [], handled));
      case 'scalar':
        return this.#scalar(node);
      case 'alias':
        return this.#value(node.alias!, false);
      default:
        return null;
    }
  }

  #key(node: YamlNode): Key {
    const n = node.kind === 'alias' && node.alias ? node.alias : node;
    if (n.kind !== 'scalar') throw parseErr(`yaml: line ${node.line}: complex mapping keys are not supported`, node);
    const v = this.#scalar(n);
    if (v instanceof Uint8Array) return new TextDecoder().decode(v);
    if (v instanceof Branch || Array.isArray(v) || v instanceof Comment) return null;
    return v;
  }

  /** sops `appendYamlNodeToTreeBranch`. */
  append(node: YamlNode, items: TreeItem[], handled: boolean): TreeItem[] {
    if (!handled) {
      this.#mapComments(items, node.headComment);
      this.#mapComments(items, node.lineComment);
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
          this.#mapComments(items, k.headComment);
          this.#mapComments(items, k.lineComment);
          const hv = v.kind === 'scalar' || v.kind === 'alias';
          if (hv) {
            this.#mapComments(items, v.headComment);
            this.#mapComments(items, v.lineComment, true);
          }
          const key = this.#key(k);
          const value = this.#value(v, hv);
          this.#tick();
          items.push({ key, value });
          if (hv) this.#mapComments(items, v.footComment);
          this.#mapComments(items, k.footComment);
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
    if (!handled) this.#mapComments(items, node.footComment);
    return items;
  }
}

/**
 * The YAML store. Output is byte-identical to sops 3.13 with go-yaml v3.0.4.
 */
export class YamlStore implements Store {
  readonly format: Format = 'yaml';
  readonly #indent: number | undefined;
  readonly #maxDepth: number;
  readonly #maxNodes: number;

  /** `options.indent`: spaces per level; 0 or unset → 4, outside 2..9 → 2 (go-yaml). Negative indents fail on emit. */
  constructor(options: YamlStoreOptions = {}) {
    this.#indent = options.indent;
    this.#maxDepth = options.maxDepth ?? 200;
    this.#maxNodes = options.maxNodes ?? 1_000_000;
  }

  /**
   * sops `LoadPlainFile`: one branch per document. Empty input gives no
   * branches; comment-only input fails with `EOF` as in sops. Comments become
   * {@link Comment} items where sops puts them (line comments of values are
   * inline, everything else is a comment line).
   */
  loadPlainFile(data: string | Uint8Array): TreeBranches {
    // sops decodes the first document into a map first (errors as go-yaml
    // gives them), then every document into nodes (errors wrapped in
    // "Error unmarshaling input YAML: "), converting each before parsing the next.
    let docs: YamlNode[];
    let failure: YamlSyntaxError | undefined;
    try {
      docs = composeDocuments(data, { maxDepth: this.#maxDepth });
    } catch (e) {
      if (!(e instanceof YamlSyntaxError)) throw e;
      failure = e;
      docs = e.documents;
    }
    const position = (e: YamlSyntaxError) => (e.line > 0 ? { position: { line: e.line, column: e.column } } : {});
    if (failure && docs.length === 0) throw new SopsError('ERR_PARSE', failure.message, position(failure));
    if (data.length > 0) {
      if (docs.length === 0) throw new SopsError('ERR_PARSE', 'EOF');
      checkFirstDocument(docs[0]!, this.#maxNodes);
    }
    const builder = new TreeBuilder(this.#maxNodes);
    const branches = docs.map((d) => new Branch(builder.append(d, [], false)));
    if (failure) throw new SopsError('ERR_PARSE', `Error unmarshaling input YAML: ${failure.message}`, position(failure));
    return branches;
  }

  /** sops `EmitPlainFile`: each branch a document, later ones preceded by `---`. */
  emitPlainFile(branches: TreeBranches): string {
    if (branches.length === 0) return '';
    const enc = new YamlEncoder(yamlIndent(this.#indent));
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
