import { execFile } from 'node:child_process';
import * as os from 'node:os';

const GIT_TIMEOUT_MS = 3000;

/** `git config user.name` as seen from `folder`; undefined without git, a repository or a name. */
function gitUserName(folder: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['config', 'user.name'], { cwd: folder, timeout: GIT_TIMEOUT_MS, windowsHide: true }, (error, stdout) => {
      resolve(error ? undefined : stdout.trim() || undefined);
    });
  });
}

/** The account running the program, where the system can say. */
function osUserName(): string | undefined {
  try {
    return os.userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Who annotates when nothing names them: the git user of the dataset's folder (the name their commits carry, so a
 * merge's conflicts and the agreement report speak of the same people), else the operating system's user.
 */
export async function defaultAnnotator(folder: string): Promise<string | undefined> {
  return (await gitUserName(folder)) ?? osUserName();
}
