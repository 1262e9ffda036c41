// Every command that writes files, run out of disk space at each point its output could stop, killed at random
// moments, and run twice at once: each ends with the old or the complete new file and a clear error, never a
// success with less data.
import * as assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readRecordState } from '../../src/dataset/operations';
import { seededRandom } from '../../src/random';
import { makeTestModel } from '../../src/testModel';
import { cliPath } from '../harness/cli';
import { datasetsDir } from '../harness/fixtures';
import { hashFile, writeLargeDataset } from '../harness/largeDataset';
import { bundleScript } from '../harness/scriptBundle';
import { leftoverTemporaries, mountSmallDisk, PAGE, type SmallDisk, smallDiskUnavailable } from '../harness/smallDisk';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, ...args], { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** Times differ between runs; everything else must not. */
const withoutTimes = (text: string): string => text.replace(/"(createdAt|at)":"[^"]*"/g, '"$1":"T"');

const llava = fs.readFileSync(path.join(datasetsDir, 'llava_cot.jsonl'));
/** The LLaVA-CoT sample `times` over: records with images, in a file of several pages. */
const llavaTimes = (times: number): Buffer =>
  Buffer.concat(Array.from({ length: times }, () => (llava.at(-1) === 0x0a ? llava : Buffer.concat([llava, Buffer.from('\n')]))));

/** Sampling that the bigram model ends at `</REASONING>` for the records these tests pick, with these seeds. */
const BEAM = ['--segment', '2', '--rank', 'logprob', '--candidates', '8', '--temperature', '0.3', '--max-tokens', '120', '--provider', 'cpu'];

let model: string;
let modelRoot: string;

before(() => {
  modelRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-faults-model-'));
  model = path.join(modelRoot, 'model');
  makeTestModel(model, { kind: 'bigram', corpus: ['llava_cot.jsonl', 'mulberry.jsonl'].map((name) => path.join(datasetsDir, name)), hidden: 256, vocab: 700 });
});

after(() => fs.rmSync(modelRoot, { recursive: true, force: true }));

/** One command that writes: the files it starts from, its arguments, and the files it writes. */
interface Writer {
  files: Record<string, Buffer>;
  args: string[];
  outputs: string[];
  /** A run that failed leaves a journal to resume from: a run with space must then finish the same output. */
  resumes?: boolean;
}

function setUp(dir: string, writer: Writer): void {
  for (const name of fs.readdirSync(dir)) if (name !== 'images' && name !== '.filler') fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  for (const [name, content] of Object.entries(writer.files)) fs.writeFileSync(path.join(dir, name), content);
}

const read = (dir: string, name: string): string | undefined =>
  fs.existsSync(path.join(dir, name)) ? withoutTimes(fs.readFileSync(path.join(dir, name), 'utf8')) : undefined;

describe('every write path on a disk that fills', { skip: smallDiskUnavailable() }, () => {
  let disk: SmallDisk;

  before(() => {
    disk = mountSmallDisk(4 * 1024 * 1024);
    fs.cpSync(path.join(datasetsDir, 'images'), path.join(disk.dir, 'images'), { recursive: true });
  });

  after(() => disk.unmount());

  /**
   * Runs the writer with room to find what it writes, then again with every amount of free space from none to
   * just enough (every `stride` pages), and checks each run ends with each output old or complete, and fails
   * naming the full disk whenever an output is not the new one.
   */
  async function sweep(writer: Writer, stride = 1): Promise<void> {
    setUp(disk.dir, writer);
    const roomy = await cli(writer.args, disk.dir);
    assert.equal(roomy.code, 0, `with room to write: ${roomy.stderr}`);
    const written = new Map(writer.outputs.map((name) => [name, read(disk.dir, name)]));
    const pages = writer.outputs.reduce((sum, name) => sum + Math.ceil(Buffer.byteLength(written.get(name) ?? '') / PAGE), 0);
    let failures = 0;
    for (let free = 0; free <= pages + 1; free += free >= pages - 1 ? 1 : stride) {
      setUp(disk.dir, writer);
      disk.leaveFree(free);
      const run = await cli(writer.args, disk.dir);
      disk.drain();
      const at = `${writer.args.slice(0, 2).join(' ')} with ${free} of ${pages} pages free`;
      for (const name of writer.outputs) {
        const now = read(disk.dir, name);
        const old = writer.files[name]?.toString('utf8');
        if (run.code === 0) assert.equal(now, written.get(name), `${at}: a run that succeeds writes all of ${name}`);
        else assert.ok(now === old || now === written.get(name), `${at}: ${name} is the old or the complete new file`);
      }
      assert.deepEqual(leftoverTemporaries(disk.dir), [], `${at}: no temporary file stays`);
      if (run.code === 0) continue;
      failures++;
      assert.equal(run.code, 1, `${at}: ${run.stderr}`);
      assert.match(run.stderr, /the disk is full \(ENOSPC\)/, at);
      assert.doesNotMatch(run.stderr, /\.tmp\b/, `${at}: errors name the target, not a temporary file`);
      if (writer.resumes) {
        const again = await cli(writer.args, disk.dir);
        assert.equal(again.code, 0, `${at}, run again with room: ${again.stderr}`);
        for (const name of writer.outputs)
          assert.equal(read(disk.dir, name), written.get(name), `${at}, run again with room: ${name} is what an uninterrupted run writes`);
      }
    }
    assert.ok(failures > 0, 'some runs ran out of space');
  }

  it('export with a registry beside it: LLaMA-Factory and dataset_info.json, over several 64 KiB chunks', async () => {
    const others = Buffer.from(`${JSON.stringify({ other: { file_name: 'other.json' } }, null, 2)}\n`);
    await sweep(
      {
        files: { 'data.jsonl': llavaTimes(40), 'sft.json': Buffer.from('old export\n'), 'dataset_info.json': others },
        args: ['export', 'data.jsonl', '--format', 'llamafactory-sharegpt', '-o', 'sft.json'],
        outputs: ['sft.json', 'dataset_info.json'],
      },
      4,
    );
  });

  it('export as MMPR with meta.json', async () => {
    await sweep({
      files: { 'pairs.jsonl': fs.readFileSync(path.join(datasetsDir, 'mmpr.jsonl')) },
      args: ['export', 'pairs.jsonl', '--format', 'mmpr', '-o', 'mpo.jsonl'],
      outputs: ['mpo.jsonl', 'meta.json'],
    });
  });

  it('regenerate --write, in place', async () => {
    await sweep({
      files: { 'data.jsonl': llavaTimes(3) },
      args: ['regenerate', 'data.jsonl', '--line', '2', '--seed', '7', '--write', ...BEAM, '--model', model],
      outputs: ['data.jsonl'],
    });
  });

  it('regenerate --all, its output and its journal', async () => {
    await sweep({
      files: { 'data.jsonl': llavaTimes(1) },
      args: ['regenerate', 'data.jsonl', '--all', '--filter', 'failing', '--seed', '1', '--output', 'out.jsonl', ...BEAM, '--model', model],
      outputs: ['out.jsonl'],
      resumes: true,
    });
  });

  it('pairs', async () => {
    await sweep({
      files: { 'data.jsonl': llavaTimes(1) },
      args: [
        'pairs',
        'data.jsonl',
        '--format',
        'trl-dpo',
        '-o',
        'pairs.jsonl',
        '--samples',
        '2',
        '--without-image',
        '--lines',
        '1-4',
        '--seed',
        '1',
        '--provider',
        'cpu',
        '--model',
        model,
      ],
      outputs: ['pairs.jsonl'],
    });
  });
});

describe('writes killed at random moments', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-kill-'));
    fs.cpSync(path.join(datasetsDir, 'images'), path.join(dir, 'images'), { recursive: true });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function started(args: string[]): { child: ChildProcess; ended: Promise<number | null> } {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd: dir, stdio: 'ignore' });
    return { child, ended: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  }

  /** Waits until the run's temporary file appears (its write has begun), or the run ends. */
  async function writing(ended: Promise<number | null>): Promise<void> {
    let done = false;
    void ended.then(() => (done = true));
    while (!done && leftoverTemporaries(dir).length === 0) await new Promise((resolve) => setImmediate(resolve));
  }

  it('leaves the old or the complete new file, and the next run removes what the killed one left', async () => {
    const random = seededRandom(12);
    const cases: Array<{ args: string[]; output: string; files: Record<string, Buffer> }> = [
      {
        args: ['export', 'big.jsonl', '--format', 'trl-sft', '-o', 'out.jsonl'],
        output: 'out.jsonl',
        files: { 'big.jsonl': llavaTimes(1500), 'out.jsonl': Buffer.from('old\n') },
      },
      {
        args: ['regenerate', 'big.jsonl', '--line', '2', '--seed', '7', '--write', ...BEAM, '--model', model],
        output: 'big.jsonl',
        files: { 'big.jsonl': llavaTimes(1500) },
      },
      // Killed at any point, a rerun resumes from the journal to what an uninterrupted run writes.
      {
        args: ['regenerate', 'data.jsonl', '--all', '--filter', 'failing', '--seed', '1', '--output', 'all.jsonl', ...BEAM, '--model', model],
        output: 'all.jsonl',
        files: { 'data.jsonl': llavaTimes(1) },
      },
      {
        args: [
          'pairs',
          'data.jsonl',
          '--format',
          'mmpr',
          '-o',
          'pairs.jsonl',
          '--samples',
          '2',
          '--without-image',
          '--lines',
          '1-4',
          '--seed',
          '1',
          '--provider',
          'cpu',
          '--model',
          model,
        ],
        output: 'pairs.jsonl',
        files: { 'data.jsonl': llavaTimes(1), 'pairs.jsonl': Buffer.from('old\n') },
      },
    ];
    const reset = (files: Record<string, Buffer>, output: string): void => {
      fs.rmSync(path.join(dir, `${output}.journal`), { force: true });
      if (files[output] === undefined) fs.rmSync(path.join(dir, output), { force: true });
      for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
    };
    for (const { args, output, files } of cases) {
      const old = files[output]?.toString('utf8');
      reset(files, output);
      const whole = Date.now();
      assert.equal(await started(args).ended, 0);
      const duration = Date.now() - whole;
      const complete = read(dir, output);
      assert.notEqual(complete, old);
      let killedMidWrite = 0;
      for (let round = 0; round < 8; round++) {
        reset(files, output);
        const run = started(args);
        // Half the kills land anywhere in the run, half the moment its write has begun.
        if (round % 2 === 0) await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * duration)));
        else await writing(run.ended);
        run.child.kill('SIGKILL');
        await run.ended;
        const now = read(dir, output);
        assert.ok(now === old || now === complete, `${args[0]}, kill ${round + 1}: ${output} is the old or the complete new file`);
        if (leftoverTemporaries(dir).length > 0) killedMidWrite++;
        // The next write into the folder removes the killed run's temporary file, and writes the same result.
        assert.equal(await started(args).ended, 0);
        assert.deepEqual(leftoverTemporaries(dir), [], 'no temporary file of a killed run stays after the next');
        assert.equal(read(dir, output), complete);
      }
      // A small output is written in a moment a kill may miss; a file of megabytes takes long enough to hit.
      if (Object.values(files).some((content) => content.length > 1_000_000))
        assert.ok(killedMidWrite > 0, `${args[0]}: some kills landed while the output was being written`);
    }
  });
});

describe('a save of a dataset read by handle, killed while it writes', () => {
  let dir: string;
  let saver: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-killed-save-'));
    saver = bundleScript('savingProcess');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const save = (file: string): { child: ChildProcess; ended: Promise<number | null> } => {
    const child = spawn(process.execPath, [saver, file, '2'], { stdio: 'ignore' });
    return { child, ended: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  };

  /** Waits until the save's temporary file holds `bytes` bytes; resolves false when the save ended first. */
  async function written(bytes: number, ended: Promise<number | null>): Promise<boolean> {
    let done = false;
    void ended.then(() => (done = true));
    while (!done) {
      const temporary = leftoverTemporaries(dir)[0];
      if (temporary !== undefined && (fs.statSync(path.join(dir, temporary), { throwIfNoEntry: false })?.size ?? 0) >= bytes) return true;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return false;
  }

  it('leaves the old or the new file at every point of a 200 MB write, and the next save removes the temporary', async () => {
    const file = path.join(dir, 'data.jsonl');
    const original = path.join(dir, 'original.jsonl');
    const { byteLength } = writeLargeDataset(original, 200 * 1024 * 1024);
    const oldHash = await hashFile(original);
    fs.copyFileSync(original, file);
    assert.equal(await save(file).ended, 0);
    const newHash = await hashFile(file);
    assert.notEqual(newHash, oldHash);
    const outcomes = { old: 0, new: 0, midWrite: 0 };
    // Killed the moment the temporary file appears, a quarter, half and nine tenths into it, and once it is whole.
    for (const fraction of [0, 0.25, 0.5, 0.9, 1]) {
      fs.copyFileSync(original, file);
      const run = save(file);
      const reached = await written(Math.max(1, Math.floor(byteLength * fraction)), run.ended);
      run.child.kill('SIGKILL');
      await run.ended;
      const now = await hashFile(file);
      assert.ok(now === oldHash || now === newHash, `killed at ${fraction * 100}% of the write: the file is the old or the new one`);
      outcomes[now === oldHash ? 'old' : 'new']++;
      if (reached && fraction < 1) {
        assert.equal(now, oldHash, `killed at ${fraction * 100}% of the write: the file is the old one`);
        assert.equal(leftoverTemporaries(dir).length, 1, 'the killed save left its temporary file');
        outcomes.midWrite++;
      }
      // The next save removes the killed one's temporary file and lock, and writes the same new file.
      assert.equal(await save(file).ended, 0);
      assert.deepEqual(leftoverTemporaries(dir), [], 'no temporary file of a killed save stays after the next');
      assert.equal(await hashFile(file), newHash);
    }
    assert.ok(outcomes.midWrite >= 3, `the kills landed while the file was written: ${JSON.stringify(outcomes)}`);
  });
});

describe('two writers of one file at once', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-concurrent-'));
    fs.cpSync(path.join(datasetsDir, 'images'), path.join(dir, 'images'), { recursive: true });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const alternatives = (file: string, line: number): number =>
    readRecordState(fs.readFileSync(file, 'utf8').split('\n')[line - 1] ?? '').annotations.segments['2']?.alternatives.length ?? 0;

  it('regenerate --write on two lines: both keep their alternatives', async () => {
    const file = path.join(dir, 'data.jsonl');
    fs.writeFileSync(file, llavaTimes(1));
    const [first, second] = await Promise.all(
      [2, 3].map((line) => cli(['regenerate', 'data.jsonl', '--line', String(line), '--seed', '7', '--write', ...BEAM, '--model', model], dir)),
    );
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    assert.ok(alternatives(file, 2) > 0 && alternatives(file, 3) > 0, 'neither run lost the other one’s work');
  });

  it('regenerate --write on one line: one writes, the other says the line changed and writes nothing', async () => {
    const file = path.join(dir, 'data.jsonl');
    fs.writeFileSync(file, llavaTimes(1));
    const runs = await Promise.all(
      [7, 8].map((seed) => cli(['regenerate', 'data.jsonl', '--line', '2', '--seed', String(seed), '--write', ...BEAM, '--model', model], dir)),
    );
    assert.deepEqual(runs.map((run) => run.code).sort(), [0, 1], runs.map((run) => run.stderr).join('\n'));
    assert.match(runs.find((run) => run.code === 1)?.stderr ?? '', /data\.jsonl:2: the line changed while the command ran; not written/);
    const written = runs.find((run) => run.code === 0);
    assert.match(written?.stdout ?? '', new RegExp(`added ${alternatives(file, 2)} alternatives`), 'the file holds the alternatives of the run that wrote');
  });

  it('regenerate --all into one output: the second run stops at once, naming the first, before loading a model', async () => {
    fs.writeFileSync(path.join(dir, 'data.jsonl'), llavaTimes(1));
    const args = ['regenerate', 'data.jsonl', '--all', '--filter', 'all', '--seed', '1', '--output', 'out.jsonl', ...BEAM, '--model', model];
    const first = cli(args, dir);
    const lock = path.join(dir, '.out.jsonl.cot-studio.lock');
    for (let tries = 0; !fs.existsSync(lock) && tries < 500; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
    // The first run takes its lock before it loads the model and keeps it for ten records: seconds.
    const second = await cli(args, dir);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /out\.jsonl is being written by cot-studio regenerate --all \(pid \d+/);
    const firstRun = await first;
    assert.doesNotMatch(firstRun.stderr, /is being written/);
    assert.match(firstRun.stdout, /10 records selected/);
    assert.ok(!fs.existsSync(lock), 'the lock is gone once the first run ends');
  });

  it('exports into one folder at once keep both entries of dataset_info.json', async () => {
    fs.writeFileSync(path.join(dir, 'data.jsonl'), llavaTimes(20));
    const runs = await Promise.all(
      ['a', 'b', 'c'].map((name) => cli(['export', 'data.jsonl', '--format', 'llamafactory-sharegpt', '-o', `${name}.json`], dir)),
    );
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(Object.keys(JSON.parse(fs.readFileSync(path.join(dir, 'dataset_info.json'), 'utf8')) as object).sort(), ['a', 'b', 'c']);
  });
});
