import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseProvider, formatEngineStatus } from '../../src/engineClient/statusReport';
import type { EngineStatus } from '../../src/protocol';

const status: EngineStatus = {
  onnxruntimeVersion: '1.30.0',
  onnxruntimePath: '/ext/node_modules/onnxruntime-node/dist/index.js',
  platform: 'linux-x64',
  backends: [
    { name: 'cpu', bundled: true },
    { name: 'cuda', bundled: false },
  ],
  providers: [
    { name: 'cuda', ok: false, detail: 'libraries missing' },
    { name: 'webgpu', ok: true, detail: 'ran' },
    { name: 'cpu', ok: true, detail: 'ran' },
  ],
};

describe('execution provider choice', () => {
  it('auto takes the first provider that works, in CUDA, WebGPU, CPU order', () => {
    assert.equal(chooseProvider(status, 'auto'), 'webgpu');
  });

  it('a forced provider is used only if it works', () => {
    assert.equal(chooseProvider(status, 'cpu'), 'cpu');
    assert.equal(chooseProvider(status, 'cuda'), undefined);
  });

  it('the report names the setting, the provider in use and why the others failed', () => {
    const lines = formatEngineStatus(status, 'cuda');
    assert.ok(lines.includes('  cuda: unavailable - libraries missing'));
    assert.ok(lines.includes('backends in this build: cpu, cuda (separate install)'));
    assert.equal(lines.at(-1), 'in use (setting cuda): none - cuda is unavailable');
    assert.equal(formatEngineStatus(status).at(-1), 'in use (setting auto): webgpu');
  });
});
