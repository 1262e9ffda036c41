import type { ModelTokenizer } from '../../engine/model/tokenizer';

/** Enough text for about 160 tokens of a large-vocabulary tokenizer; prompts are cut from its start. */
const TEXT = [
  'Question: A bakery sold 48 muffins in the morning and twice as many in the afternoon.',
  'In the evening it sold 15 fewer muffins than in the morning. Each muffin costs 3 dollars.',
  'How much money did the bakery take in from muffins that day? <REASONING> First I find the sales of each part of the day.',
  'In the afternoon the bakery sold twice the morning sales, so 2 x 48 = 96 muffins.',
  'In the evening it sold 15 fewer than in the morning, so 48 - 15 = 33 muffins.',
  'Adding the three parts gives 48 + 96 + 33 = 177 muffins in total.',
  'Each muffin costs 3 dollars, so the money taken in is 177 x 3 = 531 dollars.',
  'To be sure, I check the sum again: 48 + 96 is 144, and 144 + 33 is 177, which matches.',
  'Then 177 x 3 is 300 + 210 + 21, which is 531, so the total does not change. </REASONING>',
  '<CONCLUSION> The bakery took in 531 dollars from muffins that day. </CONCLUSION>',
].join(' ');

/** Tokens of the prompt every measure decodes from. */
export const PROMPT_TOKENS = 64;
/** Tokens the prefix-cache measure's second prompt adds to the first. */
export const EXTENSION_TOKENS = 32;

export interface BenchPrompt {
  text: string;
  ids: number[];
}

/**
 * The shortest start of the text, in whole words, that the model's tokenizer makes at least `tokens` tokens
 * of (all of it when it is shorter), so every model sees about the same number of tokens. A longer cut
 * extends a shorter one word for word.
 */
export function benchPrompt(tokenizer: ModelTokenizer, tokens: number): BenchPrompt {
  const words = TEXT.split(' ');
  let text = '';
  let ids: number[] = [];
  for (const word of words) {
    text = text === '' ? word : `${text} ${word}`;
    ids = tokenizer.encode(text);
    if (ids.length >= tokens) break;
  }
  return { text, ids };
}
