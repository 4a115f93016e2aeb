/**
 * The latent path: which digits are keyframes, which anchor stands for each, and the
 * interpolated latents between them.
 *
 * @module
 */

import { mulberry32 } from "./rng.ts";
import type { Tensor } from "./safetensors.ts";

/** How latents between two keyframes are blended. */
export type Interp = "lerp" | "slerp";

/**
 * Digits from `start` to `end` inclusive, stepping by one either way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keyframeDigits } from "./path.ts";
 * assert.deepEqual(keyframeDigits(3, 0), [3, 2, 1, 0]);
 * ```
 */
export function keyframeDigits(start: number, end: number): number[] {
  const step = end >= start ? 1 : -1;
  const out: number[] = [];
  for (let d = start; d !== end + step; d += step) out.push(d);
  return out;
}

/** Frames of a run: |start − end| transitions of `steps` frames, plus the final keyframe. */
export function frameCount(start: number, end: number, steps: number): number {
  return Math.abs(start - end) * steps + 1;
}

/**
 * Picks, for every digit 0–9, which of its K anchors the run uses: drawn from the seed, so a
 * seed fixes the whole GIF.
 */
export function chooseAnchors(k: number, seed: number): number[] {
  const next = mulberry32(seed);
  return Array.from({ length: 10 }, () => Math.floor(next() * k));
}

/** Blends two latents: `alpha = 0` gives `a` exactly, `alpha = 1` gives `b`. */
export function blend(
  a: Float32Array<ArrayBuffer>,
  b: Float32Array<ArrayBuffer>,
  alpha: number,
  interp: Interp,
): Float32Array<ArrayBuffer> {
  const out = new Float32Array(a.length);
  if (alpha === 0) {
    out.set(a);
    return out;
  }
  let wa = 1 - alpha, wb = alpha;
  if (interp === "slerp") {
    let dot = 0, na = 0, nb = 0;
    for (let i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    const cos = Math.min(Math.max(dot / Math.sqrt(na * nb || 1), -1), 1);
    const omega = Math.acos(cos);
    // Nearly parallel vectors: the great-circle formula divides by ~0, and lerp is exact enough.
    if (Math.sin(omega) > 1e-6) {
      wa = Math.sin((1 - alpha) * omega) / Math.sin(omega);
      wb = Math.sin(alpha * omega) / Math.sin(omega);
    }
  }
  for (let i = 0; i < a.length; i++) out[i] = wa * a[i] + wb * b[i];
  return out;
}

/**
 * The latents of every frame: frame `k·steps + j` lies at `alpha = j / steps` between the
 * k-th and (k+1)-th keyframe's anchors, so frame `k·steps` is exactly the k-th anchor.
 *
 * @param anchors `[10, K, latentDim]`.
 * @param start First digit.
 * @param end Last digit.
 * @param steps Frames per transition (n).
 * @param interp lerp or slerp.
 * @param seed Picks the anchor of each digit.
 * @returns `(frames, latentDim)` float32.
 */
export function latentPath(
  anchors: Tensor,
  start: number,
  end: number,
  steps: number,
  interp: Interp,
  seed: number,
): Float32Array<ArrayBuffer> {
  const [, k, dim] = anchors.shape;
  const pick = chooseAnchors(k, seed);
  const anchor = (digit: number) =>
    anchors.data.subarray((digit * k + pick[digit]) * dim, (digit * k + pick[digit] + 1) * dim);
  const digits = keyframeDigits(start, end);
  const frames = frameCount(start, end, steps);
  const out = new Float32Array(frames * dim);
  for (let t = 0; t + 1 < digits.length; t++) {
    const a = anchor(digits[t]), b = anchor(digits[t + 1]);
    for (let j = 0; j < steps; j++) out.set(blend(a, b, j / steps, interp), (t * steps + j) * dim);
  }
  out.set(anchor(digits[digits.length - 1]), (frames - 1) * dim);
  return out;
}
