import * as path from 'node:path';

/** transformers.js, reading model folders under `root` by their names and never reaching the network: the reference the engine is checked against. */
export async function transformersOn(root: string) {
  const transformers = await import('@huggingface/transformers');
  transformers.env.allowRemoteModels = false;
  transformers.env.allowLocalModels = true;
  transformers.env.localModelPath = `${root}${path.sep}`;
  return transformers;
}
