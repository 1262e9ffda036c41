import * as l10n from '@vscode/l10n';
import type { SearchTreeView } from '../src/protocol';
import { button, element } from './dom';

type TreeNode = SearchTreeView['nodes'][number];
type Reflection = SearchTreeView['reflections'][number];

const PREVIEW = 80;

const signed = (value: number): string => `${value > 0 ? '+' : ''}${value.toFixed(2)}`;

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > PREVIEW ? `${flat.slice(0, PREVIEW)}…` : flat || l10n.t('(empty)');
}

export interface SearchTreeActions {
  /** Accept a reflection proposal, as shown or as the annotator edited it. */
  acceptReflection(reflection: Reflection, text: string): void;
}

/**
 * The CoMCTS tree of a tree search, drawn as an ARIA tree: each step with a preview of its text, its value V,
 * visits N and the judges' scores; the best path is highlighted; a click (or Enter) shows the whole step.
 * Below it, the reflection proposals, each editable before it is accepted. Step text goes in as text only.
 */
export class SearchTreePanel {
  readonly element = element('div', 'search-tree');
  private readonly summary = element('p', 'search-tree-summary');
  private readonly tree = element('ul', 'search-tree-nodes');
  private readonly detail = element('pre', 'search-tree-detail');
  private readonly reflections = element('div', 'search-tree-reflections');
  private selected: number | undefined;
  private nodes: TreeNode[] = [];

  constructor(private readonly actions: SearchTreeActions) {
    this.tree.setAttribute('role', 'tree');
    this.tree.setAttribute('aria-label', l10n.t('Search tree'));
    this.detail.hidden = true;
    this.detail.setAttribute('aria-label', l10n.t('Selected step'));
    this.element.append(this.summary, this.tree, this.detail, this.reflections);
  }

  show(view: SearchTreeView): void {
    this.nodes = view.nodes;
    const steps = view.nodes.length - 1;
    this.summary.textContent = view.solved
      ? l10n.t('{0} / {1} iterations, {2} steps in the tree, a correct answer found', view.iterations, view.budget, steps)
      : l10n.t('{0} / {1} iterations, {2} steps in the tree', view.iterations, view.budget, steps);
    const best = new Set(view.bestPath);
    const children = new Map<number, TreeNode[]>();
    for (const node of view.nodes) {
      if (node.parent === null) continue;
      children.set(node.parent, [...(children.get(node.parent) ?? []), node]);
    }
    const branch = (parent: number, level: number): HTMLElement[] =>
      (children.get(parent) ?? []).map((node) => {
        const item = element('li', 'search-tree-node');
        item.setAttribute('role', 'treeitem');
        item.setAttribute('aria-level', String(level));
        item.dataset.node = String(node.id);
        item.tabIndex = node.id === this.selected ? 0 : -1;
        if (best.has(node.id)) item.classList.add('best-path');
        if (node.id === this.selected) item.setAttribute('aria-selected', 'true');
        const row = element('div', 'search-tree-row');
        const figures = [`V ${signed(node.value)}`, `N ${node.visits}`, l10n.t('score {0}', signed(node.score))];
        if (node.scores.length > 1) figures.push(l10n.t('judges {0}', node.scores.map((score) => (score === null ? '-' : signed(score))).join(' / ')));
        if (node.correct !== null) figures.push(node.correct ? l10n.t('correct answer') : l10n.t('wrong answer'));
        row.append(element('span', 'search-tree-text', preview(node.text)), element('span', 'search-tree-figures', figures.join(' · ')));
        row.addEventListener('click', (event) => {
          event.stopPropagation();
          this.select(node.id);
        });
        item.addEventListener('keydown', (event) => {
          if (event.target !== item) return;
          if (event.key === 'Enter') this.select(node.id);
          else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') this.moveFocus(item, event.key === 'ArrowDown' ? 1 : -1);
          else return;
          // Handled here: the sample view's own arrow keys (between segments) must not act as well.
          event.preventDefault();
          event.stopPropagation();
        });
        item.append(row);
        const below = branch(node.id, level + 1);
        if (below.length > 0) {
          item.setAttribute('aria-expanded', 'true');
          const group = element('ul', 'search-tree-group');
          group.setAttribute('role', 'group');
          group.append(...below);
          item.append(group);
        }
        return item;
      });
    this.tree.replaceChildren(...branch(0, 1));
    if (this.tree.querySelector('[tabindex="0"]') === null) this.tree.querySelector<HTMLElement>('[role="treeitem"]')?.setAttribute('tabindex', '0');
    this.showDetail();
    this.showReflections(view.reflections);
  }

  /** Arrow keys walk the steps in reading order, as in any tree view. */
  private moveFocus(from: HTMLElement, step: 1 | -1): void {
    const items = [...this.tree.querySelectorAll<HTMLElement>('[role="treeitem"]')];
    const next = items[items.indexOf(from) + step];
    if (!next) return;
    from.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  }

  private select(id: number): void {
    this.selected = id;
    for (const item of this.tree.querySelectorAll<HTMLElement>('[role="treeitem"]')) {
      const chosen = item.dataset.node === String(id);
      item.tabIndex = chosen ? 0 : -1;
      if (chosen) item.setAttribute('aria-selected', 'true');
      else item.removeAttribute('aria-selected');
    }
    this.showDetail();
  }

  private showDetail(): void {
    const node = this.nodes.find((candidate) => candidate.id === this.selected);
    this.detail.hidden = node === undefined;
    this.detail.textContent = node?.text ?? '';
  }

  private showReflections(reflections: readonly Reflection[]): void {
    this.reflections.replaceChildren();
    if (reflections.length === 0) return;
    this.reflections.append(element('h4', 'search-tree-heading', l10n.t('Reflection proposals ({0})', reflections.length)));
    reflections.forEach((reflection, index) => {
      const card = element('div', 'reflection-proposal');
      const editor = element('textarea', 'reflection-proposal-text');
      editor.value = reflection.text;
      editor.rows = 6;
      editor.setAttribute('aria-label', l10n.t('Reflection proposal {0}: the response from this segment on', index + 1));
      card.append(
        element('p', 'reflection-proposal-wrong', l10n.t('Wrong step: {0}', preview(reflection.wrong))),
        editor,
        button(
          l10n.t('Accept reflection'),
          l10n.t('Accept reflection proposal {0}', index + 1),
          () => this.actions.acceptReflection(reflection, editor.value),
          'action',
          'check',
        ),
      );
      this.reflections.append(card);
    });
  }
}
