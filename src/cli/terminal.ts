/**
 * Characters a terminal acts on rather than shows: C0 controls but tab and newline, DEL, C1 controls (an escape
 * sequence in a record could move the cursor, retitle the window or rewrite earlier lines), and the bidirectional
 * overrides that reorder what is shown.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it finds.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Dataset text as the terminal may show it: each unsafe character written as its `\uXXXX` escape. Inside JSON
 * strings, the only place such characters can stand in `--json` output, that is the same character, so the
 * output stays the same JSON.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Everything the command line prints goes through these two. */
export const printOut = (text: string): boolean => process.stdout.write(terminalSafe(text));
export const printErr = (text: string): boolean => process.stderr.write(terminalSafe(text));

/**
 * Exits once what was written to standard output and error has reached them: on a pipe, `process.exit` right
 * after a write drops what the pipe had not taken yet (thousands of refusal lines, a long `--json`).
 */
export function exitAfterOutput(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
