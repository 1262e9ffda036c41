import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { applyEdits, findNodeAtLocation, modify, parseTree } from 'jsonc-parser';
import { detectFormat, parseRecord } from '../../src/dataset/formats';
import { type FormatId, isJsonObject, type Json, type JsonObject, type ParsedRecord, parsedRecordSchema, type Segment } from '../../src/dataset/record';
import { datasetsDir } from '../harness/fixtures';

/** The physical lines of a fixture, without line endings or the BOM. */
function fixtureLines(name: string): string[] {
  const lines = fs
    .readFileSync(path.join(datasetsDir, name), 'utf8')
    .replace(/^\uFEFF/, '')
    .split('\n');
  return (lines.at(-1) === '' ? lines.slice(0, -1) : lines).map((line) => line.replace(/\r$/, ''));
}

function readLine(line: string): JsonObject | 'unparseable' | 'blank' {
  if (line.trim() === '') return 'blank';
  try {
    const value = JSON.parse(line) as Json;
    return isJsonObject(value) ? value : 'unparseable';
  } catch {
    return 'unparseable';
  }
}

function parsed(record: JsonObject, forced?: FormatId): ParsedRecord {
  const result = parseRecord(record, forced);
  if ('error' in result) assert.fail(result.error);
  return result;
}

function fixtureRecord(name: string, line: number): JsonObject {
  const record = readLine(fixtureLines(name)[line - 1]);
  if (typeof record === 'string') assert.fail(`${name}:${line} is ${record}`);
  return record;
}

function labels(record: ParsedRecord, response = 0): string[] {
  return record.responses[response].segments.map((segment) => segment.label);
}

const EXPECTED_FORMATS: Record<string, (FormatId | 'unparseable' | 'blank')[]> = {
  'llava_cot.jsonl': Array<FormatId>(10).fill('llava-cot'),
  'mulberry.jsonl': Array<FormatId>(6).fill('mulberry'),
  'r1vl.jsonl': ['r1-vl', 'r1-vl', 'r1-vl'],
  'reason_rft.jsonl': ['think-answer', 'think-answer', 'think-answer', 'think-answer'],
  'reason_rft_rl.jsonl': ['reason-rft-rl', 'reason-rft-rl'],
  'openvlthinker.jsonl': ['think-answer', 'think-answer'],
  'mmpr.jsonl': ['mmpr', 'mmpr'],
  // BOM + CRLF, CJK, blank, truncated, trailing comma, 240 KB, leading spaces and 1e+300, array, escapes.
  'edge_cases.jsonl': ['llava-cot', 'llava-cot', 'blank', 'unparseable', 'unparseable', 'llava-cot', 'llava-cot', 'unparseable', 'llava-cot'],
};

describe('detectFormat', () => {
  for (const [name, expected] of Object.entries(EXPECTED_FORMATS)) {
    it(`detects every record of ${name}`, () => {
      const detected = fixtureLines(name).map((line) => {
        const record = readLine(line);
        return typeof record === 'string' ? record : detectFormat(record);
      });
      assert.deepEqual(detected, expected);
    });
  }

  it('lists every fixture file', () => {
    const files = fs.readdirSync(datasetsDir).filter((file) => file.endsWith('.jsonl'));
    assert.deepEqual(files.sort(), Object.keys(EXPECTED_FORMATS).sort());
  });

  it('finds no format in an empty chat list or a record of unknown keys, and says what it found', () => {
    const empty = { id: 'edge-005', conversations: [] };
    assert.equal(detectFormat(empty), null);
    const result = parseRecord(empty);
    assert.ok('error' in result);
    assert.match(result.error, /found keys id, conversations \(conversations is an empty list\); expected messages or conversations/);
    assert.equal(detectFormat({ text: 'hello' }), null);
  });

  it('reads the shapes without a fixture', () => {
    assert.equal(detectFormat({ prompt: 'Q', completions: ['a'], labels: [true] }), 'trl-stepwise');
    assert.equal(detectFormat({ prompt: 'Q', chosen: 'a', rejected: 'b' }), 'trl-preference');
    assert.equal(
      detectFormat({
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello.' },
        ],
      }),
      'sharegpt',
    );
    assert.equal(detectFormat({ messages: [{ role: 'user', content: 'Hi' }] }), 'sharegpt');
    assert.equal(detectFormat({ problem: 'Q', answer: '3', images: ['a.png'] }), 'reason-rft-rl');
    assert.equal(detectFormat({ image_path: 'a.png', problem: 'Q', solution: '3' }), 'r1-vl');
  });

  it('takes OpenAI content parts over the reply markup, and the markup over plain sharegpt', () => {
    const stages = '<SUMMARY> s </SUMMARY><CAPTION> c </CAPTION><REASONING> r </REASONING><CONCLUSION> 1 </CONCLUSION>';
    const parts = {
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Q' }] },
        { role: 'assistant', content: stages },
      ],
    };
    assert.equal(detectFormat(parts), 'openai-chat');
    assert.equal(
      detectFormat({
        messages: [
          { role: 'user', content: 'Q' },
          { role: 'assistant', content: stages },
        ],
      }),
      'llava-cot',
    );
    assert.equal(
      detectFormat({
        messages: [
          { role: 'user', content: 'Q' },
          { role: 'assistant', content: '<think>### Step 1:\nx</think><answer>1</answer>' },
        ],
      }),
      'think-answer',
    );
  });
});

describe('parseRecord segments', () => {
  const records = Object.keys(EXPECTED_FORMATS).flatMap((name) =>
    fixtureLines(name).flatMap((line, index) => {
      const record = readLine(line);
      return typeof record === 'string' ? [] : [{ where: `${name}:${index + 1}`, line, record: parsed(record) }];
    }),
  );

  it('gives every segment a span whose slice of the string at its path is its text, in every fixture', () => {
    let count = 0;
    for (const { where, line, record } of records) {
      assert.deepEqual(parsedRecordSchema.parse(record), record, where);
      const root = parseTree(line);
      for (const segment of record.responses.flatMap((response) => response.segments)) {
        const holder: Json = root ? findNodeAtLocation(root, segment.path)?.value : undefined;
        assert.equal(typeof holder, 'string', `${where} ${segment.label}`);
        assert.equal(String(holder).slice(...segment.span), segment.text, `${where} ${segment.label}`);
        count += 1;
      }
    }
    assert.ok(count > 100, `only ${count} segments`);
  });

  it('edits one segment and nothing else by replacing its slice', () => {
    const edit = (line: string, segment: Segment, text: string): string => {
      const root = parseTree(line);
      const holder = String(root ? findNodeAtLocation(root, segment.path)?.value : '');
      return applyEdits(line, modify(line, segment.path, holder.slice(0, segment.span[0]) + text + holder.slice(segment.span[1]), {}));
    };
    for (const { where, line, record } of records) {
      record.responses.forEach((response, r) => {
        response.segments.forEach((segment, s) => {
          const edited = parsed(JSON.parse(edit(line, segment, 'EDITED')) as JsonObject, record.format);
          const texts = edited.responses[r].segments.map((other) => other.text);
          const expected = response.segments.map((other, index) => (index === s ? 'EDITED' : other.text));
          assert.deepEqual(texts, expected, `${where} ${response.role} ${segment.label}`);
          assert.deepEqual(labels(edited, r), labels(record, r), where);
        });
      });
    }
  });

  it('reads LLaVA-CoT stages with their inner spaces', () => {
    const record = parsed(fixtureRecord('llava_cot.jsonl', 1));
    assert.deepEqual(labels(record), ['SUMMARY', 'CAPTION', 'REASONING', 'CONCLUSION']);
    const conclusion = record.responses[0].segments[3];
    assert.equal(conclusion.text, ' 2022 ');
    assert.deepEqual(conclusion.path, ['conversations', 1, 'value']);
    assert.equal(record.id, 'lc-0001');
    assert.match(record.question ?? '', /^<image>\nIn which year/);
  });

  it('runs an unclosed stage to the end and leaves a missing stage out (lc-0008, lc-0010)', () => {
    const unclosed = parsed(fixtureRecord('llava_cot.jsonl', 8));
    assert.equal(unclosed.responses[0].segments[3].text, ' 9 ');
    assert.deepEqual(labels(parsed(fixtureRecord('llava_cot.jsonl', 10))), ['SUMMARY', 'REASONING', 'CONCLUSION']);
    const open = parsed({
      conversations: [
        { from: 'human', value: 'Q' },
        { from: 'gpt', value: '<SUMMARY> a\n\n<CAPTION> b </CAPTION>' },
      ],
    });
    assert.deepEqual(
      open.responses[0].segments.map((segment) => segment.text),
      [' a\n\n', ' b '],
    );
  });

  it('reads Mulberry sections and steps without their header line breaks or blank separators', () => {
    const record = parsed(fixtureRecord('mulberry.jsonl', 1));
    assert.deepEqual(labels(record), ['Image Description', 'Rationales', "Let's think step by step", 'Step 1', 'Step 2', 'Step 3', 'Final answer']);
    const [, , think, step1, , , final] = record.responses[0].segments;
    assert.deepEqual([think.kind, think.text], ['section', '']);
    assert.deepEqual([step1.kind, step1.text], ['step', 'The legs are AB = 6 and BC = 8.']);
    assert.deepEqual([final.kind, final.text], ['section', 'B: 10']);
    assert.deepEqual(record.images, ['images/triangle.png']);
  });

  it('keeps a reflection as two steps with the same label, the phrase ending the wrong one (mulberry line 3)', () => {
    const record = parsed(fixtureRecord('mulberry.jsonl', 3));
    assert.deepEqual(labels(record), ['Image Description', 'Rationales', "Let's think step by step", 'Step 1', 'Step 1', 'Step 2', 'Final answer']);
    const [wrong, corrected] = record.responses[0].segments.slice(3, 5);
    assert.equal(wrong.text, 'There are 3 circles and 2 squares, so 3 + 2 = 6.\n\nI think I have made a mistake. Let me rethink it.');
    assert.equal(corrected.text, 'There are 3 circles and 2 squares, so 3 + 2 = 5.');
  });

  it('reads think and answer inside their tags, and the text between them as a summary', () => {
    const openvl = parsed(fixtureRecord('openvlthinker.jsonl', 1));
    assert.deepEqual(
      openvl.responses[0].segments.map((segment) => [segment.kind, segment.text]),
      [
        ['think', 'Each notebook costs 3.50 and there are 4. 3.50 * 4 = 14.00. Wait, let me double check: 3.5 * 4 = 14. Yes.'],
        ['summary', 'The notebooks cost 14 dollars in total.'],
        ['answer', '14'],
      ],
    );
    assert.deepEqual(
      parsed(fixtureRecord('openvlthinker.jsonl', 2)).responses[0].segments.map((segment) => segment.kind),
      ['think', 'answer'],
      'without a summary, think and answer keep indices 0 and 1',
    );
    const rft = parsed(fixtureRecord('reason_rft.jsonl', 1));
    assert.equal(rft.responses[0].segments[1].text, '\n4\n');
    assert.deepEqual(rft.images, ['images/shapes.png']);
  });

  it('splits MMPR sides into line steps and a final answer', () => {
    const record = parsed(fixtureRecord('mmpr.jsonl', 1));
    assert.deepEqual(
      record.responses.map((response) => response.role),
      ['chosen', 'rejected'],
    );
    assert.deepEqual(labels(record, 0), ['Step 1', 'Step 2', 'Step 3', 'Final answer']);
    assert.deepEqual(labels(record, 1), ['Step 1', 'Step 2', 'Final answer']);
    assert.equal(record.responses[1].segments[2].text, '14');
    assert.deepEqual(record.responses[1].segments[2].path, ['rejected']);
    assert.equal(record.groundTruth, null);
    assert.deepEqual(labels(parsed(fixtureRecord('mmpr.jsonl', 2)), 1), ['Step 1']);
  });

  it('splits an MMPR side by its own markup when it has some, and reads answer_gt', () => {
    const record = parsed({
      image: ['a.png', 'b.png'],
      question: 'Q',
      chosen: '### Step 1:\nx\n\n### The final answer is:\n3',
      rejected: '<think>t</think><answer>4</answer>',
      answer_gt: '3',
    });
    assert.deepEqual(labels(record, 0), ['Step 1', 'Final answer']);
    assert.deepEqual(labels(record, 1), ['think', 'answer']);
    assert.equal(record.groundTruth, '3');
    assert.deepEqual(record.images, ['a.png', 'b.png']);
  });
});

describe('parseRecord fields', () => {
  it('reads R1-VL key steps, ground truth and image_path', () => {
    const record = parsed(fixtureRecord('r1vl.jsonl', 1));
    assert.equal(record.format, 'r1-vl');
    assert.deepEqual(record.keySteps, [['6^2 + 8^2', '36 + 64'], ['100'], ['x = 10', 'sqrt(100)']]);
    assert.equal(record.groundTruth, '10');
    assert.deepEqual(record.images, ['images/triangle.png']);
    assert.equal(record.question, 'Find x.');
    assert.deepEqual(record.responses, []);
  });

  it('reads Reason-RFT RL records with two images and their solution', () => {
    const record = parsed(fixtureRecord('reason_rft_rl.jsonl', 2));
    assert.deepEqual(record.images, ['images/bar_chart.png', 'images/price_table.png']);
    assert.equal(record.groundTruth, '8');
    assert.equal(record.id, 'rl-002');
    assert.equal(record.keySteps, null);
    assert.deepEqual(parsed({ id: 3, image: { path: 'c.png' }, problem: 'Q', solution: 2 }).images, ['c.png']);
  });

  it('never takes the response for ground truth', () => {
    for (const name of ['llava_cot.jsonl', 'mulberry.jsonl', 'reason_rft.jsonl', 'openvlthinker.jsonl']) {
      assert.equal(parsed(fixtureRecord(name, 1)).groundTruth, null, name);
    }
  });

  it('uses the first assistant turn after the first user turn', () => {
    const record = parsed({
      conversations: [
        { from: 'gpt', value: 'Greeting.' },
        { from: 'human', value: '<image>\nQ1' },
        { from: 'gpt', value: '<SUMMARY> first </SUMMARY>' },
        { from: 'human', value: 'Q2' },
        { from: 'gpt', value: '<SUMMARY> second </SUMMARY>' },
      ],
    });
    assert.equal(record.question, '<image>\nQ1');
    assert.deepEqual(record.responses[0].segments[0].path, ['conversations', 2, 'value']);
    assert.equal(record.responses[0].text, '<SUMMARY> first </SUMMARY>');
  });

  it('reads OpenAI content parts: text parts for the question, image urls, segments inside a text part', () => {
    const record = parsed({
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'images/a.png' } },
            { type: 'text', text: 'What' },
            { type: 'text', text: 'is it?' },
          ],
        },
        { role: 'assistant', content: [{ type: 'text', text: '<think>look</think>\n<answer>a cat</answer>' }] },
      ],
    });
    assert.equal(record.format, 'openai-chat');
    assert.equal(record.question, 'What\nis it?');
    assert.deepEqual(record.images, ['images/a.png']);
    assert.deepEqual(
      record.responses[0].segments.map((segment) => [segment.label, segment.text, segment.path]),
      [
        ['think', 'look', ['messages', 2, 'content', 0, 'text']],
        ['answer', 'a cat', ['messages', 2, 'content', 0, 'text']],
      ],
    );
    const plain = parsed({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Q' }] },
        { role: 'assistant', content: 'Just text.' },
      ],
    });
    assert.deepEqual(plain.responses[0].segments, [
      { kind: 'response', label: 'response', text: 'Just text.', path: ['messages', 1, 'content'], span: [0, 10] },
    ]);
  });

  it('reads plain sharegpt as one response segment, and a chat without a reply as no response', () => {
    const record = parsed({
      conversations: [
        { from: 'human', value: 'Hi' },
        { from: 'gpt', value: 'Hello there.' },
      ],
      images: [{ path: 'x.png' }],
    });
    assert.equal(record.format, 'sharegpt');
    assert.deepEqual(labels(record), ['response']);
    assert.deepEqual(record.images, ['x.png']);
    assert.deepEqual(parsed({ messages: [{ role: 'user', content: 'Hi' }] }).responses, []);
  });

  it('reads TRL preference pairs with a message-list prompt and conversational sides', () => {
    const record = parsed({
      prompt: [{ role: 'user', content: '<image>What color?' }],
      chosen: [{ role: 'assistant', content: 'Blue.' }],
      rejected: 'Red.',
      images: ['sky.png'],
    });
    assert.equal(record.format, 'trl-preference');
    assert.equal(record.question, '<image>What color?');
    assert.deepEqual(record.images, ['sky.png']);
    assert.deepEqual(record.responses[0].segments[0].path, ['chosen', 0, 'content']);
    assert.deepEqual(record.responses[1].segments[0].path, ['rejected']);
  });

  it('reads TRL stepwise completions as whole-string steps joined by blank lines', () => {
    const record = parsed({ prompt: 'Add 2 and 3.', completions: ['2 + 3 = 5.', 'The answer is 5.'], labels: [true, true] });
    assert.equal(record.format, 'trl-stepwise');
    assert.equal(record.responses[0].text, '2 + 3 = 5.\n\nThe answer is 5.');
    assert.deepEqual(
      record.responses[0].segments.map((segment) => [segment.kind, segment.label, segment.path, segment.span]),
      [
        ['step', 'Step 1', ['completions', 0], [0, 10]],
        ['step', 'Step 2', ['completions', 1], [0, 16]],
      ],
    );
    assert.equal(record.groundTruth, null);
  });
});

describe('parseRecord with a forced format', () => {
  const llava = () => fixtureRecord('llava_cot.jsonl', 1);
  const mulberry = () => fixtureRecord('mulberry.jsonl', 1);
  const error = (record: JsonObject, format: FormatId): string => {
    const result = parseRecord(record, format);
    assert.ok('error' in result, `${format} parsed`);
    return result.error;
  };

  it('names the missing or invalid field', () => {
    assert.equal(error(llava(), 'mmpr'), 'not a mmpr record: question: missing');
    assert.equal(
      error(mulberry(), 'llava-cot'),
      'not a llava-cot record: messages[1].content: no LLaVA-CoT stage tags (<SUMMARY>, <CAPTION>, <REASONING>, <CONCLUSION>)',
    );
    assert.equal(error(llava(), 'think-answer'), 'not a think-answer record: conversations[1].value: no <think> or <answer> tags');
    assert.equal(
      error(fixtureRecord('r1vl.jsonl', 1), 'mulberry'),
      'not a mulberry record: messages: missing (a mulberry record holds its turns in messages or conversations)',
    );
    assert.equal(error(llava(), 'trl-stepwise'), 'not a trl-stepwise record: prompt: expected a string or a list of messages, found nothing');
    assert.equal(
      error({ problem: 'Q', key_steps: { Steps: ['a', 3] } }, 'r1-vl'),
      'not a r1-vl record: key_steps.Steps[1]: expected a string or a list of strings, found a number',
    );
    assert.equal(error({ question: 'Q', chosen: ['x'], rejected: 'y' }, 'mmpr'), 'not a mmpr record: chosen: expected a string, found an array');
    assert.equal(
      error({ image: 7, problem: 'Q' }, 'reason-rft-rl'),
      'not a reason-rft-rl record: image: expected an image path (a string or {"path": ...}), found a number',
    );
    assert.equal(
      error({ conversations: [{ from: 'human', value: 'Q' }] }, 'llava-cot'),
      'not a llava-cot record: conversations: no assistant turn after the first user turn',
    );
  });

  it('reads a record as the forced format when it fits', () => {
    assert.deepEqual(labels(parsed(llava(), 'sharegpt')), ['response']);
    assert.equal(parsed(fixtureRecord('reason_rft_rl.jsonl', 1), 'r1-vl').keySteps, null);
    assert.equal(parsed(mulberry(), 'openai-chat').responses[0].segments.length, 7);
  });
});
