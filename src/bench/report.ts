import { z } from 'zod';

/** The measures, in the order the table lists them. */
export const measureIdSchema = z.enum(['read', 'index', 'first-page', 'page', 'next-sample', 'stats', 'save', 'memory-rss', 'memory-heap']);
export type MeasureId = z.infer<typeof measureIdSchema>;

export const benchRowSchema = z.object({
  id: measureIdSchema,
  /** What was measured, as the table names it. */
  measure: z.string(),
  unit: z.enum(['ms', 'µs', 'MB']),
  ours: z.number().finite(),
  baseline: z.number().finite().positive(),
  /** What the baseline does, on the same file in the same run. */
  baselineName: z.string(),
  /** ours / baseline: the figure to compare between runs and machines. */
  ratio: z.number().finite(),
  note: z.string(),
});
export type BenchRow = z.infer<typeof benchRowSchema>;

/** What `cot-studio bench --json` prints and `--out` writes. */
export const benchResultSchema = z.object({
  file: z.object({
    path: z.string(),
    records: z.number().int().positive(),
    bytes: z.number().int().positive(),
    meanLineBytes: z.number().positive(),
    kept: z.boolean(),
  }),
  node: z.string(),
  /** Memory figures are taken after a full collection only when node runs with --expose-gc. */
  gcExposed: z.boolean(),
  rows: z.array(benchRowSchema),
});
export type BenchResult = z.infer<typeof benchResultSchema>;

export function benchRow(id: MeasureId, measure: string, unit: BenchRow['unit'], ours: number, baseline: number, baselineName: string, note = ''): BenchRow {
  return { id, measure, unit, ours, baseline, baselineName, ratio: ours / baseline, note };
}

function figure(value: number, unit: BenchRow['unit']): string {
  return `${value.toFixed(value < 10 ? 2 : 1)} ${unit}`;
}

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/** The table `cot-studio bench` prints: the ratio is the figure; absolute times are for context. */
export function formatBench(result: BenchResult): string {
  const { file } = result;
  const header = [
    `${file.records} records, ${megabytes(file.bytes)} (mean line ${Math.round(file.meanLineBytes)} B)${file.kept ? ` kept at ${file.path}` : ''}`,
    `node ${result.node}${result.gcExposed ? '' : ', gc not exposed: memory figures include garbage (run node --expose-gc)'}`,
  ];
  const rows = [
    ['measure', 'ours', 'baseline', 'ratio', 'note'],
    ...result.rows.map((row) => {
      const baseline = `${figure(row.baseline, row.unit)} ${row.baselineName}`;
      return [row.measure, figure(row.ours, row.unit), baseline, `${row.ratio.toFixed(2)}x`, row.note];
    }),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((cells) => cells[column].length)));
  const lines = rows.map((cells) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '));
  return [...header, '', ...lines].join('\n');
}
