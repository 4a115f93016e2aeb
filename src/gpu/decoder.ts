/**
 * The decoder on the GPU: weights uploaded and pipelines, buffers and bind groups made once;
 * each call decodes a batch of latents to grey frames with one submit and one readback per
 * chunk, a chunk being as many frames as the device's buffer limits allow.
 *
 * @module
 */

import { type Activation, size } from "../architecture.ts";
import { CountdownError } from "../errors.ts";
import {
  activationCode,
  type ConvTransposeDims,
  convTransposeDims,
  resizeModeFor,
} from "../reference.ts";
import type { DecoderWeights } from "../weights.ts";
import type { Gpu } from "./device.ts";
import {
  bindBuffers,
  type ConvKernel,
  convKernelsFor,
  createPipelines,
  denseBlockedApplies,
  denseGroups,
  type DenseKernel,
  denseWalkApplies,
  encodeDispatch,
  groupsFor,
  type KernelName,
  narrowGroups,
  packBlockedWeights,
  packConvTransposeBlockedParams,
  packConvTransposeParams,
  packDenseParams,
  packQuantizeParams,
  packResizeQuantizeParams,
  type Pipelines,
  planBlocked,
  planPairs,
  planRows,
  ROWS_WEIGHT_VEC4S,
} from "./kernels.ts";
import {
  bakeConvTranspose,
  bakedGroups,
  type BakedOptions,
  bakedTemplate,
  createBakedPipeline,
  foldFloatsPerFrame,
  type FoldPlan,
  overlapAddConstants,
  overlapAddGroups,
  overlapAddSource,
  packBakedParams,
  packOverlapAddParams,
  planBaked,
  planFold,
} from "./baked.ts";

/** One recorded kernel launch: its pipeline, bindings, and uniform for a given batch. */
interface Step {
  name: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  uniform: GPUBuffer;
  params: (batch: number) => Uint32Array<ArrayBuffer>;
  groups: (batch: number) => number;
}

function resizeIsIdentity(shape: number[], imsize: number): boolean {
  return shape[0] === imsize && shape[1] === imsize;
}

/**
 * Which generation of kernels a decoder uses: `fastest` (what ships: the fastest kernel that
 * applies to each layer), or an earlier one kept for the benchmark's comparison — `blocked`
 * (version 2: dense.wgsl and conv_transpose_blocked.wgsl) or `straight` (version 1: one
 * invocation per output value).
 */
export type KernelFamily = "fastest" | "blocked" | "straight";

/** A kernel for one layer, forced by {@link GpuDecoderOptions.layerKernels}. */
export type LayerKernel = ConvKernel | DenseKernel;

/** A layer's baked shader: not one of the shared pipelines, but one made for its weights. */
const BAKED = "conv_transpose_baked";

/** The pipeline that runs a convolution with a given kernel. */
function convPipeline(kernel: ConvKernel, d: ConvTransposeDims): KernelName | typeof BAKED {
  switch (kernel) {
    case "baked":
      return BAKED;
    case "narrow":
      return "conv_transpose_narrow";
    case "pairs":
      return "conv_transpose_pairs";
    case "rows":
      return planRows(d).rows === 1 ? "conv_transpose_rows1" : "conv_transpose_rows2";
    case "blocked":
      return planBlocked(d).cov === 2
        ? "conv_transpose_blocked_cov2"
        : "conv_transpose_blocked_cov1";
    default:
      return "conv_transpose";
  }
}

/**
 * The kernel that runs a layer in a family of kernels, unless `forced` names one. `bake` says
 * whether the decoder bakes its layers; `walk`, whether its baked layers walk their frames
 * (version 7): such a decoder, made for large batches, also walks the dense layer's frames
 * (dense_walk.wgsl, version 8), whose compilation a small run would not win back.
 */
function kernelFor(
  p: DecoderWeights["planned"][number],
  family: KernelFamily,
  bake: boolean,
  forced?: LayerKernel,
  walk = true,
): KernelName | typeof BAKED | null {
  const l = p.layer;
  if (l.kind === "dense") {
    if (forced === "dense" || forced === "dense_blocked" || forced === "dense_walk") return forced;
    const inDim = size(p.inShape);
    if (family !== "fastest") return "dense";
    if (bake && walk && denseWalkApplies(inDim, l.units)) return "dense_walk";
    return denseBlockedApplies(inDim, l.units) ? "dense_blocked" : "dense";
  }
  if (l.kind !== "conv2dTranspose") return null;
  const d = convTransposeDims(p, 1);
  const all = convKernelsFor(d);
  if (forced && all.includes(forced as ConvKernel)) {
    return convPipeline(forced as ConvKernel, d);
  }
  const options = bake ? all : all.filter((k) => k !== "baked");
  const choice = family === "straight"
    ? "straight"
    : family === "blocked" && options.includes("blocked")
    ? "blocked"
    : options[0];
  return convPipeline(choice, d);
}

/** A baked layer and the layer it folds in (see {@link GpuDecoderOptions.fold}). */
interface Fold {
  next: DecoderWeights["planned"][number];
  plan: FoldPlan;
  /** The folded layer's activation, applied by the overlap-add. */
  activation: Activation;
}

/** The folds a decoder makes, by the baked layer's planned index. */
function foldsFor(
  w: DecoderWeights,
  family: KernelFamily,
  bake: boolean,
  forced: Record<number, LayerKernel>,
  bakedOptions: BakedOptions,
): Map<number, Fold> {
  const folds = new Map<number, Fold>();
  const convs = w.planned.filter((p) => p.layer.kind !== "reshape");
  for (let i = 0; i + 1 < convs.length; i++) {
    const p = convs[i], next = convs[i + 1];
    if (forced[p.index] !== undefined || forced[next.index] !== undefined) continue;
    if (folds.has(convs[i - 1]?.index)) continue; // p is itself folded into the layer before
    if (next.layer.kind !== "conv2dTranspose") continue;
    if (kernelFor(p, family, bake) !== BAKED) continue;
    const d1 = convTransposeDims(p, 1);
    const baked = planBaked(d1, bakedOptions)!;
    const plan = planFold(d1, baked, convTransposeDims(next, 1));
    // The partial sums go to the activation buffers, sized for the largest layer output.
    if (plan && foldFloatsPerFrame(plan) <= Math.max(...w.planned.map((q) => size(q.outShape)))) {
      folds.set(p.index, { next, plan, activation: next.layer.activation });
    }
  }
  return folds;
}

/**
 * The fewest frames a decoder is made for (its `maxChunkFrames`) at which it bakes the layers'
 * weights into their own shaders. With Mesa's shader cache warm, compiling those (walking, version
 * 7) costs ~0.5–1 s more than the fixed shaders (the benchmark of 2026-12-04 10:12: set-up 708
 * against 155 ms; 1.1–1.3 s in a scratch run on a slower host), and they save ~70 µs a frame on
 * llvmpipe (GPU time at 16,384 frames: 18,913–21,200 frames/s against 8,019; 14,100 against 6,826
 * on the slower host): a default 271-frame GIF is faster without them, the benchmark's largest
 * batches with them. The break-even is near 7,500–15,000 frames. With the cache cold (the first
 * such run on a machine) they cost ~12 s on the slower host, and pay only past ~160,000 frames:
 * this bound assumes the cache warm, which every run after the first finds it (README,
 * "Performance"). The generate job's largest GIF (9,001 frames) stays under it: only the
 * benchmark and library callers with larger batches bake. Such a decoder also walks the dense
 * layer's frames (dense_walk.wgsl): ~1 s more to compile with the cache cold, for ~3 µs a frame
 * (6.3 against 11.7 ms a 2,048-frame pass in a scratch A/B on the slower host).
 */
export const BAKE_MIN_FRAMES = 16384;

/** Options for {@link GpuDecoder.create}. */
export interface GpuDecoderOptions {
  /**
   * Caps the frames per chunk below what the limits allow, and so the buffers' sizes: a caller
   * that knows its batch passes it; tests use it to force splitting.
   */
  maxChunkFrames?: number;
  /** Record each kernel's GPU time with timestamp queries (where the adapter has them). */
  profile?: boolean;
  /**
   * Return the last layer's float32 output (4 bytes a pixel) instead of grey levels; `imsize`
   * must then be the decoder's own output size. The benchmark compares this with tfjs.
   */
  floatOutput?: boolean;
  /**
   * Whether the `fastest` family may use baked kernels (src/gpu/baked.ts). Default: when
   * `maxChunkFrames` is unset or at least {@link BAKE_MIN_FRAMES}.
   */
  bake?: boolean;
  /**
   * Whether a baked layer folds in the stride-1 layer after it (src/gpu/baked.ts, `planFold`),
   * where it applies and neither layer's kernel is forced. Default: true.
   */
  fold?: boolean;
  /**
   * How baked layers run (src/gpu/baked.ts, `planBaked`). Default: an invocation walks all blocks
   * of a frame; the benchmark's history runs one block an invocation.
   */
  baked?: BakedOptions;
  /** The kernels to use (default `fastest`); the benchmark also times the earlier ones. */
  kernels?: KernelFamily;
  /**
   * Forces a kernel on some layers (by planned-layer index) where it applies; the benchmark
   * times every kernel that applies to each layer this way.
   */
  layerKernels?: Record<number, LayerKernel>;
}

/** GPU time of one kernel over a whole decode call, summed over chunks. */
export interface StepTime {
  name: string;
  ms: number;
}

/** The decoder's GPU resources for one device, weights and output size. */
export class GpuDecoder {
  /** Frames decoded per submit. */
  readonly chunkFrames: number;
  readonly #gpu: Gpu;
  readonly #steps: Step[];
  readonly #latents: GPUBuffer;
  readonly #outBytes: GPUBuffer;
  readonly #readback: GPUBuffer;
  #readback2: GPUBuffer | null = null;
  readonly #owned: GPUBuffer[];
  readonly #latentDim: number;
  readonly #frameBytes: number;
  #profile: { querySet: GPUQuerySet; resolve: GPUBuffer; read: GPUBuffer } | null = null;
  /** Per-kernel GPU times of the last {@link decode} call, when created with `profile`. */
  stepTimes: StepTime[] = [];

  private constructor(
    gpu: Gpu,
    chunkFrames: number,
    steps: Step[],
    latents: GPUBuffer,
    outBytes: GPUBuffer,
    readback: GPUBuffer,
    owned: GPUBuffer[],
    latentDim: number,
    frameBytes: number,
  ) {
    this.#gpu = gpu;
    this.chunkFrames = chunkFrames;
    this.#steps = steps;
    this.#latents = latents;
    this.#outBytes = outBytes;
    this.#readback = readback;
    this.#owned = owned;
    this.#latentDim = latentDim;
    this.#frameBytes = frameBytes;
  }

  /**
   * Uploads the weights and builds every pipeline, buffer and bind group.
   *
   * @param gpu An open device.
   * @param w The decoder weights.
   * @param imsize Side of the square output frames.
   * @param options See {@link GpuDecoderOptions}.
   * @returns The decoder.
   * @throws {CountdownError} When a shader fails to compile.
   */
  static async create(
    gpu: Gpu,
    w: DecoderWeights,
    imsize: number,
    options: GpuDecoderOptions = {},
  ): Promise<GpuDecoder> {
    const device = gpu.device;
    const family = options.kernels ?? "fastest";
    const forced = options.layerKernels ?? {};
    const bake = family === "fastest" &&
      (options.bake ?? (options.maxChunkFrames ?? Infinity) >= BAKE_MIN_FRAMES);
    const folds = options.fold === false
      ? new Map<number, Fold>()
      : foldsFor(w, family, bake, forced, options.baked ?? {});
    const folded = new Set([...folds.values()].map((f) => f.next.index));
    // The last pass's pipeline (none for float output); a layer's is made with its activation as a
    // constant, once per kernel and activation.
    const identity = resizeIsIdentity(w.planned[w.planned.length - 1].outShape, imsize);
    const pipelines: Pipelines = await createPipelines(
      device,
      options.floatOutput ? [] : [identity ? "quantize" : "resize_quantize"],
    );
    const layerPipelines = new Map<string, GPUComputePipeline>();
    const layerPipeline = async (name: KernelName, activation: number) => {
      const key = `${name} ${activation}`;
      let pipeline = layerPipelines.get(key);
      if (!pipeline) {
        pipeline = (await createPipelines(device, [name], { ACTIVATION: activation }))[name];
        layerPipelines.set(key, pipeline);
      }
      return pipeline;
    };
    const last = w.planned[w.planned.length - 1].outShape;
    const frameFloats = imsize * imsize;
    const float = options.floatOutput === true;
    // What one frame takes in the output buffer: floats at the decoder's own size, or a byte a pixel.
    const frameBytes = float ? frameFloats * 4 : frameFloats;
    // The activation buffers hold what the passes write: the output of a layer that folds the next
    // one in never exists (its partial sums do), so a decoder that folds takes more frames a
    // chunk, and makes fewer submits and readbacks for a long run.
    const maxFloats = Math.max(
      ...w.planned.filter((p) => !folds.has(p.index)).map((p) => size(p.outShape)),
      ...[...folds.values()].map((f) => foldFloatsPerFrame(f.plan)),
    );
    const bytesPerFrame = Math.max(maxFloats * 4, frameBytes);
    const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    if (bytesPerFrame > limit) {
      throw new CountdownError(
        `One frame needs ${bytesPerFrame} bytes of GPU buffer, over this device's ${limit}-byte limit (lower -i/--imsize or use --device cpu)`,
      );
    }
    const chunkFrames = Math.max(
      1,
      Math.min(Math.floor(limit / bytesPerFrame), options.maxChunkFrames ?? Infinity),
    );
    const owned: GPUBuffer[] = [];
    const STORAGE = GPUBufferUsage.STORAGE;
    const make = (bytes: number, usage: number, label: string) => {
      const b = device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 4) * 4), usage, label });
      owned.push(b);
      return b;
    };
    const upload = (data: Float32Array<ArrayBuffer>, label: string) => {
      const b = make(data.byteLength, STORAGE | GPUBufferUsage.COPY_DST, label);
      device.queue.writeBuffer(b, 0, data);
      return b;
    };
    const uploadUniform = (data: Float32Array<ArrayBuffer>, bytes: number, label: string) => {
      const b = make(bytes, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label);
      device.queue.writeBuffer(b, 0, data);
      return b;
    };
    const latents = make(
      chunkFrames * w.arch.latentDim * 4,
      STORAGE | GPUBufferUsage.COPY_DST,
      "latents",
    );
    if (float && !resizeIsIdentity(last, imsize)) {
      throw new RangeError(
        `Float output needs imsize ${last[0]}, the decoder's own size: got ${imsize}`,
      );
    }
    const actUsage = STORAGE | (float ? GPUBufferUsage.COPY_SRC : 0);
    const ping = make(chunkFrames * maxFloats * 4, actUsage, "ping");
    const pong = make(chunkFrames * maxFloats * 4, actUsage, "pong");
    let outBytes = float
      ? ping
      : make(chunkFrames * frameBytes, STORAGE | GPUBufferUsage.COPY_SRC, "frames");
    const readback = make(
      chunkFrames * frameBytes,
      GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      "readback",
    );
    const uniform = (label: string) =>
      make(64, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label);

    const steps: Step[] = [];
    let src = latents;
    let dst = ping;
    const swap = () => {
      src = dst;
      dst = dst === ping ? pong : ping;
    };
    for (const p of w.planned) {
      const l = p.layer;
      if (l.kind === "reshape") continue;
      const kernelData = w.params.get(`layers.${p.index}.kernel`)!.data;
      const biasData = w.params.get(`layers.${p.index}.bias`)!.data;
      const u = uniform(`layers.${p.index}.params`);
      const act = activationCode(l.activation);
      const perFrame = size(p.outShape);
      if (folded.has(p.index)) continue; // run by the layer before and an overlap-add
      const name = kernelFor(p, family, bake, forced[p.index], options.baked?.walk ?? true)!;
      if (name === BAKED) {
        const d1 = convTransposeDims(p, 1);
        const plan = planBaked(d1, options.baked)!;
        const fold = folds.get(p.index);
        const next = fold && {
          kernel: w.params.get(`layers.${fold.next.index}.kernel`)!.data,
          d: convTransposeDims(fold.next, 1),
          fold: fold.plan,
        };
        const code = bakeConvTranspose(
          await bakedTemplate(),
          kernelData,
          biasData,
          d1,
          l.activation,
          plan,
          next,
        );
        const shapes = fold
          ? `${p.inShape.join("×")}→${p.outShape.join("×")}→${fold.next.outShape.join("×")}`
          : `${p.inShape.join("×")}→${p.outShape.join("×")}`;
        const label = `${name}${fold ? "+fold" : ""} ${shapes}`;
        const pipeline = await createBakedPipeline(device, code, label);
        steps.push({
          name: label,
          pipeline,
          bindGroup: bindBuffers(device, pipeline, [u, src, dst]),
          uniform: u,
          params: (batch) => packBakedParams(convTransposeDims(p, batch), plan),
          groups: (batch) => bakedGroups(convTransposeDims(p, batch), plan),
        });
        swap();
        if (fold) {
          const d2 = (batch: number) => convTransposeDims(fold.next, batch);
          const u2 = uniform(`layers.${fold.next.index}.params`);
          const b2 = upload(
            w.params.get(`layers.${fold.next.index}.bias`)!.data,
            `layers.${fold.next.index}.bias`,
          );
          const addLabel = `overlap_add ${fold.next.outShape.join("×")}`;
          const add = await createBakedPipeline(
            device,
            await overlapAddSource(),
            addLabel,
            overlapAddConstants(d2(1), plan, fold.plan, fold.activation),
          );
          steps.push({
            name: addLabel,
            pipeline: add,
            bindGroup: bindBuffers(device, add, [u2, src, b2, dst]),
            uniform: u2,
            params: (batch) => packOverlapAddParams(d2(batch)),
            groups: (batch) => overlapAddGroups(d2(batch), fold.plan),
          });
          swap();
        }
        continue;
      }
      const pipeline = await layerPipeline(name, act);
      if (l.kind === "dense") {
        const inDim = size(p.inShape);
        const kernel = upload(kernelData, `layers.${p.index}.kernel`);
        const bias = upload(biasData, `layers.${p.index}.bias`);
        steps.push({
          name: `${name} ${inDim}→${l.units}`,
          pipeline,
          bindGroup: bindBuffers(device, pipeline, [u, src, kernel, bias, dst]),
          uniform: u,
          params: (batch) => packDenseParams(batch, inDim, l.units, act),
          groups: (batch) => denseGroups(name as DenseKernel, batch, l.units),
        });
      } else {
        const dims = (batch: number) => convTransposeDims(p, batch);
        const label = `${name} ${p.inShape.join("×")}→${p.outShape.join("×")}`;
        const pairs = name === "conv_transpose_pairs";
        const rows = pairs || name === "conv_transpose_rows1" || name === "conv_transpose_rows2";
        if (
          rows || name === "conv_transpose_blocked_cov1" || name === "conv_transpose_blocked_cov2"
        ) {
          const planFor = pairs ? planPairs : rows ? planRows : planBlocked;
          const packed = packBlockedWeights(kernelData, biasData, dims(1), planFor(dims(1)));
          // The rows and pairs kernels read their weights from a fixed-size uniform array.
          const k = rows
            ? uploadUniform(packed.kernel, ROWS_WEIGHT_VEC4S * 16, `layers.${p.index}.kernel.rows`)
            : upload(packed.kernel, `layers.${p.index}.kernel.blocked`);
          const bb = upload(packed.bias, `layers.${p.index}.bias.blocked`);
          steps.push({
            name: label,
            pipeline,
            bindGroup: bindBuffers(device, pipeline, [u, src, k, bb, dst]),
            uniform: u,
            params: (batch) =>
              packConvTransposeBlockedParams(dims(batch), act, planFor(dims(batch))),
            groups: (batch) => planFor(dims(batch)).groups,
          });
        } else {
          // Version 1 and the narrow kernel read the tfjs layout as it is, the narrow one from a
          // fixed-size uniform array.
          const kernel = name === "conv_transpose_narrow"
            ? uploadUniform(kernelData, ROWS_WEIGHT_VEC4S * 16, `layers.${p.index}.kernel`)
            : upload(kernelData, `layers.${p.index}.kernel`);
          const bias = upload(biasData, `layers.${p.index}.bias`);
          steps.push({
            name: label,
            pipeline,
            bindGroup: bindBuffers(device, pipeline, [u, src, kernel, bias, dst]),
            uniform: u,
            params: (batch) => packConvTransposeParams(dims(batch), act),
            groups: name === "conv_transpose_narrow"
              ? (batch) => narrowGroups(dims(batch))
              : (batch) => groupsFor(batch * perFrame),
          });
        }
      }
      swap();
    }
    const uq = uniform("quantize.params");
    if (float) {
      outBytes = src;
    } else if (identity) {
      // At the decoder's own size the (half-pixel bilinear) resize is the identity: skip it.
      steps.push({
        name: "quantize",
        pipeline: pipelines.quantize,
        bindGroup: bindBuffers(device, pipelines.quantize, [uq, src, outBytes]),
        uniform: uq,
        params: (batch) => packQuantizeParams(batch * frameFloats),
        groups: (batch) => groupsFor(Math.ceil((batch * frameFloats) / 4)),
      });
    } else {
      // Resize and quantise in one pass: no float image of the output size is written.
      const mode = resizeModeFor(Math.max(last[0], last[1]), imsize);
      steps.push({
        name: `resize_quantize ${last[0]}×${last[1]}→${imsize}×${imsize} (${mode})`,
        pipeline: pipelines.resize_quantize,
        bindGroup: bindBuffers(device, pipelines.resize_quantize, [uq, src, outBytes]),
        uniform: uq,
        params: (batch) => packResizeQuantizeParams(batch, last[0], last[1], imsize, imsize, mode),
        groups: (batch) => groupsFor(Math.ceil((batch * frameFloats) / 4)),
      });
    }
    const decoder = new GpuDecoder(
      gpu,
      chunkFrames,
      steps,
      latents,
      outBytes,
      readback,
      owned,
      w.arch.latentDim,
      frameBytes,
    );
    if (options.profile && gpu.hasTimestamps) {
      const count = steps.length * 2;
      decoder.#profile = {
        querySet: device.createQuerySet({ type: "timestamp", count }),
        resolve: make(
          count * 8,
          GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
          "timestamps",
        ),
        read: make(count * 8, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, "timestamps.read"),
      };
    }
    return decoder;
  }

  /**
   * Decodes latents to frames.
   *
   * @param latents (frames, latentDim) float32.
   * @param frames Number of frames.
   * @returns (frames, imsize, imsize) grey levels.
   * @throws {CountdownError} When the device is lost or the readback fails.
   */
  async decode(latents: Float32Array<ArrayBuffer>, frames: number): Promise<Uint8Array> {
    if (latents.length !== frames * this.#latentDim) {
      throw new RangeError(
        `Latents hold ${latents.length} values, expected ${frames}×${this.#latentDim}`,
      );
    }
    const device = this.#gpu.device;
    const out = new Uint8Array(frames * this.#frameBytes);
    const maxPerDim = device.limits.maxComputeWorkgroupsPerDimension;
    const prof = this.#profile;
    this.stepTimes = this.#steps.map((st) => ({ name: st.name, ms: 0 }));
    // Two readback buffers in turn: chunk k + 1 is submitted before chunk k is copied out, so
    // the GPU decodes one chunk while the CPU waits for and copies the one before. The activation
    // buffers need no second set: the queue runs chunk k + 1's kernels after chunk k's copy.
    if (frames > this.chunkFrames && this.#readback2 === null) {
      this.#readback2 = this.#gpu.device.createBuffer({
        size: this.#readback.size,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        label: "readback 2",
      });
      this.#owned.push(this.#readback2);
    }
    const readbacks = [this.#readback, this.#readback2 ?? this.#readback];
    type Chunk = { map: Promise<Error | null>; buffer: GPUBuffer; first: number; batch: number };
    let pending: Chunk | null = null;
    const copyOut = async (c: Chunk) => {
      const failure = await c.map;
      if (failure instanceof Error) {
        throw new CountdownError(`Reading frames back from the GPU failed: ${failure.message}`);
      }
      const n = c.batch * this.#frameBytes;
      const mapped = new Uint8Array(c.buffer.getMappedRange(0, Math.ceil(n / 4) * 4));
      out.set(mapped.subarray(0, n), c.first * this.#frameBytes);
      c.buffer.unmap();
    };
    try {
      for (let first = 0, k = 0; first < frames; first += this.chunkFrames, k++) {
        const batch = Math.min(this.chunkFrames, frames - first);
        device.queue.writeBuffer(
          this.#latents,
          0,
          latents,
          first * this.#latentDim,
          batch * this.#latentDim,
        );
        for (const s of this.#steps) device.queue.writeBuffer(s.uniform, 0, s.params(batch));
        const encoder = device.createCommandEncoder();
        for (const s of this.#steps) {
          encodeDispatch(encoder, s.pipeline, s.bindGroup, s.groups(batch), maxPerDim);
        }
        const bytes = Math.ceil((batch * this.#frameBytes) / 4) * 4;
        const buffer = readbacks[k % 2];
        encoder.copyBufferToBuffer(this.#outBytes, 0, buffer, 0, bytes);
        device.queue.submit([encoder.finish()]);
        // A rejection is kept as a value until its turn, so none goes unhandled meanwhile.
        const map = buffer.mapAsync(GPUMapMode.READ, 0, bytes).then(() => null, (e) => e as Error);
        const previous = pending;
        pending = { map, buffer, first, batch };
        if (previous) await copyOut(previous);
        if (prof) {
          await copyOut(pending);
          pending = null;
          await prof.read.mapAsync(GPUMapMode.READ);
          const t = new BigInt64Array(prof.read.getMappedRange().slice(0));
          prof.read.unmap();
          this.stepTimes.forEach((st, i) => st.ms += Number(t[2 * i + 1] - t[2 * i]) / 1e6);
        }
      }
      if (pending) await copyOut(pending);
    } finally {
      // After a failure, leave no buffer mapped or mapping for the next call.
      for (const b of new Set(readbacks)) {
        try {
          if (b.mapState !== "unmapped") b.unmap();
        } catch {
          // A lost device's buffers cannot be unmapped; the error already on its way says why.
        }
      }
    }
    return out;
  }

  /**
   * Runs the kernels of one chunk `reps` times in a single submit, with only a 4-byte readback at
   * the end, and returns the wall time in milliseconds. Two such calls give the GPU time of a
   * pass without the fixed cost of a readback, on adapters without timestamp queries.
   *
   * @param only Runs just the step with this index (see {@link stepNames}), to time one kernel.
   */
  async timeDispatches(batch: number, reps: number, only?: number): Promise<number> {
    if (batch > this.chunkFrames) {
      throw new RangeError(`Batch ${batch} is over a chunk (${this.chunkFrames})`);
    }
    const device = this.#gpu.device;
    const maxPerDim = device.limits.maxComputeWorkgroupsPerDimension;
    for (const s of this.#steps) device.queue.writeBuffer(s.uniform, 0, s.params(batch));
    const start = performance.now();
    const encoder = device.createCommandEncoder();
    const steps = only === undefined ? this.#steps : [this.#steps[only]];
    for (let r = 0; r < reps; r++) {
      for (const s of steps) {
        encodeDispatch(encoder, s.pipeline, s.bindGroup, s.groups(batch), maxPerDim);
      }
    }
    encoder.copyBufferToBuffer(this.#outBytes, 0, this.#readback, 0, 4);
    device.queue.submit([encoder.finish()]);
    await this.#readback.mapAsync(GPUMapMode.READ, 0, 4);
    this.#readback.unmap();
    return performance.now() - start;
  }

  /** The kernels one chunk runs, in order. */
  get stepNames(): string[] {
    return this.#steps.map((s) => s.name);
  }

  /** Frees the GPU buffers (the device stays open). */
  destroy(): void {
    for (const b of this.#owned) b.destroy();
    this.#profile?.querySet.destroy();
  }
}
