/**
 * YAML text → go-yaml v3 style document nodes with comments.
 *
 * The event parser follows go-yaml's (libyaml's) grammar and, above all, its
 * rules for handing the scanner's comment blocks to events: which events
 * take the pending head/line/foot comments, the split of a document's head
 * comment at its last blank line, "stem" comments under sequence entries,
 * and the foot-comment moves go-yaml's node builder does in mappings. Scalar
 * values come decoded from the scanner (libyaml decodes them while scanning).
 *
 * @module
 */
import { EVENT_NAMES, EventType, newNode, Style, type YamlNode } from './node.js';
import { readInput, ReaderError, Scanner, TokenType, YamlMarkedError, type Mark, type ScalarStyle, type Token } from './scanner.js';

/**
 * A YAML error as the store reports it: `message` is exactly go-yaml v3's
 * error text, `line`/`column` the 1-based position of the problem (0 when
 * unknown). Never carries input text beyond what go-yaml prints (anchor
 * names). `documents` are the documents completed before the failure: sops
 * parses the first document alone first and reports its errors as they are,
 * errors in later documents come wrapped (see `YamlStore.loadPlainFile`).
 */
export class YamlSyntaxError extends Error {
  override name = 'YamlSyntaxError';
  documents: YamlNode[] = [];
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

const ZERO_MARK: Mark = { index: 0, line: 0, column: 0 };

/**
 * go-yaml `(*parser).fail`: the line is the context mark's if it is not on
 * the first line, else the problem mark's; both are 0-based and only scanner
 * errors add 1 ("Scanner errors don't iterate line before returning error").
 * No line is printed when it comes out 0. The context text is never printed.
 */
export function formatYamlError(e: YamlMarkedError): string {
  let line = 0;
  if (e.contextMark.line !== 0) line = e.contextMark.line + (e.kind === 'scanner' ? 1 : 0);
  else if (e.problemMark.line !== 0) line = e.problemMark.line + (e.kind === 'scanner' ? 1 : 0);
  const where = line !== 0 ? `line ${line}: ` : '';
  return `yaml: ${where}${e.problem.length > 0 ? e.problem : 'unknown problem parsing YAML content'}`;
}

/** A libyaml parser error (`yaml_parser_set_parser_error(_context)`). */
function parserError(context: string, contextMark: Mark, problem: string, problemMark: Mark): YamlMarkedError {
  return new YamlMarkedError('parser', context, contextMark, problem, problemMark);
}

/** A parser error without context (`yaml_parser_set_parser_error`). */
function parseError(problem: string, mark: Mark): YamlMarkedError {
  return parserError('', ZERO_MARK, problem, mark);
}

/** go-yaml `failf`: `yaml: ` and the message, no position. `mark` only sets {@link YamlSyntaxError.line}. */
class GoYamlFailure extends Error {
  constructor(
    message: string,
    readonly mark: Mark,
  ) {
    super(message);
  }
}

/** libyaml's default tag directives. */
const DEFAULT_TAG_DIRECTIVES: ReadonlyArray<[string, string]> = [
  ['!', '!'],
  ['!!', 'tag:yaml.org,2002:'],
];

interface Event {
  type: EventType;
  start: Mark;
  anchor: string;
  tag: string;
  /** A scalar's decoded value. */
  value: string;
  /** A scalar's style flag (0 for plain and empty scalars). */
  style: ScalarStyle;
  flow: boolean;
  head: string;
  line: string;
  foot: string;
}

/**
 * Parser states, named as libyaml's (`YAML_PARSE_<NAME>_STATE`). A `const
 * enum`: bundlers inline the numbers, which keeps the browser bundle small.
 */
const enum State {
  STREAM_START,
  IMPLICIT_DOCUMENT_START,
  DOCUMENT_START,
  DOCUMENT_CONTENT,
  DOCUMENT_END,
  BLOCK_NODE,
  BLOCK_SEQUENCE_FIRST_ENTRY,
  BLOCK_SEQUENCE_ENTRY,
  INDENTLESS_SEQUENCE_ENTRY,
  BLOCK_MAPPING_FIRST_KEY,
  BLOCK_MAPPING_KEY,
  BLOCK_MAPPING_VALUE,
  FLOW_SEQUENCE_FIRST_ENTRY,
  FLOW_SEQUENCE_ENTRY,
  FLOW_SEQUENCE_ENTRY_MAPPING_KEY,
  FLOW_SEQUENCE_ENTRY_MAPPING_VALUE,
  FLOW_SEQUENCE_ENTRY_MAPPING_END,
  FLOW_MAPPING_FIRST_KEY,
  FLOW_MAPPING_KEY,
  FLOW_MAPPING_VALUE,
  FLOW_MAPPING_EMPTY_VALUE,
  END,
}

/** The event parser (libyaml `yaml_parser_parse` with go-yaml's comment handling). */
class EventParser {
  readonly #scanner: Scanner;
  #commentsHead = 0;
  #headComment = '';
  #lineComment = '';
  #footComment = '';
  #stemComment: string | null = null;
  #state: State = State.STREAM_START;
  #states: State[] = [];
  #marks: Mark[] = [];
  #tagDirectives = new Map<string, string>();

  constructor(src: string, readerError?: ReaderError) {
    this.#scanner = new Scanner(src, readerError);
  }

  #peekToken(): Token {
    const token = this.#scanner.peek();
    this.#unfoldComments(token);
    return token;
  }

  #skipToken(): void {
    this.#scanner.skipToken();
  }

  /** go-yaml `yaml_parser_unfold_comments`: move queued comments at or before `token` into the pending slots. */
  #unfoldComments(token: Token): void {
    const comments = this.#scanner.comments;
    while (this.#commentsHead < comments.length && token.start.index >= comments[this.#commentsHead]!.tokenMark.index) {
      const c = comments[this.#commentsHead]!;
      if (c.head.length > 0) {
        // No heads on ends: keep it for a following token.
        if (token.type === TokenType.BLOCK_END) break;
        this.#headComment = this.#headComment.length > 0 ? this.#headComment + '\n' + c.head : c.head;
      }
      if (c.foot.length > 0) this.#footComment = this.#footComment.length > 0 ? this.#footComment + '\n' + c.foot : c.foot;
      if (c.line.length > 0) this.#lineComment = this.#lineComment.length > 0 ? this.#lineComment + '\n' + c.line : c.line;
      comments[this.#commentsHead] = { ...c, head: '', line: '', foot: '' };
      this.#commentsHead++;
    }
  }

  /** Hand the pending comments to `e` (and drop a pending stem comment); returns `e`. */
  #withComments(e: Event): Event {
    e.head = this.#headComment;
    e.line = this.#lineComment;
    e.foot = this.#footComment;
    this.#headComment = '';
    this.#lineComment = '';
    this.#footComment = '';
    this.#stemComment = null;
    return e;
  }

  /** An event; fields not in `init` are empty (read one by one: faster than spreading `init` over defaults). */
  #event(type: EventType, start: Mark, init: Partial<Event> = {}): Event {
    return {
      type,
      start,
      anchor: init.anchor ?? '',
      tag: init.tag ?? '',
      value: init.value ?? '',
      style: init.style ?? 0,
      flow: init.flow ?? false,
      head: init.head ?? '',
      line: init.line ?? '',
      foot: init.foot ?? '',
    };
  }

  #popState(): void {
    this.#state = this.#states.pop()!;
  }

  next(): Event {
    switch (this.#state) {
      case State.STREAM_START: {
        const t = this.#peekToken();
        this.#state = State.IMPLICIT_DOCUMENT_START;
        this.#skipToken();
        return this.#event(EventType.STREAM_START, t.start);
      }
      case State.IMPLICIT_DOCUMENT_START:
        return this.#documentStart(true);
      case State.DOCUMENT_START:
        return this.#documentStart(false);
      case State.DOCUMENT_CONTENT: {
        const t = this.#peekToken();
        if ([TokenType.VERSION_DIRECTIVE, TokenType.TAG_DIRECTIVE, TokenType.DOCUMENT_START, TokenType.DOCUMENT_END, TokenType.STREAM_END].includes(t.type)) {
          this.#popState();
          return this.#emptyScalar(t.start);
        }
        return this.#parseNode(true, false);
      }
      case State.DOCUMENT_END:
        return this.#documentEnd();
      case State.BLOCK_NODE:
        return this.#parseNode(true, false);
      case State.BLOCK_SEQUENCE_FIRST_ENTRY:
        return this.#blockSequenceEntry(true);
      case State.BLOCK_SEQUENCE_ENTRY:
        return this.#blockSequenceEntry(false);
      case State.INDENTLESS_SEQUENCE_ENTRY:
        return this.#indentlessSequenceEntry();
      case State.BLOCK_MAPPING_FIRST_KEY:
        return this.#blockMappingKey(true);
      case State.BLOCK_MAPPING_KEY:
        return this.#blockMappingKey(false);
      case State.BLOCK_MAPPING_VALUE:
        return this.#blockMappingValue();
      case State.FLOW_SEQUENCE_FIRST_ENTRY:
        return this.#flowSequenceEntry(true);
      case State.FLOW_SEQUENCE_ENTRY:
        return this.#flowSequenceEntry(false);
      case State.FLOW_SEQUENCE_ENTRY_MAPPING_KEY:
        return this.#flowSequenceEntryMappingKey();
      case State.FLOW_SEQUENCE_ENTRY_MAPPING_VALUE:
        return this.#flowSequenceEntryMappingValue();
      case State.FLOW_SEQUENCE_ENTRY_MAPPING_END: {
        const t = this.#peekToken();
        this.#state = State.FLOW_SEQUENCE_ENTRY;
        return this.#event(EventType.MAPPING_END, t.start);
      }
      case State.FLOW_MAPPING_FIRST_KEY:
        return this.#flowMappingKey(true);
      case State.FLOW_MAPPING_KEY:
        return this.#flowMappingKey(false);
      case State.FLOW_MAPPING_VALUE:
        return this.#flowMappingValue(false);
      case State.FLOW_MAPPING_EMPTY_VALUE:
        return this.#flowMappingValue(true);
      case State.END:
        throw new Error('no events after the stream end');
    }
  }

  #emptyScalar(mark: Mark): Event {
    return this.#event(EventType.SCALAR, mark);
  }

  #documentStart(implicit: boolean): Event {
    let t = this.#peekToken();
    if (!implicit) {
      while (t.type === TokenType.DOCUMENT_END) {
        this.#skipToken();
        t = this.#peekToken();
      }
    }
    if (implicit && ![TokenType.VERSION_DIRECTIVE, TokenType.TAG_DIRECTIVE, TokenType.DOCUMENT_START, TokenType.STREAM_END].includes(t.type)) {
      this.#tagDirectives = new Map(DEFAULT_TAG_DIRECTIVES);
      this.#states.push(State.DOCUMENT_END);
      this.#state = State.BLOCK_NODE;
      // go-yaml: the part of the head comment before its last blank line is
      // the document's head comment; the rest goes to the first node.
      let head = '';
      const h = this.#headComment;
      for (let i = h.length - 1; i > 0; i--) {
        if (h[i] === '\n') {
          if (i === h.length - 1) {
            head = h.slice(0, i);
            this.#headComment = h.slice(i + 1);
            break;
          } else if (h[i - 1] === '\n') {
            head = h.slice(0, i - 1);
            this.#headComment = h.slice(i + 1);
            break;
          }
        }
      }
      return this.#event(EventType.DOCUMENT_START, t.start, { head });
    }
    if (t.type !== TokenType.STREAM_END) {
      const start = t.start;
      // libyaml `yaml_parser_process_directives`.
      this.#tagDirectives = new Map();
      let version = false;
      while (t.type === TokenType.VERSION_DIRECTIVE || t.type === TokenType.TAG_DIRECTIVE) {
        if (t.type === TokenType.VERSION_DIRECTIVE) {
          if (version) throw parseError('found duplicate %YAML directive', t.start);
          // go-yaml v3 accepts %YAML 1.1 only.
          if (t.major !== 1 || t.minor !== 1) throw parseError('found incompatible YAML document', t.start);
          version = true;
        } else {
          if (this.#tagDirectives.has(t.value)) throw parseError('found duplicate %TAG directive', t.start);
          this.#tagDirectives.set(t.value, t.suffix ?? '');
        }
        this.#skipToken();
        t = this.#peekToken();
      }
      for (const [h, p] of DEFAULT_TAG_DIRECTIVES) if (!this.#tagDirectives.has(h)) this.#tagDirectives.set(h, p);
      if (t.type !== TokenType.DOCUMENT_START) throw parseError('did not find expected <document start>', t.start);
      this.#states.push(State.DOCUMENT_END);
      this.#state = State.DOCUMENT_CONTENT;
      this.#skipToken();
      return this.#event(EventType.DOCUMENT_START, start);
    }
    this.#state = State.END;
    this.#skipToken();
    return this.#event(EventType.STREAM_END, t.start);
  }

  #documentEnd(): Event {
    const t = this.#peekToken();
    if (t.type === TokenType.DOCUMENT_END) this.#skipToken();
    this.#state = State.DOCUMENT_START;
    const e = this.#withComments(this.#event(EventType.DOCUMENT_END, t.start));
    if (e.head.length > 0 && e.foot.length === 0) {
      e.foot = e.head;
      e.head = '';
    }
    return e;
  }

  /** The tag of a node: verbatim, or its handle's prefix (from `%TAG` or the defaults) and the suffix. */
  #resolveTag(handle: string, suffix: string, startMark: Mark, tagMark: Mark): string {
    if (handle === '') return suffix;
    const prefix = this.#tagDirectives.get(handle);
    if (prefix === undefined) throw parserError('while parsing a node', startMark, 'found undefined tag handle', tagMark);
    return prefix + suffix;
  }

  #parseNode(block: boolean, indentlessSequence: boolean): Event {
    let t = this.#peekToken();
    if (t.type === TokenType.ALIAS) {
      this.#popState();
      const e = this.#withComments(this.#event(EventType.ALIAS, t.start, { anchor: t.value }));
      this.#skipToken();
      return e;
    }
    const start = t.start;
    let anchor = '';
    let tag = '';
    let tagHandle = '';
    let tagSuffix = '';
    let tagMark = t.start;
    // The node's properties: an anchor and a tag, each at most once, in either order.
    while ((t.type === TokenType.ANCHOR && anchor === '') || (t.type === TokenType.TAG && tag === '')) {
      if (t.type === TokenType.ANCHOR) {
        anchor = t.value;
      } else {
        tag = '!';
        tagHandle = t.value;
        tagSuffix = t.suffix ?? '';
        tagMark = t.start;
      }
      this.#skipToken();
      t = this.#peekToken();
    }
    if (tag !== '') tag = this.#resolveTag(tagHandle, tagSuffix, start, tagMark);
    if (indentlessSequence && t.type === TokenType.BLOCK_ENTRY) {
      this.#state = State.INDENTLESS_SEQUENCE_ENTRY;
      return this.#event(EventType.SEQUENCE_START, start, { anchor, tag });
    }
    if (t.type === TokenType.SCALAR) {
      this.#popState();
      const e = this.#withComments(this.#event(EventType.SCALAR, start, { anchor, tag, value: t.value, style: t.style! }));
      this.#skipToken();
      return e;
    }
    if (t.type === TokenType.FLOW_SEQUENCE_START) {
      this.#state = State.FLOW_SEQUENCE_FIRST_ENTRY;
      return this.#withComments(this.#event(EventType.SEQUENCE_START, start, { anchor, tag, flow: true }));
    }
    if (t.type === TokenType.FLOW_MAPPING_START) {
      this.#state = State.FLOW_MAPPING_FIRST_KEY;
      return this.#withComments(this.#event(EventType.MAPPING_START, start, { anchor, tag, flow: true }));
    }
    if (block && t.type === TokenType.BLOCK_SEQUENCE_START) {
      this.#state = State.BLOCK_SEQUENCE_FIRST_ENTRY;
      const e = this.#event(EventType.SEQUENCE_START, start, { anchor, tag });
      if (this.#stemComment !== null) {
        e.head = this.#stemComment;
        this.#stemComment = null;
      }
      return e;
    }
    if (block && t.type === TokenType.BLOCK_MAPPING_START) {
      this.#state = State.BLOCK_MAPPING_FIRST_KEY;
      const e = this.#event(EventType.MAPPING_START, start, { anchor, tag });
      if (this.#stemComment !== null) {
        e.head = this.#stemComment;
        this.#stemComment = null;
      }
      return e;
    }
    if (anchor !== '' || tag !== '') {
      this.#popState();
      return this.#event(EventType.SCALAR, start, { anchor, tag });
    }
    throw parserError(block ? 'while parsing a block node' : 'while parsing a flow node', start, 'did not find expected node content', t.start);
  }

  /** Skip a collection's start token, keeping its mark for errors ("while parsing a block mapping" …). */
  #skipCollectionStart(): void {
    this.#marks.push(this.#peekToken().start);
    this.#skipToken();
  }

  /** go-yaml `yaml_parser_split_stem_comment`. */
  #splitStemComment(stemLen: number): void {
    if (stemLen === 0) return;
    const t = this.#peekToken();
    if (t.type !== TokenType.BLOCK_SEQUENCE_START && t.type !== TokenType.BLOCK_MAPPING_START) return;
    this.#stemComment = this.#headComment.slice(0, stemLen);
    this.#headComment = this.#headComment.length === stemLen ? '' : this.#headComment.slice(stemLen + 1);
  }

  #blockSequenceEntry(first: boolean): Event {
    if (first) this.#skipCollectionStart();
    let t = this.#peekToken();
    if (t.type === TokenType.BLOCK_ENTRY) {
      const mark = t.end;
      const priorHeadLen = this.#headComment.length;
      this.#skipToken();
      this.#splitStemComment(priorHeadLen);
      t = this.#peekToken();
      if (t.type !== TokenType.BLOCK_ENTRY && t.type !== TokenType.BLOCK_END) {
        this.#states.push(State.BLOCK_SEQUENCE_ENTRY);
        return this.#parseNode(true, false);
      }
      this.#state = State.BLOCK_SEQUENCE_ENTRY;
      return this.#emptyScalar(mark);
    }
    if (t.type === TokenType.BLOCK_END) {
      this.#popState();
      this.#marks.pop();
      this.#skipToken();
      return this.#event(EventType.SEQUENCE_END, t.start);
    }
    throw parserError('while parsing a block collection', this.#marks.pop()!, "did not find expected '-' indicator", t.start);
  }

  #indentlessSequenceEntry(): Event {
    let t = this.#peekToken();
    if (t.type === TokenType.BLOCK_ENTRY) {
      const mark = t.end;
      const priorHeadLen = this.#headComment.length;
      this.#skipToken();
      this.#splitStemComment(priorHeadLen);
      t = this.#peekToken();
      if (t.type !== TokenType.BLOCK_ENTRY && t.type !== TokenType.KEY && t.type !== TokenType.VALUE && t.type !== TokenType.BLOCK_END) {
        this.#states.push(State.INDENTLESS_SEQUENCE_ENTRY);
        return this.#parseNode(true, false);
      }
      this.#state = State.INDENTLESS_SEQUENCE_ENTRY;
      return this.#emptyScalar(mark);
    }
    this.#popState();
    return this.#event(EventType.SEQUENCE_END, t.start);
  }

  #blockMappingKey(first: boolean): Event {
    if (first) this.#skipCollectionStart();
    let t = this.#peekToken();
    if (t.type === TokenType.KEY) {
      const mark = t.end;
      this.#skipToken();
      t = this.#peekToken();
      if (t.type !== TokenType.KEY && t.type !== TokenType.VALUE && t.type !== TokenType.BLOCK_END) {
        this.#states.push(State.BLOCK_MAPPING_VALUE);
        return this.#parseNode(true, true);
      }
      this.#state = State.BLOCK_MAPPING_VALUE;
      return this.#emptyScalar(mark);
    }
    if (t.type === TokenType.BLOCK_END) {
      this.#popState();
      this.#marks.pop();
      const e = this.#withComments(this.#event(EventType.MAPPING_END, t.start));
      this.#skipToken();
      return e;
    }
    throw parserError('while parsing a block mapping', this.#marks.pop()!, 'did not find expected key', t.start);
  }

  #blockMappingValue(): Event {
    let t = this.#peekToken();
    if (t.type === TokenType.VALUE) {
      const mark = t.end;
      this.#skipToken();
      t = this.#peekToken();
      if (t.type !== TokenType.KEY && t.type !== TokenType.VALUE && t.type !== TokenType.BLOCK_END) {
        this.#states.push(State.BLOCK_MAPPING_KEY);
        return this.#parseNode(true, true);
      }
      this.#state = State.BLOCK_MAPPING_KEY;
      return this.#emptyScalar(mark);
    }
    this.#state = State.BLOCK_MAPPING_KEY;
    return this.#emptyScalar(t.start);
  }

  #flowSequenceEntry(first: boolean): Event {
    if (first) this.#skipCollectionStart();
    let t = this.#peekToken();
    if (t.type !== TokenType.FLOW_SEQUENCE_END) {
      if (!first) {
        if (t.type === TokenType.FLOW_ENTRY) {
          this.#skipToken();
          t = this.#peekToken();
        } else {
          throw parserError('while parsing a flow sequence', this.#marks.pop()!, "did not find expected ',' or ']'", t.start);
        }
      }
      if (t.type === TokenType.KEY) {
        this.#state = State.FLOW_SEQUENCE_ENTRY_MAPPING_KEY;
        this.#skipToken();
        return this.#event(EventType.MAPPING_START, t.start, { flow: true });
      } else if (t.type !== TokenType.FLOW_SEQUENCE_END) {
        this.#states.push(State.FLOW_SEQUENCE_ENTRY);
        return this.#parseNode(false, false);
      }
    }
    this.#popState();
    this.#marks.pop();
    const e = this.#withComments(this.#event(EventType.SEQUENCE_END, t.start));
    this.#skipToken();
    return e;
  }

  #flowSequenceEntryMappingKey(): Event {
    const t = this.#peekToken();
    if (t.type !== TokenType.VALUE && t.type !== TokenType.FLOW_ENTRY && t.type !== TokenType.FLOW_SEQUENCE_END) {
      this.#states.push(State.FLOW_SEQUENCE_ENTRY_MAPPING_VALUE);
      return this.#parseNode(false, false);
    }
    const mark = t.end;
    this.#skipToken();
    this.#state = State.FLOW_SEQUENCE_ENTRY_MAPPING_VALUE;
    return this.#emptyScalar(mark);
  }

  #flowSequenceEntryMappingValue(): Event {
    const t = this.#peekToken();
    if (t.type === TokenType.VALUE) {
      this.#skipToken();
      const next = this.#peekToken();
      if (next.type !== TokenType.FLOW_ENTRY && next.type !== TokenType.FLOW_SEQUENCE_END) {
        this.#states.push(State.FLOW_SEQUENCE_ENTRY_MAPPING_END);
        return this.#parseNode(false, false);
      }
    }
    this.#state = State.FLOW_SEQUENCE_ENTRY_MAPPING_END;
    // libyaml puts an empty value at the token after the `:`; go-yaml's
    // port declares that token in an inner scope (`token :=`), so its empty
    // value sits at the `:` itself (`[k: , x]`: the `:`'s line and column).
    return this.#emptyScalar(t.start);
  }

  #flowMappingKey(first: boolean): Event {
    if (first) this.#skipCollectionStart();
    let t = this.#peekToken();
    if (t.type !== TokenType.FLOW_MAPPING_END) {
      if (!first) {
        if (t.type === TokenType.FLOW_ENTRY) {
          this.#skipToken();
          t = this.#peekToken();
        } else {
          throw parserError('while parsing a flow mapping', this.#marks.pop()!, "did not find expected ',' or '}'", t.start);
        }
      }
      if (t.type === TokenType.KEY) {
        this.#skipToken();
        t = this.#peekToken();
        if (t.type !== TokenType.VALUE && t.type !== TokenType.FLOW_ENTRY && t.type !== TokenType.FLOW_MAPPING_END) {
          this.#states.push(State.FLOW_MAPPING_VALUE);
          return this.#parseNode(false, false);
        }
        this.#state = State.FLOW_MAPPING_VALUE;
        return this.#emptyScalar(t.start);
      } else if (t.type !== TokenType.FLOW_MAPPING_END) {
        this.#states.push(State.FLOW_MAPPING_EMPTY_VALUE);
        return this.#parseNode(false, false);
      }
    }
    this.#popState();
    this.#marks.pop();
    const e = this.#withComments(this.#event(EventType.MAPPING_END, t.start));
    this.#skipToken();
    return e;
  }

  #flowMappingValue(empty: boolean): Event {
    let t = this.#peekToken();
    if (empty) {
      this.#state = State.FLOW_MAPPING_KEY;
      return this.#emptyScalar(t.start);
    }
    if (t.type === TokenType.VALUE) {
      this.#skipToken();
      t = this.#peekToken();
      if (t.type !== TokenType.FLOW_ENTRY && t.type !== TokenType.FLOW_MAPPING_END) {
        this.#states.push(State.FLOW_MAPPING_KEY);
        return this.#parseNode(false, false);
      }
    }
    this.#state = State.FLOW_MAPPING_KEY;
    return this.#emptyScalar(t.start);
  }
}

const LONG_TAG_PREFIX = 'tag:yaml.org,2002:';
function shortTag(tag: string): string {
  return tag.startsWith(LONG_TAG_PREFIX) ? '!!' + tag.slice(LONG_TAG_PREFIX.length) : tag;
}

/** Options of {@link composeDocuments}. */
export interface ComposeOptions {
  /** Maximum nesting depth of collections. */
  maxDepth: number;
}

/**
 * go-yaml v3's node builder (`decode.go` `parser`): events → document nodes,
 * with the foot-comment moves it does inside block mappings.
 */
class Composer {
  #event: Event | null = null;
  readonly #anchors = new Map<string, YamlNode>();
  #depth = 0;
  #started = false;

  readonly #parser: EventParser;
  readonly #opts: ComposeOptions;

  constructor(parser: EventParser, opts: ComposeOptions) {
    this.#parser = parser;
    this.#opts = opts;
  }

  #peek(): EventType {
    if (this.#event === null) this.#event = this.#parser.next();
    return this.#event.type;
  }

  #expect(type: EventType): Event {
    if (this.#event === null) this.#event = this.#parser.next();
    const e = this.#event;
    if (e.type !== type) throw parseError(`expected ${EVENT_NAMES[type]} event but got ${EVENT_NAMES[e.type]}`, e.start);
    this.#event = null;
    return e;
  }

  /** The next document node, or `null` at the end of the stream. */
  nextDocument(): YamlNode | null {
    if (!this.#started) {
      this.#expect(EventType.STREAM_START);
      this.#started = true;
    }
    if (this.#peek() === EventType.STREAM_END) return null;
    return this.#parse();
  }

  #node(kind: YamlNode['kind'], defaultTag: string, tag: string, value: string, e: Event): YamlNode {
    let style = 0;
    let t: string;
    if (tag !== '' && tag !== '!') {
      t = shortTag(tag);
      style = Style.Tagged;
    } else if (defaultTag !== '') {
      t = defaultTag;
    } else {
      t = '';
    }
    return newNode(kind, {
      tag: t,
      value,
      style,
      line: e.start.line + 1,
      column: e.start.column + 1,
      headComment: e.head,
      lineComment: e.line,
      footComment: e.foot,
    });
  }

  #parse(): YamlNode {
    switch (this.#peek()) {
      case EventType.SCALAR:
        return this.#scalar();
      case EventType.ALIAS:
        return this.#alias();
      case EventType.MAPPING_START:
        return this.#mapping();
      case EventType.SEQUENCE_START:
        return this.#sequence();
      case EventType.DOCUMENT_START:
        return this.#document();
      default:
        throw parseError('unexpected event', this.#event!.start);
    }
  }

  #enter(e: Event): void {
    this.#depth++;
    if (this.#depth > this.#opts.maxDepth) {
      throw new GoYamlFailure(`yaml: line ${e.start.line + 1}: nesting deeper than ${this.#opts.maxDepth} levels`, e.start);
    }
  }

  #document(): YamlNode {
    const e = this.#expect(EventType.DOCUMENT_START);
    const n = this.#node('document', '', '', '', e);
    n.content.push(this.#parse());
    const end = this.#expect(EventType.DOCUMENT_END);
    n.footComment = end.foot;
    return n;
  }

  #alias(): YamlNode {
    const e = this.#expect(EventType.ALIAS);
    const n = this.#node('alias', '', '', e.anchor, e);
    const target = this.#anchors.get(e.anchor);
    if (!target) throw new GoYamlFailure(`yaml: unknown anchor '${e.anchor}' referenced`, e.start);
    n.alias = target;
    return n;
  }

  #scalar(): YamlNode {
    const e = this.#expect(EventType.SCALAR);
    const value = e.value;
    const style = e.style;
    let defaultTag = '';
    if (style === 0) {
      if (value === '<<') defaultTag = '!!merge';
    } else {
      defaultTag = '!!str';
    }
    const n = this.#node('scalar', defaultTag, e.tag, value, e);
    n.style |= style;
    if (e.anchor) {
      n.anchor = e.anchor;
      this.#anchors.set(e.anchor, n);
    }
    return n;
  }

  #sequence(): YamlNode {
    const e = this.#expect(EventType.SEQUENCE_START);
    this.#enter(e);
    const n = this.#node('sequence', '!!seq', e.tag, '', e);
    if (e.flow) n.style |= Style.Flow;
    if (e.anchor) {
      n.anchor = e.anchor;
      this.#anchors.set(e.anchor, n);
    }
    while (this.#peek() !== EventType.SEQUENCE_END) n.content.push(this.#parse());
    const end = this.#expect(EventType.SEQUENCE_END);
    n.lineComment = end.line;
    n.footComment = end.foot;
    this.#depth--;
    return n;
  }

  #mapping(): YamlNode {
    const e = this.#expect(EventType.MAPPING_START);
    this.#enter(e);
    const n = this.#node('mapping', '!!map', e.tag, '', e);
    const block = !e.flow;
    if (e.flow) n.style |= Style.Flow;
    if (e.anchor) {
      n.anchor = e.anchor;
      this.#anchors.set(e.anchor, n);
    }
    while (this.#peek() !== EventType.MAPPING_END) {
      const k = this.#parse();
      n.content.push(k);
      if (block && k.footComment !== '') {
        // go-yaml: a foot comment on a key, when dedented, belongs to the prior value.
        if (n.content.length > 2) {
          n.content[n.content.length - 3]!.footComment = k.footComment;
          k.footComment = '';
        }
      }
      const v = this.#parse();
      n.content.push(v);
      if (k.footComment === '' && v.footComment !== '') {
        k.footComment = v.footComment;
        v.footComment = '';
      }
    }
    const end = this.#expect(EventType.MAPPING_END);
    n.lineComment = end.line;
    n.footComment = end.foot;
    if ((n.style & Style.Flow) === 0 && n.footComment !== '' && n.content.length > 1) {
      n.content[n.content.length - 2]!.footComment = n.footComment;
      n.footComment = '';
    }
    this.#depth--;
    return n;
  }
}

/**
 * Parse every document of `data` into go-yaml v3 style nodes (as successive
 * `yaml.Decoder.Decode(&node)` calls return them). Bytes are read as go-yaml
 * reads them (UTF-8, one leading BOM dropped). Throws {@link YamlSyntaxError}
 * with go-yaml's message on malformed input; its `documents` are those
 * completed before the failure.
 */
export function composeDocuments(data: string | Uint8Array, opts: ComposeOptions): YamlNode[] {
  const input = readInput(data);
  const composer = new Composer(new EventParser(input.text, input.error), opts);
  const docs: YamlNode[] = [];
  try {
    for (;;) {
      const d = composer.nextDocument();
      if (d === null) break;
      docs.push(d);
    }
  } catch (err) {
    let e: YamlSyntaxError;
    if (err instanceof YamlMarkedError) {
      e = new YamlSyntaxError(formatYamlError(err), err.problemMark.line + 1, err.problemMark.column + 1);
    } else if (err instanceof GoYamlFailure) {
      e = new YamlSyntaxError(err.message, err.mark.line + 1, err.mark.column + 1);
    } else if (err instanceof ReaderError) {
      // go-yaml prints reader errors without a position.
      e = new YamlSyntaxError(`yaml: ${err.problem}`, 0, 0);
    } else {
      throw err;
    }
    e.documents = docs;
    throw e;
  }
  return docs;
}
