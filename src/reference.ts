/**
 * The decoder in plain TypeScript: one function per WGSL kernel, same maths, same layouts.
 * It is the oracle for the GPU tests and the fallback when there is no WebGPU adapter.
 * Sums are accumulated in float64 and stored as float32.
 *
 * @module
 */

import {
  type Activation,
  ACTIVATIONS,
  type ConvTransposeLayer,
  type PlannedLayer,
  size,
} from "./architecture.ts";
import type { DecoderWeights } from "./weights.ts";

/** Applies an activation to one value (twin of `activate()` in the shaders). */
export function activate(x: number, act: Activation): number {
  switch (act) {
    case "relu":
      return x > 0 ? x : 0;
    case "sigmoid":
      return 1 / (1 + Math.exp(-x));
    case "tanh":
      return Math.tanh(x);
    default:
      return x;
  }
}

/** Activation code used in the kernels' uniform structs. */
export function activationCode(act: Activation): number {
  return ACTIVATIONS.indexOf(act);
}

/**
 * Dense layer (twin of `shaders/dense.wgsl`).
 * x is (B, IN), kernel is (IN, UNITS), bias is (UNITS); returns (B, UNITS).
 */
export function denseForward(
  x: Float32Array<ArrayBuffer>,
  batch: number,
  kernel: Float32Array<ArrayBuffer>,
  bias: Float32Array<ArrayBuffer>,
  inDim: number,
  units: number,
  act: Activation,
): Float32Array<ArrayBuffer> {
  const out = new Float32Array(batch * units);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < units; j++) {
      let acc = bias[j];
      for (let i = 0; i < inDim; i++) acc += x[b * inDim + i] * kernel[i * units + j];
      out[b * units + j] = activate(acc, act);
    }
  }
  return out;
}

/** Sizes of one transposed convolution (fields of the `Params` struct in conv_transpose.wgsl). */
export interface ConvTransposeDims {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

/** The sizes of a planned transposed-convolution layer for a batch (shared by the GPU path). */
export function convTransposeDims(p: PlannedLayer, batch: number): ConvTransposeDims {
  const l = p.layer as ConvTransposeLayer;
  return {
    batch,
    inH: p.inShape[0],
    inW: p.inShape[1],
    inC: p.inShape[2],
    outH: p.outShape[0],
    outW: p.outShape[1],
    outC: p.outShape[2],
    kH: l.kernelSize[0],
    kW: l.kernelSize[1],
    strideH: l.strides[0],
    strideW: l.strides[1],
    padTop: p.padTop,
    padLeft: p.padLeft,
  };
}

/**
 * Transposed convolution, gathered per output pixel and visiting only the taps of its phase
 * (twin of `shaders/conv_transpose.wgsl`). Output pixel `o` receives input pixel `i` through
 * tap `k` when `o = i·stride + k − pad`.
 * x is (B, inH, inW, inC), kernel is (kH, kW, outC, inC), bias is (outC);
 * returns (B, outH, outW, outC).
 */
export function convTransposeForward(
  x: Float32Array<ArrayBuffer>,
  kernel: Float32Array<ArrayBuffer>,
  bias: Float32Array<ArrayBuffer>,
  d: ConvTransposeDims,
  act: Activation,
): Float32Array<ArrayBuffer> {
  const out = new Float32Array(d.batch * d.outH * d.outW * d.outC);
  for (let b = 0; b < d.batch; b++) {
    for (let oy = 0; oy < d.outH; oy++) {
      for (let ox = 0; ox < d.outW; ox++) {
        for (let co = 0; co < d.outC; co++) {
          let acc = bias[co];
          const ty = oy + d.padTop;
          for (let ky = ty % d.strideH; ky < d.kH && ky <= ty; ky += d.strideH) {
            const iy = (ty - ky) / d.strideH;
            if (iy >= d.inH) continue;
            const tx = ox + d.padLeft;
            for (let kx = tx % d.strideW; kx < d.kW && kx <= tx; kx += d.strideW) {
              const ix = (tx - kx) / d.strideW;
              if (ix >= d.inW) continue;
              const xBase = ((b * d.inH + iy) * d.inW + ix) * d.inC;
              const wBase = ((ky * d.kW + kx) * d.outC + co) * d.inC;
              for (let ci = 0; ci < d.inC; ci++) acc += x[xBase + ci] * kernel[wBase + ci];
            }
          }
          out[((b * d.outH + oy) * d.outW + ox) * d.outC + co] = activate(acc, act);
        }
      }
    }
  }
  return out;
}

/** Resize modes, in the order of their codes in `shaders/resize.wgsl`. */
export type ResizeMode = "bilinear" | "area";

/** Bilinear when enlarging (or same size), area averaging when shrinking. */
export function resizeModeFor(inSize: number, outSize: number): ResizeMode {
  return outSize >= inSize ? "bilinear" : "area";
}

/**
 * Resize (twin of `shaders/resize.wgsl`).
 * Bilinear uses half-pixel centres with edge clamping; area averages the source pixels each
 * output pixel covers, weighted by the covered length along each axis.
 * x is (B, inH, inW, C); returns (B, outH, outW, C).
 */
export function resizeForward(
  x: Float32Array<ArrayBuffer>,
  batch: number,
  inH: number,
  inW: number,
  channels: number,
  outH: number,
  outW: number,
  mode: ResizeMode,
): Float32Array<ArrayBuffer> {
  const out = new Float32Array(batch * outH * outW * channels);
  const wy = axisWeights(inH, outH, mode);
  const wx = axisWeights(inW, outW, mode);
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let c = 0; c < channels; c++) {
          let acc = 0;
          for (const [iy, fy] of wy[oy]) {
            for (const [ix, fx] of wx[ox]) {
              acc += fy * fx * x[((b * inH + iy) * inW + ix) * channels + c];
            }
          }
          out[((b * outH + oy) * outW + ox) * channels + c] = acc;
        }
      }
    }
  }
  return out;
}

/** Per output index, the (source index, weight) pairs along one axis. */
export function axisWeights(inLen: number, outLen: number, mode: ResizeMode): [number, number][][] {
  const scale = inLen / outLen;
  const table: [number, number][][] = [];
  for (let o = 0; o < outLen; o++) {
    if (mode === "bilinear") {
      const src = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), inLen - 1);
      const i0 = Math.floor(src);
      const i1 = Math.min(i0 + 1, inLen - 1);
      const f = src - i0;
      table.push([[i0, 1 - f], [i1, f]]);
    } else {
      const start = o * scale, end = (o + 1) * scale;
      const pairs: [number, number][] = [];
      for (let i = Math.floor(start); i < Math.min(Math.ceil(end), inLen); i++) {
        const cover = Math.min(end, i + 1) - Math.max(start, i);
        if (cover > 0) pairs.push([i, cover / scale]);
      }
      table.push(pairs);
    }
  }
  return table;
}

/**
 * Quantise [0, 1] floats to grey levels 0–255 (twin of `shaders/quantize.wgsl`):
 * `floor(clamp(v, 0, 1)·255 + 0.5)`.
 */
export function quantizeForward(x: Float32Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = Math.min(Math.max(x[i], 0), 1);
    out[i] = Math.floor(Math.fround(v * 255) + 0.5);
  }
  return out;
}

/**
 * Runs the decoder up to (and including) its last layer: latents (B, latentDim) to images
 * (B, H, W, 1) in [0, 1].
 */
export function decodeToFloat(
  w: DecoderWeights,
  latents: Float32Array<ArrayBuffer>,
  batch: number,
): Float32Array<ArrayBuffer> {
  let x = latents;
  for (const p of w.planned) {
    const l = p.layer;
    if (l.kind === "reshape") continue;
    const kernel = w.params.get(`layers.${p.index}.kernel`)!.data;
    const bias = w.params.get(`layers.${p.index}.bias`)!.data;
    if (l.kind === "dense") {
      x = denseForward(x, batch, kernel, bias, size(p.inShape), l.units, l.activation);
    } else {
      x = convTransposeForward(x, kernel, bias, convTransposeDims(p, batch), l.activation);
    }
  }
  return x;
}

/**
 * The whole generation path on the CPU: latents (B, latentDim) to grey frames
 * (B, imsize, imsize) as bytes.
 */
export function decodeReference(
  w: DecoderWeights,
  latents: Float32Array<ArrayBuffer>,
  batch: number,
  imsize: number,
): Uint8Array<ArrayBuffer> {
  const img = decodeToFloat(w, latents, batch);
  const [h, wd] = w.planned[w.planned.length - 1].outShape;
  const modeH = resizeModeFor(h, imsize);
  const resized = resizeForward(img, batch, h, wd, 1, imsize, imsize, modeH);
  return quantizeForward(resized);
}
