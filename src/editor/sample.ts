import { segmentAlternatives } from '../dataset/alternatives';
import { annotationSide, type Annotations, emptyAnnotations, segmentKey, segmentRating } from '../dataset/annotations';
import { ImageResolver } from '../dataset/images';
import { readAnnotations, RecordError } from '../dataset/recordEdit';
import { checkDatasetLine } from '../dataset/validate';
import type { Sample, SampleSegment } from '../protocol';
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
      review: { status: 'unreviewed', note: '' },
      preferencePairs: 0,
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
  const responses = parsed.responses.map((response, position) => {
    const side = annotationSide(response, position);
    return {
      role: response.role,
      text: response.text,
      model: response.model ?? null,
      correct: response.correct ?? null,
      ...(response.value === undefined ? {} : { value: response.value }),
      segments: response.segments.map((segment, segmentIndex): SampleSegment => {
        const annotation = side === null ? undefined : annotations.segments[segmentKey(segmentIndex, side)];
        return {
          index: segmentIndex,
          kind: segment.kind,
          label: segment.label,
          text: segment.text,
          rating: segmentRating(annotation, segment),
          sourceLabel: segment.sourceLabel ?? null,
          stale: annotation?.stale === true,
          // The record's own versions follow, numbered as the operations number them; the record says not when they were written.
          alternatives: segmentAlternatives(segment, annotation).map(
            ({ own, text, rating, source }) => own ?? { text, rating, provenance: { source: 'original', model: source.origin, createdAt: '' } },
          ),
        };
      }),
    };
  });
  return {
    ...base,
    format: parsed.format,
    system: parsed.system ?? null,
    question: parsed.question,
    groundTruth: parsed.groundTruth,
    ...(parsed.prefixPrompt === undefined ? {} : { prefixPrompt: parsed.prefixPrompt }),
    images: sampleImages(parsed.images, document.imageRoots(), source),
    responses,
    review: { status: annotations.review.status, note: annotations.review.note ?? '' },
    preferencePairs: annotations.preferencePairs.length,
    unreadable: null,
  };
}
