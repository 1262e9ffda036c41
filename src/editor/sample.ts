import { segmentAlternatives } from '../dataset/alternatives';
import { conflictViews } from '../dataset/conflicts';
import { DISAGREEMENT_THRESHOLD, stepDisagreement } from '../dataset/disagreement';
import { type Annotations, emptyAnnotations, segmentRating } from '../dataset/annotations';
import { IMAGE_TOKEN } from '../dataset/formats/chat';
import { ImageResolver } from '../dataset/images';
import { readAnnotations, RecordError } from '../dataset/recordEdit';
import { checkDatasetLine } from '../dataset/validate';
import type { ConversationTurn, Response } from '../dataset/record';
import { annotatedReplies, assistantReplies, type Reply, replyKey } from '../dataset/replies';
import type { Sample, SampleQuestionPart, SampleResponse, SampleSegment } from '../protocol';
import type { DatasetDocument } from './datasetDocument';

/** Turns a file inside the allowed roots into a URI the webview may load. */
export type ImageSource = (file: string) => string;

/** The images of a record, each with a loadable source or the reason it cannot be shown (`roots`: the dataset's folder, then the image roots). */
export function sampleImages(images: string[], roots: string[], source: ImageSource): Sample['images'] {
  const [datasetDir, ...imageRoots] = roots;
  const resolver = new ImageResolver(datasetDir as string, imageRoots);
  return images.map((image) => {
    const located = resolver.locate(image);
    if ('inline' in located) return { path: 'inline image', src: located.inline, problem: null };
    if ('problem' in located) return { path: image, src: null, problem: located.problem };
    return { path: image, src: source(located.file), problem: null };
  });
}

/**
 * A question's text and images in order: each image where its `<image>` placeholder stands; images the turn has
 * beyond its placeholders (a first question without any, content parts) go in front, as the exports place them.
 */
export function questionParts(turn: ConversationTurn, images: Sample['images']): SampleQuestionPart[] {
  const pieces = turn.text.split(IMAGE_TOKEN);
  const unplaced = Math.max(0, images.length - (pieces.length - 1));
  const parts: SampleQuestionPart[] = images.slice(0, unplaced).map((image) => ({ kind: 'image', image }));
  pieces.forEach((text, index) => {
    const image = index > 0 ? images[unplaced + index - 1] : undefined;
    if (image) parts.push({ kind: 'image', image });
    if (text.trim() !== '') parts.push({ kind: 'text', text });
  });
  return parts;
}

function sampleConversation(conversation: ConversationTurn[], roots: string[], source: ImageSource): NonNullable<Sample['conversation']> {
  let turn = 0;
  return conversation.map((entry) =>
    entry.role === 'user' ? { role: 'user', parts: questionParts(entry, sampleImages(entry.images, roots, source)) } : { role: 'assistant', turn: turn++ },
  );
}

/** What the sample view shows of the record at a 0-based record index, from its current text. */
export function buildSample(document: Pick<DatasetDocument, 'dataset' | 'checkContext' | 'imageRoots'>, index: number, source: ImageSource): Sample {
  const { dataset } = document;
  const lineNumber = dataset.recordLine(index);
  const { record, parsed, results } = checkDatasetLine(dataset, lineNumber, document.checkContext());
  const problems: Sample['problems'] = results.map(({ check, severity, message }) => ({ check, severity, message }));
  const base = { index, line: lineNumber + 1, problems };
  if (!record || !parsed) {
    const reason = problems[0]?.message ?? 'this line cannot be read as a record';
    return {
      ...base,
      format: null,
      system: null,
      question: null,
      groundTruth: null,
      images: [],
      responses: [],
      conversation: null,
      laterReplies: [],
      review: { status: 'unreviewed', note: '' },
      preferencePairs: 0,
      conflicts: [],
      unreadable: { reason, text: dataset.lineText(lineNumber) },
    };
  }
  let annotations: Annotations;
  try {
    annotations = readAnnotations(record, parsed);
  } catch (error) {
    // The checks above already report a broken annotation block; the sample shows the record without it.
    if (!(error instanceof RecordError)) throw error;
    annotations = emptyAnnotations();
  }
  const roots = document.imageRoots();
  const annotated = annotatedReplies(parsed);
  /** A response with the annotations of the reply it is (none for a response no annotation can address). */
  const show = (response: Response, turn: number, reply: Reply | undefined): SampleResponse => ({
    role: response.role,
    text: response.text,
    model: response.model ?? null,
    correct: response.correct ?? null,
    ...(response.value === undefined ? {} : { value: response.value }),
    turn,
    segments: response.segments.map((segment, segmentIndex): SampleSegment => {
      const annotation = reply === undefined ? undefined : annotations.segments[replyKey(reply, segmentIndex)];
      return {
        index: segmentIndex,
        kind: segment.kind,
        label: segment.label,
        text: segment.text,
        rating: segmentRating(annotation, segment),
        sourceLabel: segment.sourceLabel ?? null,
        stale: annotation?.stale === true,
        monteCarlo: annotation?.monteCarlo
          ? {
              score: annotation.monteCarlo.score,
              correct: annotation.monteCarlo.correct,
              total: annotation.monteCarlo.total,
              policy: annotation.monteCarlo.policy,
            }
          : null,
        prelabel: annotation?.prelabel
          ? {
              label: annotation.prelabel.label,
              confidence: annotation.prelabel.confidence ?? null,
              by: annotation.prelabel.provenance.model ?? annotation.prelabel.provenance.backend ?? annotation.prelabel.provenance.method ?? 'model',
              decision: annotation.prelabel.decision ?? null,
            }
          : null,
        disagrees: (stepDisagreement(annotation, segment) ?? 0) >= DISAGREEMENT_THRESHOLD,
        firstError: annotation?.firstError
          ? { type: annotation.firstError.type, note: annotation.firstError.note ?? null, box: annotation.firstError.box ?? null }
          : null,
        // The record's own versions follow, numbered as the operations number them; the record says not when they were written.
        alternatives: segmentAlternatives(segment, annotation).map(
          ({ own, text, rating, source }) => own ?? { text, rating, provenance: { source: 'original', model: source.origin, createdAt: '' } },
        ),
      };
    }),
  });
  const replyOf = (response: Response): Reply | undefined => annotated.find((reply) => reply.response === response);
  // A rejected side answers the same turn as the chosen one: the conversation's last.
  const lastTurn = Math.max(0, assistantReplies(parsed).length - 1);
  const responses = parsed.responses.map((response) => show(response, response.role === 'rejected' ? lastTurn : 0, replyOf(response)));
  const laterReplies = annotated.filter((reply) => reply.side === 'primary' && reply.turn > 0).map((reply) => show(reply.response, reply.turn, reply));
  return {
    ...base,
    format: parsed.format,
    system: parsed.system ?? null,
    question: parsed.question,
    groundTruth: parsed.groundTruth,
    ...(parsed.prefixPrompt === undefined ? {} : { prefixPrompt: parsed.prefixPrompt }),
    images: sampleImages(parsed.images, roots, source),
    responses,
    conversation: parsed.conversation ? sampleConversation(parsed.conversation, roots, source) : null,
    laterReplies,
    review: { status: annotations.review.status, note: annotations.review.note ?? '' },
    preferencePairs: annotations.preferencePairs.length,
    conflicts: conflictViews(parsed, annotations),
    unreadable: null,
  };
}
