import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { structureOf } from '../../src/dataset/formats/structure';
import { readRecordState } from '../../src/dataset/operations';
import { TextRegex } from '../../src/engine/decode/textRegex';
import { continuationRegex } from '../../src/search/mcts/continuationGrammar';
import { MARKUP } from '../../src/search/segmentPrompt';
import { sampleRecords } from '../harness/sampleRecords';

const matches = (regex: string, text: string): boolean => {
  const compiled = TextRegex.compile(regex);
  return compiled.accepts(compiled.advance(compiled.start, text));
};
/** Whether `text` could still grow into a match. */
const canContinue = (regex: string, text: string): boolean => {
  const compiled = TextRegex.compile(regex);
  return compiled.advance(compiled.start, text) !== undefined;
};

const LLAVA = JSON.stringify({
  conversations: [
    { from: 'human', value: '<image>\nHow many bars?' },
    {
      from: 'gpt',
      value: '<SUMMARY>Count the bars.</SUMMARY>\n\n<CAPTION>A bar chart.</CAPTION>\n\n<REASONING>There are 3.</REASONING>\n\n<CONCLUSION>3</CONCLUSION>',
    },
  ],
});

describe('the grammar of a tree-search continuation', () => {
  it("accepts the record's own rest of the response from every segment, and from every step a chain reaches", () => {
    const failures: string[] = [];
    let tried = 0;
    for (const { at, record } of sampleRecords()) {
      const response = record.responses[0];
      if (response === undefined) continue;
      const structure = structureOf(record.format, response.text);
      // A segment that holds markup breaks the format already: no continuation of the record's can follow it.
      if (structure === null || response.segments.some((segment) => MARKUP.some((markup) => segment.text.includes(markup)))) continue;
      response.segments.forEach((segment, first) => {
        for (const step of response.segments.slice(first)) {
          const written = response.text.slice(0, step.span[0]);
          const regex = continuationRegex(structure, response, first, written);
          tried++;
          if (regex === undefined || !matches(regex, response.text.slice(step.span[0])))
            failures.push(`${at}: from ${segment.label}, written up to ${step.label}`);
        }
      });
    }
    assert.deepEqual(failures, []);
    assert.ok(tried > 100, `${tried} continuations tried`);
  });

  it('keeps the stages in order and ends in the last one; ends a Mulberry chain in its final answer', () => {
    const record = readRecordState(LLAVA).parsed;
    const response = record.responses[0];
    assert.ok(response);
    const regex = continuationRegex('stages', response, 1, response.text.slice(0, response.segments[1]?.span[0]));
    assert.ok(regex !== undefined);
    assert.ok(matches(regex, 'Bars on a grid.</CAPTION>\n\n<REASONING>Four bars.</REASONING>\n\n<CONCLUSION>4</CONCLUSION>'));
    assert.equal(matches(regex, 'Bars.</CAPTION>\n\n<CONCLUSION>4</CONCLUSION>'), false, 'no stage skipped');
    assert.equal(canContinue(regex, 'Bars.</CAPTION>\n\n<REASONING>Four <SUMMARY>'), false, 'no stage inside another');
    assert.equal(matches(regex, 'Bars.</CAPTION>\n\n<REASONING>Four bars.</REASONING>'), false, 'no end before the last stage');

    const mulberry = '### Image Description:\nA triangle.\n\n### Rationales:\nPythagoras.\n\n### Step 1:\nx = 10.\n\n### The final answer is:\nB';
    const sections = readRecordState(
      JSON.stringify({
        messages: [
          { role: 'user', content: '<image>Find x.' },
          { role: 'assistant', content: mulberry },
        ],
        images: 'x.png',
      }),
    ).parsed.responses[0];
    assert.ok(sections);
    const steps = continuationRegex('sections', sections, 2, sections.text.slice(0, sections.segments[2]?.span[0])) as string;
    assert.ok(matches(steps, "Let's think.\n\n### Step 1:\nA.\n\n### Step 2:\nB.\n\n### The final answer is:\nB"), 'any number of steps');
    assert.equal(matches(steps, 'Let us think.\n\n### Step 1:\nA.'), false, 'a chain ends in its final answer');
    assert.equal(canContinue(steps, 'A <think> tag'), false);
  });
});
