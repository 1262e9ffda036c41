// ChatML, as Qwen models use it: `<|im_start|>role\ncontent<|im_end|>\n` per message. Content may also be a
// list of parts (multimodal chats), where an image part becomes the `<image>` token.
const chatML = (image: string) =>
  String.raw`{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' }}{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for part in message['content'] %}{% if part['type'] == 'image' %}{{ '${image}' }}{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}{{ '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}`;

export const CHAT_TEMPLATE = chatML('<image>');

/** Qwen2-VL's: an image part is the vision tokens around the one `<|image_pad|>` the processor expands per merged patch. */
export const QWEN2_VL_CHAT_TEMPLATE = chatML('<|vision_start|><|image_pad|><|vision_end|>');
