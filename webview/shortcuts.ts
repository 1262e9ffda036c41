import * as l10n from '@vscode/l10n';
import { button, element } from './dom';

/** The keys and what they do, in the display language. */
function shortcuts(): [string, string][] {
  return [
    ['j / k', l10n.t('Next / previous sample')],
    ['↓ / ↑', l10n.t('Next / previous segment')],
    ['1 / 2 / 3', l10n.t('Rate the segment correct / neutral / incorrect')],
    ['f', l10n.t('First error at this segment')],
    ['e', l10n.t('Edit the segment (Ctrl+Enter saves, Escape cancels)')],
    ['g / G', l10n.t('Regenerate the segment / the segment and the rest')],
    ['t', l10n.t('Tree search (CoMCTS) from the segment')],
    ['a / r / n', l10n.t('Accept / reject / needs fix')],
    ['Ctrl+Z / Ctrl+Shift+Z', l10n.t('Undo / redo')],
    ['Ctrl+S', l10n.t('Save')],
    ['?', l10n.t('Show or hide this list')],
  ];
}

/** The `?` overlay listing the keyboard shortcuts. */
export function shortcutsOverlay(onClose: () => void): HTMLElement {
  const overlay = element('div', 'shortcuts-overlay');
  overlay.setAttribute('role', 'dialog');
  overlay.setAttribute('aria-label', l10n.t('Keyboard shortcuts'));
  overlay.hidden = true;
  const table = element('table', 'shortcuts');
  for (const [keys, action] of shortcuts()) {
    const row = element('tr');
    row.append(element('th', undefined, keys), element('td', undefined, action));
    table.append(row);
  }
  overlay.append(element('h2', undefined, l10n.t('Keyboard shortcuts')), table, button(l10n.t('Close'), l10n.t('Close keyboard shortcuts'), onClose));
  return overlay;
}
