/** What the HTML report draws for each test: the two samples, the two sets of counts, or the statistic against its null distribution. */
export type Distribution =
  | { test: string; kind: 'numeric'; label: string; reference: readonly number[]; current: readonly number[] }
  | { test: string; kind: 'categorical'; label: string; categories: readonly string[]; reference: readonly number[]; current: readonly number[] }
  | { test: string; kind: 'null'; label: string; observed: number; samples: readonly number[] };
