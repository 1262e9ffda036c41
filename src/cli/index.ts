// `cot-studio`: the product's headless entry point, for batch work outside the editor.
import { version } from '../../package.json';
import { bench } from './bench';
import { convert } from './convert';
import { exportCommand } from './export';
import { generate } from './generate';
import { makeTestModelCommand } from './makeTestModel';
import { agreement } from './agreement';
import { mcScore } from './mcScore';
import { mergeDriver } from './mergeDriver';
import { mergeAnnotators } from './mergeAnnotators';
import { pairs } from './pairs';
import { prelabel } from './prelabel';
import { regenerate } from './regenerate';
import { reward } from './reward';
import { rewards } from './rewards';
import { serve } from './serve';
import { split } from './split';
import { stats } from './stats';
import { status } from './status';
import { TargetError } from '../files/writeTarget';
import { type CommandName, commandUsage, USAGE, UsageError } from './usage';
import { validate } from './validate';
import { exitAfterOutput, printErr, printOut } from './terminal';
import { errorMessage } from '../errors/message';

const COMMANDS: Record<CommandName, (args: string[]) => Promise<number>> = {
  validate,
  stats,
  export: exportCommand,
  status,
  bench,
  generate,
  serve,
  'make-test-model': makeTestModelCommand,
  reward,
  rewards,
  regenerate,
  'mc-score': mcScore,
  prelabel,
  agreement,
  split,
  merge: mergeAnnotators,
  'merge-driver': mergeDriver,
  pairs,
  convert,
};

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === 'help') {
    printOut(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version') {
    printOut(`${version}\n`);
    return 0;
  }
  if (!isCommand(command)) throw new UsageError(`unknown command '${command}'`);
  // Options after `--` are arguments, not a request for help.
  const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (options.includes('--help') || options.includes('-h')) {
    printOut(`${commandUsage(command)}\n`);
    return 0;
  }
  return COMMANDS[command](rest);
}

main(process.argv.slice(2)).then(
  (code) => exitAfterOutput(code),
  (error: unknown) => {
    // An output that must not be written (the input, a folder, a FIFO) is a mistake in the command line.
    const usage =
      error instanceof UsageError ||
      error instanceof TargetError ||
      (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
    printErr(`cot-studio: ${errorMessage(error)}\n`);
    if (usage) printErr(`Run 'cot-studio --help' for usage.\n`);
    exitAfterOutput(usage ? 2 : 1);
  },
);
