import type { Candidate, FinishReason } from '../../protocol';
import type { ChoiceDelta } from './wire';

interface Draft {
  seen: boolean;
  text: string;
  tokens: number[];
  tokenLogprobs: number[];
  finishReason?: FinishReason;
  stopString?: string;
}

/**
 * OpenAI's reasons are stop, length, and (vLLM) abort. A stop is an end of sequence where the server says so (vLLM's
 * `stop_reason: null`); elsewhere it cannot be told from a stop string.
 */
function finishReason(delta: ChoiceDelta & { finishReason: string }): FinishReason {
  if (delta.finishReason === 'length') return 'length';
  if (delta.finishReason === 'abort') return 'cancelled';
  return delta.endOfSequence ? 'eos' : 'stop';
}

/** Builds the candidates of one attempt from the streamed choice deltas. */
export class CandidateDrafts {
  private readonly drafts: Draft[];

  constructor(n: number) {
    this.drafts = Array.from({ length: n }, () => ({ seen: false, text: '', tokens: [], tokenLogprobs: [] }));
  }

  add(delta: ChoiceDelta): void {
    const draft = this.drafts[delta.index];
    if (draft === undefined) throw new Error(`malformed response: choice index ${delta.index}, but ${this.drafts.length} candidate(s) were asked for`);
    draft.seen = true;
    draft.text += delta.text;
    draft.tokens.push(...delta.tokenIds);
    draft.tokenLogprobs.push(...delta.logprobs);
    if (delta.finishReason !== undefined) draft.finishReason = finishReason({ ...delta, finishReason: delta.finishReason });
    if (delta.stopString !== undefined) draft.stopString = delta.stopString;
  }

  /** Whether any text has been handed on, after which an attempt cannot be repeated without duplicating it. */
  get delivered(): boolean {
    return this.drafts.some((draft) => draft.text !== '');
  }

  /** The candidates of a stream that ended normally. */
  finished(): Candidate[] {
    const returned = this.drafts.filter((draft) => draft.seen).length;
    if (returned < this.drafts.length) {
      throw new Error(`the server returned ${returned} of ${this.drafts.length} candidates (it may not support n > 1)`);
    }
    return this.drafts.map((draft) => candidate(draft, 'stop'));
  }

  /** The candidates so far, those still being decoded marked cancelled. */
  cancelled(): Candidate[] {
    return this.drafts.map((draft) => candidate(draft, 'cancelled'));
  }
}

function candidate(draft: Draft, unfinished: FinishReason): Candidate {
  const finish = draft.finishReason ?? unfinished;
  return {
    text: draft.text,
    tokens: draft.tokens,
    logprob: draft.tokenLogprobs.reduce((sum, value) => sum + value, 0),
    tokenLogprobs: draft.tokenLogprobs,
    finishReason: finish,
    ...(draft.stopString !== undefined && finish === 'stop' && { stopString: draft.stopString }),
  };
}
