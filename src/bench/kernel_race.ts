/**
 * The kernel race: every WGSL kernel that can run a layer of the decoder, timed on that layer
 * alone at one batch, in one process. It is where the README's kernel log gets its figures: the
 * straight and blocked kernels are the earlier versions, kept in the tree as fallbacks for shapes
 * the faster ones do not cover.
 *
 * @module
 */

import { convTransposeDims } from "../reference.ts";
import type { Gpu } from "../gpu/device.ts";
import { GpuDecoder, type LayerKernel } from "../gpu/decoder.ts";
import {
  convKernelFor,
  convKernelsFor,
  denseBlockedApplies,
  denseWalkApplies,
} from "../gpu/kernels.ts";
import { size } from "../architecture.ts";
import type { DecoderWeights } from "../weights.ts";

/** One kernel timed on one layer. */
export interface KernelRaceResult {
  /** The layer, as the decoder names its step (kernel name and shapes). */
  layer: string;
  kernel: LayerKernel;
  /** Whether the shipped decoder runs this kernel on this layer. */
  chosen: boolean;
  batch: number;
  /** GPU time of one pass of this layer over `batch` frames. */
  ms: number;
  /** Relative L2 error of the whole decoder's output with this kernel on this layer. */
  relError: number;
}

/** The kernels that can run each decoder layer, the shipped one first. */
export function layerCandidates(
  w: DecoderWeights,
): { index: number; step: number; kernels: LayerKernel[] }[] {
  const out: { index: number; step: number; kernels: LayerKernel[] }[] = [];
  let step = 0;
  for (const p of w.planned) {
    if (p.layer.kind === "reshape") continue;
    if (p.layer.kind === "dense") {
      // As for the convolutions, the kernel a decoder made for large batches runs comes first.
      const inDim = size(p.inShape), units = p.layer.units;
      const kernels: LayerKernel[] = [
        ...(denseWalkApplies(inDim, units) ? ["dense_walk" as const] : []),
        ...(denseBlockedApplies(inDim, units) ? ["dense_blocked" as const] : []),
        "dense",
      ];
      out.push({ index: p.index, step, kernels });
    } else {
      const d = convTransposeDims(p, 1);
      const all = convKernelsFor(d);
      out.push({ index: p.index, step, kernels: [convKernelFor(d), ...all.slice(1)] });
    }
    step++;
  }
  return out;
}

/**
 * Times every candidate kernel on every layer.
 *
 * @param gpu An open device.
 * @param w The decoder weights.
 * @param batch Frames a pass.
 * @param latents (batch, latentDim) latents.
 * @param check Relative error of a decoder's float output against the reference.
 * @param passMs GPU time of one pass of one step of a decoder.
 */
export async function raceKernels(
  gpu: Gpu,
  w: DecoderWeights,
  batch: number,
  latents: Float32Array<ArrayBuffer>,
  check: (out: Float32Array) => number,
  passMs: (decoder: GpuDecoder, batch: number, step: number) => Promise<number>,
): Promise<KernelRaceResult[]> {
  const native = w.planned[w.planned.length - 1].outShape[0];
  const results: KernelRaceResult[] = [];
  for (const { index, step, kernels } of layerCandidates(w)) {
    for (const [i, kernel] of kernels.entries()) {
      const decoder = await GpuDecoder.create(gpu, w, native, {
        floatOutput: true,
        layerKernels: { [index]: kernel },
        maxChunkFrames: batch,
      });
      try {
        const bytes = await decoder.decode(latents, batch);
        const relError = check(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
        results.push({
          layer: decoder.stepNames[step].replace(/^\S+ /, ""),
          kernel,
          chosen: i === 0,
          batch,
          ms: await passMs(decoder, batch, step),
          relError,
        });
      } finally {
        decoder.destroy();
      }
    }
  }
  return results;
}
