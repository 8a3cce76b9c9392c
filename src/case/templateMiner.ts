/**
 * Online log template mining after the idea of Drain (He et al., "Drain: An Online Log Parsing Approach
 * with Fixed Depth Tree", ICWS 2017): each line is masked, tokenised, routed through a shallow tree by
 * its token count and first words, and joined to the most similar template in the leaf, or starts a new
 * one. Memory is bounded by the number of templates, never by the number of lines.
 */

/** The placeholder for a variable part of a line, as in Drain. */
export const WILDCARD = "<*>";

/**
 * Tree depth as in the paper: root, token-count layer, then `depth - 2` layers of leading words. 4 is
 * the paper's default: two leading words separate statements well, while deeper trees start branching
 * on words that are really variables.
 */
export const DEFAULT_DEPTH = 4;

/**
 * Fraction of equal positions a line needs to join a template. 0.4 is Drain's usual default: low
 * enough that lines whose variables escaped masking still join, high enough that statements sharing
 * only a prefix stay apart.
 */
export const DEFAULT_SIMILARITY_THRESHOLD = 0.4;

/**
 * Children per tree node before further leading words share the `<*>` branch. Bounds the fan-out when
 * a leading word is in fact a variable (a user name, a table name); a real component rarely has more
 * than 100 distinct opening words per token count.
 */
export const DEFAULT_MAX_CHILDREN = 100;

/**
 * Templates kept per miner before new lines fall into overflow templates. A service has hundreds to
 * low thousands of distinct log statements; 5000 covers that and keeps memory to a few MB per miner.
 */
export const DEFAULT_MAX_TEMPLATES = 5000;

/**
 * Tokens compared per line. Longer lines are payload dumps (lists of records) whose length varies with
 * the data; their first 64 tokens name the statement, and the cap bounds the work per line.
 */
const MAX_TOKENS = 64;

/** Characters masked per line: well beyond MAX_TOKENS ordinary tokens, so the cap only cuts payload. */
const MAX_MESSAGE_CHARS = 2048;

export interface TemplateMinerOptions {
  depth?: number;
  similarityThreshold?: number;
  maxChildren?: number;
  maxTemplates?: number;
  /** Also mask quoted strings. Off by default: in logfmt and JSON-ish lines the quoted part is often the message itself. */
  maskQuoted?: boolean;
}

export interface MinedLine {
  id: number;
  template: string;
  isNew: boolean;
}

export interface MinedTemplate {
  id: number;
  template: string;
  count: number;
}

const HEX = "[0-9a-fA-F]";
const IPV6_FULL = `(?:${HEX}{1,4}:){7}${HEX}{1,4}`;
const IPV6_GROUPS = `${HEX}{1,4}(?::${HEX}{1,4})*`;
const IPV6_COMPRESSED = `(?:${IPV6_GROUPS}::(?:${IPV6_GROUPS})?|::${IPV6_GROUPS})`;
const IPV6 = `(?:${IPV6_FULL}|${IPV6_COMPRESSED})`;

/** Keys whose value is kept: the level must survive masking so that levels stay visible in templates. */
const LEVEL_KEYS = new Set(["level", "lvl", "severity", "loglevel", "log_level", "levelname"]);

/**
 * A source location: a qualified name or file name (at least one dot) joined to a line number by `#` or
 * `:`, as logging patterns print the statement that wrote a line (`t.s.TravelServiceImpl#457`,
 * `OrderService.java:88`, `main.go:45`). The line number is not a variable: it names the statement, and
 * two statements with the same wording (a step logged before and after a computation) are different
 * events whose order and presence in a request is what a code fault changes.
 */
const CODE_LOCATION = String.raw`(?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*[#:]\d{1,6}`;
const CODE_LOCATION_TOKEN = new RegExp(`^${CODE_LOCATION}$`);
/** A source location starting at `lastIndex`, for the tokeniser (its `:` must not split it). */
const CODE_LOCATION_AT = new RegExp(`${CODE_LOCATION}(?![\\w.:])`, "y");

/** Whether a token names a source location (see CODE_LOCATION). */
function isCodeLocation(token: string): boolean {
  return CODE_LOCATION_TOKEN.test(token);
}

/**
 * Variable parts, in priority order (at one position the first alternative wins). Group 1 is the key of
 * a `key=value` pair, group 2 a path, group 3 a source location kept as it is; they need a decision in
 * code, everything else becomes `<*>`.
 */
const VARIABLE_SOURCES = [
  // source location (kept; listed first so that its line number is not masked as a number)
  String.raw`(?<![\w.$-])(${CODE_LOCATION})(?![\w.:])`,
  // key=value with an unquoted value
  String.raw`(?<![\w.-])([A-Za-z_][\w.-]*)=[^\s"'=,;()[\]{}<>]+`,
  // UUID
  `(?<![\\w-])${HEX}{8}-${HEX}{4}-${HEX}{4}-${HEX}{4}-${HEX}{12}(?![\\w-])`,
  // ISO date, optionally with time and zone
  String.raw`(?<!\d)\d{4}[-/]\d{2}[-/]\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?(?!\w)`,
  // clock time hh:mm:ss[.mmm]
  String.raw`(?<![\w:.])\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?![\w:])`,
  // IPv6, bracketed with optional port, or bare
  `\\[${IPV6}\\](?::\\d{1,5})?`,
  `(?<![\\w:.])${IPV6}(?![\\w:])`,
  // IPv4 with optional port
  String.raw`(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?!\w|\.\d)`,
  // e-mail address
  String.raw`(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])`,
  // absolute path (segments with digits are masked in code)
  String.raw`(?<![\w.~/:-])((?:/[\w.@%+~-]+){2,}/?)`,
  // 0x-prefixed hex
  `(?<!\\w)0[xX]${HEX}+(?!\\w)`,
  // number, decimal or version-like, with an optional unit (12ms, 1.5GB, 80%)
  String.raw`(?<![\w.])-?\d+(?:\.\d+)*(?:[a-zA-Zµ%]+)?(?!\w)`,
  // hex id of 8+ characters with at least one digit
  `(?<!\\w)(?=${HEX}*\\d)${HEX}{8,}(?!\\w|\\.\\d)`,
];

const QUOTED_SOURCES = [String.raw`"(?:[^"\\]|\\.)*"`, String.raw`(?<!\w)'[^'\n]*'(?!\w)`];

const HAS_DIGIT = /\d/;

function maskMatch(
  match: string,
  location: string | undefined,
  key: string | undefined,
  path: string | undefined,
): string {
  if (location !== undefined) return match;
  if (key !== undefined) return LEVEL_KEYS.has(key.toLowerCase()) ? match : `${key}=${WILDCARD}`;
  if (path !== undefined) return HAS_DIGIT.test(path) ? maskPathSegments(path) : match;
  return WILDCARD;
}

function hasDigitIn(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (isDigit(text.charCodeAt(i))) return true;
  return false;
}

/** A path with each segment that holds a digit as `<*>` (`/api/items/123` -> `/api/items/<*>`), in one pass. */
function maskPathSegments(path: string): string {
  let masked = "";
  for (let start = 0; ; ) {
    const slash = path.indexOf("/", start);
    const end = slash < 0 ? path.length : slash;
    masked += hasDigitIn(path, start, end) ? WILDCARD : path.slice(start, end);
    if (slash < 0) return masked;
    masked += "/";
    start = slash + 1;
  }
}

/** A regular expression that finds every variable part the miner masks, with the given flags. */
function variablePattern(maskQuoted: boolean, flags: string): RegExp {
  const sources = maskQuoted ? [...VARIABLE_SOURCES, ...QUOTED_SOURCES] : VARIABLE_SOURCES;
  return new RegExp(sources.join("|"), flags);
}

/** Sticky: tried at one position only, the one the scanner chose. */
const AT_PLAIN = variablePattern(false, "y");
const AT_QUOTED = variablePattern(true, "y");

function isWordChar(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) || ((code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a) || code === 0x5f // 0-9 A-Z a-z _
  );
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/**
 * Whether a variable part may start at `i`. Inside a word (after a letter, digit or `_`) every pattern
 * but three is ruled out by its look-behind: a date may start at a digit after a letter, a bracketed
 * IPv6 address at `[`, a double-quoted string at `"`. Skipping the other positions is what makes the
 * scan fast: most characters of a line are inside words.
 */
function mayStartAt(message: string, i: number, maskQuoted: boolean): boolean {
  const previous = i > 0 ? message.charCodeAt(i - 1) : -1;
  if (!isWordChar(previous)) return true;
  const code = message.charCodeAt(i);
  return code === 0x5b || (isDigit(code) && !isDigit(previous)) || (maskQuoted && code === 0x22);
}

function isLetter(code: number): boolean {
  return (code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a;
}

/** Characters a key, an e-mail's local part, a qualified name or a UUID is made of: `[A-Za-z0-9_.$+-]`. */
function isNameChar(code: number): boolean {
  return isWordChar(code) || code === 0x2e || code === 0x24 || code === 0x2b || code === 0x2d;
}

/**
 * Where a run of name characters starting at a letter ends, when no pattern can start anywhere in it;
 * otherwise -1. A pattern starting at a letter either is a key (`=` after the run), an e-mail (`@`), a
 * source location (`#` or `:`), an IPv6 address (`:`), or holds a digit or a `-` (hex ids, UUIDs);
 * a run with none of those — an ordinary word, `com.example.Foo` — is left as it is, whole.
 */
function plainWordEnd(message: string, start: number): number {
  let end = start;
  let digitOrDash = false;
  for (; end < message.length; end++) {
    const code = message.charCodeAt(end);
    if (!isNameChar(code)) break;
    if (isDigit(code) || code === 0x2d) digitOrDash = true;
  }
  if (digitOrDash) return -1;
  const next = end < message.length ? message.charCodeAt(end) : -1;
  return next === 0x3d || next === 0x40 || next === 0x23 || next === 0x3a ? -1 : end;
}

/**
 * Replace the obvious variables of a line (ids, numbers, addresses, times, values of key=value pairs)
 * by `<*>`. One pass over the line: the patterns are tried only where one may start (mayStartAt, and
 * not in a plain word), and scanning goes on after each match, so the result is that of replacing
 * every match left to right.
 */
export function maskVariables(message: string, maskQuoted = false): string {
  const pattern = maskQuoted ? AT_QUOTED : AT_PLAIN;
  let masked = "";
  let copied = 0;
  for (let i = 0; i < message.length; ) {
    if (!mayStartAt(message, i, maskQuoted)) {
      i++;
      continue;
    }
    const code = message.charCodeAt(i);
    const wordEnd = isLetter(code) || code === 0x5f || code === 0x24 ? plainWordEnd(message, i) : -1;
    if (wordEnd >= 0) {
      i = wordEnd;
      continue;
    }
    pattern.lastIndex = i;
    const match = pattern.exec(message);
    if (match === null) {
      i++;
      continue;
    }
    masked += message.slice(copied, i) + maskMatch(match[0], match[1], match[2], match[3]);
    i = pattern.lastIndex;
    copied = i;
  }
  return copied === 0 ? message : masked + message.slice(copied);
}

/**
 * The masking as one replace of every match of the patterns: the definition maskVariables must agree
 * with, kept for the tests that check it does.
 */
export function maskVariablesByReplace(message: string, maskQuoted = false): string {
  return message.replace(variablePattern(maskQuoted, "g"), maskMatch);
}

export interface Tokens {
  tokens: string[];
  /** Whether whitespace preceded each token in the line: kept only to render the template as it looked. */
  spaced: boolean[];
}

/** Characters that end a token and stand as tokens of their own, so `Route(id=<*>,` gives stable words. */
function isSplitChar(code: number): boolean {
  return (
    code === 0x5b || // [
    code === 0x5d || // ]
    code === 0x28 || // (
    code === 0x29 || // )
    code === 0x7b || // {
    code === 0x7d || // }
    code === 0x2c || // ,
    code === 0x3d || // =
    code === 0x3a || // :
    code === 0x3b // ;
  );
}

function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/**
 * Split a masked line on whitespace and on bracket, comma, `=`, `:` and `;` boundaries. Beyond
 * MAX_TOKENS, or when the line was cut short, the last token becomes `<*>` (standing for the rest).
 */
export function tokenise(masked: string, truncated = false): Tokens {
  const tokens: string[] = [];
  const spaced: boolean[] = [];
  let start = -1;
  let sawSpace = false;
  const push = (token: string) => {
    tokens.push(token);
    spaced.push(sawSpace);
    sawSpace = false;
  };
  for (let i = 0; i < masked.length && tokens.length <= MAX_TOKENS; i++) {
    const code = masked.charCodeAt(i);
    const space = isSpace(code);
    if (!space && !isSplitChar(code)) {
      if (start < 0) start = i;
      continue;
    }
    if (code === 0x3a && start >= 0) {
      CODE_LOCATION_AT.lastIndex = start;
      if (CODE_LOCATION_AT.exec(masked) && CODE_LOCATION_AT.lastIndex > i + 1) {
        i = CODE_LOCATION_AT.lastIndex - 1;
        continue;
      }
    }
    if (start >= 0) {
      push(masked.slice(start, i));
      start = -1;
    }
    if (space) sawSpace = true;
    else push(masked[i]);
  }
  if (start >= 0) push(masked.slice(start));
  const cut = truncated || tokens.length > MAX_TOKENS;
  if (tokens.length > MAX_TOKENS) {
    tokens.length = MAX_TOKENS;
    spaced.length = MAX_TOKENS;
  }
  if (cut && tokens.length > 0) tokens[tokens.length - 1] = WILDCARD;
  return { tokens, spaced };
}

/**
 * A line masked and tokenised: the part of mining that depends on the line alone, so that it can be
 * done anywhere (a reader's worker thread) and handed to a miner with the line.
 */
export interface PreparedLine extends Tokens {
  maskQuoted: boolean;
  /**
   * The source location among the tokens (null: none), set by the miner the first time it mines the
   * line: lines prepared once are often mined many times (a batch's repeated lines share one).
   */
  location?: string | null;
}

/** A line masked as a miner would (its first MAX_MESSAGE_CHARS), and whether it was cut there. */
export function maskLine(message: string, maskQuoted = false): { masked: string; truncated: boolean } {
  const truncated = message.length > MAX_MESSAGE_CHARS;
  const line = truncated ? message.slice(0, MAX_MESSAGE_CHARS) : message;
  return { masked: maskVariables(line, maskQuoted), truncated };
}

/** Masks and tokenises a line as a miner with the same `maskQuoted` would. */
export function prepareLine(message: string, maskQuoted = false): PreparedLine {
  const { masked, truncated } = maskLine(message, maskQuoted);
  return { ...tokenise(masked, truncated), maskQuoted };
}

interface Cluster {
  id: number;
  tokens: string[];
  spaced: boolean[];
  count: number;
  /** Rendered template, rebuilt only after the tokens change. */
  text: string | undefined;
}

interface TreeNode {
  children: Map<string, TreeNode>;
  clusters: Cluster[];
}

function newNode(): TreeNode {
  return { children: new Map(), clusters: [] };
}

function render(cluster: Cluster): string {
  if (cluster.text === undefined) {
    let text = cluster.tokens.length > 0 ? cluster.tokens[0] : "";
    for (let i = 1; i < cluster.tokens.length; i++) {
      text += cluster.spaced[i] ? ` ${cluster.tokens[i]}` : cluster.tokens[i];
    }
    cluster.text = text;
  }
  return cluster.text;
}

function hasLetterOrDigit(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    if ((code >= 0x30 && code <= 0x39) || ((code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a) || code > 0x7f) return true;
  }
  return false;
}

/** The key under which a token routes: tokens with digits are likely variables and share the `<*>` branch. */
function routeKey(token: string): string {
  return HAS_DIGIT.test(token) ? WILDCARD : token;
}

interface Route {
  keys: string[];
  /** Index just past the last routing word. */
  end: number;
}

/**
 * The leading words that route a line. Masked variables and bare punctuation are skipped: a line that
 * opens with a timestamp and a level would otherwise route on nothing but those.
 */
function route(tokens: string[], count: number): Route {
  const keys: string[] = [];
  let end = 0;
  for (let i = 0; i < tokens.length && keys.length < count; i++) {
    const token = tokens[i];
    if (token !== WILDCARD && hasLetterOrDigit(token)) {
      keys.push(routeKey(token));
      end = i + 1;
    }
  }
  while (keys.length < count) keys.push("");
  return { keys, end };
}

/**
 * Drain's similarity: the fraction of compared positions where the template's word equals the line's.
 * Agreement that says nothing about the statement is left out: positions variable in both, bare
 * punctuation, and the routing prefix (up to `from`), which every line in a leaf shares — otherwise
 * lines opening with a timestamp, a level, a logger and trace ids would all look alike.
 */
function similarity(template: string[], tokens: string[], from: number): number {
  let compared = 0;
  let same = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (template[i] === token) {
      if (i < from || token === WILDCARD || (token.length === 1 && isSplitChar(token.charCodeAt(0)))) continue;
      same++;
    }
    compared++;
  }
  return compared === 0 ? 1 : same / compared;
}

/** Widen a template to cover a line: positions that differ become `<*>`; a length mismatch (overflow only) ends in `<*>`. */
function merge(cluster: Cluster, tokens: string[]): void {
  const template = cluster.tokens;
  const common = Math.min(template.length, tokens.length);
  for (let i = 0; i < common; i++) {
    if (template[i] !== tokens[i] && template[i] !== WILDCARD) {
      template[i] = WILDCARD;
      cluster.text = undefined;
    }
  }
  if (template.length !== tokens.length) {
    template.length = common;
    cluster.spaced.length = common;
    if (common === 0 || template[common - 1] !== WILDCARD) {
      template.push(WILDCARD);
      cluster.spaced.push(common > 0);
    }
    cluster.text = undefined;
  }
}

/** Streams log lines into templates with counts (see the file comment). */
/** Distinct recent lines kept tokenised per miner: enough for a system's fixed messages, small in memory. */
const RECENT_LINES_MAX = 1024;

export class TemplateMiner {
  private readonly routeDepth: number;
  private readonly threshold: number;
  private readonly maxChildren: number;
  private readonly maskQuoted: boolean;
  /** Regular templates stop here; the rest of maxTemplates is kept for the overflow templates. */
  private readonly regularLimit: number;
  /** Overflow templates are per token count, with all longer lines sharing the last one. */
  private readonly overflowSlots: number;
  private readonly root = new Map<number, TreeNode>();
  private readonly clusters: Cluster[] = [];
  private readonly overflow = new Map<number, Cluster>();
  /** Lines seen lately, masked and tokenised: many systems write the very same line again and again. */
  private readonly recentLines = new Map<string, PreparedLine>();
  /** Templates of lines that name their source location, by that location. */
  private readonly byLocation = new Map<string, Cluster>();

  constructor(options: TemplateMinerOptions = {}) {
    const depth = options.depth ?? DEFAULT_DEPTH;
    const maxTemplates = options.maxTemplates ?? DEFAULT_MAX_TEMPLATES;
    const maxChildren = options.maxChildren ?? DEFAULT_MAX_CHILDREN;
    const threshold = options.similarityThreshold ?? DEFAULT_SIMILARITY_THRESHOLD;
    if (!Number.isInteger(depth) || depth < 3) throw new RangeError(`depth must be an integer >= 3, got ${depth}`);
    if (!Number.isInteger(maxTemplates) || maxTemplates < 2) {
      throw new RangeError(`maxTemplates must be an integer >= 2, got ${maxTemplates}`);
    }
    if (!Number.isInteger(maxChildren) || maxChildren < 2) {
      throw new RangeError(`maxChildren must be an integer >= 2, got ${maxChildren}`);
    }
    if (!(threshold >= 0 && threshold <= 1)) {
      throw new RangeError(`similarityThreshold must be in [0, 1], got ${threshold}`);
    }
    this.routeDepth = depth - 2;
    this.threshold = threshold;
    this.maxChildren = maxChildren;
    this.maskQuoted = options.maskQuoted ?? false;
    this.overflowSlots = Math.max(1, Math.min(MAX_TOKENS, Math.floor(maxTemplates / 2)));
    this.regularLimit = maxTemplates - this.overflowSlots;
  }

  /** Mine one line: the template it now belongs to, and whether that template was created by it. */
  add(message: string, prepared?: PreparedLine): MinedLine {
    const line = prepared?.maskQuoted === this.maskQuoted ? prepared : this.prepare(message);
    const { tokens, spaced } = line;
    // A line that names the statement that wrote it belongs to that statement's template, however its
    // payload varies (a list of ids makes the line longer or shorter, and Drain would split it by length).
    if (line.location === undefined) line.location = tokens.find(isCodeLocation) ?? null;
    const location = line.location;
    if (location !== null) {
      const known = this.byLocation.get(location);
      if (known) return this.absorb(known, tokens);
      if (this.clusters.length - this.overflow.size < this.regularLimit) {
        const cluster = this.create(tokens, spaced);
        this.byLocation.set(location, cluster);
        return { id: cluster.id, template: render(cluster), isNew: true };
      }
    }
    const { keys, end } = route(tokens, this.routeDepth);

    const leaf = this.findLeaf(tokens.length, keys);
    const best = leaf ? this.bestMatch(leaf.clusters, tokens, end) : undefined;
    if (best) return this.absorb(best, tokens);

    if (this.clusters.length - this.overflow.size < this.regularLimit) {
      const cluster = this.create(tokens, spaced);
      this.growLeaf(tokens.length, keys).clusters.push(cluster);
      return { id: cluster.id, template: render(cluster), isNew: true };
    }

    const slot = Math.min(Math.max(tokens.length, 1), this.overflowSlots);
    const existing = this.overflow.get(slot);
    if (existing) return this.absorb(existing, tokens);
    const cluster = this.create(tokens, spaced);
    this.overflow.set(slot, cluster);
    return { id: cluster.id, template: render(cluster), isNew: true };
  }

  /** The line masked and tokenised, from the recent lines when it is one of them. */
  private prepare(message: string): PreparedLine {
    const truncated = message.length > MAX_MESSAGE_CHARS;
    const line = truncated ? message.slice(0, MAX_MESSAGE_CHARS) : message;
    let prepared = this.recentLines.get(line);
    if (prepared === undefined) {
      prepared = prepareLine(message, this.maskQuoted);
      if (this.recentLines.size >= RECENT_LINES_MAX) this.recentLines.clear();
      this.recentLines.set(line, prepared);
    }
    return prepared;
  }

  /** Every template so far, in order of creation. */
  templates(): MinedTemplate[] {
    return this.clusters.map((c) => ({ id: c.id, template: render(c), count: c.count }));
  }

  private create(tokens: string[], spaced: boolean[]): Cluster {
    // Copies: the cluster's tokens become wildcards as it merges, and the line's tokens may be reused.
    const cluster: Cluster = {
      id: this.clusters.length,
      tokens: [...tokens],
      spaced: [...spaced],
      count: 1,
      text: undefined,
    };
    this.clusters.push(cluster);
    return cluster;
  }

  private absorb(cluster: Cluster, tokens: string[]): MinedLine {
    merge(cluster, tokens);
    cluster.count++;
    return { id: cluster.id, template: render(cluster), isNew: false };
  }

  private findLeaf(length: number, keys: string[]): TreeNode | undefined {
    let node = this.root.get(length);
    for (const key of keys) {
      if (!node) return undefined;
      node = node.children.get(key) ?? node.children.get(WILDCARD);
    }
    return node;
  }

  /** The leaf for a new template, creating nodes; once a node is full, new words share its `<*>` child. */
  private growLeaf(length: number, keys: string[]): TreeNode {
    let node = this.root.get(length);
    if (!node) {
      node = newNode();
      this.root.set(length, node);
    }
    for (const key of keys) {
      const parent: TreeNode = node;
      const branch = parent.children.has(key) || parent.children.size < this.maxChildren - 1 ? key : WILDCARD;
      let child = parent.children.get(branch);
      if (!child) {
        child = newNode();
        parent.children.set(branch, child);
      }
      node = child;
    }
    return node;
  }

  /** The most similar template at or above the threshold; ties go to the one that was there first. */
  private bestMatch(candidates: Cluster[], tokens: string[], routeEnd: number): Cluster | undefined {
    let best: Cluster | undefined;
    let bestScore = this.threshold;
    for (const cluster of candidates) {
      const score = similarity(cluster.tokens, tokens, routeEnd);
      if (score > bestScore || (score === bestScore && !best)) {
        best = cluster;
        bestScore = score;
      }
    }
    return best;
  }
}
