/**
 * The decoders the benchmark races: the shipped WGSL path, tfjs on its three backends, and the
 * TypeScript reference. Each decodes a batch of latents to the decoder's own 28×28 float output,
 * read back on the CPU, so all do the same work and their results can be compared.
 *
 * @module
 */

import { type Gpu } from "../gpu/device.ts";
import { GpuDecoder } from "../gpu/decoder.ts";
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

/** The shipped path: WGSL kernels, float output at the decoder's size. */
export async function wgslImpl(gpu: Gpu, w: DecoderWeights): Promise<Impl> {
  const native = w.planned[w.planned.length - 1].outShape[0];
  const decoder = await GpuDecoder.create(gpu, w, native, { floatOutput: true });
  return {
    name: "wgsl",
    maxBatch: Infinity,
    run: async (latents, batch) => {
      const bytes = await decoder.decode(latents, batch);
      return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    },
    gpuMs: async (batch) => {
      if (batch > decoder.chunkFrames) return null;
      // Two submits of 1 and 4 passes: the difference is three passes of pure GPU work.
      await decoder.timeDispatches(batch, 1);
      const one = await decoder.timeDispatches(batch, 1);
      const four = await decoder.timeDispatches(batch, 4);
      return Math.max(four - one, 1e-3) / 3;
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
