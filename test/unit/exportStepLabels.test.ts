// The step exports' labels from other sources than ratings (pre-labels, Monte Carlo scores), and VisualPRM's two
// layouts. Records are a fixture line annotated through the operations the editor and the CLI apply
// (setStepScores, setPrelabels, rateSegment), so the annotations are the ones the product writes. The target
// schemas mirror InternVL's pipeline (OpenGVLab/InternVL at 2410d1dbf208f0e799459aff9376e5747dbf41a2):
// internvl_chat/tools/reasoning_data_pipeline/visualprm_data_pieline.py writes the raw lines, and
// visualprm_data_pipeline_postprocess.py (item2conv_prm) the training conversation.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_REFLECTION_PHRASE } from '../../src/dataset/annotations';
import { detectFormat, parseRecord } from '../../src/dataset/formats';
import { applyOperation } from '../../src/dataset/operations';
import type { Operation } from '../../src/dataset/operationSchema';
import type { JsonObject } from '../../src/dataset/record';
import { exportDataset, exportOptionsSchema, exportRecord, readExportInput, type ExportFormat, type ExportOptions } from '../../src/export';
import { runCli } from '../harness/cli';
import { datasetsDir, fixturesDir } from '../harness/fixtures';
import { PNG_BASE64 } from '../harness/imageFolders';
import { visualPrmConversation, visualPrmRaw } from '../harness/visualPrmLayouts';

const top = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-step-labels-'));
after(() => fs.rmSync(top, { recursive: true, force: true }));
fs.mkdirSync(path.join(top, 'images'));
fs.writeFileSync(path.join(top, 'images', 'bar_chart.png'), Buffer.from(PNG_BASE64, 'base64'));

const context = { at: '2025-01-01T00:00:00.000Z', reflectionPhrase: DEFAULT_REFLECTION_PHRASE };

/** The first LLaVA-CoT fixture record (four stages, one image) with its ground truth, which rollouts are checked against. */
const [llavaLine] = fs.readFileSync(path.join(datasetsDir, 'llava_cot.jsonl'), 'utf8').split('\n');
const LLAVA: JsonObject = { ...(JSON.parse(llavaLine) as JsonObject), answer: '2022' };
const QUESTION = (LLAVA.conversations as { value: string }[])[0].value;
const STAGES = [...(LLAVA.conversations as { value: string }[])[1].value.matchAll(/<([A-Z]+)> ([\s\S]*?) <\/\1>/g)].map((match) => match[2]);

function annotate(...operations: Operation[]): string {
  return operations.reduce((text, operation) => applyOperation(text, operation, context).text, JSON.stringify(LLAVA));
}

/** mc-score --write's edit: each listed stage's `correct` of `total` rollouts. */
function scores(...counts: ([number, number] | null)[]): Operation {
  const steps = counts.flatMap((count, segment) => (count === null ? [] : [{ segment, correct: count[0], total: count[1], score: count[0] / count[1] }]));
  return { kind: 'setStepScores', line: 1, steps, policy: 'local:test-policy', rollouts: 24 };
}

/** Pre-Label Steps' edit: a suggested label for each listed stage. */
function prelabels(...labels: (1 | 0 | -1 | null)[]): Operation {
  const steps = labels.flatMap((label, segment) => (label === null ? [] : [{ segment, label, confidence: 0.8 }]));
  return { kind: 'setPrelabels', line: 1, steps, provenance: { backend: 'openai:http://judge/v1 prm', method: 'step-judge' } };
}

const rate = (segment: number, rating: 1 | 0 | -1): Operation => ({ kind: 'rateSegment', line: 1, segment, rating });

/** Stage 1 rated correct by a person; stages 1 and 2 pre-labelled incorrect; stages 1-3 scored (the third 0); stage 4 nothing. */
const MIXED = annotate(rate(0, 1), prelabels(-1, -1), scores([8, 8], [8, 8], [0, 8]));

function options(overrides: Partial<ExportOptions> = {}): ExportOptions {
  return exportOptionsSchema.parse({ datasetDir: top, outputPath: path.join(top, 'out', 'unused.jsonl'), ...overrides });
}

function exported(format: ExportFormat, text: string, overrides: Partial<ExportOptions> = {}): ReturnType<typeof exportRecord> {
  const input = readExportInput(text, 1);
  assert.ok(!('refusal' in input), 'refusal' in input ? input.refusal : '');
  return exportRecord(format, input, options(overrides));
}

function lines(format: ExportFormat, text: string, overrides: Partial<ExportOptions> = {}): JsonObject[] {
  const result = exported(format, text, overrides);
  assert.ok('lines' in result, JSON.stringify(result));
  return result.lines as JsonObject[];
}

function refusal(format: ExportFormat, text: string, overrides: Partial<ExportOptions> = {}): string {
  const result = exported(format, text, overrides);
  assert.ok('refusal' in result, JSON.stringify(result));
  return result.refusal;
}

/** The `+` / `-` turns of a conversation line. */
const signs = (line: JsonObject): string[] =>
  (line.conversations as { from: string; value: string }[]).filter((turn) => turn.from === 'gpt').map((turn) => turn.value);

describe('visualprm: the raw steps_with_score lines', () => {
  it("writes every step with its Monte Carlo counts, the steps joined by blank lines as the response, in InternVL's layout", () => {
    const [line] = lines('visualprm', annotate(scores([7, 8], [6, 8], [0, 8], [0, 8])));
    assert.ok(visualPrmRaw.safeParse(line).success, JSON.stringify(line));
    assert.deepEqual(line, {
      image: '../images/bar_chart.png',
      question: QUESTION,
      answer: '2022',
      response: STAGES.join('\n\n'),
      steps_with_score: STAGES.map((step, index) => ({
        step,
        score: [0.875, 0.75, 0, 0][index],
        num_mc_correct: [7, 6, 0, 0][index],
        num_mc_total: 8,
      })),
      num_mc_sequences: 8,
    });
  });

  it('puts <image>\\n in front of a question that places no image, as the pipeline does', () => {
    const bare = JSON.stringify({ ...LLAVA, conversations: [{ from: 'human', value: 'Which year?' }, (LLAVA.conversations as JsonObject[])[1]] });
    const scored = applyOperation(bare, scores([1, 1], [1, 1], [1, 1], [1, 1]), context).text;
    assert.equal(lines('visualprm', scored)[0].question, '<image>\nWhich year?');
  });

  it('refuses a response with a step left unscored, a record without scores or without a ground truth', () => {
    assert.equal(refusal('visualprm', annotate(scores([7, 8], [6, 8], null, [0, 8]))), 'step 3 has no Monte Carlo score with its rollout counts');
    assert.match(refusal('visualprm', annotate(rate(0, 1))), /^no Monte Carlo step scores/);
    const { answer: _, ...unanswered } = LLAVA;
    const scored = applyOperation(JSON.stringify(unanswered), scores([1, 1], [1, 1], [1, 1], [1, 1]), context).text;
    assert.match(refusal('visualprm', scored), /ground truth/);
  });

  it("takes a VisualPRM record's own scores, so its lines come back as they were", () => {
    const [raw] = fs.readFileSync(path.join(fixturesDir, 'real', 'internvl-visualprm-raw-handwritten.jsonl'), 'utf8').split('\n');
    const record = JSON.parse(raw) as JsonObject;
    fs.mkdirSync(path.join(top, 'geo3k', 'train', '567'), { recursive: true });
    fs.writeFileSync(path.join(top, 'geo3k', 'train', '567', 'img_diagram.png'), Buffer.from(PNG_BASE64, 'base64'));
    const [line] = lines('visualprm', raw, { outputPath: path.join(top, 'unused.jsonl') });
    assert.deepEqual(line, { ...record, question: `<image>\n${String(record.question)}`, num_mc_sequences: 16 });
  });
});

describe('visualprm-conversation: the training conversation', () => {
  it("asks each step in a human turn, the first after the question, and answers + above the threshold, in item2conv_prm's layout", () => {
    const [line] = lines('visualprm-conversation', annotate(scores([7, 8], [1, 8], [0, 8], [0, 8])));
    assert.ok(visualPrmConversation.safeParse(line).success, JSON.stringify(line));
    const turns = line.conversations as { from: string; value: string }[];
    assert.equal(line.image, 'images/bar_chart.png', "from meta.json's root, the dataset folder");
    assert.equal(turns[1].value, `### Question:\n${QUESTION}\n\n### Solution Process:\n${STAGES[0]}`);
    assert.deepEqual(
      turns.slice(3).filter((turn) => turn.from === 'human'),
      STAGES.slice(1).map((value) => ({ from: 'human', value })),
    );
    assert.deepEqual(signs(line), ['+', '+', '-', '-'], 'any rollout that reached the answer makes a step good (threshold 0)');
  });

  it('labels + only above the threshold: a score equal to it is -', () => {
    const text = annotate(scores([4, 8], [5, 8], [4, 8], [8, 8]));
    assert.deepEqual(signs(lines('visualprm-conversation', text, { mcThreshold: 0.5 })[0]), ['-', '+', '-', '+']);
    assert.deepEqual(signs(lines('visualprm-conversation', text, { mcThreshold: 0.625 })[0]), ['-', '-', '-', '+']);
    assert.deepEqual(signs(lines('visualprm-conversation', text, { mcThreshold: 1 })[0]), ['-', '-', '-', '-']);
  });

  it('labels a step without a score by its rating, a neutral one as neutralLabel says, and ends at the first with neither', () => {
    const text = annotate(scores([8, 8], [0, 8]), rate(2, 0), rate(0, -1));
    assert.deepEqual(signs(lines('visualprm-conversation', text)[0]), ['+', '-', '+'], 'the score outranks the rating unless the export says otherwise');
    assert.deepEqual(signs(lines('visualprm-conversation', text, { neutralLabel: false })[0]), ['+', '-', '-']);
    assert.deepEqual(signs(lines('visualprm-conversation', text, { labelSources: ['human', 'mc'] })[0]), ['-', '-', '+']);
    assert.equal(refusal('visualprm-conversation', JSON.stringify(LLAVA)), 'no labelled steps (labels from mc, human)');
  });

  it('reads back as VisualPRM steps with its + and - as their labels', () => {
    const [line] = lines('visualprm-conversation', annotate(scores([7, 8], [1, 8], [0, 8], [0, 8])));
    assert.equal(detectFormat(line), 'visualprm');
    const read = parseRecord(line);
    assert.ok(!('error' in read), 'error' in read ? read.error : '');
    assert.equal(read.question, QUESTION);
    assert.deepEqual(read.images, ['images/bar_chart.png']);
    assert.deepEqual(
      read.responses[0].segments.map((segment) => [segment.text, segment.sourceLabel?.rating]),
      STAGES.map((stage, index) => [stage, index < 2 ? 1 : -1]),
    );
  });
});

describe('label sources of trl-stepwise and prm800k', () => {
  it('take the ratings alone unless told, as before', () => {
    const result = exported('trl-stepwise', MIXED);
    assert.ok('lines' in result);
    assert.deepEqual(result.lines, [{ prompt: QUESTION, completions: STAGES.slice(0, 1), labels: [true], images: ['../images/bar_chart.png'] }]);
    assert.deepEqual(result.labels, { human: 1, record: 0, prelabel: 0, mc: 0 });
    assert.equal(refusal('trl-stepwise', annotate(prelabels(1, 1, 1, 1), scores([8, 8]))), 'no rated steps');
    assert.equal(refusal('prm800k', annotate(prelabels(1, 1, 1, 1))), 'no rated steps');
  });

  it('take each step from the first source that labels it, in the order given, and end at a step none labels', () => {
    const result = exported('trl-stepwise', MIXED, { labelSources: ['human', 'prelabel', 'mc'] });
    assert.ok('lines' in result);
    assert.deepEqual((result.lines[0] as JsonObject).labels, [true, false, false], 'a rating, then a pre-label, then a score of 0');
    assert.deepEqual(result.labels, { human: 1, record: 0, prelabel: 1, mc: 1 });
    const scoresFirst = exported('trl-stepwise', MIXED, { labelSources: ['mc', 'prelabel', 'human'] });
    assert.ok('lines' in scoresFirst);
    assert.deepEqual((scoresFirst.lines[0] as JsonObject).labels, [true, true, false]);
    assert.deepEqual(scoresFirst.labels, { human: 0, record: 0, prelabel: 0, mc: 3 });
    const withoutScores = exported('trl-stepwise', MIXED, { labelSources: ['prelabel', 'human'] });
    assert.ok('lines' in withoutScores);
    assert.deepEqual((withoutScores.lines[0] as JsonObject).labels, [false, false], 'the pre-label outranks the rating');
    assert.equal(refusal('trl-stepwise', JSON.stringify(LLAVA), { labelSources: ['prelabel', 'mc'] }), 'no labelled steps (labels from prelabel, mc)');
  });

  it('prm800k writes the chosen label as the rating and stops at the first wrong step', () => {
    const result = exported('prm800k', MIXED, { labelSources: ['human', 'prelabel', 'mc'] });
    assert.ok('lines' in result);
    const steps = ((result.lines[0] as JsonObject).label as { steps: { completions: { rating: number }[] }[]; finish_reason: string }).steps;
    assert.deepEqual(
      steps.map((step) => step.completions[0].rating),
      [1, -1],
    );
    assert.deepEqual(result.labels, { human: 1, record: 0, prelabel: 1, mc: 0 }, 'only the labels written count');
  });

  it("count a record's own labels apart from a person's", () => {
    const [raw] = fs.readFileSync(path.join(fixturesDir, 'real', 'internvl-visualprm-raw-handwritten.jsonl'), 'utf8').split('\n');
    const withoutImage = JSON.stringify({ ...(JSON.parse(raw) as JsonObject), image: null });
    const rated = applyOperation(withoutImage, rate(1, -1), context).text;
    const result = exported('trl-stepwise', rated);
    assert.ok('lines' in result);
    assert.deepEqual((result.lines[0] as JsonObject).labels, [true, false, true]);
    assert.deepEqual(result.labels, { human: 1, record: 2, prelabel: 0, mc: 0 });
  });

  it('add up over the records of an export', async () => {
    const records = [MIXED, annotate(prelabels(1, 1, 1, 1)), JSON.stringify(LLAVA)].map((text, index) => {
      const input = readExportInput(text, index + 1);
      assert.ok(!('refusal' in input));
      return input;
    });
    const outputPath = path.join(top, 'sum.jsonl');
    const result = await exportDataset('trl-stepwise', records, options({ outputPath, labelSources: ['human', 'prelabel'] }));
    assert.equal(result.written, 2);
    assert.deepEqual(result.labels, { human: 1, record: 0, prelabel: 1 + 4, mc: 0 });
    assert.deepEqual(
      result.refusals.map((refused) => refused.line),
      [3],
    );
  });
});

describe('cot-studio export --label-sources / --mc-threshold', () => {
  const file = path.join(top, 'labelled.jsonl');
  fs.writeFileSync(file, `${[MIXED, annotate(prelabels(1, 1, 1, 1))].join('\n')}\n`);

  const read = (output: string): JsonObject[] =>
    fs
      .readFileSync(output, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as JsonObject);

  it('labels the steps from the sources given and says how many labels came from each', async () => {
    const output = path.join(top, 'stepwise.jsonl');
    const run = await runCli('export', file, '--format', 'trl-stepwise', '-o', output, '--label-sources', 'human,prelabel,mc');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^2 trl-stepwise lines written to .*; 0 records refused; step labels: 1 human, 5 pre-label, 1 Monte Carlo\n$/);
    assert.deepEqual(
      read(output).map((line) => line.labels),
      [
        [true, false, false],
        [true, true, true, true],
      ],
    );
    const plain = await runCli('export', file, '--format', 'trl-stepwise', '-o', output);
    assert.equal(plain.code, 1, 'the record without ratings is refused, as before');
    assert.match(plain.stderr, /labelled\.jsonl:2: not exported: no rated steps\n/);
    assert.match(plain.stdout, /; step labels: 1 human\n$/);
  });

  it('writes VisualPRM conversations at the threshold given, with meta.json', async () => {
    const output = path.join(top, 'prm.jsonl');
    const run = await runCli('export', file, '--format', 'visualprm-conversation', '-o', output, '--mc-threshold', '0.5', '--label-sources', 'mc');
    assert.equal(run.code, 1, 'the record without scores is refused');
    assert.match(run.stdout, /^1 visualprm-conversation lines written to .*prm\.jsonl, .*meta\.json; 1 records refused; step labels: 3 Monte Carlo\n$/);
    assert.deepEqual(read(output).map(signs), [['+', '+', '-']]);
    const raw = await runCli('export', file, '--format', 'visualprm', '-o', path.join(top, 'raw.jsonl'));
    assert.match(raw.stderr, /labelled\.jsonl:1: not exported: step 4 has no Monte Carlo score with its rollout counts\n/);
  });

  it('reports a bad source list or threshold as a usage error, naming the option', async () => {
    const output = path.join(top, 'never.jsonl');
    const cases: [string[], RegExp][] = [
      [['--format', 'trl-stepwise', '--label-sources', 'human,bogus'], /--label-sources: expected human, prelabel or mc/],
      [['--format', 'prm800k', '--label-sources', 'mc,mc'], /--label-sources: expected human, prelabel and mc in the order to try them, each at most once/],
      [['--format', 'trl-sft', '--label-sources', 'mc'], /--label-sources: trl-sft writes no step labels/],
      [['--format', 'visualprm', '--mc-threshold', '0.5'], /--mc-threshold: visualprm writes no step labels/],
      [
        ['--format', 'trl-stepwise', '--mc-threshold', '0.5'],
        /--mc-threshold: a Monte Carlo threshold is for labels taken from Monte Carlo scores, and the label sources \(human\) leave out mc/,
      ],
      [['--format', 'visualprm-conversation', '--mc-threshold', '1.5'], /--mc-threshold: expected a number from 0 to 1/],
      [['--format', 'visualprm-conversation', '--mc-threshold', 'half'], /--mc-threshold: expected a number from 0 to 1/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli('export', file, '-o', output, ...args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message, args.join(' '));
    }
    assert.ok(!fs.existsSync(output), 'nothing is written');
  });
});
