import { promises as fs } from 'node:fs';
import * as path from 'node:path';

const MIME_TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};

/** The image as a data URI: servers on another machine cannot read our files. */
export async function imageDataUri(image: string): Promise<string> {
  if (/^data:/i.test(image)) return image;
  const mimeType = MIME_TYPES[path.extname(image).toLowerCase()];
  if (mimeType === undefined) throw new Error(`image ${image}: unsupported type (expected .png, .jpg, .jpeg, .gif or .webp)`);
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(image);
  } catch (error) {
    throw new Error(`cannot read image ${image}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return `data:${mimeType};base64,${bytes.toString('base64')}`;
}
