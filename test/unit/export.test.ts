import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { type Alternative, ANNOTATION_KEY, type Annotations, annotationsSchema, emptyAnnotations } from '../../src/dataset/annotations';
import type { Json, JsonObject, ParsedRecord } from '../../src/dataset/record';
import {
  exportDataset,
  exportFormatSchema,
  exportOptionsSchema,
  exportRecord,
  readExportInput,
  sideFiles,
  type ExportFormat,
  type ExportInput,
  type ExportOptions,
} from '../../src/export';
import { datasetsDir } from '../harness/fixtures';
import { visualPrmConversation, visualPrmRaw } from '../harness/visualPrmLayouts';

const FORMATS = exportFormatSchema.options;
const FIXTURES = fs.readdirSync(datasetsDir).filter((name) => name.endsWith('.jsonl'));
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-export-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

let outputs = 0;
/** A fresh folder outside the dataset's, so that image paths must be rewritten to be found. */
function outputFolder(): string {
  const folder = path.join(scratch, `out-${++outputs}`);
  fs.mkdirSync(folder);
  return folder;
}

function options(outputPath: string, overrides: Partial<ExportOptions> = {}): ExportOptions {
  return exportOptionsSchema.parse({ datasetDir: datasetsDir, outputPath, ...overrides });
}

/** The lines of a fixture as (line number, text), blank lines left out, BOM and CR removed. */
function fixtureLines(name: string): { line: number; text: string }[] {
  const text = fs.readFileSync(path.join(datasetsDir, name), 'utf8').replace(/^\uFEFF/, '');
  return text
    .split('\n')
    .map((line, index) => ({ line: index + 1, text: line.replace(/\r$/, '') }))
    .filter((line) => line.text.trim() !== '');
}

/** The fixture's records read through the format adapters; lines that do not parse are not export inputs. */
function fixtureInputs(name: string): ExportInput[] {
  return fixtureLines(name).flatMap(({ line, text }) => {
    const input = readExportInput(text, line);
    return 'refusal' in input ? [] : [input];
  });
}

function fixtureInput(name: string, line: number, annotations?: unknown): ExportInput {
  const source = fixtureLines(name).find((candidate) => candidate.line === line);
  assert.ok(source, `${name} has no line ${line}`);
  const record = JSON.parse(source.text) as JsonObject;
  if (annotations !== undefined) record[ANNOTATION_KEY] = annotations as Json;
  const input = readExportInput(JSON.stringify(record), line);
  assert.ok(!('refusal' in input), `${name}:${line}: ${'refusal' in input ? input.refusal : ''}`);
  return input;
}

function annotated(value: object): unknown {
  return annotationsSchema.parse({ version: 1, ...value });
}

const CREATED = '2025-01-01T00:00:00.000Z';

function readLines(file: string): JsonObject[] {
  const text = fs.readFileSync(file, 'utf8');
  if (text === '') return [];
  assert.ok(text.endsWith('\n'), 'the output ends with a newline');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as JsonObject);
}

function keysDeep(value: Json): string[] {
  if (Array.isArray(value)) return value.flatMap(keysDeep);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => [key, ...keysDeep(inner)]);
}

function countTokens(text: string): number {
  return text.split('<image>').length - 1;
}

// Target schemas, written from formats.md independently of the product's: strict, so extra keys fail.
const textPart = z.object({ type: z.literal('text'), text: z.string() }).strict();
const trlContent = z.union([z.string(), z.array(z.union([z.object({ type: z.literal('image') }).strict(), textPart]))]);
const trlMessage = z.object({ role: z.enum(['system', 'user', 'assistant']), content: trlContent }).strict();
const openaiUser = z
  .object({
    role: z.literal('user'),
    content: z.union([
      z.string(),
      z.array(z.union([textPart, z.object({ type: z.literal('image_url'), image_url: z.object({ url: z.string() }).strict() }).strict()])),
    ]),
  })
  .strict();
const openaiAssistant = z.object({ role: z.literal('assistant'), content: z.string() }).strict();
const gpt = z.object({ from: z.literal('gpt'), value: z.string() }).strict();
const sharegptTurn = z.object({ from: z.enum(['human', 'gpt']), value: z.string() }).strict();
const prmRating = z.union([z.literal(-1), z.literal(0), z.literal(1)]);

const TARGETS: Record<ExportFormat, z.ZodType> = {
  'trl-sft': z.object({ messages: z.array(trlMessage), images: z.array(z.string()).optional() }).strict(),
  'trl-dpo': z
    .object({
      prompt: z.array(trlMessage),
      chosen: z.array(trlMessage).length(1),
      rejected: z.array(trlMessage).length(1),
      images: z.array(z.string()).optional(),
    })
    .strict(),
  'trl-stepwise': z
    .object({ prompt: z.string(), completions: z.array(z.string()), labels: z.array(z.boolean()), images: z.array(z.string()).optional() })
    .strict(),
  'trl-kto': z
    .object({ prompt: z.array(trlMessage).min(1), completion: z.array(trlMessage).length(1), label: z.boolean(), images: z.array(z.string()).optional() })
    .strict(),
  'llamafactory-sharegpt': z.union([
    z.object({ conversations: z.array(sharegptTurn), images: z.array(z.string()) }).strict(),
    z.object({ conversations: z.array(sharegptTurn), chosen: gpt, rejected: gpt, images: z.array(z.string()) }).strict(),
  ]),
  'openai-chat': z.object({ messages: z.array(z.union([openaiUser, openaiAssistant])) }).strict(),
  'openai-dpo': z
    .object({
      input: z.object({ messages: z.array(openaiUser) }).strict(),
      preferred_output: z.array(openaiAssistant),
      non_preferred_output: z.array(openaiAssistant),
    })
    .strict(),
  prm800k: z
    .object({
      question: z.object({ problem: z.string(), ground_truth_answer: z.string().nullable(), pre_generated_steps: z.array(z.string()).optional() }).strict(),
      label: z
        .object({
          steps: z.array(
            z
              .object({
                completions: z.array(z.object({ text: z.string(), rating: prmRating, flagged: z.boolean().nullable() }).strict()),
                human_completion: z.string().nullable(),
                chosen_completion: z.number().int().nullable(),
              })
              .strict(),
          ),
          finish_reason: z.enum(['found_error', 'solution', 'bad_problem', 'give_up']),
          total_time: z.number().optional(),
        })
        .strict(),
    })
    .strict(),
  mmpr: z.object({ image: z.union([z.string(), z.array(z.string())]), question: z.string(), chosen: z.string(), rejected: z.string() }).strict(),
  mulberry: z
    .object({ messages: z.array(z.object({ role: z.enum(['user', 'assistant']), content: z.string() }).strict()), images: z.array(z.string()) })
    .strict(),
  visualprm: visualPrmRaw,
  'visualprm-conversation': visualPrmConversation,
};

/** Image paths of a line, for the check that each names a file seen from the output's folder. */
function linePaths(format: ExportFormat, line: JsonObject): string[] {
  if (format === 'openai-chat' || format === 'openai-dpo') return [...JSON.stringify(line).matchAll(/"url":"([^"]+)"/g)].map((match) => match[1]);
  if (format === 'mmpr' || format === 'prm800k') return [];
  const images = line.images;
  return Array.isArray(images) ? images.filter((image): image is string => typeof image === 'string') : [];
}

const RL_FIXTURES = new Set(['r1vl.jsonl', 'reason_rft_rl.jsonl']);
const SFT_FORMATS = new Set<ExportFormat>(['trl-sft', 'llamafactory-sharegpt', 'openai-chat']);
const PAIR_FORMATS = new Set<ExportFormat>(['trl-dpo', 'openai-dpo', 'mmpr']);

/** What each format must refuse among the unannotated fixtures, line by line. */
function expectedRefusal(format: ExportFormat, fixture: string, line: number): RegExp | null {
  if (RL_FIXTURES.has(fixture)) return /needs a response/;
  // Unreviewed and unrated: only the MMPR fixture's pairs carry labels.
  if (format === 'trl-kto') return fixture === 'mmpr.jsonl' ? null : /^no label/;
  if (SFT_FORMATS.has(format)) return null;
  if (PAIR_FORMATS.has(format)) return fixture === 'mmpr.jsonl' ? null : /no preference pair/;
  if (format === 'mulberry') {
    if (fixture !== 'mulberry.jsonl') return /not in Mulberry's ### sections/;
    return line === 6 ? /Mulberry's ### grammar: .*Let's think step by step.*steps are numbered 1, 3/ : null;
  }
  if (format === 'visualprm') return /^no Monte Carlo step scores/;
  if (format === 'visualprm-conversation') return /^no labelled steps \(labels from mc, human\)$/;
  return /^no rated steps$/;
}

/** Reading an export back through the adapters gives the same response (formats the product also reads). */
const ROUND_TRIPS: Partial<Record<ExportFormat, (source: ExportInput, exported: ParsedRecord) => void>> = {
  'trl-sft': (source, exported) => {
    assert.equal(exported.responses[0].text, source.parsed.responses[0].text);
    assert.equal(exported.images.length, source.parsed.images.length);
  },
  'openai-chat': (source, exported) => {
    assert.equal(exported.format, 'openai-chat');
    assert.equal(exported.responses[0].text, source.parsed.responses[0].text);
    assert.equal(exported.images.length, source.parsed.images.length);
  },
  'llamafactory-sharegpt': (source, exported) => {
    assert.equal(exported.question, source.parsed.question);
    // The adapters read no LLaMA-Factory ranking lines (chosen/rejected turns): those come back as a prompt only.
    if (source.parsed.format === 'mmpr') return;
    assert.equal(exported.format, source.parsed.format);
    assert.deepEqual(
      exported.responses[0].segments.map((segment) => segment.text),
      source.parsed.responses[0].segments.map((segment) => segment.text),
    );
  },
  mulberry: (source, exported) => {
    assert.equal(exported.format, 'mulberry');
    assert.equal(exported.question, source.parsed.question);
    assert.equal(exported.responses[0].text, source.parsed.responses[0].text);
  },
  'trl-dpo': (source, exported) => {
    assert.equal(exported.format, 'trl-preference');
    assert.deepEqual(
      exported.responses.map((response) => response.text),
      source.parsed.responses.map((response) => response.text),
    );
  },
  mmpr: (source, exported) => {
    assert.equal(exported.format, 'mmpr');
    assert.equal(exported.question, source.parsed.question);
    assert.deepEqual(exported.images, source.parsed.images);
    assert.deepEqual(
      exported.responses.map((response) => response.text),
      source.parsed.responses.map((response) => response.text),
    );
  },
};

describe('export of every fixture in every format', () => {
  for (const format of FORMATS) {
    for (const fixture of FIXTURES) {
      it(`${format} ← ${fixture}`, async () => {
        const folder = outputFolder();
        const outputPath = path.join(folder, 'out.jsonl');
        const inputs = fixtureInputs(fixture);
        const result = await exportDataset(format, inputs, options(outputPath));

        const expected = inputs.flatMap((input) => {
          const reason = expectedRefusal(format, fixture, input.line);
          return reason === null ? [] : [{ line: input.line, reason }];
        });
        assert.deepEqual(
          result.refusals.map((refusal) => refusal.line),
          expected.map((refusal) => refusal.line),
          JSON.stringify(result.refusals),
        );
        result.refusals.forEach((refusal, index) => {
          assert.match(refusal.reason, expected[index].reason);
        });

        const lines = readLines(outputPath);
        assert.equal(lines.length, result.written);
        // One line per exported record (one pair each in the MMPR fixture); KTO unpairs a pair into two rows.
        assert.equal(lines.length, (inputs.length - expected.length) * (format === 'trl-kto' ? 2 : 1));
        for (const line of lines) {
          const checked = TARGETS[format].safeParse(line);
          assert.ok(checked.success, `${format}: ${checked.success ? '' : z.prettifyError(checked.error)}\n${JSON.stringify(line).slice(0, 400)}`);
          assert.ok(!keysDeep(line).includes(ANNOTATION_KEY));
          for (const image of linePaths(format, line)) {
            // OpenAI takes images only as URLs or data URLs: its formats inline them unless told otherwise.
            if (format === 'openai-chat' || format === 'openai-dpo') assert.match(image, /^data:image\/(png|jpeg);base64,/);
            else assert.ok(fs.existsSync(path.resolve(folder, image)), `${image} is found from the output's folder`);
          }
          if (format === 'llamafactory-sharegpt' || format === 'mulberry') {
            const texts = JSON.stringify(line).match(/"(?:value|content)":"(?:[^"\\]|\\.)*"/g) ?? [];
            const tokens = texts.reduce((count, text) => count + countTokens(text), 0);
            assert.ok(Array.isArray(line.images));
            assert.equal(tokens, line.images.length, '<image> placeholders match the images');
          }
        }

        const roundTrip = ROUND_TRIPS[format];
        if (roundTrip) {
          const exportedSources = inputs.filter((input) => expectedRefusal(format, fixture, input.line) === null);
          lines.forEach((line, index) => {
            const reread = readExportInput(JSON.stringify(line), index + 1);
            assert.ok(!('refusal' in reread), `${format} line ${index + 1} reads back: ${'refusal' in reread ? reread.refusal : ''}`);
            roundTrip(exportedSources[index], reread.parsed);
          });
        }

        const folderFiles = fs.readdirSync(folder).sort();
        const side = format === 'llamafactory-sharegpt' ? ['dataset_info.json'] : format === 'mmpr' || format === 'visualprm-conversation' ? ['meta.json'] : [];
        assert.deepEqual(folderFiles, ['out.jsonl', ...side].sort(), 'no temporary file is left behind');
        assert.deepEqual(result.files, [outputPath, ...side.map((name) => path.join(folder, name))]);
      });
    }
  }
});

describe('side files', () => {
  it('registers a LLaMA-Factory SFT export in dataset_info.json, keeping the other entries', async () => {
    const folder = outputFolder();
    fs.writeFileSync(path.join(folder, 'dataset_info.json'), JSON.stringify({ other: { file_name: 'other.json' } }));
    const outputPath = path.join(folder, 'llava.jsonl');
    await exportDataset('llamafactory-sharegpt', fixtureInputs('llava_cot.jsonl'), options(outputPath));
    const info = JSON.parse(fs.readFileSync(path.join(folder, 'dataset_info.json'), 'utf8')) as JsonObject;
    assert.deepEqual(info, {
      other: { file_name: 'other.json' },
      llava: {
        file_name: 'llava.jsonl',
        formatting: 'sharegpt',
        columns: { messages: 'conversations', images: 'images' },
        tags: { role_tag: 'from', content_tag: 'value', user_tag: 'human', assistant_tag: 'gpt' },
      },
    });
  });

  it('marks a LLaMA-Factory preference export as ranking, under the given name', async () => {
    const folder = outputFolder();
    const outputPath = path.join(folder, 'pairs.jsonl');
    await exportDataset('llamafactory-sharegpt', fixtureInputs('mmpr.jsonl'), options(outputPath, { datasetName: 'mmpr_pairs' }));
    const info = JSON.parse(fs.readFileSync(path.join(folder, 'dataset_info.json'), 'utf8')) as JsonObject;
    assert.deepEqual(info, {
      mmpr_pairs: {
        file_name: 'pairs.jsonl',
        formatting: 'sharegpt',
        ranking: true,
        columns: { messages: 'conversations', images: 'images', chosen: 'chosen', rejected: 'rejected' },
        tags: { role_tag: 'from', content_tag: 'value', user_tag: 'human', assistant_tag: 'gpt' },
      },
    });
    const [first] = readLines(outputPath);
    assert.deepEqual(Object.keys(first).sort(), ['chosen', 'conversations', 'images', 'rejected']);
    assert.deepEqual(first.conversations, [{ from: 'human', value: fixtureInput('mmpr.jsonl', 1).parsed.question }]);
  });

  it('writes meta.json for MMPR with the dataset folder as root and the line count', async () => {
    const folder = outputFolder();
    const outputPath = path.join(folder, 'mpo.jsonl');
    await exportDataset('mmpr', fixtureInputs('mmpr.jsonl'), options(outputPath));
    const meta = JSON.parse(fs.readFileSync(path.join(folder, 'meta.json'), 'utf8')) as JsonObject;
    assert.deepEqual(meta, { mpo: { root: path.resolve(datasetsDir), annotation: outputPath, data_augment: false, repeat_time: 1, length: 2 } });
    for (const line of readLines(outputPath)) assert.ok(fs.existsSync(path.join(datasetsDir, String(line.image))));
  });

  it('has none for the other formats', () => {
    for (const format of FORMATS.filter((candidate) => !['mmpr', 'visualprm-conversation', 'llamafactory-sharegpt'].includes(candidate))) {
      assert.deepEqual(sideFiles(format, { outputPath: '/x/y.jsonl', count: 1, datasetName: 'y', root: '/x' }), []);
    }
  });

  it('refuses to overwrite a registry that is not a JSON object', async () => {
    const folder = outputFolder();
    fs.writeFileSync(path.join(folder, 'meta.json'), '[1, 2');
    const outputPath = path.join(folder, 'mpo.jsonl');
    fs.writeFileSync(outputPath, 'old\n');
    await assert.rejects(exportDataset('mmpr', fixtureInputs('mmpr.jsonl'), options(outputPath)), /meta\.json exists but is not a JSON object/);
    assert.equal(fs.readFileSync(outputPath, 'utf8'), 'old\n', 'the export stops before replacing the output');
    assert.equal(fs.readFileSync(path.join(folder, 'meta.json'), 'utf8'), '[1, 2');
    assert.deepEqual(fs.readdirSync(folder).sort(), ['meta.json', 'mpo.jsonl']);
  });
});

describe('atomic write', () => {
  it('replaces an existing output only once the new one is complete', async () => {
    const folder = outputFolder();
    const outputPath = path.join(folder, 'out.jsonl');
    fs.writeFileSync(outputPath, 'old\n');
    const inputs = fixtureInputs('llava_cot.jsonl');
    let seenMidway = false;
    function* slowly(): Iterable<ExportInput> {
      for (const [index, input] of inputs.entries()) {
        if (index === inputs.length - 1) {
          assert.equal(fs.readFileSync(outputPath, 'utf8'), 'old\n');
          assert.equal(fs.readdirSync(folder).filter((name) => name.endsWith('.tmp')).length, 1, 'lines go to a temporary file');
          seenMidway = true;
        }
        yield input;
      }
    }
    const result = await exportDataset('trl-sft', slowly(), options(outputPath));
    assert.ok(seenMidway);
    assert.equal(result.written, inputs.length);
    assert.equal(readLines(outputPath).length, inputs.length);
    assert.deepEqual(fs.readdirSync(folder), ['out.jsonl']);
  });

  it('leaves the old output and no temporary file when the export fails', async () => {
    const folder = outputFolder();
    const outputPath = path.join(folder, 'out.jsonl');
    fs.writeFileSync(outputPath, 'old\n');
    function* failing(): Iterable<ExportInput> {
      yield* fixtureInputs('llava_cot.jsonl');
      throw new Error('reader failed');
    }
    await assert.rejects(exportDataset('trl-sft', failing(), options(outputPath)), /reader failed/);
    assert.equal(fs.readFileSync(outputPath, 'utf8'), 'old\n');
    assert.deepEqual(fs.readdirSync(folder), ['out.jsonl']);
  });
});

/** A response of plain steps, built by hand so that the label rules are tested apart from any adapter. */
function stepRecord(steps: string[], annotations: Annotations = emptyAnnotations()): ExportInput {
  let offset = 0;
  const text = steps.join('\n');
  const segments = steps.map((step, index) => {
    const span: [number, number] = [offset, offset + step.length];
    offset += step.length + 1;
    return { kind: 'step' as const, label: `Step ${index + 1}`, text: step, path: ['answer'], span };
  });
  const parsed: ParsedRecord = {
    format: 'sharegpt',
    id: null,
    question: 'What is 2 + 3 * 4?',
    images: [],
    groundTruth: '14',
    keySteps: null,
    responses: [{ role: 'response', text, segments }],
  };
  return { line: 7, record: { question: parsed.question, answer: text }, parsed, annotations };
}

function ratings(values: (1 | 0 | -1 | null)[], extra: object = {}): Annotations {
  const segments = Object.fromEntries(values.map((rating, index) => [String(index), { rating }]));
  return annotationsSchema.parse({ version: 1, segments, ...extra });
}

function exported(format: ExportFormat, input: ExportInput, overrides: Partial<ExportOptions> = {}): JsonObject[] {
  const result = exportRecord(format, input, options(path.join(scratch, 'unused.jsonl'), overrides));
  assert.ok('lines' in result, JSON.stringify(result));
  return result.lines as JsonObject[];
}

function refusal(format: ExportFormat, input: ExportInput): string {
  const result = exportRecord(format, input, options(path.join(scratch, 'unused.jsonl')));
  assert.ok('refusal' in result, `expected a refusal, got ${JSON.stringify(result)}`);
  return result.refusal;
}

const STEPS = ['3 * 4 = 12.', '2 + 12 = 14.', 'So the answer is 15.', 'Check: 15.', 'Final: 15.'];

describe('step labels (TRL stepwise)', () => {
  it('maps +1 to true, -1 to false and 0 to the neutral label, stopping at the first unrated step', () => {
    const input = stepRecord(STEPS, ratings([1, 0, -1, null, -1]));
    const [line] = exported('trl-stepwise', input);
    assert.deepEqual(line, { prompt: 'What is 2 + 3 * 4?', completions: STEPS.slice(0, 3), labels: [true, true, false] });
    assert.deepEqual(exported('trl-stepwise', input, { neutralLabel: false })[0].labels, [true, false, false]);
  });

  it('keeps rated steps after the first error (first-error marking rates them all -1)', () => {
    const [line] = exported('trl-stepwise', stepRecord(STEPS, ratings([1, 1, -1, -1, -1])));
    assert.deepEqual(line.labels, [true, true, false, false, false]);
    assert.deepEqual(line.completions, STEPS);
  });

  it('refuses a record with no rated step, or none from the first step on', () => {
    assert.equal(refusal('trl-stepwise', stepRecord(STEPS)), 'no rated steps');
    assert.match(refusal('trl-stepwise', stepRecord(STEPS, ratings([null, 1, -1]))), /^no rated steps at the start/);
    assert.match(refusal('prm800k', stepRecord(STEPS)), /^no rated steps/);
  });

  it('skips blank sections such as Mulberry\'s "Let\'s think step by step." header', () => {
    // Mulberry line 2: Image Description, Rationales, (blank), Step 1, Step 2 (area without the 1/2), Step 3, Final answer.
    const input = fixtureInput(
      'mulberry.jsonl',
      2,
      annotated({ segments: { 0: { rating: 1 }, 1: { rating: 1 }, 3: { rating: 1 }, 4: { rating: -1 }, 5: { rating: -1 } } }),
    );
    const [line] = exported('trl-stepwise', input);
    assert.deepEqual(line.labels, [true, true, true, false, false]);
    assert.deepEqual(
      line.completions,
      [0, 1, 3, 4, 5].map((index) => input.parsed.responses[0].segments[index].text),
    );
    assert.equal(line.prompt, input.parsed.question, 'the prompt keeps its <image> placeholder');
    assert.deepEqual(line.images, [path.relative(path.dirname(path.join(scratch, 'unused.jsonl')), path.join(datasetsDir, 'images/triangle.png'))]);
  });

  it('writes LLaVA-CoT stages without the spaces inside their tags', () => {
    const [line] = exported(
      'trl-stepwise',
      fixtureInput('llava_cot.jsonl', 2, annotated({ segments: { 0: { rating: 1 }, 1: { rating: 1 }, 2: { rating: -1 } } })),
    );
    assert.deepEqual(line.completions, [
      'I will read the bars for 2020 and 2021 and subtract.',
      "The image is a bar chart titled 'Bicycles sold per year (thousands)' with five bars for 2019 to 2023, labelled 12, 18, 9, 21 and 15.",
      '2020 shows 18 and 2021 shows 9. The difference is 18 - 9 = 7.',
    ]);
    assert.deepEqual(line.labels, [true, true, false]);
  });

  it('writes one line per rated side of a preference record', () => {
    const input = fixtureInput(
      'mmpr.jsonl',
      1,
      annotated({ segments: { 0: { rating: 1 }, 1: { rating: 1 }, 'rejected:0': { rating: 1 }, 'rejected:1': { rating: -1 } } }),
    );
    const lines = exported('trl-stepwise', input);
    assert.deepEqual(
      lines.map((line) => line.labels),
      [
        [true, true],
        [true, false],
      ],
    );
    assert.deepEqual(lines[1].completions, ['The triangle is right-angled at B.', 'x = 6 + 8 = 14.']);
  });

  it("takes a TRL stepwise source's own labels where the annotator gave none", () => {
    const record: JsonObject = { prompt: 'Which is larger, 9.8 or 9.11?', completions: ['0.8 > 0.11.', 'So 9.11 is larger.'], labels: [true, false] };
    const input = readExportInput(JSON.stringify(record), 1);
    assert.ok(!('refusal' in input));
    assert.deepEqual(exported('trl-stepwise', input)[0], { prompt: record.prompt, completions: record.completions, labels: [true, false] });
    const relabelled = { ...input, annotations: ratings([null, 1]) };
    assert.deepEqual(exported('trl-stepwise', relabelled)[0].labels, [true, true]);
  });
});

describe('PRM800K', () => {
  it('labels up to the first error, with alternatives as further completions', () => {
    const alternative = (text: string, rating: 1 | -1 | null): Alternative => ({ text, rating, provenance: { source: 'model', createdAt: CREATED } });
    const annotations = ratings([1, 1, -1, -1, null], {});
    annotations.segments['1'].alternatives = [alternative('2 + 12 equals 14.', 1), alternative('unrated try', null)];
    annotations.segments['2'].alternatives = [alternative('So the answer is 14.', 1)];
    const [line] = exported('prm800k', stepRecord(STEPS, annotations));
    assert.deepEqual(line, {
      question: { problem: 'What is 2 + 3 * 4?', ground_truth_answer: '14', pre_generated_steps: STEPS },
      label: {
        steps: [
          { completions: [{ text: STEPS[0], rating: 1, flagged: null }], human_completion: null, chosen_completion: 0 },
          {
            completions: [
              { text: STEPS[1], rating: 1, flagged: null },
              { text: '2 + 12 equals 14.', rating: 1, flagged: null },
            ],
            human_completion: null,
            chosen_completion: 0,
          },
          {
            completions: [
              { text: STEPS[2], rating: -1, flagged: null },
              { text: 'So the answer is 14.', rating: 1, flagged: null },
            ],
            human_completion: null,
            chosen_completion: null,
          },
        ],
        finish_reason: 'found_error',
      },
    });
  });

  it("finishes with 'solution' when every rated step is correct or neutral", () => {
    const [line] = exported('prm800k', stepRecord(STEPS, ratings([1, 0, 1])));
    const label = line.label as JsonObject;
    assert.equal(label.finish_reason, 'solution');
    assert.equal((label.steps as Json[]).length, 3);
  });
});

describe('preference pairs', () => {
  const llava = (pairs: object[]) => fixtureInput('llava_cot.jsonl', 2, annotated({ preferencePairs: pairs }));
  const reasoning = (input: ExportInput) => input.parsed.responses[0].segments[2];
  const wholePair = { level: 'response', chosen: 'The answer is 9.', rejected: 'The answer is 7.', origin: 'manual', createdAt: CREATED };
  const stepPair = { level: 'segment', position: 2, chosen: ' 18 - 9 = 9. ', rejected: ' 18 - 9 = 7. ', origin: 'accepted-alternative', createdAt: CREATED };

  it('gives TRL DPO one line per pair; a segment pair continues the response text before its segment', () => {
    const input = llava([wholePair, stepPair]);
    const answer = input.parsed.responses[0].text;
    const prefix = answer.slice(0, answer.indexOf(reasoning(input).text, answer.indexOf('<REASONING>')));
    assert.ok(prefix.endsWith('<REASONING>'));
    const lines = exported('trl-dpo', input);
    const image = [{ type: 'image' }];
    const question = { role: 'user', content: [...image, { type: 'text', text: input.parsed.question?.replace('<image>\n', '') }] };
    assert.equal(lines.length, 2);
    assert.deepEqual(lines[0].prompt, [question]);
    assert.deepEqual(lines[0].chosen, [{ role: 'assistant', content: [{ type: 'text', text: 'The answer is 9.' }] }]);
    assert.deepEqual(lines[0].rejected, [{ role: 'assistant', content: [{ type: 'text', text: 'The answer is 7.' }] }]);
    assert.equal((lines[0].images as Json[]).length, 1);
    assert.deepEqual(lines[1].prompt, [question, { role: 'assistant', content: [{ type: 'text', text: prefix }] }]);
    assert.deepEqual(lines[1].chosen, [{ role: 'assistant', content: [{ type: 'text', text: stepPair.chosen }] }]);
  });

  it('puts the prefix in front of both sides for OpenAI DPO and MMPR', () => {
    const input = llava([stepPair]);
    const answer = input.parsed.responses[0].text;
    const prefix = answer.slice(0, reasoning(input).span[0]);
    const [openai] = exported('openai-dpo', input);
    assert.deepEqual(openai.preferred_output, [{ role: 'assistant', content: prefix + stepPair.chosen }]);
    assert.deepEqual(openai.non_preferred_output, [{ role: 'assistant', content: prefix + stepPair.rejected }]);
    const [mmpr] = exported('mmpr', input);
    assert.deepEqual(mmpr, {
      image: 'images/bar_chart.png',
      question: input.parsed.question,
      chosen: prefix + stepPair.chosen,
      rejected: prefix + stepPair.rejected,
    });
  });

  it("counts a source pair that repeats the record's own chosen/rejected once", () => {
    const source = fixtureInput('mmpr.jsonl', 1);
    const [chosen, rejected] = source.parsed.responses.map((response) => response.text);
    const input = fixtureInput(
      'mmpr.jsonl',
      1,
      annotated({ preferencePairs: [{ level: 'response', chosen, rejected, origin: 'source', createdAt: CREATED }, wholePair] }),
    );
    const lines = exported('mmpr', input);
    assert.deepEqual(
      lines.map((line) => [line.chosen, line.rejected]),
      [
        [chosen, rejected],
        [wholePair.chosen, wholePair.rejected],
      ],
    );
    const openai = exported('openai-dpo', input);
    assert.equal(openai.length, 2);
  });

  it('refuses a segment pair that names no segment', () => {
    assert.match(refusal('trl-dpo', llava([{ ...stepPair, position: 9 }])), /preference pair 1 is segment-level but its position \(9\)/);
  });
});

describe('record rules', () => {
  it('leaves out records the reviewer rejected unless asked to include them', async () => {
    const rejected = fixtureInput('llava_cot.jsonl', 1, annotated({ review: { status: 'rejected' } }));
    assert.deepEqual(exportRecord('trl-sft', rejected, options(path.join(scratch, 'unused.jsonl'))), { leftOut: 'rejected' });
    assert.equal(exported('trl-sft', rejected, { includeRejected: true }).length, 1);
    const folder = outputFolder();
    const result = await exportDataset('trl-sft', [rejected, fixtureInput('llava_cot.jsonl', 3)], options(path.join(folder, 'out.jsonl')));
    assert.deepEqual({ written: result.written, skipped: result.skipped, refusals: result.refusals }, { written: 1, skipped: 1, refusals: [] });
  });

  it('refuses RL-only records in every format, naming why', () => {
    for (const format of FORMATS) {
      assert.match(refusal(format, fixtureInput('r1vl.jsonl', 1)), new RegExp(`^${format} needs a response and a r1-vl record has none`));
      assert.match(refusal(format, fixtureInput('reason_rft_rl.jsonl', 2)), /reason-rft-rl record has none/);
    }
  });

  it('writes TRL SFT with one image part per image and the placeholder taken out of the text', () => {
    const input = fixtureInput('llava_cot.jsonl', 1);
    const [line] = exported('trl-sft', input);
    assert.deepEqual(line.messages, [
      {
        role: 'user',
        content: [{ type: 'image' }, { type: 'text', text: 'In which year were the most bicycles sold? Answer the question using a single word or phrase.' }],
      },
      { role: 'assistant', content: [{ type: 'text', text: input.parsed.responses[0].text }] },
    ]);
  });

  it('writes the annotated text of the record, since edits are already in it', () => {
    const source = JSON.parse(fixtureLines('openvlthinker.jsonl')[1].text) as { messages: { content: string }[] };
    source.messages[1].content = '<think>Edited by hand.</think><answer>2022</answer>';
    const input = readExportInput(JSON.stringify(source), 2);
    assert.ok(!('refusal' in input));
    const [line] = exported('openai-chat', input);
    assert.deepEqual((line.messages as JsonObject[])[1], { role: 'assistant', content: '<think>Edited by hand.</think><answer>2022</answer>' });
  });

  it('inlines images as data URIs for OpenAI when asked, and names an unreadable image', () => {
    const input = fixtureInput('mmpr.jsonl', 2);
    const twoImages = { ...input, parsed: { ...input.parsed, images: ['images/bar_chart.png', 'images/price_table.png'] } };
    const [line] = exported('openai-chat', twoImages, { images: 'data-uri' });
    const user = (line.messages as JsonObject[])[0];
    const parts = user.content as JsonObject[];
    assert.deepEqual(
      parts.map((part) => part.type),
      ['image_url', 'image_url', 'text'],
    );
    const bytes = fs.readFileSync(path.join(datasetsDir, 'images/bar_chart.png'));
    assert.equal((parts[0].image_url as JsonObject).url, `data:image/png;base64,${bytes.toString('base64')}`);
    const missing = { ...input, parsed: { ...input.parsed, images: ['images/missing.png'] } };
    const result = exportRecord('openai-chat', missing, options(path.join(scratch, 'unused.jsonl'), { images: 'data-uri' }));
    assert.ok('refusal' in result);
    assert.equal(result.refusal, 'cannot inline image: image not found: images/missing.png');
  });

  it('writes a second exchange in the chat formats, and the first reply without it in the formats about a reply', () => {
    const source = JSON.parse(fixtureLines('llava_cot.jsonl')[0].text) as { conversations: JsonObject[] };
    const twoExchanges = {
      ...source,
      conversations: [...source.conversations, { from: 'human', value: 'And in 2020?' }, { from: 'gpt', value: '<CONCLUSION>12</CONCLUSION>' }],
    };
    const input = readExportInput(JSON.stringify(twoExchanges), 7);
    assert.ok(!('refusal' in input));
    const chat: ExportFormat[] = ['trl-sft', 'llamafactory-sharegpt', 'openai-chat'];
    for (const format of chat) assert.equal(JSON.stringify(exported(format, input)[0]).split('And in 2020?').length, 2, format);
    // The first reply rated and a pair about it: its rows hold the question alone, not the exchange after it.
    const ratings = Object.fromEntries([0, 1, 2, 3].map((index) => [String(index), { rating: 1 }]));
    const pair = { level: 'response', chosen: 'better', rejected: 'worse', origin: 'manual', createdAt: CREATED };
    const rated = { ...input, annotations: annotationsSchema.parse({ version: 1, segments: ratings, preferencePairs: [pair] }) };
    // visualprm writes Monte Carlo scores, which this record has none of.
    for (const format of FORMATS.filter((candidate) => !chat.includes(candidate) && candidate !== 'mulberry' && candidate !== 'visualprm')) {
      const lines = exported(format, rated);
      assert.ok(lines.length > 0 && !JSON.stringify(lines).includes('And in 2020?'), format);
    }
    const tool = readExportInput(JSON.stringify({ ...source, conversations: [...source.conversations, { from: 'tool', value: '12' }] }), 7);
    assert.ok(!('refusal' in tool));
    for (const format of FORMATS) assert.ok(refusal(format, tool).endsWith('conversations turn(s) 3 (tool) would be lost'), format);
  });

  it('writes a system prompt where the target has a place for it, and refuses the record where it has none', () => {
    const source = JSON.parse(fixtureLines('mulberry.jsonl')[0].text) as JsonObject & { messages: JsonObject[] };
    const system = 'Answer with ### sections.';
    const inputs = [
      readExportInput(JSON.stringify({ ...source, messages: [{ role: 'system', content: system }, ...source.messages] }), 1),
      readExportInput(JSON.stringify({ ...source, system }), 1),
    ];
    for (const input of inputs) {
      assert.ok(!('refusal' in input));
      assert.equal(input.parsed.system, system);
      const withPair = {
        ...input,
        annotations: annotationsSchema.parse({
          version: 1,
          preferencePairs: [{ level: 'response', chosen: 'better', rejected: 'worse', origin: 'manual', createdAt: CREATED }],
        }),
      };
      assert.deepEqual((exported('trl-sft', input)[0].messages as JsonObject[])[0], { role: 'system', content: [{ type: 'text', text: system }] });
      assert.deepEqual((exported('openai-chat', input)[0].messages as JsonObject[])[0], { role: 'system', content: system });
      assert.deepEqual((exported('mulberry', input)[0].messages as JsonObject[])[0], { role: 'system', content: system });
      assert.equal(exported('llamafactory-sharegpt', input)[0].system, system);
      assert.deepEqual((exported('trl-dpo', withPair)[0].prompt as JsonObject[])[0].role, 'system');
      assert.deepEqual(((exported('openai-dpo', withPair)[0].input as JsonObject).messages as JsonObject[])[0], { role: 'system', content: system });
      for (const format of ['mmpr', 'prm800k', 'trl-stepwise'] as const) assert.match(refusal(format, withPair), /system prompt, which would be lost/, format);
    }
  });

  it('finds an image the dataset folder lacks in an image root, as the editor does', () => {
    const input = fixtureInput('mmpr.jsonl', 2);
    const image = input.parsed.images[0];
    const onDisk = path.join(datasetsDir, image);
    const datasetDir = outputFolder();
    const output = path.join(outputFolder(), 'out.jsonl');
    const rooted = { datasetDir, imageRoots: [datasetsDir] };
    const [sharegpt] = exported('llamafactory-sharegpt', input, { ...rooted, outputPath: output });
    assert.equal(path.resolve(path.dirname(output), (sharegpt.images as string[])[0]), onDisk);
    const [pair] = exported('mmpr', input, rooted);
    assert.equal(path.resolve(datasetDir, pair.image as string), onDisk, 'meta.json names the dataset folder as root');
    const [chat] = exported('openai-chat', input, { ...rooted, images: 'data-uri' });
    const parts = (chat.messages as JsonObject[])[0].content as JsonObject[];
    assert.equal((parts[0].image_url as JsonObject).url, `data:image/png;base64,${fs.readFileSync(onDisk).toString('base64')}`);
    assert.ok('refusal' in exportRecord('openai-chat', input, options(output, { datasetDir, images: 'data-uri' })), 'without the root the image is missing');
  });

  it('adds missing <image> placeholders for LLaMA-Factory and refuses more placeholders than images', () => {
    const input = fixtureInput('mulberry.jsonl', 1);
    const withoutToken = { ...input, parsed: { ...input.parsed, question: 'Find x.' } };
    const [line] = exported('llamafactory-sharegpt', withoutToken);
    assert.deepEqual((line.conversations as JsonObject[])[0], { from: 'human', value: '<image>Find x.' });
    const twoTokens = { ...input, parsed: { ...input.parsed, question: '<image><image>Find x.' } };
    assert.match(refusal('llamafactory-sharegpt', twoTokens), /2 <image> placeholders but the record has 1 images/);
    assert.match(refusal('trl-sft', twoTokens), /2 <image> placeholders/);
  });

  it('refuses a line that fails the format schema, naming the rule', () => {
    const input = fixtureInput('mulberry.jsonl', 1);
    const response = { ...input.parsed.responses[0], text: 'As the <image> shows, x = 10.' };
    const literalToken = { ...input, parsed: { ...input.parsed, responses: [response] } };
    assert.equal(
      refusal('llamafactory-sharegpt', literalToken),
      'the llamafactory-sharegpt line does not match the format: the number of <image> placeholders must equal the number of images',
    );
  });

  it('keeps one kind of line per LLaMA-Factory file, refusing the records of the other kind', async () => {
    const folder = outputFolder();
    const inputs = [...fixtureInputs('mmpr.jsonl'), fixtureInput('llava_cot.jsonl', 1)];
    const result = await exportDataset('llamafactory-sharegpt', inputs, options(path.join(folder, 'mixed.jsonl')));
    assert.equal(result.written, 2);
    assert.deepEqual(result.refusals, [
      { line: 1, reason: 'a llamafactory-sharegpt file holds one kind of line: this record makes sft lines, the file has ranking lines (from line 1)' },
    ]);
  });

  it('exports a Mulberry reflection record as it is', () => {
    const input = fixtureInput('mulberry.jsonl', 3);
    const [line] = exported('mulberry', input);
    const messages = line.messages as JsonObject[];
    assert.match(String(messages[1].content), /I think I have made a mistake\. Let me rethink it\.\n\n### Step 1:/);
    assert.equal(messages[1].content, input.parsed.responses[0].text);
    assert.deepEqual(line.images, [path.relative(scratch, path.join(datasetsDir, 'images/shapes.png'))]);
  });
});
