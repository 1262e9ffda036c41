import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EngineClient } from '../../src/engineClient';
import { LocalEngine } from '../../src/engine/localEngine';
import { ModelFolderError } from '../../src/engine/model/folder';
import { ContextLengthError } from '../../src/backends/promptLimits';
import { makeTestModel } from '../../src/testModel';
import { cliPath, runCli } from '../harness/cli';
import { projectRoot } from '../harness/fixtures';

const enginePath = path.join(projectRoot, 'dist', 'engine.js');
const CHAT = { messages: [{ role: 'user' as const, content: 'How many apples are left?' }] };
/** Ten billion loop turns that write nothing: no output grows, the engine's thread is simply never free again. */
const LOOPING_TEMPLATE = '{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}';

let root: string;
let modelDir: string;
const engines: LocalEngine[] = [];

/** A copy of the built model with one of its files changed. */
function crafted(name: string, change: (dir: string) => void): string {
  const dir = path.join(root, name);
  fs.cpSync(modelDir, dir, { recursive: true });
  change(dir);
  return dir;
}

function editJson(file: string, edit: (json: Record<string, unknown>) => void): void {
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(json);
  fs.writeFileSync(file, JSON.stringify(json));
}

const withTemplate = (name: string, template: string): string =>
  crafted(name, (dir) => editJson(path.join(dir, 'tokenizer_config.json'), (json) => (json.chat_template = template)));

async function load(dir: string): Promise<LocalEngine> {
  const engine = await LocalEngine.load(dir, { provider: 'cpu', prefixCacheBytes: 0 });
  engines.push(engine);
  return engine;
}

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-guards-'));
  modelDir = path.join(root, 'model');
  makeTestModel(modelDir, { kind: 'random', layers: 2, hidden: 32, heads: 2, kvHeads: 1, vocab: 300, maxPositions: 256 });
});

after(async () => {
  for (const engine of engines) await engine.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('a chat template that never finishes', () => {
  it('fails the request at the deadline naming the template, stops the engine, and the next request gets a new one', async () => {
    const looping = withTemplate('looping-template', LOOPING_TEMPLATE);
    const logs: string[] = [];
    const client = new EngineClient(enginePath, (line) => logs.push(line), { deadlineMs: 2000 });
    const exits: string[] = [];
    client.onDidExit((reason) => exits.push(reason));
    try {
      await client.request('load', { model: looping, provider: 'cpu' });
      const stuck = client.processId;
      const file = path.join(looping, 'tokenizer_config.json');
      await assert.rejects(client.request('generate', { prompt: CHAT, sampling: { maxTokens: 4 } }), (error: Error) => {
        assert.equal(
          error.message,
          `the engine did not answer within 2 s while rendering the chat template of ${file}; it was stopped and restarts on the next request`,
        );
        return true;
      });
      assert.equal(exits.length, 1, 'whoever loaded a model hears that it is gone');
      assert.match(exits[0] ?? '', /did not answer within 2 s while rendering the chat template/);
      assert.ok(logs.some((line) => line.startsWith('The engine did not answer within 2 s')));

      await client.request('load', { model: modelDir, provider: 'cpu' });
      assert.notEqual(client.processId, stuck, 'a new engine process answers');
      const result = await client.request('generate', { prompt: CHAT, sampling: { maxTokens: 4, ignoreEos: true, temperature: 0 } });
      assert.equal(result.candidates[0]?.tokens.length, 4);
    } finally {
      client.dispose();
    }
  });
});

describe('chat template errors', () => {
  it('name the template file when it does not parse or throws while rendering', async () => {
    const unparsable = crafted('unparsable-template', (dir) =>
      fs.writeFileSync(path.join(dir, 'chat_template.jinja'), '{% for message in messages %}{{ message.content }}'),
    );
    await assert.rejects(LocalEngine.load(unparsable, { provider: 'cpu' }), (error: Error) => {
      assert.ok(error instanceof ModelFolderError);
      assert.ok(error.message.startsWith(`${path.join(unparsable, 'chat_template.jinja')}: the chat template does not parse: `), error.message);
      return true;
    });
    const raising = await load(withTemplate('raising-template', "{{ raise_exception('Conversation roles must alternate user/assistant') }}"));
    await assert.rejects(raising.generate({ prompt: CHAT }), (error: Error) => {
      assert.equal(
        error.message,
        `${path.join(raising.folder.dir, 'tokenizer_config.json')}: the chat template failed while rendering the prompt: Conversation roles must alternate user/assistant`,
      );
      return true;
    });
  });
});

describe('config.json sizes the graph contradicts', () => {
  it('fail the load naming both, before any count from config.json is used', async () => {
    const model = path.join('onnx', 'model.onnx');
    const cases: Array<[string, Record<string, number>, string]> = [
      ['layers', { num_hidden_layers: 1e9 }, `says num_hidden_layers 1000000000 but ${model} has 2 layers of past_key_values`],
      ['kv-heads', { num_key_value_heads: 7 }, `says num_key_value_heads 7 but ${model} has 1 heads in past_key_values.0.key`],
      ['vocab', { vocab_size: 100_000_000 }, `says vocab_size 100000000 but ${model} has 300 logits per position`],
    ];
    for (const [name, fields, message] of cases) {
      const dir = crafted(`config-${name}`, (folder) => editJson(path.join(folder, 'config.json'), (json) => Object.assign(json, fields)));
      // `auto` tries every provider, the GPU ones included, before the CPU one that loads.
      await assert.rejects(LocalEngine.load(dir, { provider: 'auto' }), (error: Error) => {
        assert.ok(error instanceof ModelFolderError, `${name}: ${error.message}`);
        assert.equal(error.message, `${path.join(dir, 'config.json')} ${message.replace(model, path.join(dir, model))}`);
        return true;
      });
    }
  });
});

describe('prompts longer than the context', () => {
  it('are refused from their size before the template or the tokenizer sees them', async () => {
    // The template throws if it is ever rendered, so an error other than the size one means it was.
    const engine = await load(withTemplate('template-never-rendered', "{{ raise_exception('the template was rendered') }}"));
    const { contextTokens: positions = 0, maxTokenBytes = 0 } = engine.limits;
    assert.equal(positions, 256);
    assert.ok(maxTokenBytes >= 4);
    const content = 'apples '.repeat(Math.ceil((positions * maxTokenBytes) / 7) + 1);
    const bytes = Buffer.byteLength(content);
    for (const prompt of [{ messages: [{ role: 'user' as const, content }] }, { text: content }]) {
      await assert.rejects(engine.generate({ prompt }), (error: Error) => {
        assert.ok(error instanceof ContextLengthError, error.message);
        assert.equal(
          error.message,
          `the prompt is ${bytes} bytes, more than template-never-rendered's context of 256 tokens can hold (a token is at most ${maxTokenBytes} bytes)`,
        );
        return true;
      });
    }
    await assert.rejects(engine.nextTokenLogprobs({ text: content }, ['a']), ContextLengthError);
  });

  it('are refused after tokenising when the prompt fills the context; a generation that would pass it ends there', async () => {
    const engine = await load(modelDir);
    const prompt = { text: 'How many apples are left?' };
    const count = engine.promptTokens({ prompt }).length;
    const long = { text: Array.from({ length: 300 }, (_, i) => `w${i}`).join(' ') };
    await assert.rejects(engine.generate({ prompt: long, sampling: { maxTokens: 4 } }), (error: Error) => {
      assert.ok(error instanceof ContextLengthError);
      assert.match(error.message, /^the prompt has \d{3,} tokens; model reads at most 256 \(max_position_embeddings\)$/);
      return true;
    });
    // Asked for or not, the tokens to generate are cut to what the context leaves.
    for (const maxTokens of [undefined, 1000]) {
      const result = await engine.generate({ prompt, sampling: { ...(maxTokens === undefined ? {} : { maxTokens }), ignoreEos: true, temperature: 0 } });
      assert.equal(result.candidates[0]?.tokens.length, 256 - count);
      assert.equal(result.candidates[0]?.finishReason, 'length');
    }
  });
});

describe('a chat template that never finishes, from the command line', () => {
  it('stops `generate --chat` at the deadline naming the template, instead of hanging', async () => {
    const looping = withTemplate('looping-cli', LOOPING_TEMPLATE);
    const run = await runCli('generate', '--model', looping, '--provider', 'cpu', '--chat', '--prompt', 'How many apples?', '--engine-deadline', '2');
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      new RegExp(`the engine did not answer within 2 s while rendering the chat template of ${escapeRegex(path.join(looping, 'tokenizer_config.json'))}`),
    );
  });

  it('keeps `serve` answering: other routes meanwhile, and requests without the template after the restart', async () => {
    const looping = withTemplate('looping-serve', LOOPING_TEMPLATE);
    const server = spawn(process.execPath, [cliPath, 'serve', '--model', looping, '--provider', 'cpu', '--port', '0', '--engine-deadline', '2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const found = /at (http:\/\/\S+\/v1)/.exec(out);
          if (found?.[1]) resolve(found[1]);
        });
        server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      });
      const post = (route: string, body: object): Promise<Response> =>
        fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const chat = post('/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'How many apples?' }], max_tokens: 4 });
      // The engine is stuck in the template; the server itself is not.
      const models = await fetch(`${url}/models`);
      assert.equal(models.status, 200);
      const stuck = await chat;
      assert.equal(stuck.status, 500);
      assert.match(
        ((await stuck.json()) as { error: { message: string } }).error.message,
        /while rendering the chat template of .*tokenizer_config\.json; it was stopped/,
      );
      const plain = await post('/completions', { model: 'm', prompt: 'How many apples?', max_tokens: 4 });
      assert.equal(plain.status, 200, 'a new engine answers a prompt that needs no template');
    } finally {
      server.kill('SIGTERM');
    }
  });
});

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
