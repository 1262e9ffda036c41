import { z } from 'zod';

/** The measures, in the order the table lists them. */
export const measureIdSchema = z.enum([
  'read',
  'index',
  'first-page',
  'page',
  'next-sample',
  'stats',
  'stats-checks',
  'overview-edit',
  'save',
  'memory-rss',
  'memory-heap',
  'convert',
  'convert-rss',
]);
export type MeasureId = z.infer<typeof measureIdSchema>;

/** The fields of a table row, shared by the dataset and engine benches; each adds its own measure ids. */
export const benchRowFields = {
  /** What was measured, as the table names it. */
  measure: z.string(),
  unit: z.enum(['ms', 'µs', 'MB', 'MB/s', 'tok/s', 'iter/s', 'per kept', 'candidates', 'tokens']),
  ours: z.number().finite(),
  baseline: z.number().finite().positive(),
  /** What the baseline does, on the same file or model in the same run. */
  baselineName: z.string(),
  /** ours / baseline: the figure to compare between runs and machines. */
  ratio: z.number().finite(),
  note: z.string(),
};

export const benchRowSchema = z.object({ id: measureIdSchema, ...benchRowFields });
export type BenchRow = z.infer<typeof benchRowSchema>;

/** The generated file a bench measures on. */
export const benchFileSchema = z.object({
  path: z.string(),
  records: z.number().int().positive(),
  bytes: z.number().int().positive(),
  meanLineBytes: z.number().positive(),
  kept: z.boolean(),
});
export type BenchFile = z.infer<typeof benchFileSchema>;

/** What `cot-studio bench --json` prints and `--out` writes. */
export const benchResultSchema = z.object({
  file: benchFileSchema,
  node: z.string(),
  /** Memory figures are taken after a full collection only when node runs with --expose-gc. */
  gcExposed: z.boolean(),
  rows: z.array(benchRowSchema),
});
export type BenchResult = z.infer<typeof benchResultSchema>;

/** A row of either bench; `Id` is the bench's own measure id. */
export type Row<Id extends string> = Omit<BenchRow, 'id'> & { id: Id };

export function benchRow<Id extends string>(
  id: Id,
  measure: string,
  unit: BenchRow['unit'],
  ours: number,
  baseline: number,
  baselineName: string,
  note = '',
): Row<Id> {
  return { id, measure, unit, ours, baseline, baselineName, ratio: ours / baseline, note };
}

function figure(value: number, unit: BenchRow['unit']): string {
  return `${value.toFixed(value < 10 ? 2 : 1)} ${unit}`;
}

/** A ratio to two decimals; one far below 1 to two significant digits, so that it does not read as 0. */
const ratioText = (ratio: number): string => `${ratio > 0 && ratio < 0.01 ? ratio.toPrecision(2) : ratio.toFixed(2)}x`;

export const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/** The header line that describes a bench's file. */
export const fileLine = (file: BenchFile, records: string): string =>
  `${file.records} ${records}, ${megabytes(file.bytes)} (mean line ${Math.round(file.meanLineBytes)} B)${file.kept ? ` kept at ${file.path}` : ''}`;

/** The node line of both headers; memory figures depend on whether a full collection could run first. */
export const nodeLine = (node: string, gcExposed: boolean): string =>
  `node ${node}${gcExposed ? '' : ', gc not exposed: memory figures include garbage (run node --expose-gc)'}`;

/** The table both benches print under their header lines: the ratio is the figure; absolute values are for context. */
export function formatTable(header: readonly string[], tableRows: readonly Row<string>[]): string {
  const rows = [
    ['measure', 'ours', 'baseline', 'ratio', 'note'],
    ...tableRows.map((row) => {
      const baseline = `${figure(row.baseline, row.unit)} ${row.baselineName}`;
      return [row.measure, figure(row.ours, row.unit), baseline, ratioText(row.ratio), row.note];
    }),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((cells) => cells[column].length)));
  const lines = rows.map((cells) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '));
  return [...header, '', ...lines].join('\n');
}

export function formatBench(result: BenchResult): string {
  const header = [fileLine(result.file, 'records'), nodeLine(result.node, result.gcExposed)];
  return formatTable(header, result.rows);
}
