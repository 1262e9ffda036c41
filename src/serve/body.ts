import type { IncomingMessage } from 'node:http';
import { ApiError, badRequest } from './reply';

export interface BodyLimits {
  maxBytes: number;
  /** A body that sends nothing for this long is given up on: a slow client must not hold a connection for ever. */
  idleTimeoutMs: number;
}

// The connection closes after these answers, so the rest of the body is never read.
const tooLarge = (limit: number): ApiError =>
  new ApiError(413, `request body is larger than ${limit} bytes`, 'invalid_request_error', null, { connection: 'close' });
const stalled = (idleMs: number): ApiError =>
  new ApiError(408, `the request body sent nothing for ${idleMs} ms`, 'invalid_request_error', null, { connection: 'close' });

/** The request's JSON body, refused with 413 past `maxBytes`, 408 when it stalls, and 400 when it is not JSON. */
export async function readJsonBody(req: IncomingMessage, limits: BodyLimits): Promise<unknown> {
  let idle: NodeJS.Timeout | undefined;
  const bytes = await new Promise<Buffer>((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limits.maxBytes) {
      req.resume();
      reject(tooLarge(limits.maxBytes));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const waitForData = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        req.off('data', onData);
        reject(stalled(limits.idleTimeoutMs));
      }, limits.idleTimeoutMs);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limits.maxBytes) {
        chunks.push(chunk);
        waitForData();
        return;
      }
      req.off('data', onData);
      req.resume();
      reject(tooLarge(limits.maxBytes));
    };
    waitForData();
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    // After 'end' this changes nothing; before it, the client went away mid-body.
    req.on('close', () => reject(new Error('the client closed the connection before sending the whole body')));
  }).finally(() => clearTimeout(idle));
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw badRequest('request body is not valid JSON');
  }
}
