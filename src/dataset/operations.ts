import type { Operation, Version } from './operationSchema';
import { type Annotations, HISTORY_LIMIT, type PreferencePair, type Rating, type SegmentAnnotation } from './annotations';
import { type NumberedAlternative, segmentAlternatives } from './alternatives';
import { conflictStep, takeConflict } from './conflicts';
import { parseRecord } from './formats';
import { replaceSegmentEverywhere } from './linkedText';
import { type FormatId, type ParsedRecord, samePath, type Segment } from './record';
import { annotatedReplies, type Reply, replyKey, resolveReply, storedReply } from './replies';
import { readAnnotations, readRecord, RecordError, setValue, swapValues, throughEndOfString, writeAnnotations } from './recordEdit';

export interface OperationContext {
  /** ISO time stamped on history, pairs and reflections. */
  at: string;
  /** The reflection phrase used when an insertion names none (the `cotStudio.reflectionPhrase` setting). */
  reflectionPhrase: string;
  /** A format the user forced for this file, or undefined to detect per record. */
  format?: FormatId;
  /** Who is annotating (`cotStudio.annotator`): stamped on ratings, reviews, edits, pairs and reflections. */
  annotator?: string;
}

/** When an operation happened and who did it. */
type Stamp = Pick<OperationContext, 'at' | 'annotator'>;

/** What an operation did to one line: the new text and a label for the undo stack. */
export interface OperationResult {
  text: string;
  label: string;
}

export interface RecordState {
  parsed: ParsedRecord;
  annotations: Annotations;
}

/** A record's parsed form and annotations; throws a RecordError naming the field when it cannot be read. */
export function readRecordState(lineText: string, format?: FormatId): RecordState {
  const record = readRecord(lineText);
  const parsed = parseRecord(record, format);
  if ('error' in parsed) throw new RecordError(parsed.error);
  return { parsed, annotations: readAnnotations(record, parsed) };
}

function segmentOf(reply: Reply, segment: number): Segment {
  const { segments } = reply.response;
  const found = segments[segment];
  if (!found) {
    const labels = segments.map((s, i) => `${i}: ${s.label}`).join(', ');
    const where = reply.turn === 0 ? 'this response' : `turn ${reply.turn}`;
    throw new RecordError(`there is no segment ${segment}; ${where} has ${segments.length} (${labels})`);
  }
  return found;
}

function segmentAnnotation(annotations: Annotations, reply: Reply, segment: number): SegmentAnnotation {
  const key = replyKey(reply, segment);
  annotations.segments[key] ??= { rating: null, alternatives: [] };
  return annotations.segments[key];
}

/**
 * A change to an earlier segment makes what follows it possibly inconsistent: flag it, clear this one. The
 * replies after it in a conversation answered the text before them, so their segments are flagged too.
 */
function markLaterStale(annotations: Annotations, parsed: ParsedRecord, reply: Reply, segment: number): void {
  segmentAnnotation(annotations, reply, segment).stale = undefined;
  for (let later = segment + 1; later < reply.response.segments.length; later++) segmentAnnotation(annotations, reply, later).stale = true;
  if (reply.side !== 'primary') return;
  for (const next of annotatedReplies(parsed).filter((other) => other.side === 'primary' && other.turn > reply.turn)) {
    next.response.segments.forEach((_, index) => {
      segmentAnnotation(annotations, next, index).stale = true;
    });
  }
}

/** The annotator's name as the block stores it, when one is known. */
const by = ({ annotator }: Stamp): { by?: string } => (annotator === undefined ? {} : { by: annotator });

/** A rating and who stands behind it. */
function setRating(annotation: SegmentAnnotation, rating: Rating, annotator: string | undefined): void {
  annotation.rating = rating;
  if (rating === null || annotator === undefined) delete annotation.ratedBy;
  else annotation.ratedBy = annotator;
}

/**
 * A person's rating. Where a model suggested one, the suggestion is marked confirmed or overridden and the rating
 * says so with the suggestion's model (what the overview's change rate counts); clearing it takes the mark back.
 */
function rate(annotation: SegmentAnnotation, rating: Rating, { at, annotator }: Stamp): void {
  setRating(annotation, rating, annotator);
  const { prelabel } = annotation;
  if (!prelabel) {
    delete annotation.ratingProvenance;
    return;
  }
  if (rating === null) {
    delete prelabel.decision;
    delete annotation.ratingProvenance;
    return;
  }
  prelabel.decision = rating === prelabel.label ? 'confirmed' : 'overridden';
  const { model, backend } = prelabel.provenance;
  annotation.ratingProvenance = {
    source: 'human',
    method: prelabel.decision === 'confirmed' ? 'confirmed-prelabel' : 'overrode-prelabel',
    ...(backend === undefined ? {} : { backend }),
    ...(model === undefined ? {} : { model }),
    createdAt: at,
  };
}

function remember(annotations: Annotations, operation: string, stamp: Stamp, segment?: number, reply?: Reply): void {
  const { at } = stamp;
  annotations.history.push(
    segment === undefined ? { at, operation, ...by(stamp) } : { at, operation, segment, ...(reply ? storedReply(reply) : {}), ...by(stamp) },
  );
  if (annotations.history.length > HISTORY_LIMIT) annotations.history.splice(0, annotations.history.length - HISTORY_LIMIT);
}

/** Where a segment annotation goes when the sides of a pair swap: the rejected side's to the chosen reply's and back, by index. */
function swappedKey(key: string, chosen: Reply): string {
  const rejected = /^rejected:(\d+)$/.exec(key);
  if (rejected) return replyKey(chosen, Number(rejected[1]));
  const index = Number(key.slice(key.lastIndexOf(':') + 1));
  return Number.isInteger(index) && key === replyKey(chosen, index) ? `rejected:${index}` : key;
}

/** A segment as the undo stack names it: its label, and the turn or model of a reply other than the first. */
function named(reply: Reply, segment: Segment): string {
  if (reply.model !== undefined) return `${segment.label} (${reply.model})`;
  return reply.turn === 0 ? segment.label : `${segment.label} (turn ${reply.turn})`;
}

/** A pair a person made (or accepted) names them; a model's pair keeps only its provenance. */
function pair(pair: Omit<PreferencePair, 'createdAt'>, stamp: Stamp): PreferencePair {
  return { ...pair, ...(pair.provenance ? {} : by(stamp)), createdAt: stamp.at };
}

/**
 * The reflected text of a wrong segment: the wrong text, the phrase, then the correction, laid out the
 * way the segment's format writes it (Mulberry repeats the step header after the phrase).
 */
export function reflectionText(segment: Pick<Segment, 'kind' | 'label' | 'text'>, phrase: string, correction: string): string {
  const leading = /^\s*/.exec(segment.text)?.[0] ?? '';
  const trailing = /\s*$/.exec(segment.text)?.[0] ?? '';
  const wrong = segment.text.trim();
  if (segment.kind === 'step' || segment.kind === 'section') {
    const header = segment.kind === 'step' ? `### ${segment.label}:\n` : '';
    return `${leading}${wrong}\n\n${phrase}\n\n${header}${correction.trim()}${trailing}`;
  }
  return `${leading}${wrong} ${phrase} ${correction.trim()}${trailing}`;
}

function versionText(version: Version, current: string, alternatives: NumberedAlternative[], where: string): string {
  if (version === 'current') return current;
  if (typeof version === 'number') {
    const alternative = alternatives[version];
    if (!alternative) throw new RecordError(`${where} has no alternative ${version} (it has ${alternatives.length})`);
    return alternative.text;
  }
  return version.text;
}

/** Applies one operation to a record's line text; the result differs from the input only where it must. */
export function applyOperation(lineText: string, operation: Operation, context: OperationContext): OperationResult {
  const { parsed, annotations } = readRecordState(lineText, context.format);
  const { at } = context;
  switch (operation.kind) {
    case 'editSegment': {
      const reply = resolveReply(parsed, operation);
      const segment = segmentOf(reply, operation.segment);
      const label = `Edit ${named(reply, segment)}`;
      if (segment.text === operation.text) return { text: lineText, label };
      // A blank summary is no segment: the answer would take its index, and with it the summary's annotations.
      if (segment.kind === 'summary' && operation.text.trim() === '')
        throw new RecordError('a summary cannot be emptied: the answer after it would take its index and its annotations');
      markLaterStale(annotations, parsed, reply, operation.segment);
      remember(annotations, 'edit', context, operation.segment, reply);
      return { text: writeAnnotations(replaceSegmentEverywhere(lineText, parsed, segment, operation.text), annotations), label };
    }
    case 'rateSegment': {
      const reply = resolveReply(parsed, operation);
      const segment = segmentOf(reply, operation.segment);
      rate(segmentAnnotation(annotations, reply, operation.segment), operation.rating, context);
      remember(annotations, 'rate', context, operation.segment, reply);
      return { text: writeAnnotations(lineText, annotations), label: `Rate ${named(reply, segment)}` };
    }
    case 'markFirstError': {
      const reply = resolveReply(parsed, operation);
      const segment = segmentOf(reply, operation.segment);
      const { errorType, note, box } = operation;
      reply.response.segments.forEach((_, index) => {
        const annotation = segmentAnnotation(annotations, reply, index);
        rate(annotation, index < operation.segment ? 1 : -1, context);
        // One first error per reply: a later mark moves its kind with it.
        delete annotation.firstError;
      });
      if (errorType !== undefined) {
        segmentAnnotation(annotations, reply, operation.segment).firstError = {
          type: errorType,
          ...(note === undefined ? {} : { note }),
          ...(box ? { box } : {}),
        };
      }
      remember(annotations, 'first-error', context, operation.segment, reply);
      return { text: writeAnnotations(lineText, annotations), label: `First error at ${named(reply, segment)}` };
    }
    case 'setReviewStatus': {
      annotations.review = { status: operation.status, note: operation.note ?? annotations.review.note, ...by(context) };
      if (annotations.review.note === undefined) delete annotations.review.note;
      remember(annotations, `review:${operation.status}`, context);
      return { text: writeAnnotations(lineText, annotations), label: `Mark sample ${operation.status.replace('_', ' ')}` };
    }
    case 'insertReflection': {
      const reply = resolveReply(parsed, operation);
      const segment = segmentOf(reply, operation.segment);
      const phrase = operation.phrase ?? context.reflectionPhrase;
      const text = reflectionText(segment, phrase, operation.correction);
      const where = { segment: operation.segment, ...storedReply(reply) };
      annotations.reflections.push({ ...where, wrong: segment.text, phrase, correction: operation.correction, ...by(context), createdAt: at });
      annotations.preferencePairs.push(
        pair(
          { level: 'segment', position: operation.segment, ...storedReply(reply), chosen: operation.correction, rejected: segment.text, origin: 'reflection' },
          context,
        ),
      );
      setRating(segmentAnnotation(annotations, reply, operation.segment), 1, context.annotator);
      markLaterStale(annotations, parsed, reply, operation.segment);
      remember(annotations, 'reflection', context, operation.segment, reply);
      return {
        text: writeAnnotations(replaceSegmentEverywhere(lineText, parsed, segment, text), annotations),
        label: `Insert reflection in ${named(reply, segment)}`,
      };
    }
    case 'acceptReflectionProposal': {
      const reply = resolveReply(parsed, operation);
      const segment = segmentOf(reply, operation.segment);
      if (!reply.response.segments.slice(operation.segment).every((later) => samePath(later.path, segment.path))) {
        throw new RecordError(`the response after ${segment.label} is split over several strings; a reflection proposal replaces the rest of one`);
      }
      const phrase = operation.phrase ?? context.reflectionPhrase;
      annotations.reflections.push({
        segment: operation.segment,
        ...storedReply(reply),
        wrong: operation.wrong,
        phrase,
        correction: operation.correction,
        ...by(context),
        createdAt: at,
      });
      markLaterStale(annotations, parsed, reply, operation.segment);
      // Everything from the segment on was rewritten: ratings made on the old text must be looked at again.
      segmentAnnotation(annotations, reply, operation.segment).stale = true;
      remember(annotations, 'reflection-proposal', context, operation.segment, reply);
      const rest = throughEndOfString(lineText, segment);
      return {
        text: writeAnnotations(replaceSegmentEverywhere(lineText, parsed, rest, operation.text), annotations),
        label: `Accept reflection proposal from ${named(reply, segment)}`,
      };
    }
    case 'acceptAlternative': {
      const reply = resolveReply(parsed, operation);
      const segment = segmentOf(reply, operation.segment);
      const annotation = segmentAnnotation(annotations, reply, operation.segment);
      const alternatives = segmentAlternatives(segment, annotation);
      const alternative = alternatives[operation.alternative];
      if (!alternative) throw new RecordError(`${segment.label} has no alternative ${operation.alternative} (it has ${alternatives.length})`);
      // Accepting is never a loss: the replaced text becomes an alternative, or, when the accepted version is
      // one the record holds itself, the record is made to choose it and keeps the replaced one where it was.
      if (alternative.own)
        annotation.alternatives.splice(operation.alternative, 1, {
          text: segment.text,
          rating: annotation.rating,
          provenance: { source: 'original', createdAt: at },
        });
      // The accepted text's rating becomes the step's, vouched for by whoever accepted it.
      setRating(annotation, alternative.rating, context.annotator);
      annotations.preferencePairs.push(
        pair(
          {
            level: 'segment',
            position: operation.segment,
            ...storedReply(reply),
            chosen: alternative.text,
            rejected: segment.text,
            origin: 'accepted-alternative',
          },
          context,
        ),
      );
      markLaterStale(annotations, parsed, reply, operation.segment);
      remember(annotations, 'accept-alternative', context, operation.segment, reply);
      const { source } = alternative;
      const text = source ? setValue(lineText, source.choose.path, source.choose.value) : replaceSegmentEverywhere(lineText, parsed, segment, alternative.text);
      return { text: writeAnnotations(text, annotations), label: `Accept alternative for ${named(reply, segment)}` };
    }
    case 'markPreference': {
      const reply = resolveReply(parsed, operation);
      let chosen: string;
      let rejected: string;
      let label: string;
      if (operation.segment === undefined) {
        const where = 'the response';
        if (typeof operation.chosen === 'number' || typeof operation.rejected === 'number')
          throw new RecordError(`${where} has no numbered alternatives; give {text}`);
        chosen = versionText(operation.chosen, reply.response.text, [], where);
        rejected = versionText(operation.rejected, reply.response.text, [], where);
        label = reply.turn === 0 ? 'Mark response preference' : `Mark preference for turn ${reply.turn}`;
      } else {
        const segment = segmentOf(reply, operation.segment);
        const alternatives = segmentAlternatives(segment, annotations.segments[replyKey(reply, operation.segment)]);
        chosen = versionText(operation.chosen, segment.text, alternatives, segment.label);
        rejected = versionText(operation.rejected, segment.text, alternatives, segment.label);
        label = `Mark preference for ${named(reply, segment)}`;
      }
      if (chosen === rejected) throw new RecordError('chosen and rejected are the same text');
      const turn = storedReply(reply);
      annotations.preferencePairs.push(
        pair(
          operation.segment === undefined
            ? { level: 'response', ...turn, chosen, rejected, origin: 'manual' }
            : { level: 'segment', position: operation.segment, ...turn, chosen, rejected, origin: 'manual' },
          context,
        ),
      );
      remember(annotations, 'preference', context, operation.segment, reply);
      return { text: writeAnnotations(lineText, annotations), label };
    }
    case 'addAlternatives': {
      const reply = resolveReply(parsed, operation);
      const segment = segmentOf(reply, operation.segment);
      const annotation = segmentAnnotation(annotations, reply, operation.segment);
      // The same text twice (or the current text again) would only make the list longer.
      const known = new Set([segment.text, ...annotation.alternatives.map((alternative) => alternative.text)]);
      const added = operation.alternatives.filter((alternative) => !known.has(alternative.text) && known.add(alternative.text));
      if (added.length === 0) return { text: lineText, label: `Add alternatives to ${named(reply, segment)}` };
      for (const alternative of added) {
        annotation.alternatives.push({
          text: alternative.text,
          rating: alternative.rating ?? null,
          provenance: {
            source: 'human',
            ...((alternative.provenance?.source ?? 'human') === 'human' ? by(context) : {}),
            ...alternative.provenance,
            createdAt: alternative.provenance?.createdAt ?? at,
          },
        });
      }
      remember(annotations, 'add-alternatives', context, operation.segment, reply);
      const count = added.length === 1 ? 'an alternative' : `${added.length} alternatives`;
      return { text: writeAnnotations(lineText, annotations), label: `Add ${count} to ${named(reply, segment)}` };
    }
    case 'setStepScores': {
      const reply = resolveReply(parsed, operation);
      for (const step of operation.steps) {
        segmentOf(reply, step.segment);
        const { segment, ...counts } = step;
        segmentAnnotation(annotations, reply, segment).monteCarlo = { ...counts, policy: operation.policy, rollouts: operation.rollouts, createdAt: at };
      }
      remember(annotations, 'mc-score', context, undefined, reply);
      return { text: writeAnnotations(lineText, annotations), label: `Score ${operation.steps.length} steps by rollouts` };
    }
    case 'setPrelabels': {
      const reply = resolveReply(parsed, operation);
      for (const step of operation.steps) {
        segmentOf(reply, step.segment);
        const { segment, ...suggestion } = step;
        // A new suggestion replaces the old one and what was decided about it; the rating stays the person's.
        segmentAnnotation(annotations, reply, segment).prelabel = { ...suggestion, provenance: { source: 'model', ...operation.provenance, createdAt: at } };
      }
      remember(annotations, 'prelabel', context, undefined, reply);
      return { text: writeAnnotations(lineText, annotations), label: `Pre-label ${operation.steps.length} steps` };
    }
    case 'confirmPrelabels': {
      const reply = resolveReply(parsed, operation);
      const chosen = operation.segments;
      for (const segment of chosen ?? []) segmentOf(reply, segment);
      const confirmed = reply.response.segments.flatMap((_, index) => {
        const annotation = annotations.segments[replyKey(reply, index)];
        const { prelabel } = annotation ?? {};
        if (!annotation || !prelabel) return [];
        // Confirming all leaves a step a person rated as they rated it; naming a step takes its suggestion.
        if (chosen ? !chosen.includes(index) : annotation.rating !== null) return [];
        rate(annotation, prelabel.label, context);
        return [index];
      });
      if (chosen?.some((segment) => !confirmed.includes(segment))) {
        const missing = chosen.filter((segment) => !confirmed.includes(segment));
        throw new RecordError(`no suggested label to confirm on segment ${missing.join(', ')}; run Pre-label Steps first`);
      }
      const label = confirmed.length === 1 ? 'Confirm a suggested label' : `Confirm ${confirmed.length} suggested labels`;
      if (confirmed.length === 0) return { text: lineText, label };
      remember(annotations, 'confirm-prelabels', context, confirmed.length === 1 ? confirmed[0] : undefined, reply);
      return { text: writeAnnotations(lineText, annotations), label };
    }
    case 'addPreferencePairs': {
      const key = (pair: Pick<PreferencePair, 'level' | 'position' | 'turn' | 'model' | 'chosen' | 'rejected'>) =>
        JSON.stringify([pair.level, pair.position, pair.turn ?? 0, pair.model, pair.chosen, pair.rejected]);
      // A second run over the same record makes some of the same pairs; the list keeps one of each.
      const known = new Set(annotations.preferencePairs.map(key));
      const added = operation.pairs.filter((candidate) => !known.has(key(candidate)) && known.add(key(candidate)));
      for (const candidate of added) {
        if (candidate.chosen === candidate.rejected) throw new RecordError('chosen and rejected are the same text');
        if (candidate.level === 'segment') {
          if (candidate.position === undefined) throw new RecordError('a segment-level pair needs a position');
          segmentOf(resolveReply(parsed, candidate.model === undefined ? { turn: candidate.turn ?? 0 } : { model: candidate.model }), candidate.position);
        }
        const { provenance, ...fields } = candidate;
        annotations.preferencePairs.push(
          pair(provenance ? { ...fields, provenance: { ...provenance, createdAt: provenance.createdAt ?? at } } : fields, context),
        );
      }
      const label = `Add ${added.length === 1 ? 'a preference pair' : `${added.length} preference pairs`}`;
      if (added.length === 0) return { text: lineText, label };
      remember(annotations, 'preference-pairs', context);
      return { text: writeAnnotations(lineText, annotations), label };
    }
    case 'swapSides': {
      const record = readRecord(lineText);
      if (parsed.responses.length < 2 || record.chosen === undefined || record.rejected === undefined) {
        throw new RecordError(`a ${parsed.format} record has no chosen and rejected sides to swap`);
      }
      // Ratings and alternatives follow their text to the other side: the chosen reply is the last one (a record
      // whose prompt holds earlier exchanges keys it by its turn); other replies' annotations stay where they are.
      const chosen = resolveReply(parsed);
      const swapped: Annotations['segments'] = {};
      for (const [key, value] of Object.entries(annotations.segments)) swapped[swappedKey(key, chosen)] = value;
      annotations.segments = swapped;
      remember(annotations, 'swap-sides', context);
      return { text: writeAnnotations(swapValues(lineText, ['chosen'], ['rejected']), annotations), label: 'Swap chosen and rejected' };
    }
    case 'resolveConflict': {
      const conflicts = annotations.conflicts ?? [];
      const conflict = conflicts[operation.conflict];
      if (!conflict) throw new RecordError(`there is no conflict ${operation.conflict}: the record has ${conflicts.length}`);
      // The view's index may be of an older version of the record: a conflict taken by index alone could be another one.
      if (conflict.path !== operation.path)
        throw new RecordError(`conflict ${operation.conflict} is at ${conflict.path}, not ${operation.path}: the record changed since it was shown`);
      const text = takeConflict(lineText, parsed, annotations, conflict, operation.take);
      conflicts.splice(operation.conflict, 1);
      if (conflicts.length === 0) delete annotations.conflicts;
      annotations.adjudications = [...(annotations.adjudications ?? []), { ...conflict, taken: operation.take, ...by(context), at }];
      const step = conflictStep(parsed, conflict.path);
      remember(annotations, 'adjudicate', context, step?.index, step?.reply);
      const where = step ? `${named(step.reply, step.segment)} ${conflict.path.slice(conflict.path.lastIndexOf('.') + 1)}` : conflict.path;
      return { text: writeAnnotations(text, annotations), label: `Take ${operation.take} for ${where}` };
    }
  }
}
