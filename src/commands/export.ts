import * as path from 'node:path';
import * as vscode from 'vscode';
import { z } from 'zod';
import { imageRootProblem } from '../dataset/images';
import type { DatasetRegistry } from '../editor';
import {
  DEFAULT_REFLECTION_MARKERS,
  describeFilters,
  describeLabels,
  exportDatasetRecords,
  exportFormatSchema,
  exportOptionsSchema,
  FORMAT_LABEL_SOURCES,
  imageModeSchema,
  imageOptionsProblem,
  isStepFormat,
  labelOptionsProblem,
  labelSourceSchema,
  type ExportFormat,
  type ExportOptions,
  type ExportResult,
  type LabelSource,
  type StepFormat,
} from '../export';
import { commandArguments, datasetArgument } from './arguments';

const exportArgsSchema = z
  .object({
    uri: z.string().optional(),
    format: exportFormatSchema,
    output: z.string(),
    images: imageModeSchema.optional(),
    /** `images: "copy"`: the folder to copy them into, from the dataset's folder when relative. */
    imagesDir: z.string().optional(),
    neutralLabel: z.boolean().optional(),
    keepIncorrect: z.boolean().optional(),
    includeRejected: z.boolean().optional(),
    shortestCorrect: z.boolean().optional(),
    maxWords: exportOptionsSchema.shape.maxWords,
    /** `true` cuts at the default markers; a list names the markers. */
    cutReflections: z.union([z.boolean(), exportOptionsSchema.shape.cutReflections.unwrap()]).optional(),
    /** The step formats: where step labels come from, first source first. */
    labelSources: exportOptionsSchema.shape.labelSources,
    mcThreshold: exportOptionsSchema.shape.mcThreshold.unwrap().optional(),
  })
  .strict();
type ExportArgs = z.infer<typeof exportArgsSchema>;

type FilterName = 'shortestCorrect' | 'maxWords' | 'cutReflections';

/** The filters to pick from, in the display language (read when asked, once the language is known). */
function filterChoices(): { label: string; detail: string; filter: FilterName }[] {
  return [
    {
      label: vscode.l10n.t('Shortest correct'),
      detail: vscode.l10n.t('Per question and images, keep the shortest response whose final answer matches the ground truth'),
      filter: 'shortestCorrect',
    },
    {
      label: vscode.l10n.t('Word limit'),
      detail: vscode.l10n.t('Drop records whose response has more words than a limit (OpenVLThinker: 500)'),
      filter: 'maxWords',
    },
    {
      label: vscode.l10n.t('Cut reflections'),
      detail: vscode.l10n.t('Cut the reasoning from {0} to the final answer', DEFAULT_REFLECTION_MARKERS.map((marker) => `"${marker}"`).join(', ')),
      filter: 'cutReflections',
    },
  ];
}

/** The word limit the user types; the same rule as the command's argument. */
async function askForWordLimit(): Promise<number | undefined> {
  const wordLimit = exportOptionsSchema.shape.maxWords.unwrap();
  const text = await vscode.window.showInputBox({
    title: vscode.l10n.t('Word limit'),
    prompt: vscode.l10n.t('Drop records whose response has more words than this'),
    value: '500',
    validateInput: (value) => wordLimit.safeParse(Number(value)).error?.issues[0]?.message,
  });
  return text === undefined ? undefined : Number(text);
}

/** The label sources to pick from, in the display language, the format's own first, in their order. */
function labelSourceChoices(format: StepFormat): { label: string; detail: string; source: LabelSource; picked: boolean }[] {
  const details: Record<LabelSource, { label: string; detail: string }> = {
    human: { label: vscode.l10n.t('Ratings'), detail: vscode.l10n.t("A person's rating of the step, or the label the record gives it") },
    prelabel: { label: vscode.l10n.t('Pre-labels'), detail: vscode.l10n.t("A model's suggested label, confirmed or not") },
    mc: { label: vscode.l10n.t('Monte Carlo scores'), detail: vscode.l10n.t('Correct when the score is above a threshold (VisualPRM: 0)') },
  };
  const own = FORMAT_LABEL_SOURCES[format];
  const order: LabelSource[] = [...own, ...labelSourceSchema.options.filter((source) => !own.includes(source))];
  return order.map((source) => ({ ...details[source], source, picked: own.includes(source) }));
}

/** Where the step labels come from, first source first; nothing picked keeps the format's own. Undefined: cancelled. */
async function askForLabelSources(format: StepFormat): Promise<{ labelSources?: LabelSource[]; mcThreshold?: number } | undefined> {
  const picked = await vscode.window.showQuickPick(labelSourceChoices(format), {
    title: vscode.l10n.t('Step labels'),
    placeHolder: vscode.l10n.t('Each step takes its label from the first of these that has one; the steps end at the first without'),
    canPickMany: true,
  });
  if (!picked) return undefined;
  const labelSources = picked.length > 0 ? picked.map((item) => item.source) : undefined;
  if (!(labelSources ?? FORMAT_LABEL_SOURCES[format]).includes('mc')) return { labelSources };
  const threshold = exportOptionsSchema.shape.mcThreshold.unwrap();
  const text = await vscode.window.showInputBox({
    title: vscode.l10n.t('Monte Carlo threshold'),
    prompt: vscode.l10n.t('A step is correct when its Monte Carlo score is above this (VisualPRM: 0, some rollout reached the answer)'),
    value: '0',
    validateInput: (value) => threshold.safeParse(value.trim() === '' ? Number.NaN : Number(value)).error?.issues[0]?.message,
  });
  return text === undefined ? undefined : { labelSources, mcThreshold: Number(text) };
}

function filterOptions(args: ExportArgs): Pick<ExportOptions, FilterName> {
  const markers = args.cutReflections === true ? DEFAULT_REFLECTION_MARKERS : args.cutReflections || undefined;
  return { shortestCorrect: args.shortestCorrect ?? false, maxWords: args.maxWords, cutReflections: markers };
}

/** What each export format holds, in the display language. */
function formatDescriptions(): Record<ExportFormat, string> {
  return {
    'trl-sft': vscode.l10n.t('TRL SFT, conversational messages + images'),
    'trl-dpo': vscode.l10n.t('TRL preference: prompt / chosen / rejected'),
    'trl-stepwise': vscode.l10n.t('TRL stepwise supervision (PRM): prompt / completions / labels'),
    'trl-kto': vscode.l10n.t('TRL unpaired preference (KTO): prompt / completion / label'),
    'llamafactory-sharegpt': vscode.l10n.t('LLaMA-Factory sharegpt + dataset_info.json'),
    'openai-chat': vscode.l10n.t('OpenAI chat fine-tuning JSONL'),
    'openai-dpo': vscode.l10n.t('OpenAI preference fine-tuning JSONL'),
    prm800k: vscode.l10n.t('PRM800K step labels'),
    mmpr: vscode.l10n.t('MMPR / MPO pairs + meta.json'),
    mulberry: vscode.l10n.t('Mulberry SFT with ### sections and reflections'),
    visualprm: vscode.l10n.t('VisualPRM400K steps with their Monte Carlo scores'),
    'visualprm-conversation': vscode.l10n.t('VisualPRM training conversation, + or - after each step, + meta.json'),
  };
}

async function askForArgs(dataset: string, uri: vscode.Uri): Promise<ExportArgs | undefined> {
  const descriptions = formatDescriptions();
  const picked = await vscode.window.showQuickPick(
    exportFormatSchema.options.map((format) => ({ label: format, description: descriptions[format], format })),
    { title: vscode.l10n.t('Export {0}', dataset), placeHolder: vscode.l10n.t('Choose the format a trainer reads') },
  );
  if (!picked) return undefined;
  const labels = isStepFormat(picked.format) ? await askForLabelSources(picked.format) : {};
  if (!labels) return undefined;
  const filters = await vscode.window.showQuickPick(filterChoices(), {
    title: vscode.l10n.t('Filters'),
    placeHolder: vscode.l10n.t('OpenVLThinker filters; none keeps every record as it is'),
    canPickMany: true,
  });
  if (!filters) return undefined;
  const chosen = new Set(filters.map((item) => item.filter));
  const maxWords = chosen.has('maxWords') ? await askForWordLimit() : undefined;
  if (chosen.has('maxWords') && maxWords === undefined) return undefined;
  const base = path.basename(uri.fsPath, '.jsonl');
  const target = await vscode.window.showSaveDialog({
    title: vscode.l10n.t('Export {0} as {1}', dataset, picked.format),
    defaultUri: vscode.Uri.joinPath(uri, '..', `${base}.${picked.format}.jsonl`),
    filters: { [vscode.l10n.t('JSON Lines')]: ['jsonl'] },
  });
  if (!target) return undefined;
  return {
    format: picked.format,
    output: target.fsPath,
    shortestCorrect: chosen.has('shortestCorrect'),
    maxWords,
    cutReflections: chosen.has('cutReflections'),
    ...labels,
  };
}

/**
 * `cotStudio.export {format, output, images?, imagesDir?, keepIncorrect?, shortestCorrect?, maxWords?, cutReflections?,
 * labelSources?, mcThreshold?}`: writes the open dataset, unsaved edits included, in a trainer's format, through
 * OpenVLThinker's filters when asked. A `cotStudio.imageRoots` folder that cannot be used stops the export, naming
 * the setting and the folder.
 */
export function registerExportCommand(context: vscode.ExtensionContext, datasets: DatasetRegistry, log: vscode.LogOutputChannel): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('cotStudio.export', async (raw?: unknown): Promise<ExportResult | undefined> => {
      let args: ExportArgs | undefined;
      if (raw === undefined) {
        const document = datasets.documentFor();
        args = await askForArgs(document.dataset.fileName, document.uri);
        if (!args) return undefined;
        args.uri = document.uri.toString();
      } else {
        args = commandArguments('cotStudio.export', exportArgsSchema, raw);
      }
      const document = datasetArgument(datasets, args.uri);
      const folder = path.dirname(document.uri.fsPath);
      const output = path.resolve(folder, args.output);
      const imagesDir = args.imagesDir === undefined ? undefined : path.resolve(folder, args.imagesDir);
      const imageProblem = imageOptionsProblem(args.format, { images: args.images, imagesDir });
      if (imageProblem !== null) throw new Error(`cotStudio.export: ${imageProblem}`);
      const labelProblem = labelOptionsProblem(args.format, args);
      if (labelProblem !== null) throw new Error(`cotStudio.export: ${labelProblem}`);
      const [datasetDir, ...imageRoots] = document.imageRoots();
      // A root that is not there would make its images look missing with no word of why.
      for (const root of imageRoots) {
        const problem = imageRootProblem(root);
        if (problem !== null) throw new Error(vscode.l10n.t('The cotStudio.imageRoots setting names a folder that cannot be used: {0}', problem));
      }
      const filters = filterOptions(args);
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Exporting {0} as {1}', document.dataset.fileName, args.format) },
        () =>
          exportDatasetRecords(
            document.dataset,
            args.format,
            {
              datasetDir,
              imageRoots,
              outputPath: output,
              sourcePath: document.uri.fsPath,
              images: args.images,
              imagesDir,
              neutralLabel: args.neutralLabel ?? true,
              keepIncorrect: args.keepIncorrect ?? false,
              includeRejected: args.includeRejected ?? false,
              labelSources: args.labelSources,
              mcThreshold: exportOptionsSchema.shape.mcThreshold.parse(args.mcThreshold),
              ...filters,
            },
            document.dataset.format,
          ),
      );
      for (const refusal of result.refusals) log.warn(`${document.dataset.fileName}:${refusal.line}: not exported: ${refusal.reason}`);
      // Whole sentences, each translated as one: the filters' own phrases come from the core, in English.
      const phrases = describeFilters(result.filtered, filters);
      const labels = describeLabels(result.labels);
      const message = [
        vscode.l10n.t('Exported {0} {1} lines to {2}.', result.written, args.format, path.basename(output)),
        ...(result.incorrect > 0 ? [vscode.l10n.t('{0} records with a step rated incorrect were left out.', result.incorrect)] : []),
        ...(phrases.length > 0 ? [vscode.l10n.t('Filters: {0}.', phrases.join('; '))] : []),
        ...(labels === null ? [] : [vscode.l10n.t('Step labels: {0}.', labels)]),
        ...(imagesDir === undefined ? [] : [vscode.l10n.t('{0} images were copied to {1}.', result.imagesCopied, path.basename(imagesDir))]),
        ...(result.refusals.length > 0 ? [vscode.l10n.t('{0} records were refused (see the CoT Studio output).', result.refusals.length)] : []),
      ].join(' ');
      if (raw === undefined) {
        if (result.refusals.length > 0) {
          void vscode.window.showWarningMessage(message, vscode.l10n.t('Show Refusals')).then((choice) => choice && log.show());
        } else {
          void vscode.window.showInformationMessage(message);
        }
      }
      return result;
    }),
  );
}
