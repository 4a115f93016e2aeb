/**
 * Test fixtures: random decoders in the shipped weights format, and tolerance checks.
 *
 * @module
 */

import type { Architecture } from "../src/architecture.ts";
import { convTransposeLength, parameterShapes, planLayers, size } from "../src/architecture.ts";
import type { ConvTransposeDims } from "../src/reference.ts";
import { decoderArch } from "../src/decoder_arch.ts";
import { mulberry32 } from "../src/rng.ts";
import type { Tensor } from "../src/safetensors.ts";
import { type DecoderWeights, decodeWeights, encodeWeights } from "../src/weights.ts";

/**
 * A decoder of the trained family but not the shipped one (latent 16, a 7×7×64 map, the seed's
 * widths), so that tests do not depend on the shipped sizes.
 */
export const SMALL_ARCH: Architecture = decoderArch(16, 64);

/**
 * The sizes of a transposed convolution as tfjs computes them: output size and padding from the
 * input, kernel (kH, kW), strides (sH, sW) and padding mode.
 */
export function convDims(
  inH: number,
  inW: number,
  inC: number,
  outC: number,
  k: [number, number],
  s: [number, number],
  padding: "same" | "valid",
  batch = 2,
): ConvTransposeDims {
  const [outH, padTop] = convTransposeLength(inH, k[0], s[0], padding);
  const [outW, padLeft] = convTransposeLength(inW, k[1], s[1], padding);
  return {
    batch,
    inH,
    inW,
    inC,
    outH,
    outW,
    outC,
    kH: k[0],
    kW: k[1],
    strideH: s[0],
    strideW: s[1],
    padTop,
    padLeft,
  };
}

/** Uniform floats in [lo, hi) from a seeded generator. */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array<ArrayBuffer> {
  const next = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * next();
  return out;
}

/**
 * A random decoder in the weights format, scaled so activations neither vanish nor explode.
 *
 * @returns The file bytes and the decoded weights.
 */
export function randomWeights(
  arch: Architecture = SMALL_ARCH,
  seed = 1,
  anchorsPerDigit = 4,
): { bytes: Uint8Array; weights: DecoderWeights } {
  const planned = planLayers(arch);
  const params = new Map<string, Tensor>();
  let s = seed;
  for (const [name, shape] of parameterShapes(planned)) {
    const n = size(shape);
    const fanIn = name.endsWith(".bias")
      ? 1
      : (shape.length === 2 ? shape[0] : shape[0] * shape[1] * shape[3] / 2);
    const scale = name.endsWith(".bias") ? 0.1 : Math.sqrt(6 / fanIn);
    params.set(name, { shape, data: randomArray(n, s++, -scale, scale) });
  }
  const anchors = {
    shape: [10, anchorsPerDigit, arch.latentDim],
    data: randomArray(10 * anchorsPerDigit * arch.latentDim, s++, -2, 2),
  };
  const bytes = encodeWeights(arch, params, anchors);
  return { bytes, weights: decodeWeights(bytes) };
}

/** Writes a random decoder to a temporary file and returns its path. */
export async function writeRandomWeights(
  arch: Architecture = SMALL_ARCH,
  seed = 1,
): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".safetensors" });
  await Deno.writeFile(path, randomWeights(arch, seed).bytes);
  return path;
}

/**
 * Relative L2 error ‖got − want‖ / ‖want‖, with the worst element for the failure message.
 */
export function relativeError(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
): { rel: number; worst: number; worstGot: number; worstWant: number } {
  if (got.length !== want.length) throw new RangeError(`Length ${got.length} ≠ ${want.length}`);
  let num = 0, den = 0, worst = 0, worstDiff = -1;
  for (let i = 0; i < got.length; i++) {
    const d = got[i] - want[i];
    num += d * d;
    den += want[i] * want[i];
    if (!(Math.abs(d) <= worstDiff)) {
      worstDiff = Math.abs(d);
      worst = i;
    }
  }
  return {
    rel: Math.sqrt(num) / Math.sqrt(den || 1),
    worst,
    worstGot: got[worst],
    worstWant: want[worst],
  };
}

/** Fails with the worst element when the relative L2 error is not below `tol`. */
export function assertClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: number,
  what = "values",
): void {
  const r = relativeError(got, want);
  if (!(r.rel < tol)) {
    throw new Error(
      `${what}: relative error ${
        r.rel.toExponential(3)
      } ≥ ${tol}; worst at ${r.worst}: got ${r.worstGot}, want ${r.worstWant}`,
    );
  }
}
