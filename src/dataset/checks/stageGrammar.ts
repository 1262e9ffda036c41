import { STAGES, stageTags, unknownStageNames } from '../formats';

/**
 * LLaVA-CoT's grammar: SUMMARY, CAPTION, REASONING, CONCLUSION, each opened and closed before the next
 * opens, each once. A tag spelled like a stage that names none (`<DESCRIPTION>`) is named; other text outside
 * the tags is not judged.
 */
export function stageGrammarProblems(text: string): string[] {
  const problems = unknownStageNames(text).map((name) => `unknown stage <${name}>; LLaVA-CoT's stages are ${STAGES.join(', ')}`);
  const tags = stageTags(text);
  let open: string | null = null;
  for (const tag of tags) {
    if (tag.closing) {
      if (open === tag.name) open = null;
      else problems.push(`</${tag.name}> has no opening tag`);
      continue;
    }
    if (open !== null) problems.push(`<${open}> has no closing tag`);
    open = tag.name;
  }
  if (open !== null) problems.push(`<${open}> has no closing tag`);

  const opened = tags.filter((tag) => !tag.closing).map((tag) => tag.name);
  for (const stage of STAGES) {
    const count = opened.filter((name) => name === stage).length;
    if (count > 1) problems.push(`<${stage}> appears ${count} times`);
    else if (!tags.some((tag) => tag.name === stage)) problems.push(`<${stage}> stage is missing`);
  }
  const order = [...new Set(opened)];
  const expected = STAGES.filter((stage) => order.includes(stage));
  if (order.join() !== expected.join()) problems.push(`stages are in the order ${order.join(', ')}; expected ${STAGES.join(', ')}`);
  return problems;
}
