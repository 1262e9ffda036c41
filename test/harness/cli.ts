import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from './fixtures';

const execute = promisify(execFile);

/** The built `cot-studio` command line. */
export const cliPath = path.join(projectRoot, 'dist', 'cli.js');

/** Runs the built CLI and resolves with its exit code and output, whether it succeeded or not. */
export async function runCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execute(process.execPath, [cliPath, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
