import * as fs from 'node:fs';
import { errorMessage } from '../errors/message';

/** Every string inside a JSON value, depth first. */
function* strings(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const item of value) yield* strings(item);
  else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) yield* strings(item);
}

function jsonlDocuments(text: string): string[] {
  const documents: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      continue; // a corpus is best effort: a broken line contributes nothing
    }
    documents.push(...strings(record));
  }
  return documents;
}

/**
 * The documents of the corpus files: each string value of each record of a `.jsonl` file (lines that do
 * not parse are skipped), or the whole text of any other file.
 */
export function readCorpus(files: readonly string[]): string[] {
  return files.flatMap((file) => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(`cannot read corpus ${file}: ${errorMessage(error)}`);
    }
    return file.endsWith('.jsonl') ? jsonlDocuments(text) : [text];
  });
}
