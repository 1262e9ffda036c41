import * as l10n from '@vscode/l10n';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import { html, nothing, type TemplateResult } from 'lit';
import type { SearchTreeView } from '../src/protocol';
import { action } from './controls';

type TreeNode = SearchTreeView['nodes'][number];
type Reflection = SearchTreeView['reflections'][number];

const PREVIEW = 80;

const signed = (value: number): string => `${value > 0 ? '+' : ''}${value.toFixed(2)}`;

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > PREVIEW ? `${flat.slice(0, PREVIEW)}…` : flat || l10n.t('(empty)');
}

export interface SearchTreeActions {
  /** Show a step's whole text. */
  select(id: number): void;
  showTab(tab: 'tree' | 'reflections'): void;
  /** Accept a reflection proposal, as shown or as the annotator edited it. */
  acceptReflection(reflection: Reflection, text: string): void;
}

/** Arrow keys walk the steps in reading order, as in any tree view (a roving tab stop). */
function walk(event: KeyboardEvent, select: (id: number) => void): void {
  const item = event.currentTarget as HTMLElement;
  if (event.target !== item) return;
  if (event.key === 'Enter') select(Number(item.dataset.node));
  else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
    const items = [...(item.closest('[role="tree"]')?.querySelectorAll<HTMLElement>('[role="treeitem"]') ?? [])];
    const next = items[items.indexOf(item) + (event.key === 'ArrowDown' ? 1 : -1)];
    if (next) {
      item.tabIndex = -1;
      next.tabIndex = 0;
      next.focus();
    }
  } else return;
  // Handled here: the sample view's own arrow keys (between segments) must not act as well.
  event.preventDefault();
  event.stopPropagation();
}

/**
 * The CoMCTS tree of a tree search, drawn as an ARIA tree: each step with a preview of its text, its value V,
 * visits N and the judges' scores; the best path is highlighted; a click (or Enter) shows the whole step.
 * Below it, the reflection proposals, each editable before it is accepted. Step text goes in as text only.
 */
export function searchTree(view: SearchTreeView, selected: number | undefined, tab: 'tree' | 'reflections', actions: SearchTreeActions): TemplateResult {
  const steps = view.nodes.length - 1;
  const best = new Set(view.bestPath);
  const children = new Map<number, TreeNode[]>();
  for (const node of view.nodes) if (node.parent !== null) children.set(node.parent, [...(children.get(node.parent) ?? []), node]);
  const tabStop = selected !== undefined && view.nodes.some((node) => node.id === selected && node.parent !== null) ? selected : children.get(0)?.[0]?.id;
  const branch = (parent: number, level: number): TemplateResult[] =>
    (children.get(parent) ?? []).map((node) => {
      const figures = [`V ${signed(node.value)}`, `N ${node.visits}`, l10n.t('score {0}', signed(node.score))];
      if (node.scores.length > 1) figures.push(l10n.t('judges {0}', node.scores.map((score) => (score === null ? '-' : signed(score))).join(' / ')));
      if (node.correct !== null) figures.push(node.correct ? l10n.t('correct answer') : l10n.t('wrong answer'));
      const below = branch(node.id, level + 1);
      return html`<li
        class="search-tree-node${best.has(node.id) ? ' best-path' : ''}"
        role="treeitem"
        aria-level=${level}
        aria-selected=${node.id === selected ? 'true' : nothing}
        aria-expanded=${below.length > 0 ? 'true' : nothing}
        data-node=${node.id}
        tabindex=${node.id === tabStop ? 0 : -1}
        @keydown=${(event: KeyboardEvent) => walk(event, actions.select)}
      >
        <div
          class="search-tree-row"
          @click=${(event: Event) => {
            event.stopPropagation();
            actions.select(node.id);
          }}
        >
          <span class="search-tree-text">${preview(node.text)}</span><span class="search-tree-figures">${figures.join(' · ')}</span>
        </div>
        ${below.length > 0 ? html`<ul class="search-tree-group" role="group">${below}</ul>` : nothing}
      </li>`;
    });
  const detail = view.nodes.find((node) => node.id === selected);
  const summary = view.solved
    ? l10n.t('{0} / {1} iterations, {2} steps in the tree, a correct answer found', view.iterations, view.budget, steps)
    : l10n.t('{0} / {1} iterations, {2} steps in the tree', view.iterations, view.budget, steps);
  const tree = html`<ul class="search-tree-nodes" role="tree" aria-label=${l10n.t('Search tree')}>${branch(0, 1)}</ul>
    <pre class="search-tree-detail" aria-label=${l10n.t('Selected step')} ?hidden=${detail === undefined}>${detail?.text ?? ''}</pre>`;
  const summaryLine = html`<p class="search-tree-summary">${summary}</p>`;
  if (view.reflections.length === 0) return html`<div class="search-tree">${summaryLine}${tree}</div>`;
  // The proposals are what the reviewer acts on, the tree what explains them: one at a time, in tabs.
  return html`<div class="search-tree">
    ${summaryLine}
    <vscode-tabs
      selected-index=${tab === 'tree' ? 0 : 1}
      @vsc-tabs-select=${(event: CustomEvent<{ selectedIndex: number }>) => actions.showTab(event.detail.selectedIndex === 0 ? 'tree' : 'reflections')}
    >
      <vscode-tab-header slot="header">${l10n.t('Search tree')}</vscode-tab-header>
      <vscode-tab-panel>${tree}</vscode-tab-panel>
      <vscode-tab-header slot="header">${l10n.t('Reflection proposals ({0})', view.reflections.length)}</vscode-tab-header>
      <vscode-tab-panel>
        <div class="search-tree-reflections">
          ${view.reflections.map(
            (reflection, index) =>
              html`<div class="reflection-proposal">
                <p class="reflection-proposal-wrong">${l10n.t('Wrong step: {0}', preview(reflection.wrong))}</p>
                <vscode-textarea
                  class="reflection-proposal-text"
                  .value=${reflection.text}
                  rows="6"
                  .label=${l10n.t('Reflection proposal {0}: the response from this segment on', index + 1)}
                ></vscode-textarea>
                ${action({
                  label: l10n.t('Accept reflection'),
                  name: l10n.t('Accept reflection proposal {0}', index + 1),
                  icon: 'check',
                  onClick: (event) => {
                    const text = (event.currentTarget as HTMLElement)
                      .closest('.reflection-proposal')
                      ?.querySelector<HTMLTextAreaElement>('.reflection-proposal-text')?.value;
                    actions.acceptReflection(reflection, text ?? reflection.text);
                  },
                })}
              </div>`,
          )}
        </div>
      </vscode-tab-panel>
    </vscode-tabs>
  </div>`;
}
