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

  /**
   * An image the product may read and pass on (to the webview, to a model): an inline `data:` image, or a
   * file under the dataset folder or an image root. A path may resolve through `..` or be absolute, so the
   * file is checked against the roots; remote images are never fetched.
   */
  locate(imagePath: string): { file: string } | { inline: string } | { problem: string } {
    if (/^https?:/i.test(imagePath)) return { problem: 'remote images are not loaded' };
    if (/^data:image\//i.test(imagePath)) return { inline: imagePath };
    const file = this.resolve(imagePath);
    if (file === null) return { problem: `image not found: ${imagePath}` };
    const absolute = path.resolve(file);
    const inside = [this.datasetDir, ...this.imageRoots].some((root) => {
      const relative = path.relative(root, absolute);
      return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
    });
    return inside ? { file: absolute } : { problem: `${imagePath} is outside the dataset folder and the cotStudio.imageRoots folders` };
  }

  /** A record's images as a model gets them (files under the roots, or inline); throws naming the first it cannot give. */
  forModel(imagePaths: readonly string[]): string[] {
    return imagePaths.map((imagePath) => {
      const located = this.locate(imagePath);
      if ('problem' in located) throw new Error(located.problem);
      return 'file' in located ? located.file : located.inline;
    });
  }

  /** Inline (`data:`) and remote images are not files to look for; they count as present. */
  exists(imagePath: string): boolean {
    return /^(data|https?):/i.test(imagePath) || this.resolve(imagePath) !== null;
  }
}
