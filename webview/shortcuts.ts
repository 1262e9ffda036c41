import * as l10n from '@vscode/l10n';
import { html, type TemplateResult } from 'lit';
import { action } from './controls';

/** The keys and what they do, in the display language. */
function shortcuts(): [string, string][] {
  return [
    ['j / k', l10n.t('Next / previous sample')],
    ['↓ / ↑', l10n.t('Next / previous segment')],
    ['1 / 2 / 3', l10n.t('Rate the segment correct / neutral / incorrect')],
    ['f', l10n.t('First error at this segment')],
    ['p', l10n.t('Pre-label the steps with a model')],
    ['c / C', l10n.t('Confirm the suggested label / every suggestion on unrated steps')],
    ['m', l10n.t('Score the steps by rollouts (Monte Carlo)')],
    ['e', l10n.t('Edit the segment (Ctrl+Enter saves, Escape cancels)')],
    ['g / G', l10n.t('Regenerate the segment / the segment and the rest')],
    ['t', l10n.t('Tree search (CoMCTS) from the segment')],
    ['a / r / n', l10n.t('Accept / reject / needs fix')],
    ['[ / ]', l10n.t('Adjudicate a conflict: take the left / the right version')],
    ['Ctrl+Z / Ctrl+Shift+Z', l10n.t('Undo / redo')],
    ['Ctrl+S', l10n.t('Save')],
    ['?', l10n.t('Show or hide this list')],
  ];
}

/** The `?` overlay listing the keyboard shortcuts. */
export function shortcutsOverlay(open: boolean, close: () => void): TemplateResult {
  return html`<div class="shortcuts-overlay" role="dialog" aria-label=${l10n.t('Keyboard shortcuts')} ?hidden=${!open}>
    <h2>${l10n.t('Keyboard shortcuts')}</h2>
    <table class="shortcuts">
      ${shortcuts().map(([keys, what]) => html`<tr><th>${keys}</th><td>${what}</td></tr>`)}
    </table>
    ${action({ label: l10n.t('Close'), name: l10n.t('Close keyboard shortcuts'), onClick: close })}
  </div>`;
}
