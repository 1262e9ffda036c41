/**
 * Reason-RFT's format reward pattern (dot matches newline), anchored to the whole output, with OpenVLThinker's
 * summary allowed between `</think>` and `<answer>`.
 */
const FORM = /^\s*<think>.*?<\/think>.*?<answer>.*?<\/answer>\s*$/s;
const TAGS = ['<think>', '</think>', '<answer>', '</answer>'];
const QUOTE_LIMIT = 60;

function quote(text: string): string {
  const trimmed = text.trim();
  return `"${trimmed.length > QUOTE_LIMIT ? `${trimmed.slice(0, QUOTE_LIMIT)}…` : trimmed}"`;
}

function formError(text: string): string {
  const missing = TAGS.filter((tag) => !text.includes(tag));
  if (missing.length > 0) return `missing ${missing.join(', ')}; expected <think>…</think> then <answer>…</answer>`;
  if (!/^\s*<think>/.test(text)) return `text before <think>: ${quote(text.slice(0, text.indexOf('<think>')))}`;
  const after = text.slice(text.lastIndexOf('</answer>') + '</answer>'.length);
  if (after.trim() !== '') return `text after </answer>: ${quote(after)}`;
  return 'tags out of order; expected <think>…</think> then <answer>…</answer>';
}

/**
 * An output that is not think then answer, as both authors' rewards read it, is an error. Text between `</think>` and
 * `<answer>` is none: Reason-RFT's strict pattern fails it, but OpenVLThinker's reward wants it there (it takes
 * 0.5 off a correct answer without it), and the response shows it as its summary segment.
 */
export function thinkAnswerProblems(text: string): string[] {
  return FORM.test(text) ? [] : [formError(text)];
}
