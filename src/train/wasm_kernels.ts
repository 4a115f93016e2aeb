/**
 * Convolution gradient kernels for the tfjs wasm backend, registered with `tf.registerKernel`.
 *
 * tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` at all, and its `Conv2DBackpropInput`
 * (which also runs every `conv2dTranspose` forward) is plain scalar loops, ~15× slower than its
 * XNNPACK `Conv2D`. Both are rewritten here as one large matrix product on the backend's own
 * `BatchMatMul` kernel plus a memory-bound rearrangement in JavaScript:
 *
 * - filter gradient: im2col of x (rows = output pixels, cols = kH·kW·inC), then colsᵀ · dy;
 * - input gradient: dy · filterᵀ gives each output pixel's contribution to its kH·kW input
 *   neighbours, then col2im adds them into place.
 *
 * Layouts are tfjs's: NHWC activations, filter (kH, kW, inC, outC).
 *
 * @module
 */

import { tf } from "../tf.ts";

type Backend = tf.KernelBackend & {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
};

interface ConvAttrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
}

function matMul(
  backend: Backend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): tf.TensorInfo {
  const kernel = tf.getKernel("BatchMatMul", "wasm");
  if (!kernel) throw new Error("The wasm backend has no BatchMatMul kernel");
  return kernel.kernelFunc(
    {
      inputs: { a, b },
      backend,
      attrs: { transposeA, transposeB },
    } as unknown as Parameters<tf.KernelFunc>[0],
  ) as tf.TensorInfo;
}

/** The forward convolution both gradients belong to (NHWC only). */
function convInfo(
  inputShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
): tf.backend_util.Conv2DInfo {
  if (attrs.dataFormat === "NCHW") {
    throw new Error("The wasm convolution gradients support NHWC only");
  }
  return tf.backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
}

/**
 * Fills `colsT` (KH·KW·C rows, B·OH·OW columns) with the transposed im2col of x: column r holds
 * the input patch output pixel r sees, zero where a tap falls in the padding. The transposed
 * layout lets the product with dy run as a plain (untransposed) BatchMatMul, which the wasm
 * backend does ~10× faster than with its transpose flags.
 */
export function im2colT(
  x: Float32Array,
  colsT: Float32Array,
  info: tf.backend_util.Conv2DInfo,
): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } =
    info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const top = info.padInfo.top, left = info.padInfo.left;
  const rows = B * OH * OW;
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      for (let c = 0; c < C; c++) {
        let at = ((kh * KW + kw) * C + c) * rows;
        for (let b = 0; b < B; b++) {
          for (let oy = 0; oy < OH; oy++) {
            const iy = oy * SH + kh - top;
            if (iy < 0 || iy >= H) {
              colsT.fill(0, at, at + OW);
              at += OW;
              continue;
            }
            const rowBase = (b * H + iy) * W;
            for (let ox = 0; ox < OW; ox++, at++) {
              const ix = ox * SW + kw - left;
              colsT[at] = ix < 0 || ix >= W ? 0 : x[(rowBase + ix) * C + c];
            }
          }
        }
      }
    }
  }
}

/** Adds each row of `cols` (rows = B·OH·OW, cols = KH·KW·C) back into the input pixels it came from. */
export function col2im(
  cols: Float32Array,
  dx: Float32Array,
  info: tf.backend_util.Conv2DInfo,
): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } =
    info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const top = info.padInfo.top, left = info.padInfo.left;
  const K = KH * KW * C;
  dx.fill(0);
  let r = 0;
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++, r++) {
        const rowBase = r * K;
        for (let kh = 0; kh < KH; kh++) {
          const iy = oy * SH + kh - top;
          if (iy < 0 || iy >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const ix = ox * SW + kw - left;
            if (ix < 0 || ix >= W) continue;
            const src = rowBase + (kh * KW + kw) * C;
            const dst = ((b * H + iy) * W + ix) * C;
            for (let c = 0; c < C; c++) dx[dst + c] += cols[src + c];
          }
        }
      }
    }
  }
}

/** `Conv2DBackpropFilter` for wasm: dW (KH, KW, C, OC) = im2col(x)ᵀ · dy. */
export function conv2dBackpropFilter(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown },
): tf.TensorInfo {
  const backend = args.backend as Backend;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs & {
    filterShape: [number, number, number, number];
  };
  const info = convInfo(x.shape, attrs.filterShape, attrs);
  const rows = info.batchSize * info.outHeight * info.outWidth;
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const cols = backend.makeOutput([1, K, rows], "float32");
  // Views of the heap are taken after every allocation: growing the heap detaches older views.
  im2colT(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(cols), info);
  const dy3: tf.TensorInfo = {
    dataId: dy.dataId,
    shape: [1, rows, info.outChannels],
    dtype: "float32",
  };
  const out = matMul(backend, cols, dy3, false, false);
  backend.disposeData(cols.dataId);
  return { dataId: out.dataId, shape: attrs.filterShape, dtype: "float32" };
}

/** `Conv2DBackpropInput` for wasm (also the forward pass of conv2dTranspose): col2im(dy · Wᵀ). */
export function conv2dBackpropInput(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown },
): tf.TensorInfo {
  const backend = args.backend as Backend;
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs & {
    inputShape: [number, number, number, number];
  };
  const info = convInfo(attrs.inputShape, filter.shape, attrs);
  const rows = info.batchSize * info.outHeight * info.outWidth;
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const OC = info.outChannels;
  const dy3: tf.TensorInfo = { dataId: dy.dataId, shape: [1, rows, OC], dtype: "float32" };
  // Wᵀ (OC, K) is small: transposing it here keeps the big product free of transpose flags.
  const wT = backend.makeOutput([1, OC, K], "float32");
  const w = backend.typedArrayFromHeap(filter), wt = backend.typedArrayFromHeap(wT);
  for (let k = 0; k < K; k++) for (let o = 0; o < OC; o++) wt[o * K + k] = w[k * OC + o];
  const cols = matMul(backend, dy3, wT, false, false);
  backend.disposeData(wT.dataId);
  const dx = backend.makeOutput(attrs.inputShape, "float32");
  col2im(backend.typedArrayFromHeap(cols), backend.typedArrayFromHeap(dx), info);
  backend.disposeData(cols.dataId);
  return dx;
}

/**
 * Registers both kernels for the wasm backend, replacing its own Conv2DBackpropInput; call it
 * before the backend starts. A process that never calls it runs stock tfjs-wasm.
 */
export function registerWasmConvGradients(): void {
  for (
    const [kernelName, kernelFunc] of [
      ["Conv2DBackpropInput", conv2dBackpropInput],
      ["Conv2DBackpropFilter", conv2dBackpropFilter],
    ] as const
  ) {
    if (tf.getKernel(kernelName, "wasm")?.kernelFunc === kernelFunc) continue;
    if (tf.getKernel(kernelName, "wasm")) tf.unregisterKernel(kernelName, "wasm");
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc: kernelFunc as tf.KernelFunc });
  }
}
