/**
 * The family of decoders this project trains, and the one that ships. Kept free of tfjs so that
 * tests and the sweep can name an architecture without loading it.
 *
 * @module
 */

import type { Architecture, ConvTransposeLayer } from "./architecture.ts";

function up(filters: number, stride: number, activation: "relu" | "sigmoid"): ConvTransposeLayer {
  return {
    kind: "conv2dTranspose",
    filters,
    kernelSize: [3, 3],
    strides: [stride, stride],
    padding: "same",
    activation,
  };
}

/**
 * latent → dense 7·7·C (ReLU) → reshape → convT 32 /2 → convT 16 /2 → convT 1 /1 (sigmoid),
 * all 3×3: the layer kinds the WGSL path runs, 7 → 14 → 28 with no cropping.
 *
 * @param latentDim Latent vector length.
 * @param channels C, the channels of the 7×7 map the dense layer makes.
 */
export function decoderArch(latentDim: number, channels: number): Architecture {
  return {
    latentDim,
    layers: [
      { kind: "dense", units: 7 * 7 * channels, activation: "relu" },
      { kind: "reshape", shape: [7, 7, channels] },
      up(32, 2, "relu"),
      up(16, 2, "relu"),
      up(1, 1, "sigmoid"),
    ],
  };
}

/**
 * The decoder that ships: latent 32, a 7×7×32 map. Why these sizes (a measured sweep of latent
 * size and widths) is in weights/README.md.
 */
export const DECODER_ARCH: Architecture = decoderArch(32, 32);
