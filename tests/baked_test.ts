import assert from "node:assert/strict";
import type { Activation } from "../src/architecture.ts";
import { type ConvTransposeDims, convTransposeForward } from "../src/reference.ts";
import {
  bakeConvTranspose,
  bakedGroups,
  bakedTemplate,
  createBakedPipeline,
  f32Literal,
  foldPartials,
  MAX_BAKED_STATEMENTS,
  overlapAdd,
  overlapAddConstants,
  overlapAddGroups,
  overlapAddSource,
  packBakedParams,
  packOverlapAddParams,
  planBaked,
  planFold,
} from "../src/gpu/baked.ts";
import { openDevice } from "../src/gpu/device.ts";
import { assertClose, convDims as dims, randomArray } from "./fixtures.ts";
import { adapter, runKernel } from "./gpu_helpers.ts";

Deno.test("f32Literal() writes the shortest decimal that reads back as the same float32", () => {
  const next = (() => {
    let s = 7;
    return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  })();
  for (let i = 0; i < 5000; i++) {
    const v = Math.fround((next() - 0.5) * 10 ** Math.floor(next() * 12 - 8));
    const lit = f32Literal(v);
    assert.equal(Math.fround(Number(lit)), v, `${v} → ${lit}`);
    assert.match(lit, /^-?\d+(\.\d*)?(e[+-]?\d+)?$|^-?\d+e[+-]?\d+$/, lit);
    assert.ok(/[.e]/.test(lit), `${lit} must read as a float, not an integer`);
  }
  assert.equal(f32Literal(0), "0.0");
  assert.equal(f32Literal(1), "1.0");
  assert.equal(f32Literal(0.1), "0.1");
  assert.throws(() => f32Literal(NaN), RangeError);
  assert.throws(() => f32Literal(1e39), RangeError);
});

Deno.test("planBaked() refuses input channels not in fours and layers too large to unroll", () => {
  assert.equal(planBaked(dims(7, 7, 3, 8, [3, 3], [2, 2], "same")), null);
  assert.equal(planBaked(dims(7, 7, 256, 256, [3, 3], [2, 2], "same")), null);
  const l1 = planBaked(dims(7, 7, 32, 32, [3, 3], [2, 2], "same"))!;
  // 9 taps over a 2×2 phase block, 8 input vec4s, 8 output vec4s: one 4×4 product each.
  assert.equal(l1.statements, 9 * 8 * 8);
  assert.ok(l1.statements <= MAX_BAKED_STATEMENTS);
  assert.deepEqual([l1.blocksY, l1.blocksX, l1.vec4Out], [7, 7, true]);
  const l3 = planBaked(dims(28, 28, 16, 1, [3, 3], [1, 1], "same"))!;
  assert.deepEqual([l3.blockY, l3.blockX, l3.blocksY, l3.vec4Out], [4, 4, 7, false]);
});

Deno.test("bakeConvTranspose() fills every //@bake line and names a template without them", async () => {
  const template = await bakedTemplate();
  const d = dims(3, 4, 4, 4, [3, 3], [2, 2], "same");
  const code = bakeConvTranspose(
    template,
    randomArray(9 * 16, 1),
    randomArray(4, 2),
    d,
    "relu",
    planBaked(d)!,
  );
  assert.doesNotMatch(code, /^.*\/\/@bake [a-z-]+$/m, "no marker line left");
  assert.match(code, /alias Out = vec4f;/);
  assert.match(code, /max\(a_0_0_0, vec4f\(0\.0\)\)/);
  assert.throws(
    () =>
      bakeConvTranspose(
        "fn main() {}",
        new Float32Array(144),
        new Float32Array(4),
        d,
        "relu",
        planBaked(d)!,
      ),
    /no "\/\/@bake out-type" line/,
  );
});

/** Layers that exercise every branch of the baker. */
function bakedCases(): { d: ConvTransposeDims; act: Activation; seed: number; walk: boolean }[] {
  const acts: Activation[] = ["linear", "relu", "sigmoid", "tanh"];
  const out: { d: ConvTransposeDims; act: Activation; seed: number; walk: boolean }[] = [];
  let seed = 700;
  const push = (d: ConvTransposeDims) => {
    // A third of the cases one block an invocation (version 6 and before), the rest walking.
    out.push({ d, act: acts[seed % 4], seed, walk: seed % 3 !== 1 });
    seed++;
  };
  for (const s of [1, 2]) {
    for (const k of [2, 3, 4, 5]) {
      for (const padding of ["same", "valid"] as const) {
        // Odd sizes so blocks overhang the image; 1, 3 (single floats) and 4, 8 (vec4) outputs.
        push(dims(5, 7, 8, [1, 3, 4, 8][seed % 4], [k, k], [s, s], padding));
      }
    }
  }
  push(dims(6, 7, 4, 4, [3, 4], [2, 1], "same", 3)); // mixed strides, non-square kernel
  push(dims(4, 5, 4, 8, [3, 3], [3, 3], "valid")); // stride 3
  push(dims(7, 7, 32, 32, [3, 3], [2, 2], "same", 67)); // the shipped decoder's layers
  push(dims(7, 7, 32, 32, [3, 3], [2, 2], "same", 67));
  push(dims(14, 14, 32, 16, [3, 3], [2, 2], "same"));
  push(dims(28, 28, 16, 1, [3, 3], [1, 1], "same"));
  return out;
}

Deno.test({
  name:
    "conv_transpose_baked.wgsl matches the reference: strides 1–3, kernels 2–5, same and valid, 1–32 output channels, four activations, walking or not (rel. L2 < 1e-5)",
  ignore: !adapter,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const gpu = await openDevice(adapter!);
    const template = await bakedTemplate();
    let checked = 0;
    try {
      for (const { d, act, seed, walk } of bakedCases()) {
        const plan = planBaked(d, { walk });
        assert.ok(plan, `k${d.kH} s${d.strideH} inC ${d.inC} outC ${d.outC} is bakeable`);
        const x = randomArray(d.batch * d.inH * d.inW * d.inC, seed);
        const w = randomArray(d.kH * d.kW * d.outC * d.inC, seed + 1000, -0.3, 0.3);
        const bias = randomArray(d.outC, seed + 2000);
        const want = convTransposeForward(x, w, bias, d, act);
        const code = bakeConvTranspose(template, w, bias, d, act, plan);
        const pipeline = await createBakedPipeline(gpu.device, code, `case ${seed}`);
        const got = new Float32Array(
          await runKernel(
            gpu.device,
            pipeline,
            packBakedParams(d, plan),
            [x],
            want.byteLength,
            0,
            bakedGroups(d, plan),
          ),
        );
        const where = `k${d.kH}×${d.kW} s${d.strideH}×${d.strideW} pad ${d.padTop},${d.padLeft} ` +
          `${d.inC}→${d.outC} ${act}${walk ? " walking" : ""}`;
        assertClose(got, want, 1e-5, where);
        checked++;
      }
    } finally {
      gpu.device.destroy();
    }
    assert.equal(checked, bakedCases().length);
  },
});

/** Pairs of a baked layer and a stride-1 layer after it that can fold into it. */
function foldCases(): { d1: ConvTransposeDims; d2: ConvTransposeDims; act: Activation }[] {
  const acts: Activation[] = ["relu", "sigmoid", "tanh", "linear"];
  const out: { d1: ConvTransposeDims; d2: ConvTransposeDims; act: Activation }[] = [];
  let i = 0;
  for (const [s, k1] of [[2, 3], [1, 3], [2, 2]]) {
    for (const k2 of [2, 3, 4]) {
      for (const padding of ["same", "valid"] as const) {
        const c1 = [4, 8, 16][i % 3], c2 = [1, 2, 4][(i >> 1) % 3];
        const d1 = dims(5, 6, 4, c1, [k1, k1], [s, s], "same");
        const d2 = dims(d1.outH, d1.outW, c1, c2, [k2, k2], [1, 1], padding);
        out.push({ d1, d2, act: acts[i % 4] });
        i++;
      }
    }
  }
  // The shipped decoder's last two layers.
  const l2 = dims(14, 14, 32, 16, [3, 3], [2, 2], "same", 67);
  out.push({ d1: l2, d2: dims(28, 28, 16, 1, [3, 3], [1, 1], "same", 67), act: "sigmoid" });
  return out;
}

Deno.test("foldPartials() then overlapAdd() equal the folded layer itself (TypeScript twins)", () => {
  for (const [n, { d1, d2, act }] of foldCases().entries()) {
    const plan = planBaked(d1)!;
    const fold = planFold(d1, plan, d2);
    assert.ok(fold, `case ${n} folds`);
    const h = randomArray(d1.batch * d1.outH * d1.outW * d1.outC, 40 + n);
    const w2 = randomArray(d2.kH * d2.kW * d2.outC * d2.inC, 140 + n, -0.3, 0.3);
    const b2 = randomArray(d2.outC, 240 + n);
    const want = convTransposeForward(h, w2, b2, d2, act);
    const got = overlapAdd(foldPartials(h, d1, plan, w2, d2, fold), plan, d2, fold, b2, act);
    assertClose(got, want, 1e-6, `case ${n}: k${d2.kH} pad ${d2.padTop} ${d2.inC}→${d2.outC}`);
  }
});

Deno.test("planFold() refuses a strided next layer, many output channels, single-float outputs, a plan that does not walk", () => {
  const d1 = dims(7, 7, 8, 16, [3, 3], [2, 2], "same");
  const plan = planBaked(d1)!;
  assert.equal(planFold(d1, plan, dims(14, 14, 16, 1, [3, 3], [2, 2], "same")), null);
  assert.equal(planFold(d1, plan, dims(14, 14, 16, 8, [3, 3], [1, 1], "same")), null);
  const d3 = dims(7, 7, 8, 3, [3, 3], [2, 2], "same");
  assert.equal(planFold(d3, planBaked(d3)!, dims(14, 14, 3, 1, [3, 3], [1, 1], "same")), null);
  // Only a walking invocation sums its row's slots.
  const still = planBaked(d1, { walk: false })!;
  assert.equal(planFold(d1, still, dims(14, 14, 16, 1, [3, 3], [1, 1], "same")), null);
  const fold = planFold(d1, plan, dims(14, 14, 16, 1, [3, 3], [1, 1], "same"))!;
  assert.deepEqual(
    [fold.regionH, fold.regionW, fold.stepH, fold.stepW, fold.qY, fold.qX, fold.slotFloats],
    [4, 4, 2, 2, 2, 2, 4],
  );
  assert.deepEqual([fold.cellsY, fold.cellsX], [plan.blocksY + 1, plan.blocksX + 1]);
});

Deno.test({
  name:
    "a folding baked kernel and overlap_add.wgsl match their twins: kernels 2–4, same and valid, 1–4 output channels (rel. L2 < 1e-5)",
  ignore: !adapter,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const gpu = await openDevice(adapter!);
    const template = await bakedTemplate();
    const addSource = await overlapAddSource();
    let checked = 0;
    try {
      for (const [n, { d1, d2, act }] of foldCases().entries()) {
        const plan = planBaked(d1)!;
        const fold = planFold(d1, plan, d2)!;
        const x = randomArray(d1.batch * d1.inH * d1.inW * d1.inC, 300 + n);
        const w1 = randomArray(d1.kH * d1.kW * d1.outC * d1.inC, 400 + n, -0.3, 0.3);
        const b1 = randomArray(d1.outC, 500 + n);
        const w2 = randomArray(d2.kH * d2.kW * d2.outC * d2.inC, 600 + n, -0.3, 0.3);
        const b2 = randomArray(d2.outC, 700 + n);
        const h = convTransposeForward(x, w1, b1, d1, "relu");
        const wantPart = foldPartials(h, d1, plan, w2, d2, fold);
        const code = bakeConvTranspose(template, w1, b1, d1, "relu", plan, {
          kernel: w2,
          d: d2,
          fold,
        });
        const bake = await createBakedPipeline(gpu.device, code, `fold ${n}`);
        const part = new Float32Array(
          await runKernel(
            gpu.device,
            bake,
            packBakedParams(d1, plan),
            [x],
            wantPart.byteLength,
            0,
            bakedGroups(d1, plan),
          ),
        );
        const where = `case ${n}: k${d2.kH} pad ${d2.padTop},${d2.padLeft} ${d2.inC}→${d2.outC}`;
        assertClose(part, wantPart, 1e-5, `${where} partials`);
        const want = overlapAdd(wantPart, plan, d2, fold, b2, act);
        // Slots no block writes hold whatever the buffer held before: they must not be read.
        const dirty = wantPart.slice();
        const slotsPerFrame = fold.cellsY * fold.cellsX * fold.qY;
        let unwritten = 0;
        for (let i = 0; i < d2.batch * slotsPerFrame; i++) {
          // Slot qy of a cell holds what block row cy − qy gave it.
          const qy = i % fold.qY, cell = Math.floor(i / fold.qY);
          const by = Math.floor(cell / fold.cellsX) % fold.cellsY - qy;
          if (by < 0 || by >= plan.blocksY) {
            dirty.fill(1e30, i * fold.slotFloats, (i + 1) * fold.slotFloats);
            unwritten++;
          }
        }
        assert.ok(unwritten > 0 || fold.qY === 1, `${where}: some slots are unwritten`);
        assertClose(overlapAdd(dirty, plan, d2, fold, b2, act), want, 1e-12, `${where} twin skips`);
        const add = await createBakedPipeline(
          gpu.device,
          addSource,
          `add ${n}`,
          overlapAddConstants(d2, plan, fold, act),
        );
        const got = new Float32Array(
          await runKernel(
            gpu.device,
            add,
            packOverlapAddParams(d2),
            [dirty, b2],
            want.byteLength,
            0,
            overlapAddGroups(d2, fold),
          ),
        );
        assertClose(got, want, 1e-5, `${where} overlap-add ${act}`);
        checked++;
      }
    } finally {
      gpu.device.destroy();
    }
    assert.equal(checked, foldCases().length);
  },
});
