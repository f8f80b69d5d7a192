/**
 * The bench datasets: a seeded synthetic clustered set (cosine) and the real Fashion-MNIST
 * (Euclid), both as flat Float32Array matrices, plus the exact distance used for ground truth
 * and recall.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { SeededRandom } from '../src/base/prng.js';
import { flagBool, flagInt, flagString, type Flags } from './args.js';
import { note } from './stats.js';

/** Distance of a bench dataset, spelled as in Hektor's collection config. */
export type BenchDistance = 'Cosine' | 'Euclid';

/** A base set and a query set in one vector space. */
export interface Dataset {
  /** Display name with the shape, e.g. `synthetic-100000x128`. */
  readonly name: string;
  /**
   * Everything that determines the base set and the query stream (name, size, seeds): the
   * ground-truth cache key. Query sets are prefixes of one stream, so a cached ground truth
   * serves any smaller query count.
   */
  readonly cacheKey: string;
  /** Vector dimension. */
  readonly dim: number;
  /** Distance function. */
  readonly distance: BenchDistance;
  /** Base vectors, row-major, `baseCount × dim`. */
  readonly base: Float32Array;
  /** Number of base vectors. */
  readonly baseCount: number;
  /** Query vectors, row-major, `queryCount × dim`. */
  readonly queries: Float32Array;
  /** Number of queries. */
  readonly queryCount: number;
}

/** Shape and seeds of the synthetic clustered set. */
export interface SyntheticOptions {
  /** Base vectors (the figure is 100,000). */
  baseCount: number;
  /** Queries (1,000 in the issue). */
  queryCount: number;
  /** Dimension (128). */
  dim: number;
  /** Gaussian cluster centres (1,000). */
  clusterCount: number;
  /** Seed of the centres and the base set; queries use `seed + 1`. */
  seed: number;
}

/** Defaults of the synthetic set, as the issue states them. */
export const SYNTHETIC_DEFAULTS: SyntheticOptions = { baseCount: 100_000, queryCount: 1_000, dim: 128, clusterCount: 1_000, seed: 42 };

/** Standard deviation of a point around its centre (the centres themselves are N(0, 1)). */
const SYNTHETIC_SPREAD = 0.5;

/**
 * The synthetic clustered set: centres ~ N(0,1)^dim, point = centre + N(0, 0.5²)^dim, then
 * L2-normalised. Queries come from the same centres but a different seed, so no query is a base
 * point.
 */
export function syntheticDataset(options: SyntheticOptions): Dataset {
  const { baseCount, queryCount, dim, clusterCount, seed } = options;
  const centreRandom = new SeededRandom(seed);
  const centres = new Float32Array(clusterCount * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = centreRandom.gaussian();
  // Base points continue the centres' stream; queries use their own seed.
  const base = clusteredPoints(centres, clusterCount, dim, baseCount, centreRandom);
  const queries = clusteredPoints(centres, clusterCount, dim, queryCount, new SeededRandom(seed + 1));
  const name = `synthetic-${baseCount}x${dim}`;
  return {
    name,
    cacheKey: `${name}-c${clusterCount}-seed${seed}`,
    dim,
    distance: 'Cosine',
    base,
    baseCount,
    queries,
    queryCount,
  };
}

function clusteredPoints(centres: Float32Array, clusterCount: number, dim: number, count: number, random: SeededRandom): Float32Array {
  const out = new Float32Array(count * dim);
  const point = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    const centre = random.int(clusterCount) * dim;
    let norm2 = 0;
    for (let d = 0; d < dim; d++) {
      const v = centres[centre + d]! + SYNTHETIC_SPREAD * random.gaussian();
      point[d] = v;
      norm2 += v * v;
    }
    const scale = 1 / Math.sqrt(norm2);
    const row = i * dim;
    for (let d = 0; d < dim; d++) out[row + d] = point[d]! * scale;
  }
  return out;
}

/** Where the Debian package `dataset-fashion-mnist` puts its files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
const FASHION_TRAIN = `${FASHION_MNIST_DIR}/train-images-idx3-ubyte.gz`;
const FASHION_TEST = `${FASHION_MNIST_DIR}/t10k-images-idx3-ubyte.gz`;
/** Full sizes of Fashion-MNIST: 60,000 base images and 10,000 queries of 28 × 28. */
export const FASHION_MNIST_BASE_MAX = 60_000;
/** Number of test images, used as queries. */
export const FASHION_MNIST_QUERY_MAX = 10_000;

/**
 * Fashion-MNIST (60k × 784 uint8 → float32, Euclid), the first `baseCount` training images as
 * the base set and the first `queryCount` test images as queries. Installs the Debian package if
 * the files are missing; returns undefined (after saying why on stderr) when that is impossible.
 */
export function fashionMnistDataset(baseCount: number, queryCount: number): Dataset | undefined {
  if (!ensureFashionMnist()) return undefined;
  const train = readIdxImages(FASHION_TRAIN, Math.min(baseCount, FASHION_MNIST_BASE_MAX));
  const test = readIdxImages(FASHION_TEST, Math.min(queryCount, FASHION_MNIST_QUERY_MAX));
  if (train.dim !== test.dim) throw new Error(`Fashion-MNIST train and test dimensions differ: ${train.dim} vs ${test.dim}`);
  const name = `fashion-mnist-${train.count}x${train.dim}`;
  return {
    name,
    cacheKey: name,
    dim: train.dim,
    distance: 'Euclid',
    base: train.vectors,
    baseCount: train.count,
    queries: test.vectors,
    queryCount: test.count,
  };
}

function ensureFashionMnist(): boolean {
  if (existsSync(FASHION_TRAIN) && existsSync(FASHION_TEST)) return true;
  note(`Fashion-MNIST is missing under ${FASHION_MNIST_DIR}; installing the Debian package dataset-fashion-mnist`);
  if (process.getuid?.() !== 0) {
    note('cannot install: not root. Run `apt-get install -y dataset-fashion-mnist` as root; skipping Fashion-MNIST');
    return false;
  }
  // apt's output goes to stderr so that stdout stays JSON lines; the lock timeout covers a
  // concurrent apt run by someone else on the same machine.
  const result = spawnSync(
    'sh',
    ['-c', 'apt-get update && apt-get install -y -o DPkg::Lock::Timeout=120 dataset-fashion-mnist'],
    { stdio: ['ignore', 2, 2], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } },
  );
  if (result.status !== 0 || !existsSync(FASHION_TRAIN) || !existsSync(FASHION_TEST)) {
    const why = result.error ? result.error.message : `exit status ${result.status ?? 'none'}`;
    note(`apt-get install dataset-fashion-mnist failed (${why}); skipping Fashion-MNIST`);
    return false;
  }
  return true;
}

/** Magic number of an IDX file holding a 3-d array of unsigned bytes. */
const IDX_UBYTE_3D = 0x00000803;
const IDX_HEADER_BYTES = 16;

/** Reads up to `limit` images of a gzipped IDX file as float32 rows. */
export function readIdxImages(path: string, limit: number): { vectors: Float32Array; count: number; dim: number } {
  const bytes = gunzipSync(readFileSync(path));
  if (bytes.length < IDX_HEADER_BYTES) throw new Error(`${path}: too short for an IDX header`);
  const magic = bytes.readUInt32BE(0);
  if (magic !== IDX_UBYTE_3D) throw new Error(`${path}: IDX magic 0x${magic.toString(16)}, expected 0x803 (3-d uint8)`);
  const total = bytes.readUInt32BE(4);
  const dim = bytes.readUInt32BE(8) * bytes.readUInt32BE(12);
  if (bytes.length !== IDX_HEADER_BYTES + total * dim) throw new Error(`${path}: ${bytes.length} bytes, expected ${IDX_HEADER_BYTES + total * dim}`);
  const count = Math.min(limit, total);
  const vectors = new Float32Array(count * dim);
  for (let i = 0; i < vectors.length; i++) vectors[i] = bytes[IDX_HEADER_BYTES + i]!;
  return { vectors, count, dim };
}

/**
 * Exact distance of row `b` of `base` to row `q` of `queries`, in double precision: 1 − dot for
 * Cosine (the vectors are unit length) and the squared L2 distance for Euclid. Ground truth and
 * recall both use this one function, so ties are judged the same way.
 */
export function exactDistance(dataset: Dataset, queryIndex: number, baseIndex: number): number {
  const { dim, base, queries } = dataset;
  const qo = queryIndex * dim;
  const bo = baseIndex * dim;
  if (dataset.distance === 'Cosine') {
    let dot = 0;
    for (let d = 0; d < dim; d++) dot += queries[qo + d]! * base[bo + d]!;
    return 1 - dot;
  }
  let sum = 0;
  for (let d = 0; d < dim; d++) {
    const diff = queries[qo + d]! - base[bo + d]!;
    sum += diff * diff;
  }
  return sum;
}

/** Row `index` of a flat matrix as the `number[]` that hnswlib-node and JSON want. */
export function rowArray(matrix: Float32Array, dim: number, index: number): number[] {
  const out = new Array<number>(dim);
  const offset = index * dim;
  for (let d = 0; d < dim; d++) out[d] = matrix[offset + d]!;
  return out;
}

/** Dataset choice and sizes from the command line. */
export interface DatasetSelection {
  /** `synthetic`, `fashion-mnist` or `all`. */
  which: string;
  /** Base size override (each dataset caps it at its full size). */
  baseCount: number | undefined;
  /** Query count override. */
  queryCount: number | undefined;
}

/** Sizes of the quick profile used while developing. */
export const QUICK_PROFILE = { baseCount: 20_000, queryCount: 200 } as const;

/** Loads the selected datasets; a dataset that cannot be had (apt failed) is skipped with a note. */
export function loadDatasets(selection: DatasetSelection): Dataset[] {
  const { which, baseCount, queryCount } = selection;
  if (which !== 'synthetic' && which !== 'fashion-mnist' && which !== 'all') {
    throw new Error(`--dataset must be synthetic, fashion-mnist or all, got "${which}"`);
  }
  const out: Dataset[] = [];
  if (which === 'synthetic' || which === 'all') {
    note('generating the synthetic clustered set');
    out.push(syntheticDataset({
      ...SYNTHETIC_DEFAULTS,
      baseCount: baseCount ?? SYNTHETIC_DEFAULTS.baseCount,
      queryCount: queryCount ?? SYNTHETIC_DEFAULTS.queryCount,
    }));
  }
  if (which === 'fashion-mnist' || which === 'all') {
    note('loading Fashion-MNIST');
    const fashion = fashionMnistDataset(baseCount ?? FASHION_MNIST_BASE_MAX, queryCount ?? FASHION_MNIST_QUERY_MAX);
    if (fashion) out.push(fashion);
  }
  return out;
}

/** The selection from `--dataset`, `--size`, `--queries` and `--quick` (20k points, 200 queries). */
export function selectionFromFlags(flags: Flags, defaultWhich: string): DatasetSelection {
  const quick = flagBool(flags, 'quick');
  const size = flagString(flags, 'size') === undefined ? undefined : flagInt(flags, 'size', 1);
  const queries = flagString(flags, 'queries') === undefined ? undefined : flagInt(flags, 'queries', 1);
  return {
    which: flagString(flags, 'dataset') ?? defaultWhich,
    baseCount: size ?? (quick ? QUICK_PROFILE.baseCount : undefined),
    queryCount: queries ?? (quick ? QUICK_PROFILE.queryCount : undefined),
  };
}
