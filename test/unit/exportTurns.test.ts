// Multi-turn chat records from the real corpus: the chat exports write every turn in order, each image in the
// turn that places it; the preference and step exports, which are about the first reply, refuse them.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { checkLine } from '../../src/dataset/checks';
import type { JsonObject } from '../../src/dataset/record';
import { exportOptionsSchema, exportRecord, readExportInput, type ExportFormat, type ExportOptions } from '../../src/export';
import { fixturesDir } from '../harness/fixtures';
import { PNG_BASE64 } from '../harness/imageFolders';

const realDir = path.join(fixturesDir, 'real');
const top = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-turns-'));
after(() => fs.rmSync(top, { recursive: true, force: true }));
// Placeholder images where the records name theirs; the output folder is beside them.
for (const image of ['mllm_demo_data/1.jpg', 'mllm_demo_data/2.jpg', 'mllm_demo_data/3.jpg', 'figures/reasoning.png', 'data/mllm_demo_data/1.jpg', 'data/mllm_demo_data/2.jpg']) {
  fs.mkdirSync(path.dirname(path.join(top, image)), { recursive: true });
  fs.writeFileSync(path.join(top, image), Buffer.from(PNG_BASE64, 'base64'));
}
fs.mkdirSync(path.join(top, 'out'));

const options = (overrides: Partial<ExportOptions> = {}): ExportOptions =>
  exportOptionsSchema.parse({ datasetDir: top, outputPath: path.join(top, 'out', 'export.jsonl'), images: 'relative', ...overrides });

const records = (file: string): string[] => fs.readFileSync(path.join(realDir, file), 'utf8').split('\n').filter((line) => line.trim() !== '');

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
      assert.deepEqual(row.conversations.map((turn) => turn.value), turns.map((turn) => turn.content));
      assert.deepEqual(row.conversations.map((turn) => turn.from), ['human', 'gpt', 'human', 'gpt']);
      const tokens = row.conversations.reduce((count, turn) => count + turn.value.split('<image>').length - 1, 0);
      assert.equal(tokens, row.images.length);
      assert.deepEqual(row.images, (JSON.parse(line) as { images: string[] }).images.map((image) => `../${image}`));
    }
    const first = written('llamafactory-sharegpt', mllm[0]) as { conversations: { value: string }[] };
    assert.ok(first.conversations[0].value.startsWith('<image>') && first.conversations[2].value.endsWith('<image>'));
    const chinese = written('llamafactory-sharegpt', mllm[3]) as { conversations: { value: string }[] };
    assert.equal(chinese.conversations[3].value, '他们在足球场上庆祝。');
  });

  it('trl-sft puts each image part in the turn whose token names it, texts intact and in order', () => {
    const first = written('trl-sft', mllm[3]) as { messages: Message[]; images: string[] };
    assert.deepEqual(first.messages.map((message) => message.role), ['user', 'assistant', 'user', 'assistant']);
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
    assert.deepEqual(row.messages.map(textOf), source(mllm[0]).map((turn) => turn.content.replace('<image>', '')));
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
    assert.deepEqual(sharegpt.conversations.map((turn) => turn.value), [`<image>${turns[0]}`, ...turns.slice(1)]);
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
    assert.deepEqual(sharegpt.conversations.map((turn) => turn.value), ['<image>Who are they?', "They're Kane and Gretzka from Bayern Munich.", '<image>What are they doing?', 'They are celebrating on the soccer field.']);
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
  it('refuse a record whose later exchanges follow the reply they are about', () => {
    const record = JSON.parse(mllm[0]) as JsonObject;
    const annotated = JSON.stringify({
      ...record,
      cot_studio: {
        version: 1,
        review: { status: 'accepted' },
        segments: { '0': { rating: 1 } },
        preferencePairs: [{ level: 'response', chosen: 'Kane and Gretzka.', rejected: 'Two players.', origin: 'manual', createdAt: '2025-01-01T00:00:00.000Z' }],
      },
    });
    for (const format of ['trl-dpo', 'openai-dpo', 'trl-kto', 'trl-stepwise', 'prm800k', 'mmpr'] as const) {
      assert.equal(
        build(format, annotated, format === 'prm800k' ? { images: undefined } : {}),
        `${format} is written from the record's first reply, and messages turn(s) 3 (user), 4 (assistant) come after it: they cannot be its prompt and would be lost`,
        format,
      );
    }
  });

  it('reads every exchange of LLaMA-Factory\'s demo without a turns warning', () => {
    for (const line of mllm) {
      const { results } = checkLine(line, { imageProblem: () => null });
      assert.deepEqual(results.filter((result) => result.check === 'turns'), []);
    }
  });
});
