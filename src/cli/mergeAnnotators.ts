import { isUtf8 } from 'node:buffer';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { atomicWrite } from '../files/atomicWrite';
import { checkWriteTarget } from '../files/writeTarget';
import { mergeAnnotatorCopies } from '../merge/annotatorMerge';
import { annotatorNameSchema } from '../merge/split';
import { defaultOutput } from './batchOptions';
import { readingDatasetFile, STANDARD_INPUT } from './datasetFile';
import { parseOptions } from './modelOptions';
import { printOut } from './terminal';
import { UsageError } from './usage';

const namesSchema = z.object({ names: z.array(annotatorNameSchema) });

/** An annotator's name from their file as `cot-studio split` names it (`data.alice.jsonl` of `data.jsonl`: alice), else the file's name. */
function annotatorOf(original: string, file: string): string {
  const stem = path.basename(original).replace(/\.jsonl$/, '');
  const name = path.basename(file).replace(/\.jsonl$/, '');
  return name.startsWith(`${stem}.`) && name.length > stem.length + 1 ? name.slice(stem.length + 1) : name;
}

/**
 * `cot-studio merge ORIGINAL ANNOTATOR_FILE... [--names A,B,...] [--output OUT] [--json]`: the annotators' files of a
 * split dataset brought back into one copy of it (OUT, by default ORIGINAL-STEM.merged.jsonl); exits 1 when two
 * annotators' values were kept as conflicts to adjudicate, like `merge-driver`.
 */
export async function mergeAnnotators(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { output: { type: 'string', short: 'o' }, names: { type: 'string' }, json: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  const [original, ...files] = positionals;
  if (original === undefined || files.length === 0) throw new UsageError("give ORIGINAL and one or more annotators' files");
  if (positionals.includes(STANDARD_INPUT)) throw new UsageError('merge reads files, not standard input');
  const names =
    values.names === undefined
      ? files.map((file) => annotatorOf(original, file))
      : parseOptions(namesSchema, { names: values.names.split(',').map((name) => name.trim()) }).names;
  if (names.length !== files.length) throw new UsageError(`--names needs ${files.length} names, one per annotator's file`);
  if (new Set(names).size !== names.length) throw new UsageError('the annotators need different names: give --names');
  const output = values.output ?? defaultOutput(original, 'merged');
  await checkWriteTarget(output, { notSameAs: positionals });
  const read = (file: string): string => {
    const bytes = readingDatasetFile(file, (name) => fs.readFileSync(name));
    // Text decoding would replace such bytes, and lines nobody changed must keep theirs.
    if (!isUtf8(bytes)) throw new Error(`${file} is not UTF-8 throughout (cot-studio validate finds the lines); nothing merged`);
    return bytes.toString('utf8');
  };
  const merged = mergeAnnotatorCopies(
    read(original),
    files.map((file, i) => ({ name: names[i] as string, text: read(file) })),
  );
  await atomicWrite(output, [Buffer.from(merged.text)]);
  const { text: _, ...counts } = merged;
  if (values.json) printOut(`${JSON.stringify({ output, annotators: names, ...counts }, null, 2)}\n`);
  else {
    const added = merged.added === 0 ? '' : `, ${merged.added} lines added`;
    const conflicted =
      merged.conflicts === 0
        ? 'no conflicts'
        : `${merged.conflicts} conflicts in ${merged.conflictedLines.length} records (lines ${merged.conflictedLines.join(', ')}), kept under "conflicts" in their annotation blocks to adjudicate`;
    printOut(`${output}: ${names.length} annotators' work merged; ${merged.changed} records changed${added}; ${conflicted}\n`);
  }
  return merged.conflicts === 0 ? 0 : 1;
}
