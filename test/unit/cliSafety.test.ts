// What the command line does with inputs and outputs that are not plain files, outputs that are its input,
// registry files it cannot keep, and data that would drive the terminal.
import * as assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { terminalSafe } from '../../src/cli/terminal';
import { makeTestModel } from '../../src/testModel';
import { cliPath, runCli } from '../harness/cli';
import { datasetsDir } from '../harness/fixtures';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-cli-safety-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const mmpr = path.join(datasetsDir, 'mmpr.jsonl');
const copy = (name: string): string => {
  const file = path.join(dir, name);
  fs.copyFileSync(mmpr, file);
  return file;
};

/** Runs the CLI with `input` on its standard input. */
function withInput(input: Buffer, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [cliPath, ...args], { cwd: datasetsDir }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

describe('inputs that are not regular files', () => {
  it('refuses a FIFO, a folder and a device by name with exit 2 instead of waiting or reading nothing', async () => {
    const fifo = path.join(dir, 'input.fifo');
    execFileSync('mkfifo', [fifo]);
    for (const command of ['validate', 'stats', 'rewards', 'export']) {
      const extra = command === 'export' ? ['--format', 'trl-sft', '-o', path.join(dir, 'out.jsonl')] : [];
      const fromFifo = await runCli(command, fifo, ...extra);
      assert.equal(fromFifo.code, 2, `${command} FIFO: ${fromFifo.stderr}`);
      assert.match(fromFifo.stderr, /input\.fifo is not a regular file \(a FIFO, a device or a socket\); pass its content on standard input as - instead/);
      const fromFolder = await runCli(command, dir, ...extra);
      assert.equal(fromFolder.code, 2, `${command} folder`);
      assert.match(fromFolder.stderr, /is a folder; give a JSONL file/);
    }
    assert.equal((await runCli('stats', '/dev/null')).code, 2, 'a device');
  });

  it('reads - as standard input, to the same counts as the file, through a copy it leaves nowhere', async () => {
    const copies = () =>
      fs
        .readdirSync(os.tmpdir())
        .filter((name) => name.startsWith('cot-studio-input-'))
        .sort();
    const before = copies();
    const bytes = fs.readFileSync(path.join(datasetsDir, 'llava_cot.jsonl'));
    const byName = await runCli('stats', path.join(datasetsDir, 'llava_cot.jsonl'), '--json');
    const piped = await withInput(bytes, 'stats', '-', '--json');
    assert.equal(piped.code, byName.code);
    const { file: _named, ...named } = JSON.parse(byName.stdout) as Record<string, unknown>;
    const { file: _piped, ...fromPipe } = JSON.parse(piped.stdout) as Record<string, unknown>;
    assert.deepEqual(fromPipe, named);
    const validated = await withInput(bytes, 'validate', '-');
    assert.match(validated.stdout, /^-:8:\d+: error \[stage-grammar\]/m);
    assert.match(validated.stdout, /10 records: 2 errors/);
    assert.deepEqual(copies(), before, 'the copies of standard input are removed');
    const regenerate = await withInput(
      bytes,
      'regenerate',
      '-',
      '--line',
      '1',
      '--segment',
      '0',
      '--write',
      '--endpoint',
      'http://127.0.0.1:1/v1',
      '--endpoint-model',
      'm',
    );
    assert.equal(regenerate.code, 2);
    assert.match(regenerate.stderr, /--write and --all need a FILE, not standard input/);
  });
});

describe('export outputs', () => {
  it('refuses to write over its input, by any path that reaches it, and leaves it alone', async () => {
    const input = copy('same.jsonl');
    fs.symlinkSync(input, path.join(dir, 'same-link.jsonl'));
    const before = fs.readFileSync(input);
    for (const output of [input, path.join(dir, '..', path.basename(dir), 'same.jsonl'), path.join(dir, 'same-link.jsonl')]) {
      const run = await runCli('export', input, '--format', 'mmpr', '-o', output, '--force');
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /is the input .*same\.jsonl; write the output to another file/);
    }
    assert.ok(fs.readFileSync(input).equals(before));
  });

  it('refuses to replace a FIFO or a symbolic link unless --force, and then writes a regular file', async () => {
    const input = copy('for-special.jsonl');
    const fifo = path.join(dir, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    const theirs = path.join(dir, 'theirs.jsonl');
    fs.writeFileSync(theirs, 'not ours\n');
    const link = path.join(dir, 'out-link.jsonl');
    fs.symlinkSync(theirs, link);
    for (const output of [fifo, link]) {
      const refused = await runCli('export', input, '--format', 'trl-dpo', '-o', output);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /(a FIFO \(named pipe\)|a symbolic link to .*theirs\.jsonl); not replaced \(--force replaces/);
      // The copy's images are where the fixture's are: an export never names an image it cannot find.
      const forced = await runCli('export', input, '--format', 'trl-dpo', '-o', output, '--force', '--image-root', datasetsDir);
      assert.equal(forced.code, 0, forced.stderr);
      assert.ok(fs.lstatSync(output).isFile());
    }
    assert.equal(fs.readFileSync(theirs, 'utf8'), 'not ours\n', 'the link was replaced, not its file written');
  });

  it('stops, naming the file, when a registry beside the output cannot be read, and keeps the old output', async () => {
    const folder = fs.mkdtempSync(path.join(dir, 'registry-'));
    fs.mkdirSync(path.join(folder, 'meta.json'));
    const output = path.join(folder, 'mpo.jsonl');
    fs.writeFileSync(output, 'old\n');
    const run = await runCli('export', mmpr, '--format', 'mmpr', '-o', output);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /cannot read .*meta\.json: it is a folder \(EISDIR\); it holds other datasets' entries, so nothing was exported/);
    assert.equal(fs.readFileSync(output, 'utf8'), 'old\n');
  });

  it('pairs checks its output before it samples anything', async () => {
    const run = await runCli(
      'pairs',
      mmpr,
      '--format',
      'mmpr',
      '-o',
      path.join(dir, 'missing', 'pairs.jsonl'),
      '--endpoint',
      'http://127.0.0.1:1/v1',
      '--endpoint-model',
      'm',
    );
    assert.equal(run.code, 2);
    assert.match(run.stderr, /the folder .*missing does not exist/);
    assert.doesNotMatch(run.stderr, /\[1\//, 'no record was sampled');
  });
});

describe('terminal output', () => {
  it('escapes control characters and bidirectional overrides, and keeps JSON output the same JSON', async () => {
    assert.equal(terminalSafe('a\u001b[2Jb\tc\nd\u009b\u202e\u0007'), 'a\\u001b[2Jb\tc\nd\\u009b\\u202e\\u0007');
    const value = { text: 'x\u0085y\u2066z' };
    assert.deepEqual(JSON.parse(terminalSafe(JSON.stringify(value))), value);
    const file = path.join(dir, 'escapes.jsonl');
    // An unparseable line whose text the message quotes, and a key the unknown-format message names.
    fs.writeFileSync(file, `\u001b]0;owned\u0007{"x": 1}\n{"\\u001b[2J": 1}\n`);
    const run = await runCli('validate', file);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /escapes\.jsonl:1:.*\\u001b\]0;owned\\u0007/);
    assert.match(run.stdout, /escapes\.jsonl:2:.*found keys \\u001b\[2J/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what must not appear.
    assert.doesNotMatch(run.stdout + run.stderr, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, 'no control character reaches the terminal');
  });
});

describe('a record far longer than the model reads', () => {
  it('fails at once naming its size, before the prompt is rendered or tokenised', async () => {
    const model = path.join(dir, 'model');
    makeTestModel(model, { kind: 'random', layers: 1, hidden: 32, heads: 4, vocab: 320, maxPositions: 512 });
    const question = `<image>What is shown? ${'lorem ipsum dolor sit amet '.repeat(1_000_000)}`;
    const response = '<SUMMARY>s</SUMMARY><CAPTION>c</CAPTION><REASONING>r</REASONING><CONCLUSION>c</CONCLUSION>';
    const file = path.join(dir, 'huge.jsonl');
    fs.writeFileSync(
      file,
      `${JSON.stringify({
        conversations: [
          { from: 'human', value: question },
          { from: 'gpt', value: response },
        ],
      })}\n`,
    );
    const run = await runCli('regenerate', file, '--line', '1', '--segment', '2', '--rank', 'logprob', '--model', model, '--provider', 'cpu');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /huge\.jsonl:1: the prompt is 2\d{7} bytes, more than .*'s context of 512 tokens can hold/);
  });
});

describe('exit codes', () => {
  it('stats on a folder is a usage error; rewards with an unreadable line is an error in the data', async () => {
    assert.equal((await runCli('stats', dir)).code, 2);
    const file = path.join(dir, 'unreadable.jsonl');
    fs.writeFileSync(file, `${fs.readFileSync(mmpr, 'utf8').split('\n')[0]}\n{"cut": \n`);
    assert.equal((await runCli('rewards', file)).code, 1);
  });
});
