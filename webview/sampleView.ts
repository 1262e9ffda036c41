import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import * as l10n from '@vscode/l10n';
import { html, nothing, render, type TemplateResult } from 'lit';
import { guard } from 'lit/directives/guard.js';
import { repeat } from 'lit/directives/repeat.js';
import type { Sample, SampleQuestionPart, SampleResponse, SampleSegment } from '../src/protocol';
import { adjudicationPanel } from './adjudication';
import { action } from './controls';
import { hasMath, renderMath } from './math';
import { regenerationPanel } from './regeneration';
import { reviewStatusName } from './reviewStatus';
import { boxOverlay, draggedBox, type FirstErrorEdit, firstErrorControls, firstErrorIndex, sampleBoxes, suggestionChip } from './stepLabels';
import type { Focus } from './state/focus';
import { placement, type ShownRun, type Side } from './state/regenerationState';
import { currentConflict, type OperationRequest, type ViewEvent, type ViewState } from './state/viewState';
import { wordDiff } from './wordDiff';

export type Dispatch = (event: ViewEvent) => void;

/** Which reply a card's operations address: a side and turn, or a search path's model. */
interface ReplyTarget {
  side: Side;
  turn: number;
  model?: string;
}

/** The record's own label for a step, as its header shows it: `record +1 · MC 0.125 (2/16) · first error: Reasoning`. */
function sourceLabelText(label: NonNullable<SampleSegment['sourceLabel']>): string {
  const rating = label.rating === null ? l10n.t('unlabelled') : label.rating === 1 ? '+1' : String(label.rating);
  const score = label.score === undefined ? '' : ` · MC ${label.score}${label.rollouts ? ` (${label.rollouts.correct}/${label.rollouts.total})` : ''}`;
  const firstError = label.firstError === undefined ? '' : ` · ${l10n.t('first error: {0}', label.firstError)}`;
  return `${l10n.t('record {0}', rating)}${score}${firstError}`;
}

/**
 * A segment's content as one string, what a card is drawn again for: a new sample brings new objects for unchanged
 * segments, and a key press draws the view again, so the string is made once per segment object.
 */
const contents = new WeakMap<SampleSegment, string>();
/** A step's Monte Carlo score as a bar (a meter: it carries its value without a style) and its counts. */
function monteCarloBar({ score, correct, total, policy }: NonNullable<SampleSegment['monteCarlo']>): TemplateResult {
  const said = l10n.t('Monte Carlo score {0}: {1} of {2} rollouts by {3} reached the answer', score.toFixed(2), correct, total, policy);
  return html`<span class="segment-mc" title=${said}
    ><meter min="0" max="1" low="0.34" high="0.67" optimum="1" .value=${score} aria-label=${said}></meter
    ><span class="segment-mc-count">${l10n.t('MC {0}/{1}', correct, total)}</span></span
  >`;
}

function contentOf(segment: SampleSegment): string {
  let content = contents.get(segment);
  if (content === undefined) {
    content = JSON.stringify(segment);
    contents.set(segment, content);
  }
  return content;
}

const cardKey = (side: Side, turn: number, model: string | undefined, segment: number): string => `${side}:${turn}:${model ?? ''}:${segment}`;

/**
 * The selected sample, drawn from the store: its images, question, ground truth, problems, and the replies as
 * segment cards with ratings, first error, in-place editing, reflections and regeneration; plus the review bar.
 * Cards are keyed and drawn again only when what they show changed, and text is typeset once: a focus move draws
 * no card (the focus is a class), a rating draws one, and no formula is typeset again. Each card carries the
 * number of the draw that made it (`data-drawn`), which tests read to count draws.
 */
export class SampleView {
  readonly element = document.createElement('section');
  private draws = 0;
  /** The card the regeneration panel was in, so that it is scrolled into view only when it moves. */
  private panelCard: string | undefined;
  /** The first error whose box is being drawn: the next drag on an image sets it. */
  private drawing: { key: string; mark: (box: NonNullable<FirstErrorEdit['box']>) => void } | undefined;
  /** Images' own sizes by source, known once loaded: the boxes' coordinate space. */
  private readonly natural = new Map<string, { width: number; height: number }>();
  private last: ViewState | undefined;

  constructor(private readonly dispatch: Dispatch) {
    this.element.className = 'sample-view';
    this.element.setAttribute('aria-label', l10n.t('Sample'));
  }

  update(state: ViewState): void {
    if (state.sample !== this.last?.sample && state.sample?.line !== this.last?.sample?.line) this.drawing = undefined;
    this.last = state;
    const following = this.followingCandidates();
    render(this.template(state), this.element);
    const { turn, segment, model } = state.focus;
    const focused = cardKey('primary', turn, model, segment);
    for (const card of this.element.querySelectorAll<HTMLElement>('.segment-card')) card.classList.toggle('focused', card.dataset.key === focused);
    for (const text of following) text.scrollTop = text.scrollHeight;
    const at = placement(state.regeneration);
    const key = at && cardKey(at.side, at.turn, undefined, at.segment);
    // With `rest` the panel goes from card to card: keep it in sight as it moves down the response.
    if (key !== this.panelCard && key) this.element.querySelector('.regeneration')?.scrollIntoView({ block: 'nearest' });
    this.panelCard = key;
  }

  revealFocus(): void {
    this.element.querySelector('.segment-card.focused')?.scrollIntoView({ block: 'nearest' });
  }

  /** Puts the cursor in the editor once the control has drawn its text area. */
  async focusEditor(): Promise<void> {
    const input = this.element.querySelector<HTMLElement & { updateComplete?: Promise<unknown> }>('.segment-card.focused .segment-input');
    await input?.updateComplete;
    input?.focus();
  }

  /** Candidate texts scrolled to their end, which follow the text as it grows (unless the reader scrolled back). */
  private followingCandidates(): HTMLElement[] {
    return [...this.element.querySelectorAll<HTMLElement>('.regeneration-text')].filter((text) => text.scrollTop + text.clientHeight >= text.scrollHeight - 4);
  }

  private run(operation: OperationRequest): void {
    this.dispatch({ type: 'run', operation });
  }

  private template(state: ViewState): TemplateResult {
    const sample = state.sample;
    if (!sample) return html`<p class="sample-empty">${l10n.t('Select a sample.')}</p>`;
    const heading = this.heading(sample, state.latex);
    if (sample.unreadable)
      return html`${heading}<p class="sample-problem">${sample.unreadable.reason}</p><pre class="sample-raw">${sample.unreadable.text}</pre>`;
    const problems =
      sample.problems.length === 0
        ? nothing
        : html`<ul class="sample-problems" aria-label=${l10n.t('Checks that fail')}>
            ${sample.problems.map((problem) => html`<li class="problem ${problem.severity}">${problem.check}: ${problem.message}</li>`)}
          </ul>`;
    const adjudication = adjudicationPanel(sample.conflicts, currentConflict(state), (conflict, take) =>
      this.run({ kind: 'resolveConflict', conflict: conflict.index, path: conflict.path, take }),
    );
    const field = (label: string, text: string | null | undefined, className: string) =>
      text === null || text === undefined ? nothing : this.field(label, text, className, state.latex);
    if (sample.conversation) {
      return html`${heading}${problems}${adjudication}${field(l10n.t('System prompt'), sample.system, 'sample-system')}${this.conversation(sample, sample.conversation, state)}${field(
        l10n.t('Ground truth'),
        sample.groundTruth,
        'sample-ground-truth',
      )}`;
    }
    const [first, rejected] = sample.responses;
    const responses =
      first && rejected?.role === 'rejected'
        ? this.pair(first, rejected, state)
        : sample.responses.map((response, position) => this.response(response, position, state));
    return html`${heading}${problems}${adjudication}
      <div class="sample-images">${sample.images.map((image) => this.image(image, sample))}</div>
      ${field(l10n.t('System prompt'), sample.system, 'sample-system')} ${field(l10n.t('Question'), sample.question, 'sample-question')}
      ${field(l10n.t('Ground truth'), sample.groundTruth, 'sample-ground-truth')} ${field(l10n.t('Prefix prompt'), sample.prefixPrompt, 'sample-prefix-prompt')}
      ${responses}
      ${sample.responses.length === 0 ? html`<p class="sample-empty">${l10n.t('This record has no response (a prompt with its ground truth).')}</p>` : nothing}`;
  }

  /** A response; after the first, a tree search's other paths are rated and edited by model, other responses shown to read. */
  private response(response: SampleResponse, position: number, state: ViewState): TemplateResult {
    const model = position > 0 && response.role === 'response' ? (response.model ?? undefined) : undefined;
    let role: TemplateResult | typeof nothing = nothing;
    if (response.model !== null) {
      const verdict = response.correct === null ? '' : ` · ${response.correct ? l10n.t('correct') : l10n.t('incorrect')}`;
      const value = response.value === undefined ? '' : ` · ${l10n.t('value {0}', response.value)}`;
      role = html`<h3 class="response-role">${response.model}${verdict}${value}</h3>`;
    }
    const segments =
      position === 0 || model !== undefined
        ? this.cards(response.segments, 'primary', response.turn, state, model)
        : response.segments.map((segment) => this.field(segment.label, segment.text, 'sample-segment', state.latex));
    return html`<div class="response">
      ${role}${response.segments.length === 0 ? html`<p class="sample-empty">${l10n.t('This response has no segments.')}</p>` : nothing}${segments}
    </div>`;
  }

  /** A preference pair side by side; the rejected side shows its word differences from the chosen one, then a compact card per segment. */
  private pair(chosen: SampleResponse, rejected: SampleResponse, state: ViewState): TemplateResult {
    return html`<div class="response-pair">
      <div class="pair-actions" role="toolbar" aria-label=${l10n.t('Preference pair')}>
        ${action({
          label: l10n.t('Chosen is better'),
          name: l10n.t('Mark chosen as better'),
          onClick: () => this.run({ kind: 'markPreference', turn: chosen.turn, chosen: { text: chosen.text }, rejected: { text: rejected.text } }),
        })}
        ${action({ label: l10n.t('Rejected is better'), name: l10n.t('Swap chosen and rejected'), onClick: () => this.run({ kind: 'swapSides' }) })}
      </div>
      <div class="pair-columns">
        <div class="response chosen">
          <h3 class="response-role">${l10n.t('chosen')}</h3>
          ${this.cards(chosen.segments, 'primary', chosen.turn, state)}
        </div>
        <div class="response rejected">
          <h3 class="response-role">${l10n.t('rejected (differences from chosen marked)')}</h3>
          ${guard([chosen.text, rejected.text], () => wordDiff(chosen.text, rejected.text, 'word-diff pair-diff'))}
          ${this.cards(rejected.segments, 'rejected', rejected.turn, state)}
        </div>
      </div>
    </div>`;
  }

  private heading(sample: Sample, latex: boolean): TemplateResult {
    const status = sample.review.status;
    const note = sample.unreadable
      ? nothing
      : html`<vscode-textfield
          class="review-note"
          placeholder=${l10n.t('Review note')}
          .label=${l10n.t('Review note')}
          .value=${sample.review.note}
          @change=${(event: Event) => this.run({ kind: 'setReviewStatus', status, note: (event.currentTarget as HTMLInputElement).value })}
        ></vscode-textfield>`;
    return html`<header class="sample-heading">
      <h2 class="sample-title">${l10n.t('Line {0}', sample.line)}</h2>
      ${sample.format ? html`<span class="sample-format">${sample.format}</span>` : nothing}
      ${action({
        label: latex ? l10n.t('Raw LaTeX') : l10n.t('Render LaTeX'),
        name: l10n.t('Render LaTeX'),
        pressed: latex,
        onClick: () => this.dispatch({ type: 'toggleLatex' }),
      })}
      <div class="review-bar" role="toolbar" aria-label=${l10n.t('Review')}>
        <span class="review-status ${status}" aria-label=${l10n.t('Review status: {0}', reviewStatusName(status))}>${reviewStatusName(status)}</span>
        ${action({ label: l10n.t('Accept'), name: l10n.t('Accept sample'), icon: 'pass', onClick: () => this.dispatch({ type: 'key', key: 'a' }) })}
        ${action({ label: l10n.t('Reject'), name: l10n.t('Reject sample'), icon: 'circle-slash', onClick: () => this.dispatch({ type: 'key', key: 'r' }) })}
        ${action({ label: l10n.t('Needs fix'), name: l10n.t('Needs fix'), icon: 'tools', onClick: () => this.dispatch({ type: 'key', key: 'n' }) })}
        ${note}
      </div>
    </header>`;
  }

  /**
   * An image of the record, or why it cannot be shown, with the first errors' boxes over it. While a box is being
   * drawn the image is zoomed and a drag on it sets the box, in the image's own pixels.
   */
  private image(image: Sample['images'][number], sample: Sample): TemplateResult {
    const { src } = image;
    if (!src) return html`<div class="image-placeholder">${image.problem ?? l10n.t('cannot show {0}', image.path)}</div>`;
    const index = Math.max(
      0,
      sample.images.findIndex((other) => other.path === image.path),
    );
    const boxes = sampleBoxes(sample).filter((box) => (box.image ?? 0) === index);
    const natural = this.natural.get(src);
    const drawing = this.drawing;
    let start: { x: number; y: number } | undefined;
    return html`<span class="image-frame${drawing ? ' drawing' : ''}"
      ><img
        class="sample-image${drawing ? ' zoomed' : ''}"
        src=${src}
        alt=${image.path}
        tabindex="0"
        title=${drawing ? l10n.t('Drag a box where the step misreads the image') : l10n.t('Click to zoom')}
        draggable="false"
        @load=${(event: Event) => {
          const img = event.currentTarget as HTMLImageElement;
          this.natural.set(src, { width: img.naturalWidth, height: img.naturalHeight });
          if (boxes.length > 0 && this.last) this.update(this.last);
        }}
        @click=${(event: Event) => {
          if (!this.drawing) (event.currentTarget as HTMLElement).classList.toggle('zoomed');
        }}
        @pointerdown=${(event: PointerEvent) => {
          if (!this.drawing) return;
          event.preventDefault();
          start = { x: event.offsetX, y: event.offsetY };
        }}
        @pointerup=${(event: PointerEvent) => {
          const img = event.currentTarget as HTMLImageElement;
          if (!this.drawing || !start) return;
          const box = draggedBox(start, { x: event.offsetX, y: event.offsetY }, { index, clientWidth: img.clientWidth, naturalWidth: img.naturalWidth });
          start = undefined;
          if (!box) return;
          const { mark } = this.drawing;
          this.drawing = undefined;
          mark(box);
        }}
      />${natural && boxes.length > 0 ? boxOverlay(boxes, natural) : nothing}</span
    >`;
  }

  /** A conversation in order: each question with its images where its placeholders stand, each reply with its segment cards. */
  private conversation(sample: Sample, conversation: NonNullable<Sample['conversation']>, state: ViewState): TemplateResult {
    let question = 0;
    const entries = conversation.map((entry) => {
      if (entry.role === 'user') {
        question += 1;
        return html`<li class="conversation-turn user">
          <h3 class="field-label">${l10n.t('Question {0}', question)}</h3>
          ${this.question(entry.parts, state.latex, sample)}
        </li>`;
      }
      const reply = entry.turn === 0 ? sample.responses[0] : sample.laterReplies[entry.turn - 1];
      // A preference record whose prompt holds earlier exchanges: its sides answer the last question.
      const rejected = sample.responses[1]?.role === 'rejected' && sample.responses[1].turn === entry.turn ? sample.responses[1] : undefined;
      const body =
        reply && rejected
          ? this.pair(reply, rejected, state)
          : html`${!reply || reply.segments.length === 0 ? html`<p class="sample-empty">${l10n.t('This reply has no segments.')}</p>` : nothing}${this.cards(
              reply?.segments ?? [],
              'primary',
              entry.turn,
              state,
            )}`;
      return html`<li class="conversation-turn ${entry.role}" data-turn=${entry.turn}>
        <h3 class="response-role">${l10n.t('Reply {0} (turn {1})', entry.turn + 1, entry.turn)}</h3>
        ${body}
      </li>`;
    });
    return html`<ol class="conversation" aria-label=${l10n.t('Conversation')}>${entries}</ol>`;
  }

  private question(parts: SampleQuestionPart[], latex: boolean, sample: Sample): TemplateResult {
    return html`<div class="sample-field sample-question">
      ${parts.map((part) => (part.kind === 'image' ? this.image(part.image, sample) : this.text(part.text, 'field-text', latex)))}
    </div>`;
  }

  private field(label: string, text: string, className: string, latex: boolean): TemplateResult {
    return html`<div class="sample-field ${className}"><h3 class="field-label">${label}</h3>${this.text(text, 'field-text', latex)}</div>`;
  }

  /** Dataset text as text, its LaTeX typeset unless the user asked for the raw form; typeset again only when it changes. */
  private text(text: string, className: string, latex: boolean): unknown {
    return guard([text, latex, className], () => (latex && hasMath(text) ? renderMath(text, className) : html`<div class=${className}>${text}</div>`));
  }

  private cards(segments: SampleSegment[], side: Side, turn: number, state: ViewState, model?: string): unknown {
    const firstError = side === 'primary' ? firstErrorIndex(segments) : undefined;
    return repeat(
      segments,
      (segment) => cardKey(side, turn, model, segment.index),
      (segment) => this.card(segment, side, turn, model, state, segment.index === firstError),
    );
  }

  /**
   * A segment card, drawn again only when something it shows changed. The first response's cards take the focus
   * and carry ratings and editing; the rejected side's are compact (its text is in the word diff): regeneration
   * and alternatives only.
   */
  private card(segment: SampleSegment, side: Side, turn: number, model: string | undefined, state: ViewState, firstError: boolean): unknown {
    const at: Focus = model === undefined ? { turn, segment: segment.index } : { turn, segment: segment.index, model };
    const editing = side === 'primary' && state.editing?.turn === at.turn && state.editing.segment === at.segment && state.editing.model === at.model;
    const where = placement(state.regeneration);
    const panel = model === undefined && where?.side === side && where.turn === turn && where.segment === segment.index ? state.regeneration.shown : undefined;
    const busy = state.regeneration.running !== undefined;
    const inConversation = state.sample?.conversation !== null;
    const drawing = this.drawing?.key === cardKey(side, turn, model, segment.index);
    return guard(
      [contentOf(segment), editing, state.latex, inConversation, panel, panel && state.treeStep, panel && state.treeTab, busy, firstError, drawing],
      () => this.drawCard(segment, side, turn, model, state, { editing, panel, busy, firstError, drawing }),
    );
  }

  private drawCard(
    segment: SampleSegment,
    side: Side,
    turn: number,
    model: string | undefined,
    state: ViewState,
    { editing, panel, busy, firstError, drawing }: { editing: boolean; panel: ShownRun | undefined; busy: boolean; firstError: boolean; drawing: boolean },
  ): TemplateResult {
    this.draws += 1;
    const primary = side === 'primary';
    const at: Focus = model === undefined ? { turn, segment: segment.index } : { turn, segment: segment.index, model };
    const target: ReplyTarget = { side, turn, ...(model === undefined ? {} : { model }) };
    const named =
      model !== undefined
        ? l10n.t('{0} of {1}', segment.label, model)
        : turn === 0 || !state.sample?.conversation
          ? segment.label
          : l10n.t('{0} of reply {1}', segment.label, turn + 1);
    const name = primary ? named : l10n.t('rejected {0}', named);
    const regenerate = (rest: boolean, method: 'beam' | 'mcts') =>
      this.dispatch({
        type: 'regeneration',
        event: { type: 'start', target: { line: state.sample?.line ?? 0, segment: segment.index, side, turn, rest, method } },
      });
    const ratings = primary
      ? html`<div class="rating-group" role="group" aria-label=${l10n.t('Rating of {0}', named)}>
          ${([1, 0, -1] as const).map((rating) =>
            action({
              label: rating === 1 ? '+1' : String(rating),
              name: rating === 1 ? l10n.t('Rate {0} correct', named) : rating === 0 ? l10n.t('Rate {0} neutral', named) : l10n.t('Rate {0} incorrect', named),
              className: `rating${segment.rating === rating ? ' selected' : ''}`,
              pressed: segment.rating === rating,
              rating,
              onClick: () => this.dispatch({ type: 'rate', focus: at, rating }),
            }),
          )}
        </div>
        ${action({
          label: l10n.t('First error'),
          name: l10n.t('First error at {0}', named),
          icon: 'debug-breakpoint-conditional',
          onClick: () => {
            this.dispatch({ type: 'focus', focus: at });
            this.dispatch({ type: 'key', key: 'f' });
          },
        })}
        ${action({ label: l10n.t('Edit'), name: l10n.t('Edit {0}', named), icon: 'edit', onClick: () => this.dispatch({ type: 'edit', focus: at }) })}
        ${
          model === undefined
            ? action({
                label: l10n.t('Pre-label'),
                name: l10n.t('Pre-label the steps of this reply'),
                icon: 'sparkle',
                onClick: () => {
                  this.dispatch({ type: 'focus', focus: at });
                  this.dispatch({ type: 'key', key: 'p' });
                },
              })
            : nothing
        }`
      : nothing;
    const regenerations =
      model === undefined
        ? html`${action({
            label: l10n.t('Regenerate'),
            name: l10n.t('Regenerate {0}', name),
            icon: 'refresh',
            className: 'regenerate',
            disabled: busy,
            onClick: () => regenerate(false, 'beam'),
          })}
          ${action({
            label: l10n.t('From here'),
            name: l10n.t('Regenerate {0} and the rest', name),
            icon: 'run-below',
            className: 'regenerate',
            disabled: busy,
            onClick: () => regenerate(true, 'beam'),
          })}
          ${action({
            label: l10n.t('Tree search'),
            name: l10n.t('Tree search from {0}', name),
            icon: 'type-hierarchy',
            className: 'regenerate',
            disabled: busy,
            onClick: () => regenerate(false, 'mcts'),
          })}`
        : nothing;
    const body = primary ? (editing ? this.editor(segment, named, target) : this.text(segment.text, 'segment-text', state.latex)) : nothing;
    return html`<article
      class="segment-card${segment.stale ? ' stale' : ''}${primary ? '' : ' compact'}"
      data-key=${cardKey(side, turn, model, segment.index)}
      data-segment=${segment.index}
      data-side=${side}
      data-turn=${turn}
      data-model=${model ?? nothing}
      data-rating=${segment.rating === null ? 'none' : String(segment.rating)}
      data-drawn=${this.draws}
      aria-label=${name}
      @click=${() => {
        if (primary) this.dispatch({ type: 'focus', focus: at });
      }}
    >
      <header class="segment-header">
        <span class="segment-label ${segment.kind}">${segment.label}</span>
        ${segment.stale ? html`<span class="segment-stale">${l10n.t('stale: an earlier segment changed')}</span>` : nothing}
        ${segment.sourceLabel ? html`<span class="segment-source-label">${sourceLabelText(segment.sourceLabel)}</span>` : nothing}
        ${segment.monteCarlo ? monteCarloBar(segment.monteCarlo) : nothing}
        ${
          primary && segment.prelabel
            ? suggestionChip(segment.prelabel, named, () =>
                this.run({ kind: 'confirmPrelabels', ...(model === undefined ? { turn } : { model }), segments: [segment.index] }),
              )
            : nothing
        }
        ${
          primary && segment.disagrees
            ? html`<span class="segment-disagreement" title=${l10n.t('The rating, the suggestion and the Monte Carlo score of this step disagree')}
                >${l10n.t('labels disagree')}</span
              >`
            : nothing
        }
        ${segment.alternatives.length > 0 ? html`<span class="segment-alternatives">${l10n.t('{0} alternatives', segment.alternatives.length)}</span>` : nothing}
        <div class="segment-actions">${ratings}${regenerations}</div>
      </header>
      ${body} ${primary && firstError ? this.firstError(segment, named, target, state, drawing) : nothing}
      ${panel ? regenerationPanel(panel, state, this.dispatch) : nothing}
      ${segment.alternatives.length > 0 ? this.alternatives(segment, target, name) : nothing}
    </article>`;
  }

  /** The first error's kind, note and box; marking the kind keeps the reply's ratings as the first error set them. */
  private firstError(segment: SampleSegment, named: string, target: ReplyTarget, state: ViewState, drawing: boolean): TemplateResult {
    const where = target.model === undefined ? { turn: target.turn } : { model: target.model };
    const mark = (edit: FirstErrorEdit) => this.run({ kind: 'markFirstError', segment: segment.index, ...where, ...edit });
    const key = cardKey(target.side, target.turn, target.model, segment.index);
    return firstErrorControls(segment.firstError, named, {
      hasImages: (state.sample?.images.length ?? 0) > 0,
      drawing,
      mark,
      drawBox: () => {
        this.drawing = drawing
          ? undefined
          : {
              key,
              mark: (box) => mark({ errorType: 'perception', ...(segment.firstError?.note ? { note: segment.firstError.note } : {}), box }),
            };
        this.update(this.last ?? state);
        if (this.drawing) this.element.querySelector('.sample-image')?.scrollIntoView({ block: 'nearest' });
      },
    });
  }

  /** Candidates for a segment side by side: each with its word diff against the current text, provenance, and actions. */
  private alternatives(segment: SampleSegment, target: ReplyTarget, segmentName: string): TemplateResult {
    return html`<details class="alternatives" open>
      <summary>${l10n.t('Alternatives for {0}', segmentName)}</summary>
      ${segment.alternatives.map((alternative, index) => {
        const { provenance } = alternative;
        // Which images the model was shown, as the record names them, or that it read the text alone.
        const images = provenance.parameters?.images;
        const facts = [
          provenance.source,
          provenance.model,
          provenance.method,
          provenance.score === undefined ? undefined : l10n.t('score {0}', provenance.score),
          typeof images === 'string' ? l10n.t('images: {0}', images) : undefined,
        ]
          .filter((fact): fact is string => fact !== undefined)
          .join(' · ');
        const rated = alternative.rating === null ? '' : ` · ${l10n.t('rated {0}', alternative.rating)}`;
        const name = l10n.t('alternative {0} for {1}', index + 1, segmentName);
        return html`<div class="alternative">
          <div class="alternative-meta">${index + 1}. ${facts}${rated}</div>
          ${guard([segment.text, alternative.text], () => wordDiff(segment.text, alternative.text))}
          <div class="alternative-actions">
            ${action({
              label: l10n.t('Accept'),
              name: l10n.t('Accept {0}', name),
              onClick: () => this.run({ kind: 'acceptAlternative', segment: segment.index, ...target, alternative: index }),
            })}
            ${action({
              label: l10n.t('Better'),
              name: l10n.t('Mark {0} better than the current text', name),
              onClick: () => this.run({ kind: 'markPreference', segment: segment.index, ...target, chosen: index, rejected: 'current' }),
            })}
            ${action({
              label: l10n.t('Worse'),
              name: l10n.t('Mark {0} worse than the current text', name),
              onClick: () => this.run({ kind: 'markPreference', segment: segment.index, ...target, chosen: 'current', rejected: index }),
            })}
          </div>
        </div>`;
      })}
    </details>`;
  }

  /** The segment's text to edit (Ctrl+Enter saves, Escape cancels), and a correction to insert as a reflection. */
  private editor(segment: SampleSegment, named: string, target: ReplyTarget): TemplateResult {
    const valueIn = (event: Event, selector: string): string =>
      (event.currentTarget as HTMLElement).closest('.segment-editor')?.querySelector<HTMLTextAreaElement>(selector)?.value ?? '';
    const save = (event: Event) => {
      const text = valueIn(event, '.segment-input');
      this.dispatch({ type: 'edit', focus: undefined });
      if (text !== segment.text) this.run({ kind: 'editSegment', segment: segment.index, ...target, text });
    };
    const keys = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        this.dispatch({ type: 'edit', focus: undefined });
      } else if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        save(event);
      }
    };
    const reflect = (event: Event) => {
      const correction = valueIn(event, '.segment-reflection');
      if (correction.trim() === '') return;
      this.dispatch({ type: 'edit', focus: undefined });
      this.run({ kind: 'insertReflection', segment: segment.index, ...target, correction });
    };
    return html`<div class="segment-editor">
      <vscode-textarea
        class="segment-input"
        .value=${segment.text}
        rows=${Math.min(16, Math.max(3, segment.text.split('\n').length + 1))}
        .label=${l10n.t('Text of {0}', named)}
        @keydown=${keys}
      ></vscode-textarea>
      <div class="editor-actions">
        ${action({ label: l10n.t('Save'), name: l10n.t('Save {0}', named), primary: true, onClick: save })}
        ${action({ label: l10n.t('Cancel'), name: l10n.t('Cancel editing'), onClick: () => this.dispatch({ type: 'edit', focus: undefined }) })}
        <vscode-textarea
          class="segment-reflection"
          rows="2"
          placeholder=${l10n.t('Correction for a reflection (optional)')}
          .label=${l10n.t('Correction after a reflection in {0}', named)}
        ></vscode-textarea>
        ${action({ label: l10n.t('Insert reflection'), name: l10n.t('Insert reflection in {0}', named), onClick: reflect })}
      </div>
    </div>`;
  }
}
