// Records the authors of TRL and LLaMA-Factory publish (test/fixtures/real/, sources in its README), read as
// their documentation says they are meant.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseRecord } from '../../src/dataset/formats';
import { exportFormatSchema } from '../../src/export';
import type { JsonObject, ParsedRecord } from '../../src/dataset/record';
import { runCli } from '../harness/cli';
import { fixturesDir } from '../harness/fixtures';

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
    assert.deepEqual([standard?.format, standard?.question, standard?.responses[0]?.text, standard?.label], ['trl-completion', 'The sky is', ' blue.', undefined]);
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
    assert.deepEqual([implicitText?.format, implicitText?.question, implicitText?.responses.map((r) => r.text)], ['trl-preference', null, ['The sky is blue.', 'The sky is green.']]);
    assert.deepEqual(conversational?.responses.map((r) => r.text), ['It is blue.', 'It is green.']);
    assert.deepEqual([implicitChat?.format, implicitChat?.question, implicitChat?.responses.map((r) => r.text)], ['trl-preference', 'What color is the sky?', ['It is blue.', 'It is green.']]);
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
      assert.deepEqual(record.responses.map((response) => [response.role, response.text]), [
        ['chosen', source.chosen.value],
        ['rejected', source.rejected.value],
      ]);
      assert.deepEqual(record.responses[0]?.segments[0]?.path, ['chosen', 'value']);
    }
  });

  it('KTO records keep their label, and SFT exports refuse the undesirable ones', async () => {
    assert.deepEqual(records('llamafactory-kto-demo.jsonl').map((record) => parsed(record).label), [true, true, false, false]);
    const output = path.join(scratch, 'kto-sft.jsonl');
    const run = await runCli('export', path.join(realDir, 'llamafactory-kto-demo.jsonl'), '--format', 'trl-sft', '-o', output);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /kto-demo\.jsonl:3: not exported: the record labels its response undesirable \(label: false\); trl-sft would train on it as a target/);
    assert.equal(fs.readFileSync(output, 'utf8').trim().split('\n').length, 2);
  });

  it('ranking records export as preference pairs and validate clean', async () => {
    const file = path.join(realDir, 'llamafactory-dpo-demo.jsonl');
    assert.equal((await runCli('validate', file)).code, 0);
    const output = path.join(scratch, 'dpo.jsonl');
    const run = await runCli('export', file, '--format', 'trl-dpo', '-o', output);
    assert.equal(run.code, 0, run.stderr);
    const [first] = fs.readFileSync(output, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { chosen: Array<{ content: string }>; rejected: Array<{ content: string }> });
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
      assert.deepEqual([record.question, record.groundTruth, record.images, record.responses.length], [source.question, String(source.ground_truth), [source.image_path], 0]);
    }
  });
});

/** Files of configuration entries (dataset_info.json, meta.json) rather than records, and the shapes still not read. */
const NOT_RECORDS = /-(dataset-info|meta-docs)\.jsonl$/;
const STILL_UNREAD = new Map([
  ['trl-language-modeling.jsonl', [1]], // `{"text": ...}`: plain text, no question or response
  ['r1v-geoqa-eval-results.jsonl', [1, 2, 3]], // evaluation logs: question, model output and verdict
  ['mm-eureka-qwen-readme.jsonl', [1]], // `message` holds the conversation as a JSON string
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
      for (const command of [['stats', '--json'], ['rewards', '--json']]) {
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
