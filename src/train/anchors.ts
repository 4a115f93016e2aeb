/**
 * Anchor selection: for each digit, latents of real training digits that the model
 * reconstructs well and whose decoded image the kNN oracle reads as that digit.
 *
 * @module
 */

import { tf } from "../tf.ts";
import type { KnnClassifier } from "../knn.ts";
import type { MnistSet } from "../mnist.ts";
import { mulberry32 } from "../rng.ts";
import type { Tensor } from "../safetensors.ts";

/** Encodes every image and measures each one's reconstruction error. */
export async function encodeAll(
  set: MnistSet,
  encoder: tf.LayersModel,
  decoder: tf.LayersModel,
  chunk = 1000,
): Promise<
  { latents: Float32Array<ArrayBuffer>; errors: Float32Array<ArrayBuffer>; latentDim: number }
> {
  const dim = set.rows * set.cols;
  let latents = new Float32Array(0);
  const errors = new Float32Array(set.count);
  let latentDim = 0;
  for (let start = 0; start < set.count; start += chunk) {
    const n = Math.min(chunk, set.count - start);
    // Reads are asynchronous: the webgpu backend cannot read synchronously under Deno.
    const [zt, et] = tf.tidy(() => {
      const x = tf.tensor4d(set.images.subarray(start * dim, (start + n) * dim), [n, 28, 28, 1]);
      const zt = encoder.predict(x) as tf.Tensor2D;
      const y = decoder.predict(zt) as tf.Tensor;
      return [zt, tf.sub(y, x).square().mean([1, 2, 3])];
    });
    const z = await zt.data() as Float32Array, err = await et.data() as Float32Array;
    tf.dispose([zt, et]);
    if (latentDim === 0) {
      latentDim = z.length / n;
      latents = new Float32Array(set.count * latentDim);
    }
    latents.set(z, start * latentDim);
    errors.set(err, start);
  }
  return { latents, errors, latentDim };
}

/** Decodes latents (n, latentDim) to images (n, 784) with tfjs. */
async function decodeImages(
  decoder: tf.LayersModel,
  latents: Float32Array,
  n: number,
  dim: number,
): Promise<Float32Array> {
  const y = tf.tidy(() => decoder.predict(tf.tensor2d(latents, [n, dim])) as tf.Tensor);
  const out = await y.data() as Float32Array;
  y.dispose();
  return out;
}

/** What anchor selection found. */
export interface AnchorReport {
  anchors: Tensor;
  /** Fraction of the chosen anchors the oracle classifies as their digit. */
  oracleAccuracy: number;
  /** Candidates rejected by the oracle. */
  rejected: number;
}

/**
 * Picks `k` anchors per digit: candidates are the best-reconstructed quarter of each digit's
 * images, drawn in a seeded random order for variety; a candidate whose decoding the oracle
 * reads as another digit is skipped (up to 4k tries, then the best remaining are kept).
 */
export async function chooseAnchorLatents(
  set: MnistSet,
  encoded: { latents: Float32Array; errors: Float32Array; latentDim: number },
  decoder: tf.LayersModel,
  oracle: KnnClassifier,
  k: number,
  seed: number,
): Promise<AnchorReport> {
  const { latents, errors, latentDim } = encoded;
  const data = new Float32Array(10 * k * latentDim);
  const next = mulberry32(seed);
  let correct = 0, rejected = 0;
  for (let digit = 0; digit < 10; digit++) {
    const ids: number[] = [];
    for (let i = 0; i < set.count; i++) if (set.labels[i] === digit) ids.push(i);
    if (ids.length === 0) {
      throw new RangeError(`No training images of digit ${digit}: train on more samples`);
    }
    ids.sort((a, b) => errors[a] - errors[b]);
    const pool = ids.slice(0, Math.max(Math.min(k, ids.length), Math.ceil(ids.length / 4)));
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    const tries = pool.slice(0, 4 * k);
    const images = await decodeImages(
      decoder,
      latentsOf(latents, tries, latentDim),
      tries.length,
      latentDim,
    );
    const good: number[] = [], bad: number[] = [];
    tries.forEach((id, t) => {
      if (good.length >= k) return;
      if (oracle.classify(images.subarray(t * 784, (t + 1) * 784)) === digit) good.push(id);
      else bad.push(id);
    });
    rejected += bad.length;
    correct += Math.min(good.length, k);
    const chosen = [...good, ...bad, ...pool.slice(4 * k)];
    for (let j = 0; j < k; j++) {
      const id = chosen[j % chosen.length];
      data.set(latents.subarray(id * latentDim, (id + 1) * latentDim), (digit * k + j) * latentDim);
    }
  }
  return {
    anchors: { shape: [10, k, latentDim], data },
    oracleAccuracy: correct / (10 * k),
    rejected,
  };
}

function latentsOf(latents: Float32Array, ids: number[], dim: number): Float32Array {
  const out = new Float32Array(ids.length * dim);
  ids.forEach((id, j) => out.set(latents.subarray(id * dim, (id + 1) * dim), j * dim));
  return out;
}
