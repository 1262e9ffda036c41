import { STAGES, stageTags } from '../dataset/formats';

/**
 * LLaVA-CoT stage completeness: the fraction of the four stages (SUMMARY, CAPTION, REASONING, CONCLUSION; methods.md
 * §1) that are complete. A stage is complete when it is opened and closed exactly once, with no other stage tag
 * between, a non-blank body, and it starts after the previous complete stage ends (the stage-level beam search
 * writes them in this order, each ended by its closing tag).
 */
export function stageCompleteness(output: string): number {
  const tags = stageTags(output);
  let complete = 0;
  let cursor = 0;
  for (const stage of STAGES) {
    const opens = tags.filter((tag) => tag.name === stage && !tag.closing);
    const closes = tags.filter((tag) => tag.name === stage && tag.closing);
    if (opens.length !== 1 || closes.length !== 1) continue;
    const [open] = opens;
    const [close] = closes;
    const inside = tags.filter((tag) => tag.start > open.start && tag.start < close.start);
    if (open.start < cursor || close.start < open.end || inside.length > 0 || output.slice(open.end, close.start).trim() === '') continue;
    complete++;
    cursor = close.end;
  }
  return complete / STAGES.length;
}
