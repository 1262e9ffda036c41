import { button, element } from './dom';

export const SHORTCUTS: [string, string][] = [
  ['j / k', 'Next / previous sample'],
  ['↓ / ↑', 'Next / previous segment'],
  ['1 / 2 / 3', 'Rate the segment correct / neutral / incorrect'],
  ['f', 'First error at this segment'],
  ['e', 'Edit the segment (Ctrl+Enter saves, Escape cancels)'],
  ['g / G', 'Regenerate the segment / the segment and the rest'],
  ['t', 'Tree search (CoMCTS) from the segment'],
  ['a / r / n', 'Accept / reject / needs fix'],
  ['Ctrl+Z / Ctrl+Shift+Z', 'Undo / redo'],
  ['Ctrl+S', 'Save'],
  ['?', 'Show or hide this list'],
];

/** The `?` overlay listing the keyboard shortcuts. */
export function shortcutsOverlay(onClose: () => void): HTMLElement {
  const overlay = element('div', 'shortcuts-overlay');
  overlay.setAttribute('role', 'dialog');
  overlay.setAttribute('aria-label', 'Keyboard shortcuts');
  overlay.hidden = true;
  const table = element('table', 'shortcuts');
  for (const [keys, action] of SHORTCUTS) {
    const row = element('tr');
    row.append(element('th', undefined, keys), element('td', undefined, action));
    table.append(row);
  }
  overlay.append(element('h2', undefined, 'Keyboard shortcuts'), table, button('Close', 'Close keyboard shortcuts', onClose));
  return overlay;
}
