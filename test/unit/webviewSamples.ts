import type { Sample, SampleResponse } from '../../src/protocol';

/** Samples as the host sends them to the dataset view, for the view's state tests. */
export function reply(segments: number, fields: Partial<SampleResponse> = {}): SampleResponse {
  return {
    role: 'response',
    text: '',
    segments: Array.from({ length: segments }, (_, index) => ({
      index,
      kind: 'step' as const,
      label: `Step ${index + 1}`,
      text: `step ${index + 1}`,
      rating: null,
      sourceLabel: null,
      stale: false,
      monteCarlo: null,
      prelabel: null,
      disagrees: false,
      firstError: null,
      alternatives: [],
    })),
    model: null,
    correct: null,
    turn: 0,
    ...fields,
  };
}

export function sample(responses: SampleResponse[], laterReplies: SampleResponse[] = [], fields: Partial<Sample> = {}): Sample {
  return {
    index: 0,
    line: 1,
    format: null,
    system: null,
    question: 'q',
    groundTruth: null,
    images: [],
    responses,
    conversation: null,
    laterReplies,
    review: { status: 'unreviewed', note: '' },
    problems: [],
    preferencePairs: 0,
    conflicts: [],
    unreadable: null,
    ...fields,
  };
}
