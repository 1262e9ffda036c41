import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { BadRequestError, OpenAI } from 'openai';
import { constraintRegex } from '../../src/backends/constraint';
import { OpenAICompatibleBackend } from '../../src/backends/openai';
import type { Segment } from '../../src/dataset/record';
import { TextRegex } from '../../src/engine/decode/textRegex';
import type { LocalEngine } from '../../src/engine/localEngine';
import type { SamplingInput } from '../../src/protocol';
import { segmentBoundary } from '../../src/search/segmentPrompt';
import { startServer, type RunningServer } from '../../src/serve';
import { engineBackend } from '../harness/servedEngine';

const MODEL = 'tiny-bigram';
const segment = (kind: Segment['kind'], label: string): Segment => ({ kind, label, text: '', path: [], span: [0, 0] });
/** The constraints the searches send: a LLaVA-CoT stage, a think part, an answer, a Mulberry step. */
const BOUNDARIES = [segment('stage', 'REASONING'), segment('think', 'think'), segment('answer', 'answer'), segment('step', 'Step 2')].map(segmentBoundary);
const constraintOf = (boundary: (typeof BOUNDARIES)[number]) => ({ forbid: boundary.forbid, stop: boundary.stop, requireStop: boundary.needsStop });
const REASONING = constraintOf(BOUNDARIES[0] as (typeof BOUNDARIES)[number]);
const REASONING_REGEX = constraintRegex(REASONING) as string;

/** Texts made of the pieces markup is made of, so that near misses (`</REASON`, `<<`, `\n##`) are common. */
function textsOf(seed: number, count: number, ends: readonly string[]): string[] {
  const pieces = [
    '<',
    '/',
    '>',
    'REASONING',
    'SUMMARY',
    'REASON',
    'think',
    'answer',
    '\n',
    '#',
    '###',
    ' ',
    'x',
    'é',
    '<REASONING>',
    '</REASONING>',
    '</SUMMARY>',
    '<answer>',
    '</think>',
    '\n###',
  ];
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31);
  return Array.from(
    { length: count },
    () => Array.from({ length: next() % 9 }, () => pieces[next() % pieces.length]).join('') + (next() % 2 === 0 ? (ends[next() % ends.length] ?? '') : ''),
  );
}

/** What the constraint means, said directly: no forbidden string, and the stop string last where one is required. */
function keeps(text: string, { forbid, stop, requireStop }: { forbid: string[]; stop: string[]; requireStop: boolean }): boolean {
  if (requireStop && !stop.some((end) => text.endsWith(end))) return false;
  const body = requireStop ? text.slice(0, text.length - (stop.find((end) => text.endsWith(end)) as string).length) : text;
  return !forbid.some((markup) => body.includes(markup));
}

const matches = (regex: string, text: string): boolean => {
  const compiled = TextRegex.compile(regex);
  return compiled.accepts(compiled.advance(compiled.start, text));
};

describe("a segment's constraint as a regular expression", () => {
  it("accepts exactly the texts that keep the segment's markup, read by our engine and by Python's re", () => {
    for (const boundary of BOUNDARIES) {
      const constraint = constraintOf(boundary);
      const regex = constraintRegex(constraint);
      assert.ok(regex !== undefined, `an expression for ${boundary.end}`);
      const texts = [
        ...textsOf(boundary.forbid.length, 3000, constraint.stop),
        ...constraint.stop,
        ...constraint.forbid.map((markup) => `a${markup}b${constraint.stop[0]}`),
      ];
      const expected = texts.map((text) => keeps(text, constraint));
      assert.ok(expected.filter(Boolean).length > 20 && expected.filter((kept) => !kept).length > 20, 'both kinds of text are tried');
      assert.deepEqual(
        texts.map((text) => matches(regex, text)),
        expected,
        `our reading of ${regex}`,
      );
      // vLLM and SGLang take Python's syntax: the same expression must mean the same there.
      const python = execFileSync(
        'python3',
        ['-c', 'import json,re,sys; r=re.compile(sys.argv[1]); print(json.dumps([r.fullmatch(t) is not None for t in json.load(sys.stdin)]))', regex],
        { input: JSON.stringify(texts) },
      );
      assert.deepEqual(JSON.parse(python.toString()), expected, `Python's reading of ${regex}`);
    }
  });

  it('gives no expression where nothing is constrained, and none for markup that holds its own first character again', () => {
    assert.equal(constraintRegex({ forbid: [], stop: ['\n###'], requireStop: false }), undefined);
    assert.equal(constraintRegex({ forbid: ['<a<b>'], stop: [], requireStop: false }), undefined);
    assert.ok(matches(constraintRegex({ forbid: [], stop: ['</answer>'], requireStop: true }) as string, 'any text\n</answer>'));
  });
});

describe('structured outputs on our server, asked through the official openai client', () => {
  let engine: LocalEngine;
  let server: RunningServer;
  let client: OpenAI;
  const PROMPT = 'What is in the image?\n<SUMMARY>The image shows a bar chart.</SUMMARY>\n<CAPTION>';
  const asked = { model: MODEL, prompt: PROMPT, n: 8, max_tokens: 160, seed: 11, temperature: 1, stop: REASONING.stop };

  before(async () => {
    engine = await engineBackend();
    server = await startServer({ backend: engine, modelName: MODEL });
    client = new OpenAI({ baseURL: server.url, apiKey: 'unused', maxRetries: 0 });
  });

  after(async () => {
    await server.close();
    await engine.dispose();
  });

  /** Whether a choice can be, or already is, a match: the text with the stop string that ended it. */
  function keptMarkup(choice: { text: string; finish_reason: string; stop_reason?: unknown }): boolean {
    const compiled = TextRegex.compile(REASONING_REGEX);
    const state = compiled.advance(compiled.start, choice.text + (typeof choice.stop_reason === 'string' ? choice.stop_reason : ''));
    return choice.finish_reason === 'length' ? state !== undefined : compiled.accepts(state);
  }

  it('draws every candidate under structured_outputs.regex, where the same request drawn freely breaks the markup', async () => {
    const free = await client.completions.create(asked);
    const broken = free.choices.filter((choice) => !keptMarkup(choice));
    assert.ok(broken.length > 0, 'the bigram model writes other tags or ends early when drawn freely');
    const constrained = await client.completions.create({ ...asked, ...{ structured_outputs: { regex: REASONING_REGEX } } });
    assert.equal(constrained.choices.length, 8);
    for (const choice of constrained.choices)
      assert.ok(
        keptMarkup(choice),
        `${JSON.stringify(choice.text)} ended by ${choice.finish_reason} ${String((choice as { stop_reason?: unknown }).stop_reason)}`,
      );
    assert.ok(
      constrained.choices.some((choice) => choice.finish_reason === 'stop'),
      'some candidates reach their closing tag',
    );
  });

  it("takes guided_regex, vLLM's field before 0.11, and SGLang's regex the same way; one field at a time", async () => {
    for (const field of ['guided_regex', 'regex']) {
      const constrained = await client.completions.create({ ...asked, ...{ [field]: REASONING_REGEX } });
      for (const choice of constrained.choices) assert.ok(keptMarkup(choice), `${field}: ${JSON.stringify(choice.text)}`);
    }
    await assert.rejects(
      client.completions.create({ ...asked, ...{ guided_regex: REASONING_REGEX, regex: REASONING_REGEX } }),
      /give one of structured_outputs, guided_regex and regex/,
    );
  });

  it('answers 400 naming the field for an expression it cannot draw under, or a kind of structured output it does not draw', async () => {
    const refusals: Array<[Record<string, unknown>, RegExp, string]> = [
      [{ structured_outputs: { regex: 'a(?=b)' } }, /structured_outputs\.regex: the regular expression cannot be used/, 'structured_outputs.regex'],
      [{ guided_regex: '(' }, /guided_regex: the regular expression cannot be used/, 'guided_regex'],
      [{ structured_outputs: { json: { type: 'object' } } }, /structured_outputs: Unrecognized key/, 'structured_outputs'],
    ];
    for (const [field, message, param] of refusals) {
      await assert.rejects(client.completions.create({ ...asked, ...field }), (error: unknown) => {
        assert.ok(error instanceof BadRequestError, String(error));
        assert.match(error.message, message);
        assert.equal(error.param, param);
        return true;
      });
    }
  });
});

const FIELDS = ['structured_outputs', 'guided_regex', 'regex'];

/**
 * How a fake server (a proxy in front of ours) treats the constraint fields, standing in for servers we cannot run
 * here: it refuses some with a 400 as OpenAI's API does, or drops them all unread as llama.cpp and Ollama do.
 */
type Treatment = { refuses: string[] } | 'ignores them';

/** A fake OpenAI-compatible server: forwards to ours, refusing or dropping the constraint fields as `treatment` says. */
async function fakeServer(target: string, treatment: Treatment, seen: string[][]): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
    const fields = FIELDS.filter((field) => field in body);
    seen.push(fields);
    const refused = treatment === 'ignores them' ? undefined : fields.find((field) => treatment.refuses.includes(field));
    if (refused !== undefined) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `Unrecognized request argument supplied: ${refused}`, type: 'invalid_request_error' } }));
      return;
    }
    // Our server applies a field this one passes on; one that ignores the fields drops them.
    if (treatment === 'ignores them') for (const field of fields) delete body[field];
    const answer = await fetch(`${target}${req.url?.replace(/^\/v1/, '')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
    if (answer.body) Readable.fromWeb(answer.body).pipe(res);
    else res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('the OpenAI-compatible backend sends a segment its constraint', () => {
  let engine: LocalEngine;
  let server: RunningServer;
  const request = (seed: number) => ({
    prompt: { text: 'What is in the image?\n<SUMMARY>The image shows a bar chart.</SUMMARY>\n<CAPTION>' },
    sampling: { n: 8, maxTokens: 48, seed, ...REASONING } satisfies SamplingInput,
  });
  const brokenMarkup = (text: string) => REASONING.forbid.some((markup) => text.includes(markup));

  before(async () => {
    engine = await engineBackend();
    server = await startServer({ backend: engine, modelName: MODEL });
  });

  after(async () => {
    await server.close();
    await engine.dispose();
  });

  it('to our server in structured_outputs: every candidate keeps its markup, and its grammar says so', async () => {
    const backend = new OpenAICompatibleBackend({ baseUrl: server.url, model: MODEL });
    const result = await backend.generate(request(5));
    assert.equal(backend.grammar, 'structured_outputs regex');
    for (const candidate of result.candidates) {
      assert.ok(!brokenMarkup(candidate.text), JSON.stringify(candidate.text));
      assert.ok(candidate.finishReason === 'length' || candidate.stopString === '</REASONING>', `${candidate.finishReason} ${candidate.stopString}`);
    }
  });

  for (const [refuses, field, grammar] of [
    [['structured_outputs'], 'guided_regex', 'guided_regex'],
    [['structured_outputs', 'guided_regex'], 'regex', 'regex (SGLang)'],
  ] as const) {
    it(`to a server that refuses ${refuses.join(' and ')}, in ${field} from then on`, async () => {
      const seen: string[][] = [];
      const fake = await fakeServer(server.url, { refuses: [...refuses] }, seen);
      try {
        const backend = new OpenAICompatibleBackend({ baseUrl: fake.url, model: MODEL });
        await backend.generate(request(5));
        const second = await backend.generate(request(6));
        assert.deepEqual(seen, [...refuses.map((name) => [name]), [field], [field]]);
        assert.equal(backend.grammar, grammar);
        assert.ok(second.candidates.every((candidate) => !brokenMarkup(candidate.text)));
      } finally {
        await fake.close();
      }
    });
  }

  for (const treatment of [{ refuses: FIELDS }, 'ignores them'] as const) {
    const says = treatment === 'ignores them' ? 'ignores the fields' : 'refuses every field';
    it(`to a server that ${says}: checked after sampling, the broken candidates drawn again`, async () => {
      const seen: string[][] = [];
      const fake = await fakeServer(server.url, treatment, seen);
      try {
        const freely = new OpenAICompatibleBackend({ baseUrl: fake.url, model: MODEL, redraws: 0 });
        const drawnOnce = await freely.generate(request(5));
        const firstBackend = seen.length;
        const backend = new OpenAICompatibleBackend({ baseUrl: fake.url, model: MODEL, redraws: 6 });
        const redrawn = await backend.generate(request(5));
        const brokenOnce = drawnOnce.candidates.filter((candidate) => brokenMarkup(candidate.text) || candidate.finishReason === 'eos').length;
        const brokenAfter = redrawn.candidates.filter((candidate) => brokenMarkup(candidate.text) || candidate.finishReason === 'eos').length;
        assert.ok(brokenOnce > 0, 'some candidates drawn freely break the markup');
        assert.ok(brokenAfter < brokenOnce, `broken after redrawing: ${brokenAfter}, before: ${brokenOnce}`);
        assert.ok(redrawn.tokensComputed > drawnOnce.tokensComputed, 'the redraws are counted');
        // Each field is sent until the server shows it does not take it, in order, and never again after.
        const sent = seen.slice(firstBackend).flat();
        assert.deepEqual(sent, FIELDS.slice(0, sent.length), JSON.stringify(seen));
        if (treatment !== 'ignores them') {
          assert.equal(backend.grammar, 'checked after sampling');
          assert.deepEqual(sent, FIELDS);
        }
        assert.ok(seen.length > firstBackend + sent.length, `broken candidates were drawn again: ${JSON.stringify(seen)}`);
      } finally {
        await fake.close();
      }
    });
  }
});
