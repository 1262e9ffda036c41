// Every reply of a conversation, on the corpus's multi-turn records (test/fixtures/real/, sources in its README):
// read with its own segments, checked with the turn named, annotated by turn, prompted with what came before it,
// and shown with each image where its placeholder stands.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { Dataset } from '../../src/dataset';
import { checkLine, fileCheckContext } from '../../src/dataset/checks';
import { readFacts } from '../../src/dataset/facts';
import { applyOperation, readRecordState } from '../../src/dataset/operations';
import type { JsonObject } from '../../src/dataset/record';
import { RecordError } from '../../src/dataset/recordEdit';
import { summarizeLine } from '../../src/dataset/recordSummary';
import { assistantReplies, resolveReply } from '../../src/dataset/replies';
import { buildSample } from '../../src/editor/sample';
import type { Operation } from '../../src/protocol';
import { segmentRequest } from '../../src/search/segmentPrompt';
import { fixturesDir } from '../harness/fixtures';

const realDir = path.join(fixturesDir, 'real');
const context = { at: '2026-12-05T00:00:00.000Z', reflectionPhrase: 'I think I have made a mistake. Let me rethink it.' };

function corpusLines(name: string): string[] {
  return fs
    .readFileSync(path.join(realDir, name), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
}

/** LLaVA-CoT's multi-turn layout: every gpt turn staged, the image on the record, no placeholders. */
const [llava] = corpusLines('llava-cot-multiturn-handwritten.jsonl') as [string];
/** LLaMA-Factory's demo: `<image>` in the first and in a later question. */
const [mllm] = corpusLines('llamafactory-mllm-demo.jsonl') as [string];

/** An operation without its line: every test runs on line 1. */
type OnLine = Operation extends infer O ? (O extends Operation ? Omit<O, 'line'> : never) : never;

function run(line: string, operation: OnLine): string {
  return applyOperation(line, { ...operation, line: 1 }, context).text;
}

function record(line: string): JsonObject & {
  conversations: { value: string }[];
  cot_studio: JsonObject & { segments: Record<string, { rating: number | null; stale?: boolean; alternatives: { text: string }[] }> };
} {
  return JSON.parse(line) as ReturnType<typeof record>;
}

describe('the replies of a conversation', () => {
  it('reads every staged reply with its own segments; the first reply is the record’s response', () => {
    const { parsed } = readRecordState(llava);
    const replies = assistantReplies(parsed);
    assert.equal(replies.length, 2);
    assert.equal(replies[0], parsed.responses[0]);
    assert.deepEqual(
      replies[1]?.segments.map((segment) => segment.label),
      ['SUMMARY', 'CAPTION', 'REASONING', 'CONCLUSION'],
    );
    assert.deepEqual(replies[1]?.segments[0]?.path, ['conversations', 3, 'value']);
  });

  it('addresses the last reply by default, any reply by turn, and says which turns there are', () => {
    const rated = record(run(llava, { kind: 'rateSegment', segment: 2, rating: -1 }));
    assert.deepEqual(Object.keys(rated.cot_studio.segments), ['turn1:2']);
    const first = record(run(llava, { kind: 'rateSegment', segment: 2, turn: 0, rating: 1 }));
    assert.deepEqual(Object.keys(first.cot_studio.segments), ['2'], 'the first reply keeps the keys records have always had');
    assert.throws(
      () => run(llava, { kind: 'rateSegment', segment: 0, turn: 2, rating: 1 }),
      (error: unknown) => {
        assert.ok(error instanceof RecordError);
        assert.equal(error.message, 'there is no turn 2: the record has 2 assistant turns (turn 0 to 1)');
        return true;
      },
    );
    assert.throws(
      () => run(llava, { kind: 'rateSegment', segment: 9, turn: 1, rating: 1 }),
      /there is no segment 9; turn 1 has 4 \(0: SUMMARY, 1: CAPTION, 2: REASONING, 3: CONCLUSION\)/,
    );
  });

  it('edits a segment of a later reply in its own string, leaving the first reply byte for byte', () => {
    const before = record(llava);
    const edited = run(llava, { kind: 'editSegment', segment: 1, turn: 1, text: ' The cylinder is purple. ' });
    const after = record(edited);
    assert.equal(after.conversations[1]?.value, before.conversations[1]?.value);
    assert.equal(
      after.conversations[3]?.value,
      (before.conversations[3]?.value ?? '').replace(/<CAPTION>[\s\S]*?<\/CAPTION>/, '<CAPTION> The cylinder is purple. </CAPTION>'),
    );
    assert.deepEqual(
      Object.entries(after.cot_studio.segments).map(([key, value]) => [key, value.stale ?? false]),
      [
        ['turn1:1', false],
        ['turn1:2', true],
        ['turn1:3', true],
      ],
    );
    assert.deepEqual(after.cot_studio.history, [{ at: context.at, operation: 'edit', segment: 1, turn: 1 }]);
  });

  it('flags the later replies when an earlier reply changes: they answered the old text', () => {
    const after = record(run(llava, { kind: 'editSegment', segment: 3, turn: 0, text: ' C ' }));
    assert.deepEqual(Object.keys(after.cot_studio.segments).sort(), ['3', 'turn1:0', 'turn1:1', 'turn1:2', 'turn1:3']);
    assert.ok(['turn1:0', 'turn1:1', 'turn1:2', 'turn1:3'].every((key) => after.cot_studio.segments[key]?.stale === true));
  });

  it('keeps the turn on pairs, reflections and alternatives of a later reply', () => {
    let line = run(llava, { kind: 'insertReflection', segment: 2, turn: 1, correction: 'The purple object is the cylinder.' });
    line = run(line, { kind: 'addAlternatives', segment: 3, turn: 1, alternatives: [{ text: ' Purple. ' }] });
    line = run(line, { kind: 'acceptAlternative', segment: 3, turn: 1, alternative: 0 });
    const saved = record(line).cot_studio as unknown as {
      reflections: { segment: number; turn?: number }[];
      preferencePairs: { position?: number; turn?: number; origin: string }[];
    };
    assert.deepEqual(
      saved.reflections.map(({ segment, turn }) => [segment, turn]),
      [[2, 1]],
    );
    assert.deepEqual(
      saved.preferencePairs.map(({ position, turn, origin }) => [position, turn, origin]),
      [
        [2, 1, 'reflection'],
        [3, 1, 'accepted-alternative'],
      ],
    );
    assert.match(record(line).conversations[3]?.value ?? '', /<CONCLUSION> Purple\. <\/CONCLUSION>/);
  });

  it('reads a block written before turns as the first reply’s', () => {
    const old = JSON.stringify({ ...record(llava), cot_studio: { version: 1, segments: { '2': { rating: -1, alternatives: [] } } } });
    const { annotations } = readRecordState(old);
    assert.deepEqual(Object.keys(annotations.segments), ['2']);
    assert.equal(summarizeLine(old, 1).rated, 1);
    assert.equal(summarizeLine(old, 1).segments, 8, 'both replies’ segments are counted');
    assert.equal(readFacts(old, { imageProblem: () => null }).facts.unrated, true);
  });

  it('checks every reply and names the turn of a finding', () => {
    const broken = record(llava);
    broken.conversations[3] = { ...broken.conversations[3], value: (broken.conversations[3]?.value ?? '').replace(/<CAPTION>[\s\S]*?<\/CAPTION>\s*/, '') };
    const results = checkLine(JSON.stringify(broken), { imageProblem: () => null }).results;
    const grammar = results.filter((result) => result.check === 'stage-grammar');
    assert.equal(grammar.length, 1);
    assert.match(grammar[0]?.message ?? '', /^conversations\[3\]\.value: turn 1: /);
    assert.ok(!results.some((result) => result.check === 'turns'));
  });

  it('prompts a regeneration of a later reply with the conversation up to it and the images it showed', () => {
    const { parsed } = readRecordState(mllm);
    const second = segmentRequest(parsed, { turn: 1 }, 0);
    const prompt = second.request.prompt as { messages: { role: string; content: string }[] };
    assert.deepEqual(
      prompt.messages.map((message) => [message.role, message.content]),
      [
        ['user', '<image>Who are they?'],
        ['assistant', "They're Kane and Gretzka from Bayern Munich."],
        ['user', 'What are they doing?<image>'],
        ['assistant', ''],
      ],
    );
    assert.deepEqual(second.request.images, ['mllm_demo_data/1.jpg', 'mllm_demo_data/1.jpg']);
    const first = segmentRequest(parsed, { turn: 0 }, 0);
    assert.deepEqual((first.request.prompt as { messages: unknown[] }).messages.length, 2);
    assert.deepEqual(first.request.images, ['mllm_demo_data/1.jpg'], 'the first reply saw only the first image');
    assert.equal(resolveReply(parsed).turn, 1, 'a regeneration without a turn works on the last reply');
  });
});

describe('a conversation in the sample view', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-conversation-'));
  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  function sampleOf(name: string, line: string) {
    const file = path.join(scratch, name);
    fs.writeFileSync(file, `${line}\n`);
    const document = { dataset: Dataset.fromBytes(name, fs.readFileSync(file)), checkContext: () => fileCheckContext(file, []), imageRoots: () => [scratch] };
    return buildSample(document, 0, (image) => `webview:${image}`);
  }

  it('places each image where its placeholder stands and lists every reply by its turn', () => {
    const sample = sampleOf('mllm.jsonl', mllm);
    const conversation = sample.conversation ?? [];
    const shape = conversation.map((entry) =>
      entry.role === 'assistant' ? `reply ${entry.turn}` : entry.parts.map((part) => (part.kind === 'image' ? `[${part.image.path}]` : part.text)).join(' '),
    );
    assert.deepEqual(shape, ['[mllm_demo_data/1.jpg] Who are they?', 'reply 0', 'What are they doing? [mllm_demo_data/1.jpg]', 'reply 1']);
    assert.deepEqual(
      sample.laterReplies.map((reply) => [reply.turn, reply.segments.map((segment) => segment.text)]),
      [[1, ['They are celebrating on the soccer field.']]],
    );
  });

  it('puts a record’s images on the first question when its questions have no placeholders (LLaVA-CoT)', () => {
    const line = run(llava, { kind: 'rateSegment', segment: 0, turn: 1, rating: 1 });
    const sample = sampleOf('llava.jsonl', line);
    const questions = (sample.conversation ?? []).filter((entry) => entry.role === 'user');
    assert.deepEqual(
      questions.map((entry) => entry.parts.filter((part) => part.kind === 'image').length),
      [1, 0],
    );
    assert.equal(sample.laterReplies[0]?.segments[0]?.rating, 1);
    assert.equal(sample.responses[0]?.segments[0]?.rating, null, 'the rating is the later reply’s only');
  });
});

describe('the paths of a tree search', () => {
  /** CoMCTS output: gpt-4o's path correct (the record's response), three other models' wrong. */
  const [search] = corpusLines('mulberry-search-output.jsonl') as [string];

  it('rates and edits another model’s path by its model, in that model’s own string', () => {
    const { parsed } = readRecordState(search);
    assert.deepEqual(
      parsed.responses.map((response) => response.model),
      ['gpt-4o', 'qwen2_vl_7b', 'qwen2_vl_72b', 'llama_vision_11b'],
    );
    const segments = parsed.responses[1]?.segments ?? [];
    assert.ok(segments.length > 1, 'the path is cut into its steps');
    let line = run(search, { kind: 'rateSegment', segment: 0, model: 'qwen2_vl_7b', rating: -1 });
    line = run(line, { kind: 'editSegment', segment: 0, model: 'qwen2_vl_7b', text: `${segments[0]?.text ?? ''} (checked)` });
    const before = JSON.parse(search) as Record<string, { response: string }>;
    const after = JSON.parse(line) as Record<string, { response: string }> & {
      cot_studio: { segments: Record<string, { rating: number | null }>; history: unknown[] };
    };
    for (const model of ['gpt-4o', 'qwen2_vl_72b', 'llama_vision_11b'])
      assert.equal(after[model]?.response, before[model]?.response, `${model}'s path is untouched`);
    assert.notEqual(after.qwen2_vl_7b?.response, before.qwen2_vl_7b?.response);
    assert.ok(after.qwen2_vl_7b?.response.includes('(checked)'));
    assert.equal(after.cot_studio.segments['path:qwen2_vl_7b:0']?.rating, -1);
    assert.deepEqual(after.cot_studio.history.at(-1), { at: context.at, operation: 'edit', segment: 0, model: 'qwen2_vl_7b' });
    assert.equal(
      run(search, { kind: 'rateSegment', segment: 0, model: 'gpt-4o', rating: 1 }).includes('"0":{'),
      true,
      'the first path is the record’s response, keyed as one',
    );
    assert.throws(
      () => run(search, { kind: 'rateSegment', segment: 0, model: 'gpt-5', rating: 1 }),
      /the record has no path of gpt-5; it has gpt-4o, qwen2_vl_7b, qwen2_vl_72b, llama_vision_11b/,
    );
  });

  it('shows each path’s own ratings in the sample', () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-search-'));
    try {
      const file = path.join(scratch, 'search.jsonl');
      fs.writeFileSync(file, `${run(search, { kind: 'rateSegment', segment: 1, model: 'qwen2_vl_72b', rating: -1 })}\n`);
      const document = {
        dataset: Dataset.fromBytes('search.jsonl', fs.readFileSync(file)),
        checkContext: () => fileCheckContext(file, []),
        imageRoots: () => [scratch],
      };
      const sample = buildSample(document, 0, (image) => image);
      assert.deepEqual(
        sample.responses.map((response) => [response.model, response.segments.map((segment) => segment.rating).filter((rating) => rating !== null)]),
        [
          ['gpt-4o', []],
          ['qwen2_vl_7b', []],
          ['qwen2_vl_72b', [-1]],
          ['llama_vision_11b', []],
        ],
      );
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('a preference pair after earlier exchanges', () => {
  /** TRL's conversational preference layout, the prompt holding an exchange before the question the sides answer. */
  const pair = JSON.stringify({
    prompt: [
      { role: 'user', content: 'What color is the sky?' },
      { role: 'assistant', content: 'It is blue.' },
      { role: 'user', content: 'And at night?' },
    ],
    chosen: [{ role: 'assistant', content: 'It is dark.' }],
    rejected: [{ role: 'assistant', content: 'It is green.' }],
  });

  it('rates the sides as the last reply, and swapping them moves each side’s ratings with its text', () => {
    let line = run(pair, { kind: 'rateSegment', segment: 0, rating: 1 });
    line = run(line, { kind: 'rateSegment', segment: 0, side: 'rejected', rating: -1 });
    line = run(line, { kind: 'rateSegment', segment: 0, turn: 0, rating: 0 });
    const rated = JSON.parse(line) as { cot_studio: { segments: Record<string, { rating: number | null }> } };
    assert.deepEqual(Object.fromEntries(Object.entries(rated.cot_studio.segments).map(([key, value]) => [key, value.rating])), {
      'turn1:0': 1,
      'rejected:0': -1,
      '0': 0,
    });
    const swapped = JSON.parse(run(line, { kind: 'swapSides' })) as {
      chosen: { content: string }[];
      rejected: { content: string }[];
      cot_studio: { segments: Record<string, { rating: number | null }> };
    };
    assert.equal(swapped.chosen[0]?.content, 'It is green.');
    assert.equal(swapped.rejected[0]?.content, 'It is dark.');
    assert.deepEqual(
      Object.fromEntries(Object.entries(swapped.cot_studio.segments).map(([key, value]) => [key, value.rating])),
      { 'rejected:0': 1, 'turn1:0': -1, '0': 0 },
      'the earlier reply keeps its rating',
    );
  });
});
