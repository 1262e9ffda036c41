// Edits, detection and the sample view on the corpus's process-supervision and tree-search records
// (test/fixtures/real/, sources in its README): what the record repeats follows an edit, what it holds beside
// a step is offered, and what a search found is shown.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { Dataset } from '../../src/dataset';
import { checkLine, fileCheckContext } from '../../src/dataset/checks';
import { detectFormat, parseRecord } from '../../src/dataset/formats';
import { applyOperation, readRecordState } from '../../src/dataset/operations';
import type { JsonObject, ParsedRecord } from '../../src/dataset/record';
import { buildSample } from '../../src/editor/sample';
import type { Operation } from '../../src/protocol';
import { fixturesDir } from '../harness/fixtures';

const realDir = path.join(fixturesDir, 'real');
const context = { at: '2026-11-24T00:00:00.000Z', reflectionPhrase: 'I think I have made a mistake. Let me rethink it.' };

function corpusLines(name: string): string[] {
  return fs
    .readFileSync(path.join(realDir, name), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
}

function corpusRecords(name: string): JsonObject[] {
  return corpusLines(name).map((line) => JSON.parse(line) as JsonObject);
}

function parsed(record: JsonObject): ParsedRecord {
  const result = parseRecord(record);
  if ('error' in result) assert.fail(result.error);
  return result;
}

/** Runs operations one after another on a line, as the editor does. */
function run(lineText: string, ...operations: Operation[]): string {
  return operations.reduce((text, operation) => applyOperation(text, operation, context).text, lineText);
}

const everywhere = { imageProblem: () => null };

function linkedTextWarnings(lineText: string): string[] {
  return checkLine(lineText, everywhere)
    .results.filter((result) => result.check === 'linked-text')
    .map((result) => result.message);
}

interface VisualPrmLine {
  response: string;
  steps_with_score: { step: string; score: number }[];
  conversations?: { from: string; value: string }[];
}

const visualPrm = (text: string) => JSON.parse(text) as VisualPrmLine;
const joinedSteps = (record: VisualPrmLine) => record.steps_with_score.map((item) => item.step).join('\n\n');

describe('a VisualPRM step edit reaches the strings that repeat the step', () => {
  const [raw] = corpusLines('internvl-visualprm-raw-handwritten.jsonl');
  const [conversation] = corpusRecords('internvl-visualprm-conv-handwritten.jsonl');

  it('edit, reflection, accepted alternative and accepted proposal each rewrite the step in `response` too', () => {
    const edited = run(raw, { kind: 'editSegment', line: 1, segment: 1, text: 'm∠5 = 180° − 57° = 123° "exactly".' });
    assert.equal(
      visualPrm(edited).response,
      'Angle 4 and angle 5 are consecutive interior angles between the parallel lines a and b, so they sum to 180°.\n\nm∠5 = 180° − 57° = 123° "exactly".\n\nFinal answer: C',
    );
    const reflected = run(raw, { kind: 'insertReflection', line: 1, segment: 0, correction: 'They are corresponding angles.' });
    assert.equal(visualPrm(reflected).response, joinedSteps(visualPrm(reflected)));
    assert.match(
      visualPrm(reflected).response,
      /so they sum to 180°\.\n\nI think I have made a mistake\. Let me rethink it\.\n\n[\s\S]*They are corresponding angles\.\n\nm∠5/,
    );
    const accepted = run(
      raw,
      { kind: 'addAlternatives', line: 1, segment: 2, alternatives: [{ text: 'The answer is C.' }] },
      { kind: 'acceptAlternative', line: 1, segment: 2, alternative: 0 },
    );
    assert.ok(visualPrm(accepted).response.endsWith('\n\nThe answer is C.'));
    const proposal = run(raw, {
      kind: 'acceptReflectionProposal',
      line: 1,
      segment: 2,
      text: 'Final answer: B\n\nWait.\n\nFinal answer: C',
      wrong: 'Final answer: B',
      correction: 'Final answer: C',
    });
    assert.equal(visualPrm(proposal).response, joinedSteps(visualPrm(proposal)));
    // Apart from the steps, `response` and the annotations, the record is as it was.
    const rest = (text: string) =>
      JSON.stringify(JSON.parse(text, (key, value: unknown) => (key === 'step' || key === 'response' || key === 'cot_studio' ? undefined : value)));
    for (const line of [edited, reflected, accepted, proposal]) {
      assert.deepEqual(linkedTextWarnings(line), []);
      assert.equal(rest(line), rest(raw));
    }
  });

  it('rewrites the step where the joined steps put it, even when its text occurs twice', () => {
    const record = visualPrm(raw);
    record.steps_with_score[2].step = record.steps_with_score[1].step;
    record.response = joinedSteps(record);
    const { text } = applyOperation(JSON.stringify(record), { kind: 'editSegment', line: 1, segment: 2, text: 'Final answer: C' }, context);
    assert.equal(visualPrm(text).response, visualPrm(raw).response);
  });

  it('leaves a `response` that no longer holds the step alone, and the linked-text check says so', () => {
    const record = visualPrm(raw);
    record.response = record.response.replace('m∠5 = 180° - 57° = 123°.', 'm∠5 = 123°.');
    const lineText = JSON.stringify(record);
    assert.deepEqual(linkedTextWarnings(lineText), [
      'response: no longer matches its steps: it does not hold Step 2 as steps_with_score[1].step has it, so an edit of the step leaves it as it is',
    ]);
    const { text } = applyOperation(lineText, { kind: 'editSegment', line: 1, segment: 1, text: 'm∠5 = 123° (supplementary).' }, context);
    assert.equal(visualPrm(text).steps_with_score[1].step, 'm∠5 = 123° (supplementary).', 'the edit itself happens');
    assert.equal(visualPrm(text).response, record.response);
    assert.equal(linkedTextWarnings(raw).length, 0, 'the corpus record holds its steps');
  });

  it("VL-PRM300K's training conversation restates each step in its question turn: it follows too", () => {
    // The corpus's conversation is item2conv_prm of the corpus's raw record; VL-PRM300K keeps both in one record.
    const combined = JSON.stringify({ ...(JSON.parse(raw) as JsonObject), conversations: conversation.conversations });
    assert.equal(detectFormat(JSON.parse(combined) as JsonObject), 'visualprm');
    assert.deepEqual(linkedTextWarnings(combined), []);
    const first = run(combined, { kind: 'editSegment', line: 1, segment: 0, text: 'Angles 4 and 5 are co-interior, so they sum to 180°.' });
    const turns = visualPrm(first).conversations ?? [];
    assert.ok(turns[1].value.startsWith('### Question:\nIn the figure'), 'the question before the step stays');
    assert.ok(turns[1].value.endsWith('### Solution Process:\nAngles 4 and 5 are co-interior, so they sum to 180°.'));
    const second = run(first, { kind: 'editSegment', line: 1, segment: 1, text: 'm∠5 = 123°.' });
    assert.deepEqual((visualPrm(second).conversations ?? []).map((turn) => turn.value).slice(3), ['m∠5 = 123°.', '+', 'Final answer: C', '+']);
    assert.deepEqual(
      parsed(JSON.parse(second) as JsonObject).responses[0].segments.map((segment) => segment.sourceLabel?.rating),
      [1, 1, 1],
      'the + turns still label the steps',
    );
  });
});

describe("PRM800K's other completions of a step", () => {
  const [line] = corpusLines('prm800k-readme-example.jsonl');
  const original = JSON.parse(line) as {
    label: { steps: { completions: { text: string }[]; chosen_completion: number | null; human_completion: string | null }[] };
  };
  const third = original.label.steps[2].completions;

  it('are the source alternatives of the step, with their ratings; single-completion steps have none', () => {
    const { segments } = parsed(JSON.parse(line) as JsonObject).responses[0];
    assert.equal(segments[0].sourceAlternatives, undefined);
    assert.equal(segments[2].text, third[0].text, 'labelling stopped at the error: the pre-generated completion is the step');
    assert.deepEqual(
      segments[2].sourceAlternatives?.map((alternative) => [alternative.text, alternative.rating, alternative.origin, alternative.choose.value]),
      [
        [third[1].text, 0, 'PRM800K completion 1', 1],
        [third[2].text, -1, 'PRM800K completion 2', 2],
        [third[3].text, 0, 'PRM800K completion 3', 3],
        [third[4].text, 0, 'PRM800K completion 4', 4],
      ],
    );
  });

  it('accepting one chooses it in the record: no text is copied or lost, and the annotations record the choice', () => {
    const text = run(line, { kind: 'acceptAlternative', line: 1, segment: 2, alternative: 2 });
    const after = JSON.parse(text) as typeof original;
    assert.equal(after.label.steps[2].chosen_completion, 3);
    assert.deepEqual(
      after.label.steps.map((step) => step.completions),
      original.label.steps.map((step) => step.completions),
      'every completion as it was',
    );
    const { parsed: reread, annotations } = readRecordState(text);
    const step = reread.responses[0].segments[2];
    assert.equal(step.text, third[3].text);
    assert.deepEqual(
      step.sourceAlternatives?.map((alternative) => alternative.origin),
      ['PRM800K completion 0', 'PRM800K completion 1', 'PRM800K completion 2', 'PRM800K completion 4'],
    );
    assert.deepEqual(annotations.segments['2'], { rating: 0, alternatives: [] }, "the completion's own rating; the record keeps the replaced one");
    assert.equal(annotations.segments['3']?.stale, true, 'the pre-generated steps after it followed the other completion');
    assert.deepEqual(
      annotations.preferencePairs.map((pair) => [pair.position, pair.chosen, pair.rejected, pair.origin]),
      [[2, third[3].text, third[0].text, 'accepted-alternative']],
    );
    assert.equal(
      text.replace('"chosen_completion": 3', '"chosen_completion": null').replace(/,"cot_studio": .*$/, '}'),
      line,
      'only chosen_completion and the annotations changed',
    );
  });

  it("numbers the annotations' alternatives first, and a preference can name a source alternative", () => {
    const withOwn = run(line, { kind: 'addAlternatives', line: 1, segment: 2, alternatives: [{ text: 'Factor 200,000 first.' }] });
    const marked = run(withOwn, { kind: 'markPreference', line: 1, segment: 2, chosen: 1, rejected: 'current' });
    assert.deepEqual(
      readRecordState(marked).annotations.preferencePairs.map((pair) => [pair.chosen, pair.rejected]),
      [[third[1].text, third[0].text]],
    );
    const chosen = JSON.parse(run(withOwn, { kind: 'acceptAlternative', line: 1, segment: 2, alternative: 1 })) as typeof original;
    assert.equal(chosen.label.steps[2].chosen_completion, 1);
    const own = run(withOwn, { kind: 'acceptAlternative', line: 1, segment: 2, alternative: 0 });
    assert.equal(
      (JSON.parse(own) as typeof original).label.steps[2].completions[0].text,
      'Factor 200,000 first.',
      "an annotation's alternative is written over the step as before",
    );
    assert.throws(() => run(line, { kind: 'acceptAlternative', line: 1, segment: 2, alternative: 4 }), /Step 3 has no alternative 4 \(it has 4\)/);
  });

  it("a labeller's own step is an alternative once a completion is chosen, and choosing it again clears the choice", () => {
    const record = JSON.parse(line) as typeof original;
    record.label.steps[2].human_completion = 'I can write $200,\\!000 = 2^6\\cdot 5^5$.';
    const lineText = JSON.stringify(record);
    const { segments } = parsed(record as unknown as JsonObject).responses[0];
    assert.equal(segments[2].text, 'I can write $200,\\!000 = 2^6\\cdot 5^5$.');
    assert.equal(segments[2].sourceAlternatives?.length, 5, 'all five completions');
    const completion = run(lineText, { kind: 'acceptAlternative', line: 1, segment: 2, alternative: 1 });
    const human = parsed(JSON.parse(completion) as JsonObject).responses[0].segments[2].sourceAlternatives?.at(-1);
    assert.deepEqual([human?.origin, human?.choose.value], ['PRM800K human completion', null]);
    const back = run(completion, { kind: 'acceptAlternative', line: 1, segment: 2, alternative: 4 });
    assert.equal((JSON.parse(back) as typeof original).label.steps[2].chosen_completion, null);
    assert.equal(readRecordState(back).parsed.responses[0].segments[2].text, 'I can write $200,\\!000 = 2^6\\cdot 5^5$.');
  });
});

describe('the sample view of these records', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-real-edits-'));
  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  function samples(name: string, lines = corpusLines(name)) {
    const file = path.join(scratch, name);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const document = { dataset: Dataset.fromBytes(name, fs.readFileSync(file)), checkContext: () => fileCheckContext(file, []), imageRoots: () => [scratch] };
    return lines.map((_, index) => buildSample(document, index, (image) => `webview:${image}`));
  }

  it("lists PRM800K's other completions after the annotations' alternatives, as the record holds them", () => {
    const [line] = corpusLines('prm800k-readme-example.jsonl');
    const [sample] = samples('prm800k.jsonl', [run(line, { kind: 'addAlternatives', line: 1, segment: 2, alternatives: [{ text: 'Factor 200,000 first.' }] })]);
    const { alternatives } = sample.responses[0].segments[2];
    assert.deepEqual(
      alternatives.map((alternative) => [alternative.provenance.source, alternative.provenance.model ?? null, alternative.rating]),
      [
        ['human', null, null],
        ['original', 'PRM800K completion 1', 0],
        ['original', 'PRM800K completion 2', -1],
        ['original', 'PRM800K completion 3', 0],
        ['original', 'PRM800K completion 4', 0],
      ],
    );
    assert.deepEqual(sample.responses[0].segments[0].alternatives, []);
  });

  it("shows each CoMCTS path's value and the prefix the paths share", () => {
    const records = corpusRecords('mulberry-search-output.jsonl');
    const [first, second] = samples('mulberry-search-output.jsonl');
    assert.equal(first.prefixPrompt, records[0].prefix_prompt);
    assert.deepEqual(
      first.responses.map((response) => [response.model, response.correct, response.value]),
      [
        ['gpt-4o', true, 1.65],
        ['qwen2_vl_7b', false, 0.58],
        ['qwen2_vl_72b', false, 0.69],
        ['llama_vision_11b', false, 0.55],
      ],
    );
    assert.equal(second.prefixPrompt, undefined, 'an empty prefix_prompt (the search started from nothing) is not shown');
    assert.deepEqual(
      second.responses.map((response) => response.value),
      [1.49, 1.65, 1.05],
    );
  });
});

describe('detection of search inputs and prompt records', () => {
  it("reads Mulberry's CoMCTS inputs and outputs as mulberry-search", () => {
    for (const record of [...corpusRecords('mulberry-search-input.jsonl'), ...corpusRecords('mulberry-search-output.jsonl')]) {
      assert.equal(detectFormat(record), 'mulberry-search', JSON.stringify(record).slice(0, 80));
    }
    const inputs = corpusRecords('mulberry-search-input.jsonl').map(parsed);
    assert.deepEqual(
      inputs.map((record) => [record.groundTruth, record.responses.length]),
      [
        ['Answer:D', 0],
        ['Answer:A', 0],
        ['Answer:C', 0],
        ['Answer:D', 0],
      ],
    );
  });

  it('reads an MMPR prompt item (the input InternVL runs VisualPRM on) as mmpr-prompt', () => {
    const [raw] = corpusRecords('internvl-visualprm-raw-handwritten.jsonl');
    const { response: _, steps_with_score: __, ...item } = raw;
    assert.equal(detectFormat(item), 'mmpr-prompt');
    assert.deepEqual([parsed(item).question, parsed(item).groundTruth], [raw.question, 'C']);
  });

  it('reads a chat record that carries a `question` field as the chat it is', () => {
    const [llava] = corpusRecords('llava-cot-readme-demos.jsonl');
    const turns = llava.conversations as { value: string }[];
    assert.equal(detectFormat({ ...llava, question: turns[0].value }), 'llava-cot', 'its reply is a response, not a ground truth');
    const [input] = corpusRecords('mulberry-search-input.jsonl');
    const inputTurns = input.conversations as { from: string; value: string }[];
    const answered = { ...input, conversations: [inputTurns[0], { from: 'gpt', value: 'The diagonals of a kite are perpendicular, so Z Y = 8\\sqrt{10}.' }] };
    assert.equal(detectFormat(answered), 'sharegpt', 'a reply without an Answer: line is a response');
    assert.equal(parsed(answered).responses[0].text, 'The diagonals of a kite are perpendicular, so Z Y = 8\\sqrt{10}.');
    const longer = { ...input, conversations: [...inputTurns, { from: 'human', value: 'Why?' }, { from: 'gpt', value: 'Answer:D' }] };
    assert.equal(detectFormat(longer), 'sharegpt', 'a search input has exactly one question and its ground truth');
    assert.equal(
      detectFormat({ ...input, question: 'Which angle is largest?' }),
      'sharegpt',
      'a question its turn does not restate is not the search question',
    );
    assert.equal(detectFormat({ ...answered, evaluation: { is_correct: true } }), 'sharegpt', 'a verdict object holds no search path');
  });
});
