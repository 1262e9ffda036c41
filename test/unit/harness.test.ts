import * as assert from 'node:assert/strict';
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
});
