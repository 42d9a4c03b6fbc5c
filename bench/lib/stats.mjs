/** Small statistics helpers: the bench reports medians of repetitions and percentiles of samples. */

/** The `p`-th percentile (0..100) of `values`, interpolated between the nearest ranks. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

export function median(values) {
  return percentile(values, 50);
}
