import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const folders: string[] = [];

/**
 * A new temporary folder, removed when the test process exits (node's runner gives each test file a process
 * of its own, and the extension host ends with its code-server), so that test runs leave nothing behind.
 */
export function scratchFolder(prefix: string): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (folders.length === 0) {
    process.on('exit', () => {
      for (const each of folders) fs.rmSync(each, { recursive: true, force: true });
    });
  }
  folders.push(folder);
  return folder;
}
