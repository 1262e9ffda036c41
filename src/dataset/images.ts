import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Finds image files the way records name them: relative to the dataset's folder or to one of the
 * configured image roots (absolute paths as they are). Answers are cached: a 100K-record file names the
 * same few thousand images again and again.
 */
export class ImageResolver {
  private readonly cache = new Map<string, string | null>();

  constructor(
    private readonly datasetDir: string,
    private readonly imageRoots: readonly string[] = [],
  ) {}

  /** The file an image path refers to, or null when no root holds it. */
  resolve(imagePath: string): string | null {
    const cached = this.cache.get(imagePath);
    if (cached !== undefined) return cached;
    const candidates = path.isAbsolute(imagePath) ? [imagePath] : [this.datasetDir, ...this.imageRoots].map((root) => path.resolve(root, imagePath));
    const found = candidates.find((candidate) => fs.existsSync(candidate)) ?? null;
    this.cache.set(imagePath, found);
    return found;
  }

  /** Inline (`data:`) and remote images are not files to look for; they count as present. */
  exists(imagePath: string): boolean {
    return /^(data|https?):/i.test(imagePath) || this.resolve(imagePath) !== null;
  }
}
