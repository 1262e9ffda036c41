import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Readable } from 'node:stream';
import { readRecordState } from '../dataset/operations';
import { Occurrences, recordIdentity } from '../dataset/recordIdentity';
import type { FormatId } from '../dataset/record';
import { readRecord, RecordError } from '../dataset/recordEdit';
import type { AnnotatorLabels } from './compare';

/** A copy of the dataset: a file, or a file as a git commit holds it (`FILE@REF`). */
export interface Copy {
  file: string;
  ref: string | undefined;
}

/** `FILE@REF` names a file at a git ref, unless the whole argument is a file that exists. */
export function copyOf(argument: string): Copy {
  const at = argument.lastIndexOf('@');
  if (fs.existsSync(argument) || at <= 0) return { file: argument, ref: undefined };
  return { file: argument.slice(0, at), ref: argument.slice(at + 1) };
}

/** The copy's lines: the file read as it streams, or `git show REF:FILE` in the file's folder. */
function linesOf(copy: Copy): { lines: AsyncIterable<string>; done: Promise<void> } {
  let input: Readable;
  let done = Promise.resolve();
  if (copy.ref === undefined) {
    input = fs.createReadStream(copy.file);
  } else {
    const git = spawn('git', ['show', `${copy.ref}:./${path.basename(copy.file)}`], { cwd: path.dirname(path.resolve(copy.file)) });
    let stderr = '';
    git.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    done = new Promise((resolve, reject) => {
      git.on('error', reject);
      git.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${copy.file}@${copy.ref}: ${stderr.trim() || `git show exited with ${code}`}`))));
    });
    input = git.stdout;
  }
  return { lines: readline.createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY }), done };
}

/** What a copy holds: its labels, the lines that are no record, and who the labels name as their annotators. */
export interface CopyLabels {
  labels: AnnotatorLabels;
  skipped: number;
  /** Names on the copy's ratings (`ratedBy`) and reviews (`by`). */
  raters: Set<string>;
}

/** One copy's labels from its lines: each record's step ratings (a person's, not the record's own) and review status. */
export async function labelsOf(lines: AsyncIterable<string> | Iterable<string>, name: string, format: FormatId | undefined): Promise<CopyLabels> {
  const labels: AnnotatorLabels = { name, records: new Map() };
  const raters = new Set<string>();
  const occurrences = new Occurrences();
  let skipped = 0;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    try {
      const { parsed, annotations } = readRecordState(line, format);
      const steps = new Map<string, number>();
      for (const [key, segment] of Object.entries(annotations.segments)) {
        if (segment.rating === null) continue;
        steps.set(key, segment.rating);
        if (segment.ratedBy !== undefined) raters.add(segment.ratedBy);
      }
      const { status, by } = annotations.review;
      if (status !== 'unreviewed' && by !== undefined) raters.add(by);
      labels.records.set(occurrences.of(recordIdentity(readRecord(line), parsed)), { steps, review: status === 'unreviewed' ? null : status });
    } catch (error) {
      if (!(error instanceof SyntaxError || error instanceof RecordError)) throw error;
      skipped++;
    }
  }
  return { labels, skipped, raters };
}

/** A copy's labels, read as the file streams (or as `git show` gives it). */
export async function readLabels(copy: Copy, name: string, format: FormatId | undefined): Promise<CopyLabels> {
  const { lines, done } = linesOf(copy);
  const [read] = await Promise.all([labelsOf(lines, name, format), done]);
  return read;
}

/**
 * Each copy's name in a report: the one annotator its labels name, where every copy has its own; else `fallback`
 * (the file's name), so that two files by one person, or files nobody signed, stay apart.
 */
export function copyNames(copies: readonly Pick<CopyLabels, 'raters'>[], fallback: readonly string[]): string[] {
  const signed = copies.map(({ raters }, i) => (raters.size === 1 ? ([...raters][0] as string) : (fallback[i] as string)));
  return new Set(signed).size === signed.length ? signed : [...fallback];
}
