import { DFA, JS, NFA, TooManyNodesError } from 'refa';
import { errorMessage } from '../../errors/message';

/** A regular expression whose DFA needs more states than this is refused: building it would stall the engine. */
const MAX_STATES = 20_000;
/** Requests repeat the same few expressions (one per segment kind); each is compiled once. */
const CACHE_SIZE = 32;

/** Where a text stands in the expression: a state that can still reach a match, or undefined once none can. */
export type RegexState = number | undefined;

/**
 * A regular expression a whole text must match (as vLLM's structured outputs read `regex`), compiled to a DFA so a
 * decode can ask, character by character, whether the text so far can still become a match. JavaScript syntax
 * without flags; a text is read as UTF-16 code units, as the expression's character classes are.
 */
export class TextRegex {
  private constructor(
    /** Per state, the next state for a code unit; undefined where no match can follow. */
    private readonly next: ReadonlyArray<(unit: number) => number | undefined>,
    private readonly finals: ReadonlySet<number>,
  ) {}

  get start(): RegexState {
    return this.next.length > 0 ? 0 : undefined;
  }

  /** The state after reading `text` from `state`. */
  advance(state: RegexState, text: string): RegexState {
    let at = state;
    for (let i = 0; i < text.length && at !== undefined; i++) at = (this.next[at] as (unit: number) => number | undefined)(text.charCodeAt(i));
    return at;
  }

  /** Whether the text read so far is a whole match, so the candidate may end here. */
  accepts(state: RegexState): boolean {
    return state !== undefined && this.finals.has(state);
  }

  private static readonly compiled = new Map<string, TextRegex>();

  /** Throws a SyntaxError naming what is wrong for an expression that does not parse or cannot be a DFA. */
  static compile(source: string): TextRegex {
    const cached = TextRegex.compiled.get(source);
    if (cached) return cached;
    const built = TextRegex.build(source);
    if (TextRegex.compiled.size >= CACHE_SIZE) TextRegex.compiled.delete(TextRegex.compiled.keys().next().value as string);
    TextRegex.compiled.set(source, built);
    return built;
  }

  private static build(source: string): TextRegex {
    let dfa: DFA;
    try {
      const { expression, maxCharacter } = JS.Parser.fromLiteral({ source, flags: '' }).parse();
      const nfa = NFA.fromRegex(expression, { maxCharacter }, { assertions: 'throw' }, new NFA.LimitedNodeFactory(MAX_STATES));
      dfa = DFA.fromFA(nfa, new DFA.LimitedNodeFactory(MAX_STATES));
      dfa.minimize();
    } catch (error) {
      if (error instanceof TooManyNodesError) throw new SyntaxError(`the regular expression needs more than ${MAX_STATES} states`);
      throw new SyntaxError(`the regular expression cannot be used: ${errorMessage(error)}`);
    }
    // Only states from which a final state can be reached are kept: reading into any other is a dead end.
    const nodes = [...dfa.nodes()];
    const live = new Set(dfa.finals);
    for (let grew = true; grew; ) {
      grew = false;
      for (const node of nodes) {
        if (live.has(node)) continue;
        if ([...node.out.values()].some((target) => live.has(target))) {
          live.add(node);
          grew = true;
        }
      }
    }
    if (!live.has(dfa.initial)) return new TextRegex([], new Set());
    const ordered = [dfa.initial, ...nodes.filter((node) => node !== dfa.initial && live.has(node))];
    const index = new Map(ordered.map((node, i) => [node, i]));
    const next = ordered.map((node) => (unit: number) => {
      const target = node.out.get(unit);
      return target === undefined ? undefined : index.get(target);
    });
    const finals = new Set([...dfa.finals].map((node) => index.get(node)).filter((i): i is number => i !== undefined));
    return new TextRegex(next, finals);
  }
}
