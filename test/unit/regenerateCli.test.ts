import * as assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { applyOperation, readRecordState } from '../../src/dataset/operations';
import { LocalEngine } from '../../src/engine/localEngine';
import type { RegenerateResult } from '../../src/search/regeneration';
import { startServer } from '../../src/serve';
import { makeTestModel } from '../../src/testModel';
import { datasetsDir, makeWorkspace, projectRoot } from '../harness/fixtures';
import { ScriptedStepJudge, startScriptedJudge } from '../harness/scriptedJudge';

const cli = path.join(projectRoot, 'dist', 'cli.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, 'regenerate', ...args], { env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

const llava = fs.readFileSync(path.join(datasetsDir, 'llava_cot.jsonl'), 'utf8').split('\n');

/** Sampling that the bigram model often ends at `</REASONING>`, so most records get several candidates. */
const SAMPLING = ['--segment', '2', '--rank', 'logprob', '--candidates', '8', '--temperature', '0.3', '--max-tokens', '120'];

/** Alternatives of a line's segment 2, as `--write` or `--all` stored them. */
const alternativesOf = (line: string) => readRecordState(line).annotations.segments['2']?.alternatives ?? [];

/** Times differ between runs; everything else must not. */
/** The tree search on line 2's REASONING, with the scripted judge at `judge`. */
const treeSearchOn = (file: string, { iterations, maxTokens, seed, judge }: { iterations: number; maxTokens: number; seed: number; judge: string }) => [
  file,
  ...['--line', '2', '--segment', '2', '--method', 'mcts'],
  ...['--iterations', String(iterations), '--max-tokens', String(maxTokens), '--seed', String(seed)],
  ...['--judge-endpoint', judge, '--judge-model', 'scripted'],
];

const withoutTimes = (text: string): string => text.replace(/"(createdAt|at)":"[^"]*"/g, '"$1":"T"');

describe('cot-studio regenerate', () => {
  let workspace: string;
  let modelDir: string;
  let model: string[];

  before(() => {
    workspace = makeWorkspace('cot-studio-regenerate-');
    modelDir = path.join(workspace, 'model');
    makeTestModel(modelDir, {
      kind: 'bigram',
      corpus: ['llava_cot.jsonl', 'mulberry.jsonl'].map((name) => path.join(datasetsDir, name)),
      hidden: 256,
      vocab: 700,
    });
    model = ['--model', modelDir, '--provider', 'cpu'];
  });

  after(() => fs.rmSync(workspace, { recursive: true, force: true }));

  /** A dataset in the workspace (beside the fixtures' images) made of these lines. */
  function dataset(name: string, lines: string[]): string {
    const file = path.join(workspace, name);
    fs.writeFileSync(file, lines.join('\n'));
    return file;
  }

  it('prints the candidates best first as JSON and leaves the file alone without --write', async () => {
    const file = path.join(workspace, 'llava_cot.jsonl');
    const before = fs.readFileSync(file);
    const { code, stdout, stderr } = await run([file, '--line', '2', ...SAMPLING, '--seed', '7', ...model, '--json']);
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout) as RegenerateResult;
    assert.deepEqual(Object.keys(result).sort(), ['candidates', 'chosen', 'dropped', 'judgeCalls', 'notes', 'provenance', 'stages', 'tokensComputed']);
    assert.ok(result.candidates.length >= 2, `${result.candidates.length} candidates kept`);
    assert.equal(result.candidates.length + result.dropped.length, 8);
    assert.equal(result.chosen, 0);
    const scores = result.candidates.map((candidate) => candidate.score ?? -Infinity);
    assert.deepEqual(
      scores,
      [...scores].sort((a, b) => b - a),
      'best first',
    );
    for (const [i, candidate] of result.candidates.entries()) {
      assert.equal(candidate.finishReason, 'stop');
      assert.equal(candidate.provenance.source, 'model');
      assert.equal(candidate.provenance.method, 'beam');
      assert.equal(candidate.provenance.seed, 7);
      assert.equal(candidate.provenance.parameters?.rank, i + 1);
    }
    for (const entry of result.dropped) assert.match(entry.reason, /no <\/REASONING> before|contains <|empty/);
    assert.deepEqual(result.provenance, {
      backend: 'local:model',
      model: 'model',
      method: 'beam',
      scorer: 'logprob',
      seed: 7,
      parameters: {
        candidates: 8,
        temperature: 0.3,
        topP: 0.9,
        maxTokens: 120,
        scorer: 'logprob',
        grammar: 'token mask',
        // The bigram test model is a text model: provenance says it did not see the record's image.
        images: 'images/bar_chart.png (not seen: the model reads text only)',
      },
    });
    assert.deepEqual(
      result.stages.map((stage) => stage.label),
      ['REASONING'],
    );
    assert.deepEqual(fs.readFileSync(file), before);
  });

  it('with --write adds the candidates to that line only, with their provenance', async () => {
    const file = dataset('write.jsonl', llava);
    const { code, stdout, stderr } = await run([file, '--line', '2', ...SAMPLING, '--seed', '7', ...model, '--json', '--write']);
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout) as RegenerateResult;
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal(lines.length, llava.length);
    lines.forEach((line, i) => {
      if (i !== 1) assert.equal(line, llava[i], `line ${i + 1} is untouched`);
    });
    const alternatives = alternativesOf(lines[1] ?? '');
    assert.deepEqual(
      alternatives.map((alternative) => alternative.text),
      result.candidates.map((candidate) => candidate.text),
    );
    for (const alternative of alternatives) {
      assert.equal(alternative.provenance.source, 'model');
      assert.equal(alternative.provenance.backend, 'local:model');
      assert.equal(alternative.provenance.parameters?.scorer, 'logprob');
    }
  });

  it('--all writes every record with its alternatives into a copy, other lines byte for byte', async () => {
    const lines = [llava[0], '', llava[1], llava[2], `${llava[3]}\r`, ''].map(String);
    const file = dataset('all.jsonl', lines);
    const input = fs.readFileSync(file);
    const { code, stdout, stderr } = await run([file, '--all', '--filter', 'all', ...SAMPLING, '--seed', '3', ...model]);
    assert.equal(code, 0, stderr);
    const output = path.join(workspace, 'all.regenerated.jsonl');
    assert.match(stdout, /4 records selected \(--filter all\), 4 regenerated, 0 failed; \d+ candidates added/);
    assert.deepEqual(fs.readFileSync(file), input, 'the input is never changed');
    assert.equal(fs.existsSync(`${output}.journal`), false, 'a complete run leaves no journal');
    const written = fs.readFileSync(output, 'utf8').split('\n');
    assert.equal(written.length, lines.length);
    for (const i of [1, 5]) assert.equal(written[i], '');
    assert.ok(written[4]?.endsWith('\r'), 'a CRLF line ending stays');
    for (const i of [0, 2, 3, 4]) {
      assert.notEqual(written[i], lines[i]);
      assert.ok(alternativesOf(written[i] ?? '').length > 0, `line ${i + 1} has alternatives`);
    }
  });

  it('--all copies unselected and failing records unchanged, reports failures, and refuses a stale journal', async () => {
    const reviewed = applyOperation(String(llava[0]), { kind: 'setReviewStatus', line: 1, status: 'accepted' }, { at: 'now', reflectionPhrase: 'oops' }).text;
    const lines = [reviewed, String(llava[1]), '{"truncated": ', String(llava[2])];
    const file = dataset('mixed.jsonl', lines);
    const output = path.join(workspace, 'mixed.out.jsonl');
    const args = [file, '--all', '--filter', 'unreviewed', '--output', output, ...SAMPLING, '--seed', '3', ...model];
    const first = await run(args);
    assert.equal(first.code, 1, 'a record failed');
    assert.match(first.stderr, new RegExp(`${file.replace(/[.\\]/g, '\\$&')}:3: `));
    assert.match(first.stdout, /3 records selected \(--filter unreviewed\), 2 regenerated, 1 failed/);
    const written = fs.readFileSync(output, 'utf8').split('\n');
    assert.equal(written[0], lines[0], 'a reviewed record is not selected');
    assert.equal(written[2], lines[2], 'a failed record is copied as it was');
    assert.ok(alternativesOf(written[1] ?? '').length > 0);
    assert.ok(fs.existsSync(`${output}.journal`), 'the journal stays for the failed record');

    const again = await run(args);
    assert.equal(again.code, 1);
    assert.match(again.stdout, /2 regenerated \(2 by an earlier run\), 1 failed/);
    assert.equal(fs.readFileSync(output, 'utf8'), written.join('\n'));

    // Other image roots show the model other images: the journal is not resumed.
    const rooted = await run([...args, '--image-root', workspace]);
    assert.match(rooted.stderr, /it was written with other --image-root; starting over/);
    assert.match(rooted.stdout, /2 regenerated, 1 failed/);
    assert.equal((await run(args)).stderr.match(/starting over/)?.length, 1, 'and back without the root, the rooted journal is not resumed either');

    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(file, later, later);
    const changed = await run(args);
    assert.match(changed.stderr, /mixed\.jsonl changed since it was written \(size or modification time differ\); starting over/);
    assert.match(changed.stdout, /2 regenerated, 1 failed/);
  });

  it('--all resumes after a kill -9 and ends with the output an uninterrupted run writes', async () => {
    const lines = [...llava.slice(0, 4), ...llava.slice(0, 2)];
    const file = dataset('resume.jsonl', lines);
    const args = (output: string) => [file, '--all', '--output', output, ...SAMPLING, '--seed', '5', ...model];
    const whole = path.join(workspace, 'resume.whole.jsonl');
    const resumed = path.join(workspace, 'resume.resumed.jsonl');
    const journal = `${resumed}.journal`;

    const child: ChildProcess = spawn(process.execPath, [cli, 'regenerate', ...args(resumed)], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    while (!fs.existsSync(journal) || fs.readFileSync(journal, 'utf8').split('\n').length < 3) await sleep(20);
    child.kill('SIGKILL');
    await exited;
    assert.equal(fs.existsSync(resumed), false, 'killed before it finished');

    const [uninterrupted, rerun] = await Promise.all([run(args(whole)), run(args(resumed))]);
    assert.equal(rerun.code, uninterrupted.code, rerun.stderr);
    assert.match(rerun.stdout, /regenerated \(\d+ by an earlier run\)/);
    assert.equal(withoutTimes(fs.readFileSync(resumed, 'utf8')), withoutTimes(fs.readFileSync(whole, 'utf8')));
  });

  it('takes candidates from an OpenAI-compatible server with --endpoint', async () => {
    const engine = await LocalEngine.load(modelDir, { provider: 'cpu' });
    const server = await startServer({ backend: engine, modelName: 'bigram', apiKey: 'secret' });
    try {
      const file = path.join(workspace, 'llava_cot.jsonl');
      const args = [
        file,
        '--line',
        '2',
        ...SAMPLING,
        '--seed',
        '7',
        '--endpoint',
        server.url,
        '--endpoint-model',
        'bigram',
        '--api-key-env',
        'REGENERATE_TEST_KEY',
        '--json',
      ];
      const { code, stdout, stderr } = await run(args, { ...process.env, REGENERATE_TEST_KEY: 'secret' });
      assert.equal(code, 0, stderr);
      const result = JSON.parse(stdout) as RegenerateResult;
      assert.ok(result.candidates.length > 0);
      assert.equal(result.provenance.backend, `openai:${server.url} bigram`);
      assert.equal(result.candidates[0]?.provenance.model, 'bigram');
    } finally {
      await server.close();
      await engine.dispose();
    }
  });

  it('asks the judges with the prompts --judge-templates gives, as the editor does with cotStudio.judge.templates', async () => {
    const scripted = new ScriptedStepJudge();
    const judge = await startScriptedJudge(scripted);
    try {
      const templates = path.join(workspace, 'templates.json');
      fs.writeFileSync(
        templates,
        JSON.stringify({ step: 'House rules for {{ question }}\n\nNext step: {{ step }}\n\nIs the next step correct, neutral or incorrect?' }),
      );
      const file = path.join(workspace, 'llava_cot.jsonl');
      const search = (extra: string[]) =>
        run([...treeSearchOn(file, { iterations: 4, maxTokens: 60, seed: 3, judge: judge.url }), ...extra, ...model, '--json']);
      // Whether a chain survives the scripted judge does not matter here (exit 1 says none did): what it was asked does.
      const custom = await search(['--judge-templates', templates]);
      assert.ok(custom.code === 0 || custom.code === 1, custom.stderr);
      assert.ok(scripted.prompts.length > 0, 'the judge was asked');
      for (const prompt of scripted.prompts) assert.match(prompt, /^House rules for /);
      const asked = scripted.prompts.length;
      const plain = await search([]);
      assert.ok(plain.code === 0 || plain.code === 1, plain.stderr);
      assert.ok(scripted.prompts.length > asked);
      for (const prompt of scripted.prompts.slice(asked)) assert.match(prompt, /^Question: /, 'the default step prompt');

      fs.writeFileSync(templates, JSON.stringify({ stepp: 'x' }));
      const wrong = await search(['--judge-templates', templates]);
      assert.equal(wrong.code, 2);
      assert.match(wrong.stderr, /--judge-templates: .*templates\.json: .*stepp/);
    } finally {
      await judge.close();
    }
  });

  it('runs the tree search with --method mcts: the tree, its best path and provenance as JSON, reproducibly', async () => {
    const judge = await startScriptedJudge();
    try {
      const file = path.join(workspace, 'llava_cot.jsonl');
      const search = (seed: number) => run([...treeSearchOn(file, { iterations: 8, maxTokens: 120, seed, judge: judge.url }), ...model, '--json']);
      let found: Run | undefined;
      // The bigram model with a judge that calls every step with a digit wrong: some seeds keep no chain.
      for (let seed = 1; seed <= 5 && found?.code !== 0; seed++) found = await search(seed);
      assert.equal(found?.code, 0, found?.stderr);
      const result = JSON.parse(found.stdout) as RegenerateResult;
      assert.equal(result.provenance.method, 'mcts');
      assert.equal(result.iterations, 8, 'no ground truth: the whole budget is spent');
      assert.ok(result.tree && result.bestPath);
      for (const node of result.tree.nodes) {
        assert.deepEqual(Object.keys(node).sort(), ['correct', 'id', 'parent', 'score', 'scores', 'terminal', 'text', 'value', 'visits']);
        if (node.parent !== null) assert.doesNotMatch(node.text, /\d/, 'a step the judge called wrong was cut');
      }
      for (const [i, id] of result.bestPath.entries()) assert.equal(result.tree.nodes[id]?.parent ?? null, i === 0 ? null : result.bestPath[i - 1]);
      assert.ok(result.candidates.length > 0);
      assert.equal(result.candidates[0]?.provenance.method, 'mcts');
      assert.equal(result.candidates[0]?.provenance.parameters?.iterations, 8);
      const again = await search(result.provenance.seed);
      assert.equal(withoutTimes(again.stdout), withoutTimes(found.stdout), 'the same seed grows the same tree');

      const many = dataset('search.jsonl', [llava[1] as string, llava[2] as string]);
      const output = path.join(workspace, 'search.out.jsonl');
      const all = await run([
        many,
        '--all',
        '--segment',
        '2',
        '--method',
        'mcts',
        '--iterations',
        '4',
        '--max-tokens',
        '80',
        '--seed',
        '2',
        ...model,
        '--output',
        output,
        '--json',
      ]);
      assert.ok(all.code === 0 || all.code === 1, all.stderr);
      const summary = JSON.parse(all.stdout) as { regenerated: number; failed: number };
      assert.equal(summary.regenerated + summary.failed, 2);
      const written = fs.readFileSync(output, 'utf8').split('\n');
      assert.equal(written.length, 2);
      for (const line of written) {
        const added = alternativesOf(line);
        for (const alternative of added) assert.equal(alternative.provenance.method, 'mcts');
      }
    } finally {
      await judge.close();
    }
  });

  it('exits 2 naming the option on bad usage', async () => {
    const file = path.join(workspace, 'llava_cot.jsonl');
    const cases: Array<[string[], RegExp]> = [
      [[file, '--line', '2', '--segment', '2', '--model', modelDir, '--endpoint', 'http://127.0.0.1:1/v1'], /--model and --endpoint are mutually exclusive/],
      [[file, '--segment', '2', ...model], /--line N is required/],
      [[file, '--line', '2', '--segment', '2', '--candidates', 'many', ...model], /--candidates: /],
      [[file, '--line', '2', '--segment', '2', '--temperature', '5', ...model], /--temperature: /],
      [[file, '--line', '99', '--segment', '2', ...model], /--line: .* has no record on line 99/],
      [[file, '--line', '2', '--segment', '2', '--output', 'x.jsonl', ...model], /--output needs --all/],
      [[file, '--all', '--segment', '2', '--output', file, ...model], /is the input .*; write the output to another file/],
      [[file, '--line', '2', '--segment', '2', '--endpoint', 'http://127.0.0.1:1/v1'], /--endpoint-model NAME is required/],
      [
        [file, '--line', '2', '--segment', '2', '--endpoint', 'http://127.0.0.1:1/v1', '--endpoint-model', 'm', '--provider', 'cuda'],
        /--provider is for a local model/,
      ],
      [[file, '--line', '2', '--segment', '2', '--iterations', '8', ...model], /--iterations and --samples need --method mcts/],
      [[file, '--line', '2', '--segment', '2', '--method', 'mcts', '--rest', ...model], /--rest is for beam search/],
      [
        [file, '--line', '2', '--segment', '2', '--method', 'mcts', '--judge-endpoint', 'http://127.0.0.1:1/v1', ...model],
        /one --judge-model NAME per --judge-endpoint/,
      ],
      [[file, '--line', '2', '--segment', '2', '--method', 'tree', ...model], /--method: /],
      [[file, '--line', '2', '--segment', '2', '--method', 'mcts', '--answer-check', 'vibes', ...model], /--answer-check: /],
      [[file, '--line', '2', '--segment', '2', '--answer-check', 'judge', ...model], /--answer-check needs --method mcts/],
    ];
    const runs = await Promise.all(cases.map(([args]) => run(args)));
    runs.forEach((result, i) => {
      assert.equal(result.code, 2, `case ${i}: ${result.stderr}`);
      assert.match(result.stderr, cases[i]?.[1] ?? /never/);
    });
  });
});
