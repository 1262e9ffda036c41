import type { EngineStatus } from '../protocol';

/** The status as the output channel shows it; one line per fact so it reads well in a log. */
export function formatEngineStatus(status: EngineStatus): string[] {
  const lines = [
    `onnxruntime-node ${status.onnxruntimeVersion} on ${status.platform}`,
    `loaded from ${status.onnxruntimePath}`,
    `backends in this build: ${status.backends.map((b) => `${b.name}${b.bundled ? '' : ' (separate install)'}`).join(', ')}`,
    'execution providers:',
  ];
  for (const provider of status.providers) lines.push(`  ${provider.name}: ${provider.ok ? 'ok' : 'unavailable'} - ${provider.detail}`);
  const active = status.providers.find((provider) => provider.ok);
  lines.push(`auto would use: ${active ? active.name : 'none'}`);
  return lines;
}
