import type { IncomingMessage } from 'node:http';
import { ApiError, badRequest } from './reply';

function tooLarge(limit: number): ApiError {
  // The connection closes after the answer, so the rest of the body is never read.
  return new ApiError(413, `request body is larger than ${limit} bytes`, 'invalid_request_error', null, { connection: 'close' });
}

/** The request's JSON body, refused with 413 past `limit` bytes and 400 when it is not JSON. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const bytes = await new Promise<Buffer>((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      req.resume();
      reject(tooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.resume();
      reject(tooLarge(limit));
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    // After 'end' this changes nothing; before it, the client went away mid-body.
    req.on('close', () => reject(new Error('the client closed the connection before sending the whole body')));
  });
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw badRequest('request body is not valid JSON');
  }
}
