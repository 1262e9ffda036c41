// What the trainers' labels make of reviews and step ratings: TRL SFT keeps only responses without an incorrect
// step (TRL's stepwise-to-SFT conversion keeps rows whose labels are all true), TRL KTO writes
// {prompt, completion, label} rows. Records quote the sources' shapes: TRL stepwise
// ({prompt, completions, labels}, TRL's dataset formats guide), LLaVA-CoT ({image, conversations} with four
// stages) and MMPR ({image, question, chosen, rejected}).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { ANNOTATION_KEY } from '../../src/dataset/annotations';
import type { JsonObject } from '../../src/dataset/record';
import { exportDataset, exportOptionsSchema, exportRecord, readExportInput, type ExportFormat, type ExportInput, type ExportOptions } from '../../src/export';
import { runCli } from '../harness/cli';
import { PNG_BASE64 } from '../harness/imageFolders';

const top = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-export-labels-'));
after(() => fs.rmSync(top, { recursive: true, force: true }));
fs.mkdirSync(path.join(top, 'images'));
fs.writeFileSync(path.join(top, 'images', 'square.png'), Buffer.from(PNG_BASE64, 'base64'));

const CREATED = '2025-01-01T00:00:00.000Z';

/** TRL's stepwise example, with its labels. */
function stepwise(labels: boolean[]): JsonObject {
  return {
    prompt: 'Which number is larger, 9.8 or 9.11?',
    completions: ['The fractional part of 9.8 is 0.8.', 'The fractional part of 9.11 is 0.11.', '0.8 is greater than 0.11.', 'Hence, 9.8 > 9.11.'].slice(
      0,
      labels.length,
    ),
    labels,
  };
}

const STAGES =
  '<SUMMARY> I look. </SUMMARY>\n\n<CAPTION> A square. </CAPTION>\n\n<REASONING> It has four equal sides. </REASONING>\n\n<CONCLUSION> square </CONCLUSION>';

/** A LLaVA-CoT record (four stages, one image) with the given annotations. */
function llavaCot(annotations: object = {}): JsonObject {
  return {
    id: 'lc-1',
    image: 'images/square.png',
    conversations: [
      { from: 'human', value: '<image>\nWhat is shown?' },
      { from: 'gpt', value: STAGES },
    ],
    [ANNOTATION_KEY]: { version: 1, ...annotations },
  };
}

const rated = (...ratings: (1 | 0 | -1 | null)[]): object => ({ segments: Object.fromEntries(ratings.map((rating, index) => [String(index), { rating }])) });

function input(record: JsonObject, line = 1): ExportInput {
  const read = readExportInput(JSON.stringify(record), line);
  assert.ok(!('refusal' in read), 'refusal' in read ? read.refusal : '');
  return read;
}

function options(overrides: Partial<ExportOptions> = {}): ExportOptions {
  return exportOptionsSchema.parse({ datasetDir: top, outputPath: path.join(top, 'out', 'unused.jsonl'), ...overrides });
}

function exported(format: ExportFormat, record: JsonObject, overrides: Partial<ExportOptions> = {}): ReturnType<typeof exportRecord> {
  return exportRecord(format, input(record), options(overrides));
}

describe('trl-sft from rated records', () => {
  it('leaves out a response with a step labelled false, as TRL filters stepwise rows on all(labels)', () => {
    assert.deepEqual(exported('trl-sft', stepwise([true, true, false, false])), { leftOut: 'incorrect-step' });
    const correct = stepwise([true, true, true, true]);
    const kept = exported('trl-sft', correct);
    assert.ok('lines' in kept);
    assert.deepEqual(kept.lines, [
      {
        messages: [
          { role: 'user', content: correct.prompt },
          { role: 'assistant', content: (correct.completions as string[]).join('\n\n') },
        ],
      },
    ]);
  });

  it('judges every rated step: -1 anywhere drops it, 0 counts as the neutral label says, unrated steps count against nothing', () => {
    assert.deepEqual(exported('trl-sft', llavaCot(rated(1, 1, null, -1))), { leftOut: 'incorrect-step' }, 'an error after an unrated step');
    assert.ok('lines' in exported('trl-sft', llavaCot(rated(1, 0, 1, 1))), 'neutral counts as correct by default');
    assert.deepEqual(exported('trl-sft', llavaCot(rated(1, 0, 1, 1)), { neutralLabel: false }), { leftOut: 'incorrect-step' });
    assert.ok('lines' in exported('trl-sft', llavaCot(rated(1, 1))), 'the unrated rest is not judged');
    assert.ok('lines' in exported('trl-sft', llavaCot()), 'a record without ratings is plain SFT data');
  });

  it('keeps them with keepIncorrect, and counts what it left out', async () => {
    assert.ok('lines' in exported('trl-sft', llavaCot(rated(-1)), { keepIncorrect: true }));
    const inputs = [input(llavaCot(rated(-1)), 1), input(llavaCot(), 2), input(stepwise([false]), 3), input(llavaCot({ review: { status: 'rejected' } }), 4)];
    const result = await exportDataset('trl-sft', inputs, options({ outputPath: path.join(top, 'sft.jsonl') }));
    assert.deepEqual(
      { written: result.written, incorrect: result.incorrect, skipped: result.skipped, refusals: result.refusals },
      { written: 1, incorrect: 2, skipped: 1, refusals: [] },
    );
  });

  it('the command line says what it left out, and --keep-incorrect writes it', async () => {
    const file = path.join(top, 'rated.jsonl');
    fs.writeFileSync(file, [llavaCot(rated(1, -1)), llavaCot(), stepwise([true, false])].map((record) => `${JSON.stringify(record)}\n`).join(''));
    const output = path.join(top, 'rated.sft.jsonl');
    const run = await runCli('export', file, '--format', 'trl-sft', '-o', output);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /^1 trl-sft lines written to .*; 0 records refused, 2 records with a step rated incorrect left out \(--keep-incorrect keeps them\)\n$/,
    );
    const kept = await runCli('export', file, '--format', 'trl-sft', '-o', output, '--keep-incorrect');
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(kept.stdout, /^3 trl-sft lines written/);
    assert.equal(fs.readFileSync(output, 'utf8').trim().split('\n').length, 3);
  });
});

// TRL's unpaired preference type, conversational, with the vision columns (dataset_formats.md): written from
// TRL's documentation, apart from the product's schema.
const textPart = z.object({ type: z.literal('text'), text: z.string() }).strict();
const content = z.union([z.string(), z.array(z.union([z.object({ type: z.literal('image') }).strict(), textPart])).min(1)]);
const message = z.object({ role: z.enum(['system', 'user', 'assistant']), content }).strict();
const ktoRow = z
  .object({
    prompt: z.array(message).min(1),
    completion: z.array(message.extend({ role: z.literal('assistant') })).length(1),
    label: z.boolean(),
    images: z.array(z.string()).min(1).optional(),
  })
  .strict();
type KtoRow = z.infer<typeof ktoRow>;

function ktoRows(record: JsonObject, overrides: Partial<ExportOptions> = {}): KtoRow[] {
  const result = exported('trl-kto', record, overrides);
  assert.ok('lines' in result, JSON.stringify(result));
  return result.lines.map((line) => ktoRow.parse(line));
}

const completionText = (row: KtoRow): string => {
  const [{ content: parts }] = row.completion;
  return typeof parts === 'string' ? parts : parts.map((part) => ('text' in part ? part.text : '')).join('');
};

describe('trl-kto', () => {
  it('labels a response by its review: accepted true, rejected false (written, not left out)', () => {
    const [accepted] = ktoRows(llavaCot({ review: { status: 'accepted' } }));
    assert.equal(accepted.label, true);
    assert.equal(completionText(accepted), STAGES);
    assert.deepEqual(accepted.images, ['../images/square.png'], 'from the output folder');
    assert.deepEqual(accepted.prompt, [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'What is shown?' }] }]);
    assert.deepEqual(
      ktoRows(llavaCot({ review: { status: 'rejected' } })).map((row) => row.label),
      [false],
    );
  });

  it('labels an unreviewed response by its steps: any incorrect false, every step correct true, else refused', () => {
    assert.deepEqual(
      ktoRows(llavaCot(rated(1, -1))).map((row) => row.label),
      [false],
    );
    assert.deepEqual(
      ktoRows(llavaCot(rated(1, 1, 1, 1))).map((row) => row.label),
      [true],
    );
    assert.deepEqual(
      ktoRows(llavaCot(rated(1, 0, 1, 1)), { neutralLabel: false }).map((row) => row.label),
      [false],
    );
    assert.deepEqual(
      ktoRows(stepwise([true, true])).map((row) => [row.label, row.prompt]),
      [[true, [{ role: 'user', content: 'Which number is larger, 9.8 or 9.11?' }]]],
    );
    assert.deepEqual(exported('trl-kto', llavaCot(rated(1, 1))), {
      refusal: 'no label: the record is neither accepted nor rejected, not every step of its response is rated, and it has no preference pair',
    });
  });

  it('refuses an accepted response with a step rated incorrect, naming the step', () => {
    assert.deepEqual(exported('trl-kto', llavaCot({ review: { status: 'accepted' }, ...rated(1, 1, -1) })), {
      refusal: 'the review accepts the record but step 3 is rated incorrect; change the rating or the review',
    });
  });

  it('unpairs each preference into a true chosen row and a false rejected row; a segment pair continues the text before it', () => {
    const mmpr = { image: 'images/square.png', question: '<image>\nName the shape.', chosen: 'A square.', rejected: 'A circle.' };
    assert.deepEqual(
      ktoRows(mmpr).map((row) => [completionText(row), row.label]),
      [
        ['A square.', true],
        ['A circle.', false],
      ],
    );
    const pairs = [{ level: 'segment', position: 2, chosen: ' Four equal sides. ', rejected: ' Three sides. ', origin: 'manual', createdAt: CREATED }];
    const rows = ktoRows(llavaCot({ review: { status: 'accepted' }, preferencePairs: pairs }));
    assert.deepEqual(
      rows.map((row) => [completionText(row), row.label]),
      [
        [STAGES, true],
        [' Four equal sides. ', true],
        [' Three sides. ', false],
      ],
    );
    const prefix = rows[1].prompt.at(-1);
    assert.equal(prefix?.role, 'assistant');
    assert.ok(JSON.stringify(prefix).includes('<CAPTION> A square. </CAPTION>'), 'the prompt ends with the response before the segment');
  });

  it('refuses a completion labelled both ways, and leaves out a rejected preference record', async () => {
    const pair = { level: 'response', chosen: 'A circle.', rejected: STAGES, origin: 'manual', createdAt: CREATED };
    assert.match(
      JSON.stringify(exported('trl-kto', llavaCot({ review: { status: 'accepted' }, preferencePairs: [pair] }))),
      /labelled both desirable and undesirable/,
    );
    const rejectedPair = {
      image: 'images/square.png',
      question: 'Name the shape.',
      chosen: 'A square.',
      rejected: 'A circle.',
      [ANNOTATION_KEY]: { version: 1, review: { status: 'rejected' } },
    };
    const result = await exportDataset(
      'trl-kto',
      [input(rejectedPair, 1), input(llavaCot({ review: { status: 'rejected' } }), 2)],
      options({ outputPath: path.join(top, 'kto.jsonl') }),
    );
    assert.deepEqual({ written: result.written, skipped: result.skipped }, { written: 1, skipped: 1 });
  });
});
