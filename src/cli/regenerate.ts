import { randomInt } from 'node:crypto';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ImageResolver } from '../dataset/images';
import { regenerationSettingsSchema } from '../search/regeneration';
import { searchOptions } from '../search/runner';
import { JudgeTemplates, makeScorer } from '../search/scorers';
import { OpenAICompatibleBackend } from '../backends/openai';
import { backendOptions, chooseBackend } from './backendOptions';
import { checkContext, datasetOptions, imageRootsOption, linesOption, openDatasetFile, recordLine, STANDARD_INPUT } from './datasetFile';
import { numberOption, parseOptions } from './modelOptions';
import { defaultOutput, lineFacts, readingSettings } from './batchOptions';
import { lockBatchOutput, runBatch } from './batchRun';
import { judgeTemplatesOption, judgeTemplatesOptions } from './judgeTemplates';
import { REGENERATE_ALL, type RegenerationJob, regenerationBatch } from './regenerateLine';
import { regenerateOne } from './regenerateOne';
import { checkWriteTarget } from '../files/writeTarget';
import { UsageError } from './usage';

const batchFilterSchema = z.enum(['failing', 'unreviewed', 'all']);

const argsSchema = regenerationSettingsSchema.extend({
  line: z.number().int().min(1).optional(),
  filter: batchFilterSchema.default('all'),
  concurrency: z.number().int().min(1).max(64).optional(),
});

/** Options that only make sense for one mode, checked before anything is loaded. */
const BATCH_ONLY = ['filter', 'concurrency', 'output'] as const;

/**
 * `cot-studio regenerate FILE --line N --segment K [...]`: stage-level beam search for one record, printed
 * (and with --write added to the line as alternatives), or with --all for every selected record into a copy.
 */
export async function regenerate(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...datasetOptions,
      ...backendOptions,
      line: { type: 'string' },
      segment: { type: 'string' },
      side: { type: 'string' },
      turn: { type: 'string' },
      method: { type: 'string' },
      candidates: { type: 'string' },
      seed: { type: 'string' },
      rank: { type: 'string' },
      temperature: { type: 'string' },
      'top-p': { type: 'string' },
      'max-tokens': { type: 'string' },
      iterations: { type: 'string' },
      samples: { type: 'string' },
      'judge-endpoint': { type: 'string', multiple: true },
      'judge-model': { type: 'string', multiple: true },
      'judge-weight': { type: 'string', multiple: true },
      'answer-check': { type: 'string' },
      ...judgeTemplatesOptions,
      rest: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      filter: { type: 'string' },
      concurrency: { type: 'string' },
      output: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [file, extra] = positionals;
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'; give one FILE`);
  if (values.segment === undefined) throw new UsageError('--segment K is required (0-based, as in the sample view)');
  if (file === STANDARD_INPUT && (values.write || values.all)) throw new UsageError('--write and --all need a FILE, not standard input');
  if (values.all) {
    if (values.line !== undefined) throw new UsageError('--line and --all are mutually exclusive');
    if (values.write) throw new UsageError('--write changes one record in place; --all writes a copy (--output OUT)');
  } else {
    const batchOnly = BATCH_ONLY.find((option) => values[option] !== undefined);
    if (batchOnly) throw new UsageError(`--${batchOnly} needs --all`);
  }
  const settings = parseOptions(argsSchema, {
    line: numberOption(values.line),
    segment: numberOption(values.segment),
    side: values.side,
    turn: numberOption(values.turn),
    method: values.method,
    candidates: numberOption(values.candidates),
    seed: numberOption(values.seed),
    rank: values.rank,
    temperature: numberOption(values.temperature),
    topP: numberOption(values['top-p']),
    maxTokens: numberOption(values['max-tokens']),
    iterations: numberOption(values.iterations),
    samples: numberOption(values.samples),
    rest: values.rest,
    filter: values.filter,
    concurrency: numberOption(values.concurrency),
  });
  const choice = chooseBackend(values);
  const imageRoots = imageRootsOption(values['image-root']);
  using dataset = await openDatasetFile(file);
  const checks = checkContext(file, values.format, imageRoots);
  dataset.format = checks.format;
  const output = values.output ?? defaultOutput(file, 'regenerated');
  // Before any generation: the output must be writable, and never the input (--all never changes its input).
  if (values.all) await checkWriteTarget(output, { notSameAs: [file] });
  const line = values.all ? undefined : recordLine(dataset, file, settings.line, '--all for every record');
  if (line !== undefined && values.write) dataset.assertRewritable(line - 1);
  if (settings.method === 'mcts' && settings.rest)
    throw new UsageError('--rest is for beam search; the tree search writes the whole rest of the response already');
  if (settings.method === 'mcts' && settings.rank !== undefined)
    throw new UsageError('--rank is for beam search; the tree search scores steps with the step judge');
  if (settings.method !== 'mcts' && (settings.iterations !== undefined || settings.samples !== undefined))
    throw new UsageError('--iterations and --samples need --method mcts');
  const answerCheck = parseOptions(z.object({ answerCheck: z.enum(['rules', 'judge']).default('rules') }), { answerCheck: values['answer-check'] }).answerCheck;
  if (values['answer-check'] !== undefined && settings.method !== 'mcts') throw new UsageError('--answer-check needs --method mcts');
  const templates = judgeTemplatesOption(values['judge-templates']);
  const { beam: options, mcts } = searchOptions(settings, { mcts: { answerCheck } });
  const judgeServers = judgeOptions(values['judge-endpoint'] ?? [], values['judge-model'] ?? [], values['judge-weight'] ?? []);
  if (judgeServers.length > 0 && settings.method !== 'mcts') throw new UsageError('--judge-endpoint is for --method mcts; beam search ranks with --rank');
  const rank = settings.rank ?? 'knockout';
  const concurrency = settings.concurrency ?? choice.concurrency;
  const lock = values.all ? await lockBatchOutput(output, REGENERATE_ALL) : undefined;
  const backend = await choice.open(concurrency).catch(async (error: unknown) => {
    await lock?.release();
    throw error;
  });
  const apiKey = values['api-key-env'] === undefined ? undefined : process.env[values['api-key-env']];
  const judges = judgeServers.map(({ endpoint, model: judgeModel, weight }) => ({
    backend: new OpenAICompatibleBackend({ baseUrl: endpoint, model: judgeModel, maxConcurrent: concurrency, ...(apiKey ? { apiKey } : {}) }),
    weight,
  }));
  try {
    const images = new ImageResolver(path.dirname(path.resolve(file)), imageRoots);
    const job: RegenerationJob = {
      backend,
      scorer: makeScorer(rank, templates),
      segment: settings.segment,
      side: settings.side,
      turn: settings.turn,
      method: settings.method,
      beam: options,
      mcts,
      policies: [backend],
      // The model that writes the chains judges their steps too, unless judges are given.
      judges: judges.length > 0 ? judges : [{ backend, weight: 1 }],
      templates: new JudgeTemplates(templates),
      format: dataset.format,
      images,
    };
    if (line === undefined) {
      const searched: Record<string, number | string> =
        settings.method === 'mcts'
          ? {
              '--iterations': mcts.iterations,
              '--samples': mcts.samples,
              '--answer-check': answerCheck,
              '--judge-endpoint': judgeServers.map((judge) => `${judge.endpoint} ${judge.model} ${judge.weight}`).join(', '),
            }
          : {};
      const journaled = {
        ...readingSettings(undefined, job, imageRoots),
        '--method': settings.method,
        ...searched,
        '--segment': settings.segment,
        '--rest': settings.rest,
        '--rank': rank,
        '--judge-templates': JSON.stringify(templates),
        '--candidates': options.candidates,
        '--temperature': options.temperature,
        '--top-p': options.topP,
        '--max-tokens': options.maxTokens,
        '--filter': settings.filter,
        '--model/--endpoint': choice.key,
      };
      const { filter } = settings;
      // Facts are read only for a filter that needs them.
      const lines = linesOption(dataset, undefined).filter((selected) => {
        if (filter === 'all') return true;
        const facts = lineFacts(dataset, checks, selected);
        return filter === 'failing' ? facts.checks.length > 0 : facts.review === 'unreviewed';
      });
      const run = { file, dataset, output, lines, selection: `--filter ${filter}`, concurrency, seed: settings.seed, settings: journaled, json: values.json };
      return await runBatch(run, regenerationBatch(job));
    }
    return await regenerateOne(
      { file, line, lineText: dataset.lineText(line - 1), seed: settings.seed ?? randomInt(0, 2 ** 31), json: values.json, write: values.write },
      job,
    );
  } finally {
    await backend.dispose();
    await Promise.all(judges.map((judge) => judge.backend.dispose()));
    await lock?.release();
  }
}

const judgeSchema = z.object({
  endpoint: z.url({ protocol: /^https?$/, error: '--judge-endpoint must be an http(s) URL such as http://host:8000/v1' }),
  model: z.string().min(1),
  weight: z.number().positive({ error: '--judge-weight must be a number above 0' }),
});

/** `--judge-endpoint URL --judge-model NAME [--judge-weight W]`, repeated: the tree search's step judges, paired in order. */
function judgeOptions(endpoints: string[], models: string[], weights: string[]): Array<z.infer<typeof judgeSchema>> {
  if (models.length !== endpoints.length) throw new UsageError('give one --judge-model NAME per --judge-endpoint URL');
  if (weights.length !== 0 && weights.length !== endpoints.length) throw new UsageError('give a --judge-weight per --judge-endpoint, or none (each weighs 1)');
  return endpoints.map((endpoint, i) => parseOptions(judgeSchema, { endpoint, model: models[i], weight: weights.length === 0 ? 1 : numberOption(weights[i]) }));
}
