import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Dataset, displayQuestion, summarizeLine } from '../../src/dataset';
import { datasetStats } from '../../src/dataset/validate';
import { datasetsDir } from '../harness/fixtures';

function open(name: string): Dataset {
  return Dataset.fromBytes(name, fs.readFileSync(path.join(datasetsDir, name)));
}

describe('Dataset', () => {
  it('lists every record of the LLaVA-CoT sample with its line number and first question', () => {
    const dataset = open('llava_cot.jsonl');
    assert.equal(dataset.recordCount, 10);
    const page = dataset.page(0, 100);
    assert.deepEqual(
      page.map((record) => record.line),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    assert.equal(page[0].question, 'In which year were the most bicycles sold? Answer the question using a single word or phrase.');
    assert.ok(page.every((record) => record.problem === null && record.question !== null));
  });

  it('finds the question in each sample format', () => {
    for (const name of ['mulberry.jsonl', 'r1vl.jsonl', 'reason_rft.jsonl', 'reason_rft_rl.jsonl', 'openvlthinker.jsonl', 'mmpr.jsonl']) {
      const records = open(name).page(0, 100);
      assert.ok(records.length > 0, `${name} has no records`);
      for (const record of records) {
        assert.equal(record.problem, null, `${name}:${record.line}: ${record.problem}`);
        assert.match(record.question ?? '', /\w/, `${name}:${record.line} has no question`);
        assert.doesNotMatch(record.question ?? '', /<image>/, `${name}:${record.line} still shows the image placeholder`);
      }
    }
  });

  it('reports lines that are not JSON objects and skips blank lines in the edge-case file', () => {
    const dataset = open('edge_cases.jsonl');
    const text = fs.readFileSync(path.join(datasetsDir, 'edge_cases.jsonl'), 'utf8');
    const physicalLines = text.split('\n');
    const blank = physicalLines.filter((line) => line.trim() === '').length;
    assert.equal(dataset.lineCount, physicalLines.length - (text.endsWith('\n') ? 1 : 0));
    assert.equal(dataset.recordCount, dataset.lineCount - blank);
    const records = dataset.page(0, dataset.recordCount);
    const problems = records.filter((record) => record.problem !== null);
    assert.ok(
      problems.some((record) => /not valid JSON/.test(record.problem ?? '')),
      'truncated JSON is reported',
    );
    assert.ok(
      problems.some((record) => /found an array/.test(record.problem ?? '')),
      'a JSON array line is reported',
    );
    // The first line starts with a BOM and must still parse as a record.
    assert.equal(records[0].line, 1);
    assert.equal(records[0].problem, null);
  });

  it('reads pages past the end as short pages', () => {
    const dataset = open('mmpr.jsonl');
    assert.equal(dataset.page(1, 100).length, dataset.recordCount - 1);
    assert.deepEqual(dataset.page(dataset.recordCount, 10), []);
  });
});

describe('displayQuestion', () => {
  it('drops image placeholders and collapses whitespace', () => {
    assert.equal(displayQuestion('<image>\n<image>  What  is\nshown?'), 'What is shown?');
    assert.equal(displayQuestion(null), null);
  });
});

describe('summarizeLine', () => {
  it('names why a line is not a record', () => {
    assert.match(summarizeLine('{"a": 1,}', 4).problem ?? '', /^not valid JSON/);
    assert.equal(summarizeLine('"text"', 5).problem, 'a record must be a JSON object, found a string');
    assert.equal(summarizeLine('null', 6).problem, 'a record must be a JSON object, found null');
    assert.equal(summarizeLine('{}', 7).line, 7);
    assert.match(summarizeLine('{"id": 1}', 8).problem ?? '', /^unknown format|no format|not a/i);
    const summary = summarizeLine(
      '{"question": "<image>Q?", "image": "a.png", "chosen": "x", "rejected": "y", "cot_studio": {"version": 1, "review": {"status": "accepted"}}}',
      9,
    );
    assert.deepEqual(summary, { line: 9, question: 'Q?', problem: null, format: 'mmpr', review: 'accepted', segments: 1, rated: 0 });
  });
});

describe('dataset stats', () => {
  it('counts a record with a malformed annotation block under check failures and records with errors', () => {
    const response = '<SUMMARY> s </SUMMARY><CAPTION> c </CAPTION><REASONING> r </REASONING><CONCLUSION> 9 </CONCLUSION>';
    const record = (block: object) =>
      JSON.stringify({
        conversations: [
          { from: 'human', value: 'Q' },
          { from: 'gpt', value: response },
        ],
        cot_studio: block,
      });
    const text = [record({ version: 1 }), record({ version: 9 }), record({ version: 1, review: { status: 'maybe' } })].join('\n');
    const stats = datasetStats(Dataset.fromBytes('x.jsonl', Buffer.from(text)), { imageProblem: () => null });
    assert.equal(stats.checks.annotations, 2);
    assert.equal(stats.recordsWithErrors, 2);
  });
});
