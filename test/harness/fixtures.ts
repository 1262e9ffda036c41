import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const projectRoot = path.resolve(__dirname, '..', '..', '..');
export const fixturesDir = path.join(projectRoot, 'test', 'fixtures');
export const datasetsDir = path.join(fixturesDir, 'datasets');
/** Who annotates in the editor under test, so that what it saves does not depend on the machine's git or system user. */
export const TEST_ANNOTATOR = 'Tess Tester';
export const TEST_USER_SETTINGS = { 'cotStudio.annotator': TEST_ANNOTATOR };

/** A throwaway copy of the sample datasets (with images), so tests can open and change them freely. */
export function makeWorkspace(prefix = 'cot-studio-ws-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.cpSync(datasetsDir, dir, { recursive: true });
  for (const file of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })) fs.chmodSync(path.join(dir, file), 0o755);
  return dir;
}
