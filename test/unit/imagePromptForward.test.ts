import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { decode } from '../../src/engine/decode/generate';
import { PrefixCache } from '../../src/engine/decode/prefixCache';
import type { ModelConfig } from '../../src/engine/model/folder';
import { readDecoderShape } from '../../src/engine/model/session';
import { featureValues, type ImagePrompt, ImagePromptForward } from '../../src/engine/vision/imagePromptForward';
import { expandImageTokens, type ImageGrid, imageTokenCount, ropePositions } from '../../src/engine/vision/qwen2vlPrompt';
import { imageCacheKey, imageKey } from '../../src/engine/vision/visionImages';
import { samplingSchema } from '../../src/protocol';
import { makeTestModel, type TestModel, visionTokenId } from '../../src/testModel';
import { datasetsDir } from '../harness/fixtures';
import { transformersOn } from '../harness/transformersJs';

const OPTIONS = { kind: 'qwen2-vl', layers: 2, hidden: 32, heads: 4, vocab: 400, initStd: 0.2, visionHidden: 16 } as const;
const STEPS = 8;
const TOKENS = { imageTokenId: visionTokenId('<|image_pad|>'), mergeSize: 2 };
const GREEDY = samplingSchema.parse({ n: 1, maxTokens: STEPS, temperature: 0, ignoreEos: true });

let root: string;
let model: TestModel;

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-image-forward-'));
  model = makeTestModel(path.join(root, 'vlm'), OPTIONS);
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** transformers.js on the folder: its processor, its tokenizer and its greedy continuation of a chat with an image. */
async function reference(imageName: string | undefined) {
  const { AutoProcessor, AutoTokenizer, Qwen2VLForConditionalGeneration, RawImage } = await transformersOn(root);
  const processor = await AutoProcessor.from_pretrained('vlm');
  const tokenizer = await AutoTokenizer.from_pretrained('vlm');
  const content = [...(imageName ? [{ type: 'image' }] : []), { type: 'text', text: 'What does the picture show?' }];
  const text = processor.apply_chat_template([{ role: 'user', content }], { add_generation_prompt: true }) as string;
  const inputs = imageName ? await processor(text, await RawImage.read(path.join(datasetsDir, 'images', imageName))) : tokenizer(text);
  const vlm = await Qwen2VLForConditionalGeneration.from_pretrained('vlm', { device: 'cpu', dtype: 'fp32' });
  const output = await vlm.generate({ ...inputs, max_new_tokens: STEPS, do_sample: false, eos_token_id: [] });
  await vlm.dispose();
  const prompt = tokenizer.encode(text, { add_special_tokens: false });
  const continuation = ((output as { tolist(): bigint[][] }).tolist()[0] ?? []).map(Number).slice(-STEPS);
  return { prompt, continuation, inputs: inputs as { pixel_values?: { data: Float32Array; dims: number[] }; image_grid_thw?: { tolist(): bigint[][] } } };
}

async function sessions() {
  const [vision, embed, decoder] = await Promise.all(model.files.map((file) => ort.InferenceSession.create(file)));
  const config = JSON.parse(fs.readFileSync(path.join(model.dir, 'config.json'), 'utf8')) as ModelConfig;
  const decoderSession = decoder as ort.InferenceSession;
  const shape = readDecoderShape(decoderSession, { dir: model.dir, modelFile: model.modelFile, config }, 'embeddings');
  const forward = new ImagePromptForward(ort, decoderSession, shape, {
    embed: embed as ort.InferenceSession,
    imageTokenId: TOKENS.imageTokenId,
    hidden: OPTIONS.hidden,
  });
  return { vision: vision as ort.InferenceSession, forward };
}

const greedy = (forward: ImagePromptForward, promptTokens: readonly number[], cache?: PrefixCache, cacheKey?: readonly number[]) =>
  decode(ort, forward, cache, { promptTokens, cacheKey, sampling: GREEDY, seed: 0, eosIds: new Set(), detokenize: () => '' });

/** An image as the engine gets it ready: its grid, its features and its key in the prefix cache. */
async function encoded(vision: ort.InferenceSession, name: string) {
  const { inputs } = await reference(name);
  const pixels = inputs.pixel_values;
  const grid = inputs.image_grid_thw?.tolist()[0]?.map(Number) ?? [];
  assert.ok(pixels && grid.length === 3);
  const features = await vision.run({
    pixel_values: new ort.Tensor('float32', pixels.data, pixels.dims),
    grid_thw: new ort.Tensor('int64', BigInt64Array.from(grid, BigInt), [1, 3]),
  });
  const image: ImageGrid = { t: grid[0] as number, h: grid[1] as number, w: grid[2] as number };
  return { grid: image, features: featureValues(features.image_features as ort.Tensor), key: imageKey(pixels.data) };
}

describe('the engine on a vision-language decoder', () => {
  it("continues a prompt with an image as transformers.js's generate() does, and another image differently", async () => {
    const { vision, forward } = await sessions();
    const continuations: number[][] = [];
    for (const name of ['bar_chart.png', 'price_table.png']) {
      const expected = await reference(name);
      const pixels = expected.inputs.pixel_values;
      const grid = expected.inputs.image_grid_thw?.tolist()[0]?.map(Number) ?? [];
      assert.ok(pixels && grid.length === 3);
      const grids = [{ t: grid[0] as number, h: grid[1] as number, w: grid[2] as number }];
      const features = await vision.run({
        pixel_values: new ort.Tensor('float32', pixels.data, pixels.dims),
        grid_thw: new ort.Tensor('int64', BigInt64Array.from(grid, BigInt), [1, 3]),
      });
      const ids = expandImageTokens(expected.prompt, grids, TOKENS);
      const prompt: ImagePrompt = { ids, positions: ropePositions(ids, grids, TOKENS), features: featureValues(features.image_features as ort.Tensor) };
      forward.usePrompt(prompt);
      const ours = await greedy(forward, ids);
      assert.deepEqual(ours.candidates[0]?.tokens, expected.continuation, name);
      continuations.push(expected.continuation);
    }
    assert.notDeepEqual(continuations[0], continuations[1], 'two images, two continuations');
  });

  it('reads a prompt without an image as text: positions count the tokens on every axis, as a bare loop over the whole sequence gives', async () => {
    const { forward } = await sessions();
    const expected = await reference(undefined);
    forward.usePrompt(undefined);
    const ours = (await greedy(forward, expected.prompt)).candidates[0]?.tokens ?? [];
    // No cache: each step runs the whole sequence, positions 0..n-1 on the three axes (Hugging Face's text-only rope index).
    const embed = await ort.InferenceSession.create(model.files[1] as string);
    const decoder = await ort.InferenceSession.create(model.modelFile);
    const sequence = [...expected.prompt];
    const empty = new ort.Tensor('float32', new Float32Array(0), [1, OPTIONS.heads / 2, 0, OPTIONS.hidden / OPTIONS.heads]);
    for (let step = 0; step < STEPS; step++) {
      const n = sequence.length;
      const { inputs_embeds } = await embed.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(sequence, BigInt), [1, n]) });
      const feeds: Record<string, ort.Tensor> = {
        inputs_embeds: inputs_embeds as ort.Tensor,
        attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
        position_ids: new ort.Tensor(
          'int64',
          BigInt64Array.from({ length: 3 * n }, (_, i) => BigInt(i % n)),
          [3, 1, n],
        ),
      };
      for (let layer = 0; layer < OPTIONS.layers; layer++) for (const kind of ['key', 'value']) feeds[`past_key_values.${layer}.${kind}`] = empty;
      const logits = (await decoder.run(feeds)).logits as ort.Tensor;
      const last = (logits.data as Float32Array).subarray((n - 1) * OPTIONS.vocab, n * OPTIONS.vocab);
      sequence.push(last.indexOf(Math.max(...last)));
    }
    assert.deepEqual(ours, sequence.slice(-STEPS));
    // transformers.js agrees on the first token; after it, its text-only rope delta adds the prompt's length where
    // Hugging Face's subtracts it (max position + 1 + length instead of - length), so its later positions differ.
    assert.equal(ours[0], expected.continuation[0]);
  });

  it('resumes a cached prefix of the same image, computing only the new tokens, and never the prefix of another image', async () => {
    const { vision, forward } = await sessions();
    const { prompt } = await reference('bar_chart.png');
    const chart = await encoded(vision, 'bar_chart.png');
    const table = await encoded(vision, 'price_table.png');
    const cache = new PrefixCache(64 * 2 ** 20);
    const ask = async (image: typeof chart, extra: number[], cached: PrefixCache | undefined) => {
      const ids = [...expandImageTokens(prompt, [image.grid], TOKENS), ...extra];
      forward.usePrompt({ ids, positions: ropePositions(ids, [image.grid], TOKENS), features: image.features });
      const result = await greedy(forward, ids, cached, imageCacheKey(ids, TOKENS.imageTokenId, [imageTokenCount(image.grid, TOKENS.mergeSize)], [image.key]));
      return { ids, tokens: result.candidates[0]?.tokens, computed: result.tokensComputed };
    };
    const first = await ask(chart, [], cache);
    assert.equal(first.computed, first.ids.length + STEPS - 1, 'nothing cached yet');
    const extra = [11, 12, 13];
    const longer = await ask(chart, extra, cache);
    assert.equal(longer.computed, extra.length + STEPS - 1, 'the same image and a longer prompt: only the new tokens');
    assert.deepEqual(longer.tokens, (await ask(chart, extra, undefined)).tokens, 'resumed as if computed from the start');
    const other = await ask(table, extra, cache);
    const firstImageToken = other.ids.indexOf(TOKENS.imageTokenId);
    assert.equal(other.computed, other.ids.length - firstImageToken + STEPS - 1, 'another image: only the text before it is reused');
    assert.deepEqual(other.tokens, (await ask(table, extra, undefined)).tokens);
    assert.notEqual(chart.key, table.key);
  });

  it('refuses features that do not fit the image tokens', async () => {
    const { forward } = await sessions();
    const ids = [1, TOKENS.imageTokenId, TOKENS.imageTokenId, 2];
    assert.throws(
      () => forward.usePrompt({ ids, positions: ropePositions(ids, [{ t: 1, h: 2, w: 4 }], TOKENS), features: new Float32Array(OPTIONS.hidden) }),
      /2 image tokens take 64 feature values; the images gave 32/,
    );
  });
});
