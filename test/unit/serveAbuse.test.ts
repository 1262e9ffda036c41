import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BadRequestError, OpenAI } from 'openai';
import { EngineProcessBackend } from '../../src/backends/engineProcess';
import { ContextLengthError } from '../../src/backends/promptLimits';
import { maxTokenBytes } from '../../src/engine/model/tokenBytes';
import { EngineClient } from '../../src/engineClient';
import type { PromptLimits } from '../../src/protocol';
import { openBindWarning, startServer, type RunningServer, type ServeOptionsInput } from '../../src/serve';
import { cliPath } from '../harness/cli';
import { projectRoot } from '../harness/fixtures';
import { bigramModel, ObservedBackend, until } from '../harness/servedEngine';

const MODEL = 'tiny';
const KEY = 'abuse-test-key';
/** Positions of the test model: small, so that ordinary prompts can pass it. */
const CONTEXT = 128;
const PROMPT = 'The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun.';

/** A client that speaks HTTP by hand, as slow or hostile clients do; it keeps everything the server sends. */
class RawClient {
  private readonly received: Buffer[] = [];
  /** Everything the server sent, once the connection has closed. */
  readonly closed: Promise<string>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.received.push(chunk));
    // A dropped connection may be reset; what arrived before is what the tests look at.
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.on('close', () => resolve(Buffer.concat(this.received).toString('utf8'))));
  }

  static connect(server: RunningServer): Promise<RawClient> {
    const { hostname, port } = new URL(server.url);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), hostname, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string): void {
    this.socket.write(data);
  }

  /** Writes a request and resolves with the server's answer; the request asks the server to close afterwards. */
  async exchange(method: string, route: string, headers: Record<string, string>, body = ''): Promise<{ status: number; body: string }> {
    this.write(requestHead(method, route, { ...headers, 'content-length': String(Buffer.byteLength(body)) }) + body);
    return parseResponse(await this.closed);
  }
}

function requestHead(method: string, route: string, headers: Record<string, string>): string {
  const lines = Object.entries({ host: 'localhost', connection: 'close', ...headers }).map(([name, value]) => `${name}: ${value}\r\n`);
  return `${method} /v1${route} HTTP/1.1\r\n${lines.join('')}\r\n`;
}

function parseResponse(raw: string): { status: number; body: string } {
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(raw);
  assert.ok(match, `expected an HTTP response, got ${JSON.stringify(raw.slice(0, 200))}`);
  return { status: Number(match[1]), body: raw.slice(raw.indexOf('\r\n\r\n') + 4) };
}

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | number | null };
}

describe('serve against abusive clients', () => {
  let modelDir: string;
  let engine: EngineClient;
  let backend: ObservedBackend;
  let limits: PromptLimits;
  let server: RunningServer;
  let client: OpenAI;
  const servers: RunningServer[] = [];

  /** A server on the shared engine process; closed after the tests. */
  async function serve(options: Partial<ServeOptionsInput> = {}): Promise<RunningServer> {
    const started = await startServer({ backend, modelName: MODEL, apiKey: KEY, ...options });
    servers.push(started);
    return started;
  }

  /** What other clients see meanwhile: the model list and a small completion, through the official client. */
  async function othersServed(): Promise<void> {
    const models = await client.models.list();
    assert.deepEqual(
      models.data.map((model) => model.id),
      [MODEL],
    );
    const completion = await client.completions.create({ model: MODEL, prompt: PROMPT, max_tokens: 4 });
    assert.equal(completion.choices.length, 1);
  }

  before(async () => {
    modelDir = bigramModel(CONTEXT);
    // The engine process, as `cot-studio serve` runs it: tokenising and decoding stay off the server's thread.
    engine = new EngineClient(path.join(projectRoot, 'dist', 'engine.js'), () => undefined);
    const local = new EngineProcessBackend(engine, { model: modelDir, provider: 'cpu' });
    backend = new ObservedBackend(local);
    limits = await local.promptLimits();
    server = await serve({ headersTimeoutMs: 400, bodyIdleTimeoutMs: 300 });
    client = new OpenAI({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
  });

  after(async () => {
    await Promise.all(servers.map((running) => running.close()));
    await backend.dispose();
    engine.dispose();
    fs.rmSync(modelDir, { recursive: true, force: true });
  });

  it('knows the model context and the most bytes a token stands for', () => {
    assert.equal(limits.contextTokens, CONTEXT);
    assert.ok(limits.maxTokenBytes !== undefined && limits.maxTokenBytes >= 4, `maxTokenBytes ${limits.maxTokenBytes}`);
  });

  it('refuses a prompt of megabytes with 400 context_length_exceeded without sending it to the engine, serving others meanwhile', async () => {
    const before = backend.requests.length;
    const abuser = await RawClient.connect(server);
    const body = JSON.stringify({ model: MODEL, prompt: 'lorem ipsum '.repeat(2_000_000), max_tokens: 5 });
    const answered = abuser.exchange('POST', '/completions', { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body);
    await othersServed();
    const { status, body: text } = await answered;
    assert.equal(status, 400);
    const { error } = JSON.parse(text) as ErrorBody;
    assert.deepEqual(
      { type: error.type, param: error.param, code: error.code },
      { type: 'invalid_request_error', param: 'prompt', code: 'context_length_exceeded' },
    );
    assert.match(error.message, /the prompt is 24000000 bytes/);
    // Only the other client's completion reached the engine.
    assert.equal(backend.requests.length, before + 1);
  });

  it('answers 400 context_length_exceeded to the official client when the prompt and max_tokens pass the context', async () => {
    const fits = await client.completions.create({ model: MODEL, prompt: PROMPT, max_tokens: 1 });
    const promptTokens = fits.usage?.prompt_tokens ?? 0;
    assert.ok(promptTokens > 0 && promptTokens < CONTEXT, `${promptTokens} prompt tokens`);

    const tooMany = client.completions.create({ model: MODEL, prompt: PROMPT, max_tokens: CONTEXT - promptTokens + 1 });
    await assert.rejects(tooMany, (error: unknown) => {
      assert.ok(error instanceof BadRequestError, String(error));
      assert.equal(error.status, 400);
      assert.equal(error.code, 'context_length_exceeded');
      assert.equal(error.param, 'prompt');
      assert.match(error.message, new RegExp(`the prompt has ${promptTokens} tokens and ${CONTEXT - promptTokens + 1} more were asked for`));
      return true;
    });
    // Streamed, the refusal comes as a status too, before any event.
    await assert.rejects(client.completions.create({ model: MODEL, prompt: PROMPT, max_tokens: CONTEXT, stream: true }), BadRequestError);
    const exact = await client.completions.create({
      model: MODEL,
      prompt: PROMPT,
      max_tokens: CONTEXT - promptTokens,
      ignore_eos: true,
    } as OpenAI.CompletionCreateParamsNonStreaming);
    assert.equal(exact.usage?.completion_tokens, CONTEXT - promptTokens);
    // Without max_tokens, the default is shortened to what fits.
    const open = await client.completions.create({ model: MODEL, prompt: PROMPT });
    assert.ok((open.usage?.total_tokens ?? Infinity) <= CONTEXT);

    const chat = client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: PROMPT }], max_tokens: CONTEXT });
    await assert.rejects(chat, (error: unknown) => error instanceof BadRequestError && error.code === 'context_length_exceeded' && error.param === 'messages');
  });

  it('answers 400 context_length_exceeded to a prompt longer than the context that is short enough to tokenise', async () => {
    const long = Array.from({ length: 4 }, () => PROMPT).join(' ');
    assert.ok(Buffer.byteLength(long) <= CONTEXT * (limits.maxTokenBytes ?? 0), 'the engine tokenises this prompt');
    await assert.rejects(client.completions.create({ model: MODEL, prompt: long }), (error: unknown) => {
      assert.ok(error instanceof BadRequestError, String(error));
      assert.equal(error.code, 'context_length_exceeded');
      assert.match(error.message, new RegExp(`the prompt has \\d+ tokens; ${path.basename(modelDir)} reads at most ${CONTEXT}`));
      return true;
    });
  });

  it('the engine process refuses an oversized prompt itself, as a context-length error', async () => {
    await assert.rejects(backend.generate({ prompt: { messages: [{ role: 'user', content: 'x'.repeat(1_000_000) }] } }), (error: unknown) => {
      assert.ok(error instanceof ContextLengthError, String(error));
      assert.match(error.message, /the prompt is 1000000 bytes/);
      return true;
    });
  });

  it('drops a body that stops arriving with 408, serving others meanwhile', async () => {
    const slow = await RawClient.connect(server);
    slow.write(requestHead('POST', '/completions', { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'content-length': '1000' }));
    slow.write('{"prompt": "');
    await othersServed();
    const { status, body } = parseResponse(await slow.closed);
    assert.equal(status, 408);
    assert.match((JSON.parse(body) as ErrorBody).error.message, /sent nothing for 300 ms/);
  });

  it('drops headers that trickle in with 408', async () => {
    const slow = await RawClient.connect(server);
    slow.write('GET /v1/models HTTP/1.1\r\nhost: localhost\r\n');
    const trickle = setInterval(() => slow.write('x-slow: 1\r\n'), 50);
    try {
      assert.equal(parseResponse(await slow.closed).status, 408);
    } finally {
      clearInterval(trickle);
    }
  });

  it('drops a body that trickles in for longer than the request timeout with 408', async () => {
    const strict = await serve({ headersTimeoutMs: 500, requestTimeoutMs: 1000, bodyIdleTimeoutMs: 60_000 });
    const slow = await RawClient.connect(strict);
    slow.write(requestHead('POST', '/completions', { authorization: `Bearer ${KEY}`, 'content-length': '100000' }));
    const trickle = setInterval(() => slow.write(' '), 50);
    try {
      assert.equal(parseResponse(await slow.closed).status, 408);
    } finally {
      clearInterval(trickle);
    }
  });

  it('closes connections past the cap at once, and accepts them again once others have gone', async () => {
    const capped = await serve({ maxConnections: 3 });
    const held = await Promise.all([1, 2, 3].map(() => RawClient.connect(capped)));
    for (const connection of held) connection.write('GET /v1/models HTTP/1.1\r\n');
    const refused = await RawClient.connect(capped);
    refused.write(requestHead('GET', '/models', { authorization: `Bearer ${KEY}` }));
    assert.equal(await refused.closed, '', 'a connection past the cap gets no answer');
    for (const connection of held) connection.socket.destroy();
    let status = 0;
    for (let attempt = 0; attempt < 100 && status !== 200; attempt++) {
      status = await fetch(`${capped.url}/models`, { headers: { authorization: `Bearer ${KEY}` } }).then(
        (response) => response.status,
        () => 0,
      );
      if (status !== 200) await sleep(20);
    }
    assert.equal(status, 200);
  });

  it('closes connections left idle after an answer to make room, so a client pooling per request is never locked out', async () => {
    // VS Code's fetch in the extension host gives every request its own pool: each connection, answered, waits
    // idle in a pool nothing will use again until its keep-alive runs out.
    const capped = await serve({ maxConnections: 4 });
    const { hostname, port } = new URL(capped.url);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push(
        await new Promise<number>((resolve) => {
          const request = http.get(
            { host: hostname, port, path: '/v1/models', headers: { authorization: `Bearer ${KEY}` }, agent: new http.Agent({ keepAlive: true }) },
            (response) => {
              response.resume();
              response.on('end', () => resolve(response.statusCode ?? 0));
            },
          );
          request.on('error', () => resolve(0));
        }),
      );
    }
    assert.deepEqual(statuses, Array(12).fill(200));
    // A connection that has not sent its request yet is not idle: it keeps its place.
    const waiting = await RawClient.connect(capped);
    for (let i = 0; i < 6; i++)
      assert.equal((await (await RawClient.connect(capped)).exchange('GET', '/models', { authorization: `Bearer ${KEY}` })).status, 200);
    assert.equal((await waiting.exchange('GET', '/models', { authorization: `Bearer ${KEY}` })).status, 200);
  });

  it('takes the Bearer scheme in any case, and only with the right key', async () => {
    const statusWith = async (authorization: string): Promise<number> =>
      (await (await RawClient.connect(server)).exchange('GET', '/models', { authorization })).status;
    assert.equal(await statusWith(`bearer ${KEY}`), 200);
    assert.equal(await statusWith(`BEARER ${KEY}`), 200);
    assert.equal(await statusWith(`Bearer ${KEY}`), 200);
    assert.equal(await statusWith(`bearer ${KEY}x`), 401);
    assert.equal(await statusWith(`Basic ${KEY}`), 401);
    assert.equal(await statusWith(KEY), 401);
  });
});

describe('serving where other machines can connect', () => {
  it('warns when a non-loopback address is served without an API key', () => {
    for (const host of ['0.0.0.0', '::', '[::]', '192.168.1.20', 'gpu-box.example.com']) {
      assert.match(openBindWarning(host, undefined) ?? '', /can be reached from other machines and no API key is set.*COT_STUDIO_API_KEY/, host);
      assert.equal(openBindWarning(host, 'key'), undefined, host);
    }
    for (const host of ['127.0.0.1', '127.8.0.1', '::1', '[::1]', 'localhost', 'LOCALHOST']) assert.equal(openBindWarning(host, undefined), undefined, host);
  });

  it('cot-studio serve prints the warning, serves through the engine process, and stops on SIGTERM', async () => {
    const modelDir = bigramModel(CONTEXT);
    const env = { ...process.env };
    delete env.COT_STUDIO_API_KEY;
    const child = spawn(
      process.execPath,
      [cliPath, 'serve', '--model', modelDir, '--host', '0.0.0.0', '--port', '0', '--provider', 'cpu', '--max-connections', '8'],
      { env },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until(() => /Serving .* at http/.test(stdout) || child.exitCode !== null, 'the server to start', 30_000);
      const url = /at (http:\/\/\S+\/v1)/.exec(stdout)?.[1]?.replace('0.0.0.0', '127.0.0.1');
      assert.ok(url, `stdout: ${stdout}\nstderr: ${stderr}`);
      assert.match(stderr, /Warning: 0\.0\.0\.0 can be reached from other machines and no API key is set/);
      const served = new OpenAI({ baseURL: url, apiKey: 'unused', maxRetries: 0 });
      const completion = await served.completions.create({ model: 'any', prompt: PROMPT, max_tokens: 3 });
      assert.equal(completion.model, path.basename(modelDir));
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      fs.rmSync(modelDir, { recursive: true, force: true });
    }
  });

  it('cot-studio serve refuses a header timeout longer than the request timeout', async () => {
    const child = spawn(process.execPath, [cliPath, 'serve', '--model', 'unused', '--header-timeout', '30', '--request-timeout', '20']);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 2);
    assert.match(stderr, /--header-timeout cannot be longer than --request-timeout/);
  });
});

describe('the most bytes one token stands for', () => {
  const vocab = { a: 0, abc: 1, Ġhello: 2 };
  const added = [{ id: 3, content: '<|a-long-special-token|>' }];

  it('is the longest vocabulary or added token, at least one character', () => {
    assert.equal(maxTokenBytes({ model: { type: 'BPE', vocab, merges: [] }, added_tokens: added }), '<|a-long-special-token|>'.length);
    assert.equal(maxTokenBytes({ model: { type: 'BPE', vocab: { a: 0 }, merges: [] } }), 4);
    assert.equal(maxTokenBytes({ model: { type: 'BPE', vocab: { Ġhello: 0 }, fuse_unk: true, byte_fallback: true, merges: [] } }), Buffer.byteLength('Ġhello'));
    assert.equal(
      maxTokenBytes({
        model: {
          type: 'Unigram',
          vocab: [
            ['▁hello', -1],
            ['a', -2],
          ],
          byte_fallback: true,
        },
      }),
      Buffer.byteLength('▁hello'),
    );
  });

  it('is unknown when a run of unknown text can become one token', () => {
    assert.equal(maxTokenBytes({ model: { type: 'BPE', vocab, unk_token: '<unk>', fuse_unk: true, merges: [] } }), undefined);
    assert.equal(maxTokenBytes({ model: { type: 'Unigram', vocab: [['a', -1]], unk_id: 0 } }), undefined);
    assert.equal(maxTokenBytes({ model: { type: 'WordPiece', vocab } }), undefined);
    assert.equal(maxTokenBytes({ model: { type: 'WordLevel', vocab } }), undefined);
    assert.equal(maxTokenBytes({ model: { type: 'BPE', vocab: 'not a vocabulary' } }), undefined);
  });
});
