/** An image's grid of patches, as Qwen2-VL's processor gives it (`image_grid_thw`): frames, rows, columns. */
export interface ImageGrid {
  t: number;
  h: number;
  w: number;
}

/** The token ids and sizes a Qwen2-VL prompt is built with, read from the model folder's configs. */
export interface Qwen2VlTokens {
  imageTokenId: number;
  /** Patches merged into one image token along each side (2). */
  mergeSize: number;
}

/** Image tokens of an image: one per merged group of patches. */
export const imageTokenCount = (grid: ImageGrid, mergeSize: number): number => (grid.t * grid.h * grid.w) / mergeSize ** 2;

/**
 * The prompt with each image's one placeholder token (`<|image_pad|>`, which the chat template writes once per
 * image) repeated once per image token, in order: where the vision encoder's features go.
 */
export function expandImageTokens(ids: readonly number[], grids: readonly ImageGrid[], tokens: Qwen2VlTokens): number[] {
  const placeholders = ids.filter((id) => id === tokens.imageTokenId).length;
  if (placeholders !== grids.length) throw new RangeError(`the prompt has ${placeholders} image placeholders for ${grids.length} images`);
  let image = 0;
  return ids.flatMap((id) => (id === tokens.imageTokenId ? Array<number>(imageTokenCount(grids[image++] as ImageGrid, tokens.mergeSize)).fill(id) : [id]));
}

/** Positions on the three axes (temporal, height, width) of every token, and what later tokens add to their index. */
export interface RopePositions {
  axes: [number[], number[], number[]];
  /** A token after the prompt at index i has position i + delta on every axis. */
  delta: number;
}

/**
 * Qwen2-VL's multimodal rotary positions (M-RoPE) of an expanded prompt: a text token's position is the same on
 * the three axes and one more than the largest position before it; an image's tokens start together after the
 * text before them and count its frames, rows and columns (of merged patches) on their own axes, so an image
 * takes as many positions as its largest side, not as many as its tokens.
 */
export function ropePositions(ids: readonly number[], grids: readonly ImageGrid[], tokens: Qwen2VlTokens): RopePositions {
  const axes: [number[], number[], number[]] = [[], [], []];
  let next = 0;
  let image = 0;
  for (let i = 0; i < ids.length; ) {
    if (ids[i] !== tokens.imageTokenId) {
      for (const axis of axes) axis.push(next);
      next += 1;
      i += 1;
      continue;
    }
    const grid = grids[image++];
    if (!grid) throw new RangeError(`image token at ${i} has no image`);
    const rows = grid.h / tokens.mergeSize;
    const columns = grid.w / tokens.mergeSize;
    const count = grid.t * rows * columns;
    for (let k = 0; k < count; k++) {
      axes[0].push(next + Math.floor(k / (rows * columns)));
      axes[1].push(next + (Math.floor(k / columns) % rows));
      axes[2].push(next + (k % columns));
    }
    next += Math.max(grid.t, rows, columns);
    i += count;
  }
  return { axes, delta: next - ids.length };
}
