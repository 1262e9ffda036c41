import { allMatches } from '../dataset/formats/matches';
import { answersMatch } from './answer';

/**
 * R1-VL's checks work on substrings anywhere in the text (its code, `grpo.py`), not on the line-start headers
 * the Mulberry section parser reads; the rewards follow the code so they score as training did.
 */
const REQUIRED_SECTIONS = ['### Image Description:', '### Rationales:', '### Step 1:', '### The final answer is:'];
const FINAL_ANSWER = '### The final answer is:';
const STEP_HEADER = /### Step (\d+):/g;
/** A step's body runs to the next line that starts with `###`, or the end. */
const STEP_BODY = /### Step \d+:\s*([\s\S]*?)(?=\n###|$)/g;

/** StepRAR's weight on the key-step fraction (methods.md §4). */
const KEY_STEP_WEIGHT = 0.1;

/**
 * R1-VL StepRVR (methods.md §4): 1 only if the four sections are present, the first `### The final answer is:`
 * starts after the last step header ends (not checked when the trimmed text ends with that header), and the
 * step headers are numbered exactly 1..n in order. Otherwise 0.
 */
export function stepValidity(output: string): number {
  if (!REQUIRED_SECTIONS.every((section) => output.includes(section))) return 0;
  const steps = allMatches(output, STEP_HEADER);
  const last = steps[steps.length - 1];
  if (!output.trim().endsWith(FINAL_ANSWER) && output.indexOf(FINAL_ANSWER) < last.index + last[0].length) return 0;
  return steps.every((step, index) => Number(step[1]) === index + 1) ? 1 : 0;
}

/** The fraction of key steps with an alternative that is a lower-case substring of the joined step bodies. */
export function keyStepFraction(output: string, keySteps: string[][]): number {
  if (keySteps.length === 0) return 0;
  const bodies = allMatches(output, STEP_BODY)
    .map((match) => match[1])
    .join(' ')
    .toLowerCase();
  const matched = keySteps.filter((alternatives) => alternatives.some((alternative) => bodies.includes(alternative.toLowerCase()))).length;
  return matched / keySteps.length;
}

/**
 * R1-VL StepRAR (methods.md §4): r = acc + 0.1 · matched / |Steps|, acc in {0, 1} from the final answer against
 * the solution (`answersMatch`, which reads the first line of the last `### The final answer is:` section);
 * only `### Step k:` bodies are searched, never the description or rationales.
 */
export function stepAccuracy(output: string, groundTruth: string, keySteps: string[][]): number {
  return (answersMatch(output, groundTruth) ? 1 : 0) + KEY_STEP_WEIGHT * keyStepFraction(output, keySteps);
}
