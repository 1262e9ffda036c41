import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { OpenAICompatibleBackend } from '../../src/backends/openai';
import { ImageResolver } from '../../src/dataset/images';
import type { Backend, GenerationRequest } from '../../src/backends/types';
import type { Candidate, GenerationResult } from '../../src/protocol';
import { startServer, type RunningServer } from '../../src/serve';
import { acceptedDataUri, makeImageFolders, PNG_BASE64 } from '../harness/imageFolders';
import { engineBackend, ObservedBackend, until } from '../harness/servedEngine';

const MODEL = 'test-model';
const API_KEY = 'test-key';
const PROMPT = 'The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun.';
/** Tokens that keep a generation going long enough to interrupt it, yet fit beside PROMPT in the model's 2048 positions. */
const LONG = 1900;

function assertCandidate(candidate: Candidate, maxTokens: number): void {
  // Our server names an end of sequence as vLLM does (`stop_reason: null`), so it comes back as one.
  assert.ok(['stop', 'eos', 'length'].includes(candidate.finishReason), `finish reason ${candidate.finishReason}`);
  if (candidate.text !== '') assert.ok(candidate.tokenLogprobs.length > 0, 'log-probabilities arrive with the text');
  assert.ok(candidate.tokenLogprobs.length <= maxTokens);
  for (const logprob of candidate.tokenLogprobs) assert.ok(logprob <= 0, `log-probability ${logprob}`);
  assert.ok(Math.abs(candidate.logprob - candidate.tokenLogprobs.reduce((sum, value) => sum + value, 0)) < 1e-6);
  if (candidate.tokens.length > 0) assert.equal(candidate.tokens.length, candidate.tokenLogprobs.length);
}

/** Generates while recording the streamed deltas of each candidate. */
async function streamed(backend: Backend, request: GenerationRequest, signal?: AbortSignal): Promise<{ result: GenerationResult; deltas: string[] }> {
  const deltas: string[] = [];
  const result = await backend.generate(request, {
    signal,
    onToken: ({ candidate, text }) => {
      deltas[candidate] = (deltas[candidate] ?? '') + text;
    },
  });
  return { result, deltas };
}

describe('OpenAI-compatible backend against our server and the engine', () => {
  let engine: ObservedBackend;
  let server: RunningServer;
  let client: OpenAICompatibleBackend;
  let imagePath: string;

  before(async () => {
    engine = new ObservedBackend(await engineBackend());
    server = await startServer({ backend: engine, modelName: MODEL, apiKey: API_KEY, maxBodyBytes: 256 * 1024 });
    client = new OpenAICompatibleBackend({ baseUrl: server.url, model: MODEL, apiKey: API_KEY });
    imagePath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cot-openai-')), 'pixel.png');
    fs.writeFileSync(imagePath, Buffer.from(PNG_BASE64, 'base64'));
  });

  after(async () => {
    await client.dispose();
    await server.close();
    await engine.dispose();
    fs.rmSync(path.dirname(imagePath), { recursive: true, force: true });
  });

  it('draws n candidates for a text prompt, with log-probabilities and usage', async () => {
    const result = await client.generate({ prompt: { text: PROMPT }, sampling: { n: 3, maxTokens: 12, seed: 7 } });
    assert.equal(result.candidates.length, 3);
    for (const candidate of result.candidates) assertCandidate(candidate, 12);
    assert.equal(result.ep, 'remote');
    assert.equal(result.model, MODEL);
    assert.equal(result.seed, 7);
    assert.ok(result.promptTokens.length > 0, 'our server returns the prompt token ids');
    assert.ok(result.tokensComputed >= result.promptTokens.length);
    assert.equal(result.timing.loadMs, 0);
    assert.equal(client.name, `openai:${server.url} ${MODEL}`);
  });

  it('decodes max_tokens tokens when told to ignore the end of sequence', async () => {
    const result = await client.generate({ prompt: { text: PROMPT }, sampling: { n: 2, maxTokens: 5, ignoreEos: true } });
    for (const candidate of result.candidates) {
      assert.equal(candidate.finishReason, 'length');
      assert.equal(candidate.tokens.length, 5);
    }
  });

  it('streams deltas that add up to each final candidate', async () => {
    const { result, deltas } = await streamed(client, { prompt: { text: PROMPT }, sampling: { n: 2, maxTokens: 16 } });
    // A candidate that ends at once (EOS first) streams nothing, and its text is empty.
    assert.deepEqual(
      result.candidates.map((_, i) => deltas[i] ?? ''),
      result.candidates.map((candidate) => candidate.text),
    );
    assert.equal(result.candidates.length, 2);
  });

  it('cuts a candidate at the first stop string, names it, and never streams past it', async () => {
    const greedy = { maxTokens: 16, temperature: 0, ignoreEos: true };
    const [free] = (await client.generate({ prompt: { text: PROMPT }, sampling: greedy })).candidates;
    assert.ok(free !== undefined && free.text.length >= 4, `greedy text ${JSON.stringify(free?.text)}`);
    const middle = Math.floor(free.text.length / 2);
    const stop = free.text.slice(middle, middle + 2);
    const { result, deltas } = await streamed(client, { prompt: { text: PROMPT }, sampling: { ...greedy, stop: [stop, 'never-decoded-stop'] } });
    const [cut] = result.candidates;
    assert.equal(cut?.text, free.text.slice(0, free.text.indexOf(stop)));
    assert.equal(cut?.finishReason, 'stop');
    assert.equal(cut?.stopString, stop);
    assert.equal(deltas[0] ?? '', cut?.text);
  });

  it('reproduces candidates from a seed', async () => {
    const request: GenerationRequest = { prompt: { text: PROMPT }, sampling: { n: 2, maxTokens: 10, temperature: 1, seed: 1234 } };
    const first = await client.generate(request);
    const second = await client.generate(request);
    assert.deepEqual(
      second.candidates.map((candidate) => candidate.text),
      first.candidates.map((candidate) => candidate.text),
    );
  });

  it('continues an assistant prefix of a chat prompt; images reach the engine as data URIs', async () => {
    const messages = [
      { role: 'user' as const, content: 'What is in the picture?' },
      { role: 'assistant' as const, content: 'The picture shows' },
    ];
    const images = new ImageResolver(path.dirname(imagePath)).forModel(['pixel.png']);
    const result = await client.generate({ prompt: { messages, continueFinal: true }, images, sampling: { n: 2, maxTokens: 8 } });
    assert.equal(result.candidates.length, 2);
    for (const candidate of result.candidates) assertCandidate(candidate, 8);
    const seen = engine.requests.at(-1);
    assert.deepEqual(seen?.images, [`data:image/png;base64,${PNG_BASE64}`]);
    // Sent before the question's text, where images go when nothing says otherwise: the text is as it was.
    assert.deepEqual(seen?.prompt, { messages, continueFinal: true });
  });

  it('sends the images of a record as data URIs read from the allowed folders, and reads no file itself', async () => {
    const folders = makeImageFolders();
    try {
      const resolver = new ImageResolver(folders.datasetDir, [folders.imageRoot]);
      const messages = [{ role: 'user' as const, content: 'What is in the picture?' }];
      const sent = engine.requests.length;
      let accepted = 0;
      for (const { what, image, accepted: file, refused } of folders.cases) {
        if (file === undefined) {
          assert.throws(
            () => resolver.forModel([image]),
            (error: Error) => error.message.startsWith(refused ?? ''),
            what,
          );
          continue;
        }
        await client.generate({ prompt: { messages }, images: resolver.forModel([image]), sampling: { n: 1, maxTokens: 1 } });
        assert.deepEqual(engine.requests.at(-1)?.images, [acceptedDataUri(file)], what);
        accepted++;
      }
      // A path handed straight to the backend is refused unread, wherever it points.
      for (const image of [folders.outside, path.join(folders.datasetDir, 'images', 'good.png')]) {
        await assert.rejects(client.generate({ prompt: { messages }, images: [image] }), /not a data:image\/…;base64 URI/);
      }
      assert.equal(engine.requests.length, sent + accepted, 'only the accepted images reached the server');
    } finally {
      folders.remove();
    }
  });

  it('refuses images with a text prompt', async () => {
    const images = new ImageResolver(path.dirname(imagePath)).forModel(['pixel.png']);
    await assert.rejects(client.generate({ prompt: { text: PROMPT }, images }), /images need a chat prompt/);
  });

  it('cancels on abort: partial candidates come back and the engine stops too', async () => {
    const abortsBefore = engine.aborts;
    const controller = new AbortController();
    const result = await client.generate(
      { prompt: { text: PROMPT }, sampling: { n: 2, maxTokens: LONG, ignoreEos: true } },
      { signal: controller.signal, onToken: () => controller.abort() },
    );
    assert.equal(result.candidates.length, 2);
    for (const candidate of result.candidates) assert.equal(candidate.finishReason, 'cancelled');
    assert.ok(
      result.candidates.some((candidate) => candidate.text !== ''),
      'the text decoded before the abort is kept',
    );
    await until(() => engine.aborts > abortsBefore, 'the server to abort the engine');
    await until(() => engine.active === 0, 'the engine to stop');
  });

  it('runs the engine one request at a time, in arrival order', async () => {
    engine.maxActive = 0;
    const first = engine.requests.length;
    const generate = (seed: number, maxTokens: number): Promise<GenerationResult> =>
      client.generate({ prompt: { text: PROMPT }, sampling: { maxTokens, seed, ignoreEos: true } });
    const pending = [generate(1, 300)];
    await until(() => engine.active === 1, 'the first generation to start');
    pending.push(generate(2, 20));
    await sleep(100);
    pending.push(generate(3, 20));
    assert.equal((await Promise.all(pending)).length, 3);
    assert.equal(engine.maxActive, 1);
    assert.deepEqual(
      engine.requests.slice(first).map((request) => request.sampling?.seed),
      [1, 2, 3],
    );
  });

  it('reports a wrong API key with the status and the server text, without retrying', async () => {
    const wrong = new OpenAICompatibleBackend({ baseUrl: server.url, model: MODEL, apiKey: 'wrong-key', backoffMs: 1 });
    const before = engine.requests.length;
    await assert.rejects(wrong.generate({ prompt: { text: PROMPT } }), /401 Unauthorized: missing or wrong API key/);
    assert.equal(engine.requests.length, before);
  });

  describe('over plain HTTP', () => {
    const call = (route: string, init: RequestInit = {}, key = API_KEY): Promise<Response> =>
      fetch(`${server.url}${route}`, {
        ...init,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers },
      });
    const post = (route: string, body: unknown): Promise<Response> => call(route, { method: 'POST', body: JSON.stringify(body) });

    async function errorOf(response: Response, status: number): Promise<{ message: string; type: string; param: string | null }> {
      assert.equal(response.status, status);
      const body = (await response.json()) as { error: { message: string; type: string; param: string | null } };
      assert.equal(typeof body.error.message, 'string');
      return body.error;
    }

    it('lists the model', async () => {
      const response = await call('/models');
      assert.equal(response.status, 200);
      assert.deepEqual(
        ((await response.json()) as { data: Array<{ id: string }> }).data.map((model) => model.id),
        [MODEL],
      );
    });

    it('answers 401 to a wrong or missing key, 404 to an unknown route and 405 to a wrong method', async () => {
      assert.equal((await errorOf(await call('/models', {}, 'nope'), 401)).type, 'authentication_error');
      assert.equal((await fetch(`${server.url}/models`)).status, 401);
      await errorOf(await call('/embeddings', { method: 'POST', body: '{}' }), 404);
      const wrongMethod = await call('/completions');
      assert.equal(wrongMethod.headers.get('allow'), 'POST');
      await errorOf(wrongMethod, 405);
    });

    it('answers 400 naming the bad field', async () => {
      const badLimit = await errorOf(await post('/completions', { model: MODEL, prompt: PROMPT, max_tokens: -1 }), 400);
      assert.equal(badLimit.param, 'max_tokens');
      assert.match(badLimit.message, /max_tokens/);
      const badStop = await errorOf(await post('/completions', { prompt: PROMPT, stop: 7 }), 400);
      assert.equal(badStop.param, 'stop');
      const noPrompt = await errorOf(await post('/completions', { model: MODEL }), 400);
      assert.equal(noPrompt.param, 'prompt');
      const remoteImage = await errorOf(
        await post('/chat/completions', {
          messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }],
        }),
        400,
      );
      assert.equal(remoteImage.param, 'messages.0.content.0.image_url.url');
      assert.match(remoteImage.message, /data:image/);
      await errorOf(await call('/completions', { method: 'POST', body: '{not json' }), 400);
    });

    it('answers 413 to a body over the limit', async () => {
      await errorOf(await post('/completions', { prompt: 'x'.repeat(300 * 1024) }), 413);
    });

    it('answers a completion in the OpenAI shape, with stop_reason when a stop string ended it', async () => {
      const response = await post('/completions', { model: MODEL, prompt: PROMPT, n: 2, max_tokens: 6, logprobs: 1, stop: ' ', seed: 3 });
      assert.equal(response.status, 200);
      const body = (await response.json()) as {
        object: string;
        model: string;
        choices: Array<{ index: number; text: string; logprobs: { token_logprobs: number[] }; finish_reason: string; stop_reason: string | null }>;
        usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
      };
      assert.equal(body.object, 'text_completion');
      assert.equal(body.model, MODEL);
      assert.deepEqual(
        body.choices.map((choice) => choice.index),
        [0, 1],
      );
      for (const choice of body.choices) {
        assert.ok(!choice.text.includes(' '));
        assert.ok(['stop', 'length'].includes(choice.finish_reason));
        if (choice.stop_reason !== null) assert.equal(choice.stop_reason, ' ');
        for (const logprob of choice.logprobs.token_logprobs) assert.ok(logprob <= 0);
      }
      assert.equal(body.usage.total_tokens, body.usage.prompt_tokens + body.usage.completion_tokens);
    });

    it('answers a chat completion; image_url parts become the request images, a placeholder marking those not at the head of the first question', async () => {
      const url = `data:image/png;base64,${PNG_BASE64}`;
      const response = await post('/chat/completions', {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url } },
              { type: 'text', text: 'Describe it.' },
            ],
          },
        ],
        max_tokens: 4,
      });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { object: string; choices: Array<{ message: { role: string; content: string }; logprobs: unknown }> };
      assert.equal(body.object, 'chat.completion');
      assert.equal(body.choices[0]?.message.role, 'assistant');
      assert.equal(body.choices[0]?.logprobs, null);
      const seen = engine.requests.at(-1);
      assert.deepEqual(seen?.images, [url]);
      assert.deepEqual(seen?.prompt, { messages: [{ role: 'user', content: 'Describe it.' }], continueFinal: false });
      const later = await post('/chat/completions', {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url } },
              { type: 'text', text: 'Describe it.' },
            ],
          },
          { role: 'assistant', content: 'A pixel.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'And this one?' },
              { type: 'image_url', image_url: { url } },
            ],
          },
        ],
        max_tokens: 4,
      });
      assert.equal(later.status, 200);
      assert.deepEqual(engine.requests.at(-1)?.prompt, {
        messages: [
          { role: 'user', content: '<image>\nDescribe it.' },
          { role: 'assistant', content: 'A pixel.' },
          { role: 'user', content: 'And this one?\n<image>' },
        ],
        continueFinal: false,
      });
    });
  });
});

describe('our server on its own', () => {
  const longStream = (url: string, signal?: AbortSignal): Promise<Response> =>
    fetch(`${url}/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: PROMPT, max_tokens: LONG, ignore_eos: true, stream: true }),
      signal,
    });

  it('answers 503 with Retry-After once maxQueue requests are waiting', async () => {
    const engine = new ObservedBackend(await engineBackend());
    const server = await startServer({ backend: engine, modelName: MODEL, maxQueue: 0 });
    const controller = new AbortController();
    try {
      const running = await longStream(server.url, controller.signal);
      assert.equal(running.status, 200);
      await until(() => engine.active === 1, 'the generation to start');
      const refused = await fetch(`${server.url}/completions`, { method: 'POST', body: JSON.stringify({ prompt: PROMPT }) });
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '1');
      controller.abort();
      await until(() => engine.active === 0, 'the aborted generation to end');
    } finally {
      await server.close();
      await engine.dispose();
    }
  });

  it('answers 500 with the message of a backend that fails before any text, streamed or not; later, as a stream event', async () => {
    let textFirst = false;
    const failing: Backend = {
      name: 'always-fails',
      generate: (_, options) => {
        if (textFirst) options?.onToken?.({ candidate: 0, text: 'The' });
        return Promise.reject(new Error('model file is missing'));
      },
      dispose: () => Promise.resolve(),
    };
    const server = await startServer({ backend: failing, modelName: MODEL });
    try {
      for (const stream of [false, true]) {
        const response = await fetch(`${server.url}/completions`, { method: 'POST', body: JSON.stringify({ prompt: PROMPT, stream }) });
        assert.equal(response.status, 500);
        assert.equal(((await response.json()) as { error: { message: string } }).error.message, 'model file is missing');
      }
      const client = new OpenAICompatibleBackend({ baseUrl: server.url, model: MODEL, backoffMs: 1 });
      await assert.rejects(client.generate({ prompt: { text: PROMPT } }), /500 Internal Server Error: model file is missing/);
      textFirst = true;
      await assert.rejects(client.generate({ prompt: { text: PROMPT } }), /failed while streaming: model file is missing/);
    } finally {
      await server.close();
    }
  });

  it('aborts the generation in flight when closing, and resolves once it has ended', async () => {
    const engine = new ObservedBackend(await engineBackend());
    const server = await startServer({ backend: engine, modelName: MODEL });
    const response = await longStream(server.url);
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    await until(() => engine.active === 1, 'the generation to start');
    await server.close();
    assert.equal(engine.aborts, 1);
    assert.equal(engine.active, 0);
    await assert.rejects(response.text());
    await engine.dispose();
  });
});

/** A raw HTTP server standing in for a flaky remote: it answers from a script and counts attempts and concurrency. */
class FlakyRemote {
  readonly attempts: number[] = [];
  active = 0;
  maxActive = 0;
  private readonly server: http.Server;

  private constructor(script: (attempt: number, res: http.ServerResponse) => void | Promise<void>) {
    this.server = http.createServer((req, res) => {
      this.attempts.push(Date.now());
      this.active++;
      this.maxActive = Math.max(this.maxActive, this.active);
      res.on('close', () => this.active--);
      req.resume();
      req.on('end', () => void script(this.attempts.length, res));
    });
  }

  static async start(script: (attempt: number, res: http.ServerResponse) => void | Promise<void>): Promise<FlakyRemote> {
    const remote = new FlakyRemote(script);
    await new Promise<void>((resolve) => remote.server.listen(0, '127.0.0.1', resolve));
    return remote;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  backend(options: { retries?: number; timeoutMs?: number; maxConcurrent?: number } = {}): OpenAICompatibleBackend {
    return new OpenAICompatibleBackend({ baseUrl: this.url, model: 'flaky', backoffMs: 5, ...options });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function answerStream(res: http.ServerResponse, texts: string[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const text of texts)
    res.write(`data: ${JSON.stringify({ choices: [{ index: 0, text, logprobs: { token_logprobs: [-0.5] }, finish_reason: null }] })}\n\n`);
  res.write(`data: ${JSON.stringify({ choices: [{ index: 0, text: '', finish_reason: 'length' }] })}\n\n`);
  res.end('data: [DONE]\n\n');
}

function answerError(res: http.ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { message } }));
}

describe('OpenAI-compatible backend against a flaky remote', () => {
  const request: GenerationRequest = { prompt: { text: 'hello' }, sampling: { maxTokens: 4 } };

  it('retries 5xx with backoff until the server answers', async () => {
    const remote = await FlakyRemote.start((attempt, res) => (attempt < 3 ? answerError(res, 503, 'warming up') : answerStream(res, ['a', 'b'])));
    try {
      const result = await remote.backend().generate(request);
      assert.equal(result.candidates[0]?.text, 'ab');
      assert.deepEqual(result.candidates[0]?.tokenLogprobs, [-0.5, -0.5]);
      assert.equal(result.candidates[0]?.finishReason, 'length');
      assert.equal(remote.attempts.length, 3);
    } finally {
      await remote.close();
    }
  });

  it('retries a connection that drops before any text', async () => {
    const remote = await FlakyRemote.start((attempt, res) => {
      if (attempt === 1) res.socket?.destroy();
      else answerStream(res, ['back']);
    });
    try {
      const result = await remote.backend().generate(request);
      assert.equal(result.candidates[0]?.text, 'back');
      assert.equal(remote.attempts.length, 2);
    } finally {
      await remote.close();
    }
  });

  it('waits as long as Retry-After says after a 429', async () => {
    const remote = await FlakyRemote.start((attempt, res) =>
      attempt === 1 ? answerError(res, 429, 'slow down', { 'retry-after': '1' }) : answerStream(res, ['ok']),
    );
    try {
      const result = await remote.backend().generate(request);
      assert.equal(result.candidates[0]?.text, 'ok');
      const [first = 0, second = 0] = remote.attempts;
      assert.ok(second - first >= 950, `retried after ${second - first} ms`);
    } finally {
      await remote.close();
    }
  });

  it('gives up after the configured retries, naming the status and the server text', async () => {
    const remote = await FlakyRemote.start((_, res) => answerError(res, 502, 'upstream down'));
    try {
      await assert.rejects(remote.backend({ retries: 2 }).generate(request), /502 Bad Gateway: upstream down/);
      assert.equal(remote.attempts.length, 3);
    } finally {
      await remote.close();
    }
  });

  it('does not retry other 4xx', async () => {
    const remote = await FlakyRemote.start((_, res) => answerError(res, 400, "'max_tokens' is too large"));
    try {
      await assert.rejects(remote.backend().generate(request), /400 Bad Request: 'max_tokens' is too large/);
      assert.equal(remote.attempts.length, 1);
    } finally {
      await remote.close();
    }
  });

  it('times out an attempt that gets no answer, and retries it', async () => {
    const remote = await FlakyRemote.start(() => undefined);
    try {
      await assert.rejects(remote.backend({ retries: 1, timeoutMs: 150 }).generate(request), /no answer from .* for 150 ms/);
      assert.equal(remote.attempts.length, 2);
    } finally {
      await remote.close();
    }
  });

  it('keeps at most maxConcurrent requests in flight', async () => {
    const remote = await FlakyRemote.start(async (_, res) => {
      await sleep(40);
      answerStream(res, ['x']);
    });
    try {
      const backend = remote.backend({ maxConcurrent: 2 });
      const results = await Promise.all(Array.from({ length: 6 }, () => backend.generate(request)));
      assert.equal(results.length, 6);
      assert.equal(remote.attempts.length, 6);
      assert.equal(remote.maxActive, 2);
    } finally {
      await remote.close();
    }
  });

  it('rejects a malformed chunk, naming what was wrong, without retrying', async () => {
    const remote = await FlakyRemote.start((_, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${JSON.stringify({ choices: [{ index: 0, text: 5 }] })}\n\ndata: [DONE]\n\n`);
    });
    try {
      await assert.rejects(remote.backend().generate(request), /malformed response from the completions endpoint: choices\.0\.text/);
      assert.equal(remote.attempts.length, 1);
    } finally {
      await remote.close();
    }
  });

  it("reads a stop as an end of sequence only where the server says so with vLLM's stop_reason: null", async () => {
    const finals = [{ finish_reason: 'stop', stop_reason: null }, { finish_reason: 'stop' }, { finish_reason: 'stop', stop_reason: '</a>' }];
    const remote = await FlakyRemote.start((attempt, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${JSON.stringify({ choices: [{ index: 0, text: 'x', ...finals[attempt - 1] }] })}\n\ndata: [DONE]\n\n`);
    });
    try {
      const backend = remote.backend();
      const reasons = [];
      for (const _ of finals) reasons.push((await backend.generate(request)).candidates.map((candidate) => [candidate.finishReason, candidate.stopString]));
      assert.deepEqual(reasons, [[['eos', undefined]], [['stop', undefined]], [['stop', '</a>']]]);
    } finally {
      await remote.close();
    }
  });

  it('says so when the server returns fewer candidates than n', async () => {
    const remote = await FlakyRemote.start((_, res) => answerStream(res, ['only one']));
    try {
      await assert.rejects(remote.backend().generate({ ...request, sampling: { n: 2 } }), /returned 1 of 2 candidates/);
    } finally {
      await remote.close();
    }
  });
});
