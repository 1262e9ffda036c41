/**
 * The checks accept what the authors' own code accepts, no less: records below quote the shapes their
 * repositories write (each names its source), and every segment-index feature keeps pointing at the same text.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { type CheckContext, checkLine } from '../../src/dataset/checks';
import { applyOperation, readRecordState } from '../../src/dataset/operations';
import type { JsonObject } from '../../src/dataset/record';
import { readExportInput } from '../../src/export';
import { ratedResponses } from '../../src/export/steps';
import { REWARDS } from '../../src/rewards/registry';
import { segmentCandidateText, segmentRequest } from '../../src/search/segmentPrompt';
import { runCli } from '../harness/cli';

const everywhere: CheckContext = { imageProblem: () => null };
const context = { at: '2026-11-24T00:00:00.000Z', reflectionPhrase: 'I think I have made a mistake. Let me rethink it.' };
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-author-grammar-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const chat = (reply: string, extra: JsonObject = {}): string =>
  JSON.stringify({
    messages: [
      { role: 'user', content: '<image>Q?' },
      { role: 'assistant', content: reply },
    ],
    images: ['a.png'],
    ...extra,
  });
const findings = (line: string) => checkLine(line, everywhere).results.map(({ check, severity, message }) => `${severity} ${check} ${message}`);
const segmentsOf = (line: string) => readRecordState(line).parsed.responses[0].segments.map((segment) => [segment.label, segment.text]);
const stepValidity = (output: string) => REWARDS['step-validity'].score({ output, groundTruth: null });

const DESCRIPTION = '### Image Description:\nTwo parallel lines a and b cut by a transversal; angle 4 is 57 degrees.\n\n';
const RATIONALES = '### Rationales:\nCorresponding angles of parallel lines are equal.\n\n';

describe('Mulberry sections as Mulberry and R1-VL read them', () => {
  // HJYao00/Mulberry@a49cab5 comcts/README.md (sample responses): `### Let's think step by step:` and text on the step line.
  const colon = `${DESCRIPTION}${RATIONALES}### Let's think step by step:\n### Step 1: Identify the type of angle that corresponds to angle 5.\n\n### Step 2: Corresponding angles are congruent, so angle 5 is 57 degrees.\n\n### The final answer is: A`;

  it("takes `### Let's think step by step:` and text on a step's header line as a section and steps", () => {
    assert.deepEqual(findings(chat(colon)), []);
    assert.equal(stepValidity(colon), 1, "R1-VL's validity reward passes it");
    assert.deepEqual(segmentsOf(chat(colon)), [
      ['Image Description', 'Two parallel lines a and b cut by a transversal; angle 4 is 57 degrees.'],
      ['Rationales', 'Corresponding angles of parallel lines are equal.'],
      ["Let's think step by step", ''],
      ['Step 1', 'Identify the type of angle that corresponds to angle 5.'],
      ['Step 2', 'Corresponding angles are congruent, so angle 5 is 57 degrees.'],
      ['Final answer', 'A'],
    ]);
    const bare = colon.replace('step by step:', 'step by step');
    assert.deepEqual(findings(chat(bare)), []);
  });

  it('takes the final answer on the header line, on the next line (reformat_reasoning), or after a doubled colon', () => {
    const steps = `${DESCRIPTION}${RATIONALES}### Let's think step by step.\n### Step 1:\nAngle 5 equals angle 4.\n\n`;
    // data_construction.py reformat_reasoning writes `### The final answer is:\n` and the answer below it.
    for (const final of ['### The final answer is: A: 57', '### The final answer is:\nA: 57', '### The final answer is:: 58°']) {
      assert.deepEqual(findings(chat(steps + final)), [], final);
      assert.equal(stepValidity(steps + final), 1, final);
    }
    // comcts.py reads the answer as `split('### The final answer is:')[-1]`, and so does the segment.
    assert.equal(segmentsOf(chat(`${steps}### The final answer is:: 58°`)).at(-1)?.[1], ': 58°');
  });

  it("still wants the step-by-step header, which Mulberry's check_data requires", () => {
    const without = `${DESCRIPTION}${RATIONALES}### Step 1:\nAngle 5 equals angle 4.\n\n### The final answer is: A`;
    assert.deepEqual(findings(chat(without)), [`error section-grammar messages[1].content: missing "### Let's think step by step." header`]);
  });

  it('moves ratings an earlier version keyed past a `:` header, once', () => {
    // Earlier versions read the `:` header line as part of the rationales: Step 1 was segment 2, Step 2 segment 3.
    const legacy = chat(colon, { cot_studio: { version: 1, segments: { '2': { rating: 1, alternatives: [] }, '3': { rating: -1, alternatives: [] } } } });
    const { annotations } = readRecordState(legacy);
    assert.deepEqual([annotations.segments['3']?.rating, annotations.segments['4']?.rating, annotations.segments['2']], [1, -1, undefined]);
    const reviewed = applyOperation(legacy, { kind: 'setReviewStatus', line: 1, status: 'accepted' }, context).text;
    const written = (JSON.parse(reviewed) as { cot_studio: JsonObject }).cot_studio;
    assert.equal(written.segmentation, 2);
    assert.deepEqual(Object.keys(written.segments as JsonObject), ['3', '4']);
    assert.deepEqual(readRecordState(reviewed).annotations.segments, annotations.segments, 'a stamped block is not moved again');
  });
});

describe('OpenVLThinker summary between </think> and <answer>', () => {
  // yihedeng9/OpenVLThinker@6997b47 train/easyr1/examples/reward_function/r1v.py: the `__main__` example output,
  // whose `accuracy_reward` takes 0.5 off a correct answer when `split("</think>")[-1].split("<answer>")[0]` is blank.
  const reply =
    '<think>\nThe Magenta bar goes up to 65 on the x-axis, and the Web Purple bar reaches 50. 65 minus 50 equals 15.\n</think>\n\n' +
    'The Magenta bar reaches 65 on the x-axis, while the Web Purple bar reaches 50. The difference is 65 − 50 = 15. \n\n<answer>15</answer>';
  const summary = 'The Magenta bar reaches 65 on the x-axis, while the Web Purple bar reaches 50. The difference is 65 − 50 = 15.';
  const line = chat(reply, { answer: '15' });

  it('is no finding, and is a segment between think and answer', () => {
    assert.deepEqual(findings(line), []);
    assert.deepEqual(
      readRecordState(line).parsed.responses[0].segments.map((segment) => [segment.kind, segment.text]),
      [
        ['think', '\nThe Magenta bar goes up to 65 on the x-axis, and the Web Purple bar reaches 50. 65 minus 50 equals 15.\n'],
        ['summary', summary],
        ['answer', '15'],
      ],
    );
    assert.equal(REWARDS.openvlthinker.score({ output: reply, groundTruth: '15' }), 1);
    const bare = '<think>65 - 50 = 15</think>\n<answer>15</answer>';
    assert.deepEqual(
      readRecordState(chat(bare)).parsed.responses[0].segments.map((segment) => segment.kind),
      ['think', 'answer'],
      'no summary: the indices of before',
    );
  });

  it('rates, edits, regenerates and exports the answer at its own index', () => {
    const ratings = [1, 0, 1] as const;
    const rated = ratings.reduce((text, rating, segment) => applyOperation(text, { kind: 'rateSegment', line: 1, segment, rating }, context).text, line);
    const state = readRecordState(rated);
    assert.deepEqual(
      [0, 1, 2].map((index) => state.annotations.segments[String(index)]?.rating),
      ratings,
    );
    const edited = applyOperation(rated, { kind: 'editSegment', line: 1, segment: 1, text: 'So 15.' }, context).text;
    assert.match(edited, /<\/think>\\n\\nSo 15. \\n\\n<answer>15<\/answer>/);
    assert.throws(() => applyOperation(rated, { kind: 'editSegment', line: 1, segment: 1, text: ' ' }, context), /a summary cannot be emptied/);

    const { request, boundary } = segmentRequest(state.parsed, { side: 'primary' }, 1);
    assert.ok('messages' in request.prompt && request.prompt.messages[1].content.endsWith('</think>\n\n'));
    assert.deepEqual(request.sampling?.stop, ['<answer>']);
    assert.deepEqual(
      segmentCandidateText({ text: 'The difference is 15.\n\n', finishReason: 'stop' } as Parameters<typeof segmentCandidateText>[0], boundary),
      { text: 'The difference is 15.' },
    );

    const input = readExportInput(rated, 1);
    assert.ok(!('refusal' in input));
    const steps = ratedResponses(input, { sources: ['human'], mcThreshold: 0 });
    assert.ok(!('refusal' in steps));
    assert.deepEqual(
      steps[0].steps.slice(1).map((step) => [step.text, step.rating]),
      [
        [summary, 0],
        ['15', 1],
      ],
    );
  });

  it('keeps ratings an earlier version gave, which did not count the summary', () => {
    // Earlier versions made think (0) and answer (1) segments of this reply and left the summary out.
    const legacy = chat(reply, {
      answer: '15',
      cot_studio: {
        version: 1,
        segments: { '1': { rating: -1, alternatives: [{ text: '16', rating: null, provenance: { source: 'original', createdAt: context.at } }] } },
        preferencePairs: [{ level: 'segment', position: 1, chosen: '15', rejected: '16', origin: 'manual', createdAt: context.at }],
        history: [{ at: context.at, operation: 'rate', segment: 1 }],
      },
    });
    const { annotations } = readRecordState(legacy);
    assert.equal(annotations.segments['2']?.rating, -1);
    assert.equal(annotations.segments['1'], undefined);
    assert.deepEqual([annotations.preferencePairs[0].position, annotations.history[0].segment], [2, 2]);
    const accepted = applyOperation(legacy, { kind: 'acceptAlternative', line: 1, segment: 2, alternative: 0 }, context).text;
    assert.match(accepted, /<answer>16<\/answer>/, "the answer's alternative replaces the answer");

    // A record without a summary keeps its block byte for byte: nothing moves, nothing is stamped.
    const plain = chat('<think>65 - 50 = 15</think><answer>15</answer>', { cot_studio: { version: 1, segments: { '1': { rating: 1, alternatives: [] } } } });
    assert.equal(readRecordState(plain).annotations.segments['1']?.rating, 1);
    assert.doesNotMatch(applyOperation(plain, { kind: 'setReviewStatus', line: 1, status: 'accepted' }, context).text, /segmentation/);
  });
});

describe('LLaVA-CoT stage names', () => {
  it('names a tag that is no stage', () => {
    // The four-stage reply of LLaVA-CoT's train.jsonl (PKU-YuanGroup/LLaVA-CoT), with CAPTION renamed.
    const reply =
      '<SUMMARY> I will count the shapes. </SUMMARY>\n\n<DESCRIPTION> Three circles and two squares. </DESCRIPTION>\n\n<REASONING> 3 + 2 = 5. </REASONING>\n\n<CONCLUSION> 5 </CONCLUSION>';
    const line = JSON.stringify({
      id: 'x',
      image: 'a.png',
      conversations: [
        { from: 'human', value: 'How many shapes?' },
        { from: 'gpt', value: reply },
      ],
    });
    assert.deepEqual(findings(line), [
      "error stage-grammar conversations[1].value: unknown stage <DESCRIPTION>; LLaVA-CoT's stages are SUMMARY, CAPTION, REASONING, CONCLUSION",
      'error stage-grammar conversations[1].value: <CAPTION> stage is missing',
    ]);
  });
});

describe('why a line is no record', () => {
  const unparseable = (line: string) => {
    const [result] = checkLine(line, everywhere).results;
    assert.equal(result.check, 'unparseable');
    return [result.message, result.range && line.slice(...result.range)];
  };

  it('names the common cause and its column', () => {
    assert.deepEqual(unparseable('{"a": 1,}'), ['not valid JSON: a trailing comma at column 8: JSON allows no comma before }', ',']);
    assert.deepEqual(unparseable('{"a": [1, 2,]}'), ['not valid JSON: a trailing comma at column 12: JSON allows no comma before ]', ',']);
    assert.deepEqual(unparseable("{'a': 1}"), ['not valid JSON: a single quote at column 2: JSON strings and keys take double quotes', "'"]);
    // Python's json.dumps writes NaN, Infinity and -Infinity unless allow_nan=False.
    for (const value of ['NaN', 'Infinity', '-Infinity']) {
      assert.deepEqual(unparseable(`{"score": ${value}}`), [
        `not valid JSON: ${value} at column 11: JSON has no NaN or Infinity (Python's json.dumps writes them unless allow_nan=False); write null or a string`,
        value,
      ]);
    }
    assert.match(
      unparseable('{"id": 1, "conversations": [')[0] ?? '',
      /^not valid JSON: the line ends at column 28 inside the record: a cut-off line, or a record spread over several lines/,
    );
    assert.deepEqual(unparseable('{"a": 1}{"b": 2}'), ['not valid JSON: text after the record at column 9: JSON Lines holds one record per line', '{"b": 2}']);
    assert.equal(
      unparseable('[{"a": 1}, {"b": 2}]')[0],
      'a record must be a JSON object, found an array of 2 objects: JSON Lines holds one record per line, not a list of them',
    );
    assert.equal(
      unparseable(JSON.stringify(JSON.stringify({ a: 1 })))[0],
      'a record must be a JSON object, found a string that holds a JSON object: the record was encoded twice (decode the string once more)',
    );
    assert.equal(unparseable('42')[0], 'a record must be a JSON object, found a number');
    assert.match(unparseable('{"a" 1}')[0] ?? '', /^not valid JSON: /, "another mistake keeps the parser's message");
  });

  it('places the column after a byte order mark, and validate prints it', async () => {
    assert.deepEqual(checkLine('\uFEFF{"a": 1,}', everywhere).results[0].range, [8, 9]);
    const file = path.join(scratch, 'comma.jsonl');
    fs.writeFileSync(file, `${JSON.stringify({ prompt: 'q', chosen: 'a', rejected: 'b' })}\n{"prompt": "q", "chosen": "a", "rejected": "b",}\n`);
    const { code, stdout } = await runCli('validate', file);
    assert.equal(code, 1);
    assert.match(stdout, /comma\.jsonl:2:47: error \[unparseable\] not valid JSON: a trailing comma at column 47: JSON allows no comma before \}/);
  });
});
