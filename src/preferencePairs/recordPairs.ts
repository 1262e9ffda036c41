import { z } from 'zod';
import type { Backend } from '../backends/types';
import { imagesProvenance, type PreferencePair } from '../dataset/annotations';
import type { ImageResolver } from '../dataset/images';
import type { ParsedRecord } from '../dataset/record';
import { type CorrectnessCounts, correctnessPairs } from './correctness';
import { questionRequest, sampleResponses } from './sampling';
import type { PairSettings } from './settings';
import { firstHalfOfWords, withoutImageNegative, withoutImageRequest } from './withoutImage';

/** A pair as a record's annotations will hold it, before the edit stamps its time. */
export type MadePair = Omit<PreferencePair, 'createdAt'>;

/** Why a record got no pair without asking the model. */
export const skipReasonSchema = z.enum([
  'no-ground-truth', // and the without-image pairs were not asked for
  'no-question',
  'no-response', // nothing of its own to continue without the image
  'no-image', // continuing without the image is the same as with it
  'too-short', // a response of one word has no first half to continue
  'no-new-text', // the continuation was empty or gave back the response itself
]);
export type SkipReason = z.infer<typeof skipReasonSchema>;

/** What every record of a run shares. */
export interface PairJob {
  backend: Backend;
  settings: PairSettings;
  /** Where the records' images are found for the model. */
  images: ImageResolver;
  signal?: AbortSignal;
}

export type RecordPairs =
  | { kind: 'correctness'; pairs: MadePair[]; counts: CorrectnessCounts; samples: number }
  | { kind: 'without-image'; pairs: MadePair[] }
  | { kind: 'skipped'; reason: SkipReason }
  | { kind: 'cancelled' };

/**
 * MPO's pairs for one record: against its ground truth when it has one (samples at the record's question,
 * images included), else, when asked for, its own response against that response's first half continued
 * without the image. Each pair says which model, seed and settings made it.
 */
export async function recordPairs(job: PairJob, record: ParsedRecord, seed: number, at: string): Promise<RecordPairs> {
  const { backend, settings, signal } = job;
  if (record.groundTruth === null && !settings.withoutImage) return { kind: 'skipped', reason: 'no-ground-truth' };
  if (record.question === null) return { kind: 'skipped', reason: 'no-question' };
  if (record.groundTruth !== null) {
    const request = questionRequest(record.question, job.images.forModel(record.images), settings, seed);
    const sampled = await sampleResponses(backend, request, signal);
    if (!sampled) return { kind: 'cancelled' };
    const { pairs, counts } = correctnessPairs(record.groundTruth, sampled.texts, { maxPairs: settings.maxPairs, seed });
    const { samples, temperature, maxTokens, maxPairs } = settings;
    const provenance = {
      source: 'model' as const,
      backend: backend.name,
      model: sampled.model,
      method: 'mpo-correctness',
      parameters: { samples, temperature, maxTokens, maxPairs, ...imagesProvenance(record.images, sampled.imagesSeen) },
      seed,
      createdAt: at,
    };
    return {
      kind: 'correctness',
      pairs: pairs.map(({ chosen, rejected }) => ({ level: 'response', chosen, rejected, origin: 'mpo-correctness', provenance })),
      counts,
      samples: sampled.texts.length,
    };
  }
  if (record.images.length === 0) return { kind: 'skipped', reason: 'no-image' };
  const chosen = record.responses.at(0)?.text;
  if (chosen === undefined) return { kind: 'skipped', reason: 'no-response' };
  const prefix = firstHalfOfWords(chosen);
  if (prefix === null) return { kind: 'skipped', reason: 'too-short' };
  const negative = await withoutImageNegative(backend, withoutImageRequest(record, prefix, settings, seed), chosen, prefix, signal);
  if ('cancelled' in negative) return { kind: 'cancelled' };
  if ('skipped' in negative) return { kind: 'skipped', reason: negative.skipped };
  const { temperature, maxTokens } = settings;
  const provenance = {
    source: 'model' as const,
    backend: backend.name,
    model: negative.model,
    method: 'mpo-without-image',
    // The rejected side is written without the picture, whatever the model can see.
    parameters: { temperature, maxTokens, keptChars: prefix.length, images: `${record.images.join(', ')} (not shown: continued without the image)` },
    seed,
    createdAt: at,
  };
  return { kind: 'without-image', pairs: [{ level: 'response', chosen, rejected: negative.rejected, origin: 'mpo-without-image', provenance }] };
}
