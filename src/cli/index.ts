// `cot-studio`: the product's headless entry point, for batch work outside the editor.
import { parseArgs } from 'node:util';
import { version } from '../../package.json';
import { readEngineStatus } from '../engine/status';
import { formatEngineStatus } from '../modelStatus/format';

const USAGE = `Usage: cot-studio <command> [options]

Commands:
  status [--json]   load onnxruntime-node and try each execution provider (CUDA, WebGPU, CPU)

Options:
  --help            show this help
  --version         print the version

Exit codes: 0 ok, 1 the data or the environment has errors, 2 bad usage.`;

class UsageError extends Error {}

async function status(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, strict: true });
  const result = await readEngineStatus();
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatEngineStatus(result).join('\n')}\n`);
  return result.providers.some((provider) => provider.ok) ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    case '--version':
      process.stdout.write(`${version}\n`);
      return 0;
    case 'status':
      return status(rest);
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const usage = error instanceof UsageError || (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
    process.stderr.write(`cot-studio: ${error instanceof Error ? error.message : String(error)}\n`);
    if (usage) process.stderr.write(`Run 'cot-studio --help' for usage.\n`);
    process.exit(usage ? 2 : 1);
  },
);
