import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GenerateOptions, GenerationRequest } from '../../src/backends/types';
import { applyOperation, readRecordState } from '../../src/dataset/operations';
import type { GenerationResult } from '../../src/protocol';
import type { RunningServer } from '../../src/serve';
import type { PrelabelResult } from '../../src/stepLabels/prelabel';
import { runCli } from '../harness/cli';
import { projectRoot } from '../harness/fixtures';
import { ScriptedStepJudge, startScriptedJudge } from '../harness/scriptedJudge';

/** A chat record whose reply is Mulberry's sections around `steps`; the judge is asked about each section and step. */
const chat = (question: string, steps: string[]): string =>
  JSON.stringify({
    messages: [
      { role: 'user', content: question },
      {
        role: 'assistant',
        content: [
          '### Image Description:\nA chart of bars.',
          '### Rationales:\nRead the chart.',
          "### Let's think step by step.",
          ...steps.map((step, i) => `### Step ${i + 1}:\n${step}`),
          '### The final answer is:\nSee the steps.',
        ].join('\n\n'),
      },
    ],
  });

const RECORDS = [
  chat('How long is the hypotenuse?', ['The legs are six and eight.', 'Squares: 36 and 64.', 'So the answer is ten.']),
  chat('What colour is the sky?', ['Light scatters at 450 nm most.', 'So the sky is blue.']),
  chat('SILENT: how many apples?', ['There are three apples on the left.', 'And 2 on the right.']),
  chat('Which is larger?', ['The left bar reaches 40.', 'The left one is larger.']),
];

/** The scripted judge's verdict on each step of a line's reply: incorrect when the step holds a digit, else correct. */
const expectedLabels = (line: string): number[] =>
  readRecordState(line).parsed.responses[0]?.segments.map((segment) => (/\d/.test(segment.text) ? -1 : 1)) ?? [];

const prelabelsOf = (line: string) => {
  const { annotations, parsed } = readRecordState(line);
  return (parsed.responses[0]?.segments ?? []).map((_, index) => annotations.segments[String(index)]?.prelabel?.label);
};

/** Times differ between runs; everything else must not. */
const withoutTimes = (text: string): string => text.replace(/"(createdAt|at)":"[^"]*"/g, '"$1":"T"');

/** The scripted judge, silent (no verdict) on the records whose question says SILENT while `silent` is set. */
class SometimesSilentJudge extends ScriptedStepJudge {
  silent = false;

  override async generate(request: GenerationRequest, options?: GenerateOptions): Promise<GenerationResult> {
    const result = await super.generate(request, options);
    if (!this.silent || !this.prompts.at(-1)?.includes('SILENT')) return result;
    return { ...result, candidates: result.candidates.map((candidate) => ({ ...candidate, text: 'hmm' })) };
  }
}

describe('cot-studio prelabel', () => {
  let dir: string;
  let judge: SometimesSilentJudge;
  let server: RunningServer;
  let endpoint: string[];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-prelabel-'));
    judge = new SometimesSilentJudge();
    server = await startScriptedJudge(judge);
    endpoint = ['--endpoint', server.url, '--endpoint-model', 'scripted-step-judge'];
  });
  after(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function dataset(name: string, lines: string[]): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  it("prints each step's label from the step judge, as JSON with --json, and leaves the file alone", async () => {
    const file = dataset('one.jsonl', RECORDS);
    const before = fs.readFileSync(file);
    const json = await runCli('prelabel', file, '--line', '1', '--json', ...endpoint);
    assert.equal(json.code, 0, json.stderr);
    const result = JSON.parse(json.stdout) as PrelabelResult;
    assert.deepEqual(Object.keys(result).sort(), ['calls', 'labeller', 'missing', 'steps']);
    assert.deepEqual(
      result.steps.map((step) => [step.index, step.label]),
      expectedLabels(RECORDS[0] as string).map((label, index) => [index, label]),
    );
    for (const step of result.steps) assert.ok(step.confidence === undefined || (step.confidence > 0 && step.confidence <= 1));
    assert.deepEqual(result.missing, []);
    assert.equal(result.calls, result.steps.length, 'one call a step');
    assert.deepEqual(result.labeller, { backend: `openai:${server.url} scripted-step-judge`, method: 'step-judge' });

    const text = await runCli('prelabel', file, '--line', '2', ...endpoint);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^ {2}0 {2}correct {5}1\.00 {2}Image Description$/m);
    assert.match(text.stdout, /^ {2}3 {2}incorrect {3}1\.00 {2}Step 1$/m);
    const steps = expectedLabels(RECORDS[1] as string).length;
    assert.match(text.stdout, new RegExp(`^--- ${steps} of ${steps} steps labelled by step-judge \\(openai:.*\\), ${steps} calls$`, 'm'));
    assert.deepEqual(fs.readFileSync(file), before, 'no --write, no change');
  });

  it('--write stores the suggestions in that line only, and a step a person rated keeps its rating', async () => {
    const rated = applyOperation(RECORDS[1] as string, { kind: 'rateSegment', line: 2, segment: 0, rating: -1 }, { at: 'T', reflectionPhrase: 'Wait,' }).text;
    const lines = [RECORDS[0] as string, rated, RECORDS[3] as string];
    const file = dataset('write.jsonl', lines);
    const written = await runCli('prelabel', file, '--line', '2', '--write', ...endpoint);
    assert.equal(written.code, 0, written.stderr);
    assert.match(written.stdout, new RegExp(`:2: stored ${expectedLabels(rated).length} suggested labels$`, 'm'));
    const after = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal(after.length, lines.length + 1);
    for (const i of [0, 2, 3]) assert.equal(after[i], `${lines[i] ?? ''}`, `line ${i + 1} keeps its bytes`);
    assert.deepEqual(prelabelsOf(after[1] as string), expectedLabels(rated));
    const { annotations } = readRecordState(after[1] as string);
    assert.equal(annotations.segments['0']?.rating, -1, "the person's rating stays, though the judge says correct");
    assert.equal(annotations.segments['0']?.prelabel?.label, 1);
  });

  it('--all --concurrency 2 labels every record into a copy, resumes from its journal, and starts over when settings changed', async () => {
    const rated = applyOperation(RECORDS[3] as string, { kind: 'rateSegment', line: 4, segment: 3, rating: 1 }, { at: 'T', reflectionPhrase: 'Wait,' }).text;
    const lines = [RECORDS[0], RECORDS[1], RECORDS[2], rated].map(String);
    const file = dataset('all.jsonl', lines);
    const input = fs.readFileSync(file);
    const output = path.join(dir, 'all.out.jsonl');
    const journal = `${output}.journal`;
    const args = ['prelabel', file, '--all', '--concurrency', '2', '--output', output, ...endpoint];

    // The judge says nothing on line 3: that record fails, and the journal keeps the others.
    judge.silent = true;
    const first = await runCli(...args, '--json');
    assert.equal(first.code, 1);
    assert.match(first.stderr, new RegExp(`all\\.jsonl:3: the labeller gave no verdict for any of its ${expectedLabels(lines[2] as string).length} steps`));
    const summary = JSON.parse(first.stdout) as Record<string, unknown>;
    assert.equal(summary.selected, 4);
    assert.equal(summary.prelabelled, 3);
    assert.equal(summary.failed, 1);
    assert.ok(fs.existsSync(journal));
    assert.equal(fs.readFileSync(output, 'utf8').split('\n')[2], lines[2], 'a failed record is copied as it was');
    const kept = fs.readFileSync(journal, 'utf8');

    // Other settings: the journal is not resumed.
    const other = await runCli(...args, '--filter', 'unreviewed');
    assert.match(other.stderr, /all\.out\.jsonl\.journal: it was written with other --filter; starting over/);
    assert.match(other.stdout, /4 records selected \(--filter unreviewed\), 3 prelabelled, 1 failed/);

    // As if the first run had been killed after two records: its journal without its last entry.
    const [header, ...entries] = kept.trimEnd().split('\n');
    const finished = entries.slice(0, 2).map((entry) => (JSON.parse(entry) as { line: number }).line);
    fs.writeFileSync(journal, `${[header, ...entries.slice(0, 2)].join('\n')}\n`);
    judge.silent = false;
    const asked = judge.prompts.length;
    const resumed = await runCli(...args);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /4 records selected \(--filter all\), 4 prelabelled \(2 by an earlier run\), 0 failed; \d+ steps labelled/);
    const left = [1, 2, 3, 4].filter((line) => !finished.includes(line));
    const leftSteps = left.reduce((sum, line) => sum + expectedLabels(lines[line - 1] as string).length, 0);
    assert.equal(judge.prompts.length - asked, leftSteps, 'only the records not journaled are asked about');
    assert.equal(fs.existsSync(journal), false, 'a complete run leaves no journal');
    assert.deepEqual(fs.readFileSync(file), input, 'the input is never changed');

    const written = fs.readFileSync(output, 'utf8').split('\n');
    for (const [i, line] of lines.entries()) assert.deepEqual(prelabelsOf(written[i] as string), expectedLabels(line), `line ${i + 1}`);
    const ratedStep = readRecordState(written[3] as string).annotations.segments['3'];
    assert.equal(ratedStep?.rating, 1, 'a rated step keeps its rating, though the judge calls it incorrect');
    assert.equal(ratedStep?.prelabel?.label, -1);

    // What an uninterrupted run writes.
    const whole = path.join(dir, 'all.whole.jsonl');
    const uninterrupted = await runCli('prelabel', file, '--all', '--output', whole, ...endpoint);
    assert.equal(uninterrupted.code, 0, uninterrupted.stderr);
    assert.equal(withoutTimes(fs.readFileSync(output, 'utf8')), withoutTimes(fs.readFileSync(whole, 'utf8')));
  });

  it('--lines and --filter unlabelled pick the records; the output is FILE.prelabelled.jsonl by default', async () => {
    const file = dataset('some.jsonl', RECORDS);
    const first = await runCli('prelabel', file, '--lines', '1-2', '--json', ...endpoint);
    assert.equal(first.code, 0, first.stderr);
    assert.equal((JSON.parse(first.stdout) as { prelabelled: number }).prelabelled, 2);
    const output = path.join(dir, 'some.prelabelled.jsonl');
    const written = fs.readFileSync(output, 'utf8').split('\n');
    assert.equal(written[2], RECORDS[2], 'a record not listed is copied as it was');
    // Records already labelled are left out by --filter unlabelled.
    fs.copyFileSync(output, file);
    const again = await runCli('prelabel', file, '--all', '--filter', 'unlabelled', '--output', path.join(dir, 'rest.jsonl'), ...endpoint);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /2 records selected \(--filter unlabelled\), 2 prelabelled/);
  });

  it('labels with a process reward model by --labeller reward-model', async () => {
    const file = dataset('reward.jsonl', RECORDS);
    const model = path.join(projectRoot, 'dist', 'models', 'tiny-bigram');
    const run = await runCli('prelabel', file, '--line', '1', '--labeller', 'reward-model', '--reward-model', model, '--provider', 'cpu', '--json');
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as PrelabelResult;
    assert.deepEqual(result.labeller, { model: 'tiny-bigram', method: 'reward-model' });
    assert.equal(result.steps.length, expectedLabels(RECORDS[0] as string).length);
    assert.equal(result.calls, result.steps.length);
    for (const step of result.steps) {
      assert.ok(step.label === 1 || step.label === -1, 'a PRM has no neutral');
      assert.ok(step.confidence !== undefined && step.confidence >= 0.5 && step.confidence <= 1);
    }
  });

  it('exits 2 naming the option on bad usage', async () => {
    const file = dataset('usage.jsonl', RECORDS);
    const model = ['--model', path.join(dir, 'no-model')];
    const cases: Array<[string[], RegExp]> = [
      [[file, ...endpoint], /--line N is required \(or --all or --lines for many records\)/],
      [[file, '--all', '--lines', '1', ...endpoint], /--all and --lines are mutually exclusive/],
      [[file, '--line', '1', '--all', ...endpoint], /--line and --all are mutually exclusive/],
      [[file, '--all', '--write', ...endpoint], /--write changes one record in place; --all writes a copy/],
      [[file, '--line', '1', '--filter', 'all', ...endpoint], /--filter needs --all or --lines/],
      [[file, '--all', '--filter', 'rated', ...endpoint], /--filter: /],
      [[file, '--all', '--output', file, ...endpoint], /is the input .*; write the output to another file/],
      [[file, '--lines', '9', ...endpoint], /--lines: .* has no record on line 9/],
      [[file, '--line', '1', '--labeller', 'oracle', ...endpoint], /--labeller: /],
      [[file, '--line', '1', '--labeller', 'reward-model'], /--labeller reward-model needs --reward-model DIR/],
      [[file, '--line', '1', '--reward-model', 'dir', ...endpoint], /--reward-model is for --labeller reward-model/],
      [[file, '--line', '1', '--labeller', 'reward-model', '--reward-model', 'dir', ...model], /--model is for --labeller step-judge/],
      [[file, '--line', '1', '--labeller', 'reward-model', '--reward-model', 'dir', '--good-token', ''], /--good-token: /],
      [[file, '--line', '1'], /give --model DIR or --endpoint URL --endpoint-model NAME/],
      [['-', '--all', ...endpoint], /need a FILE, not standard input/],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli('prelabel', ...args)));
    runs.forEach((result, i) => {
      assert.equal(result.code, 2, `case ${i}: ${result.stderr}`);
      assert.match(result.stderr, cases[i]?.[1] ?? /never/);
    });
  });
});
