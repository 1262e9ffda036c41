import * as l10n from '@vscode/l10n';
import type { Operation, Sample, SampleQuestionPart, SampleResponse, SampleSegment } from '../src/protocol';
import { button, element } from './dom';
import { hasMath, renderMath } from './math';
import type { Regeneration, Side } from './regeneration';
import { reviewStatusName } from './reviewStatus';
import { FIRST_SEGMENT, type Focus, keptFocus, movedFocus, replyAt, sameFocus } from './state/focus';
import { wordDiff } from './wordDiff';

type OperationRequest = Operation extends infer O ? (O extends Operation ? Omit<O, 'line'> : never) : never;

export interface SampleViewOptions {
  /** Runs an operation on the shown record (the view fills in the line). */
  run(operation: OperationRequest): void;
  /** The focused segment changed, so the host's commands and status bar follow it. */
  onFocus(focus: Focus): void;
  /** Regeneration runs and their live panel, which the view places in the card being regenerated. */
  regeneration: Regeneration;
}

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
 * The selected sample: its images, question, ground truth, problems, and the response as segment cards
 * with ratings, first error, in-place editing, reflections and regeneration; plus the review bar.
 */
export class SampleView {
  readonly element = element('section', 'sample-view');
  private sample: Sample | undefined;
  /** The focused segment among the replies' segments. */
  private focused: Focus = FIRST_SEGMENT;
  private editing: Focus | undefined;
  /** Whether LaTeX is typeset or shown as written. */
  private renderLatex = true;
  /** The card the regeneration panel was last put in, so that it is scrolled into view only when it moves. */
  private regenerationCard: string | undefined;
  /**
   * What the last render of this record drew, by what it shows: a render reuses a card whose segment did not
   * change, and a text already typeset, so a rating redraws one card and never typesets the sample again.
   */
  private drawn = { cards: new Map<string, HTMLElement>(), texts: new Map<string, HTMLElement[]>() };
  private drawing = { cards: new Map<string, HTMLElement>(), texts: new Map<string, HTMLElement[]>() };

  constructor(private readonly options: SampleViewOptions) {
    this.element.setAttribute('aria-label', l10n.t('Sample'));
  }

  get current(): Sample | undefined {
    return this.sample;
  }

  get focusedSegment(): SampleSegment | undefined {
    return this.sample && replyAt(this.sample, this.focused)?.segments[this.focused.segment];
  }

  get isEditing(): boolean {
    return this.editing !== undefined;
  }

  show(sample: Sample): void {
    const sameRecord = this.sample?.index === sample.index;
    this.sample = sample;
    this.options.regeneration.showing(sample.line);
    if (!sameRecord) {
      this.focused = FIRST_SEGMENT;
      this.editing = undefined;
      this.drawn = { cards: new Map(), texts: new Map() };
    }
    this.focused = keptFocus(sample, this.focused);
    this.render();
  }

  moveFocus(step: number): void {
    if (!this.sample) return;
    this.setFocus(movedFocus(this.sample, this.focused, step));
    this.element.querySelector<HTMLElement>('.segment-card.focused')?.scrollIntoView({ block: 'nearest' });
  }

  rate(rating: 1 | 0 | -1): void {
    const segment = this.focusedSegment;
    if (segment) this.options.run({ kind: 'rateSegment', ...this.focused, rating: segment.rating === rating ? null : rating });
  }

  markFirstError(): void {
    const segment = this.focusedSegment;
    if (segment) this.options.run({ kind: 'markFirstError', ...this.focused });
  }

  review(status: 'accepted' | 'rejected' | 'needs_fix'): void {
    if (this.sample && !this.sample.unreadable) this.options.run({ kind: 'setReviewStatus', status });
  }

  startEditing(): void {
    const segment = this.focusedSegment;
    if (!segment) return;
    this.editing = this.focused;
    this.render();
    this.element.querySelector<HTMLTextAreaElement>('.segment-card.focused textarea')?.focus();
  }

  stopEditing(): void {
    this.editing = undefined;
    this.render();
  }

  /** Regenerates the focused segment (with `rest`, it and every later one), by beam or tree search. */
  regenerate(rest: boolean, method: 'beam' | 'mcts' = 'beam'): void {
    const segment = this.focusedSegment;
    // A search path's alternatives would be the first path's: it is not regenerated.
    if (segment && this.focused.model === undefined) this.startRegeneration(segment, 'primary', this.focused.turn, rest, method);
  }

  /** Puts the regeneration panel in the card it belongs in, and lets the Regenerate buttons follow the run. */
  placeRegeneration(): void {
    const { regeneration } = this.options;
    for (const control of this.element.querySelectorAll<HTMLButtonElement>('button.regenerate')) control.disabled = regeneration.busy;
    const at = regeneration.placement;
    const key = at && `${at.side}:${at.turn}:${at.segment}`;
    const card = at && this.element.querySelector(`.segment-card[data-side="${at.side}"][data-turn="${at.turn}"][data-segment="${at.segment}"]`);
    if (!card) {
      regeneration.panel.remove();
      this.regenerationCard = undefined;
      return;
    }
    if (regeneration.panel.parentElement !== card) card.insertBefore(regeneration.panel, card.querySelector(':scope > .alternatives'));
    // With `rest` the panel goes from card to card: keep it in sight as it moves down the response.
    if (this.regenerationCard !== key) regeneration.panel.scrollIntoView({ block: 'nearest' });
    this.regenerationCard = key;
  }

  private startRegeneration(segment: SampleSegment, side: Side, turn: number, rest: boolean, method: 'beam' | 'mcts' = 'beam'): void {
    const sample = this.sample;
    if (!sample) return;
    this.options.regeneration.start({ line: sample.line, segment: segment.index, side, turn, rest, method });
  }

  private render(): void {
    this.drawing = { cards: new Map(), texts: new Map() };
    this.element.replaceChildren(...this.renderParts());
    this.drawn = this.drawing;
    this.placeRegeneration();
    this.showFocus();
  }

  /** Moves the focus between cards without drawing them again. */
  private setFocus(focus: Focus): void {
    if (sameFocus(focus, this.focused)) return;
    this.focused = focus;
    this.showFocus();
  }

  /** Marks the focused card, and tells the host, whose commands and status bar follow it. */
  private showFocus(): void {
    for (const card of this.element.querySelectorAll('.segment-card.focused')) card.classList.remove('focused');
    const { turn, segment, model } = this.focused;
    const selector = `.segment-card[data-side="primary"][data-turn="${turn}"][data-segment="${segment}"]`;
    const cards = [...this.element.querySelectorAll<HTMLElement>(selector)];
    cards.find((card) => card.dataset.model === model)?.classList.add('focused');
    if (this.sample && this.focusedSegment) this.options.onFocus(this.focused);
  }

  /** An element drawn for the same thing by the last render, taken so that it is used once. */
  private reuse(kind: 'cards' | 'texts', key: string): HTMLElement | undefined {
    if (kind === 'cards') {
      const card = this.drawn.cards.get(key);
      this.drawn.cards.delete(key);
      return card;
    }
    return this.drawn.texts.get(key)?.shift();
  }

  private renderParts(): HTMLElement[] {
    const sample = this.sample;
    if (!sample) return [element('p', 'sample-empty', l10n.t('Select a sample.'))];
    const parts: HTMLElement[] = [this.renderHeading(sample)];
    if (sample.unreadable) {
      parts.push(element('p', 'sample-problem', sample.unreadable.reason), element('pre', 'sample-raw', sample.unreadable.text));
      return parts;
    }
    if (sample.problems.length > 0) {
      const list = element('ul', 'sample-problems');
      list.setAttribute('aria-label', l10n.t('Checks that fail'));
      for (const problem of sample.problems) list.append(element('li', `problem ${problem.severity}`, `${problem.check}: ${problem.message}`));
      parts.push(list);
    }
    if (sample.conversation) {
      if (sample.system !== null) parts.push(this.renderField(l10n.t('System prompt'), sample.system, 'sample-system'));
      parts.push(this.renderConversation(sample, sample.conversation));
      if (sample.groundTruth !== null) parts.push(this.renderField(l10n.t('Ground truth'), sample.groundTruth, 'sample-ground-truth'));
      return parts;
    }
    parts.push(this.renderImages(sample));
    if (sample.system !== null) parts.push(this.renderField(l10n.t('System prompt'), sample.system, 'sample-system'));
    if (sample.question !== null) parts.push(this.renderField(l10n.t('Question'), sample.question, 'sample-question'));
    if (sample.groundTruth !== null) parts.push(this.renderField(l10n.t('Ground truth'), sample.groundTruth, 'sample-ground-truth'));
    if (sample.prefixPrompt !== undefined) parts.push(this.renderField(l10n.t('Prefix prompt'), sample.prefixPrompt, 'sample-prefix-prompt'));
    const [first, rejected] = sample.responses;
    if (first && rejected?.role === 'rejected') parts.push(this.renderPair(first, rejected));
    else {
      // Responses after the first (other models' paths of a tree search) are shown to read, not to rate or edit.
      sample.responses.forEach((response, position) => {
        const container = element('div', 'response');
        if (response.model !== null) {
          const verdict = response.correct === null ? '' : ` · ${response.correct ? l10n.t('correct') : l10n.t('incorrect')}`;
          const value = response.value === undefined ? '' : ` · ${l10n.t('value {0}', response.value)}`;
          container.append(element('h3', 'response-role', `${response.model}${verdict}${value}`));
        }
        if (response.segments.length === 0) container.append(element('p', 'sample-empty', l10n.t('This response has no segments.')));
        // A tree search's other paths are rated and edited by model; other responses are shown to read.
        const model = position > 0 && response.role === 'response' ? (response.model ?? undefined) : undefined;
        for (const segment of response.segments) {
          container.append(
            position === 0 || model !== undefined
              ? this.renderSegment(segment, 'primary', response.turn, model)
              : this.renderField(segment.label, segment.text, 'sample-segment'),
          );
        }
        parts.push(container);
      });
    }
    if (sample.responses.length === 0) parts.push(element('p', 'sample-empty', l10n.t('This record has no response (a prompt with its ground truth).')));
    return parts;
  }

  /**
   * A preference pair side by side; the rejected side shows its word differences from the chosen one, then
   * a compact card per segment to regenerate it and weigh its alternatives.
   */
  private renderPair(chosen: SampleResponse, rejected: SampleResponse): HTMLElement {
    const pair = element('div', 'response-pair');
    const actions = element('div', 'pair-actions');
    actions.setAttribute('role', 'toolbar');
    actions.setAttribute('aria-label', l10n.t('Preference pair'));
    actions.append(
      button(l10n.t('Chosen is better'), l10n.t('Mark chosen as better'), () =>
        this.options.run({ kind: 'markPreference', turn: chosen.turn, chosen: { text: chosen.text }, rejected: { text: rejected.text } }),
      ),
      button(l10n.t('Rejected is better'), l10n.t('Swap chosen and rejected'), () => this.options.run({ kind: 'swapSides' })),
    );
    const columns = element('div', 'pair-columns');
    const chosenColumn = element('div', 'response chosen');
    chosenColumn.append(element('h3', 'response-role', l10n.t('chosen')));
    for (const segment of chosen.segments) chosenColumn.append(this.renderSegment(segment, 'primary', chosen.turn));
    const rejectedColumn = element('div', 'response rejected');
    rejectedColumn.append(
      element('h3', 'response-role', l10n.t('rejected (differences from chosen marked)')),
      wordDiff(chosen.text, rejected.text, 'word-diff pair-diff'),
    );
    for (const segment of rejected.segments) rejectedColumn.append(this.renderSegment(segment, 'rejected', rejected.turn));
    columns.append(chosenColumn, rejectedColumn);
    pair.append(actions, columns);
    return pair;
  }

  private renderHeading(sample: Sample): HTMLElement {
    const heading = element('header', 'sample-heading');
    heading.append(element('h2', 'sample-title', l10n.t('Line {0}', sample.line)));
    if (sample.format) heading.append(element('span', 'sample-format', sample.format));
    const latex = button(this.renderLatex ? l10n.t('Raw LaTeX') : l10n.t('Render LaTeX'), l10n.t('Render LaTeX'), () => {
      this.renderLatex = !this.renderLatex;
      this.render();
    });
    latex.setAttribute('aria-pressed', String(this.renderLatex));
    heading.append(latex);
    const bar = element('div', 'review-bar');
    bar.setAttribute('role', 'toolbar');
    bar.setAttribute('aria-label', l10n.t('Review'));
    const status = element('span', `review-status ${sample.review.status}`, reviewStatusName(sample.review.status));
    status.setAttribute('aria-label', l10n.t('Review status: {0}', reviewStatusName(sample.review.status)));
    bar.append(
      status,
      button(l10n.t('Accept'), l10n.t('Accept sample'), () => this.review('accepted'), 'action', 'pass'),
      button(l10n.t('Reject'), l10n.t('Reject sample'), () => this.review('rejected'), 'action', 'circle-slash'),
      button(l10n.t('Needs fix'), l10n.t('Needs fix'), () => this.review('needs_fix'), 'action', 'tools'),
    );
    if (!sample.unreadable) {
      const note = element('input', 'review-note');
      note.type = 'text';
      note.placeholder = l10n.t('Review note');
      note.value = sample.review.note;
      note.setAttribute('aria-label', l10n.t('Review note'));
      note.addEventListener('change', () => this.options.run({ kind: 'setReviewStatus', status: sample.review.status, note: note.value }));
      bar.append(note);
    }
    heading.append(bar);
    return heading;
  }

  private renderImages(sample: Sample): HTMLElement {
    const images = element('div', 'sample-images');
    for (const image of sample.images) images.append(this.renderImage(image));
    return images;
  }

  /** An image of the record, or why it cannot be shown. */
  private renderImage(image: Sample['images'][number]): HTMLElement {
    if (!image.src) return element('div', 'image-placeholder', image.problem ?? l10n.t('cannot show {0}', image.path));
    const img = element('img', 'sample-image');
    img.src = image.src;
    img.alt = image.path;
    img.tabIndex = 0;
    img.title = l10n.t('Click to zoom');
    img.addEventListener('click', () => img.classList.toggle('zoomed'));
    return img;
  }

  /**
   * A conversation in order: each question with its images where its placeholders stand, each reply with its
   * segment cards, which rate, edit and regenerate like a single response's.
   */
  private renderConversation(sample: Sample, conversation: NonNullable<Sample['conversation']>): HTMLElement {
    const list = element('ol', 'conversation');
    list.setAttribute('aria-label', l10n.t('Conversation'));
    let question = 0;
    for (const entry of conversation) {
      const item = element('li', `conversation-turn ${entry.role}`);
      if (entry.role === 'user') {
        question += 1;
        item.append(element('h3', 'field-label', l10n.t('Question {0}', question)), this.renderQuestion(entry.parts));
      } else {
        const reply = replyAt(sample, { turn: entry.turn });
        item.dataset.turn = String(entry.turn);
        item.append(element('h3', 'response-role', l10n.t('Reply {0} (turn {1})', entry.turn + 1, entry.turn)));
        // A preference record whose prompt holds earlier exchanges: its sides answer the last question.
        const rejected = sample.responses[1]?.role === 'rejected' && sample.responses[1].turn === entry.turn ? sample.responses[1] : undefined;
        if (reply && rejected) item.append(this.renderPair(reply, rejected));
        else {
          if (!reply || reply.segments.length === 0) item.append(element('p', 'sample-empty', l10n.t('This reply has no segments.')));
          for (const segment of reply?.segments ?? []) item.append(this.renderSegment(segment, 'primary', entry.turn));
        }
      }
      list.append(item);
    }
    return list;
  }

  private renderQuestion(parts: SampleQuestionPart[]): HTMLElement {
    const question = element('div', 'sample-field sample-question');
    for (const part of parts) question.append(part.kind === 'image' ? this.renderImage(part.image) : this.renderText(part.text, 'field-text'));
    return question;
  }

  private renderField(label: string, text: string, className: string): HTMLElement {
    const field = element('div', `sample-field ${className}`);
    field.append(element('h3', 'field-label', label), this.renderText(text, 'field-text'));
    return field;
  }

  /** Dataset text as text, with its LaTeX typeset unless the user asked for the raw form. */
  private renderText(text: string, className: string, owner = ''): HTMLElement {
    const math = this.renderLatex && hasMath(text);
    // A card's text is its own: a card drawn again never takes the text out of one that is reused.
    const key = `${owner}\u0000${className}\u0000${math}\u0000${text}`;
    const drawn = this.reuse('texts', key) ?? (math ? renderMath(text, className) : element('div', className, text));
    const same = this.drawing.texts.get(key);
    if (same) same.push(drawn);
    else this.drawing.texts.set(key, [drawn]);
    return drawn;
  }

  /**
   * A segment card. The first response's cards take the focus and carry ratings and editing; the rejected
   * side's are compact (its text is in the word diff above them): regeneration and alternatives only.
   */
  private renderSegment(segment: SampleSegment, side: Side, turn: number, model?: string): HTMLElement {
    const primary = side === 'primary';
    const at: Focus = model === undefined ? { turn, segment: segment.index } : { turn, segment: segment.index, model };
    const editing = primary && sameFocus(this.editing, at);
    const inConversation = this.sample?.conversation !== null && this.sample?.conversation !== undefined;
    // Everything the card shows, so that an unchanged card is reused as it is.
    const key = JSON.stringify([side, turn, model ?? null, segment, editing, this.renderLatex, inConversation]);
    const card = this.reuse('cards', key) ?? this.drawSegment(segment, side, turn, model, editing);
    this.drawing.cards.set(key, card);
    return card;
  }

  private drawSegment(segment: SampleSegment, side: Side, turn: number, model: string | undefined, editing: boolean): HTMLElement {
    const primary = side === 'primary';
    const at: Focus = model === undefined ? { turn, segment: segment.index } : { turn, segment: segment.index, model };
    const card = element('article', `segment-card${segment.stale ? ' stale' : ''}${primary ? '' : ' compact'}`);
    card.dataset.segment = String(segment.index);
    card.dataset.side = side;
    card.dataset.turn = String(turn);
    if (model !== undefined) card.dataset.model = model;
    /** Which reply the card's operations address. */
    const target = { side, turn, ...(model === undefined ? {} : { model }) };
    card.dataset.rating = segment.rating === null ? 'none' : String(segment.rating);
    const named =
      model !== undefined
        ? l10n.t('{0} of {1}', segment.label, model)
        : turn === 0 || !this.sample?.conversation
          ? segment.label
          : l10n.t('{0} of reply {1}', segment.label, turn + 1);
    const name = primary ? named : l10n.t('rejected {0}', named);
    card.setAttribute('aria-label', name);
    const header = element('header', 'segment-header');
    header.append(element('span', `segment-label ${segment.kind}`, segment.label));
    if (segment.stale) header.append(element('span', 'segment-stale', l10n.t('stale: an earlier segment changed')));
    if (segment.sourceLabel) header.append(element('span', 'segment-source-label', sourceLabelText(segment.sourceLabel)));
    if (segment.alternatives.length > 0) header.append(element('span', 'segment-alternatives', l10n.t('{0} alternatives', segment.alternatives.length)));
    const actions = element('div', 'segment-actions');
    if (primary) {
      const ratings = element('div', 'rating-group');
      ratings.setAttribute('role', 'group');
      ratings.setAttribute('aria-label', l10n.t('Rating of {0}', named));
      for (const rating of [1, 0, -1] as const) {
        const control = button(
          rating === 1 ? '+1' : rating === 0 ? '0' : '-1',
          rating === 1 ? l10n.t('Rate {0} correct', named) : rating === 0 ? l10n.t('Rate {0} neutral', named) : l10n.t('Rate {0} incorrect', named),
          () => {
            this.setFocus(at);
            this.rate(rating);
          },
          `action rating${segment.rating === rating ? ' selected' : ''}`,
        );
        control.setAttribute('aria-pressed', String(segment.rating === rating));
        control.dataset.rating = String(rating);
        ratings.append(control);
      }
      actions.append(
        ratings,
        button(
          l10n.t('First error'),
          l10n.t('First error at {0}', named),
          () => {
            this.setFocus(at);
            this.markFirstError();
          },
          'action',
          'debug-breakpoint-conditional',
        ),
        button(
          l10n.t('Edit'),
          l10n.t('Edit {0}', named),
          () => {
            this.setFocus(at);
            this.startEditing();
          },
          'action',
          'edit',
        ),
      );
    }
    if (model === undefined) {
      actions.append(
        button(l10n.t('Regenerate'), l10n.t('Regenerate {0}', name), () => this.startRegeneration(segment, side, turn, false), 'action regenerate', 'refresh'),
        button(
          l10n.t('From here'),
          l10n.t('Regenerate {0} and the rest', name),
          () => this.startRegeneration(segment, side, turn, true),
          'action regenerate',
          'run-below',
        ),
        button(
          l10n.t('Tree search'),
          l10n.t('Tree search from {0}', name),
          () => this.startRegeneration(segment, side, turn, false, 'mcts'),
          'action regenerate',
          'type-hierarchy',
        ),
      );
    }
    header.append(actions);
    card.append(header);
    if (primary) {
      if (editing) card.append(this.renderEditor(segment, named, target));
      else card.append(this.renderText(segment.text, 'segment-text', `${side}:${turn}:${model ?? ''}:${segment.index}`));
    }
    if (segment.alternatives.length > 0) card.append(this.renderAlternatives(segment, target, name));
    card.addEventListener('click', () => {
      if (primary) this.setFocus(at);
    });
    return card;
  }

  /** Candidates for a segment: each with its word diff against the current text, provenance, and actions. */
  private renderAlternatives(segment: SampleSegment, target: ReplyTarget, segmentName: string): HTMLElement {
    const panel = element('details', 'alternatives');
    panel.open = true;
    panel.append(element('summary', undefined, l10n.t('Alternatives for {0}', segmentName)));
    segment.alternatives.forEach((alternative, index) => {
      const item = element('div', 'alternative');
      const { provenance } = alternative;
      const facts = [provenance.source, provenance.model, provenance.method, provenance.score === undefined ? undefined : l10n.t('score {0}', provenance.score)]
        .filter((fact): fact is string => fact !== undefined)
        .join(' · ');
      const rated = alternative.rating === null ? '' : ` · ${l10n.t('rated {0}', alternative.rating)}`;
      const meta = element('div', 'alternative-meta', `${index + 1}. ${facts}${rated}`);
      const actions = element('div', 'alternative-actions');
      const name = l10n.t('alternative {0} for {1}', index + 1, segmentName);
      actions.append(
        button(l10n.t('Accept'), l10n.t('Accept {0}', name), () =>
          this.options.run({ kind: 'acceptAlternative', segment: segment.index, ...target, alternative: index }),
        ),
        button(l10n.t('Better'), l10n.t('Mark {0} better than the current text', name), () =>
          this.options.run({ kind: 'markPreference', segment: segment.index, ...target, chosen: index, rejected: 'current' }),
        ),
        button(l10n.t('Worse'), l10n.t('Mark {0} worse than the current text', name), () =>
          this.options.run({ kind: 'markPreference', segment: segment.index, ...target, chosen: 'current', rejected: index }),
        ),
      );
      item.append(meta, wordDiff(segment.text, alternative.text), actions);
      panel.append(item);
    });
    return panel;
  }

  private renderEditor(segment: SampleSegment, named: string, target: ReplyTarget): HTMLElement {
    const editor = element('div', 'segment-editor');
    const area = element('textarea', 'segment-input');
    area.value = segment.text;
    area.rows = Math.min(16, Math.max(3, segment.text.split('\n').length + 1));
    area.setAttribute('aria-label', l10n.t('Text of {0}', named));
    const save = () => {
      this.editing = undefined;
      if (area.value !== segment.text) this.options.run({ kind: 'editSegment', segment: segment.index, ...target, text: area.value });
      else this.render();
    };
    area.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        this.stopEditing();
      } else if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        save();
      }
    });
    const reflection = element('textarea', 'segment-reflection');
    reflection.rows = 2;
    reflection.placeholder = l10n.t('Correction for a reflection (optional)');
    reflection.setAttribute('aria-label', l10n.t('Correction after a reflection in {0}', named));
    const actions = element('div', 'editor-actions');
    editor.append(area, actions);
    actions.append(
      button(l10n.t('Save'), l10n.t('Save {0}', named), save),
      button(l10n.t('Cancel'), l10n.t('Cancel editing'), () => this.stopEditing()),
      reflection,
      button(l10n.t('Insert reflection'), l10n.t('Insert reflection in {0}', named), () => {
        if (reflection.value.trim() === '') return;
        this.editing = undefined;
        this.options.run({ kind: 'insertReflection', segment: segment.index, ...target, correction: reflection.value });
      }),
    );
    return editor;
  }
}
