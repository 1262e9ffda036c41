import { parseArgs } from 'node:util';
import { readEngineStatus } from '../engine/status';
import { formatEngineStatus } from '../engineClient/statusReport';
import { printOut } from './terminal';

/** `cot-studio status [--json]`: the execution providers that work on this machine. */
export async function status(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, strict: true });
  const result = await readEngineStatus();
  printOut(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatEngineStatus(result).join('\n')}\n`);
  return result.providers.some((provider) => provider.ok) ? 0 : 1;
}
