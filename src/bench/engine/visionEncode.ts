import * as path from 'node:path';
import type * as Transformers from '@huggingface/transformers';
import type { LocalEngine } from '../../engine/localEngine';
import type { VisionFamily } from '../../engine/model/folder';
import type { ExecutionProvider } from '../../protocol';
import { benchRow } from '../report';
import type { EngineRow } from './result';
import { interleaved } from './rounds';
import type { Subject } from './subject';
import { dtypeOf, requireTransformers } from './transformersJs';

/** transformers.js's model class for each family the engine reads. */
const TRANSFORMERS_CLASS = { 'qwen2-vl': 'Qwen2VLForConditionalGeneration', idefics3: 'Idefics3ForConditionalGeneration' } as const;

/** transformers.js's processor and model on the same folder: what it does to turn one image into features. */
async function transformersEncoder(engine: LocalEngine, family: VisionFamily, provider: ExecutionProvider) {
  const library = requireTransformers();
  library.env.allowRemoteModels = false;
  library.env.localModelPath = path.dirname(engine.folder.dir);
  library.env.logLevel = library.LogLevel.ERROR;
  const { image_processor: imageProcessor } = await library.AutoProcessor.from_pretrained(engine.folder.name);
  if (!imageProcessor) throw new Error(`transformers.js found no image processor in ${engine.folder.dir}`);
  const model = (await library[TRANSFORMERS_CLASS[family]].from_pretrained(engine.folder.name, {
    dtype: dtypeOf(engine.folder.variant),
    device: provider,
  })) as Transformers.PreTrainedModel & { encode_image(inputs: Record<string, unknown>): Promise<Transformers.Tensor> };
  return {
    async encode(bytes: Uint8Array): Promise<Transformers.Tensor> {
      const image = await library.RawImage.fromBlob(new Blob([bytes]));
      // The processor's outputs by name; the encoder takes those its graph has (grid_thw, or the pixel mask).
      return model.encode_image(await imageProcessor(image));
    },
    dispose: () => model.dispose(),
  };
}

/**
 * One image from its file's bytes to the vision encoder's features (decode, resize, normalise, patchify, encode),
 * wall time per image: the engine's processor and encoder against transformers.js's on the same model folder.
 */
export async function measureVisionEncode(subject: Subject, provider: ExecutionProvider): Promise<EngineRow> {
  const vision = subject.engine.vision;
  const family = subject.engine.folder.vision?.family;
  const [image] = subject.images;
  if (!vision || family === undefined || image === undefined) throw new Error(`${subject.name} is not a vision-language model with an image to encode`);
  const bytes = new Uint8Array(Buffer.from(image.slice(image.indexOf(',') + 1), 'base64'));
  const theirs = await transformersEncoder(subject.engine, family, provider);
  try {
    const timed = async <T>(run: () => Promise<T>) => {
      const started = performance.now();
      const result = await run();
      return { result, ms: performance.now() - started };
    };
    const rounds = await interleaved(
      subject.repeats,
      { run: () => timed(() => vision.encodeImage(image)), figure: (run) => run.ms },
      { run: () => timed(() => theirs.encode(bytes)), figure: (run) => run.ms },
    );
    const ours = rounds.lastOurs.result.features;
    const reference = rounds.lastBaseline.result.data as Float32Array;
    let largest = 0;
    for (let i = 0; i < ours.length; i++) largest = Math.max(largest, Math.abs((ours[i] as number) - (reference[i] as number)));
    const same = ours.length === reference.length && largest <= 1e-4;
    if (!same) subject.log(`WARNING ${subject.name}: image features differ from transformers.js's (largest difference ${largest})`);
    const note = `aim <= 1.0x; ${same ? `same features (largest difference ${largest.toExponential(1)})` : 'FEATURES DIFFER from transformers.js'}`;
    return benchRow('vision-encode', `${subject.name}: image to features, per image`, 'ms', rounds.ours, rounds.baseline, 'transformers.js', note);
  } finally {
    await theirs.dispose();
  }
}
