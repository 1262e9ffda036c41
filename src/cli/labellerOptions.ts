import * as path from 'node:path';
import { z } from 'zod';
import type { Backend } from '../backends/types';
import { rewardModelFormatSchema } from '../search/scorers';
import { judgeLabeller, labellerKindSchema, rewardModelLabeller, type StepLabeller } from '../stepLabels/prelabel';
import { type BackendValues, chooseBackend } from './backendOptions';
import { judgeTemplatesOption, judgeTemplatesOptions } from './judgeTemplates';
import { parseOptions, startEngineProcess } from './modelOptions';
import { UsageError } from './usage';

/** Who suggests step labels: the step judge on the backend (`--model`, `--endpoint`) or a process reward model. */
export const labellerOptions = {
  labeller: { type: 'string' },
  'reward-model': { type: 'string' },
  'reward-template': { type: 'string' },
  'good-token': { type: 'string' },
  'bad-token': { type: 'string' },
  ...judgeTemplatesOptions,
} as const;

interface LabellerValues extends BackendValues {
  labeller?: string | undefined;
  'reward-model'?: string | undefined;
  'reward-template'?: string | undefined;
  'good-token'?: string | undefined;
  'bad-token'?: string | undefined;
  'judge-templates'?: string | undefined;
}

/** A labeller, checked before anything is loaded. */
export interface LabellerChoice {
  /** What decides its labels (the labeller, its model, its prompt or step tag), for a journal to compare. */
  settings: Record<string, string>;
  /** The default number of records in flight. */
  concurrency: number;
  /** The labeller and the backend its step prompts name as the judge; `dispose` ends both. */
  open(concurrency: number): Promise<{ labeller: StepLabeller; judge: Backend }>;
}

const REWARD_OPTIONS = ['reward-template', 'good-token', 'bad-token'] as const;

/** The reward model's step tag as options name it (`cotStudio.rewardModel.template`, `.goodToken`, `.badToken` in the editor). */
const stepTagSchema = z.object({
  rewardTemplate: rewardModelFormatSchema.shape.template,
  goodToken: rewardModelFormatSchema.shape.goodToken,
  badToken: rewardModelFormatSchema.shape.badToken,
});

/**
 * `--labeller step-judge` (the default: the model or server of --model / --endpoint asked per step, with the prompts of
 * --judge-templates) or `--labeller reward-model --reward-model DIR` (a process reward model in the engine's reward slot,
 * reading the step tag of --reward-template, --good-token and --bad-token; --provider and --variant apply to it).
 */
export function chooseLabeller(values: LabellerValues): LabellerChoice {
  const kind = parseOptions(z.object({ labeller: labellerKindSchema.default('step-judge') }), { labeller: values.labeller }).labeller;
  if (kind === 'step-judge') {
    const stray = (['reward-model', ...REWARD_OPTIONS] as const).find((option) => values[option] !== undefined);
    if (stray) throw new UsageError(`--${stray} is for --labeller reward-model`);
    const backend = chooseBackend(values);
    const templates = judgeTemplatesOption(values['judge-templates']);
    return {
      settings: { '--labeller': kind, '--model/--endpoint': backend.key, '--judge-templates': JSON.stringify(templates) },
      concurrency: backend.concurrency,
      async open(concurrency) {
        const judge = await backend.open(concurrency);
        return { labeller: judgeLabeller(judge, templates), judge };
      },
    };
  }
  const model = values['reward-model'];
  if (model === undefined) throw new UsageError('--labeller reward-model needs --reward-model DIR');
  const stray = (['model', 'endpoint', 'endpoint-model', 'api-key-env', 'judge-templates'] as const).find((option) => values[option] !== undefined);
  if (stray) throw new UsageError(`--${stray} is for --labeller step-judge; the reward model of --reward-model labels the steps`);
  const tag = parseOptions(stepTagSchema, { rewardTemplate: values['reward-template'], goodToken: values['good-token'], badToken: values['bad-token'] });
  const format = { template: tag.rewardTemplate, goodToken: tag.goodToken, badToken: tag.badToken };
  return {
    settings: {
      '--labeller': kind,
      '--reward-model': path.resolve(model),
      '--reward-template': format.template,
      '--good-token': format.goodToken,
      '--bad-token': format.badToken,
    },
    // The engine scores one prompt at a time.
    concurrency: 1,
    async open() {
      const { backend, model: loaded, nextToken } = await startEngineProcess({ ...values, model }, 'reward');
      // The reward model labels every step itself: it stands as the judge the step prompts name, and is never asked to generate.
      return { labeller: rewardModelLabeller({ name: loaded.name, nextToken, format }), judge: backend };
    },
  };
}
