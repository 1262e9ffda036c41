import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadCodeServer } from '../harness/codeServer';

describe('test harness', () => {
  it('names a missing system dependency and the command that installs it', async () => {
    const { checkSystemRequirements } = await loadCodeServer();
    const saved = process.env.CHROMIUM_PATH;
    process.env.CHROMIUM_PATH = '/nonexistent/chromium';
    try {
      assert.throws(checkSystemRequirements, (error: Error) => {
        assert.match(error.message, /Missing system dependencies/);
        assert.match(error.message, /Chromium \(\/nonexistent\/chromium\): apt-get install -y chromium/);
        return true;
      });
    } finally {
      if (saved === undefined) delete process.env.CHROMIUM_PATH;
      else process.env.CHROMIUM_PATH = saved;
    }
  });

  it('names the toolchain that npm rebuild needs when it is not on the PATH', async () => {
    const { checkSystemRequirements } = await loadCodeServer();
    const saved = process.env.PATH;
    // A PATH with no programs at all: every command-line requirement is missing.
    process.env.PATH = path.join(os.tmpdir(), 'cot-studio-empty-path');
    try {
      assert.throws(checkSystemRequirements, (error: Error) => {
        assert.match(error.message, /native build toolchain \(python3, make, g\+\+\): apt-get install -y build-essential python3/);
        assert.match(error.message, /apt-get install -y libkrb5-dev ripgrep chromium build-essential python3/);
        return true;
      });
    } finally {
      if (saved === undefined) delete process.env.PATH;
      else process.env.PATH = saved;
    }
  });
});
