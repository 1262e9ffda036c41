import type { Backend, GenerateOptions, GenerationRequest } from '../../src/backends/types';
import type { GenerationResult } from '../../src/protocol';
import { type RunningServer, startServer } from '../../src/serve';

/**
 * A scripted step judge standing in for a judge model (the tiny test models cannot judge): it reads the step
 * from the step-judge prompt and calls it incorrect when it holds a digit, correct otherwise. Served over the
 * product's own OpenAI-compatible server, so the extension reaches it as it would reach a real judge.
 */
export class ScriptedStepJudge implements Backend {
  readonly name = 'scripted-step-judge';
  /** Every prompt it was asked, in order. */
  readonly prompts: string[] = [];

  async generate(request: GenerationRequest, _options?: GenerateOptions): Promise<GenerationResult> {
    const prompt =
      'messages' in request.prompt
        ? request.prompt.messages.map((message) => (typeof message.content === 'string' ? message.content : '')).join('\n')
        : request.prompt.text;
    this.prompts.push(prompt);
    const step = /Next step: ([\s\S]*?)\n\nIs the next step/.exec(prompt)?.[1];
    const text = step === undefined ? 'neutral' : /\d/.test(step) ? 'incorrect' : 'correct';
    const n = request.sampling?.n ?? 1;
    const candidates = Array.from({ length: n }, () => ({ text, tokens: [0], logprob: 0, tokenLogprobs: [0], finishReason: 'eos' as const }));
    return { promptTokens: [], candidates, ep: 'remote', model: this.name, timing: { loadMs: 0, generateMs: 0 }, tokensComputed: 0 };
  }

  async dispose(): Promise<void> {}
}

export function startScriptedJudge(judge = new ScriptedStepJudge()): Promise<RunningServer> {
  return startServer({ backend: judge, modelName: 'scripted-step-judge' });
}
