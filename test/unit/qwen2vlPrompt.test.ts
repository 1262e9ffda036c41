import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { expandImageTokens, type ImageGrid, ropePositions } from '../../src/engine/vision/qwen2vlPrompt';
import { makeTestModel, visionTokenId } from '../../src/testModel';
import { datasetsDir } from '../harness/fixtures';
import { transformersOn } from '../harness/transformersJs';

const IMAGE = 900;
const TOKENS = { imageTokenId: IMAGE, mergeSize: 2 };

describe("Qwen2-VL's prompt with images", () => {
  it('puts one token per merged patch where each image stands, and refuses a count that does not match', () => {
    const grids: ImageGrid[] = [
      { t: 1, h: 4, w: 6 },
      { t: 1, h: 2, w: 2 },
    ];
    assert.deepEqual(expandImageTokens([1, IMAGE, 2, IMAGE, 3], grids, TOKENS), [1, ...Array(6).fill(IMAGE), 2, IMAGE, 3]);
    assert.throws(() => expandImageTokens([1, IMAGE, 2], grids, TOKENS), /1 image placeholders for 2 images/);
  });

  it('gives text one position on every axis and an image its frames, rows and columns (worked by hand)', () => {
    // Two text tokens, an image of 1 × 4 × 6 patches (2 × 3 merged), one text token.
    const ids = [7, 8, ...Array(6).fill(IMAGE), 9];
    const { axes, delta } = ropePositions(ids, [{ t: 1, h: 4, w: 6 }], TOKENS);
    assert.deepEqual(axes, [
      [0, 1, 2, 2, 2, 2, 2, 2, 5],
      [0, 1, 2, 2, 2, 3, 3, 3, 5],
      [0, 1, 2, 3, 4, 2, 3, 4, 5],
    ]);
    // The token after the prompt (index 9) is at 6 = the last position + 1.
    assert.equal(delta, 6 - 9);
    assert.deepEqual(ropePositions([4, 5, 6], [], TOKENS), {
      axes: [
        [0, 1, 2],
        [0, 1, 2],
        [0, 1, 2],
      ],
      delta: 0,
    });
    // Two images back to back: the second starts after the first's largest side (3 merged columns).
    const two = ropePositions(
      [...Array(6).fill(IMAGE), IMAGE, 1],
      [
        { t: 1, h: 4, w: 6 },
        { t: 1, h: 2, w: 2 },
      ],
      TOKENS,
    );
    assert.deepEqual(two.axes, [
      [0, 0, 0, 0, 0, 0, 3, 4],
      [0, 0, 0, 1, 1, 1, 3, 4],
      [0, 1, 2, 0, 1, 2, 3, 4],
    ]);
    assert.equal(two.delta, 5 - 8);
  });

  describe('against transformers.js on a Qwen2-VL test model', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-qwen2vl-prompt-'));
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it('expands the prompt as its processor does and gives the positions its get_rope_index gives, for images of two sizes', async () => {
      makeTestModel(path.join(root, 'vlm'), { kind: 'qwen2-vl', hidden: 32, vocab: 400, visionHidden: 16 });
      const { AutoProcessor, AutoTokenizer, Qwen2VLForConditionalGeneration, RawImage } = await transformersOn(root);
      const processor = await AutoProcessor.from_pretrained('vlm');
      const tokenizer = await AutoTokenizer.from_pretrained('vlm');
      // The typings give the base class; the Qwen2-VL class has the rope index.
      type Tensor = { tolist(): unknown };
      type RopeIndex = { get_rope_index(ids: unknown, grids: unknown, videos: null, mask: unknown): [Tensor, Tensor] };
      const model = await Qwen2VLForConditionalGeneration.from_pretrained('vlm', { device: 'cpu', dtype: 'fp32' });
      const text = processor.apply_chat_template(
        [{ role: 'user', content: [{ type: 'text', text: 'Look:' }, { type: 'image' }, { type: 'text', text: 'what does it show?' }] }],
        { add_generation_prompt: true },
      ) as string;
      const tokens = { imageTokenId: visionTokenId('<|image_pad|>'), mergeSize: 2 };
      const sizes = new Set<string>();
      // Its processor takes one image per call (several would be read as the frames of a video).
      for (const name of ['bar_chart.png', 'price_table.png']) {
        const inputs = await processor(text, await RawImage.read(path.join(datasetsDir, 'images', name)));
        const grids = (inputs.image_grid_thw.tolist() as bigint[][]).map(([t, h, w]) => ({ t: Number(t), h: Number(h), w: Number(w) }));
        sizes.add(JSON.stringify(grids));
        const expanded = expandImageTokens(tokenizer.encode(text, { add_special_tokens: false }), grids, tokens);
        assert.deepEqual(expanded, (inputs.input_ids.tolist() as bigint[][])[0]?.map(Number), name);
        const [positions, deltas] = (model as unknown as RopeIndex).get_rope_index(inputs.input_ids, inputs.image_grid_thw, null, inputs.attention_mask);
        const ours = ropePositions(expanded, grids, tokens);
        assert.deepEqual(
          ours.axes,
          (positions.tolist() as bigint[][][]).map((axis) => axis[0]?.map(Number)),
          name,
        );
        assert.equal(ours.delta, Number((deltas.tolist() as bigint[][])[0]?.[0]), name);
      }
      assert.equal(sizes.size, 2, 'images of two sizes');
      await model.dispose();
    });
  });
});
