// Multi-turn chat records from the real corpus: the chat exports write every turn in order, each image in the
// turn that places it; the preference and step exports write each reply after the conversation up to it where
// the format has room for it, and refuse it where the format holds one question.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_REFLECTION_PHRASE } from '../../src/dataset/annotations';
import { checkLine } from '../../src/dataset/checks';
import { applyOperation } from '../../src/dataset/operations';
import type { JsonObject } from '../../src/dataset/record';
import { exportOptionsSchema, exportRecord, readExportInput, type ExportFormat, type ExportOptions } from '../../src/export';
import type { Operation } from '../../src/dataset/operationSchema';
import { fixturesDir } from '../harness/fixtures';
import { PNG_BASE64 } from '../harness/imageFolders';

const realDir = path.join(fixturesDir, 'real');
const top = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-turns-'));
after(() => fs.rmSync(top, { recursive: true, force: true }));
// Placeholder images where the records name theirs; the output folder is beside them.
for (const image of [
  'mllm_demo_data/1.jpg',
  'mllm_demo_data/2.jpg',
  'mllm_demo_data/3.jpg',
  'figures/reasoning.png',
  'data/mllm_demo_data/1.jpg',
  'data/mllm_demo_data/2.jpg',
]) {
  fs.mkdirSync(path.dirname(path.join(top, image)), { recursive: true });
  fs.writeFileSync(path.join(top, image), Buffer.from(PNG_BASE64, 'base64'));
}
fs.mkdirSync(path.join(top, 'out'));

const options = (overrides: Partial<ExportOptions> = {}): ExportOptions =>
  exportOptionsSchema.parse({ datasetDir: top, outputPath: path.join(top, 'out', 'export.jsonl'), images: 'relative', ...overrides });

const records = (file: string): string[] =>
  fs
    .readFileSync(path.join(realDir, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');

function build(format: ExportFormat, line: string, overrides: Partial<ExportOptions> = {}): JsonObject[] | string {
  const input = readExportInput(line, 1);
  assert.ok(!('refusal' in input), 'refusal' in input ? input.refusal : '');
  const result = exportRecord(format, input, options(overrides));
  if ('refusal' in result) return result.refusal;
  assert.ok('lines' in result);
  return result.lines as JsonObject[];
}

function written(format: ExportFormat, line: string, overrides: Partial<ExportOptions> = {}): JsonObject {
  const lines = build(format, line, overrides);
  assert.ok(Array.isArray(lines), `${format}: ${String(lines)}`);
  assert.equal(lines.length, 1);
  return lines[0];
}

type Part = { type: string; text?: string; image_url?: { url: string } };
type Message = { role: string; content: string | Part[] };
const partTypes = (message: Message): string[] => (Array.isArray(message.content) ? message.content.map((part) => part.type) : ['string']);
const textOf = (message: Message): string =>
  typeof message.content === 'string' ? message.content : message.content.flatMap((part) => (part.text === undefined ? [] : [part.text])).join('\n');

const mllm = records('llamafactory-mllm-demo.jsonl');
const source = (line: string): { role: string; content: string }[] => (JSON.parse(line) as { messages: { role: string; content: string }[] }).messages;

describe('LLaMA-Factory mllm_demo through the chat exports', () => {
  it('llamafactory-sharegpt keeps every turn, its <image> tokens where they stand and images in token order', () => {
    for (const line of mllm) {
      const row = written('llamafactory-sharegpt', line) as { conversations: { from: string; value: string }[]; images: string[] };
      const turns = source(line);
      assert.deepEqual(
        row.conversations.map((turn) => turn.value),
        turns.map((turn) => turn.content),
      );
      assert.deepEqual(
        row.conversations.map((turn) => turn.from),
        ['human', 'gpt', 'human', 'gpt'],
      );
      const tokens = row.conversations.reduce((count, turn) => count + turn.value.split('<image>').length - 1, 0);
      assert.equal(tokens, row.images.length);
      assert.deepEqual(
        row.images,
        (JSON.parse(line) as { images: string[] }).images.map((image) => `../${image}`),
      );
    }
    const first = written('llamafactory-sharegpt', mllm[0]) as { conversations: { value: string }[] };
    assert.ok(first.conversations[0].value.startsWith('<image>') && first.conversations[2].value.endsWith('<image>'));
    const chinese = written('llamafactory-sharegpt', mllm[3]) as { conversations: { value: string }[] };
    assert.equal(chinese.conversations[3].value, '他们在足球场上庆祝。');
  });

  it('trl-sft puts each image part in the turn whose token names it, texts intact and in order', () => {
    const first = written('trl-sft', mllm[3]) as { messages: Message[]; images: string[] };
    assert.deepEqual(
      first.messages.map((message) => message.role),
      ['user', 'assistant', 'user', 'assistant'],
    );
    assert.deepEqual(first.messages.map(partTypes), [['image', 'text'], ['text'], ['image', 'text'], ['text']]);
    assert.deepEqual(first.messages.map(textOf), ['他们是谁？', '他们是拜仁慕尼黑的凯恩和格雷茨卡。', '他们在做什么？', '他们在足球场上庆祝。']);
    assert.deepEqual(first.images, ['../mllm_demo_data/1.jpg', '../mllm_demo_data/1.jpg']);
    const second = written('trl-sft', mllm[1]) as { messages: Message[]; images: string[] };
    assert.deepEqual(second.messages.map(partTypes), [['image', 'text'], ['text'], ['text'], ['text']]);
    assert.equal(textOf(second.messages[3]), "Because he's sliding on his knees to celebrate.");
    assert.deepEqual(second.images, ['../mllm_demo_data/2.jpg']);
  });

  it('openai-chat gives each question the image parts it places', () => {
    const row = written('openai-chat', mllm[0], { images: 'data-uri' }) as { messages: Message[] };
    assert.deepEqual(row.messages.map(partTypes), [['image_url', 'text'], ['string'], ['image_url', 'text'], ['string']]);
    assert.deepEqual(
      row.messages.map(textOf),
      source(mllm[0]).map((turn) => turn.content.replace('<image>', '')),
    );
    const url = (row.messages[2].content as Part[])[0].image_url?.url;
    assert.equal(url, `data:image/png;base64,${PNG_BASE64}`);
  });
});

describe('other multi-turn records', () => {
  const llava = records('llava-cot-multiturn-handwritten.jsonl')[0];
  const turns = (JSON.parse(llava) as { conversations: { value: string }[] }).conversations.map((turn) => turn.value);

  it('LLaVA-CoT: both exchanges, the record image on the first question only', () => {
    const trl = written('trl-sft', llava) as { messages: Message[]; images: string[] };
    assert.deepEqual(trl.messages.map(textOf), turns);
    assert.deepEqual(trl.messages.map(partTypes), [['image', 'text'], ['text'], ['text'], ['text']]);
    assert.deepEqual(trl.images, ['../figures/reasoning.png']);
    const sharegpt = written('llamafactory-sharegpt', llava) as { conversations: { value: string }[]; images: string[] };
    assert.deepEqual(
      sharegpt.conversations.map((turn) => turn.value),
      [`<image>${turns[0]}`, ...turns.slice(1)],
    );
    const openai = written('openai-chat', llava) as { messages: Message[] };
    assert.deepEqual(openai.messages.map(partTypes), [['image_url', 'text'], ['string'], ['string'], ['string']]);
    assert.match(String(build('mulberry', llava)), /not in Mulberry's ### sections/);
  });

  it("LLaMA-Factory's newer parts: each image part stays in its own turn", () => {
    const [v1] = records('llamafactory-v1-multimodal-demo.jsonl');
    const trl = written('trl-sft', v1) as { messages: Message[]; images: string[] };
    assert.deepEqual(trl.messages.map(partTypes), [['image', 'text'], ['text'], ['image', 'text'], ['text']]);
    assert.deepEqual(trl.images, ['../data/mllm_demo_data/1.jpg', '../data/mllm_demo_data/1.jpg']);
    const sharegpt = written('llamafactory-sharegpt', v1) as { conversations: { value: string }[] };
    assert.deepEqual(
      sharegpt.conversations.map((turn) => turn.value),
      ['<image>Who are they?', "They're Kane and Gretzka from Bayern Munich.", '<image>What are they doing?', 'They are celebrating on the soccer field.'],
    );
  });

  it('mulberry writes the later turns after a ### response', () => {
    const [mulberryLine] = fs.readFileSync(path.join(fixturesDir, 'datasets', 'mulberry.jsonl'), 'utf8').split('\n');
    const record = JSON.parse(mulberryLine) as { messages: JsonObject[]; images: string | string[] };
    // The sample names its one image as a string; LLaMA-Factory also takes a list.
    const images = [record.images, 'images/bar_chart.png'].flat();
    const more = { ...record, images, messages: [...record.messages, { role: 'user', content: 'Why?<image>' }, { role: 'assistant', content: '因为如此。' }] };
    const row = written('mulberry', JSON.stringify(more), { imageRoots: [path.join(fixturesDir, 'datasets')] }) as {
      messages: { content: string }[];
      images: string[];
    };
    assert.equal(row.messages.length, 4);
    assert.equal(row.messages[2].content, 'Why?<image>');
    assert.equal(row.messages[3].content, '因为如此。');
    assert.equal(row.images.length, images.length);
    assert.equal(row.images.at(-1), path.relative(path.join(top, 'out'), path.join(fixturesDir, 'datasets', 'images', 'bar_chart.png')));
  });

  it('refuses a conversation that ends with an unanswered question', () => {
    const record = JSON.parse(mllm[1]) as { messages: JsonObject[] };
    const open = JSON.stringify({ ...record, messages: [...record.messages, { role: 'user', content: 'And then?' }] });
    for (const format of ['trl-sft', 'llamafactory-sharegpt', 'openai-chat'] as const) {
      assert.match(String(build(format, open)), /^the conversation ends with a question \(turn 5\) that has no reply$/, format);
    }
  });
});

describe('the preference and step formats', () => {
  const context = { at: '2025-01-01T00:00:00.000Z', reflectionPhrase: DEFAULT_REFLECTION_PHRASE };
  const annotate = (line: string, ...operations: Operation[]): string =>
    operations.reduce((text, operation) => applyOperation(text, operation, context).text, line);
  const image = { type: 'image' };
  const text = (value: string) => ({ type: 'text', text: value });
  const said = (value: string) => [{ role: 'assistant', content: [text(value)] }];
  const [first, firstReply, second, secondReply] = source(mllm[0]).map((turn) => turn.content);
  // A pair about each reply of the demo's first conversation: the second one answers "What are they doing?<image>".
  const pairs = annotate(
    mllm[0],
    { kind: 'markPreference', line: 1, turn: 0, chosen: { text: 'Kane and Gretzka.' }, rejected: 'current' },
    { kind: 'markPreference', line: 1, turn: 1, chosen: { text: 'Celebrating a goal.' }, rejected: 'current' },
  );

  it('trl-dpo: the conversation up to each reply is the prompt, an image part where each question has its <image>', () => {
    const rows = build('trl-dpo', pairs);
    assert.ok(Array.isArray(rows), String(rows));
    assert.deepEqual(rows, [
      {
        prompt: [{ role: 'user', content: [image, text('Who are they?')] }],
        chosen: said('Kane and Gretzka.'),
        rejected: said(firstReply),
        images: ['../mllm_demo_data/1.jpg'],
      },
      {
        prompt: [
          { role: 'user', content: [image, text('Who are they?')] },
          { role: 'assistant', content: [text(firstReply)] },
          { role: 'user', content: [image, text('What are they doing?')] },
        ],
        chosen: said('Celebrating a goal.'),
        rejected: said(secondReply),
        images: ['../mllm_demo_data/1.jpg', '../mllm_demo_data/1.jpg'],
      },
    ]);
    assert.ok(first.startsWith('<image>') && second.endsWith('<image>'));
  });

  it('openai-dpo: input.messages holds the conversation up to the reply, ending with its question', () => {
    const rows = build('openai-dpo', pairs, { images: 'data-uri' });
    assert.ok(Array.isArray(rows), String(rows));
    const url = { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_BASE64}` } };
    assert.deepEqual(rows[1], {
      input: {
        messages: [
          { role: 'user', content: [url, text('Who are they?')] },
          { role: 'assistant', content: firstReply },
          { role: 'user', content: [url, text('What are they doing?')] },
        ],
      },
      preferred_output: [{ role: 'assistant', content: 'Celebrating a goal.' }],
      non_preferred_output: [{ role: 'assistant', content: secondReply }],
    });
    assert.deepEqual((rows[0].input as { messages: Message[] }).messages.map(textOf), ['Who are they?']);
  });

  it('trl-kto: each side of each pair is a row after the prompt of its reply', () => {
    const rows = build('trl-kto', pairs) as { prompt: Message[]; completion: Message[]; label: boolean; images: string[] }[];
    assert.ok(Array.isArray(rows), String(rows));
    assert.deepEqual(
      rows.map((row) => [row.prompt.length, textOf(row.completion[0]), row.label, row.images.length]),
      [
        [1, 'Kane and Gretzka.', true, 1],
        [1, firstReply, false, 1],
        [3, 'Celebrating a goal.', true, 2],
        [3, secondReply, false, 2],
      ],
    );
  });

  it('mmpr: a pair about the first reply is its question and image; a pair about a later reply is refused', () => {
    const firstOnly = annotate(mllm[0], { kind: 'markPreference', line: 1, turn: 0, chosen: { text: 'Kane and Gretzka.' }, rejected: 'current' });
    assert.deepEqual(build('mmpr', firstOnly, { images: undefined }), [
      { image: 'mllm_demo_data/1.jpg', question: first, chosen: 'Kane and Gretzka.', rejected: firstReply },
    ]);
    assert.equal(
      build('mmpr', pairs, { images: undefined }),
      'a preference pair is about turn 1 of the conversation, and an MMPR line holds one question: the turns before that reply would be lost',
    );
  });

  const llava = records('llava-cot-multiturn-handwritten.jsonl')[0];
  const turns = (JSON.parse(llava) as { conversations: { value: string }[] }).conversations.map((turn) => turn.value);

  it('a segment-level pair of a later reply continues that reply after the conversation before it', () => {
    const line = annotate(llava, {
      kind: 'markPreference',
      line: 1,
      turn: 1,
      segment: 2,
      chosen: { text: ' The subtracted purple object is a cylinder. ' },
      rejected: 'current',
    });
    const reasoning =
      ' The purple objects were subtracted in the previous question, and the only purple object is a cylinder. So the subtracted cylinder is purple. ';
    const prefix = turns[3].slice(0, turns[3].indexOf(reasoning));
    assert.ok(prefix.endsWith('<REASONING>'));
    assert.deepEqual(build('trl-dpo', line), [
      {
        prompt: [
          { role: 'user', content: [image, text(turns[0])] },
          { role: 'assistant', content: [text(turns[1])] },
          { role: 'user', content: [text(turns[2])] },
          { role: 'assistant', content: [text(prefix)] },
        ],
        chosen: said(' The subtracted purple object is a cylinder. '),
        rejected: said(reasoning),
        images: ['../figures/reasoning.png'],
      },
    ]);
    const openai = build('openai-dpo', line) as { input: { messages: Message[] }; preferred_output: Message[]; non_preferred_output: Message[] }[];
    assert.deepEqual(
      openai[0].input.messages.map((message) => message.role),
      ['user', 'assistant', 'user'],
    );
    assert.equal(openai[0].preferred_output[0].content, `${prefix} The subtracted purple object is a cylinder. `);
    assert.equal(openai[0].non_preferred_output[0].content, `${prefix}${reasoning}`);
  });

  const rateAll = (turn: number, rating: 1 | -1) => [0, 1, 2, 3].map((segment): Operation => ({ kind: 'rateSegment', line: 1, turn, segment, rating }));
  const stages = (value: string) => [...value.matchAll(/<([A-Z]+)>([\s\S]*?)<\/\1>/g)].map((match) => match[2].trim());

  it("trl-stepwise and prm800k write the first reply's rated steps and refuse those of a later reply", () => {
    const firstRated = annotate(llava, ...rateAll(0, 1));
    assert.deepEqual(build('trl-stepwise', firstRated), [
      { prompt: turns[0], completions: stages(turns[1]), labels: [true, true, true, true], images: ['../figures/reasoning.png'] },
    ]);
    const prm = build('prm800k', firstRated, { images: undefined }) as {
      question: { problem: string; pre_generated_steps: string[] };
      label: { steps: unknown[]; finish_reason: string };
    }[];
    assert.ok(Array.isArray(prm), String(prm));
    assert.equal(prm[0].question.problem, turns[0]);
    assert.deepEqual(prm[0].question.pre_generated_steps, stages(turns[1]));
    assert.equal(prm[0].label.finish_reason, 'solution');
    const bothRated = annotate(firstRated, { kind: 'markFirstError', line: 1, turn: 1, segment: 2 });
    const later = 'the rated steps of turn 1 answer a later question of the conversation, and the turns before it would be lost';
    assert.equal(build('trl-stepwise', bothRated), `trl-stepwise's prompt is one string, with no place for earlier turns: ${later}`);
    assert.equal(build('prm800k', bothRated, { images: undefined }), `a PRM800K line holds one problem: ${later}`);
  });

  it('trl-kto labels each reply by its own steps, after the conversation up to it; an accepted review with a wrong step is refused', () => {
    const rated = annotate(llava, ...rateAll(0, 1), { kind: 'markFirstError', line: 1, turn: 1, segment: 2 });
    const rows = build('trl-kto', rated) as { prompt: Message[]; completion: Message[]; label: boolean; images: string[] }[];
    assert.ok(Array.isArray(rows), String(rows));
    assert.deepEqual(
      rows.map((row) => [row.prompt.map(textOf), textOf(row.completion[0]), row.label, row.images]),
      [
        [[turns[0]], turns[1], true, ['../figures/reasoning.png']],
        [[turns[0], turns[1], turns[2]], turns[3], false, ['../figures/reasoning.png']],
      ],
    );
    const accepted = annotate(rated, { kind: 'setReviewStatus', line: 1, status: 'accepted' });
    assert.equal(build('trl-kto', accepted), 'the review accepts the record but step 3, 4 of turn 1 is rated incorrect; change the rating or the review');
    // The review is on the whole conversation: every reply is a row with its verdict.
    const rejected = build('trl-kto', annotate(llava, { kind: 'setReviewStatus', line: 1, status: 'rejected' })) as { label: boolean }[];
    assert.deepEqual(
      rejected.map((row) => row.label),
      [false, false],
    );
  });

  it('trl-sft leaves out a conversation with an incorrect step in any reply, unless asked to keep it', () => {
    const wrongLater = annotate(llava, ...rateAll(0, 1), ...rateAll(1, -1));
    const input = readExportInput(wrongLater, 1);
    assert.ok(!('refusal' in input));
    assert.deepEqual(exportRecord('trl-sft', input, options()), { leftOut: 'incorrect-step' });
    assert.equal((written('trl-sft', wrongLater, { keepIncorrect: true }).messages as Message[]).length, 4);
    assert.equal((written('trl-sft', annotate(llava, ...rateAll(0, 1), ...rateAll(1, 1))).messages as Message[]).length, 4);
  });

  it("reads every exchange of LLaMA-Factory's demo without a turns warning", () => {
    for (const line of mllm) {
      const { results } = checkLine(line, { imageProblem: () => null });
      assert.deepEqual(
        results.filter((result) => result.check === 'turns'),
        [],
      );
    }
  });
});
