/**
 * Records as the published datasets and pipelines write them, each fixture citing where its shape comes from;
 * read through detection, parsing, the checks, `validate`/`stats` and an export of the built CLI.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { detectFormat, parseRecord } from '../../src/dataset/formats';
import type { JsonObject, ParsedRecord } from '../../src/dataset/record';
import { summarizeLine } from '../../src/dataset/recordSummary';
import { datasetStatsSchema } from '../../src/dataset/validate';
import { runCli } from '../harness/cli';
import { datasetsDir } from '../harness/fixtures';
import { scratchFolder } from '../harness/scratch';

function parsed(record: JsonObject): ParsedRecord {
  const result = parseRecord(record);
  if ('error' in result) assert.fail(result.error);
  return result;
}

function ratings(record: ParsedRecord, response = 0): (number | null)[] {
  return record.responses[response].segments.map((segment) => segment.sourceLabel?.rating ?? null);
}

/** A dataset folder holding `records` (made for the folder they will be in) as FILE and the sample images the records name. */
function datasetFile(name: string, records: JsonObject[] | ((dir: string) => JsonObject[])): string {
  const dir = scratchFolder('cot-studio-sources-');
  fs.cpSync(path.join(datasetsDir, 'images'), path.join(dir, 'images'), { recursive: true });
  const file = path.join(dir, name);
  const lines = typeof records === 'function' ? records(dir) : records;
  fs.writeFileSync(file, `${lines.map((record) => JSON.stringify(record)).join('\n')}\n`);
  return file;
}

async function stats(file: string): Promise<ReturnType<typeof datasetStatsSchema.parse>> {
  const { code, stdout, stderr } = await runCli('stats', file, '--json');
  assert.equal(code, 0, stderr + stdout);
  return datasetStatsSchema.parse(JSON.parse(stdout));
}

async function exported(file: string, format: string): Promise<{ code: number; lines: JsonObject[]; stdout: string; stderr: string }> {
  const output = path.join(path.dirname(file), `${format}.out.jsonl`);
  const { code, stdout, stderr } = await runCli('export', file, '--format', format, '-o', output);
  const lines = fs.existsSync(output)
    ? fs
        .readFileSync(output, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as JsonObject)
    : [];
  return { code, lines, stdout, stderr };
}

// Process-supervision data.

/**
 * VisualPRM400K: InternVL's internvl_chat/tools/reasoning_data_pipeline/visualprm_data_pieline.py (commit
 * 637c8258a15573a8d5851df53760fccd316d25e1) writes the prompt item with `response`, `steps_with_score` items
 * `{step, score, num_mc_correct, num_mc_total}` (the response split on blank lines), `question_orig` and
 * `num_mc_sequences`; an early-stopped rollout fills later steps with score 0 of 0 rollouts.
 */
const VISUALPRM: JsonObject = {
  image: 'images/triangle.png',
  question: '<image>\nFind x.',
  answer: '10',
  response: 'The triangle is right-angled at B.\n\nx = 6 + 8 = 14.\n\nFinal answer: 14',
  steps_with_score: [
    { step: 'The triangle is right-angled at B.', score: 0.125, num_mc_correct: 2, num_mc_total: 16 },
    { step: 'x = 6 + 8 = 14.', score: 0.0, num_mc_correct: 0, num_mc_total: 16 },
    { step: 'Final answer: 14', score: 0.0, num_mc_correct: 0, num_mc_total: 0 },
  ],
  question_orig: 'Find x.',
  num_mc_sequences: 16,
};

/**
 * VL-PRM300K: its item2conv_prm conversion (the `rollout_*` items of its pipeline) writes `id`, `image_url`,
 * the PRM training conversation (system, then each step as a human turn answered `+` or `-`, `-` from the
 * first step at or below the threshold on), `first_incorrect_step` as [section, index within the section]
 * and `steps_with_score`.
 */
const VL_PRM: JsonObject = {
  id: '6f1c2a9e',
  image_url: 'images/triangle.png',
  conversations: [
    { from: 'system', value: 'You are a process supervision model for visual reasoning tasks.' },
    {
      from: 'human',
      value: '### Question:\n<image>\nFind x.\n\n### Solution Process:\n[Visual Elements]\n<step_1>\nThe triangle is right-angled at B.\n</step_1>',
    },
    { from: 'gpt', value: '+' },
    { from: 'human', value: '[Reasoning]\n<step_1>\nx = 6 + 8 = 14.\n</step_1>' },
    { from: 'gpt', value: '-' },
  ],
  first_incorrect_step: ['Reasoning', 0],
  steps_with_score: [
    { step: 'The triangle is right-angled at B.', score: 0.5, num_mc_correct: 8, num_mc_total: 16 },
    { step: 'x = 6 + 8 = 14.', score: 0.0625, num_mc_correct: 1, num_mc_total: 16 },
  ],
};

/**
 * VisualProcessBench (huggingface.co/datasets/OpenGVLab/VisualProcessBench README, commit e6f3f46): `image`
 * (a list), `question`, `answer`, `response: {steps, process_correctness}` with 1, 0, -1 per step,
 * `policy_model`, `data_source`.
 */
const VISUAL_PROCESS_BENCH: JsonObject = {
  image: ['images/triangle.png'],
  question: 'Find x.',
  answer: '10',
  response: { steps: ['The triangle is right-angled at B.', 'x = 6 + 8 = 14.', 'The answer is 14.'], process_correctness: [1, -1, 0] },
  policy_model: 'InternVL2_5-8B',
  data_source: 'MathVerse',
};

/**
 * PRM800K: the annotated line of openai/prm800k README.md (commit 00811d6de065642a6967b9017d4cee59550c0ef4),
 * shortened: phase 2 pre-generated steps, labelling stopped at the third step (`found_error`, no completion
 * chosen, alternatives rated after the mistake).
 */
const PRM800K: JsonObject = {
  labeler: '340d89bc-f5b7-45e9-b272-909ba68ee363',
  timestamp: '2023-01-22T04:34:27.052924',
  generation: 9,
  is_quality_control_question: false,
  is_initial_screening_question: false,
  question: {
    problem: 'What is the greatest common factor of $20 !$ and $200,\\!000$?',
    ground_truth_solution: 'So the greatest common factor is $2^6 \\cdot 5^4=\\boxed{40,\\!000}$.',
    ground_truth_answer: '40,\\!000',
    pre_generated_steps: [
      'I want to find the largest positive integer that divides both $20 !$ and $200,\\!000$ evenly.',
      'One way to do this is to factor both numbers into prime factors and look for the common ones.',
      'I know that $200,\\!000 = 2^5\\cdot 10^4 = 2^9\\cdot 5^4$.',
      'So, the greatest common factor is $2^9\\cdot 5^4 = 320,\\!000$.\n\n# Answer\n\n320,000',
    ],
    pre_generated_answer: '320,000',
    pre_generated_verifier_score: 0.010779580529581414,
  },
  label: {
    steps: [
      {
        completions: [{ text: 'I want to find the largest positive integer that divides both $20 !$ and $200,\\!000$ evenly.', rating: 0, flagged: null }],
        human_completion: null,
        chosen_completion: 0,
      },
      {
        completions: [{ text: 'One way to do this is to factor both numbers into prime factors and look for the common ones.', rating: 1, flagged: null }],
        human_completion: null,
        chosen_completion: 0,
      },
      {
        completions: [
          { text: 'I know that $200,\\!000 = 2^5\\cdot 10^4 = 2^9\\cdot 5^4$.', rating: -1, flagged: null },
          { text: 'I can use a factor tree to find the prime factors of $200,\\!000$.', rating: 0, flagged: false },
        ],
        human_completion: null,
        chosen_completion: null,
      },
    ],
    total_time: 278270,
    finish_reason: 'found_error',
  },
};

/** PRM800K phase 1: a labeller's own step where every completion was wrong. */
const PRM800K_HUMAN_STEP: JsonObject = {
  question: { problem: 'Compute $1+1$.', ground_truth_answer: '2' },
  label: {
    steps: [{ completions: [{ text: '1+1=3', rating: -1, flagged: false }], human_completion: '1+1=2', chosen_completion: null }],
    finish_reason: 'solution',
  },
};

describe('process-supervision formats', () => {
  it('reads VisualPRM400K steps with their Monte Carlo scores, labelled as InternVL labels them (score above 0)', () => {
    assert.equal(detectFormat(VISUALPRM), 'visualprm');
    const record = parsed(VISUALPRM);
    assert.equal(record.question, '<image>\nFind x.');
    assert.equal(record.groundTruth, '10');
    assert.deepEqual(record.images, ['images/triangle.png']);
    const [response] = record.responses;
    assert.deepEqual(
      response.segments.map((segment) => [segment.label, segment.text, segment.path]),
      [
        ['Step 1', 'The triangle is right-angled at B.', ['steps_with_score', 0, 'step']],
        ['Step 2', 'x = 6 + 8 = 14.', ['steps_with_score', 1, 'step']],
        ['Step 3', 'Final answer: 14', ['steps_with_score', 2, 'step']],
      ],
    );
    assert.equal(response.text, VISUALPRM.response, 'the steps joined by blank lines are the response');
    assert.deepEqual(ratings(record), [1, -1, -1]);
    assert.deepEqual(response.segments[0].sourceLabel, { rating: 1, score: 0.125, rollouts: { correct: 2, total: 16 } });
  });

  it("reads VL-PRM300K's labels from its conversation and marks its first error's kind", () => {
    assert.equal(detectFormat(VL_PRM), 'visualprm', 'steps_with_score outranks the conversation it also holds');
    const record = parsed(VL_PRM);
    assert.equal(record.question, '<image>\nFind x.');
    assert.deepEqual(record.images, ['images/triangle.png']);
    assert.deepEqual(ratings(record), [1, -1], 'the + / - replies, although the second score is above 0');
    assert.equal(record.responses[0].segments[1].sourceLabel?.firstError, 'Reasoning');
    assert.equal(record.responses[0].segments[0].sourceLabel?.firstError, undefined);
  });

  it("reads VisualPRM's training conversation on its own: the human turns are the steps, the + / - turns their labels", () => {
    const { steps_with_score: _, first_incorrect_step: __, ...conversation } = VL_PRM;
    assert.equal(detectFormat(conversation), 'visualprm');
    const record = parsed(conversation);
    assert.equal(record.question, '<image>\nFind x.');
    assert.equal(record.system, undefined, 'the system turn is the PRM instruction, not a prompt of the record');
    assert.deepEqual(ratings(record), [1, -1]);
    const [first, second] = record.responses[0].segments;
    assert.equal(first.text, '[Visual Elements]\n<step_1>\nThe triangle is right-angled at B.\n</step_1>');
    assert.deepEqual(first.path, ['conversations', 1, 'value']);
    const turn = (VL_PRM.conversations as { value: string }[])[1].value;
    assert.equal(turn.slice(first.span[0], first.span[1]), first.text, 'the step is the end of the question turn');
    assert.deepEqual(second.path, ['conversations', 3, 'value']);
    const unlabelled = { ...conversation, conversations: [...(conversation.conversations as JsonObject[]).slice(0, 4), { from: 'gpt', value: 'Yes.' }] };
    assert.equal(detectFormat(unlabelled), 'sharegpt', 'a reply other than + or - is a chat');
  });

  it('reads VisualProcessBench steps with their human labels and the policy model', () => {
    assert.equal(detectFormat(VISUAL_PROCESS_BENCH), 'visual-process-bench');
    const record = parsed(VISUAL_PROCESS_BENCH);
    assert.deepEqual(ratings(record), [1, -1, 0]);
    assert.equal(record.responses[0].model, 'InternVL2_5-8B');
    assert.deepEqual(record.responses[0].segments[2].path, ['response', 'steps', 2]);
    assert.deepEqual(record.images, ['images/triangle.png']);
  });

  it("reads PRM800K's labelled trajectory, then the pre-generated steps it left unlabelled", () => {
    assert.equal(detectFormat(PRM800K), 'prm800k');
    const record = parsed(PRM800K);
    assert.equal(record.question, 'What is the greatest common factor of $20 !$ and $200,\\!000$?');
    assert.equal(record.groundTruth, '40,\\!000');
    const { segments } = record.responses[0];
    assert.deepEqual(
      segments.map((segment) => segment.path),
      [
        ['label', 'steps', 0, 'completions', 0, 'text'],
        ['label', 'steps', 1, 'completions', 0, 'text'],
        ['label', 'steps', 2, 'completions', 0, 'text'],
        ['question', 'pre_generated_steps', 3],
      ],
    );
    assert.deepEqual(ratings(record), [0, 1, -1, null]);
    const human = parsed(PRM800K_HUMAN_STEP);
    assert.deepEqual(
      human.responses[0].segments.map((segment) => [segment.text, segment.sourceLabel?.rating]),
      [['1+1=2', 1]],
    );
  });

  it('names the field of a malformed step', () => {
    const broken = { ...VISUALPRM, steps_with_score: [{ score: 1 }] };
    assert.deepEqual(parseRecord(broken), { error: "not a visualprm record: steps_with_score[0].step: expected the step's text, found nothing" });
    const noSteps = { question: { problem: 'p' }, label: { finish_reason: 'give_up' } };
    assert.deepEqual(parseRecord(noSteps), { error: 'not a prm800k record: label.steps: missing' });
  });

  it("counts a record's own labels as ratings until an annotation overrides one", () => {
    const annotated = { ...VISUAL_PROCESS_BENCH, cot_studio: { version: 1, segments: { '1': { rating: 1 } } } };
    const summary = summarizeLine(JSON.stringify(annotated), 1);
    assert.equal(summary.rated, 3);
    const unlabelled = { ...VISUAL_PROCESS_BENCH, response: { steps: ['a', 'b'], process_correctness: [1] } };
    assert.equal(summarizeLine(JSON.stringify(unlabelled), 1).rated, 1);
  });

  it('validates, counts and exports the labelled steps through the CLI', async () => {
    const annotated = { ...VISUAL_PROCESS_BENCH, cot_studio: { version: 1, segments: { '1': { rating: 1 } } } };
    const file = datasetFile('prm.jsonl', [VISUALPRM, VL_PRM, annotated, PRM800K, PRM800K_HUMAN_STEP]);
    const validated = await runCli('validate', file);
    assert.equal(validated.code, 0, validated.stdout);
    const counted = await stats(file);
    assert.deepEqual(counted.formats, { visualprm: 2, 'visual-process-bench': 1, prm800k: 2 });
    // The annotation turns VisualProcessBench's -1 into +1; PRM800K's last pre-generated step is unlabelled.
    assert.deepEqual(counted.ratings, { correct: 1 + 1 + 2 + 1 + 1, neutral: 1 + 1, incorrect: 2 + 1 + 1, unrated: 1 });
    const stepwise = await exported(file, 'trl-stepwise');
    assert.equal(stepwise.code, 0, stepwise.stderr);
    assert.deepEqual(
      stepwise.lines.map((line) => line.labels),
      [[true, false, false], [true, false], [true, true, true], [true, true, false], [true]],
    );
    assert.deepEqual(stepwise.lines[0].completions, ['The triangle is right-angled at B.', 'x = 6 + 8 = 14.', 'Final answer: 14']);
    const sft = await exported(file, 'trl-sft');
    assert.equal(sft.code, 0, sft.stderr);
    assert.equal(sft.lines.length, 2, 'trl-sft keeps only the responses whose steps are all correct');
  });
});

// RL prompt data: a question and its reference answer, no response.

/**
 * verl: examples/data_preprocess/geo3k.py of volcengine/verl (commit 66cbf2d9ee70038a95f5670228985100cdd7641c)
 * writes `data_source`, `prompt: [{role, content}]`, `images`, `ability`, `reward_model: {style, ground_truth}`
 * and `extra_info`.
 */
const VERL: JsonObject = {
  data_source: 'hiyouga/geometry3k',
  prompt: [{ role: 'user', content: '<image>Find x. Please reason step by step, and put your final answer within \\boxed{}.' }],
  images: ['images/triangle.png'],
  ability: 'math',
  reward_model: { style: 'rule', ground_truth: '10' },
  extra_info: { split: 'train', index: 0, answer: '10', question: '<image>Find x.' },
};

/** EasyR1's default data keys (examples/config.yaml: `prompt_key: problem`, `answer_key: answer`, `image_key: images`); OpenVLThinker's RL records are the same. */
const EASYR1: JsonObject = { problem: '<image>Find x.', answer: '10', images: ['images/triangle.png'] };

/** ViRL39K (its dataset card's features): `answer`, `category`, `qid`, `images`, `problem`. */
const VIRL39K: JsonObject = {
  qid: 'MMK12-7f1c',
  problem: '<image>Find x.',
  answer: '\\boxed{10}',
  images: ['images/triangle.png'],
  category: '(GradeSchool) Geometric',
};

/** MM-Eureka: a `conversations` prompt (role/content), `answer`, and `image_urls` as `file://` URLs. */
function mmEureka(imageUrl: string): JsonObject {
  return {
    id: 'k12-0',
    conversations: [
      { role: 'system', content: 'Solve the problem. Put the reasoning in <think></think> and the answer in <answer></answer>.' },
      { role: 'user', content: '<image>Find x.' },
    ],
    answer: '10',
    image_urls: [imageUrl],
  };
}

describe('RL prompt formats', () => {
  it('reads verl, EasyR1, ViRL39K and MM-Eureka records as a question with its reference answer', () => {
    const verl = parsed(VERL);
    assert.deepEqual(
      [verl.format, verl.question, verl.groundTruth, verl.images, verl.responses],
      ['verl', '<image>Find x. Please reason step by step, and put your final answer within \\boxed{}.', '10', ['images/triangle.png'], []],
    );
    const easyR1 = parsed(EASYR1);
    assert.deepEqual([easyR1.format, easyR1.question, easyR1.groundTruth, easyR1.images], ['reason-rft-rl', '<image>Find x.', '10', ['images/triangle.png']]);
    const virl = parsed(VIRL39K);
    assert.deepEqual([virl.format, virl.id, virl.groundTruth], ['reason-rft-rl', 'MMK12-7f1c', '\\boxed{10}']);
    const eureka = parsed(mmEureka('file:///data/mm-eureka/images/triangle.png'));
    assert.equal(eureka.format, 'mm-eureka');
    assert.equal(eureka.question, '<image>Find x.');
    assert.equal(eureka.system, 'Solve the problem. Put the reasoning in <think></think> and the answer in <answer></answer>.');
    assert.deepEqual(eureka.images, ['/data/mm-eureka/images/triangle.png'], 'a file:// URL is read as its path');
    assert.equal(eureka.groundTruth, '10');
    assert.deepEqual(eureka.responses, []);
  });

  it('validates and counts them, and an export refuses them for want of a response', async () => {
    const file = datasetFile('rl.jsonl', (dir) => [VERL, EASYR1, VIRL39K, mmEureka(`file://${path.join(dir, 'images', 'triangle.png')}`)]);
    const validated = await runCli('validate', file);
    assert.equal(validated.code, 0, validated.stdout);
    assert.match(validated.stdout, /4 records: 0 errors, 0 warnings/, 'the file:// image is found in the dataset folder');
    const counted = await stats(file);
    assert.deepEqual(counted.formats, { verl: 1, 'reason-rft-rl': 2, 'mm-eureka': 1 });
    const sft = await exported(file, 'trl-sft');
    assert.equal(sft.code, 1);
    assert.match(sft.stderr, /rl\.jsonl:1: not exported: trl-sft needs a response and a verl record has none \(an RL prompt: question and answer only\)/);
    assert.match(sft.stderr, /rl\.jsonl:4: not exported: trl-sft needs a response and a mm-eureka record has none/);
  });
});

// MMPR's other records, as InternVL's reasoning data pipeline writes them.

/**
 * internvl_chat/tools/reasoning_data_pipeline/mmpr_data_pipeline_correctness_postprocess.py (OpenGVLab/InternVL,
 * commit 19b0da2d1986fedc406c8dd02ffc2969fcfc4443): pairs `{image, question, chosen, rejected, answer_gt}`,
 * without `image` for a text-only question; `neg_items` prompts `{image, question, answer}` (no `image` when
 * text-only). mmpr_data_pipeline_dropout_ntp.py (commit 21e204bc65c9b2dce0c9737bef07529b576f80cc) reads
 * `{image, question, chosen}` and adds `rejected`.
 */
const MMPR_TEXT_PAIR: JsonObject = {
  question: 'What is 6 + 8?',
  chosen: '6 + 8 = 14.\nFinal answer: 14',
  rejected: '6 + 8 = 15.\nFinal answer: 15',
  answer_gt: '14',
};
const MMPR_IMAGES_PAIR: JsonObject = {
  image: ['images/triangle.png', 'images/bar_chart.png'],
  question: 'Image-1: <image>\nImage-2: <image>\nWhich image shows a triangle?',
  chosen: 'The first image shows a triangle.\nFinal answer: Image-1',
  rejected: 'The second image shows a triangle.\nFinal answer: Image-2',
  answer_gt: 'Image-1',
};
const MMPR_PROMPT: JsonObject = { image: 'images/triangle.png', question: '<image>\nFind x.', answer: '10' };
const MMPR_TEXT_PROMPT: JsonObject = { question: 'What is 6 + 8?', answer: '14' };
const DROPOUT_NTP: JsonObject = {
  image: 'images/bar_chart.png',
  question: '<image>\nDescribe the chart.',
  chosen: 'A bar chart of bicycles sold per year.',
  rejected: null,
};

describe('MMPR variants', () => {
  it('reads text-only and multi-image pairs, prompts, and dropout-NTP prompts', () => {
    const text = parsed(MMPR_TEXT_PAIR);
    assert.deepEqual([text.format, text.images, text.groundTruth, text.responses.map((response) => response.role)], ['mmpr', [], '14', ['chosen', 'rejected']]);
    assert.deepEqual(parsed(MMPR_IMAGES_PAIR).images, ['images/triangle.png', 'images/bar_chart.png']);
    const prompt = parsed(MMPR_PROMPT);
    assert.deepEqual(
      [prompt.format, prompt.question, prompt.groundTruth, prompt.images, prompt.responses],
      ['mmpr-prompt', '<image>\nFind x.', '10', ['images/triangle.png'], []],
    );
    assert.equal(detectFormat(MMPR_TEXT_PROMPT), 'mmpr-prompt');
    const dropout = parsed(DROPOUT_NTP);
    assert.equal(dropout.format, 'mmpr');
    assert.deepEqual(
      dropout.responses.map((response) => [response.role, response.text]),
      [['response', 'A bar chart of bicycles sold per year.']],
    );
    const { rejected: _, ...withoutRejected } = DROPOUT_NTP;
    assert.equal(detectFormat(withoutRejected), 'mmpr');
    assert.equal(parsed(withoutRejected).responses.length, 1);
  });

  it('validates them, writes a text-only pair without `image`, and refuses a dropout-NTP prompt as a pair', async () => {
    const file = datasetFile('mmpr.jsonl', [MMPR_TEXT_PAIR, MMPR_IMAGES_PAIR, MMPR_PROMPT, MMPR_TEXT_PROMPT, DROPOUT_NTP]);
    const validated = await runCli('validate', file);
    assert.equal(validated.code, 0, validated.stdout);
    assert.match(validated.stdout, /5 records: 0 errors, 0 warnings/);
    assert.deepEqual((await stats(file)).formats, { mmpr: 3, 'mmpr-prompt': 2 });
    const pairs = await exported(file, 'mmpr');
    assert.deepEqual(
      pairs.lines.map((line) => line.image),
      [undefined, ['images/triangle.png', 'images/bar_chart.png']],
    );
    assert.deepEqual(Object.keys(pairs.lines[0]), ['question', 'chosen', 'rejected']);
    assert.match(pairs.stderr, /mmpr\.jsonl:3: not exported: mmpr needs a response and a mmpr-prompt record has none/);
    assert.match(pairs.stderr, /mmpr\.jsonl:5: not exported: no preference pair/);
    const sft = await exported(file, 'trl-sft');
    assert.equal(sft.lines.length, 3, 'both pairs by their chosen side, and the dropout-NTP response');
  });
});

// Chat records whose turns place their own images.

/**
 * R1-V's SFT records: the convert_example docstring of src/r1-v/src/open_r1/sft.py (Deep-Agent/R1-V, commit
 * ff52249541f129a89d6822bfc9c449c57e177741) gives `system` and `conversations` whose user turn carries
 * `image_path` beside its `value`; the same function builds Qwen-VL content parts `{"type": "image", "image": PATH}`.
 */
const R1V_SFT: JsonObject = {
  system: 'You are a helpful assistant.',
  conversations: [
    { from: 'user', value: 'How many objects are included in this image?', image_path: 'images/bar_chart.png' },
    { from: 'assistant', value: '<think>\nI can see 5 bars.\n</think>\n<answer>\n5\n</answer>' },
  ],
};
const QWEN_PARTS: JsonObject = {
  messages: [
    {
      role: 'user',
      content: [
        { type: 'image', image: 'images/triangle.png' },
        { type: 'text', text: 'Find x.' },
      ],
    },
    { role: 'assistant', content: '<think>6^2 + 8^2 = 100.</think><answer>10</answer>' },
  ],
};

describe('images placed by chat turns', () => {
  it("keeps R1-V's turn image_path and Qwen-VL image parts as the record's images", () => {
    const r1v = parsed(R1V_SFT);
    assert.deepEqual([r1v.format, r1v.images, r1v.system], ['think-answer', ['images/bar_chart.png'], 'You are a helpful assistant.']);
    const qwen = parsed(QWEN_PARTS);
    assert.deepEqual([qwen.format, qwen.images, qwen.question], ['openai-chat', ['images/triangle.png'], 'Find x.']);
  });

  it('validates them without an <image> token and exports the image', async () => {
    const file = datasetFile('r1v.jsonl', [R1V_SFT, QWEN_PARTS]);
    const validated = await runCli('validate', file);
    assert.equal(validated.code, 0, validated.stdout);
    assert.match(validated.stdout, /2 records: 0 errors, 0 warnings/);
    const sft = await exported(file, 'trl-sft');
    assert.equal(sft.code, 0, sft.stderr);
    assert.deepEqual(
      sft.lines.map((line) => line.images),
      [['images/bar_chart.png'], ['images/triangle.png']],
    );
    const sharegpt = await exported(file, 'llamafactory-sharegpt');
    assert.equal(sharegpt.code, 0, sharegpt.stderr);
    assert.deepEqual(sharegpt.lines[0].images, ['images/bar_chart.png']);
    assert.match(JSON.stringify(sharegpt.lines[0].conversations), /"value":"<image>How many objects/);
  });
});

// Mulberry's tree-search (CoMCTS) files.

/** CoMCTS input: comcts/README.md of HJYao00/Mulberry (commit 20bb8ac9bf4067de292cfc2aa10e2b3dee46ae82), "Input Data Examples". */
const COMCTS_INPUT: JsonObject = {
  image: 'images/triangle.png',
  question: 'Question: Find x.\nChoices:\nA: 30\nB: 45\nC: 60\nD: 90',
  conversations: [
    {
      from: 'human',
      value:
        '<image>\nBased on the image, directly select the correct answer for the following question:\nQuestion: Find x.\nChoices:\nA: 30\nB: 45\nC: 60\nD: 90',
    },
    { from: 'gpt', value: 'Answer:B' },
  ],
};

const section = (answer: string): string =>
  `### Image Description:\nA square with a diagonal.\n\n### Rationales:\nThe diagonal halves the right angle.\n\n### Let's think step by step.\n### Step 1:\nThe diagonal bisects the 90 degree angle.\n\n### The final answer is: ${answer}`;

/**
 * CoMCTS output, "Output Example #2" of the same README, shortened: a result per model (`response`, `value`,
 * `is_correct`, `valid`), an invalid path (`valid: -1`), `prefix_prompt`, and the input's fields.
 */
const COMCTS_OUTPUT: JsonObject = {
  'gpt-4o': { response: section('D: 90'), value: 1.05, is_correct: -1, valid: 1 },
  qwen2_vl_7b: { response: section('B: 45'), value: 1.49, is_correct: 1, valid: 1 },
  qwen2_vl_72b: { response: section('B: 45').replace('bisects', 'halves'), value: 1.65, is_correct: 1, valid: 1 },
  llama_vision_11b: { valid: -1 },
  ...COMCTS_INPUT,
  prefix_prompt: '### Image Description:\nA square with a diagonal.\n\n',
};

describe('Mulberry tree-search files', () => {
  it("reads the input's gpt turn as the ground truth, not a response", () => {
    assert.equal(detectFormat(COMCTS_INPUT), 'mulberry-search');
    const input = parsed(COMCTS_INPUT);
    assert.deepEqual([input.question, input.groundTruth, input.images, input.responses], [COMCTS_INPUT.question, 'Answer:B', ['images/triangle.png'], []]);
  });

  it("reads each model's valid path as a response with its model and correctness, correct ones first", () => {
    assert.equal(detectFormat(COMCTS_OUTPUT), 'mulberry-search');
    const output = parsed(COMCTS_OUTPUT);
    assert.deepEqual(
      output.responses.map((response) => [response.model, response.correct, response.segments[0].path]),
      [
        ['qwen2_vl_7b', true, ['qwen2_vl_7b', 'response']],
        ['qwen2_vl_72b', true, ['qwen2_vl_72b', 'response']],
        ['gpt-4o', false, ['gpt-4o', 'response']],
      ],
    );
    assert.deepEqual(
      output.responses[0].segments.map((segment) => segment.label),
      ['Image Description', 'Rationales', "Let's think step by step", 'Step 1', 'Final answer'],
    );
  });

  it('validates and counts every path, exports the correct one for SFT and correct-over-wrong pairs', async () => {
    const wrongOnly: JsonObject = { 'gpt-4o': { response: section('D: 90'), value: 0.5, is_correct: -1, valid: 1 }, ...COMCTS_INPUT, prefix_prompt: '' };
    const file = datasetFile('comcts.jsonl', [COMCTS_INPUT, COMCTS_OUTPUT, wrongOnly]);
    const validated = await runCli('validate', file);
    assert.equal(validated.code, 0, validated.stdout);
    const counted = await stats(file);
    assert.deepEqual(counted.formats, { 'mulberry-search': 3 });
    assert.equal(counted.segments.total, 4 * 5, 'every valid path of every record is counted');
    const sft = await exported(file, 'trl-sft');
    assert.equal(sft.lines.length, 1);
    assert.match(JSON.stringify(sft.lines[0].messages), /The final answer is: B: 45/);
    assert.match(sft.stderr, /comcts\.jsonl:1: not exported: trl-sft needs a response and a mulberry-search record has none/);
    assert.match(sft.stderr, /comcts\.jsonl:3: not exported: trl-sft would train on a wrong answer: no response of the record is judged correct/);
    const dpo = await exported(file, 'trl-dpo');
    assert.equal(dpo.lines.length, 2, 'each correct path over the wrong one');
  });
});
