import { errorMessage } from '../errors/message';

/** What an operating-system error code means to someone whose file was not written, in a few words. */
const REASONS: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EIO: 'an input/output error on the disk',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  EFBIG: 'the file is too large for the file system',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of the path is not a folder',
  ENOENT: 'the folder does not exist',
  EMFILE: 'too many files are open',
};

export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** The reason an operating-system error gives, as words and its code (`the disk is full (ENOSPC)`). */
export function describeFileError(error: unknown): string {
  const code = errorCode(error);
  const reason = code === undefined ? undefined : REASONS[code];
  if (reason !== undefined) return `${reason} (${code})`;
  return errorMessage(error);
}
