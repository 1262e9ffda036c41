import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { fixturesDir } from '../harness/fixtures';

const realDir = path.join(fixturesDir, 'real');
const readme = fs.readFileSync(path.join(realDir, 'README.md'), 'utf8');

/** What the README must say of every file: where its records come from, under which licence, how many. */
const sourceEntrySchema = z.object({
  file: z.string().regex(/^[a-z0-9][a-z0-9-]*\.jsonl$/),
  repository: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*$/),
  path: z.string().min(1),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  licence: z.string().min(1),
  records: z.coerce.number().int().positive(),
  takenAs: z.string().min(1),
  reader: z.string().min(1),
});
type SourceEntry = z.infer<typeof sourceEntrySchema>;

/** The text of the README section that starts with HEADING, up to the next section of that level. */
function section(heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  assert.notEqual(start, -1, `README.md has no "${heading}" section`);
  const rest = readme.slice(start + heading.length + 2);
  const end = rest.search(/^## /m);
  return end === -1 ? rest : rest.slice(0, end);
}

/** One entry per "### `FILE`" heading of the Files section, its "- Field: value" lines by field. */
function sourceEntries(): SourceEntry[] {
  return section('## Files')
    .split(/^### /m)
    .slice(1)
    .map((block) => {
      const [heading, ...lines] = block.split('\n');
      const field = (name: string) => lines.find((line) => line.startsWith(`- ${name}: `))?.slice(name.length + 4);
      return sourceEntrySchema.parse({
        file: /^`([^`]+)`$/.exec(heading.trim())?.[1],
        repository: field('Repository'),
        path: field('Path'),
        commit: field('Commit'),
        licence: field('Licence'),
        records: field('Records'),
        takenAs: field('Taken as'),
        reader: field('Reader'),
      });
    });
}

/** The lines of a corpus file; the last line ends with a newline like every other. */
function corpusLines(file: string): string[] {
  const text = fs.readFileSync(path.join(realDir, file), 'utf8');
  assert.ok(text.endsWith('\n'), `${file}: the last line has no newline`);
  return text.slice(0, -1).split('\n');
}

describe('the corpus of published records', () => {
  it('names every file once, and every JSONL file in the folder', () => {
    const entries = sourceEntries();
    const listed = entries.map((entry) => entry.file);
    assert.equal(new Set(listed).size, listed.length, 'a file is listed twice');
    const onDisk = fs.readdirSync(realDir).filter((name) => name.endsWith('.jsonl'));
    assert.deepEqual([...listed].sort(), [...onDisk].sort());
  });

  it('holds one JSON object per line, as many as the README says', () => {
    for (const entry of sourceEntries()) {
      const lines = corpusLines(entry.file);
      assert.equal(lines.length, entry.records, `${entry.file}: the README says ${entry.records} records`);
      lines.forEach((line, index) => {
        const value: unknown = JSON.parse(line);
        assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${entry.file}:${index + 1}: not a JSON object`);
      });
    }
  });

  it('marks every record written by hand with the path it follows', () => {
    for (const entry of sourceEntries().filter((candidate) => candidate.file.includes('handwritten'))) {
      assert.ok(entry.takenAs.startsWith(`hand-written after ${entry.path}`), `${entry.file}: not marked as hand-written after ${entry.path}`);
    }
  });

  it('records what the product does with every file', () => {
    const behaviour = section('## What CoT Studio did with these before reading them (version at cf10b96)');
    for (const entry of sourceEntries())
      assert.ok(behaviour.includes(`\n- \`${entry.file}\`: `), `${entry.file}: no line in "What CoT Studio did with these before"`);
  });
});
