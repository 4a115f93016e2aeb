/**
 * The baked transposed convolution: `shaders/conv_transpose_baked.wgsl` with one layer's weights
 * written in as literals and its per-block loops unrolled. Why: on llvmpipe a load from a buffer
 * is a gather lane by lane whatever its address, so weights read from memory cost several FMAs
 * each, while a literal costs nothing to load (README, "Performance").
 *
 * @module
 */

import { CountdownError } from "../errors.ts";
import type { Activation } from "../architecture.ts";
import type { ConvTransposeDims } from "../reference.ts";
import { WORKGROUP_SIZE } from "./kernels.ts";

/**
 * The most unrolled statements one baked shader may hold. The shipped decoder's largest layer
 * has 2,304; the bound keeps shader compilation (synchronous in Deno) within a second or so.
 */
export const MAX_BAKED_STATEMENTS = 6144;

/** How the baked kernel covers a layer: the block an invocation computes, and their count. */
export interface BakedPlan {
  /** Phase blocks (strideH × strideW output pixels each) down and across one invocation's block. */
  blockY: number;
  blockX: number;
  /** Blocks down and across a frame. */
  blocksY: number;
  blocksX: number;
  /** Whether `out` holds vec4s of 4 channels (outC a multiple of 4) or single floats. */
  vec4Out: boolean;
  /** Unrolled multiply-add statements in the shader. */
  statements: number;
}

/** One kernel tap of one output pixel of a block: kernel (ky, kx) reads input offset (dy, dx). */
interface Tap {
  ky: number;
  kx: number;
  dy: number;
  dx: number;
}

/** Input offsets and kernel indices that output offset `l` (within a block) receives, one axis. */
function axisTaps(l: number, k: number, stride: number, pad: number): { k: number; d: number }[] {
  const out: { k: number; d: number }[] = [];
  for (let kk = 0; kk < k; kk++) {
    const t = l + pad - kk;
    if (((t % stride) + stride) % stride === 0) out.push({ k: kk, d: t / stride });
  }
  return out;
}

function pixelTaps(d: ConvTransposeDims, ly: number, lx: number): Tap[] {
  const taps: Tap[] = [];
  for (const y of axisTaps(ly, d.kH, d.strideH, d.padTop)) {
    for (const x of axisTaps(lx, d.kW, d.strideW, d.padLeft)) {
      taps.push({ ky: y.k, kx: x.k, dy: y.d, dx: x.d });
    }
  }
  return taps;
}

/**
 * Plans the baked kernel for a layer, or returns null where it does not apply (input channels
 * not in fours, or more unrolled statements than {@link MAX_BAKED_STATEMENTS}). At stride 2 an
 * invocation takes one phase block (2×2 output pixels, all four phases from one 2×2 input window);
 * at stride 1, where a lone pixel would load its 3×3 window for one output, 4×4 pixels.
 *
 * @param d The layer's sizes.
 * @returns The plan, or null.
 */
export function planBaked(d: ConvTransposeDims): BakedPlan | null {
  if (d.inC % 4 !== 0) return null;
  const blockY = d.strideH === 1 ? 4 : 1;
  const blockX = d.strideW === 1 ? 4 : 1;
  const vec4Out = d.outC % 4 === 0;
  let taps = 0;
  for (let ly = 0; ly < blockY * d.strideH; ly++) {
    for (let lx = 0; lx < blockX * d.strideW; lx++) taps += pixelTaps(d, ly, lx).length;
  }
  const statements = taps * (d.inC / 4) * (vec4Out ? d.outC / 4 : d.outC);
  if (statements > MAX_BAKED_STATEMENTS) return null;
  return {
    blockY,
    blockX,
    blocksY: Math.ceil(d.outH / (blockY * d.strideH)),
    blocksX: Math.ceil(d.outW / (blockX * d.strideW)),
    vec4Out,
    statements,
  };
}

/** Workgroups of one baked dispatch: an invocation per block. */
export function bakedGroups(d: ConvTransposeDims, plan: BakedPlan): number {
  return Math.max(1, Math.ceil((d.batch * plan.blocksY * plan.blocksX) / WORKGROUP_SIZE));
}

/** Mirrors `Params` in shaders/conv_transpose_baked.wgsl. */
export function packBakedParams(d: ConvTransposeDims, plan: BakedPlan): Uint32Array<ArrayBuffer> {
  return Uint32Array.of(
    d.batch,
    d.inH,
    d.inW,
    d.inC / 4,
    d.outH,
    d.outW,
    d.outC,
    plan.blocksY,
    plan.blocksX,
    plan.blockY,
    plan.blockX,
  );
}

/**
 * The shortest decimal that reads back as the same float32, as a WGSL literal (which the
 * compiler reads as a double, then rounds to f32, as `Math.fround` does).
 *
 * @throws {RangeError} For a value that is not finite.
 */
export function f32Literal(v: number): string {
  const f = Math.fround(v);
  if (!Number.isFinite(f)) throw new RangeError(`Weight ${v} is not a finite float32`);
  if (f === 0) return "0.0";
  for (let digits = 1; digits <= 9; digits++) {
    const s = f.toPrecision(digits);
    if (Math.fround(Number(s)) === f) return /[.e]/.test(s) ? s : `${s}.0`;
  }
  return f.toPrecision(9);
}

/** The activation as a WGSL expression of a vec4f (twin of activate() in src/reference.ts). */
function activationWgsl(act: Activation, v: string): string {
  switch (act) {
    case "relu":
      return `max(${v}, vec4f(0.0))`;
    case "sigmoid":
      return `1.0 / (1.0 + exp(-${v}))`;
    case "tanh":
      return `tanh(${v})`;
    default:
      return v;
  }
}
const tag = (v: number) => (v < 0 ? `m${-v}` : `${v}`);
const xName = (dy: number, dx: number, c4: number) => `x_${tag(dy)}_${tag(dx)}_${c4}`;

/**
 * Writes one layer's baked shader from the template: the input loads its block needs, one
 * unrolled sum per output pixel and channel (vec4) with the weights as literals, the stores.
 *
 * @param template The text of shaders/conv_transpose_baked.wgsl.
 * @param kernel tfjs layout (kH, kW, outC, inC).
 * @param bias (outC).
 * @param d The layer's sizes (the batch is not used: it stays a uniform).
 * @param act The layer's activation.
 * @param plan From {@link planBaked}.
 * @returns WGSL source.
 * @throws {RangeError} When the template lacks a `//@bake` line or a weight is not finite.
 */
export function bakeConvTranspose(
  template: string,
  kernel: Float32Array,
  bias: Float32Array,
  d: ConvTransposeDims,
  act: Activation,
  plan: BakedPlan,
): string {
  const w = (ky: number, kx: number, co: number, ci: number) =>
    kernel[((ky * d.kW + kx) * d.outC + co) * d.inC + ci];
  const c4s = d.inC / 4;
  const pixels: { ly: number; lx: number; taps: Tap[] }[] = [];
  const offsets = new Map<string, [number, number]>();
  for (let ly = 0; ly < plan.blockY * d.strideH; ly++) {
    for (let lx = 0; lx < plan.blockX * d.strideW; lx++) {
      const taps = pixelTaps(d, ly, lx);
      pixels.push({ ly, lx, taps });
      for (const t of taps) offsets.set(`${t.dy},${t.dx}`, [t.dy, t.dx]);
    }
  }
  const origin = [
    `  let oy0 = u32(iy0) * ${d.strideH}u;`,
    `  let ox0 = u32(ix0) * ${d.strideW}u;`,
  ];
  const loads: string[] = [];
  for (const [dy, dx] of offsets.values()) {
    for (let c4 = 0; c4 < c4s; c4++) {
      loads.push(
        `  let ${xName(dy, dx, c4)} = load_x(b, iy0 + (${dy}), ix0 + (${dx}), ${c4}u);`,
      );
    }
  }
  const sums: string[] = [];
  const stores: string[] = [];
  for (const { ly, lx, taps } of pixels) {
    const at = `out_at(b, oy0 + ${ly}u, ox0 + ${lx}u)`;
    const pixelStores: string[] = [];
    if (plan.vec4Out) {
      for (let cv = 0; cv < d.outC / 4; cv++) {
        const a = `a_${ly}_${lx}_${cv}`;
        const b4 = [0, 1, 2, 3].map((j) => f32Literal(bias[4 * cv + j])).join(", ");
        sums.push(`  var ${a} = vec4f(${b4});`);
        for (const t of taps) {
          for (let c4 = 0; c4 < c4s; c4++) {
            // Column k: input channel 4·c4 + k into output channels 4·cv…+3.
            const m: string[] = [];
            for (let k = 0; k < 4; k++) {
              for (let j = 0; j < 4; j++) m.push(f32Literal(w(t.ky, t.kx, 4 * cv + j, 4 * c4 + k)));
            }
            sums.push(`  ${a} += mat4x4f(${m.join(", ")}) * ${xName(t.dy, t.dx, c4)};`);
          }
        }
        pixelStores.push(`    out[o * ${d.outC / 4}u + ${cv}u] = ${activationWgsl(act, a)};`);
      }
    } else {
      for (let co = 0; co < d.outC; co++) {
        const a = `a_${ly}_${lx}_${co}`;
        sums.push(`  var ${a} = ${f32Literal(bias[co])};`);
        for (const t of taps) {
          for (let c4 = 0; c4 < c4s; c4++) {
            const ws = [0, 1, 2, 3].map((j) => f32Literal(w(t.ky, t.kx, co, 4 * c4 + j)));
            sums.push(`  ${a} += dot(${xName(t.dy, t.dx, c4)}, vec4f(${ws.join(", ")}));`);
          }
        }
        pixelStores.push(
          `    out[o * ${d.outC}u + ${co}u] = (${activationWgsl(act, `vec4f(${a})`)}).x;`,
        );
      }
    }
    stores.push(
      `  if (oy0 + ${ly}u < p.out_h && ox0 + ${lx}u < p.out_w) {`,
      `    let o = ${at};`,
      ...pixelStores,
      `  }`,
    );
  }
  const parts: Record<string, string[]> = {
    "out-type": [`alias Out = ${plan.vec4Out ? "vec4f" : "f32"};`],
    origin,
    loads,
    sums,
    stores,
  };
  let code = template;
  for (const [name, lines] of Object.entries(parts)) {
    const marker = new RegExp(`^.*//@bake ${name}$`, "m");
    if (!marker.test(code)) {
      throw new RangeError(`The baked-kernel template has no "//@bake ${name}" line`);
    }
    code = code.replace(marker, () => lines.join("\n"));
  }
  return code;
}

let templateText: string | null = null;

/**
 * Reads the baked kernel's template once per process.
 *
 * @throws {CountdownError} When the file cannot be read.
 */
export async function bakedTemplate(): Promise<string> {
  if (templateText !== null) return templateText;
  const url = new URL("../../shaders/conv_transpose_baked.wgsl", import.meta.url);
  try {
    templateText = await Deno.readTextFile(url);
  } catch (e) {
    throw new CountdownError(
      `Shader ${decodeURIComponent(url.pathname)} cannot be read: ${(e as Error).message}`,
    );
  }
  return templateText;
}

/**
 * Compiles one baked shader.
 *
 * @throws {CountdownError} When it fails to compile.
 */
export async function createBakedPipeline(
  device: GPUDevice,
  code: string,
  label: string,
): Promise<GPUComputePipeline> {
  device.pushErrorScope("validation");
  const module = device.createShaderModule({ code, label });
  const pipeline = device.createComputePipeline({
    label,
    layout: "auto",
    compute: { module, entryPoint: "main", constants: { WG: WORKGROUP_SIZE } },
  });
  const error = await device.popErrorScope();
  if (error) {
    throw new CountdownError(`Baked shader ${label} failed to compile: ${error.message}`);
  }
  return pipeline;
}
