import { countImageTokens, IMAGE_TOKEN } from '../dataset/formats/chat';
import type { ChatMessage } from '../protocol';

/** A part of a message that holds images: an image (by its index in the request's images) or text. */
export type PlacedPart = { type: 'image'; image: number } | { type: 'text'; text: string };
export interface PlacedMessage {
  role: ChatMessage['role'];
  content: string | PlacedPart[];
}

const placeholders = (messages: readonly ChatMessage[]): number =>
  messages.reduce((count, message) => count + (message.role === 'user' ? countImageTokens(message.content) : 0), 0);

/**
 * Where a chat's images go, for a backend that renders them as content parts: at the `<image>` placeholders of the
 * user messages when there is one per image, so each question keeps its own images (a multi-turn record's later
 * images are not moved to its first question); else all before the text of the first user message, where chat
 * templates expect them, the text as it is.
 */
export function placeImages(messages: readonly ChatMessage[], count: number): PlacedMessage[] {
  if (count === 0) return messages.map(({ role, content }) => ({ role, content }));
  if (placeholders(messages) === count) {
    let image = 0;
    return messages.map(({ role, content }) => {
      if (role !== 'user' || !content.includes(IMAGE_TOKEN)) return { role, content };
      const parts: PlacedPart[] = [];
      content.split(IMAGE_TOKEN).forEach((text, index) => {
        if (index > 0) parts.push({ type: 'image', image: image++ });
        // The newline that separates a placeholder from its question is the placeholder's, not the question's.
        const trimmed = index > 0 ? text.replace(/^\n/, '') : text;
        if (trimmed !== '') parts.push({ type: 'text', text: trimmed });
      });
      return { role, content: parts };
    });
  }
  const first = messages.findIndex((message) => message.role === 'user');
  if (first < 0) throw new Error('images need a user message to attach to');
  return messages.map(({ role, content }, index) =>
    index === first
      ? { role, content: [...Array.from({ length: count }, (_, image): PlacedPart => ({ type: 'image', image })), { type: 'text', text: content }] }
      : { role, content },
  );
}
