import type { ChatMessage, Prompt, Sampling } from '../../protocol';
import { placeImages } from '../imagePlacement';
import { imageUrl } from './images';

export type Endpoint = 'completions' | 'chat';

/** What one generation sends: the path under the base URL and the JSON body. */
export interface RemoteCall {
  endpoint: Endpoint;
  path: string;
  body: Record<string, unknown>;
}

type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

/** Text prompts go to /completions, chat prompts to /chat/completions; both stream with log-probabilities. */
export function buildCall(model: string, prompt: Prompt, images: readonly string[], sampling: Sampling): RemoteCall {
  const common = {
    model,
    n: sampling.n,
    max_tokens: sampling.maxTokens,
    temperature: sampling.temperature,
    top_p: sampling.topP,
    ...(sampling.seed !== undefined && { seed: sampling.seed }),
    ...(sampling.stop.length > 0 && { stop: sampling.stop }),
    // Extensions vLLM, SGLang and llama.cpp accept; sent only when they change the default.
    ...(sampling.topK > 0 && { top_k: sampling.topK }),
    ...(sampling.ignoreEos && { ignore_eos: true }),
    stream: true,
    stream_options: { include_usage: true },
  };
  if ('text' in prompt) {
    if (images.length > 0) throw new Error('images need a chat prompt (messages): the completions endpoint takes text only');
    return { endpoint: 'completions', path: '/completions', body: { ...common, prompt: prompt.text, logprobs: 1 } };
  }
  const messages = withImages(prompt.messages, images);
  return {
    endpoint: 'chat',
    path: '/chat/completions',
    body: {
      ...common,
      messages,
      logprobs: true,
      // vLLM/SGLang extension: render the last assistant message open so the model continues its prefix.
      ...(prompt.continueFinal && { continue_final_message: true, add_generation_prompt: false }),
    },
  };
}

/** Images go, as data URIs, where placeImages puts them: at their questions' placeholders, else before the first question. */
function withImages(messages: readonly ChatMessage[], images: readonly string[]): Array<{ role: string; content: string | ContentPart[] }> {
  const urls = images.map(imageUrl);
  return placeImages(messages, images.length).map(({ role, content }) => ({
    role,
    content:
      typeof content === 'string'
        ? content
        : content.map((part): ContentPart => (part.type === 'text' ? part : { type: 'image_url', image_url: { url: urls[part.image] as string } })),
  }));
}
