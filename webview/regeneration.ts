import * as l10n from '@vscode/l10n';
import { html, nothing, type TemplateResult } from 'lit';
import { action } from './controls';
import { searchTree } from './searchTree';
import { FINISHED, type PanelState, type ShownRun } from './state/regenerationState';
import type { ViewEvent, ViewState } from './state/viewState';

const SPINNER = 'codicon-loading codicon-modifier-spin';
const STATE_ICONS: Record<PanelState, string> = {
  starting: SPINNER,
  decoding: SPINNER,
  ranking: SPINNER,
  searching: SPINNER,
  cancelling: SPINNER,
  done: 'codicon-pass',
  failed: 'codicon-error',
  cancelled: 'codicon-circle-slash',
};

function stateText({ state, candidates, message, search }: ShownRun): string {
  switch (state) {
    case 'starting':
      return l10n.t('Starting…');
    case 'searching':
      return search ? l10n.t('Searching: {0} / {1} iterations…', search.iterations, search.budget) : l10n.t('Searching…');
    case 'decoding':
      return l10n.t('Decoding {0} candidates…', candidates.length);
    case 'ranking':
      return l10n.t('Ranking…');
    case 'done':
      return candidates.length === 1
        ? l10n.t('Done: 1 candidate added as an alternative')
        : l10n.t('Done: {0} candidates added as alternatives', candidates.length);
    case 'failed':
      return message ? l10n.t('Failed: {0}', message) : l10n.t('Failed');
    case 'cancelling':
      return l10n.t('Cancelling…');
    case 'cancelled':
      return l10n.t('Cancelled');
  }
}

/**
 * The live panel of a regeneration run, in the card it regenerates: the state, Cancel (Dismiss once finished), the
 * candidates' text as it decodes, and a tree search's tree. Drawn from the store ten times a second; the template
 * keeps its elements, so neither the sample nor the Cancel button under the pointer is drawn again.
 */
export function regenerationPanel(
  shown: ShownRun,
  { treeStep, treeTab }: Pick<ViewState, 'treeStep' | 'treeTab'>,
  dispatch: (event: ViewEvent) => void,
): TemplateResult {
  const finished = FINISHED.has(shown.state);
  // Cancel and Dismiss take the same place, so nothing moves when a run finishes.
  const control = finished
    ? action({
        label: l10n.t('Dismiss'),
        name: l10n.t('Dismiss regeneration message'),
        icon: 'close',
        onClick: () => dispatch({ type: 'regeneration', event: { type: 'dismiss', explicit: true } }),
      })
    : action({
        label: l10n.t('Cancel'),
        name: l10n.t('Cancel regeneration'),
        icon: 'debug-stop',
        onClick: () => dispatch({ type: 'regeneration', event: { type: 'cancel' } }),
      });
  return html`<section class="regeneration" data-state=${shown.state} aria-label=${l10n.t('Regeneration')}>
    <div class="regeneration-header">
      <div class="regeneration-status" role="status">
        <span class="codicon ${STATE_ICONS[shown.state]}" aria-hidden="true"></span><span class="regeneration-state">${stateText(shown)}</span>
      </div>
      ${control}
    </div>
    <p class="regeneration-detail">${shown.state === 'done' ? (shown.message ?? '') : ''}</p>
    <ol class="regeneration-candidates">
      ${shown.candidates.map(
        (candidate, index) =>
          html`<li class="regeneration-candidate">
            <span class="regeneration-number">${l10n.t('Candidate {0}', index + 1)}</span>
            <div class="regeneration-text">${candidate}</div>
          </li>`,
      )}
    </ol>
    ${
      shown.search
        ? searchTree(shown.search, treeStep, treeTab, {
            select: (id) => dispatch({ type: 'treeStep', id }),
            showTab: (tab) => dispatch({ type: 'treeTab', tab }),
            acceptReflection: (reflection, text) => {
              const { segment, side, turn } = shown;
              dispatch({
                type: 'run',
                operation: { kind: 'acceptReflectionProposal', segment, side, turn, text, wrong: reflection.wrong, correction: reflection.correction },
              });
              dispatch({ type: 'regeneration', event: { type: 'reflectionAccepted' } });
            },
          })
        : nothing
    }
  </section>`;
}
