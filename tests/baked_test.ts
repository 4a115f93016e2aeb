import assert from "node:assert/strict";
import { type Activation, convTransposeLength } from "../src/architecture.ts";
import { type ConvTransposeDims, convTransposeForward } from "../src/reference.ts";
import {
  bakeConvTranspose,
  bakedGroups,
  bakedTemplate,
  createBakedPipeline,
  f32Literal,
  MAX_BAKED_STATEMENTS,
  packBakedParams,
  planBaked,
} from "../src/gpu/baked.ts";
import { findAdapter, openDevice } from "../src/gpu/device.ts";
import { assertClose, randomArray } from "./fixtures.ts";
import { runKernel } from "./gpu_helpers.ts";

const adapter = await findAdapter();

function dims(
  inH: number,
  inW: number,
  inC: number,
  outC: number,
  k: [number, number],
  s: [number, number],
  padding: "same" | "valid",
  batch = 2,
): ConvTransposeDims {
  const [outH, padTop] = convTransposeLength(inH, k[0], s[0], padding);
  const [outW, padLeft] = convTransposeLength(inW, k[1], s[1], padding);
  return {
    batch,
    inH,
    inW,
    inC,
    outH,
    outW,
    outC,
    kH: k[0],
    kW: k[1],
    strideH: s[0],
    strideW: s[1],
    padTop,
    padLeft,
  };
}

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
function bakedCases(): { d: ConvTransposeDims; act: Activation; seed: number }[] {
  const acts: Activation[] = ["linear", "relu", "sigmoid", "tanh"];
  const out: { d: ConvTransposeDims; act: Activation; seed: number }[] = [];
  let seed = 700;
  const push = (d: ConvTransposeDims) => {
    out.push({ d, act: acts[seed % 4], seed });
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
  push(dims(7, 7, 32, 32, [3, 3], [2, 2], "same")); // the shipped decoder's layers
  push(dims(14, 14, 32, 16, [3, 3], [2, 2], "same"));
  push(dims(28, 28, 16, 1, [3, 3], [1, 1], "same"));
  return out;
}

Deno.test({
  name:
    "conv_transpose_baked.wgsl matches the reference: strides 1–3, kernels 2–5, same and valid, 1–32 output channels, four activations (rel. L2 < 1e-5)",
  ignore: !adapter,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const gpu = await openDevice(adapter!);
    const template = await bakedTemplate();
    let checked = 0;
    try {
      for (const { d, act, seed } of bakedCases()) {
        const plan = planBaked(d);
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
          `${d.inC}→${d.outC} ${act}`;
        assertClose(got, want, 1e-5, where);
        checked++;
      }
    } finally {
      gpu.device.destroy();
    }
    assert.equal(checked, bakedCases().length);
  },
});
