import { diffWords } from 'diff';
import { element } from './dom';

/** `after` with the words that differ from `before` marked: added words highlighted, removed ones struck. */
export function wordDiff(before: string, after: string, className = 'word-diff'): HTMLElement {
  const container = element('div', className);
  for (const part of diffWords(before, after)) {
    const kind = part.added ? 'diff-added' : part.removed ? 'diff-removed' : 'diff-same';
    const span = element(part.added ? 'ins' : part.removed ? 'del' : 'span', kind, part.value);
    container.append(span);
  }
  return container;
}
