import * as l10n from '@vscode/l10n';
import { html, nothing, type TemplateResult } from 'lit';
import type { ConflictValue, ConflictView } from '../src/protocol';
import { action } from './controls';
import { reviewStatusName } from './reviewStatus';

export type Take = 'ours' | 'theirs';

const ratingText = (rating: -1 | 0 | 1 | null): string => (rating === null ? l10n.t('unrated') : rating === 1 ? '+1' : String(rating));

/** Which reply a step is in, when it is not the record's first: a search path's model, the rejected side, a later turn. */
function replyName(where: { side: 'primary' | 'rejected'; turn: number; model?: string | null }): string {
  if (where.model) return ` (${where.model})`;
  if (where.side === 'rejected') return ` (${l10n.t('rejected')})`;
  return where.turn > 0 ? ` (${l10n.t('turn {0}', where.turn)})` : '';
}

/** Where a conflict is: the step and which of its values, the review, or the record's text. */
function conflictPlace(conflict: ConflictView): string {
  switch (conflict.subject) {
    case 'step': {
      const field = conflict.field === 'rating' ? l10n.t('rating') : conflict.field === 'text' ? l10n.t('text') : (conflict.field ?? '');
      return conflict.step ? `${conflict.step.label}${replyName(conflict.step)} · ${field}` : conflict.path;
    }
    case 'review':
      return l10n.t('Review');
    case 'record':
      return l10n.t("The record's text");
    case 'other':
      return conflict.path;
  }
}

function partName(part: ConflictView['parts'][number]): string {
  if (part.kind === 'question') return l10n.t('Question');
  if (part.kind === 'other') return l10n.t('The whole record');
  return `${part.label}${replyName(part)}`;
}

/** One version's value: a rating as +1 / 0 / -1, a review as its status and note, the record's differing parts, else JSON. */
function shownValue(value: ConflictValue, parts: ConflictView['parts']): TemplateResult {
  switch (value.kind) {
    case 'rating':
      return html`<span class="conflict-rating" data-rating=${value.rating === null ? 'none' : String(value.rating)}>${ratingText(value.rating)}</span>`;
    case 'review':
      return html`<span class="review-status ${value.status}">${reviewStatusName(value.status)}</span>${
        value.note === null ? nothing : html`<p class="conflict-note">${value.note}</p>`
      }`;
    case 'json':
      return value.text === null ? html`<span class="conflict-none">${l10n.t('none')}</span>` : html`<pre class="conflict-text">${value.text}</pre>`;
    case 'record':
      return html`${parts.map(
        (part, index) =>
          html`<h5 class="conflict-part">${partName(part)}</h5>${
            value.texts[index] === null || value.texts[index] === undefined
              ? html`<span class="conflict-none">${l10n.t('none')}</span>`
              : html`<pre class="conflict-text">${value.texts[index]}</pre>`
          }`,
      )}`;
  }
}

function conflictBlock(conflict: ConflictView, current: boolean, take: (conflict: ConflictView, take: Take) => void): TemplateResult {
  const place = conflictPlace(conflict);
  const version = (which: Take) => {
    const { by, value } = conflict[which];
    const name = by ?? (which === 'ours' ? l10n.t('ours') : l10n.t('theirs'));
    return html`<div class="conflict-version ${which}">
      <h4 class="conflict-by">${name}</h4>
      ${shownValue(value, conflict.parts)}
      ${action({
        label: which === 'ours' ? l10n.t('Take left') : l10n.t('Take right'),
        name: l10n.t("Take {0}'s version of {1}", name, place),
        icon: which === 'ours' ? 'arrow-left' : 'arrow-right',
        className: `take-${which}`,
        onClick: () => take(conflict, which),
      })}
    </div>`;
  };
  return html`<li class="conflict${current ? ' current' : ''}" data-path=${conflict.path} aria-current=${current ? 'true' : nothing}>
    <h4 class="conflict-place">${place}</h4>
    ${conflict.step ? html`<p class="conflict-step-text">${conflict.step.text}</p>` : nothing}
    <div class="conflict-versions">${version('ours')}${version('theirs')}</div>
  </li>`;
}

/**
 * The conflicts a merge kept in the record, each with the two annotators' versions side by side, the name of who gave
 * each over it, and a button to take it; `[` and `]` take the left or right version of the one marked current.
 */
export function adjudicationPanel(
  conflicts: readonly ConflictView[],
  current: ConflictView | undefined,
  take: (conflict: ConflictView, take: Take) => void,
): TemplateResult | typeof nothing {
  if (conflicts.length === 0) return nothing;
  return html`<section class="adjudication" aria-label=${l10n.t('Adjudicate')}>
    <h3 class="adjudication-title">${l10n.t('Adjudicate: {0} conflicts between annotators', conflicts.length)}</h3>
    <p class="adjudication-hint">${l10n.t('[ takes the left version of the marked conflict, ] the right one')}</p>
    <ol class="conflicts">
      ${conflicts.map((conflict) => conflictBlock(conflict, conflict === current, take))}
    </ol>
  </section>`;
}
