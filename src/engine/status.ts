import type * as Ort from 'onnxruntime-node';
import type { EngineStatus, ExecutionProvider, ProviderProbe } from '../protocol';
import { buildProbeModel, probeConstant } from './probe';
import { errorMessage } from '../errors/message';

/** The order `auto` tries providers in: fastest first, CPU always last. */
export const PROVIDER_ORDER: readonly ExecutionProvider[] = ['cuda', 'webgpu', 'cpu'];

/** onnxruntime prefixes its errors with a source location and the failed assertion; users need the reason. */
export function providerFailureReason(name: ExecutionProvider, error: unknown): string {
  const first = errorMessage(error).split('\n')[0];
  const reason = first.replace(/^.*? was false\. /, '').replace(/^\S+\.(cc|cpp|h):\d+ \S+ /, '');
  if (name === 'cuda' && /Failed to load shared library/i.test(reason)) {
    return `${reason}: the CUDA provider libraries are a separate install (see the README, "CUDA")`;
  }
  return reason;
}

async function probeProvider(ort: typeof Ort, name: ExecutionProvider, model: Uint8Array): Promise<ProviderProbe> {
  const started = performance.now();
  let session: Ort.InferenceSession | undefined;
  try {
    session = await ort.InferenceSession.create(model, { executionProviders: [name] });
    const input = new ort.Tensor('float32', Float32Array.from([10, 20, 30, 40]), [1, 4]);
    const output = await session.run({ x: input });
    const values = output.y.data as Float32Array;
    const expected = [11, 22, 33, 44];
    if (!expected.every((value, i) => values[i] === value)) {
      return { name, ok: false, detail: `probe model gave ${Array.from(values).join(', ')} instead of ${expected.join(', ')}` };
    }
    const ms = (performance.now() - started).toFixed(1);
    return { name, ok: true, detail: `ran a ${probeConstant.length}-element Add in ${ms} ms` };
  } catch (error) {
    return { name, ok: false, detail: providerFailureReason(name, error) };
  } finally {
    await session?.release();
  }
}

/** Loads onnxruntime-node and tries each execution provider on a probe model. */
export async function readEngineStatus(): Promise<EngineStatus> {
  const onnxruntimePath = require.resolve('onnxruntime-node');
  const ort = (await import('onnxruntime-node')) as typeof Ort;
  // Failures are reported per provider below; onnxruntime's own log would repeat them on stderr.
  ort.env.logLevel = 'fatal';
  const model = buildProbeModel();
  const providers: ProviderProbe[] = [];
  for (const name of PROVIDER_ORDER) providers.push(await probeProvider(ort, name, model));
  return {
    onnxruntimeVersion: ort.env.versions.node ?? 'unknown',
    onnxruntimePath,
    platform: `${process.platform}-${process.arch}`,
    backends: ort.listSupportedBackends().map(({ name, bundled }) => ({ name, bundled })),
    providers,
  };
}
