import { parseArgs } from 'node:util';
import { keyStepsJsonSchema, REWARDS, type RewardInput, rewardNameSchema } from '../rewards';
import { UsageError } from './usage';
import { printOut } from './terminal';
import { errorMessage } from '../errors/message';

/** Float noise off (`0.7500000000000001` prints `0.75`), every meaningful digit kept. */
const SIGNIFICANT_DIGITS = 12;

function readKeySteps(json: string): string[][] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new UsageError(`--key-steps: not valid JSON: ${errorMessage(error)}`);
  }
  const parsed = keyStepsJsonSchema.safeParse(value);
  if (!parsed.success) throw new UsageError('--key-steps: expected {"Steps": [...]} or a list, each step a string or a list of alternative strings');
  return parsed.data;
}

/** `cot-studio reward NAME --output TEXT [--gt TEXT] [--key-steps JSON]`: one reward of one output, printed as a number. */
export async function reward(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { output: { type: 'string' }, gt: { type: 'string' }, 'key-steps': { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const names = rewardNameSchema.options.join(', ');
  if (positionals.length !== 1) throw new UsageError(`reward takes one NAME (${names}), got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`);
  const name = rewardNameSchema.safeParse(positionals[0]);
  if (!name.success) throw new UsageError(`unknown reward '${positionals[0]}'; one of ${names}`);
  const chosen = REWARDS[name.data];
  if (values.output === undefined) throw new UsageError('--output TEXT is required');
  if (chosen.needs.includes('groundTruth') && values.gt === undefined) throw new UsageError(`${name.data} needs --gt TEXT`);
  if (chosen.needs.includes('keySteps') && values['key-steps'] === undefined) throw new UsageError(`${name.data} needs --key-steps JSON`);
  const input: RewardInput = {
    output: values.output,
    groundTruth: values.gt ?? null,
    keySteps: values['key-steps'] === undefined ? null : readKeySteps(values['key-steps']),
  };
  printOut(`${Number(chosen.score(input).toPrecision(SIGNIFICANT_DIGITS))}\n`);
  return 0;
}
