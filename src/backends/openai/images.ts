import { IMAGE_DATA_URI } from '../../protocol';

/**
 * The image as the server gets it: a data URI, since a server on another machine cannot read our files. The
 * backend reads no file itself: a record's images become data URIs through the dataset's ImageResolver, which
 * alone knows the folders they may come from.
 */
export function imageUrl(image: string): string {
  if (IMAGE_DATA_URI.test(image)) return image;
  const shown = image.length > 80 ? `${image.slice(0, 80)}…` : image;
  throw new Error(`image ${shown}: not a data:image/…;base64 URI (files are read through the dataset's image folders, not by the backend)`);
}
