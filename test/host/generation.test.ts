import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CotStudioApi } from '../../src/extension';
import type { ModelStatusReport } from '../../src/modelStatus';
import type { GenerationResult } from '../../src/protocol';
import { activate as api, EXTENSION_ID, withModel } from './session';

const PROMPT = { messages: [{ role: 'user' as const, content: 'How many bars are in the chart?' }], continueFinal: false };
/** Long enough to still be running while the test does other things; every such run is aborted. */
const LONG = { maxTokens: 30_000, ignoreEos: true, temperature: 1, seed: 1 };

/** Resolves after the first streamed piece, so the engine is known to be decoding. */
function startLong(cot: CotStudioApi, signal: AbortSignal): { result: Promise<GenerationResult>; decoding: Promise<void>; settled: () => boolean } {
  let settled = false;
  let started: () => void = () => undefined;
  const decoding = new Promise<void>((resolve) => (started = resolve));
  const result = cot.generate({ prompt: PROMPT, sampling: LONG }, { signal, onToken: () => started() });
  result.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { result, decoding, settled: () => settled };
}

/**
 * A random model with a long context, slow enough per token (4 layers, hidden 256) that a generation is
 * still running while a test does other things; built by the extension's own CLI.
 */
function buildSlowModel(extensionPath: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-slow-model-'));
  const cli = path.join(extensionPath, 'dist', 'cli.js');
  const shape = ['--layers', '4', '--hidden', '256', '--heads', '8', '--kv-heads', '2', '--vocab', '512', '--max-positions', '40000'];
  execFileSync(process.execPath, [cli, 'make-test-model', dir, '--kind', 'random', ...shape], {
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    stdio: 'ignore',
  });
  return dir;
}

describe('generation in the extension host', () => {
  let slowModel: string;

  before(function () {
    this.timeout(120_000);
    const extension = vscode.extensions.getExtension<CotStudioApi>(EXTENSION_ID);
    assert.ok(extension);
    slowModel = buildSlowModel(extension.extensionPath);
  });

  after(() => fs.rmSync(slowModel, { recursive: true, force: true }));

  it('generates with the bundled model in the engine process', async function () {
    this.timeout(60_000);
    const cot = await api();
    const result = await cot.generate({ prompt: PROMPT, sampling: { n: 3, maxTokens: 24, seed: 7 } });
    assert.equal(result.ep, 'cpu');
    assert.equal(result.model, 'tiny-bigram');
    assert.equal(result.candidates.length, 3);
    assert.ok(result.candidates.every((candidate) => candidate.tokens.length > 0 && candidate.logprob < 0));
    assert.notEqual(cot.engineProcessId(), process.pid, 'the model runs outside the extension host');
  });

  it('keeps the extension host responsive while a long generation runs', async function () {
    this.timeout(60_000);
    const cot = await api();
    await withModel(slowModel, async () => {
      const controller = new AbortController();
      const run = startLong(cot, controller.signal);
      await run.decoding;
      // Work that needs the extension host's event loop, done while the model decodes.
      const gaps: number[] = [];
      for (let i = 0; i < 20; i++) {
        const before = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 10));
        await vscode.commands.getCommands(true);
        await vscode.workspace.fs.stat(vscode.Uri.file(os.tmpdir()));
        gaps.push(performance.now() - before);
      }
      assert.equal(run.settled(), false, `20 host round trips (${Math.round(gaps.reduce((a, b) => a + b, 0))} ms) finished while the generation still ran`);
      controller.abort();
      const result = await run.result;
      assert.equal(result.candidates[0]?.finishReason, 'cancelled');
    });
  });

  it('survives the engine process being killed mid-run: the run fails, the next one reloads the model', async function () {
    this.timeout(90_000);
    const cot = await api();
    await withModel(slowModel, async () => {
      const controller = new AbortController();
      const run = startLong(cot, controller.signal);
      await run.decoding;
      const pid = cot.engineProcessId();
      assert.ok(pid);
      process.kill(pid, 'SIGKILL');
      await assert.rejects(run.result, /the engine process stopped \(signal SIGKILL\)/);
      const next = await cot.generate({ prompt: PROMPT, sampling: { maxTokens: 8, seed: 3 } });
      assert.equal(next.candidates.length, 1);
      assert.notEqual(cot.engineProcessId(), pid, 'a new engine process');
    });
  });

  it('reports a broken model folder with what was expected and what was found', async function () {
    this.timeout(60_000);
    const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-broken-model-'));
    fs.writeFileSync(path.join(broken, 'config.json'), '{}');
    const config = vscode.workspace.getConfiguration('cotStudio');
    await config.update('engine.model', broken, vscode.ConfigurationTarget.Global);
    try {
      const report = await vscode.commands.executeCommand<ModelStatusReport | undefined>('cotStudio.showModelStatus');
      assert.ok(report);
      assert.equal(report.model, undefined);
      assert.match(report.modelError ?? '', /expected tokenizer\.json in a Hugging Face ONNX model folder, found config\.json/);
      const cot = await api();
      await assert.rejects(cot.generate({ prompt: PROMPT }), /expected tokenizer\.json/);
    } finally {
      await config.update('engine.model', undefined, vscode.ConfigurationTarget.Global);
      fs.rmSync(broken, { recursive: true, force: true });
    }
    const report = await vscode.commands.executeCommand<ModelStatusReport | undefined>('cotStudio.showModelStatus');
    assert.equal(report?.model?.name, 'tiny-bigram', 'back on the bundled model');
    assert.deepEqual(
      report?.model?.attempts.map((attempt) => attempt.name),
      ['cuda', 'webgpu', 'cpu'].slice(0, report?.model?.attempts.length ?? 0),
    );
  });
});
