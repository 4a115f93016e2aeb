/**
 * The decoder's architecture: the layer list stored in the weights file's metadata,
 * and the shape arithmetic that both the GPU path and the reference follow.
 *
 * Shapes and layouts match tfjs so weights move between them unchanged:
 * activations are NHWC, a dense kernel is `[in, units]`, and a transposed
 * convolution kernel is `[kH, kW, outC, inC]` (tfjs `conv2dTranspose`).
 *
 * @module
 */

/** Element-wise functions a layer may end with. */
export type Activation = "linear" | "relu" | "sigmoid" | "tanh";

/** Activation names in the order of their codes in the WGSL kernels (`activation` field). */
export const ACTIVATIONS: readonly Activation[] = ["linear", "relu", "sigmoid", "tanh"];

/** A fully connected layer: `y = act(x · kernel + bias)`, kernel `[in, units]`. */
export interface DenseLayer {
  kind: "dense";
  units: number;
  activation: Activation;
}

/** A free reshape of a flat vector to `[height, width, channels]`. */
export interface ReshapeLayer {
  kind: "reshape";
  shape: [number, number, number];
}

/** A transposed convolution as tfjs `conv2dTranspose` defines it; kernel `[kH, kW, outC, inC]`. */
export interface ConvTransposeLayer {
  kind: "conv2dTranspose";
  filters: number;
  kernelSize: [number, number];
  strides: [number, number];
  padding: "same" | "valid";
  activation: Activation;
}

/** One layer of the decoder. */
export type Layer = DenseLayer | ReshapeLayer | ConvTransposeLayer;

/** The decoder: latent vector in, one grey image `[H, W, 1]` in [0, 1] out. */
export interface Architecture {
  latentDim: number;
  layers: Layer[];
}

/** Shape of one frame's activation: `[n]` after a dense layer, `[h, w, c]` otherwise. */
export type Shape = number[];

/** A layer with the shapes it reads and writes, and (for convolutions) its padding. */
export interface PlannedLayer {
  index: number;
  layer: Layer;
  inShape: Shape;
  outShape: Shape;
  /** Rows and columns cut from the top and left of the full transposed output. */
  padTop: number;
  padLeft: number;
}

const MAX_DIM = 4096;
/** Largest activation of one frame, in values (64 MiB of float32): far above any MNIST decoder. */
export const MAX_ACTIVATION = 1 << 24;

function isPositiveInt(v: unknown, max = MAX_DIM): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= max;
}

/**
 * Output length and leading padding of a transposed convolution along one axis.
 *
 * `same` gives `in·stride` (tfjs `deconvLength`), cutting `max(k − s, 0)` rows of which the
 * top takes the floor half, exactly as tfjs derives it from the forward convolution.
 * `valid` gives `in·stride + max(k − s, 0)` and cuts nothing.
 *
 * @param inLength Input length along the axis.
 * @param kernel Kernel length.
 * @param stride Stride.
 * @param padding `same` or `valid`.
 * @returns `[outLength, padBefore]`.
 */
export function convTransposeLength(
  inLength: number,
  kernel: number,
  stride: number,
  padding: "same" | "valid",
): [number, number] {
  const extra = Math.max(kernel - stride, 0);
  if (padding === "same") return [inLength * stride, Math.floor(extra / 2)];
  return [inLength * stride + extra, 0];
}

/** Number of elements in a shape. */
export function size(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Checks an architecture and works out every layer's shapes.
 *
 * @param arch The architecture to check (untrusted: it comes from a file).
 * @returns The layers with their input and output shapes.
 * @throws {TypeError} When a field is missing or has the wrong type, a shape does not
 *   follow, or the output is not a single-channel image.
 */
export function planLayers(arch: Architecture): PlannedLayer[] {
  if (typeof arch !== "object" || arch === null) {
    throw new TypeError("Architecture is not an object");
  }
  if (!isPositiveInt(arch.latentDim, 1024)) {
    throw new TypeError(`Architecture latentDim must be an integer 1–1024: got ${arch.latentDim}`);
  }
  if (!Array.isArray(arch.layers) || arch.layers.length === 0 || arch.layers.length > 64) {
    throw new TypeError("Architecture layers must be a list of 1–64 layers");
  }
  const planned: PlannedLayer[] = [];
  let shape: Shape = [arch.latentDim];
  arch.layers.forEach((layer, index) => {
    const where = `layer ${index}`;
    const activation = (layer as { activation?: unknown }).activation;
    if (layer.kind !== "reshape" && !ACTIVATIONS.includes(activation as Activation)) {
      throw new TypeError(
        `Architecture ${where}: activation must be one of ${ACTIVATIONS.join(", ")}`,
      );
    }
    let outShape: Shape;
    let padTop = 0, padLeft = 0;
    if (layer.kind === "dense") {
      if (shape.length !== 1) {
        throw new TypeError(`Architecture ${where}: dense needs a flat input`);
      }
      if (!isPositiveInt(layer.units, 1 << 20)) {
        throw new TypeError(`Architecture ${where}: units must be a positive integer`);
      }
      outShape = [layer.units];
    } else if (layer.kind === "reshape") {
      if (
        !Array.isArray(layer.shape) || layer.shape.length !== 3 ||
        !layer.shape.every((d) => isPositiveInt(d))
      ) {
        throw new TypeError(`Architecture ${where}: reshape needs [height, width, channels]`);
      }
      if (size(layer.shape) !== size(shape)) {
        throw new TypeError(
          `Architecture ${where}: cannot reshape ${size(shape)} values to [${
            layer.shape.join(", ")
          }]`,
        );
      }
      outShape = [...layer.shape];
    } else if (layer.kind === "conv2dTranspose") {
      if (shape.length !== 3) {
        throw new TypeError(`Architecture ${where}: conv2dTranspose needs an [h, w, c] input`);
      }
      const { filters, kernelSize: k, strides: s, padding } = layer;
      const pair = (v: unknown, max: number) =>
        Array.isArray(v) && v.length === 2 && v.every((d) => isPositiveInt(d, max));
      if (
        !isPositiveInt(filters) || !pair(k, 15) || !pair(s, 8) ||
        (padding !== "same" && padding !== "valid")
      ) {
        throw new TypeError(
          `Architecture ${where}: conv2dTranspose needs filters, kernelSize [1–15, 1–15], strides [1–8, 1–8] and padding same|valid`,
        );
      }
      const [outH, pt] = convTransposeLength(shape[0], k[0], s[0], padding);
      const [outW, pl] = convTransposeLength(shape[1], k[1], s[1], padding);
      if (outH > MAX_DIM || outW > MAX_DIM) {
        throw new TypeError(`Architecture ${where}: output too large`);
      }
      outShape = [outH, outW, filters];
      padTop = pt;
      padLeft = pl;
    } else {
      throw new TypeError(
        `Architecture ${where}: unknown kind "${(layer as { kind?: unknown }).kind}"`,
      );
    }
    if (size(outShape) > MAX_ACTIVATION) {
      throw new TypeError(
        `Architecture ${where}: output [${
          outShape.join(", ")
        }] is over ${MAX_ACTIVATION} values a frame`,
      );
    }
    planned.push({ index, layer, inShape: shape, outShape, padTop, padLeft });
    shape = outShape;
  });
  if (shape.length !== 3 || shape[2] !== 1) {
    throw new TypeError(
      `Architecture must end in a one-channel image [h, w, 1]: ends in [${shape.join(", ")}]`,
    );
  }
  return planned;
}

/**
 * The tensors a planned architecture needs, by name, with their shapes.
 *
 * @param planned The output of {@link planLayers}.
 * @returns Map of tensor name (`layers.<i>.kernel`, `layers.<i>.bias`) to shape.
 */
export function parameterShapes(planned: PlannedLayer[]): Map<string, Shape> {
  const shapes = new Map<string, Shape>();
  for (const p of planned) {
    if (p.layer.kind === "dense") {
      shapes.set(`layers.${p.index}.kernel`, [p.inShape[0], p.layer.units]);
      shapes.set(`layers.${p.index}.bias`, [p.layer.units]);
    } else if (p.layer.kind === "conv2dTranspose") {
      const [kh, kw] = p.layer.kernelSize;
      shapes.set(`layers.${p.index}.kernel`, [kh, kw, p.layer.filters, p.inShape[2]]);
      shapes.set(`layers.${p.index}.bias`, [p.layer.filters]);
    }
  }
  return shapes;
}

/** The image size the decoder produces, `[height, width]`. */
export function outputSize(planned: PlannedLayer[]): [number, number] {
  const last = planned[planned.length - 1].outShape;
  return [last[0], last[1]];
}

/**
 * Useful floating-point operations to decode one frame: 2 per multiply-add, counting only taps
 * that meet real input (a stride-s transposed convolution's inserted zeros are not work).
 */
export function flopsPerFrame(planned: PlannedLayer[]): number {
  let flops = 0;
  for (const p of planned) {
    const l = p.layer;
    if (l.kind === "dense") flops += 2 * size(p.inShape) * l.units;
    if (l.kind === "conv2dTranspose") {
      // Each input value meets each of the kH·kW·outC weights once (some taps land in the
      // cropped border; counting them keeps the figure an upper bound of ~1–2%).
      flops += 2 * size(p.inShape) * l.kernelSize[0] * l.kernelSize[1] * l.filters;
    }
  }
  return flops;
}
