import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { EngineClient } from '../../src/engineClient';
import { buildProbeModel } from '../../src/engine/probe';
import { providerFailureReason } from '../../src/engine/status';
import { engineStatusSchema } from '../../src/protocol';
import { projectRoot } from '../harness/fixtures';

const run = promisify(execFile);
const cli = path.join(projectRoot, 'dist', 'cli.js');
const engine = path.join(projectRoot, 'dist', 'engine.js');

describe('probe model', () => {
  it('is a valid ONNX model that onnxruntime runs on the CPU with a symbolic batch dimension', async () => {
    const session = await ort.InferenceSession.create(buildProbeModel(), { executionProviders: ['cpu'] });
    assert.deepEqual(session.inputNames, ['x']);
    const x = new ort.Tensor('float32', Float32Array.from([0, 0, 0, 0, 1, 1, 1, 1]), [2, 4]);
    const { y } = await session.run({ x });
    assert.deepEqual(y.dims, [2, 4]);
    assert.deepEqual(Array.from(y.data as Float32Array), [1, 2, 3, 4, 2, 3, 4, 5]);
    await session.release();
  });
});

describe('provider failure reasons', () => {
  it('keeps the reason and drops the source location', () => {
    const error = new Error(
      '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize() adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters',
    );
    assert.equal(providerFailureReason('webgpu', error), 'Failed to get a WebGPU adapter: No supported adapters');
    assert.match(providerFailureReason('cuda', new Error('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library')), /separate install/);
  });
});

describe('engine process', () => {
  it('answers a status request from its own process and restarts after it dies', async () => {
    const logs: string[] = [];
    const client = new EngineClient(engine, (line) => logs.push(line));
    try {
      const status = engineStatusSchema.parse(await client.request('status'));
      assert.equal(status.onnxruntimeVersion, ort.env.versions.node);
      assert.ok(status.providers.find((provider) => provider.name === 'cpu')?.ok);
      const pid = client.processId;
      assert.ok(pid !== undefined && pid !== process.pid, 'the engine runs in a process of its own');
      // The engine may answer before the signal lands on a loaded machine; either way nothing hangs. (A kill
      // in the middle of a generation, which must fail the request, is tested with the local engine.)
      const pending = client.request('status');
      process.kill(pid, 'SIGKILL');
      const outcome = await pending.then(
        () => 'answered',
        (error: Error) => error.message,
      );
      assert.match(outcome, /^answered$|engine process stopped \(signal SIGKILL\)/);
      for (const deadline = Date.now() + 10_000; client.processId === pid && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(client.processId, undefined, 'the client saw the process stop');
      const again = await client.request('status');
      assert.ok(again.providers.some((provider) => provider.ok));
      assert.notEqual(client.processId, pid);
    } finally {
      client.dispose();
    }
  });
});

describe('cot-studio CLI', () => {
  it('prints the engine status as JSON', async () => {
    const { stdout } = await run(process.execPath, [cli, 'status', '--json']);
    const status = engineStatusSchema.parse(JSON.parse(stdout));
    assert.ok(status.providers.find((provider) => provider.name === 'cpu')?.ok);
  });

  it('exits 2 with a hint on bad usage', async () => {
    await assert.rejects(run(process.execPath, [cli, 'frobnicate']), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /unknown command 'frobnicate'/);
      return true;
    });
    await assert.rejects(run(process.execPath, [cli, 'status', '--bogus']), (error: { code: number }) => error.code === 2);
  });
});
