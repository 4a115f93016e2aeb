/**
 * A digit oracle that needs no training: k-nearest neighbours (Euclidean, majority vote) over
 * the MNIST training images. Used to check that decoded anchors and keyframes look like the
 * digit they stand for.
 *
 * @module
 */

import type { MnistSet } from "./mnist.ts";

/** A kNN classifier over a labelled image set. */
export class KnnClassifier {
  readonly #images: Float32Array;
  readonly #labels: Uint8Array;
  readonly #norms: Float32Array;
  readonly #dim: number;
  readonly #k: number;

  /**
   * @param set Reference images (e.g. the 60,000 training digits), pixels in [0, 1].
   * @param k Neighbours that vote (3 by default).
   */
  constructor(set: MnistSet, k = 3) {
    this.#dim = set.rows * set.cols;
    this.#images = set.images;
    this.#labels = set.labels;
    this.#k = k;
    this.#norms = new Float32Array(set.count);
    for (let i = 0; i < set.count; i++) {
      let s = 0;
      for (let j = 0; j < this.#dim; j++) s += set.images[i * this.#dim + j] ** 2;
      this.#norms[i] = s;
    }
  }

  /**
   * Classifies one image (28×28, [0, 1]); ties in the vote go to the nearest neighbour's label.
   *
   * @returns The predicted digit.
   */
  classify(image: ArrayLike<number>): number {
    const dim = this.#dim, k = this.#k;
    const best = new Array<[number, number]>(); // (squared distance, label), ascending
    let qn = 0;
    for (let j = 0; j < dim; j++) qn += image[j] * image[j];
    const imgs = this.#images;
    for (let i = 0, n = this.#labels.length; i < n; i++) {
      let dot = 0;
      const base = i * dim;
      for (let j = 0; j < dim; j++) dot += image[j] * imgs[base + j];
      const d = qn + this.#norms[i] - 2 * dot;
      if (best.length < k || d < best[best.length - 1][0]) {
        best.push([d, this.#labels[i]]);
        best.sort((a, b) => a[0] - b[0]);
        if (best.length > k) best.pop();
      }
    }
    const votes = new Map<number, number>();
    for (const [, l] of best) votes.set(l, (votes.get(l) ?? 0) + 1);
    let label = best[0][1], top = 0;
    for (const [, l] of best) {
      if (votes.get(l)! > top) {
        top = votes.get(l)!;
        label = l;
      }
    }
    return label;
  }
}
