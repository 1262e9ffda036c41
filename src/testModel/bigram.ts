/** A sparse matrix in compressed rows: row i's entries are `columns`/`values` from `start[i]` to `start[i + 1]`. */
export interface SparseRows {
  rows: number;
  cols: number;
  start: Int32Array;
  columns: Int32Array;
  values: Float64Array;
}

export interface BigramScores {
  scores: SparseRows;
  /** How often each token is followed by another: how much its row matters to generated text. */
  rowCounts: Float64Array;
  /** 1 for the tokens that occur in the sequences at all. */
  occurs: Uint8Array;
}

/**
 * Bigram log-probabilities with add-k smoothing, up to a constant per row:
 * log p(j | i) = log((c_ij + k) / (n_i + kV)) = log(1 + c_ij / k) + (terms that depend on i only).
 * Logits may shift by a constant per row without changing the softmax, so the sparse log(1 + c_ij / k)
 * is all the network must reproduce, and unseen pairs are zero.
 */
export function bigramScores(sequences: Iterable<readonly number[]>, vocab: number, smoothing: number): BigramScores {
  const counts = new Map<number, number>();
  const rowCounts = new Float64Array(vocab);
  const occurs = new Uint8Array(vocab);
  for (const sequence of sequences) {
    for (const token of sequence) occurs[token] = 1;
    for (let t = 1; t < sequence.length; t++) {
      const key = sequence[t - 1] * vocab + sequence[t];
      counts.set(key, (counts.get(key) ?? 0) + 1);
      rowCounts[sequence[t - 1]]++;
    }
  }
  const keys = [...counts.keys()].sort((a, b) => a - b);
  const start = new Int32Array(vocab + 1);
  const columns = new Int32Array(keys.length);
  const values = new Float64Array(keys.length);
  keys.forEach((key, index) => {
    start[Math.floor(key / vocab) + 1]++;
    columns[index] = key % vocab;
    values[index] = Math.log1p((counts.get(key) as number) / smoothing);
  });
  for (let row = 0; row < vocab; row++) start[row + 1] += start[row];
  return { scores: { rows: vocab, cols: vocab, start, columns, values }, rowCounts, occurs };
}
