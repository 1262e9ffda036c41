import * as path from 'node:path';
import * as vscode from 'vscode';
import { z } from 'zod';
import { imageRootProblem } from '../dataset/images';
import type { DatasetRegistry } from '../editor';
import {
  DEFAULT_REFLECTION_MARKERS,
  describeFilters,
  exportDatasetRecords,
  exportFormatSchema,
  exportOptionsSchema,
  imageModeSchema,
  imageOptionsProblem,
  type ExportFormat,
  type ExportOptions,
  type ExportResult,
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
  })
  .strict();
type ExportArgs = z.infer<typeof exportArgsSchema>;

type FilterName = 'shortestCorrect' | 'maxWords' | 'cutReflections';

const FILTERS: { label: string; detail: string; filter: FilterName }[] = [
  {
    label: 'Shortest correct',
    detail: 'Per question and images, keep the shortest response whose final answer matches the ground truth',
    filter: 'shortestCorrect',
  },
  { label: 'Word limit', detail: 'Drop records whose response has more words than a limit (OpenVLThinker: 500)', filter: 'maxWords' },
  {
    label: 'Cut reflections',
    detail: `Cut the reasoning from ${DEFAULT_REFLECTION_MARKERS.map((marker) => `"${marker}"`).join(', ')} to the final answer`,
    filter: 'cutReflections',
  },
];

/** The word limit the user types; the same rule as the command's argument. */
async function askForWordLimit(): Promise<number | undefined> {
  const wordLimit = exportOptionsSchema.shape.maxWords.unwrap();
  const text = await vscode.window.showInputBox({
    title: 'Word limit',
    prompt: 'Drop records whose response has more words than this',
    value: '500',
    validateInput: (value) => wordLimit.safeParse(Number(value)).error?.issues[0]?.message,
  });
  return text === undefined ? undefined : Number(text);
}

function filterOptions(args: ExportArgs): Pick<ExportOptions, FilterName> {
  const markers = args.cutReflections === true ? DEFAULT_REFLECTION_MARKERS : args.cutReflections || undefined;
  return { shortestCorrect: args.shortestCorrect ?? false, maxWords: args.maxWords, cutReflections: markers };
}

const FORMAT_DESCRIPTIONS: Record<ExportFormat, string> = {
  'trl-sft': 'TRL SFT, conversational messages + images',
  'trl-dpo': 'TRL preference: prompt / chosen / rejected',
  'trl-stepwise': 'TRL stepwise supervision (PRM): prompt / completions / labels',
  'trl-kto': 'TRL unpaired preference (KTO): prompt / completion / label',
  'llamafactory-sharegpt': 'LLaMA-Factory sharegpt + dataset_info.json',
  'openai-chat': 'OpenAI chat fine-tuning JSONL',
  'openai-dpo': 'OpenAI preference fine-tuning JSONL',
  prm800k: 'PRM800K step labels',
  mmpr: 'MMPR / MPO pairs + meta.json',
  mulberry: 'Mulberry SFT with ### sections and reflections',
};

async function askForArgs(dataset: string, uri: vscode.Uri): Promise<ExportArgs | undefined> {
  const picked = await vscode.window.showQuickPick(
    exportFormatSchema.options.map((format) => ({ label: format, description: FORMAT_DESCRIPTIONS[format], format })),
    { title: `Export ${dataset}`, placeHolder: 'Choose the format a trainer reads' },
  );
  if (!picked) return undefined;
  const filters = await vscode.window.showQuickPick(FILTERS, {
    title: 'Filters',
    placeHolder: 'OpenVLThinker filters; none keeps every record as it is',
    canPickMany: true,
  });
  if (!filters) return undefined;
  const chosen = new Set(filters.map((item) => item.filter));
  const maxWords = chosen.has('maxWords') ? await askForWordLimit() : undefined;
  if (chosen.has('maxWords') && maxWords === undefined) return undefined;
  const base = path.basename(uri.fsPath, '.jsonl');
  const target = await vscode.window.showSaveDialog({
    title: `Export ${dataset} as ${picked.format}`,
    defaultUri: vscode.Uri.joinPath(uri, '..', `${base}.${picked.format}.jsonl`),
    filters: { 'JSON Lines': ['jsonl'] },
  });
  if (!target) return undefined;
  return {
    format: picked.format,
    output: target.fsPath,
    shortestCorrect: chosen.has('shortestCorrect'),
    maxWords,
    cutReflections: chosen.has('cutReflections'),
  };
}

/**
 * `cotStudio.export {format, output, images?, imagesDir?, keepIncorrect?, shortestCorrect?, maxWords?, cutReflections?}`:
 * writes the open dataset, unsaved edits included, in a trainer's format, through OpenVLThinker's filters when
 * asked. A `cotStudio.imageRoots` folder that cannot be used stops the export, naming the setting and the folder.
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
      const [datasetDir, ...imageRoots] = document.imageRoots();
      // A root that is not there would make its images look missing with no word of why.
      for (const root of imageRoots) {
        const problem = imageRootProblem(root);
        if (problem !== null) throw new Error(`The cotStudio.imageRoots setting names a folder that cannot be used: ${problem}`);
      }
      const filters = filterOptions(args);
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Exporting ${document.dataset.fileName} as ${args.format}` },
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
              ...filters,
            },
            document.dataset.format,
          ),
      );
      for (const refusal of result.refusals) log.warn(`${document.dataset.fileName}:${refusal.line}: not exported: ${refusal.reason}`);
      const filtered = describeFilters(result.filtered, filters)
        .map((phrase) => `; ${phrase}`)
        .join('');
      const incorrect = result.incorrect > 0 ? `; ${result.incorrect} records with a step rated incorrect left out` : '';
      const copied = imagesDir === undefined ? '' : `; ${result.imagesCopied} images copied to ${path.basename(imagesDir)}`;
      const refused = result.refusals.length > 0 ? `; ${result.refusals.length} records refused (see the CoT Studio output)` : '';
      const message = `Exported ${result.written} ${args.format} lines to ${path.basename(output)}${incorrect}${filtered}${copied}${refused}.`;
      if (raw === undefined) {
        if (result.refusals.length > 0) {
          void vscode.window.showWarningMessage(message, 'Show Refusals').then((choice) => choice && log.show());
        } else {
          void vscode.window.showInformationMessage(message);
        }
      }
      return result;
    }),
  );
}
