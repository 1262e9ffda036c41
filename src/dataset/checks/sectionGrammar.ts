import { findHeaders, type Header, SECTIONS } from '../formats';

/** A repeated step is a reflection when the body before it ends with the reflection phrase. */
function isReflection(text: string, previous: Header | undefined, header: Header, phrase: string): boolean {
  return previous !== undefined && text.slice(previous.end, header.start).trimEnd().endsWith(phrase);
}

function stepNumberingProblem(text: string, headers: Header[], phrase: string): string | null {
  const steps = headers.filter((header) => header.step !== null);
  if (steps.length === 0) return 'no "### Step 1:" header';
  let expected = 1;
  let consecutive = true;
  for (const step of steps) {
    if (step.step === expected) expected += 1;
    else if (step.step !== expected - 1 || !isReflection(text, headers[headers.indexOf(step) - 1], step, phrase)) consecutive = false;
  }
  if (consecutive) return null;
  const distinct = new Set(steps.map((step) => step.step)).size;
  const wanted = Array.from({ length: distinct }, (_, index) => index + 1);
  return `steps are numbered ${steps.map((step) => step.step).join(', ')}; expected ${wanted.join(', ')}`;
}

/**
 * Mulberry's grammar: `### Image Description:`, `### Rationales:`, `### Let's think step by step.`,
 * `### Step 1:`..`### Step n:` (n >= 1, consecutive), `### The final answer is:`, each section once. A step
 * may repeat its number right after the reflection phrase (Mulberry's reflection data does). No stricter than
 * Mulberry's `check_data` and R1-VL's validity reward: a header's text may go on on its line (`### Step 1: Add.`,
 * `### The final answer is: 5`, even `### The final answer is:: 5`), and the step-by-step header may end in `:`.
 */
export function sectionGrammarProblems(text: string, reflectionPhrase: string): string[] {
  const headers = findHeaders(text);
  const problems: string[] = [];
  for (const section of SECTIONS) {
    const count = headers.filter((header) => header.step === null && header.label === section.label).length;
    if (count === 0) problems.push(`missing "${section.header}" header`);
    else if (count > 1) problems.push(`"${section.header}" appears ${count} times`);
  }
  let latest: Header | null = null;
  for (const header of headers) {
    if (latest !== null && header.rank < latest.rank) problems.push(`"${header.header}" comes after "${latest.header}"`);
    else latest = header;
  }
  const numbering = stepNumberingProblem(text, headers, reflectionPhrase);
  if (numbering !== null) problems.push(numbering);
  return problems;
}
