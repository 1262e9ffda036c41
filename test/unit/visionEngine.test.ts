import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BadRequestError, OpenAI } from 'openai';
import { OpenAICompatibleBackend } from '../../src/backends/openai';
import { LocalEngine } from '../../src/engine/localEngine';
import { ModelFolderError, readModelFolder, type VisionFiles } from '../../src/engine/model/folder';
import { decodeImage, idefics3Preprocessor, type ImagePixels, qwen2VlPreprocessor } from '../../src/engine/vision/imageProcessor';
import type { GenerationRequest } from '../../src/protocol';
import { startServer } from '../../src/serve';
import { makeTestModel, tokenId, visionTokenId } from '../../src/testModel';
import { cliPath, runCli } from '../harness/cli';
import { datasetsDir } from '../harness/fixtures';
import { until } from '../harness/servedEngine';
import { transformersOn } from '../harness/transformersJs';

const SHAPE = { layers: 2, hidden: 32, heads: 4, vocab: 420, initStd: 0.2, visionHidden: 16 } as const;
const STEPS = 8;
const QUESTION = 'What does the picture show?';

/** A family's processor as the tests call it: a data URI in, the pixels the encoder is fed out. */
const pixelsOf = (preprocessor: (vision: VisionFiles) => Promise<(image: ImagePixels) => Promise<{ pixels: Float32Array }>>) => async (vision: VisionFiles) => {
  const run = await preprocessor(vision);
  return async (uri: string) => (await run(await decodeImage(uri, 0))).pixels;
};

/** Each family the engine reads: its test model, transformers.js's model class for it, its image token and its processor. */
const FAMILIES = [
  {
    kind: 'qwen2-vl',
    family: 'qwen2-vl',
    transformersClass: 'Qwen2VLForConditionalGeneration',
    imageToken: visionTokenId('<|image_pad|>'),
    preprocess: pixelsOf(qwen2VlPreprocessor),
  },
  {
    kind: 'smolvlm',
    family: 'idefics3',
    transformersClass: 'Idefics3ForConditionalGeneration',
    imageToken: tokenId('<image>'),
    preprocess: pixelsOf(idefics3Preprocessor),
  },
] as const;

let root: string;

const dataUri = (name: string) => `data:image/png;base64,${fs.readFileSync(path.join(datasetsDir, 'images', name)).toString('base64')}`;

const ask = (images: string[], extra: { continueWith?: string; n?: number; seed?: number } = {}): GenerationRequest => ({
  prompt: {
    messages: [{ role: 'user', content: QUESTION }, ...(extra.continueWith === undefined ? [] : [{ role: 'assistant' as const, content: extra.continueWith }])],
    continueFinal: extra.continueWith !== undefined,
  },
  images,
  sampling:
    extra.n === undefined
      ? { n: 1, maxTokens: STEPS, temperature: 0, ignoreEos: true }
      : { n: extra.n, maxTokens: STEPS, temperature: 1, seed: extra.seed ?? 0, ignoreEos: true },
});

/** The question with one image, greedily, as a client of `cot-studio serve` asks it. */
const askServed = (client: OpenAI, model: string, image: string) =>
  client.chat.completions.create({
    model,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: image } },
          { type: 'text', text: QUESTION },
        ],
      },
    ],
    max_tokens: STEPS,
    temperature: 0,
  });

/** transformers.js on the same folder: its processor's input ids and pixels, and its greedy continuation. */
async function reference(family: (typeof FAMILIES)[number], imageName: string) {
  const transformers = await transformersOn(root);
  const processor = await transformers.AutoProcessor.from_pretrained(family.kind);
  const text = processor.apply_chat_template([{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: QUESTION }] }], {
    add_generation_prompt: true,
  }) as string;
  const inputs = await processor(text, await transformers.RawImage.read(path.join(datasetsDir, 'images', imageName)));
  const vlm = await transformers[family.transformersClass].from_pretrained(family.kind, { device: 'cpu', dtype: 'fp32' });
  const output = await vlm.generate({ ...inputs, max_new_tokens: STEPS, do_sample: false, eos_token_id: [] });
  await vlm.dispose();
  const ids = (inputs as { input_ids: { tolist(): bigint[][] } }).input_ids.tolist()[0]?.map(Number) ?? [];
  const pixels = (inputs as { pixel_values: { data: Float32Array } }).pixel_values.data;
  return { ids, pixels, continuation: ((output as { tolist(): bigint[][] }).tolist()[0] ?? []).map(Number).slice(-STEPS) };
}

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-vision-engine-'));
  for (const family of FAMILIES) makeTestModel(path.join(root, family.kind), { kind: family.kind, ...SHAPE });
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

for (const family of FAMILIES) {
  describe(`the local engine on a ${family.kind} model folder`, () => {
    let engine: LocalEngine;
    const dir = () => path.join(root, family.kind);
    before(async () => {
      engine = await LocalEngine.load(dir(), { provider: 'cpu' });
    });
    after(() => engine.dispose());

    it('reads the folder as a vision-language export of its family and sees images', () => {
      const folder = readModelFolder(dir());
      assert.equal(folder.vision?.family, family.family);
      assert.match(folder.modelFile, /decoder_model_merged\.onnx$/);
      assert.match(folder.vision?.encoderFile ?? '', /vision_encoder\.onnx$/);
      assert.ok(engine.seesImages);
    });

    it("preprocesses an image as transformers.js's processor does", async () => {
      const folder = readModelFolder(dir());
      const preprocess = await family.preprocess(folder.vision as VisionFiles);
      const ours = await preprocess(dataUri('price_table.png'));
      const expected = await reference(family, 'price_table.png');
      assert.equal(ours.length, expected.pixels.length);
      let worst = 0;
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs((ours[i] as number) - (expected.pixels[i] as number)));
      assert.ok(worst <= 1e-5, `largest difference ${worst}`);
    });

    it("generates greedily after an image as transformers.js's generate() does, and differently for another image", async () => {
      const continuations: number[][] = [];
      for (const name of ['bar_chart.png', 'price_table.png']) {
        const expected = await reference(family, name);
        const result = await engine.generate(ask([dataUri(name)]));
        assert.deepEqual(result.promptTokens, expected.ids, `${name}: the prompt with its image tokens expanded`);
        assert.deepEqual(result.candidates[0]?.tokens, expected.continuation, name);
        assert.equal(result.imagesSeen, 1);
        continuations.push(expected.continuation);
      }
      assert.notDeepEqual(continuations[0], continuations[1]);
    });

    it('reads a prompt without images as text: no image tokens, nothing seen', async () => {
      const result = await engine.generate(ask([]));
      assert.equal(result.imagesSeen, 0);
      assert.ok(!result.promptTokens.includes(family.imageToken));
      const withImage = await engine.generate(ask([dataUri('bar_chart.png')]));
      assert.notDeepEqual(result.candidates[0]?.tokens, withImage.candidates[0]?.tokens, 'the image changes the continuation');
    });

    it('resumes the cached prompt of the same image, computing only the new tokens; another image misses', async () => {
      const fresh = await LocalEngine.load(dir(), { provider: 'cpu' });
      try {
        const chart = dataUri('bar_chart.png');
        const first = await fresh.generate(ask([chart]));
        assert.equal(first.tokensComputed, first.promptTokens.length + STEPS - 1);
        const longer = await fresh.generate(ask([chart], { continueWith: 'The chart' }));
        const added = longer.promptTokens.length - first.promptTokens.length;
        assert.ok(added > 0);
        assert.equal(longer.tokensComputed, added + STEPS - 1, 'only the tokens after the cached prompt');
        const other = await fresh.generate(ask([dataUri('price_table.png')], { continueWith: 'The chart' }));
        const firstImageToken = other.promptTokens.indexOf(family.imageToken);
        assert.equal(other.tokensComputed, other.promptTokens.length - firstImageToken + STEPS - 1, 'another image: only the text before it is reused');
      } finally {
        await fresh.dispose();
      }
    });

    it('draws a batch of candidates from one encoding of the image, each as it would be drawn alone', async () => {
      const chart = dataUri('bar_chart.png');
      const batch = await engine.generate(ask([chart], { n: 4, seed: 11 }));
      const alone = await engine.generate(ask([chart], { n: 1, seed: 13 }));
      assert.deepEqual(alone.candidates[0]?.tokens, batch.candidates[2]?.tokens, 'candidate 2 of seed 11 is seed 13');
    });

    it('names a bad image by its place', async () => {
      await assert.rejects(engine.generate(ask(['data:image/png;base64,AAAA'])), /image 1: not an image the engine can decode/);
    });
  });
}

describe('vision-language model folders the engine does not read', () => {
  it('names the architectures it reads', () => {
    const other = path.join(root, 'other');
    fs.cpSync(path.join(root, 'qwen2-vl'), other, { recursive: true });
    const config = JSON.parse(fs.readFileSync(path.join(other, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(other, 'config.json'), JSON.stringify({ ...config, model_type: 'mllama' }));
    assert.throws(
      () => readModelFolder(other),
      (error: unknown) => error instanceof ModelFolderError && /model_type 'mllama'.*supported: qwen2_vl, qwen2_5_vl, idefics3, smolvlm/.test(error.message),
    );
  });
});

describe('cot-studio serve on a Qwen2-VL model, asked by the openai client', () => {
  let engine: LocalEngine;
  before(async () => {
    engine = await LocalEngine.load(path.join(root, 'qwen2-vl'), { provider: 'cpu' });
  });
  after(() => engine.dispose());

  it('sees data-URI and file:// images under the served folder, where the message puts them, as the engine does', async () => {
    const images = path.join(root, 'served');
    fs.mkdirSync(images, { recursive: true });
    fs.copyFileSync(path.join(datasetsDir, 'images', 'bar_chart.png'), path.join(images, 'bar_chart.png'));
    fs.writeFileSync(path.join(images, 'notes.png'), 'not a picture');
    const server = await startServer({ backend: engine, modelName: 'vlm', imageRoots: [images] });
    const client = new OpenAI({ baseURL: server.url, apiKey: 'unused', maxRetries: 0 });
    try {
      const chat = (image: string) => askServed(client, 'vlm', image);
      const direct = (await engine.generate(ask([dataUri('bar_chart.png')]))).candidates[0]?.text;
      assert.equal((await chat(dataUri('bar_chart.png'))).choices[0]?.message.content, direct, 'a data URI');
      const fileUrl = `file://${path.join(images, 'bar_chart.png')}`;
      assert.equal((await chat(fileUrl)).choices[0]?.message.content, direct, 'a file under the served folder');
      const other = (await chat(dataUri('price_table.png'))).choices[0]?.message.content;
      assert.notEqual(other, direct, 'another image, another continuation');
      const refused = (pattern: RegExp) => (error: unknown) => error instanceof BadRequestError && pattern.test(error.message);
      await assert.rejects(chat(`file://${path.join(images, 'notes.png')}`), refused(/messages\.0\.content\.0\.image_url: .*notes\.png.*not an image/));
      await assert.rejects(chat(`file://${path.join(datasetsDir, 'images', 'price_table.png')}`), refused(/outside the served image folders/));
      await assert.rejects(chat('https://example.com/cat.png'), refused(/fetches no http URLs/));
      // CoT Studio's own client for servers reaches the same model the same way.
      const remote = new OpenAICompatibleBackend({ baseUrl: server.url, model: 'vlm' });
      const viaBackend = await remote.generate(ask([dataUri('bar_chart.png')]));
      assert.equal(viaBackend.candidates[0]?.text, direct);
      await remote.dispose();
    } finally {
      await server.close();
    }
  });

  it('refuses file URLs when no folder is served', async () => {
    const server = await startServer({ backend: engine, modelName: 'vlm' });
    try {
      const client = new OpenAI({ baseURL: server.url, apiKey: 'unused', maxRetries: 0 });
      const request = client.chat.completions.create({
        model: 'vlm',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `file://${path.join(datasetsDir, 'images', 'bar_chart.png')}` } }] }],
        max_tokens: 2,
      });
      await assert.rejects(request, (error: unknown) => error instanceof BadRequestError && /serve --image-root/.test(error.message));
    } finally {
      await server.close();
    }
  });
});

describe('the command line with a vision-language model', () => {
  it('generate --image shows the model the image in the chat and says so in --json', async () => {
    const model = path.join(root, 'qwen2-vl');
    const args = ['generate', '--model', model, '--provider', 'cpu', '--prompt', QUESTION, '--chat', '--max-tokens', '4', '--temperature', '0', '--json'];
    const withImage = await runCli(...args, '--image', path.join(datasetsDir, 'images', 'bar_chart.png'));
    const without = await runCli(...args);
    assert.equal(withImage.code, 0, withImage.stderr);
    const seen = JSON.parse(withImage.stdout) as { promptTokens: number[]; imagesSeen: number; candidates: { tokens: number[] }[] };
    const plain = JSON.parse(without.stdout) as { promptTokens: number[]; imagesSeen: number };
    assert.equal(seen.imagesSeen, 1);
    assert.equal(plain.imagesSeen, 0);
    assert.ok(seen.promptTokens.filter((id) => id === visionTokenId('<|image_pad|>')).length > 0, 'the image tokens are in the prompt');
    const direct = await LocalEngine.load(model, { provider: 'cpu' });
    try {
      const expected = await direct.generate({ ...ask([dataUri('bar_chart.png')]), sampling: { n: 1, maxTokens: 4, temperature: 0 } });
      assert.deepEqual(seen.candidates[0]?.tokens, expected.candidates[0]?.tokens, 'what the engine gives for the same chat and image');
    } finally {
      await direct.dispose();
    }
    const missing = await runCli(...args, '--image', path.join(datasetsDir, 'llava_cot.jsonl'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--image .*llava_cot\.jsonl: .*not an image/);
  });

  it('serve --image-root reads file URLs under the folder through the engine process, and says the model sees images', async () => {
    const child = spawn(process.execPath, [
      cliPath,
      'serve',
      '--model',
      path.join(root, 'smolvlm'),
      '--port',
      '0',
      '--provider',
      'cpu',
      '--image-root',
      path.join(datasetsDir, 'images'),
    ]);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until(() => /Serving .* at http/.test(stdout) || child.exitCode !== null, 'the server to start', 30_000);
      assert.match(stdout, /Serving smolvlm \(cpu, sees images: idefics3\)/);
      const url = /at (http:\/\/\S+\/v1)/.exec(stdout)?.[1];
      assert.ok(url, stdout);
      const client = new OpenAI({ baseURL: url, apiKey: 'unused', maxRetries: 0 });
      const chat = (image: string) => askServed(client, 'smolvlm', image);
      const fromFile = await chat(`file://${path.join(datasetsDir, 'images', 'bar_chart.png')}`);
      const fromData = await chat(dataUri('bar_chart.png'));
      assert.equal(fromFile.choices[0]?.message.content, fromData.choices[0]?.message.content);
      const other = await chat(dataUri('price_table.png'));
      assert.notEqual(other.choices[0]?.message.content, fromData.choices[0]?.message.content, 'another image, another answer');
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    }
  });
});
