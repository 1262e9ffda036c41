// Before the modules that draw: the translations are configured before any element is built.
import './l10n';
import * as l10n from '@vscode/l10n';
import { type OverviewMessage, overviewMessageSchema } from '../src/protocol';
import { html, render, type TemplateResult } from 'lit';
import { barChart } from './charts';
import { reviewStatusName } from './reviewStatus';

interface VsCodeApi {
  postMessage(message: { type: 'ready' }): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

const app = document.getElementById('app');
if (!app) throw new Error('the overview has no #app element');
app.classList.add('overview');

function entries(counts: Record<string, number>, keepZero = false, name = (key: string) => key.replace('_', ' ')): [string, number][] {
  return Object.entries(counts)
    .filter(([, count]) => keepZero || count > 0)
    .map(([key, count]) => [name(key), count]);
}

/** What the counts cover while they are still being made: the records read, of how many indexed so far. */
function countingState({ stats, counted, indexing }: OverviewMessage): string {
  if (indexing === undefined) return l10n.t('Counting... {0} of {1} records', counted, stats.records);
  return l10n.t('Counting... {0} of at least {1} records (indexing the file, {2}%)', counted, stats.records, Math.floor(indexing * 100));
}

/**
 * How often people changed a model's suggested label, by the step's position in its reply: where the labeller is
 * trusted and where it is not (suggestions nobody has decided on yet are left out).
 */
function suggestionsChanged(prelabels: OverviewMessage['stats']['prelabels']): TemplateResult {
  const last = prelabels.byPosition.length;
  const rows: [string, number][] = prelabels.byPosition.flatMap(({ confirmed, overridden }, index) => {
    const decided = confirmed + overridden;
    if (decided === 0) return [];
    const position = index + 1 === last ? l10n.t('step {0}+', index + 1) : l10n.t('step {0}', index + 1);
    return [[`${position} (${overridden}/${decided})`, Math.round((overridden / decided) * 100)]];
  });
  return barChart(l10n.t('Suggested labels people changed, by step'), rows, { max: 100, unit: '%' });
}

/** Who did what: a row per annotator the annotations name, most records first. */
function workByAnnotator(annotators: OverviewMessage['stats']['annotators']): TemplateResult {
  const rows = Object.entries(annotators).sort(([a, x], [b, y]) => y.records - x.records || a.localeCompare(b));
  const title = l10n.t('Work by annotator');
  if (rows.length === 0) return html`<figure class="chart annotator-work"><figcaption>${title}</figcaption><p>${l10n.t('nothing yet')}</p></figure>`;
  return html`<figure class="chart annotator-work">
    <figcaption>${title}</figcaption>
    <table>
      <thead>
        <tr>
          <th scope="col">${l10n.t('annotator')}</th>
          <th scope="col">${l10n.t('records')}</th>
          <th scope="col">${l10n.t('steps rated')}</th>
          <th scope="col">${l10n.t('reviews')}</th>
          <th scope="col">${l10n.t('edits')}</th>
          <th scope="col">${l10n.t('preference pairs')}</th>
          <th scope="col">${l10n.t('reflections')}</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          ([name, work]) =>
            html`<tr>
              <th scope="row">${name}</th>
              <td>${work.records}</td>
              <td>${work.ratings}</td>
              <td>${work.reviews}</td>
              <td>${work.edits}</td>
              <td>${work.pairs}</td>
              <td>${work.reflections}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </figure>`;
}

function show(message: OverviewMessage): void {
  const { stats, complete } = message;
  const heading =
    complete || message.indexing === undefined
      ? l10n.t('{0}: {1} records', stats.file, stats.records)
      : l10n.t('{0}: at least {1} records', stats.file, stats.records);
  const state = complete ? l10n.t('{0} records with errors', stats.recordsWithErrors) : countingState(message);
  const lengthLabel = (upTo: number | null, previous: number) => (upTo === null ? l10n.t('over {0}', previous) : `${previous + 1}-${upTo}`);
  const lengths: [string, number][] = stats.segmentLengths.map((bucket, i) => [
    lengthLabel(bucket.upTo, i === 0 ? -1 : (stats.segmentLengths[i - 1].upTo ?? 0)),
    bucket.count,
  ]);
  const { ratings } = stats;
  const charts = [
    barChart(l10n.t('Records by format'), entries(stats.formats)),
    barChart(l10n.t('Review status'), entries(stats.review, true, reviewStatusName)),
    barChart(l10n.t('Records failing each check'), entries(stats.checks)),
    barChart(l10n.t('Segment length (characters)'), lengths),
    barChart(l10n.t('Segment ratings'), [
      [l10n.t('correct (+1)'), ratings.correct],
      [l10n.t('neutral (0)'), ratings.neutral],
      [l10n.t('incorrect (-1)'), ratings.incorrect],
      [l10n.t('unrated'), ratings.unrated],
    ]),
    barChart(l10n.t('Annotations'), [
      [l10n.t('preference pairs'), stats.preferencePairs],
      [l10n.t('alternatives'), stats.alternatives],
      [l10n.t('suggested step labels'), stats.prelabels.suggested],
    ]),
    suggestionsChanged(stats.prelabels),
    workByAnnotator(stats.annotators),
  ];
  if (app) render(html`<h1 class="dataset-title">${heading}</h1><p class="overview-state" role="status">${state}</p><div class="charts">${charts}</div>`, app);
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = overviewMessageSchema.safeParse(event.data);
  if (parsed.success) show(parsed.data);
  else console.warn('CoT Studio: ignored an unexpected message', parsed.error.message);
});

vscode.postMessage({ type: 'ready' });
