/**
 * The decoders the benchmark races: the shipped WGSL path, tfjs on its three backends, and the
 * TypeScript reference. Each decodes a batch of latents to the decoder's own 28×28 float output,
 * read back on the CPU, so all do the same work and their results can be compared.
 *
 * @module
 */

import { type Gpu } from "../gpu/device.ts";
import { GpuDecoder, type KernelFamily } from "../gpu/decoder.ts";
import { decodeToFloat } from "../reference.ts";
import type { DecoderWeights } from "../weights.ts";

/** One implementation under test. */
export interface Impl {
  name: string;
  /** Largest batch worth timing (slow implementations stop early). */
  maxBatch: number;
  /** Decodes `batch` latents; returns the (batch, H, W, 1) output. */
  run(latents: Float32Array<ArrayBuffer>, batch: number): Promise<Float32Array>;
  /**
   * GPU time in ms for one pass over `batch` frames without the readback, where it can be
   * measured; null otherwise.
   */
  gpuMs?(batch: number): Promise<number | null>;
  dispose(): Promise<void>;
}

/**
 * GPU ms of one pass (or of one step of a pass): the median of five 4-pass submits less the median
 * of five 1-pass submits, over 3 passes, so the fixed cost of a submit and readback cancels out.
 * Medians taken apart (rather than the median of paired differences) keep one slow submit, on this
 * shared machine, from setting the figure.
 */
export async function passMs(decoder: GpuDecoder, batch: number, only?: number): Promise<number> {
  const ones: number[] = [], fours: number[] = [];
  await decoder.timeDispatches(batch, 1, only);
  for (let r = 0; r < 5; r++) {
    ones.push(await decoder.timeDispatches(batch, 1, only));
    fours.push(await decoder.timeDispatches(batch, 4, only));
  }
  const median = (v: number[]) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  return Math.max(median(fours) - median(ones), 1e-3) / 3;
}

/**
 * The WGSL decoder, float output at the decoder's size: `wgsl` ships (baked kernels that walk
 * their frames, the last layer folded into the one before, as any decoder made for large batches
 * has), the others are history: `wgsl-v5` baked one block an invocation without the fold,
 * `wgsl-v4` the fixed shaders a small run still gets, `wgsl-v2` the blocked ones, `wgsl-v1` the
 * straight ones.
 */
export async function wgslImpl(
  gpu: Gpu,
  w: DecoderWeights,
  family: KernelFamily = "fastest",
  maxBatch = Infinity,
  bake = true,
  fold = true,
): Promise<Impl> {
  const native = w.planned[w.planned.length - 1].outShape[0];
  const decoder = await GpuDecoder.create(gpu, w, native, {
    floatOutput: true,
    kernels: family,
    bake,
    fold,
    baked: fold ? undefined : { walk: false },
  });
  const names: Record<KernelFamily, string> = {
    fastest: !bake ? "wgsl-v4" : fold ? "wgsl" : "wgsl-v5",
    blocked: "wgsl-v2",
    straight: "wgsl-v1",
  };
  let chunkMs: number | undefined;
  return {
    name: names[family],
    maxBatch,
    run: async (latents, batch) => {
      const bytes = await decoder.decode(latents, batch);
      return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    },
    // Passes without a readback: the difference of 4 and 1 passes is 3 passes of GPU work. A batch
    // over one chunk runs as whole chunks plus a remainder, so its GPU time is theirs summed; the
    // whole-chunk figure is measured once per decoder, as it is the same pass each time.
    gpuMs: async (batch) => {
      if (batch <= decoder.chunkFrames) return passMs(decoder, batch);
      chunkMs ??= await passMs(decoder, decoder.chunkFrames);
      const rest = batch % decoder.chunkFrames;
      return Math.floor(batch / decoder.chunkFrames) * chunkMs +
        (rest ? await passMs(decoder, rest) : 0);
    },
    dispose: () => Promise.resolve(decoder.destroy()),
  };
}

/** tfjs `predict()` on one backend, with the same weights. */
export async function tfjsImpl(
  backend: "webgpu" | "wasm" | "cpu",
  w: DecoderWeights,
  maxBatch: number,
): Promise<Impl> {
  const { tf } = await import("../tf.ts");
  const { useBackend } = await import("../train/backend.ts");
  const { buildDecoder, setDecoderWeights } = await import("../model.ts");
  await useBackend(backend, false);
  const model = buildDecoder(w.arch);
  setDecoderWeights(model, w.arch, w.params);
  const dim = w.arch.latentDim;
  return {
    name: `tfjs-${backend}`,
    maxBatch,
    run: async (latents, batch) => {
      await tf.setBackend(backend);
      const y = tf.tidy(() =>
        model.predict(tf.tensor2d(latents, [batch, dim])) as typeof tf.Tensor.prototype
      );
      const out = await y.data() as Float32Array;
      y.dispose();
      return out;
    },
    dispose: () => {
      model.dispose();
      return Promise.resolve();
    },
  };
}

/** The TypeScript reference. */
export function referenceImpl(w: DecoderWeights, maxBatch: number): Impl {
  return {
    name: "reference",
    maxBatch,
    run: (latents, batch) => Promise.resolve(decodeToFloat(w, latents, batch)),
    dispose: () => Promise.resolve(),
  };
}
