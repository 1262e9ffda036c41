import * as l10n from '@vscode/l10n';
import { html, svg, type TemplateResult } from 'lit';

const ROW = 22;
const LABEL_WIDTH = 150;
const BAR_WIDTH = 260;

/**
 * A horizontal bar chart as SVG, one bar per entry with its label and count. Labels come from the data and
 * go in as text only. Colours are theme variables, so every theme draws it legibly.
 */
export function barChart(title: string, entries: [string, number][], scale: { max?: number; unit?: string } = {}): TemplateResult {
  const max = scale.max ?? Math.max(1, ...entries.map(([, value]) => value));
  const height = Math.max(1, entries.length) * ROW;
  const bars = entries.map(([label, value], row) => {
    const y = row * ROW;
    return svg`<text x=${LABEL_WIDTH - 6} y=${y + 15} text-anchor="end" class="chart-label">${label}</text>
      <rect x=${LABEL_WIDTH} y=${y + 4} width=${Math.max(value > 0 ? 2 : 0, (value / max) * BAR_WIDTH)} height=${ROW - 8} class="chart-bar"></rect>
      <text x=${LABEL_WIDTH + (value / max) * BAR_WIDTH + 6} y=${y + 15} class="chart-value">${value}${scale.unit ?? ''}</text>`;
  });
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <svg width=${LABEL_WIDTH + BAR_WIDTH + 60} height=${height} role="img" aria-label=${title}>
      ${entries.length === 0 ? svg`<text x="0" y="15" class="chart-label">${l10n.t('nothing yet')}</text>` : bars}
    </svg>
  </figure>`;
}
