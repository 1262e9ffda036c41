import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import {
  IDEFICS3_TILE,
  IDEFICS3_TILE_TOKENS,
  IDEFICS3_TOKENS,
  MERGED_PATCHES,
  MIN_VOCAB,
  makeTestModel,
  PATCH_VALUES,
  type TestModel,
  testModelOptionsSchema,
  tokenId,
  VISION_TOKENS,
  visionTokenId,
} from '../../src/testModel';
import { datasetsDir } from '../harness/fixtures';
import { runCli } from '../harness/cli';
import { transformersOn } from '../harness/transformersJs';

// Weights larger than a trained model's init, so that different images give different continuations.
const OPTIONS = { kind: 'qwen2-vl', layers: 2, hidden: 32, heads: 4, vocab: 400, initStd: 0.2, visionHidden: 16 } as const;
/** The default largest image of a test model (testModelOptionsSchema's `maxPixels`). */
const OPTIONS_MAX_PIXELS = testModelOptionsSchema.parse({ kind: 'qwen2-vl' }).maxPixels;
const image = (name: string) => path.join(datasetsDir, 'images', name);

let root: string;
let model: TestModel;

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-vlm-'));
  model = makeTestModel(path.join(root, 'qwen2-vl'), OPTIONS);
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;
const names = (session: ort.InferenceSession) => ({ inputs: [...session.inputNames], outputs: [...session.outputNames] });

describe('a Qwen2-VL test model', () => {
  it('has the files, configs, inputs and outputs of the onnx-community exports', async () => {
    for (const file of ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']) {
      assert.ok(fs.existsSync(path.join(model.dir, file)), file);
    }
    assert.deepEqual(
      model.files.map((file) => path.relative(model.dir, file)),
      ['onnx/vision_encoder.onnx', 'onnx/embed_tokens.onnx', 'onnx/decoder_model_merged.onnx'],
    );
    const config = readJson<Record<string, unknown>>(path.join(model.dir, 'config.json'));
    assert.equal(config.model_type, 'qwen2_vl');
    assert.equal(config.image_token_id, visionTokenId('<|image_pad|>'));
    const tokenizer = readJson<{ added_tokens: { id: number; content: string; special: boolean }[] }>(path.join(model.dir, 'tokenizer.json'));
    for (const token of VISION_TOKENS) {
      assert.deepEqual(
        tokenizer.added_tokens.filter((added) => added.content === token).map(({ id, special }) => ({ id, special })),
        [{ id: visionTokenId(token), special: true }],
      );
    }
    const [vision, embed, decoder] = await Promise.all(model.files.map((file) => ort.InferenceSession.create(file)));
    assert.deepEqual(names(vision as ort.InferenceSession), { inputs: ['pixel_values', 'grid_thw'], outputs: ['image_features'] });
    assert.deepEqual(names(embed as ort.InferenceSession), { inputs: ['input_ids'], outputs: ['inputs_embeds'] });
    const layers = [0, 1];
    assert.deepEqual(names(decoder as ort.InferenceSession), {
      inputs: ['inputs_embeds', 'attention_mask', 'position_ids', ...layers.flatMap((i) => [`past_key_values.${i}.key`, `past_key_values.${i}.value`])],
      outputs: ['logits', ...layers.flatMap((i) => [`present.${i}.key`, `present.${i}.value`])],
    });
    // Four patches (a 2 × 2 group) make one image token of the decoder's width.
    const patches = 8;
    const features = await (vision as ort.InferenceSession).run({
      pixel_values: new ort.Tensor(
        'float32',
        Float32Array.from({ length: patches * PATCH_VALUES }, (_, i) => Math.sin(i)),
        [patches, PATCH_VALUES],
      ),
      grid_thw: new ort.Tensor('int64', BigInt64Array.from([1n, 2n, 4n]), [1, 3]),
    });
    assert.deepEqual(features.image_features?.dims, [patches / MERGED_PATCHES, OPTIONS.hidden]);
  });

  it('refuses a vocabulary without room for the vision tokens, naming them', () => {
    const result = testModelOptionsSchema.safeParse({ ...OPTIONS, vocab: 274 });
    assert.match(result.error?.issues[0]?.message ?? '', /and 4 vision tokens/);
  });

  it("is read by transformers.js's Qwen2-VL processor and model: the image becomes its tokens, and the image changes the output", async () => {
    const { AutoProcessor, Qwen2VLForConditionalGeneration, RawImage } = await transformersOn(root);
    const processor = await AutoProcessor.from_pretrained('qwen2-vl');
    const text = processor.apply_chat_template([{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'What is shown?' }] }], {
      add_generation_prompt: true,
    }) as string;
    assert.match(text, /<\|vision_start\|><\|image_pad\|><\|vision_end\|>What is shown\?/);
    const vlm = await Qwen2VLForConditionalGeneration.from_pretrained('qwen2-vl', { device: 'cpu', dtype: 'fp32' });
    const continuations: number[][] = [];
    for (const name of ['bar_chart.png', 'triangle.png']) {
      const inputs = await processor(text, await RawImage.read(image(name)));
      const [t, h, w] = (inputs.image_grid_thw.tolist() as bigint[][])[0]?.map(Number) ?? [];
      assert.deepEqual(inputs.pixel_values.dims, [(t ?? 0) * (h ?? 0) * (w ?? 0), PATCH_VALUES]);
      const ids = (inputs.input_ids.tolist() as bigint[][])[0]?.map(Number) ?? [];
      assert.equal(ids.filter((id) => id === visionTokenId('<|image_pad|>')).length, ((t ?? 0) * (h ?? 0) * (w ?? 0)) / MERGED_PATCHES);
      assert.ok((h ?? 0) * (w ?? 0) * 14 * 14 <= OPTIONS_MAX_PIXELS, "the image is resized under the folder's max_pixels");
      const output = await vlm.generate({ ...inputs, max_new_tokens: 8, do_sample: false, eos_token_id: [] });
      continuations.push(((output as { tolist(): bigint[][] }).tolist()[0] ?? []).slice(ids.length).map(Number));
    }
    assert.equal(continuations[0]?.length, 8);
    assert.notDeepEqual(continuations[0], continuations[1], 'two images, two continuations');
    await vlm.dispose();
  });

  it('is written by cot-studio make-test-model --kind qwen2-vl, which lists its three graphs', async () => {
    const dir = path.join(root, 'cli-qwen2-vl');
    const { code, stdout, stderr } = await runCli('make-test-model', dir, '--kind', 'qwen2-vl', '--hidden', '32', '--vocab', '300', '--dtype', 'fp16');
    assert.equal(code, 0, stderr);
    assert.match(stdout, /qwen2-vl vision-language model/);
    for (const file of ['onnx/vision_encoder_fp16.onnx', 'onnx/embed_tokens_fp16.onnx', 'onnx/decoder_model_merged_fp16.onnx']) {
      assert.ok(stdout.includes(file), `${file} in ${stdout}`);
      assert.ok(fs.existsSync(path.join(dir, file)), file);
    }
  });
});

describe('a SmolVLM (Idefics3) test model', () => {
  const OPTIONS_SMOLVLM = { ...OPTIONS, kind: 'smolvlm', vocab: 420 } as const;

  it('has the files, configs, inputs and outputs of the onnx-community SmolVLM exports', async () => {
    const smol = makeTestModel(path.join(root, 'smolvlm'), OPTIONS_SMOLVLM);
    for (const file of [
      'config.json',
      'generation_config.json',
      'preprocessor_config.json',
      'processor_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]) {
      assert.ok(fs.existsSync(path.join(smol.dir, file)), file);
    }
    const config = readJson<{ model_type: string; image_token_id: number; text_config: { num_hidden_layers: number }; vision_config: { image_size: number } }>(
      path.join(smol.dir, 'config.json'),
    );
    assert.equal(config.model_type, 'idefics3');
    assert.equal(config.image_token_id, tokenId('<image>'));
    assert.equal(config.text_config.num_hidden_layers, OPTIONS_SMOLVLM.layers, 'the decoder sizes under text_config, as the exports have them');
    assert.equal(config.vision_config.image_size, IDEFICS3_TILE.imageSize);
    assert.equal(readJson<{ image_seq_len: number }>(path.join(smol.dir, 'processor_config.json')).image_seq_len, IDEFICS3_TILE_TOKENS);
    const tokenizer = readJson<{ added_tokens: { id: number; content: string; special: boolean }[] }>(path.join(smol.dir, 'tokenizer.json'));
    IDEFICS3_TOKENS.forEach((token, i) => {
      assert.deepEqual(
        tokenizer.added_tokens.filter((added) => added.content === token).map(({ id, special }) => ({ id, special })),
        [{ id: MIN_VOCAB + i, special: true }],
      );
    });
    const [vision, , decoder] = await Promise.all(smol.files.map((file) => ort.InferenceSession.create(file)));
    assert.deepEqual(names(vision as ort.InferenceSession), { inputs: ['pixel_values', 'pixel_attention_mask'], outputs: ['image_features'] });
    assert.deepEqual((decoder as ort.InferenceSession).inputNames.slice(0, 3), ['inputs_embeds', 'attention_mask', 'position_ids']);
    const tiles = 3;
    const size = IDEFICS3_TILE.imageSize;
    const features = await (vision as ort.InferenceSession).run({
      pixel_values: new ort.Tensor(
        'float32',
        Float32Array.from({ length: tiles * 3 * size * size }, (_, i) => Math.sin(i)),
        [1, tiles, 3, size, size],
      ),
      pixel_attention_mask: new ort.Tensor('bool', new Uint8Array(tiles * size * size).fill(1), [1, tiles, size, size]),
    });
    assert.deepEqual(features.image_features?.dims, [tiles, IDEFICS3_TILE_TOKENS, OPTIONS_SMOLVLM.hidden]);
  });

  it("is read by transformers.js's Idefics3 processor: an image becomes its tiles' tokens and the global view's", async () => {
    const transformers = await transformersOn(root);
    const processor = await transformers.AutoProcessor.from_pretrained('smolvlm');
    const text = processor.apply_chat_template([{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'Describe it.' }] }], {
      add_generation_prompt: true,
    }) as string;
    assert.equal(text, '<|im_start|>User:<image>Describe it.<end_of_utterance>\nAssistant:');
    const inputs = (await processor(text, await transformers.RawImage.read(image('bar_chart.png')))) as {
      input_ids: { tolist(): bigint[][] };
      pixel_values: { dims: number[] };
    };
    const [, tiles] = inputs.pixel_values.dims as [number, number];
    assert.ok(tiles > 1, `a wide image is tiled (${tiles} tiles with the global view)`);
    const ids = inputs.input_ids.tolist()[0]?.map(Number) ?? [];
    assert.equal(ids.filter((id) => id === tokenId('<image>')).length, tiles * IDEFICS3_TILE_TOKENS);
  });

  it('is written by cot-studio make-test-model --kind smolvlm', async () => {
    const dir = path.join(root, 'cli-smolvlm');
    const { code, stdout, stderr } = await runCli('make-test-model', dir, '--kind', 'smolvlm', '--hidden', '32', '--vocab', '420');
    assert.equal(code, 0, stderr);
    assert.match(stdout, /smolvlm vision-language model/);
    assert.ok(fs.existsSync(path.join(dir, 'processor_config.json')));
  });
});
