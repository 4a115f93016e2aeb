/**
 * The compute pipelines, one per file in `shaders/`, and the uniform packers that mirror each
 * shader's `Params` struct field by field.
 *
 * @module
 */

import { CountdownError } from "../errors.ts";
import type { ConvTransposeDims, ResizeMode } from "../reference.ts";
import { planBaked } from "./baked.ts";

/** Pipeline names: a shader file in `shaders/`, and for the blocked convolution its COV constant. */
export type KernelName =
  | "dense"
  | "dense_blocked"
  | "dense_walk"
  | "conv_transpose"
  | "conv_transpose_blocked_cov1"
  | "conv_transpose_blocked_cov2"
  | "conv_transpose_rows1"
  | "conv_transpose_rows2"
  | "conv_transpose_pairs"
  | "conv_transpose_narrow"
  | "resize"
  | "quantize"
  | "resize_quantize";

/** Frames one invocation of dense_walk.wgsl walks (its FRAMES constant, as the pipeline is made). */
export const DENSE_WALK_FRAMES = 128;

/** Each pipeline's shader file and override constants (besides WG). */
const KERNELS: Record<KernelName, { file: string; constants?: Record<string, number> }> = {
  dense: { file: "dense" },
  dense_blocked: { file: "dense_blocked" },
  dense_walk: { file: "dense_walk", constants: { FRAMES: DENSE_WALK_FRAMES } },
  conv_transpose: { file: "conv_transpose" },
  conv_transpose_rows1: { file: "conv_transpose_rows", constants: { ROWS: 1 } },
  conv_transpose_rows2: { file: "conv_transpose_rows", constants: { ROWS: 2 } },
  conv_transpose_pairs: { file: "conv_transpose_pairs" },
  conv_transpose_narrow: { file: "conv_transpose_narrow" },
  conv_transpose_blocked_cov1: { file: "conv_transpose_blocked", constants: { COV: 1 } },
  conv_transpose_blocked_cov2: { file: "conv_transpose_blocked", constants: { COV: 2 } },
  resize: { file: "resize" },
  quantize: { file: "quantize" },
  resize_quantize: { file: "resize_quantize" },
};

/**
 * The kernels that run a layer: each applies an activation, from its `ACTIVATION` override
 * constant where the pipeline was made with one (as the decoder makes them), else from its
 * uniform.
 */
export const LAYER_KERNELS: readonly KernelName[] = [
  "dense",
  "dense_blocked",
  "dense_walk",
  "conv_transpose",
  "conv_transpose_rows1",
  "conv_transpose_rows2",
  "conv_transpose_pairs",
  "conv_transpose_narrow",
  "conv_transpose_blocked_cov1",
  "conv_transpose_blocked_cov2",
];

/** Invocations per workgroup (the shaders' `override WG`); 64 is within every adapter's limits. */
export const WORKGROUP_SIZE = 64;

/** The compiled pipelines of one device (only those asked for are present). */
export type Pipelines = Record<KernelName, GPUComputePipeline>;

/**
 * Reads the shaders and compiles one pipeline each. Deno compiles pipelines synchronously, so
 * a caller that knows which kernels it needs names them and skips the others' cost.
 *
 * @param device The device.
 * @param names The pipelines to build (all by default).
 * @param extra Override constants for all of them besides their own (each shader must
 * declare them): a layer kernel's `ACTIVATION` ({@link LAYER_KERNELS}).
 * @returns Pipelines by kernel name.
 * @throws {CountdownError} When a shader file is missing or fails to compile.
 */
export async function createPipelines(
  device: GPUDevice,
  names: KernelName[] = Object.keys(KERNELS) as KernelName[],
  extra: Record<string, number> = {},
): Promise<Pipelines> {
  const out = {} as Pipelines;
  const modules = new Map<string, GPUShaderModule>();
  for (const name of names) {
    const { file, constants } = KERNELS[name];
    const url = new URL(`../../shaders/${file}.wgsl`, import.meta.url);
    device.pushErrorScope("validation");
    let module = modules.get(file);
    if (!module) {
      let code: string;
      try {
        code = await Deno.readTextFile(url);
      } catch (e) {
        throw new CountdownError(
          `Shader ${decodeURIComponent(url.pathname)} cannot be read: ${(e as Error).message}`,
        );
      }
      module = device.createShaderModule({ code, label: file });
      modules.set(file, module);
    }
    const pipeline = device.createComputePipeline({
      label: name,
      layout: "auto",
      compute: {
        module,
        entryPoint: "main",
        constants: { WG: WORKGROUP_SIZE, ...constants, ...extra },
      },
    });
    const error = await device.popErrorScope();
    if (error) throw new CountdownError(`Shader ${file}.wgsl failed to compile: ${error.message}`);
    out[name] = pipeline;
  }
  return out;
}

/** Workgroups needed for one invocation per element. */
export function groupsFor(invocations: number): number {
  return Math.max(1, Math.ceil(invocations / WORKGROUP_SIZE));
}

/**
 * A workgroup count folded into two dimensions so that neither passes
 * `maxComputeWorkgroupsPerDimension` (the shaders linearise `wid.x + wid.y·groups.x`).
 */
export function dispatchGrid(groups: number, maxPerDim: number): [number, number] {
  const x = Math.min(groups, maxPerDim);
  const y = Math.ceil(groups / x);
  if (y > maxPerDim) throw new RangeError(`Dispatch of ${groups} workgroups is too large`);
  return [x, y];
}

/** Mirrors `Params` in shaders/dense.wgsl. */
export function packDenseParams(
  batch: number,
  inDim: number,
  units: number,
  activation: number,
): Uint32Array<ArrayBuffer> {
  return Uint32Array.of(batch, inDim, units, activation);
}

/** Whether dense_blocked.wgsl applies (it reads x and the kernel as vec4s). */
export function denseBlockedApplies(inDim: number, units: number): boolean {
  return inDim % 4 === 0 && units % 4 === 0;
}

/** Whether dense_walk.wgsl applies: inputs in fours, at most 32 of them, units in sixteens. */
export function denseWalkApplies(inDim: number, units: number): boolean {
  return inDim % 4 === 0 && inDim <= 32 && units % 16 === 0;
}

/** The kernels that run a dense layer. */
export type DenseKernel = "dense" | "dense_blocked" | "dense_walk";

/**
 * Workgroups of one dense dispatch: dense.wgsl takes an output value an invocation,
 * dense_blocked.wgsl 8 frames × 16 units, dense_walk.wgsl 16 units × {@link DENSE_WALK_FRAMES}
 * frames.
 */
export function denseGroups(kernel: DenseKernel, batch: number, units: number): number {
  switch (kernel) {
    case "dense":
      return groupsFor(batch * units);
    case "dense_blocked":
      return groupsFor(Math.ceil(units / 16) * Math.ceil(batch / 8));
    case "dense_walk":
      return groupsFor((units / 16) * Math.ceil(batch / DENSE_WALK_FRAMES));
  }
}

/** Vec4s in conv_transpose_rows.wgsl's uniform weight array (64 KiB, every adapter's least limit). */
export const ROWS_WEIGHT_VEC4S = 4096;

/** The transposed-convolution kernels, by the name the decoder and the benchmark use. */
export type ConvKernel = "narrow" | "baked" | "pairs" | "rows" | "blocked" | "straight";

/**
 * Every transposed-convolution kernel that can run a layer, fastest first (as measured on
 * llvmpipe; README, "Performance"):
 * - `narrow`: at most 4 output channels, stride 1, kernel up to 3×3;
 * - `baked`: the layer's weights written into its own shader (src/gpu/baked.ts), where the
 *   unrolled code stays within {@link MAX_BAKED_STATEMENTS};
 * - `pairs`: kernel width 3 at x-stride 2 with no left padding (tfjs's "same" and "valid" alike);
 * - `rows`: kernels up to twice the stride along x;
 * - `blocked`: any kernel;
 * - `straight`: anything (version 1).
 * All but `straight` need the input channels in fours; `narrow`, `pairs` and `rows` need their
 * weights within a 64 KiB uniform array, and `pairs` and `rows` (which write whole vec4s) a
 * multiple of 4 output channels over 4.
 */
export function convKernelsFor(d: ConvTransposeDims): ConvKernel[] {
  const out: ConvKernel[] = [];
  if (d.inC % 4 === 0) {
    const narrowFits = d.kH * d.kW * d.outC * (d.inC / 4) <= ROWS_WEIGHT_VEC4S;
    const small = d.kH <= 3 && d.kW <= 3;
    if (d.outC <= 4 && d.strideH === 1 && d.strideW === 1 && small && narrowFits) {
      out.push("narrow");
    }
    if (planBaked(d) !== null) out.push("baked");
    const uniformFits = d.kH * d.kW * d.inC * Math.ceil(d.outC / 16) * 4 <= ROWS_WEIGHT_VEC4S;
    if (d.outC > 4 && d.outC % 4 === 0 && uniformFits) {
      if (d.kW === 3 && d.strideW === 2 && d.padLeft === 0) out.push("pairs");
      if (d.kW <= 2 * d.strideW) out.push("rows");
    }
    out.push("blocked");
  }
  out.push("straight");
  return out;
}

/** The kernel that runs a layer: the fastest of {@link convKernelsFor}. */
export function convKernelFor(d: ConvTransposeDims): ConvKernel {
  return convKernelsFor(d)[0];
}

/**
 * Sizes conv_transpose_pairs.wgsl's dispatch (mirrors its `runs` and `pairs`): 16 output
 * channels, 7 input columns (14 output columns) and 2 phase rows of one y-phase an invocation.
 */
export function planPairs(d: ConvTransposeDims): BlockedPlan {
  const coVecs = Math.ceil(d.outC / 16) * 4;
  const qh = Math.ceil(d.outH / d.strideH);
  const work = d.batch * Math.ceil(qh / 2) * Math.ceil(Math.ceil(d.outW / 2) / 7);
  const tiles = Math.max(1, Math.ceil(work / WORKGROUP_SIZE));
  return { cov: 4, coVecs, tiles, groups: (coVecs / 4) * d.strideH * tiles };
}

/** Workgroups of conv_transpose_narrow.wgsl (mirrors its `per_channel`). */
export function narrowGroups(d: ConvTransposeDims): number {
  const work = d.batch * Math.ceil(d.outH / 4) * Math.ceil(d.outW / 7);
  return d.outC * Math.ceil(work / WORKGROUP_SIZE);
}

/** How conv_transpose_rows.wgsl covers a layer: {@link BlockedPlan} and its ROWS constant. */
export interface RowsPlan extends BlockedPlan {
  /** 1: 14 columns of one phase row an invocation; 2: 7 columns of two rows (narrow layers). */
  rows: 1 | 2;
}

/**
 * Sizes conv_transpose_rows.wgsl's dispatch: 16 output channels (4 vec4s) and 14 pixels an
 * invocation, in one row when phase rows are at least 14 wide. Its uniform is packed by
 * {@link packConvTransposeBlockedParams} (the same fields) and its weights by
 * {@link packBlockedWeights}.
 */
export function planRows(d: ConvTransposeDims): RowsPlan {
  const coVecs = Math.ceil(d.outC / 16) * 4;
  const qh = Math.ceil(d.outH / d.strideH), qw = Math.ceil(d.outW / d.strideW);
  const rows = qw >= 14 ? 1 : 2;
  const runW = rows === 1 ? 14 : 7;
  const work = d.batch * Math.ceil(qh / rows) * Math.ceil(qw / runW);
  const tiles = Math.max(1, Math.ceil(work / WORKGROUP_SIZE));
  return { cov: 4, rows, coVecs, tiles, groups: (coVecs / 4) * d.strideH * d.strideW * tiles };
}

/** Mirrors `Params` in shaders/conv_transpose.wgsl. */
export function packConvTransposeParams(
  d: ConvTransposeDims,
  activation: number,
): Uint32Array<ArrayBuffer> {
  return Uint32Array.of(
    d.batch,
    d.inH,
    d.inW,
    d.inC,
    d.outH,
    d.outW,
    d.outC,
    d.kH,
    d.kW,
    d.strideH,
    d.strideW,
    d.padTop,
    d.padLeft,
    activation,
    0,
    0,
  );
}

/** How the blocked transposed convolution covers one layer. */
export interface BlockedPlan {
  /** Output vec4s per invocation: the blocked pipeline's COV constant (1 or 2), or 4 (rows). */
  cov: 1 | 2 | 4;
  /** Output channels padded to a multiple of 4·cov, in vec4s. */
  coVecs: number;
  /** Workgroups per (phase, channel block). */
  tiles: number;
  /** Workgroups in the whole dispatch. */
  groups: number;
}

/** Whether a layer suits conv_transpose_blocked.wgsl (it reads inputs as vec4 of channels). */
export function blockedApplies(inC: number): boolean {
  return inC % 4 === 0;
}

/**
 * Sizes the blocked kernel's dispatch for a layer: 8 output channels per invocation when the
 * layer has more than 4, else 4 channels and twice the pixels (mirrors the shader's SLOTS = 8).
 */
export function planBlocked(d: ConvTransposeDims): BlockedPlan {
  const cov = d.outC > 4 ? 2 : 1;
  const pixPer = 8 / cov;
  const coVecs = Math.ceil(d.outC / (4 * cov)) * cov;
  const qh = Math.ceil(d.outH / d.strideH), qw = Math.ceil(d.outW / d.strideW);
  const tiles = Math.max(1, Math.ceil((d.batch * qh * Math.ceil(qw / pixPer)) / WORKGROUP_SIZE));
  return { cov, coVecs, tiles, groups: (coVecs / cov) * d.strideH * d.strideW * tiles };
}

/** Mirrors `Params` in shaders/conv_transpose_blocked.wgsl. */
export function packConvTransposeBlockedParams(
  d: ConvTransposeDims,
  activation: number,
  plan: BlockedPlan,
): Uint32Array<ArrayBuffer> {
  const a = packConvTransposeParams(d, activation);
  a[14] = plan.coVecs;
  a[15] = plan.tiles;
  return a;
}

/**
 * Re-lays a tfjs transposed-convolution kernel (kH, kW, outC, inC) as the blocked kernel reads it,
 * (kH, kW, inC, coVecs·4) with zero padding, and the bias as (coVecs·4).
 */
export function packBlockedWeights(
  kernel: Float32Array,
  bias: Float32Array,
  d: ConvTransposeDims,
  plan: BlockedPlan,
): { kernel: Float32Array<ArrayBuffer>; bias: Float32Array<ArrayBuffer> } {
  const width = plan.coVecs * 4;
  const out = new Float32Array(d.kH * d.kW * d.inC * width);
  for (let tap = 0; tap < d.kH * d.kW; tap++) {
    for (let co = 0; co < d.outC; co++) {
      for (let ci = 0; ci < d.inC; ci++) {
        out[(tap * d.inC + ci) * width + co] = kernel[(tap * d.outC + co) * d.inC + ci];
      }
    }
  }
  const b = new Float32Array(width);
  b.set(bias);
  return { kernel: out, bias: b };
}

/** Mirrors `Params` in shaders/resize.wgsl. */
export function packResizeParams(
  batch: number,
  inH: number,
  inW: number,
  channels: number,
  outH: number,
  outW: number,
  mode: ResizeMode,
): Uint32Array<ArrayBuffer> {
  return Uint32Array.of(batch, inH, inW, channels, outH, outW, mode === "bilinear" ? 0 : 1, 0);
}

/** Mirrors `Params` in shaders/resize_quantize.wgsl (one-channel images). */
export function packResizeQuantizeParams(
  batch: number,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
  mode: ResizeMode,
): Uint32Array<ArrayBuffer> {
  return Uint32Array.of(batch, inH, inW, outH, outW, mode === "bilinear" ? 0 : 1, 0, 0);
}

/** Mirrors `Params` in shaders/quantize.wgsl. */
export function packQuantizeParams(count: number): Uint32Array<ArrayBuffer> {
  return Uint32Array.of(count, 0, 0, 0);
}

/**
 * Makes the bind group of one dispatch: bindings 0, 1, … in the shader's order (uniform first).
 * Made once per decoder, since its buffers live as long as it does.
 */
export function bindBuffers(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  buffers: GPUBuffer[],
): GPUBindGroup {
  return device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
}

/**
 * Records one dispatch of a kernel in its own compute pass (passes run in order, so each
 * layer sees the previous layer's complete output).
 *
 * @param encoder The command encoder.
 * @param pipeline The kernel's pipeline.
 * @param bindGroup From {@link bindBuffers}.
 * @param groups How many workgroups to run ({@link groupsFor} for one invocation per element).
 * @param maxPerDim The device's `maxComputeWorkgroupsPerDimension`.
 * @param timestampWrites Where to record the pass's GPU start and end times, if profiling.
 */
export function encodeDispatch(
  encoder: GPUCommandEncoder,
  pipeline: GPUComputePipeline,
  bindGroup: GPUBindGroup,
  groups: number,
  maxPerDim: number,
  timestampWrites?: GPUComputePassTimestampWrites,
): void {
  const pass = encoder.beginComputePass(timestampWrites ? { timestampWrites } : undefined);
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  const [x, y] = dispatchGrid(groups, maxPerDim);
  pass.dispatchWorkgroups(x, y);
  pass.end();
}
