import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ANNOTATION_VERSION, annotationsSchema, emptyAnnotations } from '../../src/dataset/annotations';
import { type CheckContext, type CheckResult, checkLine, checkRecord, checkResultSchema, fileCheckContext } from '../../src/dataset/checks';
import { parseRecord } from '../../src/dataset/formats';
import type { JsonObject } from '../../src/dataset/record';
import { datasetsDir } from '../harness/fixtures';

/** The physical lines of a fixture as the editor hands them over: no line ending, the BOM kept. */
function fixtureLines(name: string): string[] {
  const lines = fs.readFileSync(path.join(datasetsDir, name), 'utf8').split('\n');
  return (lines.at(-1) === '' ? lines.slice(0, -1) : lines).map((line) => line.replace(/\r$/, ''));
}

/** The checks of a file in the fixtures' folder, its images found on disk. */
const onDisk = fileCheckContext(path.join(datasetsDir, 'checked.jsonl'), []);
const everywhere: CheckContext = { imageProblem: () => null };

function check(record: JsonObject, context = everywhere): CheckResult[] {
  return checkLine(JSON.stringify(record), context).results;
}

function checksOf(record: JsonObject, context = everywhere): string[] {
  return check(record, context).map((result) => result.check);
}

function fixtureResults(name: string, line: number): CheckResult[] {
  return checkLine(fixtureLines(name)[line - 1], onDisk).results;
}

/** The deliberate flaws of /work/shared/datasets/README.md that are format problems, as (line, check). */
const EXPECTED: Record<string, string[]> = {
  'llava_cot.jsonl': ['8 stage-grammar', '10 stage-grammar'],
  'mulberry.jsonl': ['6 section-grammar'],
  'r1vl.jsonl': [],
  'reason_rft.jsonl': ['4 think-answer-form'],
  'reason_rft_rl.jsonl': [],
  'openvlthinker.jsonl': [],
  'mmpr.jsonl': [],
  // edge-006 (the 240 KB line) has only SUMMARY and CONCLUSION: a real stage-grammar problem.
  'edge_cases.jsonl': ['4 unparseable', '5 unparseable', '6 stage-grammar', '8 unparseable'],
};

describe('checks over the fixtures', () => {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`finds exactly the deliberate flaws of ${name}`, () => {
      const fired = new Set<string>();
      fixtureLines(name).forEach((line, index) => {
        for (const result of checkLine(line, onDisk).results) {
          checkResultSchema.parse(result);
          fired.add(`${index + 1} ${result.check}`);
        }
      });
      assert.deepEqual([...fired], expected);
    });
  }

  it('names the field and the tag of a LLaVA-CoT stage problem (lc-0008, lc-0010)', () => {
    assert.deepEqual(
      fixtureResults('llava_cot.jsonl', 8).map(({ severity, message }) => [severity, message]),
      [['error', 'conversations[1].value: <CONCLUSION> has no closing tag']],
    );
    assert.deepEqual(
      fixtureResults('llava_cot.jsonl', 10).map((result) => result.message),
      ['conversations[1].value: <CAPTION> stage is missing'],
    );
  });

  it('points the range at the JSON string literal that holds the response', () => {
    const line = fixtureLines('llava_cot.jsonl')[7];
    const [result] = fixtureResults('llava_cot.jsonl', 8);
    assert.ok(result.range);
    const literal = line.slice(...result.range);
    assert.ok(literal.startsWith('"<SUMMARY>'));
    assert.equal(JSON.parse(literal), checkLine(line, onDisk).parsed?.responses[0].text);
  });

  it('counts the BOM and leading spaces in ranges of the raw line', () => {
    const flawed = (line: string) => line.replace(' </CONCLUSION>', ' ');
    for (const line of [fixtureLines('edge_cases.jsonl')[0], fixtureLines('edge_cases.jsonl')[6]]) {
      const [result] = checkLine(flawed(line), onDisk).results;
      assert.ok(result.range, line.slice(0, 20));
      assert.match(flawed(line).slice(...result.range), /^"<SUMMARY> Count\. .* 9 "$/);
    }
  });

  it('reports a Mulberry record without the step-by-step header and with steps 1, 3 (line 6)', () => {
    assert.deepEqual(
      fixtureResults('mulberry.jsonl', 6).map((result) => result.message),
      ['messages[1].content: missing "### Let\'s think step by step." header', 'messages[1].content: steps are numbered 1, 3; expected 1, 2'],
    );
  });

  it('reports text after </answer> as an error and takes text between </think> and <answer> (OpenVLThinker wants it)', () => {
    assert.deepEqual(
      fixtureResults('reason_rft.jsonl', 4).map(({ severity, message }) => [severity, message]),
      [['error', 'messages[1].content: text after </answer>: "The pens cost 7.5 dollars."']],
    );
    assert.deepEqual(fixtureResults('openvlthinker.jsonl', 1), []);
  });

  it('names why an edge-case line is not a record, and passes over the blank line', () => {
    const lines = fixtureLines('edge_cases.jsonl');
    assert.deepEqual(checkLine(lines[2], onDisk), { record: null, parsed: null, results: [] });
    assert.match(fixtureResults('edge_cases.jsonl', 4)[0].message, /^not valid JSON: /);
    assert.match(fixtureResults('edge_cases.jsonl', 5)[0].message, /^not valid JSON: /);
    assert.deepEqual(fixtureResults('edge_cases.jsonl', 8), [
      { check: 'unparseable', severity: 'error', message: 'a record must be a JSON object, found an array' },
    ]);
    assert.equal(checkLine(lines[0], onDisk).parsed?.id, 'edge-001');
  });
});

describe('checkLine', () => {
  it('lists the keys of a record of unknown format and what was expected', () => {
    const [result] = check({ id: 'x', text: 'hello' });
    assert.equal(result.check, 'unknown-format');
    assert.match(result.message, /^unknown format: found keys id, text; expected messages or conversations \(chat\), question\/chosen\/rejected \(MMPR\)/);
    assert.match(check({ id: 'edge-005', conversations: [] })[0].message, /\(conversations is an empty list\)/);
  });

  it('parses as the forced format and reports a record that does not fit it', () => {
    const line = fixtureLines('mulberry.jsonl')[0];
    assert.deepEqual(
      checkLine(line, { ...onDisk, format: 'llava-cot' }).results.map((result) => [result.check, result.message]),
      [['unknown-format', 'not a llava-cot record: messages[1].content: no LLaVA-CoT stage tags (<SUMMARY>, <CAPTION>, <REASONING>, <CONCLUSION>)']],
    );
    assert.equal(checkLine(line, { ...onDisk, format: 'sharegpt' }).parsed?.format, 'sharegpt');
  });
});

const chat = (question: string, answer: string, extra: JsonObject = {}): JsonObject => ({
  messages: [
    { role: 'user', content: question },
    { role: 'assistant', content: answer },
  ],
  ...extra,
});
const stages = (conclusion = ' 9 ', caption = '<CAPTION> c </CAPTION>') =>
  `<SUMMARY> s </SUMMARY>\n\n${caption}\n\n<REASONING> r </REASONING>\n\n<CONCLUSION>${conclusion}</CONCLUSION>`;
const llava = (answer: string, extra: JsonObject = {}): JsonObject => ({
  image: 'a.png',
  conversations: [
    { from: 'human', value: '<image>\nQ' },
    { from: 'gpt', value: answer },
  ],
  ...extra,
});
const MULBERRY = "### Image Description:\nd\n\n### Rationales:\nr\n\n### Let's think step by step.\n\n";

describe('stage-grammar', () => {
  it('reports stray, repeated and reordered stages', () => {
    const messages = (answer: string) => check(llava(answer)).map((result) => result.message.replace('conversations[1].value: ', ''));
    assert.deepEqual(messages(stages()), []);
    assert.deepEqual(messages(stages(' 9 ', '</CAPTION>')), ['</CAPTION> has no opening tag']);
    assert.deepEqual(messages(`${stages()}<SUMMARY> again </SUMMARY>`), ['<SUMMARY> appears 2 times']);
    assert.deepEqual(messages('<CAPTION> c </CAPTION><SUMMARY> s </SUMMARY><REASONING> r </REASONING><CONCLUSION> 1 </CONCLUSION>'), [
      'stages are in the order CAPTION, SUMMARY, REASONING, CONCLUSION; expected SUMMARY, CAPTION, REASONING, CONCLUSION',
    ]);
    assert.deepEqual(messages('<SUMMARY> s <CAPTION> c </CAPTION><REASONING> r </REASONING><CONCLUSION> 1 </CONCLUSION>'), ['<SUMMARY> has no closing tag']);
  });

  it('checks stages in any format that carries them, e.g. an MMPR side', () => {
    const results = check({ image: 'a.png', question: '<image>\nQ', chosen: stages(), rejected: stages(' 9 ', '') });
    assert.deepEqual(
      results.map((result) => result.message),
      ['rejected: <CAPTION> stage is missing'],
    );
  });
});

describe('section-grammar', () => {
  const messages = (answer: string) =>
    check(chat('<image>Q', answer, { images: 'a.png' })).map((result) => result.message.replace('messages[1].content: ', ''));

  it('accepts a repeated step only right after the reflection phrase', () => {
    const reflected = `${MULBERRY}### Step 1:\nwrong\n\nI think I have made a mistake. Let me rethink it.\n\n### Step 1:\nright\n\n### Step 2:\nmore\n\n### The final answer is:\n9`;
    assert.deepEqual(messages(reflected), []);
    assert.deepEqual(messages(reflected.replace('I think I have made a mistake. Let me rethink it.', 'Hmm.')), ['steps are numbered 1, 1, 2; expected 1, 2']);
    const custom = check(chat('<image>Q', reflected.replace('I think I have made a mistake. Let me rethink it.', 'Wait.'), { images: 'a.png' }), {
      ...everywhere,
      reflectionPhrase: 'Wait.',
    });
    assert.deepEqual(custom, []);
  });

  it('reports a missing step, a repeated final answer and headers out of order', () => {
    assert.deepEqual(messages(`${MULBERRY}### The final answer is:\n9`), ['no "### Step 1:" header']);
    assert.deepEqual(messages(`${MULBERRY}### Step 1:\nx\n\n### The final answer is:\n9\n\n### The final answer is:\n9`), [
      '"### The final answer is:" appears 2 times',
    ]);
    assert.deepEqual(messages(`${MULBERRY}### Step 1:\nx\n\n### The final answer is:\n9\n\n### Step 2:\ny`), [
      '"### Step 2:" comes after "### The final answer is:"',
    ]);
  });
});

describe('think-answer-form', () => {
  it('names missing tags and text before <think>', () => {
    const messages = (answer: string) => check(chat('<image>Q', answer, { images: ['a.png'] })).map(({ severity, message }) => `${severity} ${message}`);
    assert.deepEqual(messages(' <think>t</think>\n<answer>a</answer>\n'), []);
    assert.deepEqual(messages('<think>t</think>'), [
      'error messages[1].content: missing <answer>, </answer>; expected <think>…</think> then <answer>…</answer>',
    ]);
    assert.deepEqual(messages('So: <think>t</think><answer>a</answer>'), ['error messages[1].content: text before <think>: "So:"']);
  });
});

describe('image-token-count', () => {
  it('wants one <image> token per image in LLaMA-Factory formats', () => {
    assert.deepEqual(checksOf(chat('<image><image>Q', '<think>t</think><answer>a</answer>', { images: ['a.png'] })), ['image-token-count']);
    assert.deepEqual(checksOf(chat('Q', '<think>t</think><answer>a</answer>', { images: ['a.png'] })), ['image-token-count']);
    assert.deepEqual(checksOf(chat('<image>Q', 'A plain reply.')), ['image-token-count']);
    assert.deepEqual(checksOf(chat('Q', 'A plain reply.')), []);
  });

  it('names the question field and the image field', () => {
    const [result] = check(chat('<image><image>Q', 'A plain reply.', { images: ['a.png'] }));
    assert.equal(result.message, 'messages[0].content: 2 <image> tokens in the user turns for 1 image in images');
  });

  it('counts tokens in every user turn', () => {
    const record: JsonObject = {
      images: ['a.png', 'b.png'],
      messages: [
        { role: 'user', content: '<image>Q1' },
        { role: 'assistant', content: 'A1' },
        { role: 'user', content: '<image>Q2' },
        { role: 'assistant', content: 'A2' },
      ],
    };
    // Two tokens for two images across both questions; the second exchange is read like the first.
    assert.deepEqual(checksOf(record), []);
    assert.deepEqual(checksOf({ ...record, images: ['a.png'] }), ['image-token-count']);
  });

  it('lets LLaVA-CoT and MMPR put a single image without a token, but not two', () => {
    assert.deepEqual(
      checksOf({
        ...llava(stages()),
        conversations: [
          { from: 'human', value: 'Q' },
          { from: 'gpt', value: stages() },
        ],
      }),
      [],
    );
    assert.deepEqual(checksOf({ image: 'a.png', question: 'Q', chosen: 'x', rejected: 'y' }), []);
    assert.deepEqual(checksOf({ image: ['a.png', 'b.png'], question: '<image>\nQ', chosen: 'x', rejected: 'y' }), ['image-token-count']);
  });

  it('does not apply to formats without tokens', () => {
    assert.deepEqual(checksOf({ id: 'rl', image: ['a.png', 'b.png'], problem: 'Q', solution: '1' }), []);
  });
});

describe('image-missing', () => {
  it('warns for each image that names no file, naming its field, and skips urls', () => {
    const record: JsonObject = { id: 'x', images: ['images/shapes.png', 'nope.png', 'https://example.com/a.png'], problem: 'Q', answer: '1' };
    const line = JSON.stringify(record);
    const results = checkLine(line, onDisk).results;
    assert.deepEqual(
      results.map(({ check: id, severity, message }) => [id, severity, message]),
      [['image-missing', 'warning', 'images[1]: image not found: nope.png']],
    );
    assert.equal(line.slice(...(results[0].range ?? [0, 0])), '"nope.png"');
  });
});

describe('empty-answer', () => {
  it('reports a blank final answer in each structure', () => {
    assert.deepEqual(
      check(llava(stages('  '))).map((result) => result.message),
      ['conversations[1].value: the final answer (CONCLUSION) is empty'],
    );
    assert.deepEqual(checksOf(chat('<image>Q', '<think>t</think><answer> </answer>', { images: 'a.png' })), ['empty-answer']);
    assert.deepEqual(checksOf(chat('<image>Q', `${MULBERRY}### Step 1:\nx\n\n### The final answer is:\n`, { images: 'a.png' })), ['empty-answer']);
    assert.deepEqual(checksOf({ image: 'a.png', question: '<image>Q', chosen: 'x\nFinal answer:', rejected: 'y' }), ['empty-answer']);
  });

  it('reports a missing or blank response', () => {
    assert.deepEqual(
      check({ messages: [{ role: 'user', content: 'Q' }] }).map((result) => result.message),
      ['messages: no assistant turn after the first user turn'],
    );
    assert.deepEqual(
      check({ image: 'a.png', question: '<image>Q', chosen: 'x', rejected: ' ' }).map((result) => result.message),
      ['rejected: the rejected is empty'],
    );
    assert.deepEqual(
      check({ prompt: 'Q', completions: [], labels: [] }).map((result) => result.message),
      ['completions: the response is empty'],
    );
  });

  it('expects no response from the RL formats', () => {
    assert.deepEqual(checksOf({ image_path: 'a.png', problem: 'Q', solution: '1' }), []);
  });
});

describe('checkRecord', () => {
  it('checks a record parsed by the caller', () => {
    const line = fixtureLines('llava_cot.jsonl')[9];
    const parsed = parseRecord(JSON.parse(line) as JsonObject);
    assert.ok(!('error' in parsed));
    assert.deepEqual(
      checkRecord(line, JSON.parse(line) as JsonObject, parsed, { imageProblem: (image) => `image not found: ${image}` }).map((result) => result.check),
      ['stage-grammar', 'image-missing'],
    );
  });
});

describe('reward checks', () => {
  const context: CheckContext = { imageProblem: () => null };
  const pair = (chosen: string) =>
    JSON.stringify({ image: 'a.png', question: '<image>\nHow many bars are there?', chosen, rejected: 'There are 4 bars.\nFinal answer: 4', answer_gt: '5' });

  it('warns when the answer disagrees with the ground truth, naming both', () => {
    const results = checkLine(pair('I count the bars one by one.\nFinal answer: 4'), context).results.filter((result) => result.check === 'reward');
    assert.equal(results.length, 1);
    assert.equal(results[0]?.severity, 'warning');
    assert.match(results[0]?.message ?? '', /accuracy-discrete is 0 .*answer "4", ground truth "5"/);
    assert.ok(results[0]?.range, 'placed on the response');
  });

  it('says nothing when the answer matches, or when there is no ground truth', () => {
    assert.deepEqual(
      checkLine(pair('Five bars.\nFinal answer: 5'), context).results.filter((result) => result.check === 'reward'),
      [],
    );
    const withoutTruth = JSON.parse(pair('Final answer: 4')) as Record<string, unknown>;
    delete withoutTruth.answer_gt;
    assert.deepEqual(
      checkLine(JSON.stringify(withoutTruth), context).results.filter((result) => result.check === 'reward'),
      [],
    );
  });
});

describe('annotations', () => {
  const line = (block: string) => JSON.stringify(llava(stages())).replace(/\}$/, `, "cot_studio": ${block}}`);
  const annotationResults = (text: string) => checkLine(text, everywhere).results.filter((result) => result.check === 'annotations');

  it('reads a record without a block as the schema reads a block with only its version', () => {
    assert.deepEqual(emptyAnnotations(), annotationsSchema.parse({ version: ANNOTATION_VERSION }));
    assert.notEqual(emptyAnnotations().segments, emptyAnnotations().segments, 'each caller gets a block of its own to change');
  });

  it('passes a well-formed block, unknown keys included, and a record without one', () => {
    assert.deepEqual(checkLine(line('{"version": 1, "team_tag": "x", "segments": {"0": {"rating": 1, "note": "n"}}}'), everywhere).results, []);
    assert.deepEqual(annotationResults(JSON.stringify(llava(stages()))), []);
  });

  it('names the malformed field inside the block and points at its value', () => {
    const text = line('{"version": 1, "segments": {"2": {"rating": 5}}}');
    const [result, ...others] = annotationResults(text);
    assert.deepEqual(others, []);
    assert.equal(result.severity, 'error');
    assert.equal(result.message, 'cot_studio.segments.2.rating: expected -1, 0, 1 or null');
    assert.ok(result.range);
    assert.equal(text.slice(...result.range), '5');
  });

  it('says a newer version is newer, and points a missing version at the block', () => {
    const newer = line('{"version": 9, "review": {"status": "accepted"}}');
    const [result] = annotationResults(newer);
    assert.equal(result.message, 'cot_studio.version: 9 is newer than this CoT Studio understands (1)');
    assert.ok(result.range);
    assert.equal(newer.slice(...result.range), '9');

    const block = '{"review": {"status": "done"}}';
    const [missing] = annotationResults(line(block));
    assert.equal(missing.message, 'cot_studio.version: missing; expected 1 (and 1 more problem)');
    assert.ok(missing.range);
    assert.equal(line(block).slice(...missing.range), block);
  });

  it('checks the block of a record of no known format too', () => {
    const results = checkLine('{"text": "hello", "cot_studio": "x"}', everywhere).results;
    assert.deepEqual(
      results.map((result) => [result.check, result.message]),
      [
        ['unknown-format', results[0].message],
        ['annotations', 'cot_studio: Invalid input: expected object, received string'],
      ],
    );
  });
});

describe('turns outside the first exchange', () => {
  const llava = JSON.parse(fixtureLines('llava_cot.jsonl')[0]) as { conversations: JsonObject[] };

  it('checks every reply of a conversation, naming the turn, and takes a system prompt as part of the record', () => {
    const [question, reply] = llava.conversations;
    const broken = { from: 'gpt', value: '<SUMMARY>s</SUMMARY><REASONING>r</REASONING><CONCLUSION>c</CONCLUSION>' };
    const record = { ...llava, conversations: [{ from: 'system', value: 'Be brief.' }, question, reply, { from: 'human', value: 'And 2020?' }, broken] };
    const line = JSON.stringify(record);
    const results = checkLine(line, everywhere).results;
    assert.ok(!results.some((result) => result.check === 'turns'), 'a later exchange is shown and checked: no warning');
    const grammar = results.filter((result) => result.check === 'stage-grammar');
    assert.equal(grammar.length, 1);
    assert.match(grammar[0].message, /^conversations\[4\]\.value: turn 1: /);
    assert.ok(grammar[0].range);
    assert.equal(JSON.parse(line.slice(...grammar[0].range)), broken.value);
  });

  it('says a turn of another role is not exported at all', () => {
    const record = { ...llava, conversations: [...llava.conversations, { from: 'tool', value: '42' }] };
    const [result] = check(record).filter((candidate) => candidate.check === 'turns');
    assert.match(result.message, /^conversations\[2\]: turn\(s\) 3 \(tool\) are outside the conversation: not shown, checked or exported$/);
  });

  it('says nothing of a record that is one exchange', () => {
    assert.ok(!checksOf(llava).includes('turns'));
  });
});
