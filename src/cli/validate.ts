import { parseArgs } from 'node:util';
import { checkDataset } from '../dataset/validate';
import { checkContext, datasetOptions, imageRootsOption, openDatasetFile } from './datasetFile';
import { printOut } from './terminal';

/** `cot-studio validate FILE`: one line per problem, like a compiler, then a count. */
export async function validate(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: datasetOptions, allowPositionals: true, strict: true });
  const [file] = positionals;
  const imageRoots = imageRootsOption(values['image-root']);
  using dataset = await openDatasetFile(file);
  const context = checkContext(file, values.format, imageRoots);
  let errors = 0;
  let warnings = 0;
  for (const { line, results } of checkDataset(dataset, context)) {
    for (const result of results) {
      if (result.severity === 'error') errors++;
      else warnings++;
      const column = (result.range?.[0] ?? 0) + 1;
      printOut(`${file}:${line}:${column}: ${result.severity} [${result.check}] ${result.message}\n`);
    }
  }
  printOut(`${dataset.recordCount} records: ${errors} errors, ${warnings} warnings\n`);
  return errors > 0 ? 1 : 0;
}
