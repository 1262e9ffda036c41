// ChatML, as Qwen models use it: `<|im_start|>role\ncontent<|im_end|>\n` per message. Content may also be a
// list of parts (multimodal chats), where an image part becomes the `<image>` token.
const chatML = (image: string) =>
  String.raw`{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' }}{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for part in message['content'] %}{% if part['type'] == 'image' %}{{ '${image}' }}{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}{{ '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}`;

export const CHAT_TEMPLATE = chatML('<image>');

/** Qwen2-VL's: an image part is the vision tokens around the one `<|image_pad|>` the processor expands per merged patch. */
export const QWEN2_VL_CHAT_TEMPLATE = chatML('<|vision_start|><|image_pad|><|vision_end|>');

/**
 * SmolVLM's turn layout: `<|im_start|>` once, then `User:` / `Assistant:` turns each ended by `<end_of_utterance>`;
 * content is a list of parts (an image part is `<image>`, which the processor expands), as its processor gives it.
 */
export const SMOLVLM_CHAT_TEMPLATE = String.raw`<|im_start|>{% for message in messages %}{{ message['role'] | capitalize }}{% if message['content'][0]['type'] == 'image' %}{{ ':' }}{% else %}{{ ': ' }}{% endif %}{% for part in message['content'] %}{% if part['type'] == 'text' %}{{ part['text'] }}{% elif part['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}<end_of_utterance>{{ '\n' }}{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}`;
