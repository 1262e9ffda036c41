import { type OverviewMessage, overviewMessageSchema } from '../src/protocol';
import { barChart } from './charts';
import { element } from './dom';

interface VsCodeApi {
  postMessage(message: { type: 'ready' }): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

const app = document.getElementById('app');
if (!app) throw new Error('the overview has no #app element');
app.classList.add('overview');

function entries(counts: Record<string, number>, keepZero = false): [string, number][] {
  return Object.entries(counts)
    .filter(([, count]) => keepZero || count > 0)
    .map(([key, count]) => [key.replace('_', ' '), count]);
}

/** What the counts cover while they are still being made: the records read, of how many indexed so far. */
function countingState({ stats, counted, indexing }: OverviewMessage): string {
  if (indexing === undefined) return `Counting... ${counted} of ${stats.records} records`;
  return `Counting... ${counted} of at least ${stats.records} records (indexing the file, ${Math.floor(indexing * 100)}%)`;
}

function render(message: OverviewMessage): void {
  const { stats, complete } = message;
  const heading = element('h1', 'dataset-title', `${stats.file}: ${complete || message.indexing === undefined ? '' : 'at least '}${stats.records} records`);
  const state = element('p', 'overview-state', complete ? `${stats.recordsWithErrors} records with errors` : countingState(message));
  state.setAttribute('role', 'status');
  const lengthLabel = (upTo: number | null, previous: number) => (upTo === null ? `over ${previous}` : `${previous + 1}-${upTo}`);
  const lengths: [string, number][] = stats.segmentLengths.map((bucket, i) => [
    lengthLabel(bucket.upTo, i === 0 ? -1 : (stats.segmentLengths[i - 1].upTo ?? 0)),
    bucket.count,
  ]);
  const { ratings } = stats;
  const charts = element('div', 'charts');
  app?.replaceChildren(heading, state, charts);
  charts.append(
    barChart('Records by format', entries(stats.formats)),
    barChart('Review status', entries(stats.review, true)),
    barChart('Records failing each check', entries(stats.checks)),
    barChart('Segment length (characters)', lengths),
    barChart('Segment ratings', [
      ['correct (+1)', ratings.correct],
      ['neutral (0)', ratings.neutral],
      ['incorrect (-1)', ratings.incorrect],
      ['unrated', ratings.unrated],
    ]),
    barChart('Annotations', [
      ['preference pairs', stats.preferencePairs],
      ['alternatives', stats.alternatives],
    ]),
  );
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = overviewMessageSchema.safeParse(event.data);
  if (parsed.success) render(parsed.data);
  else console.warn('CoT Studio: ignored an unexpected message', parsed.error.message);
});

vscode.postMessage({ type: 'ready' });
