import * as l10n from '@vscode/l10n';
import { element } from './dom';

const SVG = 'http://www.w3.org/2000/svg';
const ROW = 22;
const LABEL_WIDTH = 150;
const BAR_WIDTH = 260;

function svgElement<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * A horizontal bar chart as SVG, one bar per entry with its label and count. Labels come from the data
 * and are set as text nodes only. Colours are theme variables, so every theme draws it legibly.
 */
export function barChart(title: string, entries: [string, number][]): HTMLElement {
  const figure = element('figure', 'chart');
  const caption = element('figcaption', undefined, title);
  const max = Math.max(1, ...entries.map(([, value]) => value));
  const height = Math.max(1, entries.length) * ROW;
  const svg = svgElement('svg', { width: LABEL_WIDTH + BAR_WIDTH + 60, height, role: 'img', 'aria-label': title });
  entries.forEach(([label, value], row) => {
    const y = row * ROW;
    svg.append(
      svgElement('text', { x: LABEL_WIDTH - 6, y: y + 15, 'text-anchor': 'end', class: 'chart-label' }, label),
      svgElement('rect', { x: LABEL_WIDTH, y: y + 4, width: Math.max(value > 0 ? 2 : 0, (value / max) * BAR_WIDTH), height: ROW - 8, class: 'chart-bar' }),
      svgElement('text', { x: LABEL_WIDTH + (value / max) * BAR_WIDTH + 6, y: y + 15, class: 'chart-value' }, String(value)),
    );
  });
  if (entries.length === 0) svg.append(svgElement('text', { x: 0, y: 15, class: 'chart-label' }, l10n.t('nothing yet')));
  figure.append(caption, svg);
  return figure;
}
