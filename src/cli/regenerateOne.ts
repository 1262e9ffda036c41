import type { RegenerateResult } from '../search/regeneration';
import { writeChangedLine } from './lineWrite';
import { failureOf, type RegenerationJob, regenerateLine } from './regenerateLine';
import { printErr, printOut } from './terminal';
import { errorMessage } from '../errors/message';

const formatScore = (score: number | undefined): string => (score === undefined ? '-' : score.toFixed(3));

const indent = (text: string): string => text.replace(/^/gm, '      ');

/** Dropped text on one line: it only has to be recognised. */
const preview = (text: string): string => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);

function formatResult(file: string, line: number, label: string, result: RegenerateResult): string {
  const { provenance, candidates, dropped } = result;
  const lines = [
    `${file}:${line}: ${label}: ${candidates.length} candidates, ${dropped.length} dropped; ${provenance.method === 'mcts' ? 'tree search, steps rated' : 'ranked'} by ${provenance.scorer}, seed ${provenance.seed}, ${provenance.backend}`,
    ...candidates.flatMap((candidate, i) => [
      `  #${i + 1}  score ${formatScore(candidate.score)}  ${candidate.finishReason}${i === result.chosen ? '  (chosen)' : ''}`,
      indent(candidate.text.trim()),
    ]),
    ...dropped.map((entry) => `  dropped: ${entry.reason}: ${preview(entry.text)}`),
    ...result.stages.slice(1).map((stage) => `  then ${stage.label}: ${stage.candidates} candidates, ${stage.dropped} dropped`),
    ...(result.tree && result.bestPath
      ? [
          `  tree: ${result.tree.nodes.length - 1} steps after ${result.iterations} iterations${result.solved ? ', a correct answer found' : ''}; best path ${result.bestPath.join(' > ')}`,
          ...(result.reflections?.length ? [`  ${result.reflections.length} reflection proposals`] : []),
        ]
      : []),
    ...result.notes.map((note) => `  note: ${note}`),
    `  ${result.judgeCalls} judge calls, ${result.tokensComputed} tokens computed`,
  ];
  return `${lines.join('\n')}\n`;
}

export interface OneRecord {
  file: string;
  /** 1-based. */
  line: number;
  lineText: string;
  seed: number;
  json: boolean;
  write: boolean;
}

/** One record: its candidates printed, and with --write added to the line as alternatives. */
export async function regenerateOne(record: OneRecord, job: RegenerationJob): Promise<number> {
  const { file, line } = record;
  const regenerated = await regenerateLine(job, record.lineText, line, record.seed).catch((error: unknown) => {
    printErr(`${file}:${line}: ${errorMessage(error)}\n`);
    return undefined;
  });
  if (!regenerated) return 1;
  const { result, text, added } = regenerated;
  // Absent values print as null, so the shape is the same whatever the scorer gives.
  if (record.json) printOut(`${JSON.stringify(result, (_, value: unknown) => (value === undefined ? null : value))}\n`);
  else printOut(formatResult(file, line, result.stages[0]?.label ?? `segment ${job.segment}`, result));
  const failure = failureOf(result);
  if (failure !== undefined) {
    printErr(`${file}:${line}: ${failure}\n`);
    return 1;
  }
  if (record.write) {
    await writeChangedLine(file, line, record.lineText, text, 'cot-studio regenerate --write');
    if (!record.json) printOut(`${file}:${line}: added ${added} alternatives\n`);
  }
  return 0;
}
