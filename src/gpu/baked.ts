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
import { activate, activationCode, type ConvTransposeDims } from "../reference.ts";
import { WORKGROUP_SIZE } from "./kernels.ts";

/**
 * The most unrolled statements one baked layer may hold. The shipped
 * decoder's largest layer has 576; the bound keeps shader compilation (synchronous in Deno)
 * within a second or so.
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
  /**
   * Whether an invocation walks all blocks of a frame, row by row, left to right (version 7),
   * keeping the input columns the next block shares with this one, or takes one block (version 6
   * and before).
   */
  walk: boolean;
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

/** Choices {@link planBaked} makes that a caller (the benchmark's history, tests) may set. */
export interface BakedOptions {
  /** Walk all blocks of a frame an invocation (default true). */
  walk?: boolean;
}

/**
 * Plans the baked kernel for a layer, or returns null where it does not apply (input channels
 * not in fours, or more unrolled statements than {@link MAX_BAKED_STATEMENTS}). At stride 2 an
 * invocation's block is one phase block (2×2 output pixels, all four phases from one 2×2 input
 * window); at stride 1, where a lone pixel would load its 3×3 window for one output, 4×4 pixels.
 *
 * @param d The layer's sizes.
 * @param options See {@link BakedOptions}.
 * @returns The plan, or null.
 */
export function planBaked(d: ConvTransposeDims, options: BakedOptions = {}): BakedPlan | null {
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
    walk: options.walk ?? true,
  };
}

/** Workgroups of one baked dispatch: an invocation per frame (walk) or per block. */
export function bakedGroups(d: ConvTransposeDims, plan: BakedPlan): number {
  const perFrame = plan.walk ? 1 : plan.blocksY * plan.blocksX;
  return Math.max(1, Math.ceil((d.batch * perFrame) / WORKGROUP_SIZE));
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
 * How a baked layer folds the stride-1 transposed convolution after it (version 6): each
 * invocation multiplies its block of (activated) outputs by the next layer's weights at once, for
 * every output of the next layer they reach: a region overlapping its neighbours'.
 * `shaders/overlap_add.wgsl` sums the regions. The next layer's input is then never stored nor
 * loaded (on llvmpipe a load costs ~100 FMAs).
 *
 * Layout of the partial sums: the next layer's output, padded by (padTop, padLeft), is cut into
 * cells of stepH × stepW pixels, one block's size. A block's region starts on the cell of its own
 * index and spans qY × qX cells. A walking invocation adds up, as it goes along a row of blocks,
 * what its blocks give each cell of the qY rows of cells they reach, and stores a cell's sum once
 * no later block of the row reaches it: a slot of `slotFloats` per cell and block row, under the
 * cell with the others that cell receives: (B, cellsY, cellsX, qY, slotFloats), a slot being
 * (stepH, stepW, outC) zero-padded to whole vec4s. So the overlap-add reads, for a cell,
 * qY·slotFloats contiguous floats, as vec4s.
 */
export interface FoldPlan {
  /** Rows and columns of a block's region in the next layer's output. */
  regionH: number;
  regionW: number;
  /** The next layer's output channels. */
  outC: number;
  /** Output rows and columns between neighbouring blocks (a block's size in pixels): a cell. */
  stepH: number;
  stepW: number;
  /** Cells a region spans down and across. */
  qY: number;
  qX: number;
  /** Cells down and across a frame. */
  cellsY: number;
  cellsX: number;
  /** Floats a slot takes: stepH·stepW·outC rounded up to 4. */
  slotFloats: number;
}

/** The most output channels a folded layer may have: its FMAs run one float at a time. */
export const MAX_FOLD_CHANNELS = 4;

/** The largest slot, in vec4s, that shaders/overlap_add.wgsl accumulates (its `acc` array). */
export const MAX_SLOT_VEC4S = 16;

/** Floats of partial sums a folding layer writes per frame. */
export function foldFloatsPerFrame(fold: FoldPlan): number {
  return fold.cellsY * fold.cellsX * fold.qY * fold.slotFloats;
}

/**
 * Plans folding layer `d2` into the baked layer `d1` before it, or returns null where it does not
 * apply: `d2` must have stride 1 and few output channels, and `d1` vec4 outputs and a walking
 * plan.
 *
 * @param d1 The baked layer's sizes.
 * @param plan Its baked plan.
 * @param d2 The next layer's sizes (its input is `d1`'s output).
 * @returns The plan, or null.
 */
export function planFold(
  d1: ConvTransposeDims,
  plan: BakedPlan,
  d2: ConvTransposeDims,
): FoldPlan | null {
  if (!plan.vec4Out || !plan.walk || d2.strideH !== 1 || d2.strideW !== 1) return null;
  if (d2.outC > MAX_FOLD_CHANNELS || d2.inC !== d1.outC) return null;
  if (d2.inH !== d1.outH || d2.inW !== d1.outW) return null;
  const stepH = plan.blockY * d1.strideH;
  const stepW = plan.blockX * d1.strideW;
  const slotFloats = Math.ceil((stepH * stepW * d2.outC) / 4) * 4;
  if (slotFloats / 4 > MAX_SLOT_VEC4S) return null;
  const regionH = stepH + d2.kH - 1;
  const regionW = stepW + d2.kW - 1;
  // The folded sums are unrolled too: one per block pixel, channel vec4, tap and output channel.
  const folded = stepH * stepW * (d1.outC / 4) * d2.kH * d2.kW * d2.outC;
  if (plan.statements + folded > MAX_BAKED_STATEMENTS) return null;
  const qY = Math.ceil(regionH / stepH);
  const qX = Math.ceil(regionW / stepW);
  return {
    regionH,
    regionW,
    outC: d2.outC,
    stepH,
    stepW,
    qY,
    qX,
    cellsY: plan.blocksY + qY - 1,
    cellsX: plan.blocksX + qX - 1,
    slotFloats,
  };
}

/** Where region float (ry, rx, co) of block (b, by, bx) is summed in the partial sums. */
function slotIndex(fold: FoldPlan, b: number, by: number, bx: number, ry: number, rx: number) {
  const qy = Math.floor(ry / fold.stepH), qx = Math.floor(rx / fold.stepW);
  const cell = (b * fold.cellsY + by + qy) * fold.cellsX + bx + qx;
  const slot = cell * fold.qY + qy;
  const within = ((ry - qy * fold.stepH) * fold.stepW + rx - qx * fold.stepW) * fold.outC;
  return slot * fold.slotFloats + within;
}

/**
 * What a folding baked kernel writes (its twin): each block's partial sums of the next layer,
 * from the baked layer's activated output `h` (B, outH, outW, outC), without bias, in the
 * layout of {@link FoldPlan}. Slots no block writes stay zero here (on the GPU they are never
 * written nor read).
 *
 * @returns (B, cellsY, cellsX, qY·qX, slotFloats).
 */
export function foldPartials(
  h: Float32Array,
  d1: ConvTransposeDims,
  plan: BakedPlan,
  kernel2: Float32Array,
  d2: ConvTransposeDims,
  fold: FoldPlan,
): Float32Array<ArrayBuffer> {
  const out = new Float32Array(d1.batch * foldFloatsPerFrame(fold));
  const c1 = d1.outC;
  for (let b = 0; b < d1.batch; b++) {
    for (let by = 0; by < plan.blocksY; by++) {
      for (let bx = 0; bx < plan.blocksX; bx++) {
        for (let ly = 0; ly < fold.stepH; ly++) {
          const y = by * fold.stepH + ly;
          if (y >= d1.outH) continue;
          for (let lx = 0; lx < fold.stepW; lx++) {
            const x = bx * fold.stepW + lx;
            if (x >= d1.outW) continue;
            const hBase = ((b * d1.outH + y) * d1.outW + x) * c1;
            for (let ky = 0; ky < d2.kH; ky++) {
              for (let kx = 0; kx < d2.kW; kx++) {
                for (let co = 0; co < d2.outC; co++) {
                  const wBase = ((ky * d2.kW + kx) * d2.outC + co) * d2.inC;
                  let acc = 0;
                  for (let ci = 0; ci < c1; ci++) acc += h[hBase + ci] * kernel2[wBase + ci];
                  out[slotIndex(fold, b, by, bx, ly + ky, lx + kx) + co] += acc;
                }
              }
            }
          }
        }
      }
    }
  }
  return out;
}

/**
 * Sums the slots each cell received from the block rows that exist, adds the bias and activates
 * (twin of `shaders/overlap_add.wgsl`).
 *
 * @returns (B, outH, outW, outC) of the folded layer `d2`.
 */
export function overlapAdd(
  part: Float32Array,
  plan: BakedPlan,
  d2: ConvTransposeDims,
  fold: FoldPlan,
  bias2: Float32Array,
  act: Activation,
): Float32Array<ArrayBuffer> {
  const out = new Float32Array(d2.batch * d2.outH * d2.outW * d2.outC);
  for (let b = 0; b < d2.batch; b++) {
    for (let y = 0; y < d2.outH; y++) {
      for (let x = 0; x < d2.outW; x++) {
        const ty = y + d2.padTop, tx = x + d2.padLeft;
        const cy = Math.floor(ty / fold.stepH), cx = Math.floor(tx / fold.stepW);
        for (let co = 0; co < d2.outC; co++) {
          let s = bias2[co];
          // Slot qy holds what block row cy − qy gave the cell, all its blocks together.
          for (let qy = 0; qy < fold.qY; qy++) {
            const by = cy - qy;
            if (by < 0 || by >= plan.blocksY) continue;
            s += part[slotIndex(fold, b, by, cx, ty - by * fold.stepH, tx - cx * fold.stepW) + co];
          }
          out[((b * d2.outH + y) * d2.outW + x) * d2.outC + co] = activate(s, act);
        }
      }
    }
  }
  return out;
}

/** Mirrors `Params` in shaders/overlap_add.wgsl: only the batch. */
export function packOverlapAddParams(d2: ConvTransposeDims): Uint32Array<ArrayBuffer> {
  return Uint32Array.of(d2.batch);
}

/** The override constants of shaders/overlap_add.wgsl for one fold. */
export function overlapAddConstants(
  d2: ConvTransposeDims,
  plan: BakedPlan,
  fold: FoldPlan,
  act: Activation,
): Record<string, number> {
  return {
    OUT_H: d2.outH,
    OUT_W: d2.outW,
    OUT_C: d2.outC,
    BLOCKS_Y: plan.blocksY,
    CELLS_Y: fold.cellsY,
    CELLS_X: fold.cellsX,
    Q_Y: fold.qY,
    STEP_H: fold.stepH,
    STEP_W: fold.stepW,
    PAD_TOP: d2.padTop,
    PAD_LEFT: d2.padLeft,
    SLOT_VEC4S: fold.slotFloats / 4,
    ACTIVATION: activationCode(act),
  };
}

/** Workgroups of one overlap-add dispatch: an invocation per cell. */
export function overlapAddGroups(d2: ConvTransposeDims, fold: FoldPlan): number {
  return Math.max(1, Math.ceil((d2.batch * fold.cellsY * fold.cellsX) / WORKGROUP_SIZE));
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
const rName = (ry: number, rx: number, co: number) => `r_${ry}_${rx}_${co}`;

/**
 * Writes one layer's baked shader from the template: the input loads its block needs, one
 * unrolled sum per output pixel and channel (vec4) with the weights as literals, the stores.
 * Walking (plan.walk), an invocation runs this for each block of its frame in a loop, and loads
 * only the input columns the block before in the row did not: the others move over (for a
 * stride-2 layer, half its loads).
 *
 * @param template The text of shaders/conv_transpose_baked.wgsl.
 * @param kernel tfjs layout (kH, kW, outC, inC).
 * @param bias (outC).
 * @param d The layer's sizes (the batch is not used: it stays a uniform).
 * @param act The layer's activation.
 * @param plan From {@link planBaked}.
 * @param next The folded layer, if any: its kernel, sizes and {@link FoldPlan}.
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
  next?: { kernel: Float32Array; d: ConvTransposeDims; fold: FoldPlan },
): string {
  if (next && !(plan.vec4Out && plan.walk)) {
    throw new RangeError("Only a walking layer with vec4 outputs can fold");
  }
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
  // Walking, the offsets the next block to the right also reads are carried over to it.
  const carried = plan.walk
    ? [...offsets.values()]
      .filter(([dy, dx]) => offsets.has(`${dy},${dx + plan.blockX}`))
      .sort((a, b) => a[1] - b[1])
    : [];
  const isCarried = new Set(carried.map(([dy, dx]) => `${dy},${dx}`));
  const fresh = [...offsets.values()].filter(([dy, dx]) => !isCarried.has(`${dy},${dx}`));
  const loads = (list: [number, number][], decl: string, ix: string) =>
    list.flatMap(([dy, dx]) =>
      Array.from(
        { length: c4s },
        (_, c4) =>
          `  ${decl} ${xName(dy, dx, c4)} = load_x(b, iy0 + (${dy}), ${ix}(${dx}), ${c4}u);`,
      )
    );
  const sums: string[] = [];
  const stores: string[] = [];
  for (const { ly, lx, taps } of pixels) {
    const at = `out_at(b, oy0 + ${ly}u, ox0 + ${lx}u)`;
    const pixelStores: string[] = [];
    if (plan.vec4Out) {
      for (let cv = 0; cv < d.outC / 4; cv++) {
        const a = `a_${ly}_${lx}_${cv}`;
        const b4 = [0, 1, 2, 3].map((j) => f32Literal(bias[4 * cv + j])).join(", ");
        // Four partial sums, one per input channel of a vec4 (column k of each 4×4 product), so
        // that 16 FMA chains are in flight; explicit fma(), as llvmpipe does not fuse a
        // product and a sum: each would be a multiply and an add.
        for (let k = 0; k < 4; k++) sums.push(`  var ${a}_${k} = vec4f(0.0);`);
        for (const t of taps) {
          for (let c4 = 0; c4 < c4s; c4++) {
            for (let k = 0; k < 4; k++) {
              // Input channel 4·c4 + k into output channels 4·cv…+3.
              const col = [0, 1, 2, 3].map((j) =>
                f32Literal(w(t.ky, t.kx, 4 * cv + j, 4 * c4 + k))
              );
              const xk = `${xName(t.dy, t.dx, c4)}.${"xyzw"[k]}`;
              sums.push(`  ${a}_${k} = fma(vec4f(${col.join(", ")}), vec4f(${xk}), ${a}_${k});`);
            }
          }
        }
        sums.push(`  let ${a} = vec4f(${b4}) + (${a}_0 + ${a}_1) + (${a}_2 + ${a}_3);`);
        if (next) {
          // This pixel's channels 4·cv…+3 times the next layer's taps, into its region.
          const h = `h_${ly}_${lx}_${cv}`;
          sums.push(
            `  let ${h} = select(vec4f(0.0), ${activationWgsl(act, a)}, ` +
              `oy0 + ${ly}u < p.out_h && ox0 + ${lx}u < p.out_w);`,
          );
          const d2 = next.d;
          for (let ky = 0; ky < d2.kH; ky++) {
            for (let kx = 0; kx < d2.kW; kx++) {
              for (let co = 0; co < d2.outC; co++) {
                const base = ((ky * d2.kW + kx) * d2.outC + co) * d2.inC + 4 * cv;
                const ws = [0, 1, 2, 3].map((j) => f32Literal(next.kernel[base + j]));
                sums.push(
                  `  ${rName(ly + ky, lx + kx, co)} += dot(${h}, vec4f(${ws.join(", ")}));`,
                );
              }
            }
          }
        } else {
          pixelStores.push(`    out[o * ${d.outC / 4}u + ${cv}u] = ${activationWgsl(act, a)};`);
        }
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
    if (pixelStores.length > 0) {
      stores.push(
        `  if (oy0 + ${ly}u < p.out_h && ox0 + ${lx}u < p.out_w) {`,
        `    let o = ${at};`,
        ...pixelStores,
        `  }`,
      );
    }
  }
  // The fold's sums along the row (layout: FoldPlan): qY·stepH rows by qX·stepW columns of a
  // block's cells, held from block to block; each block stores the left column of cells, which no
  // later block reaches, and moves the others left by a cell.
  const rowStart: string[] = [];
  const rowEnd: string[] = [];
  if (next) {
    const f = next.fold;
    const rows = f.qY * f.stepH, cols = f.qX * f.stepW;
    for (let ry = 0; ry < rows; ry++) {
      for (let rx = 0; rx < cols; rx++) {
        for (let co = 0; co < f.outC; co++) rowStart.push(`  var ${rName(ry, rx, co)} = 0.0;`);
      }
    }
    // Stores cell column `band` of the held sums (0: the block's own) at output cell column `cx`.
    const storeBand = (band: number, cx: string) => {
      const lines: string[] = [];
      for (let qy = 0; qy < f.qY; qy++) {
        const vals: string[] = [];
        for (let ly = 0; ly < f.stepH; ly++) {
          for (let lx = 0; lx < f.stepW; lx++) {
            for (let co = 0; co < f.outC; co++) {
              vals.push(rName(qy * f.stepH + ly, band * f.stepW + lx, co));
            }
          }
        }
        while (vals.length < f.slotFloats) vals.push("0.0");
        const slot =
          `((b * ${f.cellsY}u + by + ${qy}u) * ${f.cellsX}u + ${cx}) * ${f.qY}u + ${qy}u`;
        for (let v = 0; v < f.slotFloats / 4; v++) {
          lines.push(
            `  out[(${slot}) * ${f.slotFloats / 4}u + ${v}u] = ` +
              `vec4f(${vals.slice(4 * v, 4 * v + 4).join(", ")});`,
          );
        }
      }
      return lines;
    };
    stores.push(...storeBand(0, "bx"));
    for (let ry = 0; ry < rows; ry++) {
      for (let rx = 0; rx < cols; rx++) {
        for (let co = 0; co < f.outC; co++) {
          const from = rx + f.stepW < cols ? rName(ry, rx + f.stepW, co) : "0.0";
          stores.push(`  ${rName(ry, rx, co)} = ${from};`);
        }
      }
    }
    // After the row's last block, the cells right of it.
    for (let band = 0; band + 1 < f.qX; band++) {
      rowEnd.push(...storeBand(band, `p.blocks_x + ${band}u`));
    }
  }
  const body = plan.walk
    ? [
      `  if (n >= p.batch) { return; }`,
      `  let b = n;`,
      `  for (var by = 0u; by < p.blocks_y; by += 1u) {`,
      `  let iy0 = i32(by * p.block_h);`,
      `  let oy0 = u32(iy0) * ${d.strideH}u;`,
      ...loads(carried, "var", ""),
      ...rowStart,
      `  for (var bx = 0u; bx < p.blocks_x; bx += 1u) {`,
      `  let ix0 = i32(bx * p.block_w);`,
      `  let ox0 = u32(ix0) * ${d.strideW}u;`,
      ...loads(fresh, "let", "ix0 + "),
      ...sums,
      ...stores,
      // Ascending dx: each carried value is read before it is itself replaced.
      ...carried.flatMap(([dy, dx]) =>
        Array.from(
          { length: c4s },
          (_, c4) => `  ${xName(dy, dx, c4)} = ${xName(dy, dx + plan.blockX, c4)};`,
        )
      ),
      `  }`,
      ...rowEnd,
      `  }`,
    ]
    : [
      `  if (n >= p.batch * p.blocks_y * p.blocks_x) { return; }`,
      `  let bx = n % p.blocks_x;`,
      `  let by = (n / p.blocks_x) % p.blocks_y;`,
      `  let b = n / (p.blocks_x * p.blocks_y);`,
      `  let iy0 = i32(by * p.block_h);`,
      `  let ix0 = i32(bx * p.block_w);`,
      `  let oy0 = u32(iy0) * ${d.strideH}u;`,
      `  let ox0 = u32(ix0) * ${d.strideW}u;`,
      ...loads(fresh, "let", "ix0 + "),
      ...sums,
      ...stores,
    ];
  const parts: Record<string, string[]> = {
    "out-type": [`alias Out = ${plan.vec4Out ? "vec4f" : "f32"};`],
    body,
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

const sources = new Map<string, string>();

/** Reads a shader file once per process. */
async function shaderSource(file: string): Promise<string> {
  const cached = sources.get(file);
  if (cached !== undefined) return cached;
  const url = new URL(`../../shaders/${file}`, import.meta.url);
  try {
    const text = await Deno.readTextFile(url);
    sources.set(file, text);
    return text;
  } catch (e) {
    throw new CountdownError(
      `Shader ${decodeURIComponent(url.pathname)} cannot be read: ${(e as Error).message}`,
    );
  }
}

/**
 * Reads the baked kernel's template once per process.
 *
 * @throws {CountdownError} When the file cannot be read.
 */
export function bakedTemplate(): Promise<string> {
  return shaderSource("conv_transpose_baked.wgsl");
}

/**
 * Reads shaders/overlap_add.wgsl once per process (compiled per fold, with its sizes as
 * override constants: {@link overlapAddConstants}).
 *
 * @throws {CountdownError} When the file cannot be read.
 */
export function overlapAddSource(): Promise<string> {
  return shaderSource("overlap_add.wgsl");
}

/**
 * Compiles one baked shader, or any shader made for one layer, with its override constants.
 *
 * @throws {CountdownError} When it fails to compile.
 */
export async function createBakedPipeline(
  device: GPUDevice,
  code: string,
  label: string,
  constants: Record<string, number> = {},
): Promise<GPUComputePipeline> {
  device.pushErrorScope("validation");
  const module = device.createShaderModule({ code, label });
  const pipeline = device.createComputePipeline({
    label,
    layout: "auto",
    compute: { module, entryPoint: "main", constants: { WG: WORKGROUP_SIZE, ...constants } },
  });
  const error = await device.popErrorScope();
  if (error) {
    throw new CountdownError(`Shader ${label} failed to compile: ${error.message}`);
  }
  return pipeline;
}
