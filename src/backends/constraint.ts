import type { Candidate, Sampling } from '../protocol';

type Constraint = Pick<Sampling, 'forbid' | 'stop' | 'requireStop'>;

// Syntax characters escaped the same way in JavaScript and Python regular expressions (vLLM, SGLang).
const escapeChar = (char: string): string => {
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  if (char === '\t') return '\\t';
  const code = char.charCodeAt(0);
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
  return /[\\^$.|?*+()[\]{}/-]/.test(char) ? `\\${char}` : char;
};
const notAny = (chars: Iterable<string>): string => `[^${[...chars].map(escapeChar).join('')}]`;

interface Trie {
  children: Map<string, Trie>;
  /** A forbidden string ends here. */
  end: boolean;
}

function trieOf(words: readonly string[]): Trie {
  const root: Trie = { children: new Map(), end: false };
  for (const word of words) {
    let node = root;
    for (const char of word) {
      let child = node.children.get(char);
      if (!child) {
        child = { children: new Map(), end: false };
        node.children.set(char, child);
      }
      node = child;
    }
    node.end = true;
  }
  return root;
}

/** Texts over `plain` (no start character) that begin with no word of the trie: at each node, stop, leave the trie, or go on. */
function withoutPrefix(node: Trie, starts: ReadonlySet<string>, plain: string): string {
  const onward = [...node.children].filter(([, child]) => !child.end).map(([char, child]) => `${escapeChar(char)}${withoutPrefix(child, starts, plain)}`);
  const away = `${notAny([...starts, ...node.children.keys()])}${plain}*`;
  return `(?:${[away, ...onward].join('|')})?`;
}

/**
 * Texts that hold none of `forbid`, as a regular expression in the syntax JavaScript and Python share; undefined
 * when a forbidden string holds another's first character after its own start, which this form cannot express.
 *
 * Every forbidden string starts with one of a few characters (`<`, a newline); the text is cut before each of
 * those, and each piece must not begin with a forbidden string. Markup never holds its first character again,
 * so a forbidden string lies within one piece and the expression stays the size of the strings it forbids.
 */
export function textWithout(forbid: readonly string[]): string | undefined {
  const starts = new Set(forbid.map((text) => text[0] as string));
  if (forbid.some((text) => [...text.slice(1)].some((char) => starts.has(char)))) return undefined;
  const plain = starts.size === 0 ? '[\\s\\S]' : notAny(starts);
  const pieces = [...starts]
    .map((start) => ({ start, trie: trieOf(forbid.filter((text) => text.startsWith(start)).map((text) => text.slice(1))) }))
    // A forbidden string of one character leaves no piece that starts with it.
    .filter(({ trie }) => !trie.end)
    .map(({ start, trie }) => `${escapeChar(start)}${withoutPrefix(trie, starts, plain)}`);
  return pieces.length === 0 ? `${plain}*` : `${plain}*(?:${pieces.join('|')})*`;
}

/** `text` as a regular expression that matches it alone. */
export const literalRegex = (text: string): string => [...text].map(escapeChar).join('');

/**
 * The constraint of `sampling` (no forbidden string before a stop string; ending on a stop string when one is
 * required) as a regular expression the whole generated text, stop string included, must match: what vLLM's
 * `structured_outputs.regex` and SGLang's `regex` take. Undefined when there is nothing to constrain or
 * `textWithout` cannot say it.
 */
export function constraintRegex({ forbid, stop, requireStop }: Constraint): string | undefined {
  if (forbid.length === 0 && !requireStop) return undefined;
  const body = textWithout(forbid);
  if (body === undefined || !requireStop || stop.length === 0) return body;
  return `${body}(?:${stop.map(literalRegex).join('|')})`;
}

/** Why a candidate breaks the constraint of `sampling`, for a backend that could only check it after sampling; undefined when it keeps it. */
export function brokenConstraint(candidate: Candidate, { forbid, requireStop }: Constraint): string | undefined {
  const found = forbid.find((text) => candidate.text.includes(text));
  if (found !== undefined) return `holds ${JSON.stringify(found)}`;
  // Only an end of sequence the server names is known (vLLM's `stop_reason: null`); elsewhere it reads as a stop.
  if (requireStop && candidate.finishReason === 'eos') return 'ended before its stop string';
  return undefined;
}
