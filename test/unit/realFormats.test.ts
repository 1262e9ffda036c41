// Records the authors of TRL and LLaMA-Factory publish (test/fixtures/real/, sources in its README), read as
// their documentation says they are meant.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseRecord } from '../../src/dataset/formats';
import { applyOperation } from '../../src/dataset/operations';
import { exportFormatSchema } from '../../src/export';
import type { JsonObject, ParsedRecord } from '../../src/dataset/record';
import { runCli } from '../harness/cli';
import { datasetsDir, fixturesDir } from '../harness/fixtures';

const realDir = path.join(fixturesDir, 'real');
const records = (name: string): JsonObject[] =>
  fs
    .readFileSync(path.join(realDir, name), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as JsonObject);

function parsed(record: JsonObject): ParsedRecord {
  const result = parseRecord(record);
  if ('error' in result) assert.fail(result.error);
  return result;
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-real-formats-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('TRL dataset formats (docs/source/dataset_formats.md)', () => {
  it('prompt-completion, standard and conversational: the prompt is the question, the completion the response', () => {
    const [standard, conversational] = records('trl-prompt-completion.jsonl').map(parsed);
    assert.deepEqual(
      [standard?.format, standard?.question, standard?.responses[0]?.text, standard?.label],
      ['trl-completion', 'The sky is', ' blue.', undefined],
    );
    assert.deepEqual([conversational?.question, conversational?.responses[0]?.text], ['What color is the sky?', 'It is blue.']);
    assert.deepEqual(conversational?.responses[0]?.segments[0]?.path, ['completion', 0, 'content']);
  });

  it('unpaired preference (KTO): the label is read as the record’s own verdict', () => {
    for (const record of records('trl-unpaired-preference.jsonl').map(parsed)) {
      assert.equal(record.format, 'trl-completion');
      assert.equal(record.label, true);
    }
  });

  it('preference with an explicit or an implicit prompt', () => {
    const [explicit, implicitText, conversational, implicitChat] = records('trl-preference.jsonl').map(parsed);
    assert.deepEqual([explicit?.question, explicit?.responses.map((r) => r.text)], ['The sky is', [' blue.', ' green.']]);
    assert.deepEqual(
      [implicitText?.format, implicitText?.question, implicitText?.responses.map((r) => r.text)],
      ['trl-preference', null, ['The sky is blue.', 'The sky is green.']],
    );
    assert.deepEqual(
      conversational?.responses.map((r) => r.text),
      ['It is blue.', 'It is green.'],
    );
    assert.deepEqual(
      [implicitChat?.format, implicitChat?.question, implicitChat?.responses.map((r) => r.text)],
      ['trl-preference', 'What color is the sky?', ['It is blue.', 'It is green.']],
    );
    assert.deepEqual(implicitChat?.responses[1]?.segments[0]?.path, ['rejected', 1, 'content']);
  });
});

describe('LLaMA-Factory demo data (data/dpo_en_demo.json, data/kto_en_demo.json)', () => {
  it('ranking records: the conversation is the prompt, chosen and rejected are the two sides', () => {
    const lines = records('llamafactory-dpo-demo.jsonl');
    for (const [index, record] of lines.map(parsed).entries()) {
      const source = lines[index] as { chosen: { value: string }; rejected: { value: string }; conversations: Array<{ value: string }> };
      assert.equal(record.format, 'sharegpt-preference');
      assert.equal(record.question, source.conversations[0]?.value);
      assert.deepEqual(
        record.responses.map((response) => [response.role, response.text]),
        [
          ['chosen', source.chosen.value],
          ['rejected', source.rejected.value],
        ],
      );
      assert.deepEqual(record.responses[0]?.segments[0]?.path, ['chosen', 'value']);
    }
  });

  it('KTO records keep their label, and SFT exports refuse the undesirable ones', async () => {
    assert.deepEqual(
      records('llamafactory-kto-demo.jsonl').map((record) => parsed(record).label),
      [true, true, false, false],
    );
    const output = path.join(scratch, 'kto-sft.jsonl');
    const run = await runCli('export', path.join(realDir, 'llamafactory-kto-demo.jsonl'), '--format', 'trl-sft', '-o', output);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /kto-demo\.jsonl:3: not exported: the record labels its response undesirable \(label: false\); trl-sft would train on it as a target/,
    );
    assert.equal(fs.readFileSync(output, 'utf8').trim().split('\n').length, 2);
  });

  it('ranking records export as preference pairs and validate clean', async () => {
    const file = path.join(realDir, 'llamafactory-dpo-demo.jsonl');
    assert.equal((await runCli('validate', file)).code, 0);
    const output = path.join(scratch, 'dpo.jsonl');
    const run = await runCli('export', file, '--format', 'trl-dpo', '-o', output);
    assert.equal(run.code, 0, run.stderr);
    const [first] = fs
      .readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { chosen: Array<{ content: string }>; rejected: Array<{ content: string }> });
    assert.equal(first?.chosen[0]?.content, '6778576 - 84834150134 = -84827371558');
    assert.equal(first?.rejected[0]?.content, '84834150134 - 6778576 = -16666579378');
  });
});

describe('LLaMA-Factory newer layout and R1-V prompts', () => {
  it('LLaMA-Factory v1 (data/v1_multimodal_demo.jsonl): parts hold their text and image path in `value`', () => {
    const [first] = records('llamafactory-v1-multimodal-demo.jsonl').map(parsed);
    assert.equal(first?.format, 'openai-chat');
    assert.equal(first?.question, 'Who are they?');
    assert.equal(first?.responses[0]?.text, "They're Kane and Gretzka from Bayern Munich.");
    assert.deepEqual(first?.responses[0]?.segments[0]?.path, ['messages', 1, 'content', 0, 'value']);
    assert.equal(first?.images[0], 'data/mllm_demo_data/1.jpg');
  });

  it('R1-V evaluation prompts (`image_path`, `question`, `ground_truth`) read as a question with its answer', () => {
    const lines = records('r1v-geoqa-test-prompts.jsonl');
    for (const [index, record] of lines.map(parsed).entries()) {
      const source = lines[index] as { question: string; ground_truth: string | number; image_path: string };
      assert.deepEqual(
        [record.question, record.groundTruth, record.images, record.responses.length],
        [source.question, String(source.ground_truth), [source.image_path], 0],
      );
    }
  });
});

describe('R1-V evaluation logs (src/eval/logs) and MM-Eureka qwen records (README "Custom dataset")', () => {
  const evalLines = records('r1v-geoqa-eval-results.jsonl');
  type EvalSource = { question: { question: string; image_path: string }; ground_truth: string; model_output: string };
  const context = { at: '2025-01-01T00:00:00.000Z', reflectionPhrase: 'Let me rethink it.' };

  it('an evaluated output is the response, cut by its <think>/<answer> tags and judged by is_correct', () => {
    const answers = ['40.0', '25', '35'];
    for (const [index, record] of evalLines.map(parsed).entries()) {
      const source = evalLines[index] as EvalSource;
      assert.deepEqual(
        [record.format, record.question, record.groundTruth, record.images],
        ['r1v-eval', source.question.question, source.ground_truth, [source.question.image_path]],
      );
      assert.equal(record.responses.length, 1);
      const [response] = record.responses;
      assert.deepEqual([response?.text, response?.correct], [source.model_output, false]);
      assert.deepEqual(
        response?.segments.map((segment) => [segment.kind, segment.path, source.model_output.slice(...segment.span)]),
        [
          ['think', ['model_output'], between(source.model_output, '<think>', '</think>')],
          ['answer', ['model_output'], answers[index]],
        ],
      );
    }
  });

  it('an edit of a segment rewrites model_output alone', () => {
    const line = JSON.stringify(evalLines[0]);
    const edited = JSON.parse(applyOperation(line, { kind: 'editSegment', line: 1, segment: 1, text: '140' }, context).text) as JsonObject;
    const source = evalLines[0] as EvalSource;
    assert.equal(edited.model_output, source.model_output.replace('<answer>40.0</answer>', '<answer>140</answer>'));
    const { model_output: _edited, cot_studio: _annotations, ...rest } = edited;
    const { model_output: _source, ...unchanged } = evalLines[0] as JsonObject;
    assert.deepEqual(rest, unchanged, 'the question, ground truth, extracted answer and verdict stay as they were');
    assert.equal(parsed(edited).responses[0]?.segments[1]?.text, '140');
  });

  it('rewards score the output against the ground truth; SFT exports refuse a wrong output and write a correct one', async () => {
    const file = path.join(realDir, 'r1v-geoqa-eval-results.jsonl');
    const rewards = await runCli('rewards', file, '--json');
    const scored = (JSON.parse(rewards.stdout) as { records: Array<{ format: string; rewards: Record<string, number> }> }).records;
    assert.deepEqual(
      scored.map((record) => [record.format, record.rewards['format-think-answer'], record.rewards['accuracy-discrete']]),
      [
        ['r1v-eval', 1, 0],
        ['r1v-eval', 1, 0],
        ['r1v-eval', 1, 0],
      ],
    );
    const wrong = await runCli('export', file, '--format', 'trl-sft', '-o', path.join(scratch, 'r1v-eval-wrong.jsonl'));
    assert.equal(wrong.code, 1);
    for (const line of [1, 2, 3]) assert.match(wrong.stderr, new RegExp(`eval-results\\.jsonl:${line}: not exported: trl-sft would train on a wrong answer`));

    const folder = fs.mkdtempSync(path.join(scratch, 'r1v-eval-'));
    fs.cpSync(path.join(datasetsDir, 'images', 'triangle.png'), path.join(folder, 'triangle.png'));
    const source = evalLines[0] as EvalSource;
    const correct = {
      ...source,
      question: { ...source.question, image_path: 'triangle.png' },
      model_output: source.model_output.replace('40.0</answer>', '140</answer>'),
      is_correct: true,
    };
    const input = path.join(folder, 'eval.jsonl');
    fs.writeFileSync(input, `${JSON.stringify(correct)}\n`);
    const output = path.join(folder, 'sft.jsonl');
    const written = await runCli('export', input, '--format', 'trl-sft', '-o', output);
    assert.equal(written.code, 0, written.stderr);
    type SftLine = { messages: Array<{ role: string; content: Array<{ type: string; text?: string }> }>; images: string[] };
    const [sft] = fs
      .readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text) as SftLine);
    assert.deepEqual(
      sft?.messages.map((message) => [message.role, message.content.map((part) => part.text ?? part.type)]),
      [
        ['user', ['image', source.question.question]],
        ['assistant', [correct.model_output]],
      ],
    );
    assert.deepEqual(sft?.images, ['triangle.png']);
  });

  it("MM-Eureka's `message` is read as the chat list it holds: question, images (file:// stripped) and ground truth", () => {
    const [record] = records('mm-eureka-qwen-readme.jsonl').map(parsed);
    assert.deepEqual(
      [record?.format, record?.id, record?.question, record?.images, record?.groundTruth, record?.responses],
      ['mm-eureka', '0', 'How many cats in the image?', ['/path/to/your/image.jpg'], 'gt that could be parsed and verified by math_verify', []],
    );
    assert.throws(
      () => applyOperation(JSON.stringify(records('mm-eureka-qwen-readme.jsonl')[0]), { kind: 'editSegment', line: 1, segment: 0, text: 'x' }, context),
      /a mm-eureka record has no response to annotate/,
    );
  });

  it('a `message` that is not the JSON text of a list of chat turns is an error naming `message`', () => {
    const [source] = records('mm-eureka-qwen-readme.jsonl');
    const failure = (message: string): string => {
      const result = parseRecord({ ...source, message });
      assert.ok('error' in result, `${message} is read`);
      return result.error;
    };
    assert.equal(
      failure(`[{'role': 'user', 'content': 'How many cats?'}]`),
      'not a mm-eureka record: message: not valid JSON: a single quote at column 3: JSON strings and keys take double quotes',
    );
    assert.match(failure('[{"role": "user"'), /^not a mm-eureka record: message: not valid JSON: /);
    assert.equal(
      failure('{"role": "user", "content": "How many cats?"}'),
      'not a mm-eureka record: message: expected a list of chat turns as JSON text, found an object',
    );
    assert.equal(failure('[]'), 'not a mm-eureka record: message: holds an empty list of chat turns: there is no question');
    assert.equal(
      failure('[{"role": "user", "content": "How many cats?"}, "yes"]'),
      'not a mm-eureka record: message: item 2 of its list is a string, not a chat turn {"role", "content"}',
    );
  });
});

/** The text between `open` and `close` in `text`. */
function between(text: string, open: string, close: string): string {
  const start = text.indexOf(open) + open.length;
  return text.slice(start, text.indexOf(close, start));
}

/** Files of configuration entries (dataset_info.json, meta.json) rather than records, and the shapes still not read. */
const NOT_RECORDS = /-(dataset-info|meta-docs)\.jsonl$/;
const STILL_UNREAD = new Map([
  ['trl-language-modeling.jsonl', [1]], // `{"text": ...}`: plain text, no question or response
]);

describe('every real record through validate, stats, rewards and every export', () => {
  const files = fs.readdirSync(realDir).filter((name) => name.endsWith('.jsonl') && !NOT_RECORDS.test(name));

  it('reads every record of a known shape, and no command fails on any', async () => {
    for (const name of files) {
      const file = path.join(realDir, name);
      const validated = await runCli('validate', file);
      assert.ok(validated.code === 0 || validated.code === 1, `${name}: ${validated.stderr}`);
      const unread = [...validated.stdout.matchAll(/:(\d+):\d+: error \[(?:unknown-format|unparseable)\]/g)].map((match) => Number(match[1]));
      assert.deepEqual(unread, STILL_UNREAD.get(name) ?? [], `${name}: records not read`);
      for (const command of [
        ['stats', '--json'],
        ['rewards', '--json'],
      ]) {
        const run = await runCli(command[0] ?? '', file, ...command.slice(1));
        assert.ok(run.code === 0 || run.code === 1, `${name} ${command[0]}: ${run.stderr}`);
        assert.doesNotThrow(() => JSON.parse(run.stdout), `${name} ${command[0]} prints JSON`);
      }
      for (const format of exportFormatSchema.options) {
        const run = await runCli('export', file, '--format', format, '-o', path.join(scratch, `${name}.${format}.jsonl`));
        assert.ok(run.code === 0 || run.code === 1, `${name} as ${format}: ${run.stderr}`);
        assert.doesNotMatch(run.stderr, /^\s+at /m, `${name} as ${format}: no stack trace`);
      }
    }
  });
});
