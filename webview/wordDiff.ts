import { diffWords } from 'diff';
import { html, type TemplateResult } from 'lit';

/** `after` with the words that differ from `before` marked: added words highlighted, removed ones struck. */
export function wordDiff(before: string, after: string, className = 'word-diff'): TemplateResult {
  const parts = diffWords(before, after).map((part) =>
    part.added
      ? html`<ins class="diff-added">${part.value}</ins>`
      : part.removed
        ? html`<del class="diff-removed">${part.value}</del>`
        : html`<span class="diff-same">${part.value}</span>`,
  );
  return html`<div class=${className}>${parts}</div>`;
}
