import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { type PlacedMessage, placeImages } from '../../backends/imagePlacement';
import type { Prompt } from '../../protocol';
import { type ModelFolder, ModelFolderError, type TokenizerConfig } from './folder';
import { maxTokenBytes } from './tokenBytes';
import { errorMessage } from '../../errors/message';

const tokenText = (token: TokenizerConfig['eos_token']): string | undefined =>
  token === null || token === undefined ? undefined : typeof token === 'string' ? token : token.content;

const ids = (value: number | number[] | null | undefined): number[] => (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]);

/** The model's tokenizer and chat template, and the token ids that end a generation. */
export class ModelTokenizer {
  private readonly tokenizer: Tokenizer;
  private readonly template: Template | undefined;
  readonly eosIds: ReadonlySet<number>;
  readonly padId: number;
  /** The most bytes of text one token stands for; undefined when the tokenizer has no such bound. */
  readonly maxTokenBytes: number | undefined;

  constructor(private readonly folder: ModelFolder) {
    try {
      this.tokenizer = new Tokenizer(folder.tokenizerJson, folder.tokenizerConfig);
    } catch (error) {
      throw new ModelFolderError(`${folder.dir}/tokenizer.json: expected a tokenizer @huggingface/tokenizers can read, found: ${errorMessage(error)}`);
    }
    try {
      this.template = folder.chatTemplate === undefined ? undefined : new Template(folder.chatTemplate.text);
    } catch (error) {
      throw new ModelFolderError(`${folder.chatTemplate?.file}: the chat template does not parse: ${errorMessage(error)}`);
    }
    const eosToken = tokenText(folder.tokenizerConfig.eos_token);
    const eosFromToken = eosToken === undefined ? undefined : this.tokenizer.token_to_id(eosToken);
    // generation_config.json is what transformers' generate() reads; config.json and the tokenizer are fallbacks.
    const eos = [...ids(folder.generationConfig.eos_token_id), ...ids(folder.config.eos_token_id), ...(eosFromToken === undefined ? [] : [eosFromToken])];
    this.eosIds = new Set(eos);
    this.maxTokenBytes = maxTokenBytes(folder.tokenizerJson);
    const padToken = tokenText(folder.tokenizerConfig.pad_token);
    this.padId =
      ids(folder.generationConfig.pad_token_id)[0] ??
      ids(folder.config.pad_token_id)[0] ??
      (padToken === undefined ? undefined : this.tokenizer.token_to_id(padToken)) ??
      eos[0] ??
      0;
  }

  get hasChatTemplate(): boolean {
    return this.template !== undefined;
  }

  /** The file the chat template comes from; undefined when the model has none. */
  get chatTemplateFile(): string | undefined {
    return this.folder.chatTemplate?.file;
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  decode(tokens: readonly number[]): string {
    if (tokens.length === 0) return '';
    return this.tokenizer.decode([...tokens], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  /**
   * The text the model sees for a prompt. With `continueFinal` the final assistant message is left open, so
   * the template's end-of-turn marker after it is cut off and the model continues the prefix. A chat's `images`
   * are written where placeImages puts them, as `{type: 'image'}` parts the model's template turns into its own
   * image tokens; a text prompt holds its image tokens itself. With `asParts` every message's content is a list of
   * parts (`{type: 'text'}`), the form multimodal templates read.
   */
  render(prompt: Prompt, images = 0, asParts = false): string {
    if ('text' in prompt) return prompt.text;
    if (!this.template)
      throw new ModelFolderError(
        `${this.folder.dir}: the prompt is a chat but the model has no chat template (chat_template.jinja or tokenizer_config.json chat_template)`,
      );
    const last = prompt.messages.at(-1);
    const continuing = prompt.continueFinal && last?.role === 'assistant';
    const messages = placeImages(prompt.messages, images).map(({ role, content }) =>
      asParts && typeof content === 'string' ? { role, content: [{ type: 'text' as const, text: content }] } : { role, content },
    );
    const rendered = this.renderMessages(messages, !continuing);
    if (!continuing || !last) return rendered;
    const at = rendered.lastIndexOf(last.content);
    if (at < 0 || last.content === '') {
      // An empty prefix: the generation prompt is exactly where the assistant text would begin.
      return this.renderMessages(messages.slice(0, -1), true);
    }
    return rendered.slice(0, at + last.content.length);
  }

  private renderMessages(messages: readonly PlacedMessage[], addGenerationPrompt: boolean): string {
    try {
      return (this.template as Template).render({
        // Chat templates read an image part as `{type: 'image'}` (the image itself goes to the vision encoder).
        messages: messages.map(({ role, content }) => ({
          role,
          content: typeof content === 'string' ? content : content.map((part) => (part.type === 'image' ? { type: 'image' } : part)),
        })),
        add_generation_prompt: addGenerationPrompt,
        bos_token: tokenText(this.folder.tokenizerConfig.bos_token) ?? '',
        eos_token: tokenText(this.folder.tokenizerConfig.eos_token) ?? '',
      });
    } catch (error) {
      // raise_exception() in a template reports a bad conversation; anything else is a broken template.
      throw new ModelFolderError(`${this.chatTemplateFile}: the chat template failed while rendering the prompt: ${errorMessage(error)}`);
    }
  }
}
