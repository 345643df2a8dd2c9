/**
 * The intermediate YAML node model of the YAML store, shaped like go-yaml
 * v3's `yaml.Node` because sops's YAML store works on those nodes: it reads
 * comments from their `HeadComment`/`LineComment`/`FootComment` fields and
 * builds a node tree (with comments in the same fields) to emit.
 *
 * @module
 */

/** Node kinds, as go-yaml v3's `yaml.Kind`. */
export type NodeKind = 'document' | 'sequence' | 'mapping' | 'scalar' | 'alias';

/**
 * The events between go-yaml's parser and composer, and between its
 * serializer and emitter, named as libyaml's (`YAML_<NAME>_EVENT`). A `const
 * enum`: bundlers inline the numbers, which keeps the browser bundle small.
 */
export const enum EventType {
  STREAM_START,
  STREAM_END,
  DOCUMENT_START,
  DOCUMENT_END,
  ALIAS,
  SCALAR,
  SEQUENCE_START,
  SEQUENCE_END,
  MAPPING_START,
  MAPPING_END,
}

/** The names of {@link EventType} members, for messages. */
export const EVENT_NAMES: readonly string[] = [
  'STREAM_START',
  'STREAM_END',
  'DOCUMENT_START',
  'DOCUMENT_END',
  'ALIAS',
  'SCALAR',
  'SEQUENCE_START',
  'SEQUENCE_END',
  'MAPPING_START',
  'MAPPING_END',
];

/**
 * Style flags, as go-yaml v3's `yaml.Style`. A `const enum` so that bundlers
 * inline the numbers (member names would survive minification otherwise).
 */
export const enum Style {
  Tagged = 1,
  DoubleQuoted = 2,
  SingleQuoted = 4,
  Literal = 8,
  Folded = 16,
  Flow = 32,
}

/** A YAML node with the three comment slots go-yaml v3 keeps per node. */
export interface YamlNode {
  kind: NodeKind;
  /** Short tag (`!!str`, `!!int`, …, or a custom `!foo`), `''` when none. */
  tag: string;
  /** Scalar text (decoded), or the anchor name of an alias. */
  value: string;
  /** Bit set of {@link Style}. */
  style: number;
  anchor: string;
  /** The anchored node an alias points to. */
  alias?: YamlNode;
  headComment: string;
  lineComment: string;
  footComment: string;
  content: YamlNode[];
  /** 1-based position in the source (0 when built for emission). */
  line: number;
  column: number;
}

/**
 * The `content` of scalars and aliases, which never have any: one shared,
 * frozen array rather than one per node (a large file has tens of
 * thousands of scalars, all alive until it is converted).
 */
const NO_CONTENT: YamlNode[] = Object.freeze([]) as unknown as YamlNode[];

/**
 * A new node; fields not in `init` are empty. (Read one by one: faster than
 * spreading `init` over defaults, and every node gets the same shape.)
 */
export function newNode(kind: NodeKind, init: Partial<YamlNode> = {}): YamlNode {
  return {
    kind,
    tag: init.tag ?? '',
    value: init.value ?? '',
    style: init.style ?? 0,
    anchor: init.anchor ?? '',
    headComment: init.headComment ?? '',
    lineComment: init.lineComment ?? '',
    footComment: init.footComment ?? '',
    content: init.content ?? (kind === 'scalar' || kind === 'alias' ? NO_CONTENT : []),
    line: init.line ?? 0,
    column: init.column ?? 0,
  };
}
