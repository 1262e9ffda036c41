import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { annotationsSchema, ANNOTATION_KEY, DEFAULT_REFLECTION_PHRASE } from '../../src/dataset/annotations';
import { sectionGrammarProblems } from '../../src/dataset/checks/sectionGrammar';
import { stageGrammarProblems } from '../../src/dataset/checks/stageGrammar';
import { thinkAnswerProblems } from '../../src/dataset/checks/thinkAnswerForm';
import type { Json, JsonObject } from '../../src/dataset/record';
import {
  DEFAULT_REFLECTION_MARKERS,
  exportDataset,
  exportOptionsSchema,
  readExportInput,
  type ExportFormat,
  type ExportInput,
  type ExportOptions,
  type ExportResult,
} from '../../src/export';
import { extractAnswer } from '../../src/rewards';
import { runCli } from '../harness/cli';
import { datasetsDir } from '../harness/fixtures';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-export-filters-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

let outputs = 0;
function outputPath(): string {
  const folder = path.join(scratch, `out-${++outputs}`);
  fs.mkdirSync(folder);
  return path.join(folder, 'out.jsonl');
}

/** A sharegpt chat record: the question about the image(s), one reply, and a ground truth when given. */
function chat(question: string, reply: string, groundTruth?: string, images: string[] = ['images/shapes.png']): JsonObject {
  const record: JsonObject = {
    messages: [
      { role: 'user', content: `<image>${question}` },
      { role: 'assistant', content: reply },
    ],
    images,
  };
  if (groundTruth !== undefined) record.answer = groundTruth;
  return record;
}

/** Records as an export reads them, on lines 1, 2, ... */
function inputs(records: JsonObject[]): ExportInput[] {
  return records.map((record, index) => {
    const input = readExportInput(JSON.stringify(record), index + 1);
    assert.ok(!('refusal' in input), 'refusal' in input ? input.refusal : '');
    return input;
  });
}

async function exportLines(
  records: JsonObject[],
  filters: Partial<ExportOptions>,
  format: ExportFormat,
): Promise<{ result: ExportResult; lines: JsonObject[]; output: string }> {
  const output = outputPath();
  const result = await exportDataset(format, inputs(records), exportOptionsSchema.parse({ datasetDir: datasetsDir, outputPath: output, ...filters }));
  const text = fs.readFileSync(output, 'utf8');
  const lines =
    text === ''
      ? []
      : text
          .trimEnd()
          .split('\n')
          .map((line) => JSON.parse(line) as JsonObject);
  return { result, lines, output };
}

/** Exports to a chat format and reads back each line's reply. */
async function run(
  records: JsonObject[],
  filters: Partial<ExportOptions>,
  format: ExportFormat = 'llamafactory-sharegpt',
): Promise<{ result: ExportResult; replies: string[]; output: string }> {
  const { result, lines, output } = await exportLines(records, filters, format);
  return { result, replies: lines.map(replyOf), output };
}

/** The assistant text of a sharegpt (LLaMA-Factory) or messages (Mulberry) line. */
function replyOf(line: JsonObject): string {
  const turns = (line.conversations ?? line.messages) as { value?: string; content?: string }[];
  const last = turns[turns.length - 1];
  return last.value ?? last.content ?? '';
}

const think = (reasoning: string, answer: string) => `<think>${reasoning}</think><answer>${answer}</answer>`;

describe('shortest correct response per question', () => {
  const counting = 'How many shapes are there?';
  const records = [
    chat(counting, think('There are three circles, two squares and four triangles: 3 + 2 + 4 = 9.', '9'), '9'),
    chat(counting, think('Too few.', '7'), '9'),
    chat(counting, think('3 + 2 + 4 = 9.', '9'), '9'),
    chat('How many red circles are there?', think('I count two.', '2'), '3'),
    chat('How many red circles are there?', think('I count four.', '4'), '3'),
    chat(counting, think('No ground truth, so no verdict.', '9')),
    chat(counting, think('The same question about another image: a group of its own.', '9'), '9', ['images/triangle.png']),
  ];

  it('keeps the shortest of three chains whose answer matches, and drops a question with no correct chain', async () => {
    const { result, replies } = await run(records, { shortestCorrect: true });
    assert.deepEqual(replies, [think('3 + 2 + 4 = 9.', '9'), think('No ground truth, so no verdict.', '9'), replyOf(records[6])]);
    assert.deepEqual(result.filtered, { reflectionsCut: 0, overWordLimit: 0, notShortestCorrect: 2, questionsWithoutCorrect: 1, recordsWithoutCorrect: 2 });
    assert.equal(result.written, 3);
  });

  it('keeps the earliest of equally short correct chains, and leaves everything alone when off', async () => {
    const tie = [chat(counting, think('3 + 2 + 4 = 9.', '9'), '9'), chat(counting, think('4 + 3 + 2 = 9.', '9'), '9')];
    assert.deepEqual((await run(tie, { shortestCorrect: true })).replies, [think('3 + 2 + 4 = 9.', '9')]);
    const { result, replies } = await run(records, {});
    assert.equal(replies.length, records.length);
    assert.deepEqual(result.filtered, { reflectionsCut: 0, overWordLimit: 0, notShortestCorrect: 0, questionsWithoutCorrect: 0, recordsWithoutCorrect: 0 });
  });

  it('refuses a one-pass source, since it reads the records twice', async () => {
    function* once(): Generator<ExportInput> {
      yield* inputs(records);
    }
    const options = exportOptionsSchema.parse({ datasetDir: datasetsDir, outputPath: outputPath(), shortestCorrect: true });
    await assert.rejects(exportDataset('trl-sft', once(), options), /reads the records twice/);
  });
});

describe('word limit', () => {
  it('keeps a response of exactly N words and drops one of N + 1', async () => {
    const records = [chat('Count?', 'one two three four five'), chat('Count?', 'one two three four five six'), chat('Count?', '  one\ntwo\tthree  ')];
    const { result, replies } = await run(records, { maxWords: 5 });
    assert.deepEqual(replies, ['one two three four five', '  one\ntwo\tthree  ']);
    assert.equal(result.filtered.overWordLimit, 1);
  });

  it('rejects a limit that is not a whole number of at least 1', () => {
    for (const maxWords of [0, -3, 2.5, Number.NaN]) {
      assert.equal(exportOptionsSchema.safeParse({ datasetDir: '.', outputPath: 'x', maxWords }).success, false, String(maxWords));
    }
  });
});

const LLAVA = [
  '<SUMMARY> I will count the shapes. </SUMMARY>',
  '<CAPTION> Circles, squares and triangles. </CAPTION>',
  '<REASONING> 3 + 2 + 4 = 9. Wait, maybe a square hides a circle? No, 9 it is. </REASONING>',
  '<CONCLUSION> 9 </CONCLUSION>',
].join('\n\n');

const MULBERRY = [
  '### Image Description:\nA right triangle with legs 6 and 8.',
  '### Rationales:\nThe Pythagorean theorem gives the hypotenuse.',
  "### Let's think step by step.",
  '### Step 1:\nx^2 = 36 + 64 = 100.',
  '### Step 2:\nx = 10. Wait, should x be negative? No, a length is positive.',
  '### Step 3:\nSo x = 10.',
  '### The final answer is:\nB: 10',
].join('\n\n');

describe('reflection cut', () => {
  const cut = { cutReflections: DEFAULT_REFLECTION_MARKERS };

  it('cuts a <think> trace from the marker and keeps the closing tag and the answer', async () => {
    const { result, replies } = await run(
      [chat('Q?', think('A. Wait, B.', '5')), chat('Q?', '<think>\n3 * 4 = 12.\nBut wait, is it 3 * 5?\n</think>\nSo 12.\n<answer>12</answer>')],
      cut,
    );
    assert.deepEqual(replies, ['<think>A.</think><answer>5</answer>', '<think>\n3 * 4 = 12.\n</think>\nSo 12.\n<answer>12</answer>']);
    for (const reply of replies) assert.deepEqual(thinkAnswerProblems(reply), []);
    assert.equal(result.filtered.reflectionsCut, 2);
  });

  it('cuts LLaVA-CoT reasoning inside its stage and keeps the conclusion', async () => {
    const { replies } = await run([chat('How many shapes?', LLAVA)], cut);
    assert.equal(replies[0], LLAVA.replace(' Wait, maybe a square hides a circle? No, 9 it is.', ''));
    assert.deepEqual(stageGrammarProblems(replies[0]), []);
    assert.equal(extractAnswer(replies[0]).text, '9');
  });

  it('cuts Mulberry steps from the marker to the final answer section, keeping the grammar', async () => {
    const { result, replies } = await run([chat('Find x.', MULBERRY)], cut, 'mulberry');
    assert.equal(result.written, 1);
    assert.equal(replies[0], MULBERRY.replace(' Wait, should x be negative? No, a length is positive.\n\n### Step 3:\nSo x = 10.', ''));
    assert.deepEqual(sectionGrammarProblems(replies[0], DEFAULT_REFLECTION_PHRASE), []);
    assert.equal(extractAnswer(replies[0]).text, 'B: 10');
  });

  it('cuts plain text up to its final-answer line, with the markers given', async () => {
    const reply = 'Three circles.\nHmm, let me recount: still three.\nThe answer is 3.';
    const { replies } = await run([chat('Q?', reply), chat('Q?', 'Hmm. \\boxed{3}')], { cutReflections: ['Hmm,'] });
    assert.deepEqual(replies, ['Three circles.\nThe answer is 3.', 'Hmm. \\boxed{3}']);
  });

  it('cuts only at a word start, only in the reasoning, and only when the answer can be kept', async () => {
    const untouched = [
      think('Await, the bus.', '5'),
      '<think>5.</think><answer>Wait, 5</answer>',
      'Three. Wait, four? No final line here.',
      '<think>Wait, no answer tag follows.</think>',
    ];
    const { result, replies } = await run(
      untouched.map((reply) => chat('Q?', reply)),
      cut,
    );
    assert.deepEqual(replies, untouched);
    assert.equal(result.filtered.reflectionsCut, 0);
  });

  it('writes records without a marker byte for byte as without the filter', async () => {
    for (const fixture of ['llava_cot.jsonl', 'mulberry.jsonl', 'reason_rft.jsonl', 'mmpr.jsonl']) {
      const records = fs
        .readFileSync(path.join(datasetsDir, fixture), 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as JsonObject);
      const plain = await run(records, {}, 'trl-sft');
      const filtered = await run(records, cut, 'trl-sft');
      assert.equal(filtered.result.filtered.reflectionsCut, 0, fixture);
      assert.ok(fs.readFileSync(filtered.output).equals(fs.readFileSync(plain.output)), fixture);
    }
  });

  it('leaves out the ratings from the cut segment on, which no longer describe the text', async () => {
    const segments = Object.fromEntries([0, 1, 2, 3, 4, 5, 6].map((index) => [String(index), { rating: 1 }]));
    const record = { ...chat('Find x.', MULBERRY), [ANNOTATION_KEY]: annotationsSchema.parse({ version: 1, segments }) as unknown as Json };
    const count = async (filters: Partial<ExportOptions>) => {
      const { lines } = await exportLines([record], filters, 'trl-stepwise');
      return (lines[0].labels as boolean[]).length;
    };
    // Seven segments, the bare "Let's think step by step." header is no step; the cut is in Step 2 (segment 4).
    assert.equal(await count({}), 6);
    assert.equal(await count(cut), 3);
  });
});

describe('cot-studio export filters', () => {
  const dataset = path.join(scratch, 'chains.jsonl');
  fs.mkdirSync(path.join(scratch, 'images'), { recursive: true });
  fs.copyFileSync(path.join(datasetsDir, 'images', 'shapes.png'), path.join(scratch, 'images', 'shapes.png'));
  fs.writeFileSync(
    dataset,
    `${[
      chat('How many?', think('3 + 2 + 4 = 9, counting every shape once. Wait, did I miss one? No.', '9'), '9'),
      chat('How many?', think('Nine shapes in all, as 3 + 2 + 4 = 9 after counting each kind of shape separately.', '9'), '9'),
      chat('How many?', think('Eight.', '8'), '9'),
      chat('How many red?', think('Two.', '2'), '3'),
      chat('Describe.', 'one two three four five six seven eight nine ten eleven twelve thirteen'),
    ]
      .map((record) => JSON.stringify(record))
      .join('\n')}\n`,
  );

  it('applies --cut-reflections, --max-words and --shortest-correct and says what each did', async () => {
    const output = path.join(scratch, 'cli-out.jsonl');
    const { code, stdout, stderr } = await runCli(
      'export',
      dataset,
      '--format',
      'trl-sft',
      '-o',
      output,
      '--shortest-correct',
      '--max-words',
      '12',
      '--cut-reflections',
    );
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^1 trl-sft lines written/);
    assert.match(stdout, /reflections cut in 1 records/);
    assert.match(stdout, /2 records over 12 words dropped/);
    assert.match(stdout, /1 records dropped beside a shorter correct response/);
    assert.match(stdout, /1 questions with no correct response dropped \(1 records\)/);
    const line = JSON.parse(fs.readFileSync(output, 'utf8')) as { messages: { content: { type: string; text?: string }[] }[] };
    assert.equal(line.messages[1].content.at(-1)?.text, think('3 + 2 + 4 = 9, counting every shape once.', '9'));
  });

  it('takes its own markers and reports bad values as usage errors', async () => {
    const output = path.join(scratch, 'cli-markers.jsonl');
    const marked = await runCli('export', dataset, '--format', 'trl-sft', '-o', output, '--cut-reflections', '--reflection-marker', 'did I');
    assert.equal(marked.code, 0, marked.stderr);
    assert.match(marked.stdout, /reflections cut in 1 records/);
    assert.match(fs.readFileSync(output, 'utf8'), /counting every shape once\. Wait,<\/think>/);
    for (const [args, message] of [
      [['--max-words', 'abc'], /--max-words: expected a whole number of words/],
      [['--max-words', '0'], /--max-words: expected a whole number of words/],
      [['--reflection-marker', 'Wait,'], /--reflection-marker needs --cut-reflections/],
    ] as const) {
      const { code, stderr } = await runCli('export', dataset, '--format', 'trl-sft', '-o', output, ...args);
      assert.equal(code, 2, args.join(' '));
      assert.match(stderr, message);
    }
  });
});
