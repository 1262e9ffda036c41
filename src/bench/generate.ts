import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkLine } from '../dataset/checks';
import { ImageResolver } from '../dataset/images';
import { replaceSegmentText, setValue } from '../dataset/recordEdit';
import { seededRandom } from '../random';

/** The sample datasets whose records the bench file cycles through. */
const SOURCES = ['llava_cot', 'mulberry', 'reason_rft', 'openvlthinker', 'mmpr'] as const;

/**
 * Reasoning text appended to a record's longest reasoning segment, written as it stands inside a JSON
 * string: escapes, non-ASCII text, surrogate pairs and number spellings that a decoder must keep intact.
 * None holds markup a format reads (tags, `###` headers, `Final answer:`), so records stay valid.
 */
const FILLER = [
  ' Reading the axis again, each gridline marks 5 units, so the value sits just above the fourth line.',
  ' Summing step by step: 12 + 18 = 30, 30 + 9 = 39, 39 + 21 = 60, 60 + 15 = 75.',
  ' The label reads \\"thousands\\", so every value is scaled by 1e3 and nothing near 1e300 is plausible.',
  ' Units check: 6 cm \\u00d7 8 cm gives cm\\u00b2, and half of 48 cm\\u00b2 is 24 cm\\u00b2.',
  ' En fran\u00e7ais : l\u2019\u00e9cart est de 3, soit \u2248 14 % de 21.',
  ' \u4e09\u89d2\u5f62\u7684\u9762\u79ef\u662f 24\uff0c\u659c\u8fb9\u662f 10\u3002',
  ' Floating point is not exact: 0.1 + 0.2 = 0.30000000000000004, so I round to two decimals.',
  ' The caption path C:\\\\charts\\\\2023 plays no part in the answer.',
  ' Scraped captions keep\\ttabs and \\u201ccurly quotes\\u201d as they were; neither changes a value.',
  ' An outlier test with z = -1.5E-3 leaves every bar in place \\ud83d\\udcca.',
  '\\nTo be sure, I compare the two largest candidates once more and the order does not change.',
  ' Counting objects by colour and shape gives the same total as counting them row by row.',
];

/** A sample record's line with slots for its id and its reasoning padding. */
interface Template {
  source: string;
  text: string;
}

type Slot = 'id' | 'pad' | 'weight';

/** A slot is a string no record holds; JSON.stringify writes its `\u0001` as those six characters. */
const slot = (name: Slot): string => `\u0001${name}\u0001`;
const RECORD_SLOTS = /\\u0001(id|pad)\\u0001/g;

/**
 * The records of the sample files that pass every check (the flawed ones are left out), each with an id
 * slot, a padding slot at the end of its longest non-final segment (the reasoning, not the answer) and a
 * `meta.weight` of `1e300`, a number spelling that JSON.stringify would change.
 */
function loadTemplates(fixturesDir: string): Template[] {
  const images = new ImageResolver(fixturesDir);
  const context = { imageProblem: (image: string) => images.problem(image) };
  const templates: Template[] = [];
  for (const source of SOURCES) {
    for (const line of fs.readFileSync(path.join(fixturesDir, `${source}.jsonl`), 'utf8').split('\n')) {
      const { parsed, results } = checkLine(line, context);
      const segments = parsed?.responses[0]?.segments ?? [];
      if (segments.length === 0 || results.some((result) => result.severity === 'error')) continue;
      const candidates = segments.slice(0, Math.max(1, segments.length - 1));
      const reasoning = candidates.reduce((longest, segment) => (segment.text.length > longest.text.length ? segment : longest));
      let text = replaceSegmentText(line, reasoning, reasoning.text + slot('pad'));
      text = setValue(text, ['id'], slot('id'));
      text = setValue(text, ['meta'], { source, weight: slot('weight') }).replace(JSON.stringify(slot('weight')), '1e300');
      templates.push({ source, text });
    }
  }
  return templates;
}

/** Lines are about 0.7 to 2.8 KB (mean about 1.75 KB); one in LONG_EVERY is a long trace of 8 to 16 KB. */
const SHORTEST = 700;
const LENGTH_SPREAD = 2100;
const LONG_EVERY = 1000;
const LONG_SHORTEST = 8000;
const LONG_SPREAD = 8000;
/** Short lines add up to this much reasoning to their template's, so that no two records are alike. */
const SHORT_SPREAD = 200;
const LINES_PER_WRITE = 1000;

/**
 * The records a generated file holds: `varied` cycles through every valid sample record at the lengths real
 * traces have; `short` repeats the MMPR preference record (a chosen and a rejected response, which every
 * format writes) at about its own length, for files of a million records that stay a few hundred megabytes.
 */
export type RecordShape = 'varied' | 'short';

/** Each shape's file name, the sample files its records come from, and how much padding a record gets. */
const SHAPES: Record<
  RecordShape,
  { name: string; sources: readonly string[]; padLength(index: number, templateLength: number, random: () => number): number }
> = {
  varied: {
    name: 'bench.jsonl',
    sources: SOURCES,
    padLength: (index, templateLength, random) =>
      (index % LONG_EVERY === LONG_EVERY - 1 ? LONG_SHORTEST + random() * LONG_SPREAD : SHORTEST + random() * LENGTH_SPREAD) - templateLength,
  },
  short: { name: 'short.jsonl', sources: ['mmpr'], padLength: (_index, _templateLength, random) => random() * SHORT_SPREAD },
};

function padding(length: number, random: () => number): string {
  let pad = '';
  while (pad.length < length) pad += FILLER[Math.floor(random() * FILLER.length)];
  return pad;
}

export interface GeneratedDataset {
  file: string;
  records: number;
  bytes: number;
}

/**
 * Writes `records` lines to `dir/bench.jsonl` (`dir/short.jsonl` for short records), cycling through the
 * valid sample records of the shape, each with its own id and reasoning padded to a varied length, and
 * copies the sample images beside it so image checks find their files.
 */
export function generateDataset(fixturesDir: string, records: number, dir: string, shape: RecordShape = 'varied'): GeneratedDataset {
  const { name, sources, padLength } = SHAPES[shape];
  const templates = loadTemplates(fixturesDir).filter((template) => sources.includes(template.source));
  const random = seededRandom(records);
  const file = path.join(dir, name);
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  try {
    for (let first = 0; first < records; first += LINES_PER_WRITE) {
      let chunk = '';
      for (let index = first; index < Math.min(first + LINES_PER_WRITE, records); index++) {
        const { source, text } = templates[index % templates.length];
        const pad = padding(padLength(index, text.length, random), random);
        chunk += `${text.replace(RECORD_SLOTS, (_, slotName: string) => (slotName === 'id' ? `${source}-${index}` : pad))}\n`;
      }
      bytes += fs.writeSync(fd, chunk);
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.cpSync(path.join(fixturesDir, 'images'), path.join(dir, 'images'), { recursive: true });
  return { file, records, bytes };
}
