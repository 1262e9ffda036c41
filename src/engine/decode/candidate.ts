import type { Candidate, FinishReason } from '../../protocol';
import type { RegexState, TextRegex } from './textRegex';

/** Decodes token ids to text; the same function the model's tokenizer gives. */
export type Detokenize = (tokens: readonly number[]) => string;

/**
 * One candidate being decoded: its tokens, its text, and whether a stop string, EOS or the token limit has
 * ended it. Stop strings are matched on the decoded text, so a stop that spans several tokens (or sits
 * inside one) cuts the text exactly where it begins.
 */
export class CandidateDecode {
  private readonly tokens: number[] = [];
  private readonly logprobs: number[] = [];
  private text = '';
  /** How much of the text has been handed to the stream. */
  private emitted = 0;
  private finish: FinishReason | undefined;
  private stopString: string | undefined;
  /** Tokens kept after a stop string cut the text. */
  private kept = 0;
  private readonly longestStop: number;
  /** Incremental detokenizing: tokens from `prefixOffset` give context, those from `readOffset` are new. */
  private prefixOffset = 0;
  private readOffset = 0;
  /** The decode of the window's context tokens, while the window stays. */
  private known: string | undefined;
  /** The last token `allows` looked at, where, and the window decoded with it. */
  private checked: { at: number; token: number; extended: string } | undefined;

  private readonly longestForbidden: number;
  /** Where the final text stands in the expression it must match. */
  private regexState: RegexState;

  constructor(
    private readonly detokenize: Detokenize,
    private readonly stops: readonly string[],
    private readonly maxTokens: number,
    /** Without a listener, stop strings or forbidden strings nobody reads the text before the end: decode it once then. */
    private readonly textWhileDecoding = true,
    /** Strings the text may never hold; see `allows`. */
    private readonly forbidden: readonly string[] = [],
    /** The expression the whole text, stop string included, must match; see `allows` and `mayEnd`. */
    private readonly regex?: TextRegex,
  ) {
    this.longestStop = Math.max(0, ...stops.map((stop) => stop.length));
    this.longestForbidden = Math.max(0, ...forbidden.map((text) => text.length));
    this.regexState = regex?.start;
  }

  /** Whether the text so far may be the whole candidate: an end of sequence may come next. */
  mayEnd(): boolean {
    return this.regex === undefined || this.regex.accepts(this.regexState);
  }

  /**
   * Whether `token` may come next: false when the text with it would hold a forbidden string before any stop
   * string, or could no longer match the expression. Only what the token adds is looked at: the text before it was
   * checked token by token. A character the token leaves incomplete is judged with the token that completes it.
   */
  allows(token: number): boolean {
    if (this.forbidden.length === 0 && this.regex === undefined) return true;
    const extended = this.detokenize([...this.tokens.slice(this.prefixOffset), token]);
    // The token drawn is the last one checked: `push` takes this decode instead of making it again.
    this.checked = { at: this.tokens.length, token, extended };
    const text = this.text + extended.slice(this.knownText().length);
    if (this.regex !== undefined && this.regex.advance(this.regexState, text.slice(this.text.length).replace(/\uFFFD+$/, '')) === undefined) return false;
    let end = text.length;
    for (const stop of this.stops) {
      const at = text.indexOf(stop, Math.max(0, this.text.length - this.longestStop + 1));
      if (at >= 0) end = Math.min(end, at);
    }
    const region = text.slice(Math.max(0, this.text.length - this.longestForbidden + 1), end);
    return !this.forbidden.some((forbidden) => region.includes(forbidden));
  }

  get done(): boolean {
    return this.finish !== undefined;
  }

  /** Tokens generated so far (all of them, even past a stop cut), i.e. what the KV cache has seen after the prompt. */
  get generated(): readonly number[] {
    return this.tokens;
  }

  /** Adds a drawn token; returns the text that became final and can be streamed. */
  push(token: number, logprob: number): string {
    this.tokens.push(token);
    this.logprobs.push(logprob);
    const previous = this.text.length;
    if (this.textWhileDecoding || this.stops.length > 0 || this.forbidden.length > 0 || this.regex !== undefined) this.appendDecoded();
    const searchFrom = Math.max(0, previous - this.longestStop + 1);
    let cut = -1;
    for (const stop of this.stops) {
      const at = this.text.indexOf(stop, searchFrom);
      if (at >= 0 && (cut < 0 || at < cut)) {
        cut = at;
        this.stopString = stop;
      }
    }
    if (cut >= 0) {
      this.text = this.text.slice(0, cut);
      this.kept = this.tokensWithin(cut);
      this.finish = 'stop';
      return this.flush(this.text.length);
    }
    this.kept = this.tokens.length;
    if (this.tokens.length >= this.maxTokens) return this.end('length');
    return this.flush(this.safeEnd());
  }

  /** Ends the candidate without adding a token (EOS, cancel); returns the held-back text. */
  end(reason: FinishReason): string {
    this.finish ??= reason;
    // A character still incomplete at the end is shown as the tokenizer shows it.
    if (this.finish !== 'stop') this.text = this.detokenize(this.tokens);
    return this.flush(this.text.length);
  }

  /**
   * Adds the text of the new tokens, decoding only a short window: the tokens since the last decode plus
   * those before them as context (tokenizers render a token differently at the start of a text). A
   * window that ends inside a multi-byte character waits for the next token.
   */
  private appendDecoded(): void {
    const known = this.knownText();
    const last = this.tokens.length - 1;
    const checked = this.checked?.at === last && this.checked.token === this.tokens[last] ? this.checked.extended : undefined;
    this.checked = undefined;
    const extended = checked ?? this.detokenize(this.tokens.slice(this.prefixOffset));
    if (extended.length <= known.length || extended.endsWith('\uFFFD')) return;
    const added = extended.slice(known.length);
    if (this.regex !== undefined) this.regexState = this.regex.advance(this.regexState, added);
    this.text += added;
    this.prefixOffset = this.readOffset;
    this.readOffset = this.tokens.length;
    this.known = undefined;
  }

  /** The text of the context tokens of the decode window, decoded once per window. */
  private knownText(): string {
    this.known ??= this.detokenize(this.tokens.slice(this.prefixOffset, this.readOffset));
    return this.known;
  }

  result(): Candidate {
    const tokens = this.tokens.slice(0, this.kept);
    const tokenLogprobs = this.logprobs.slice(0, this.kept);
    return {
      text: this.text,
      tokens,
      logprob: tokenLogprobs.reduce((sum, value) => sum + value, 0),
      tokenLogprobs,
      finishReason: this.finish ?? 'cancelled',
      ...(this.stopString !== undefined && this.finish === 'stop' ? { stopString: this.stopString } : {}),
    };
  }

  /** The text that cannot change any more: not a possible start of a stop string. */
  private safeEnd(): number {
    const end = this.text.length;
    for (let hold = Math.min(this.longestStop - 1, end - this.emitted); hold > 0; hold--) {
      const tail = this.text.slice(end - hold, end);
      if (this.stops.some((stop) => stop.startsWith(tail))) return end - hold;
    }
    return end;
  }

  private flush(end: number): string {
    if (end <= this.emitted) return '';
    const piece = this.text.slice(this.emitted, end);
    this.emitted = end;
    return piece;
  }

  /** The most tokens whose text lies within the first `length` characters. */
  private tokensWithin(length: number): number {
    for (let count = this.tokens.length; count > 0; count--) {
      if (this.detokenize(this.tokens.slice(0, count)).length <= length) return count;
    }
    return 0;
  }
}
