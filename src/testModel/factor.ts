import type { SparseRows } from './bigram';
import type { SeededRandom } from './random';

/** `left` (rows × width) times `right` (width × cols), both row-major, approximates the matrix. */
export interface Factors {
  left: Float32Array;
  right: Float32Array;
  /** True when left × right equals the matrix (up to float rounding). */
  exact: boolean;
}

/** Power iterations of the subspace method: two bring the basis close to the dominant singular vectors. */
const POWER_ITERATIONS = 2;

type Columns = Float64Array[];

/** S × X, with X and the result held as columns. */
function times(matrix: SparseRows, x: Columns): Columns {
  return x.map((column) => {
    const out = new Float64Array(matrix.rows);
    for (let i = 0; i < matrix.rows; i++) {
      let sum = 0;
      for (let e = matrix.start[i]; e < matrix.start[i + 1]; e++) sum += matrix.values[e] * column[matrix.columns[e]];
      out[i] = sum;
    }
    return out;
  });
}

/** Sᵀ × X. */
function transposeTimes(matrix: SparseRows, x: Columns): Columns {
  return x.map((column) => {
    const out = new Float64Array(matrix.cols);
    for (let i = 0; i < matrix.rows; i++) {
      const weight = column[i];
      if (weight === 0) continue;
      for (let e = matrix.start[i]; e < matrix.start[i + 1]; e++) out[matrix.columns[e]] += matrix.values[e] * weight;
    }
    return out;
  });
}

const squaredNorm = (column: Float64Array) => column.reduce((sum, value) => sum + value * value, 0);

function scaleToUnit(column: Float64Array): Float64Array {
  const norm = squaredNorm(column);
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let r = 0; r < column.length; r++) column[r] *= scale;
  return column;
}

/** Below this fraction of its length, what is left of a column is rounding noise: the matrix has lower rank. */
const RANK_TOLERANCE = 1e-9;

/**
 * Modified Gram–Schmidt in place. It is the costly step (rows × width²), so the power iterations only
 * rescale columns between products and orthonormalise once; float64 keeps the directions apart.
 */
function orthonormalize(columns: Columns): Columns {
  columns.forEach((column, j) => {
    const before = squaredNorm(column);
    for (let i = 0; i < j; i++) {
      const basis = columns[i];
      let dot = 0;
      for (let r = 0; r < column.length; r++) dot += basis[r] * column[r];
      for (let r = 0; r < column.length; r++) column[r] -= dot * basis[r];
    }
    if (squaredNorm(column) <= RANK_TOLERANCE ** 2 * before) column.fill(0);
    else scaleToUnit(column);
  });
  return columns;
}

/** One slot of the width per non-empty row: exact whenever the rows with entries fit in the width. */
function oneHot(matrix: SparseRows, width: number): Factors {
  const left = new Float32Array(matrix.rows * width);
  const right = new Float32Array(width * matrix.cols);
  let slot = 0;
  for (let i = 0; i < matrix.rows; i++) {
    if (matrix.start[i] === matrix.start[i + 1]) continue;
    left[i * width + slot] = 1;
    for (let e = matrix.start[i]; e < matrix.start[i + 1]; e++) right[slot * matrix.cols + matrix.columns[e]] = matrix.values[e];
    slot++;
  }
  return { left, right, exact: true };
}

/** Rescales so both factors have the same largest magnitude (their product is unchanged); keeps float16 accurate. */
function balance(left: Float32Array, right: Float32Array): void {
  const largest = (values: Float32Array) => values.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
  const [l, r] = [largest(left), largest(right)];
  if (l === 0 || r === 0) return;
  const scale = Math.sqrt(r / l);
  for (let i = 0; i < left.length; i++) left[i] *= scale;
  for (let i = 0; i < right.length; i++) right[i] /= scale;
}

/**
 * Factors a sparse matrix through `width` dimensions. Exact when its non-empty rows fit in the width; else a
 * truncated SVD by seeded subspace iteration of the matrix with row i weighted by `rowWeights[i]`, so the
 * rows that matter most (frequent tokens) are reproduced best.
 */
export function lowRankFactors(matrix: SparseRows, width: number, random: SeededRandom, rowWeights: Float64Array): Factors {
  let nonEmpty = 0;
  for (let i = 0; i < matrix.rows; i++) if (matrix.start[i] < matrix.start[i + 1]) nonEmpty++;
  if (nonEmpty <= width) return oneHot(matrix, width);

  // Weighted least squares: factor D·S with D = diag(sqrt(weight)), then undo D on the left factor.
  const rowScale = rowWeights.map(Math.sqrt);
  const weighted: SparseRows = { ...matrix, values: matrix.values.slice() };
  for (let i = 0; i < matrix.rows; i++) {
    for (let e = matrix.start[i]; e < matrix.start[i + 1]; e++) weighted.values[e] *= rowScale[i];
  }
  let basis = times(
    weighted,
    Array.from({ length: width }, () => Float64Array.from({ length: matrix.cols }, () => random.normal())),
  );
  for (let iteration = 0; iteration < POWER_ITERATIONS; iteration++) {
    basis = times(weighted, transposeTimes(weighted, basis.map(scaleToUnit)).map(scaleToUnit));
  }
  orthonormalize(basis);
  const left = new Float32Array(matrix.rows * width);
  basis.forEach((column, k) => {
    column.forEach((value, i) => {
      left[i * width + k] = rowScale[i] > 0 ? value / rowScale[i] : 0;
    });
  });
  const right = new Float32Array(width * matrix.cols);
  transposeTimes(weighted, basis).forEach((column, k) => {
    right.set(column, k * matrix.cols);
  });
  balance(left, right);
  return { left, right, exact: false };
}
