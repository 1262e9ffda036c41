import type { Severity } from './result';

/** Reason-RFT's format reward pattern (dot matches newline), anchored to the whole output. */
const STRICT = /^\s*<think>.*?<\/think>\s*<answer>.*?<\/answer>\s*$/s;
const WITH_BRIDGE = /^\s*<think>.*?<\/think>(.*?)<answer>.*?<\/answer>\s*$/s;
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
 * An output the format reward scores 0 is an error. Text between `</think>` and `<answer>` also fails the
 * strict pattern, but it is a common, readable variant (OpenVLThinker writes it), so it is a warning.
 */
export function thinkAnswerProblems(text: string): { severity: Severity; problem: string }[] {
  if (STRICT.test(text)) return [];
  const bridge = WITH_BRIDGE.exec(text);
  if (bridge) return [{ severity: 'warning', problem: `text between </think> and <answer> fails the strict format pattern: ${quote(bridge[1])}` }];
  return [{ severity: 'error', problem: formError(text) }];
}
