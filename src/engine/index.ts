// The engine process: runs onnxruntime-node away from the extension host, because a session's run()
// blocks its thread and a native crash must not take the editor down with it.
import { type EngineResponse, engineRequestSchema } from '../protocol';
import { readEngineStatus } from './status';

function send(response: EngineResponse): void {
  process.send?.(response);
}

process.on('message', (raw: unknown) => {
  const parsed = engineRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const id = typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'number' ? raw.id : -1;
    send({ id, ok: false, error: `invalid request: ${parsed.error.message}` });
    return;
  }
  const request = parsed.data;
  switch (request.method) {
    case 'status':
      readEngineStatus().then(
        (result) => send({ id: request.id, ok: true, result }),
        (error: unknown) => send({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
      );
      return;
  }
});

// The host closing the channel means it is gone; nothing is left to serve.
process.on('disconnect', () => process.exit(0));
