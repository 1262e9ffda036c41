import type { EngineStatus, ExecutionProvider, LoadedModel } from '../protocol';

export type ProviderPreference = ExecutionProvider | 'auto';

/** The provider a session would run on: the first that works (auto), or the one forced by the setting. */
export function chooseProvider(status: EngineStatus, preference: ProviderPreference): ExecutionProvider | undefined {
  const candidates = preference === 'auto' ? status.providers : status.providers.filter((provider) => provider.name === preference);
  return candidates.find((provider) => provider.ok)?.name;
}

/** The status as the output channel shows it; one line per fact so it reads well in a log. */
export function formatEngineStatus(status: EngineStatus, preference: ProviderPreference = 'auto'): string[] {
  const lines = [
    `onnxruntime-node ${status.onnxruntimeVersion} on ${status.platform}`,
    `loaded from ${status.onnxruntimePath}`,
    `backends in this build: ${status.backends.map((b) => `${b.name}${b.bundled ? '' : ' (separate install)'}`).join(', ')}`,
    'execution providers:',
  ];
  for (const provider of status.providers) lines.push(`  ${provider.name}: ${provider.ok ? 'ok' : 'unavailable'} - ${provider.detail}`);
  const chosen = chooseProvider(status, preference);
  lines.push(`in use (setting ${preference}): ${chosen ?? `none - ${preference === 'auto' ? 'no provider works' : `${preference} is unavailable`}`}`);
  return lines;
}

/** The loaded model as the output channel shows it: what file, where it runs and why not elsewhere. */
export function formatLoadedModel(model: LoadedModel): string[] {
  return [
    `model ${model.name}: ${model.file}`,
    `  ${model.layers} layers, ${model.kvHeads} KV heads of ${model.headDim}, KV cache in ${model.kvType}, loaded in ${model.loadMs.toFixed(0)} ms`,
    `  running on ${model.provider}`,
    model.vision
      ? `  sees images (${model.vision.family}): vision encoder ${model.vision.encoderFile}, embeddings ${model.vision.embedFile}`
      : '  reads text only: images are not shown to it',
    ...model.attempts.filter((attempt) => !attempt.ok).map((attempt) => `  ${attempt.name} not used: ${attempt.detail}`),
  ];
}

/** One line for the status bar tooltip. */
export function modelSummary(model: LoadedModel): string {
  const failed = model.attempts.filter((attempt) => !attempt.ok).map((attempt) => `${attempt.name}: ${attempt.detail}`);
  const sees = model.vision ? `, sees images (${model.vision.family})` : '';
  return `${model.name} on ${model.provider}${sees}${failed.length ? ` (${failed.join('; ')})` : ''}`;
}
