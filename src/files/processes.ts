import * as os from 'node:os';
import { errorCode } from './fileErrors';

/** This machine's name as it can stand in a file name; files of other machines (a shared folder) are never judged stale. */
export const HOST =
  os
    .hostname()
    .replace(/[^A-Za-z0-9-]/g, '')
    .slice(0, 32) || 'host';

/** Whether a process of this machine is still running (a process owned by someone else counts as running). */
export function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) !== 'ESRCH';
  }
}
