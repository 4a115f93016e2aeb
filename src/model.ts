/**
 * The autoencoder in tfjs layers: a small convolutional encoder and a decoder built from the
 * same {@link Architecture} the WGSL path runs, so exported weights mean the same thing in both.
 * Only training and tests import this module; generation never loads tfjs.
 *
 * @module
 */

import { tf } from "./tf.ts";
import { type Architecture, parameterShapes, planLayers } from "./architecture.ts";
import type { Tensor } from "./safetensors.ts";

export { DECODER_ARCH } from "./decoder_arch.ts";

/**
 * Builds the decoder as a tfjs model: input (B, latentDim), output (B, H, W, 1).
 * Layer i of the architecture is the tfjs layer named `layer_<i>`.
 */
export function buildDecoder(arch: Architecture): tf.LayersModel {
  planLayers(arch);
  const model = tf.sequential({ name: "decoder" });
  arch.layers.forEach((l, i) => {
    const first = i === 0 ? { inputShape: [arch.latentDim] } : {};
    const name = `layer_${i}`;
    if (l.kind === "dense") {
      model.add(tf.layers.dense({ ...first, name, units: l.units, activation: l.activation }));
    } else if (l.kind === "reshape") {
      model.add(tf.layers.reshape({ ...first, name, targetShape: l.shape }));
    } else {
      model.add(tf.layers.conv2dTranspose({
        ...first,
        name,
        filters: l.filters,
        kernelSize: l.kernelSize,
        strides: l.strides,
        padding: l.padding,
        activation: l.activation,
      }));
    }
  });
  return model;
}

/** Copies exported parameters (`layers.<i>.kernel|bias`) into a tfjs decoder. */
export function setDecoderWeights(
  model: tf.LayersModel,
  arch: Architecture,
  params: Map<string, Tensor>,
): void {
  const planned = planLayers(arch);
  for (const p of planned) {
    if (p.layer.kind === "reshape") continue;
    const k = params.get(`layers.${p.index}.kernel`)!, b = params.get(`layers.${p.index}.bias`)!;
    model.getLayer(`layer_${p.index}`).setWeights([
      tf.tensor(k.data, k.shape),
      tf.tensor(b.data, b.shape),
    ]);
  }
}

/** Reads a tfjs decoder's parameters out in the export layout. */
export async function getDecoderWeights(
  model: tf.LayersModel,
  arch: Architecture,
): Promise<Map<string, Tensor>> {
  const planned = planLayers(arch);
  const shapes = parameterShapes(planned);
  const out = new Map<string, Tensor>();
  for (const p of planned) {
    if (p.layer.kind === "reshape") continue;
    const [k, b] = model.getLayer(`layer_${p.index}`).getWeights();
    for (
      const [name, t] of [[`layers.${p.index}.kernel`, k], [`layers.${p.index}.bias`, b]] as const
    ) {
      const data = new Float32Array(await t.data() as Float32Array);
      if (t.shape.join(",") !== shapes.get(name)!.join(",")) {
        throw new RangeError(`Layer ${name} has shape [${t.shape}]`);
      }
      out.set(name, { shape: [...t.shape], data });
    }
  }
  return out;
}

/** Encoder widths: 28×28×1 → conv 3×3/2 → 14×14×E1 → conv 3×3/2 → 7×7×E2 → dense latentDim. */
export const ENCODER_FILTERS: [number, number] = [16, 32];

/** Builds the encoder: input (B, 28, 28, 1), output (B, latentDim), linear latent. */
export function buildEncoder(
  latentDim: number,
  filters: [number, number] = ENCODER_FILTERS,
): tf.LayersModel {
  return tf.sequential({
    name: "encoder",
    layers: [
      tf.layers.conv2d({
        name: "enc_0",
        inputShape: [28, 28, 1],
        filters: filters[0],
        kernelSize: 3,
        strides: 2,
        padding: "same",
        activation: "relu",
      }),
      tf.layers.conv2d({
        name: "enc_1",
        filters: filters[1],
        kernelSize: 3,
        strides: 2,
        padding: "same",
        activation: "relu",
      }),
      tf.layers.flatten({ name: "enc_flat" }),
      tf.layers.dense({ name: "enc_latent", units: latentDim }),
    ],
  });
}
