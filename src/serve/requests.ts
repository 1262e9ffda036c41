import { z } from 'zod';
import {
  chatMessageSchema,
  generationRequestSchema,
  IMAGE_DATA_URI,
  samplingSchema,
  type ChatMessage,
  type GenerationRequest,
  type SamplingInput,
} from '../protocol';
import { IMAGE_TOKEN } from '../dataset/formats/chat';
import { TextRegex } from '../engine/decode/textRegex';
import { type ApiError, badRequest } from './reply';
import { errorMessage } from '../errors/message';

// Field limits are the sampling schema's own, so a request the server accepts is one the backend accepts.
const { n, maxTokens, temperature, topP, seed, stop, ignoreEos } = samplingSchema.shape;

/** Without its default, so that `max_completion_tokens` can stand in for an absent `max_tokens`. */
const tokenLimit = maxTokens.unwrap().optional();

const commonFields = {
  model: z.string().optional(),
  n,
  max_tokens: tokenLimit,
  temperature,
  top_p: topP,
  /** vLLM and SGLang spell "keep every token" -1. */
  top_k: z.number().int().min(-1).default(0),
  seed,
  stop: z.preprocess((value) => (typeof value === 'string' ? [value] : value), stop),
  ignore_eos: ignoreEos,
  stream: z.boolean().default(false),
  stream_options: z.object({ include_usage: z.boolean().default(false) }).optional(),
  /** vLLM's structured outputs; of its kinds this server draws under a regular expression only. */
  structured_outputs: z
    .object({ regex: z.string().min(1).max(16_384).optional() })
    .strict()
    .optional(),
  /** What vLLM before 0.11 took for the same. */
  guided_regex: z.string().min(1).max(16_384).optional(),
  /** SGLang's field for the same. */
  regex: z.string().min(1).max(16_384).optional(),
};

const completionRequestSchema = z.object({
  ...commonFields,
  prompt: z.string(),
  /** OpenAI's count of alternatives per token; any number asks for the chosen tokens' log-probabilities. */
  logprobs: z.number().int().min(0).max(20).optional(),
});

/** What vLLM takes besides data URIs under --allowed-local-media-path: a file:// URL, read only under the served image folders. */
const FILE_URL = /^file:\/\//i;
const imageUrlSchema = z
  .string()
  .refine(
    (url) => IMAGE_DATA_URI.test(url) || FILE_URL.test(url),
    'expected a data:image/…;base64 URI or a file:// URL under the served image folders (this server fetches no http URLs)',
  );
const contentPartSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('image_url'), image_url: z.union([imageUrlSchema, z.object({ url: imageUrlSchema })]) }),
]);

const chatRequestSchema = z.object({
  ...commonFields,
  max_completion_tokens: tokenLimit,
  messages: z.array(z.object({ role: chatMessageSchema.shape.role, content: z.union([z.string(), z.array(contentPartSchema)]) })).min(1),
  logprobs: z.boolean().default(false),
  continue_final_message: z.boolean().default(false),
  add_generation_prompt: z.boolean().optional(),
});

export type Endpoint = 'completions' | 'chat';

/** The client's field that holds the prompt. */
export const promptField = (endpoint: Endpoint): string => (endpoint === 'chat' ? 'messages' : 'prompt');

/** What a handler needs from a validated request. */
export interface ParsedRequest {
  endpoint: Endpoint;
  generation: GenerationRequest;
  stop: string[];
  logprobs: boolean;
  stream: boolean;
  includeUsage: boolean;
}

/**
 * A file:// image as a data URI, read from under the served image folders; throws saying why not. Without one,
 * every file URL is refused.
 */
export type ReadImageFile = (url: string) => string;

/** Validates a completions or chat body; a bad field is a 400 that names it. */
export function parseRequest(endpoint: Endpoint, body: unknown, readImageFile?: ReadImageFile): ParsedRequest {
  // Clients send null for fields they leave at the default.
  const fields =
    typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.fromEntries(Object.entries(body).filter(([, value]) => value !== null)) : body;
  const parsed = endpoint === 'completions' ? valid(completionRequestSchema, fields) : valid(chatRequestSchema, fields);
  const sampling: SamplingInput = {
    n: parsed.n,
    maxTokens: ('max_completion_tokens' in parsed ? parsed.max_completion_tokens : undefined) ?? parsed.max_tokens,
    temperature: parsed.temperature,
    topK: Math.max(0, parsed.top_k),
    topP: parsed.top_p,
    seed: parsed.seed,
    stop: parsed.stop,
    ignoreEos: parsed.ignore_eos,
    ...regexOf(parsed),
  };
  // As OpenAI does, an explicit max_tokens that does not fit beside the prompt is refused; the default is shortened to fit.
  const contextOverflow = sampling.maxTokens === undefined ? 'shorten' : 'refuse';
  const generation: GenerationRequest =
    'prompt' in parsed ? { prompt: { text: parsed.prompt }, sampling, contextOverflow } : { ...chatPrompt(parsed, readImageFile), sampling, contextOverflow };
  const checked = generationRequestSchema.safeParse(generation);
  if (!checked.success) throw fieldError(checked.error, promptField(endpoint));
  return {
    endpoint,
    generation,
    stop: parsed.stop,
    logprobs: typeof parsed.logprobs === 'number' || parsed.logprobs === true,
    stream: parsed.stream,
    includeUsage: parsed.stream_options?.include_usage ?? false,
  };
}

/** The structured-output expression, compiled here so that one the engine cannot use is a 400 naming its field. */
function regexOf(parsed: { structured_outputs?: { regex?: string | undefined } | undefined; guided_regex?: string | undefined; regex?: string | undefined }): {
  regex?: string;
} {
  const given = (['structured_outputs', 'guided_regex', 'regex'] as const).filter((name) => parsed[name] !== undefined);
  if (given.length > 1) throw badRequest(`give one of structured_outputs, guided_regex and regex, not ${given.join(' and ')}`, given[1] ?? null);
  if (parsed.structured_outputs !== undefined && parsed.structured_outputs.regex === undefined) {
    throw badRequest('structured_outputs: this server draws under a regex only', 'structured_outputs');
  }
  const regex = parsed.structured_outputs?.regex ?? parsed.guided_regex ?? parsed.regex;
  if (regex === undefined) return {};
  const field = given[0] === 'structured_outputs' ? 'structured_outputs.regex' : (given[0] ?? 'regex');
  try {
    TextRegex.compile(regex);
  } catch (error) {
    throw badRequest(`${field}: ${errorMessage(error)}`, field);
  }
  return { regex };
}

function valid<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw fieldError(parsed.error);
  return parsed.data;
}

/** Names the bad field; `field` is the client's field a failure of the built request traces back to. */
function fieldError(error: z.ZodError, field?: string): ApiError {
  const paths = error.issues.map((issue) => issue.path.join('.'));
  const names = paths.map((path) => (field === undefined ? path || 'body' : `${field} (${path})`));
  const message = error.issues.map((issue, index) => `${names[index]}: ${issue.message}`).join('; ');
  return badRequest(message, field ?? (paths[0] || null));
}

/**
 * Whether every image part opens the first user message, before its text: where a request's images go when
 * nothing says otherwise, so the text needs no placeholder for them.
 */
function imagesLead(messages: z.infer<typeof chatRequestSchema>['messages']): boolean {
  const first = messages.findIndex((message) => message.role === 'user');
  return messages.every(({ content }, m) => {
    if (typeof content === 'string') return true;
    const firstText = content.findIndex((part) => part.type === 'text');
    const leading = firstText < 0 ? content : content.slice(0, firstText);
    const imagesBefore = leading.length;
    const imagesAll = content.filter((part) => part.type === 'image_url').length;
    return imagesAll === 0 || (m === first && imagesBefore === imagesAll);
  });
}

/**
 * Text parts become the message text and image parts the request's images, in order. Images anywhere but at the
 * head of the first question leave an `<image>` placeholder where they stood, so a vision-language model sees
 * each at the place the client put it. A file URL is read here, from under the served image folders, so the
 * backend gets data URIs only.
 */
function chatPrompt(request: z.infer<typeof chatRequestSchema>, readImageFile?: ReadImageFile): Pick<GenerationRequest, 'prompt' | 'images'> {
  if (request.continue_final_message && request.add_generation_prompt === true) {
    throw badRequest('continue_final_message and add_generation_prompt cannot both be true', 'add_generation_prompt');
  }
  if (!request.continue_final_message && request.add_generation_prompt === false) {
    throw badRequest('add_generation_prompt: false is supported only with continue_final_message: true', 'add_generation_prompt');
  }
  const last = request.messages[request.messages.length - 1];
  if (request.continue_final_message && last?.role !== 'assistant') {
    throw badRequest('continue_final_message needs an assistant message last', 'messages');
  }
  const images: string[] = [];
  const marked = !imagesLead(request.messages);
  const messages = request.messages.map(({ role, content }, m): ChatMessage => {
    if (typeof content === 'string') return { role, content };
    const texts = content.flatMap((part, p) => {
      if (part.type === 'text') return [part.text];
      const url = typeof part.image_url === 'string' ? part.image_url : part.image_url.url;
      images.push(IMAGE_DATA_URI.test(url) ? url : imageFile(url, `messages.${m}.content.${p}.image_url`, readImageFile));
      return marked ? [IMAGE_TOKEN] : [];
    });
    return { role, content: texts.join('\n') };
  });
  return { prompt: { messages, continueFinal: request.continue_final_message }, ...(images.length > 0 && { images }) };
}

function imageFile(url: string, field: string, readImageFile: ReadImageFile | undefined): string {
  if (readImageFile === undefined) throw badRequest(`${field}: file URLs are read only under the folders \`serve --image-root\` names, and none was`, field);
  try {
    return readImageFile(url);
  } catch (error) {
    throw badRequest(`${field}: ${errorMessage(error)}`, field);
  }
}
