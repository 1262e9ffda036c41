import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMAND_USAGE, type CommandName, USAGE } from '../../src/cli/usage';
import { runCli } from '../harness/cli';

const COMMANDS = Object.keys(COMMAND_USAGE) as CommandName[];

describe('cot-studio COMMAND --help', () => {
  for (const command of COMMANDS) {
    it(`${command} --help and -h print its own usage and exit 0`, async () => {
      for (const flag of ['--help', '-h']) {
        const { code, stdout, stderr } = await runCli(command, flag);
        assert.equal(code, 0, stderr);
        assert.equal(stderr, '');
        assert.ok(stdout.startsWith(`Usage:\n  cot-studio ${command} `) || stdout.startsWith(`Usage:\n  cot-studio ${command}\n`), stdout.slice(0, 80));
        // Every line of the command's section, each form named in full, and no other command's.
        for (const line of COMMAND_USAGE[command].split('\n')) assert.ok(stdout.includes(line.replace(/^ {2}(?=\S)/, '  cot-studio ')), `${command}: ${line}`);
        for (const other of COMMANDS.filter((name) => name !== command))
          assert.ok(!stdout.includes(`  cot-studio ${other} `), `${command} --help shows ${other}`);
        assert.match(stdout, /Exit codes: 0 ok, 1 the data or the environment has errors, 2 bad usage\.\n$/);
        assert.equal(
          stdout.includes('--engine-deadline S'),
          COMMAND_USAGE[command].includes('--model DIR'),
          'the engine note goes with the commands that load a model',
        );
      }
    });
  }

  it('wins over the other arguments, but not after --', async () => {
    const help = await runCli('export', 'missing.jsonl', '--format', 'csv', '--help');
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage:\n {2}cot-studio export FILE --format F -o OUT/);
    const argument = await runCli('reward', 'format-think-answer', '--output', '<think>a</think><answer>b</answer>', '--', '--help');
    assert.notEqual(argument.stdout.slice(0, 6), 'Usage:');
  });

  it('the full usage lists every command section, in one piece with them', async () => {
    for (const section of Object.values(COMMAND_USAGE)) assert.ok(USAGE.includes(section));
    const { code, stdout } = await runCli('--help');
    assert.equal(code, 0);
    assert.equal(stdout, `${USAGE}\n`);
  });
});
