import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseRecord } from '../../src/dataset/formats';
import type { JsonObject, ParsedRecord } from '../../src/dataset/record';
import {
  answersMatch,
  extractAnswer,
  keyStepsJsonSchema,
  recordRewards,
  REWARDS,
  rewardCheckSchema,
  rewardChecks,
  RewardInputError,
  type RewardName,
  rewardNameSchema,
} from '../../src/rewards';
import { cosineTolerance } from '../../src/rewards/math';
import { datasetsDir } from '../harness/fixtures';

/** The records of a sample dataset, by 1-based line. */
function fixtureRecord(name: string, line: number): JsonObject {
  return JSON.parse(
    fs
      .readFileSync(path.join(datasetsDir, name), 'utf8')
      .replace(/^\uFEFF/, '')
      .split('\n')[line - 1],
  ) as JsonObject;
}

function parsed(record: JsonObject): ParsedRecord {
  const result = parseRecord(record);
  if ('error' in result) throw new Error(result.error);
  return result;
}

/** The response text of a sample record, read through its format adapter. */
function fixtureOutput(name: string, line: number): string {
  return parsed(fixtureRecord(name, line)).responses[0].text;
}

function score(name: RewardName, output: string, groundTruth: string | null = null, keySteps: string[][] | null = null): number {
  return REWARDS[name].score({ output, groundTruth, keySteps });
}

function assertClose(actual: number, expected: number, label = ''): void {
  assert.ok(Math.abs(actual - expected) < 1e-12, `${label}: expected ${expected}, got ${actual}`);
}

const thinkAnswer = (answer: string, think = 'reasoning') => `<think>${think}</think><answer>${answer}</answer>`;

describe('format-think-answer (Reason-RFT format reward, methods.md §5)', () => {
  it('scores the Reason-RFT samples: rft-004 has text after </answer>', () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((line) => score('format-think-answer', fixtureOutput('reason_rft.jsonl', line))),
      [1, 1, 1, 0],
    );
  });

  it('fails text between </think> and <answer> (OpenVLThinker line 1) and passes none (line 2)', () => {
    assert.equal(score('format-think-answer', fixtureOutput('openvlthinker.jsonl', 1)), 0);
    assert.equal(score('format-think-answer', fixtureOutput('openvlthinker.jsonl', 2)), 1);
  });

  const cases: [string, string, number][] = [
    ['empty output', '', 0],
    ['answer only', '<answer>4</answer>', 0],
    ['think only', '<think>4</think>', 0],
    ['answer before think', '<answer>4</answer><think>x</think>', 0],
    ['whitespace between the blocks', '<think>a</think>\n \n<answer>b</answer>', 1],
    ['dot matches newline', '<think>line 1\nline 2</think>\n<answer>\n4\n</answer>', 1],
    ['empty blocks', '<think></think><answer></answer>', 1],
    ['leading whitespace (the whole output must match)', '\n<think>a</think><answer>b</answer>', 0],
    ['trailing newline', '<think>a</think><answer>b</answer>\n', 0],
    ['nested think (the lazy pattern stretches)', '<think><think>a</think></think><answer>b</answer>', 1],
    ['duplicated answer (the lazy pattern stretches)', '<think>a</think><answer>1</answer><answer>2</answer>', 1],
    ['upper-case tags', '<THINK>a</THINK><ANSWER>b</ANSWER>', 0],
    ['unicode and LaTeX inside', '<think>数一数 ✅ $\\frac{1}{2}$</think><answer>九</answer>', 1],
  ];
  for (const [label, output, expected] of cases) {
    it(`${label} → ${expected}`, () => assert.equal(score('format-think-answer', output), expected));
  }
});

describe('extractAnswer', () => {
  const cases: [string, string, string, string][] = [
    ['<answer> contents', thinkAnswer('\n14.8\n'), '14.8', 'answer-tag'],
    ['the last of duplicated <answer> blocks', '<answer>1</answer><answer>2</answer>', '2', 'answer-tag'],
    ['the inner of nested <answer> tags', '<answer><answer>5</answer></answer>', '5', 'answer-tag'],
    ['an unclosed <answer>', '<think>x</think><answer> 7 ', '7', 'answer-tag'],
    ['<CONCLUSION> contents', '<REASONING> 6 + 4 </REASONING>\n\n<CONCLUSION> 10 cm </CONCLUSION>', '10 cm', 'conclusion'],
    ['an unclosed <CONCLUSION> (lc-0008)', fixtureOutput('llava_cot.jsonl', 8), '9', 'conclusion'],
    ['the Mulberry final-answer section', fixtureOutput('mulberry.jsonl', 1), 'B: 10', 'final-answer-section'],
    ['only the first line of the final-answer section', '### The final answer is:\n10\n\nBecause 6^2 + 8^2 = 100.', '10', 'final-answer-section'],
    ['the last ### section, answer on the header line', '### Step 1:\nfoo\n\n### Answer: 12', '12', 'last-section'],
    ['\\boxed{} with nested braces', 'so x = \\boxed{\\frac{1}{2}}.', '\\frac{1}{2}', 'boxed'],
    ['the last \\boxed{}', 'first \\boxed{3}, then \\boxed{\\text{4 cm}}', '\\text{4 cm}', 'boxed'],
    ['\\boxed{} inside <answer>', '<answer>\\boxed{5}</answer>', '5', 'boxed'],
    ['the MMPR Final answer: line', fixtureRecord('mmpr.jsonl', 1).rejected as string, '14', 'answer-phrase'],
    ['The answer is', 'Counting gives nine. The answer is B.', 'B.', 'answer-phrase'],
    ['a phrase that ends its line', 'The final answer is:\n\n42', '42', 'answer-phrase'],
    ['a phrase inside <CONCLUSION>', '<CONCLUSION> The answer is C. </CONCLUSION>', 'C.', 'answer-phrase'],
    ['plain text', '  just text  ', 'just text', 'none'],
    ['an empty output', '', '', 'none'],
  ];
  for (const [label, text, answer, marker] of cases) {
    it(label, () => assert.deepEqual(extractAnswer(text), { text: answer, marker }));
  }
});

describe('answersMatch (MPO answer checking, methods.md §2)', () => {
  const cases: [string, string, boolean][] = [
    // Multiple-choice letters.
    ['A.', 'A', true],
    ['(A)', 'A', true],
    ['**A**', 'A', true],
    ['Answer: b', 'B', true],
    ['option C', 'C', true],
    ['Option (D)', 'D', true],
    ['The answer is (B).', 'B', true],
    ['B: 10', 'B', true],
    ['B: 10', '10', true],
    ['A: 8', 'B', false],
    ['C', '2023', false],
    // Numbers, units and spellings.
    ['12 cm', '12', true],
    ['12cm', '12', true],
    ['48 square centimetres', '48', true],
    ['twelve', '12', true],
    ['twenty-one', '21', true],
    ['one hundred and five', '105', true],
    ['three red circles', '3', true],
    ['1,234', '1234', true],
    ['1,234,567.5', '1234567.5', true],
    ['45.50', '45.5', true],
    ['3/4', '0.75', true],
    ['\\frac{3}{4}', '0.75', true],
    ['$\\dfrac{1}{2}$', '1/2', true],
    ['1 1/2', '1.5', true],
    ['½', '0.5', true],
    ['50%', '0.5', true],
    ['50%', '50', true],
    ['50\\%', '50%', true],
    ['$21.50', '21.5', true],
    ['45^\\circ', '45', true],
    ['45°', '45', true],
    ['−3', '-3', true],
    ['１２', '12', true],
    ['x = 10', '10', true],
    ['0.3333', '1/3', true],
    ['100.05', '100', true],
    ['100.2', '100', false],
    ['2021', '2022', false],
    ['14.8', '15', false],
    ['12', '13', false],
    ['2 apples and 3 pears', '2', false],
    ['1/0', '0', false],
    // Text.
    ['The backpack.', 'Backpack', true],
    ['yes', 'Yes!', true],
    ['Backpack', 'Notebook', false],
    ['数一数', '数一数', true],
    ['', '', false],
    ['   ', 'x', false],
    // Extraction on both sides.
    [thinkAnswer(' 4 '), '4', true],
    ['so \\boxed{10}', '10', true],
    ['10', '<answer>10</answer>', true],
    [fixtureOutput('mulberry.jsonl', 1), 'B', true],
  ];
  for (const [output, truth, expected] of cases) {
    it(`${JSON.stringify(output.length > 40 ? `${output.slice(0, 40)}…` : output)} vs ${JSON.stringify(truth)} → ${expected}`, () =>
      assert.equal(answersMatch(output, truth), expected));
  }
});

describe('accuracy-discrete (Reason-RFT discrete accuracy, methods.md §5)', () => {
  it('scores sample responses against their known answers', () => {
    const cases: [string, number, string, number][] = [
      ['reason_rft.jsonl', 1, '4', 1],
      ['reason_rft.jsonl', 3, '15', 0],
      ['llava_cot.jsonl', 2, '9', 0],
      ['llava_cot.jsonl', 4, 'C', 1],
      ['llava_cot.jsonl', 5, '10', 1],
      ['llava_cot.jsonl', 9, '21.5', 1],
      ['mulberry.jsonl', 2, '24', 0],
      ['mulberry.jsonl', 5, '45.5', 1],
      ['openvlthinker.jsonl', 1, '14', 1],
    ];
    for (const [file, line, truth, expected] of cases) assert.equal(score('accuracy-discrete', fixtureOutput(file, line), truth), expected, `${file}:${line}`);
    const pair = fixtureRecord('mmpr.jsonl', 1);
    assert.equal(score('accuracy-discrete', pair.chosen as string, '10'), 1);
    assert.equal(score('accuracy-discrete', pair.rejected as string, '10'), 0);
  });

  it('scores an empty output and missing tags', () => {
    assert.equal(score('accuracy-discrete', '', '4'), 0);
    assert.equal(score('accuracy-discrete', '4', '4'), 1);
    assert.equal(score('accuracy-discrete', '<think>4</think>', '4'), 0);
  });
});

describe('accuracy-math-cosine (Reason-RFT, methods.md §5)', () => {
  it('gives the worked example: gt 100, pred 110 → 0.75, 104 → 1, 121 → 0', () => {
    assertClose(score('accuracy-math-cosine', thinkAnswer('110'), '100'), 0.75, '110');
    assert.equal(score('accuracy-math-cosine', thinkAnswer('104'), '100'), 1);
    assert.equal(score('accuracy-math-cosine', thinkAnswer('121'), '100'), 0);
  });

  it('follows the piecewise formula and is continuous at e1 and e2', () => {
    const formula = (d: number, g: number) => 0.5 * (1 + Math.cos((Math.PI * (d - 0.05 * g)) / (0.15 * g)));
    const cases: [number, number, number][] = [
      [105, 100, 1],
      [112.5, 100, 0.5],
      [108, 100, formula(8, 100)],
      [120, 100, 0],
      [95, 100, 1],
      [90, 100, 0.75],
      [80, 100, 0],
      [-110, -100, 0.75],
      [110, -100, 0],
    ];
    for (const [predicted, truth, expected] of cases) assertClose(cosineTolerance(predicted, truth), expected, `${predicted} vs ${truth}`);
    assertClose(formula(8, 100), 0.5 * (1 + Math.cos(0.2 * Math.PI)), 'formula');
  });

  it('defines g = 0: only an exact 0 scores', () => {
    assert.equal(cosineTolerance(0, 0), 1);
    assert.equal(cosineTolerance(0.001, 0), 0);
    assert.equal(score('accuracy-math-cosine', thinkAnswer('0'), '0'), 1);
    assert.equal(score('accuracy-math-cosine', thinkAnswer('-1'), '0'), 0);
  });

  it('gives rft-003 (14.8 for 15, 1.3% off) full credit, as the samples README says', () => {
    assert.equal(score('accuracy-math-cosine', fixtureOutput('reason_rft.jsonl', 3), '15'), 1);
  });

  it('reads units, \\boxed{} and percentages before the formula', () => {
    assertClose(score('accuracy-math-cosine', thinkAnswer('110 cm'), '100'), 0.75);
    assertClose(score('accuracy-math-cosine', 'so \\boxed{110}', '100'), 0.75);
    assertClose(score('accuracy-math-cosine', thinkAnswer('1,100'), '1000'), 0.75);
    // 55% read as 0.55 against 0.5 is 10% off: the better of 55 and 0.55.
    assertClose(score('accuracy-math-cosine', thinkAnswer('55%'), '0.5'), 0.75);
  });

  it('falls back to exact match for non-numeric answers', () => {
    assert.equal(score('accuracy-math-cosine', thinkAnswer('Red'), 'red'), 1);
    assert.equal(score('accuracy-math-cosine', thinkAnswer('blue'), 'red'), 0);
    assert.equal(score('accuracy-math-cosine', thinkAnswer('(B)'), 'B'), 1);
    assert.equal(score('accuracy-math-cosine', thinkAnswer('many'), '100'), 0);
    assert.equal(score('accuracy-math-cosine', '', '100'), 0);
  });
});

describe('accuracy-function (Reason-RFT function-list partial credit, methods.md §5)', () => {
  const truth = 'change_color(0, red), change_shape(1, cube)';
  const cases: [string, string, number][] = [
    ['the same items', 'change_color(0, red), change_shape(1, cube)', 1],
    ['the same items in another order', 'change_shape(1, cube), change_color(0, red)', 1],
    ['quoted values', "change_color(0, 'red'), change_shape(1, 'cube')", 1],
    ['one exact, one same func+obj', 'change_color(0, red), change_shape(1, sphere)', 0.75],
    ['one exact, one same func+value', 'change_color(0, red), change_shape(2, cube)', 0.75],
    ['one exact, one same func only', 'change_color(0, red), change_shape(2, sphere)', 0.625],
    ['one exact, one unrelated', 'change_color(0, red), change_size(1, large)', 0.5],
    ['a repeated item: weight (1/2) / max(1, 2)', 'change_color(0, red), change_color(0, red)', 0.25],
    ['an extra item: weight 1/3', 'change_color(0, red), change_shape(1, cube), change_size(2, small)', 2 / 3],
    ['a missing item: weight 1/2', 'change_color(0, red)', 0.5],
    ['no items', 'I do not know', 0],
    ['an empty output', '', 0],
  ];
  for (const [label, answer, expected] of cases) {
    it(`${label} → ${expected}`, () => assertClose(score('accuracy-function', thinkAnswer(answer), truth), expected, label));
  }

  it('takes the items from the answer, not the reasoning, and reads Unicode names', () => {
    assert.equal(score('accuracy-function', thinkAnswer('change_color(0, red)', 'change_color(0, blue)?'), 'change_color(0, red)'), 1);
    assert.equal(score('accuracy-function', thinkAnswer('färbe(0, rot)'), 'färbe(0, rot)'), 1);
  });

  it('matches each ground-truth item once, best tier first', () => {
    // f(0, b) takes f(0, a) as same func+obj; f(1, a) then finds no free item with its func.
    assertClose(score('accuracy-function', thinkAnswer('f(1, a), f(0, b)'), 'f(0, a)'), 0.25);
    assertClose(score('accuracy-function', thinkAnswer('f(0, a), f(0, a), f(1, b)'), 'f(0, a), f(1, b)'), (2 / 3) * (1 / 2) * 2);
    assert.equal(score('accuracy-function', thinkAnswer('f(0, a)'), 'no items'), 0);
  });
});

const MULBERRY_VALID = '### Image Description:\nd\n\n### Rationales:\nr\n\n### Step 1:\ns1\n\n### Step 2:\ns2\n\n### The final answer is:\n9';

describe('step-validity (R1-VL StepRVR, methods.md §4)', () => {
  it('scores the Mulberry samples: line 3 repeats step 1 (a reflection), line 6 numbers steps 1, 3', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((line) => score('step-validity', fixtureOutput('mulberry.jsonl', line))),
      [1, 1, 0, 1, 1, 0],
    );
  });

  const cases: [string, string, number][] = [
    ['all sections, steps 1..2, no "Let\'s think step by step." (not required)', MULBERRY_VALID, 1],
    ['no image description', MULBERRY_VALID.replace('### Image Description:', '### Description:'), 0],
    ['no rationales', MULBERRY_VALID.replace('### Rationales:', ''), 0],
    ['no step 1', MULBERRY_VALID.replace('### Step 1:', '### Step one:'), 0],
    ['steps 0, 1', MULBERRY_VALID.replace('### Step 1:', '### Step 0:').replace('### Step 2:', '### Step 1:'), 0],
    ['no final answer', MULBERRY_VALID.replace('### The final answer is:', '### Final answer:'), 0],
    [
      'the final answer before the last step',
      MULBERRY_VALID.replace('### Step 2:\ns2\n\n### The final answer is:\n9', '### The final answer is:\n9\n\n### Step 2:\ns2'),
      0,
    ],
    ['steps 1, 3', MULBERRY_VALID.replace('### Step 2:', '### Step 3:'), 0],
    ['steps 1, 1, 2', MULBERRY_VALID.replace('### Step 2:', '### Step 1:\nagain\n\n### Step 2:'), 0],
    ['steps 1, 2, 2', MULBERRY_VALID.replace('### The final answer is:', '### Step 2:\nagain\n\n### The final answer is:'), 0],
    ['ending with the final-answer header (empty answer)', MULBERRY_VALID.replace(/\n9$/, '\n  \n'), 1],
    [
      'ending with the header exempts the order check',
      '### Image Description: d ### Rationales: r ### The final answer is: 1 ### Step 1: s ### The final answer is:',
      1,
    ],
    ['headers inside lines count', 'x ### Image Description: d ### Rationales: r ### Step 1: s ### The final answer is: 9', 1],
    ['an empty output', '', 0],
  ];
  for (const [label, output, expected] of cases) {
    it(`${label} → ${expected}`, () => assert.equal(score('step-validity', output), expected));
  }
});

describe('step-accuracy (R1-VL StepRAR, methods.md §4)', () => {
  const keySteps = (line: number) => parsed(fixtureRecord('r1vl.jsonl', line)).keySteps ?? [];

  it('scores the R1-VL key steps against the matching Mulberry reasoning', () => {
    // Find x: "6^2 + 8^2", "100", and "sqrt(100)" (the alternative "x = 10" is not written) all match.
    assertClose(score('step-accuracy', fixtureOutput('mulberry.jsonl', 1), '10', keySteps(1)), 1.1);
    assertClose(score('step-accuracy', fixtureOutput('mulberry.jsonl', 5), '45.5', keySteps(2)), 1.1);
    // "three red circles" stands only in the image description, which is not searched.
    assertClose(score('step-accuracy', fixtureOutput('mulberry.jsonl', 3), '9', keySteps(3)), 1);
  });

  it('adds 0.1 × matched / |Steps| to acc', () => {
    const output = fixtureOutput('mulberry.jsonl', 2);
    assertClose(score('step-accuracy', output, '24', [['6 * 8 / 2', '24'], ['48']]), 0.05);
    assertClose(score('step-accuracy', output, '24', [['6 * 8 / 2'], ['half'], ['12']]), 0);
    assertClose(score('step-accuracy', output, '48', [['AREA = 6 * 8'], ['half'], ['centimetres']]), 1 + 0.1 * (2 / 3));
    assertClose(score('step-accuracy', output, '48', []), 1);
  });

  it('ends a step body at the next ### line', () => {
    const output = '### Step 1:\nfoo\n### Note\nbar\n### The final answer is:\n1';
    assertClose(score('step-accuracy', output, '1', [['foo'], ['bar']]), 1.05);
  });
});

describe('openvlthinker (OpenVLThinker correctness, methods.md §6)', () => {
  const cases: [string, string, string, number][] = [
    ['text between </think> and <answer> (line 1)', fixtureOutput('openvlthinker.jsonl', 1), '14', 1],
    ['nothing between them (line 2): 1 - 0.5', fixtureOutput('openvlthinker.jsonl', 2), '2022', 0.5],
    ['a wrong answer with nothing between them', fixtureOutput('openvlthinker.jsonl', 2), '2021', 0],
    ['a wrong answer with a bridge', fixtureOutput('openvlthinker.jsonl', 1), '15', 0],
    ['only whitespace between them', '<think>a</think>\n  \n<answer>5</answer>', '5', 0.5],
    ['the gap after the last </think>', '<think>a</think>b</think><answer>5</answer>', '5', 0.5],
    ['no think block', 'So: <answer>5</answer>', '5', 1],
    ['an empty output', '', '5', 0],
  ];
  for (const [label, output, truth, expected] of cases) {
    it(`${label} → ${expected}`, () => assert.equal(score('openvlthinker', output, truth), expected));
  }
});

describe('stage-completeness (LLaVA-CoT stages, methods.md §1)', () => {
  it('scores the LLaVA-CoT samples: lc-0008 has no </CONCLUSION>, lc-0010 no CAPTION', () => {
    assert.deepEqual(
      Array.from({ length: 10 }, (_, index) => score('stage-completeness', fixtureOutput('llava_cot.jsonl', index + 1))),
      [1, 1, 1, 1, 1, 1, 1, 0.75, 1, 0.75],
    );
    assert.equal(score('stage-completeness', fixtureOutput('edge_cases.jsonl', 2)), 1);
  });

  const full = '<SUMMARY> s </SUMMARY>\n\n<CAPTION> c </CAPTION>\n\n<REASONING> r </REASONING>\n\n<CONCLUSION> 9 </CONCLUSION>';
  const cases: [string, string, number][] = [
    ['all four stages', full, 1],
    ['an empty output', '', 0],
    ['no tags', 'The answer is 9.', 0],
    ['lower-case tags', full.toLowerCase(), 0],
    ['a repeated stage', full.replace('<CONCLUSION>', '<REASONING> r2 </REASONING>\n\n<CONCLUSION>'), 0.75],
    ['CAPTION before SUMMARY', '<CAPTION> c </CAPTION><SUMMARY> s </SUMMARY><REASONING> r </REASONING><CONCLUSION> 9 </CONCLUSION>', 0.75],
    ['an empty stage', full.replace('<SUMMARY> s </SUMMARY>', '<SUMMARY> \n </SUMMARY>'), 0.75],
    ['a stage inside another', full.replace('<SUMMARY> s </SUMMARY>\n\n<CAPTION> c </CAPTION>', '<SUMMARY> s <CAPTION> c </CAPTION> </SUMMARY>'), 0.75],
    ['unicode bodies and text after the stages', full.replace(' s ', ' 数一数 ').concat(' ✅'), 1],
  ];
  for (const [label, output, expected] of cases) {
    it(`${label} → ${expected}`, () => assert.equal(score('stage-completeness', output), expected));
  }
});

describe('REWARDS', () => {
  it('holds every CLI name with its inputs', () => {
    assert.deepEqual(Object.keys(REWARDS), rewardNameSchema.options);
    assert.deepEqual(Object.fromEntries(rewardNameSchema.options.map((name) => [name, REWARDS[name].needs])), {
      'format-think-answer': [],
      'accuracy-discrete': ['groundTruth'],
      'accuracy-math-cosine': ['groundTruth'],
      'accuracy-function': ['groundTruth'],
      'step-validity': [],
      'step-accuracy': ['groundTruth', 'keySteps'],
      openvlthinker: ['groundTruth'],
      'stage-completeness': [],
    });
  });

  it('refuses an input without what the reward reads, naming the field', () => {
    assert.throws(
      () => score('accuracy-discrete', '4'),
      (error: unknown) => error instanceof RewardInputError && /^groundTruth: /.test(error.message),
    );
    assert.throws(
      () => score('step-accuracy', '4', '4'),
      (error: unknown) => error instanceof RewardInputError && /^keySteps: /.test(error.message),
    );
  });

  it("reads R1-VL's key_steps as written", () => {
    assert.deepEqual(keyStepsJsonSchema.parse({ Steps: ['100', ['x = 10', 'sqrt(100)']] }), [['100'], ['x = 10', 'sqrt(100)']]);
    assert.deepEqual(keyStepsJsonSchema.parse(['a']), [['a']]);
    assert.equal(keyStepsJsonSchema.safeParse({ Steps: 3 }).success, false);
    assert.equal(keyStepsJsonSchema.safeParse([[]]).success, false);
  });
});

describe('recordRewards and rewardChecks', () => {
  const withTruth = (record: JsonObject, key: string, truth: string): ParsedRecord => parsed({ ...record, [key]: truth });

  it('scores a think/answer record with the format, OpenVLThinker and accuracy rewards', () => {
    const record = withTruth(fixtureRecord('reason_rft.jsonl', 4), 'solution', '7.5');
    assert.deepEqual(recordRewards(record), { 'format-think-answer': 0, 'accuracy-discrete': 1, 'accuracy-math-cosine': 1, openvlthinker: 0.5 });
    const checks = rewardChecks(record);
    for (const check of checks) rewardCheckSchema.parse(check);
    assert.deepEqual(
      checks.map(({ reward, value }) => [reward, value]),
      [
        ['format-think-answer', 0],
        ['openvlthinker', 0.5],
      ],
    );
    assert.equal(checks[0].message, 'format-think-answer is 0 (passing: 1): the output is not <think>…</think> then <answer>…</answer> and nothing else');
  });

  it('scores a LLaVA-CoT record with stage completeness and names the answers when accuracy fails', () => {
    const record = withTruth(fixtureRecord('llava_cot.jsonl', 2), 'answer', '9');
    assert.deepEqual(recordRewards(record), { 'accuracy-discrete': 0, 'accuracy-math-cosine': 0, 'stage-completeness': 1 });
    assert.deepEqual(
      rewardChecks(record).map((check) => check.message),
      [
        'accuracy-discrete is 0 (passing: 1): the final answer does not match the ground truth; answer "7", ground truth "9"',
        'accuracy-math-cosine is 0 (passing: 1): the numeric answer is 5% or more off the ground truth; answer "7", ground truth "9"',
      ],
    );
  });

  it('scores only the rewards without a ground truth when a record has none', () => {
    const record = parsed(fixtureRecord('llava_cot.jsonl', 8));
    assert.deepEqual(recordRewards(record), { 'stage-completeness': 0.75 });
    assert.deepEqual(
      rewardChecks(record).map(({ reward, value }) => [reward, value]),
      [['stage-completeness', 0.75]],
    );
    assert.deepEqual(recordRewards(parsed(fixtureRecord('mulberry.jsonl', 6))), { 'step-validity': 0 });
  });

  it('adds StepRAR when a Mulberry response comes with key steps, and function credit for a function-list truth', () => {
    const mulberry = withTruth(fixtureRecord('mulberry.jsonl', 1), 'solution', '10');
    const keySteps = parsed(fixtureRecord('r1vl.jsonl', 1)).keySteps;
    const rewards = recordRewards({ ...mulberry, keySteps });
    assert.deepEqual(Object.keys(rewards ?? {}), ['accuracy-discrete', 'accuracy-math-cosine', 'step-validity', 'step-accuracy']);
    assertClose(rewards?.['step-accuracy'] ?? 0, 1.1);
    // A chat record carrying R1-VL's key_steps itself gets them read, and StepRAR with them.
    const carried = { ...fixtureRecord('mulberry.jsonl', 1), solution: '10', key_steps: fixtureRecord('r1vl.jsonl', 1).key_steps };
    assert.deepEqual(parsed(carried).keySteps, keySteps);
    assertClose(recordRewards(parsed(carried))?.['step-accuracy'] ?? 0, 1.1);
    const transform = withTruth(
      {
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: thinkAnswer('change_color(0, red)') },
        ],
      },
      'solution',
      'change_color(0, red)',
    );
    assert.deepEqual(recordRewards(transform), { 'format-think-answer': 1, 'accuracy-discrete': 1, 'accuracy-function': 1, openvlthinker: 0.5 });
  });

  it('scores the chosen side of a preference pair and nothing for a record without a response', () => {
    assert.deepEqual(recordRewards(withTruth(fixtureRecord('mmpr.jsonl', 1), 'answer_gt', '10')), { 'accuracy-discrete': 1, 'accuracy-math-cosine': 1 });
    const problem = parsed(fixtureRecord('r1vl.jsonl', 1));
    assert.equal(recordRewards(problem), null);
    assert.deepEqual(rewardChecks(problem), []);
  });
});
