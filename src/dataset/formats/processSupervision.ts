import type { Rating } from '../annotations';
import { describeJson, type Json, type JsonObject, type JsonPath, type ParsedRecord, type Segment, type StepLabel } from '../record';
import { formatPath, RecordError } from '../recordEdit';
import { firstExchange, readChat, turnText } from './chat';
import { groundTruth, imagesAt, recordId, recordImages, requireObject, requireString } from './fields';
import { stepResponse, stepSegment, type TextRef } from './segment';

function requireList(value: Json | undefined, path: JsonPath, what: string): Json[] {
  if (Array.isArray(value)) return value;
  throw new RecordError(`${formatPath(path)}: ${value === undefined ? 'missing' : `expected ${what}, found ${describeJson(value)}`}`);
}

function stepText(value: Json | undefined, path: JsonPath): string {
  if (typeof value === 'string') return value;
  throw new RecordError(`${formatPath(path)}: expected the step's text, found ${describeJson(value)}`);
}

/** A label the record writes as -1, 0 or 1; anything else is no label. */
function ratingOf(value: Json | undefined): Rating {
  return value === 1 || value === 0 || value === -1 ? value : null;
}

/**
 * VL-PRM300K's first error `[kind, index]` counts steps within its section, not in the response; its labels
 * turn `-` at that step and stay `-`, so the kind goes on the first step labelled -1.
 */
function firstErrorKind(record: JsonObject): string | undefined {
  const first = record.first_incorrect_step;
  return Array.isArray(first) && typeof first[0] === 'string' ? first[0] : undefined;
}

/** VL-PRM300K's training conversation: one `+` / `-` reply after each step, or null when the record has none to match. */
function conversationLabels(record: JsonObject, steps: number): Rating[] | null {
  const chat = readChat(record);
  if (!chat) return null;
  const replies = chat.turns.filter((turn) => turn.role === 'assistant').map((turn) => turnText(turn).trim());
  if (replies.length !== steps || !replies.every((reply) => reply === '+' || reply === '-')) return null;
  return replies.map((reply) => (reply === '+' ? 1 : -1));
}

const QUESTION_HEAD = '### Question:';
const STEPS_HEAD = '### Solution Process:\n';

/** VL-PRM300K keeps the question in its first human turn, after `### Question:` and before `### Solution Process:`. */
function conversationQuestion(record: JsonObject): string | null {
  const chat = readChat(record);
  const prompt = chat ? firstExchange(chat.turns).prompt : null;
  if (!prompt) return null;
  const text = turnText(prompt);
  const start = text.startsWith(QUESTION_HEAD) ? QUESTION_HEAD.length : 0;
  const end = text.indexOf(STEPS_HEAD.trim());
  return text.slice(start, end < 0 ? text.length : end).trim();
}

/**
 * VisualPRM's training conversation on its own (InternVL's item2conv_prm, and CoT Studio's visualprm-conversation
 * export): after system turns, each step a human turn of one string, the first after its question
 * (`### Question:\n…\n\n### Solution Process:\n`), each answered by a gpt turn `+` or `-`. The steps' strings
 * (the first from where its step starts) and their labels, or null when the record is not such a conversation.
 */
function trainingConversation(record: JsonObject): { steps: { ref: TextRef; start: number }[]; labels: Rating[] } | null {
  const turns = readChat(record)?.turns.filter((turn) => turn.role !== 'system') ?? [];
  const first = turns[0]?.texts[0]?.text ?? '';
  const stepsAt = first.indexOf(STEPS_HEAD);
  if (turns.length < 2 || turns.length % 2 === 1 || !first.startsWith(QUESTION_HEAD) || stepsAt < 0) return null;
  const steps: { ref: TextRef; start: number }[] = [];
  const labels: Rating[] = [];
  for (let index = 0; index < turns.length; index += 2) {
    const [step, label] = [turns[index], turns[index + 1]];
    const [ref] = step.texts;
    const reply = turnText(label).trim();
    if (step.role !== 'user' || step.texts.length !== 1 || !ref || label.role !== 'assistant' || (reply !== '+' && reply !== '-')) return null;
    steps.push({ ref, start: index === 0 ? stepsAt + STEPS_HEAD.length : 0 });
    labels.push(reply === '+' ? 1 : -1);
  }
  return { steps, labels };
}

/** Whether a record is VisualPRM's training conversation without `steps_with_score`. */
export function isVisualPrmConversation(record: JsonObject): boolean {
  return trainingConversation(record) !== null;
}

/**
 * VisualPRM400K and VL-PRM300K: each `steps_with_score` item is a step with its Monte Carlo estimate. The
 * label is VL-PRM300K's `+` / `-` when its conversation carries them, else InternVL's rule for VisualPRM's
 * training data: `+` (1) when `score` is above 0, `-` (-1) otherwise. The estimate is kept beside it. Without
 * `steps_with_score`, VisualPRM's training conversation: its human turns are the steps, its `+` / `-` the labels.
 */
export function parseVisualPrm(record: JsonObject): ParsedRecord {
  const conversation = record.steps_with_score === undefined ? trainingConversation(record) : null;
  if (conversation) {
    const segments = conversation.steps.map(({ ref, start }, index) => stepSegment(ref, index, { rating: conversation.labels[index] ?? null }, start));
    return visualPrmRecord(record, conversationQuestion(record), segments);
  }
  const items = requireList(record.steps_with_score, ['steps_with_score'], 'a list of {step, score} items');
  const fromConversation = conversationLabels(record, items.length);
  const errorKind = firstErrorKind(record);
  let errorMarked = false;
  const segments = items.map((item, index): Segment => {
    const path: JsonPath = ['steps_with_score', index];
    const step = requireObject(item, path);
    const text = stepText(step.step, [...path, 'step']);
    const score = typeof step.score === 'number' ? step.score : undefined;
    const rating = fromConversation?.[index] ?? (score === undefined ? null : score > 0 ? 1 : -1);
    const label: StepLabel = { rating };
    if (score !== undefined) label.score = score;
    if (typeof step.num_mc_correct === 'number' && typeof step.num_mc_total === 'number')
      label.rollouts = { correct: step.num_mc_correct, total: step.num_mc_total };
    if (errorKind !== undefined && rating === -1 && !errorMarked) {
      label.firstError = errorKind;
      errorMarked = true;
    }
    return stepSegment({ text, path: [...path, 'step'] }, index, label);
  });
  return visualPrmRecord(record, typeof record.question === 'string' ? record.question : conversationQuestion(record), segments);
}

function visualPrmRecord(record: JsonObject, question: string | null, segments: Segment[]): ParsedRecord {
  return {
    format: 'visualprm',
    id: recordId(record),
    question,
    images: [...recordImages(record), ...imagesAt(record, 'image_url')],
    groundTruth: groundTruth(record),
    keySteps: null,
    responses: [stepResponse(segments)],
  };
}

/** VisualProcessBench: `response.steps` with one human label per step in `response.process_correctness` (1, 0, -1). */
export function parseVisualProcessBench(record: JsonObject): ParsedRecord {
  const response = requireObject(record.response, ['response']);
  const steps = requireList(response.steps, ['response', 'steps'], 'a list of steps');
  const labels = response.process_correctness;
  const segments = steps.map((step, index) => {
    const path: JsonPath = ['response', 'steps', index];
    const rating = Array.isArray(labels) ? ratingOf(labels[index]) : null;
    return stepSegment({ text: stepText(step, path), path }, index, rating === null ? undefined : { rating });
  });
  const model = typeof record.policy_model === 'string' ? record.policy_model : undefined;
  return {
    format: 'visual-process-bench',
    id: recordId(record),
    question: requireString(record, 'question'),
    images: recordImages(record),
    groundTruth: groundTruth(record),
    keySteps: null,
    responses: [stepResponse(segments, model)],
  };
}

/** A version of a labelled PRM800K step: a completion, or the labeller's own step, with the `chosen_completion` that picks it. */
interface Prm800kVersion {
  ref: TextRef;
  rating: Rating;
  origin: string;
  choice: number | null;
}

function prm800kCompletion(value: Json, path: JsonPath, position: number): Prm800kVersion {
  const completion = requireObject(value, path);
  const ref = { text: stepText(completion.text, [...path, 'text']), path: [...path, 'text'] };
  return { ref, rating: ratingOf(completion.rating), origin: `PRM800K completion ${position}`, choice: position };
}

/**
 * One labelled step of PRM800K: the completion the labeller chose, or the labeller's own step (written only
 * when every completion was wrong, so PRM800K counts it correct), or, where labelling stopped at an error, the
 * first completion (the pre-generated step). The step's other versions are its source alternatives, each
 * chosen by setting `chosen_completion` (to null for the labeller's own step).
 */
function prm800kStep(value: Json, index: number): Segment {
  const path: JsonPath = ['label', 'steps', index];
  const step = requireObject(value, path);
  const completions = requireList(step.completions, [...path, 'completions'], 'a list of completions');
  const completed = completions.map((completion, position) => prm800kCompletion(completion, [...path, 'completions', position], position));
  const human: Prm800kVersion[] =
    typeof step.human_completion === 'string'
      ? [{ ref: { text: step.human_completion, path: [...path, 'human_completion'] }, rating: 1, origin: 'PRM800K human completion', choice: null }]
      : [];
  const versions = [...completed, ...human];
  const chosen = step.chosen_completion;
  const position = typeof chosen === 'number' ? chosen : 0;
  const current = typeof chosen !== 'number' && human[0] ? human[0] : completed[position];
  if (!current) throw new RecordError(`${formatPath([...path, 'completions', position])}: missing`);
  const segment = stepSegment(current.ref, index, { rating: current.rating });
  const others = versions.filter((version) => version !== current);
  if (others.length === 0) return segment;
  const choose = (choice: number | null) => ({ path: [...path, 'chosen_completion'], value: choice });
  return {
    ...segment,
    sourceAlternatives: others.map((version) => ({ text: version.ref.text, rating: version.rating, origin: version.origin, choose: choose(version.choice) })),
  };
}

/**
 * PRM800K's label lines: the labelled trajectory, then the pre-generated steps left unlabelled after it
 * (phase 2 stops at the first error). The other completions of a step are shown beside it.
 */
export function parsePrm800k(record: JsonObject): ParsedRecord {
  const question = requireObject(record.question, ['question']);
  const label = requireObject(record.label, ['label']);
  const labelled = requireList(label.steps, ['label', 'steps'], 'a list of steps').map(prm800kStep);
  const pregenerated = Array.isArray(question.pre_generated_steps) ? question.pre_generated_steps : [];
  const rest = pregenerated.slice(labelled.length).map((step, offset) => {
    const index = labelled.length + offset;
    const path: JsonPath = ['question', 'pre_generated_steps', index];
    return stepSegment({ text: stepText(step, path), path }, index);
  });
  const problem = requireString(question, 'problem', ['question']);
  const answer = question.ground_truth_answer;
  return {
    format: 'prm800k',
    id: recordId(record),
    question: problem,
    images: [],
    groundTruth: typeof answer === 'string' ? answer : null,
    keySteps: null,
    responses: [stepResponse([...labelled, ...rest])],
  };
}
