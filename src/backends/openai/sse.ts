/**
 * Splits a Server-Sent Events stream into the data of its events. Fed text as it arrives, in pieces that
 * may end anywhere, so a line is only read once its end has come.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];

  /** The data of every event this piece completes. */
  push(text: string): string[] {
    this.buffer += text;
    const events: string[] = [];
    for (let end = this.buffer.search(/\r\n|\r|\n/); end >= 0; end = this.buffer.search(/\r\n|\r|\n/)) {
      // A lone \r at the end may be the first half of \r\n: wait for the next piece.
      if (this.buffer[end] === '\r' && end === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith('\r\n', end) ? 2 : 1));
      this.readLine(line, events);
    }
    return events;
  }

  /** The data of an event the stream ended without a blank line after. */
  end(): string[] {
    const events: string[] = [];
    if (this.buffer !== '') this.readLine(this.buffer, events);
    this.buffer = '';
    this.readLine('', events);
    return events;
  }

  private readLine(line: string, events: string[]): void {
    if (line === '') {
      if (this.data.length > 0) events.push(this.data.join('\n'));
      this.data = [];
    } else if (line.startsWith('data:')) {
      this.data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
    }
    // Comments (`:`), `event:`, `id:` and `retry:` lines carry nothing a completion needs.
  }
}
