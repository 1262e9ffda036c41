import type * as http from 'node:http';
import type { Socket } from 'node:net';

/**
 * Caps the connections open at once (`server.maxConnections`: those past it are closed unanswered), but never
 * lets connections left idle after an answer hold the cap: when it is reached they are closed, oldest first, to
 * make room. Some clients open a pool per request and leave each connection waiting in it until its keep-alive
 * runs out (VS Code's fetch in the extension host does), so a quick run of requests would otherwise lock every
 * client out for the keep-alive time. A connection that has not yet sent its request, or is being answered,
 * keeps its place. Closing an idle persistent connection is always allowed (RFC 9112 §9.6).
 */
export function capConnections(server: http.Server, maxConnections: number): void {
  server.maxConnections = maxConnections;
  let open = 0;
  /** Connections between an answer and their next request, in the order they became idle. */
  const idle = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open++;
    socket.once('close', () => {
      open--;
      idle.delete(socket);
    });
    // The next connection would be refused: make room now, as a close is counted a turn later.
    let room = open - maxConnections + 1;
    for (const waiting of idle) {
      if (room <= 0) break;
      waiting.destroy();
      room--;
    }
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    idle.delete(socket);
    res.once('finish', () => {
      if (!socket.destroyed) idle.add(socket);
    });
  });
}
