import assert from "node:assert/strict";
import {
  createPipelines,
  DENSE_WALK_FRAMES,
  denseBlockedApplies,
  denseGroups,
  type DenseKernel,
  denseWalkApplies,
  LAYER_KERNELS,
  packConvTransposeParams,
  packDenseParams,
  packQuantizeParams,
  packResizeParams,
  packResizeQuantizeParams,
} from "../src/gpu/kernels.ts";
import {
  activationCode,
  axisWeights,
  convTransposeForward,
  denseForward,
  quantizeForward,
  resizeForward,
  type ResizeMode,
} from "../src/reference.ts";
import { ACTIVATIONS } from "../src/architecture.ts";
import { assertClose, convDims, randomArray } from "./fixtures.ts";
import { adapter, openTestGpu, runKernel } from "./gpu_helpers.ts";

const gpuTest = (name: string, fn: (t: Awaited<ReturnType<typeof openTestGpu>>) => Promise<void>) =>
  Deno.test({
    name,
    ignore: !adapter,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const t = await openTestGpu();
      try {
        await fn(t);
      } finally {
        t.gpu.device.destroy();
      }
    },
  });

Deno.test("axisWeights() sums to one for every output pixel, both modes", () => {
  for (const [inLen, outLen] of [[28, 128], [28, 28], [28, 8], [28, 13], [7, 100]]) {
    for (const mode of ["bilinear", "area"] as ResizeMode[]) {
      for (const pairs of axisWeights(inLen, outLen, mode)) {
        const total = pairs.reduce((a, [, w]) => a + w, 0);
        assert.ok(
          Math.abs(total - 1) < 1e-9,
          `${inLen}→${outLen} ${mode}: weights sum to ${total}`,
        );
      }
    }
  }
});

Deno.test("resizeForward() area mode averages whole blocks exactly", () => {
  // 4×4 → 2×2: each output is the mean of a 2×2 block.
  const x = Float32Array.from({ length: 16 }, (_, i) => i);
  const got = resizeForward(x, 1, 4, 4, 1, 2, 2, "area");
  assert.deepEqual([...got], [2.5, 4.5, 10.5, 12.5]);
});

/**
 * Runs one dense kernel on random inputs, each [batch, inDim, units] case with each activation,
 * against the reference (rel. L2 < 1e-5); `seed` shifts the inputs' seeds.
 */
async function checkDense(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  kernel: DenseKernel,
  cases: number[][],
  seed = 0,
) {
  for (const [batch, inDim, units] of cases) {
    for (const act of ["linear", "relu", "sigmoid", "tanh"] as const) {
      const x = randomArray(batch * inDim, batch + inDim + seed);
      const w = randomArray(inDim * units, units + seed, -0.5, 0.5);
      const b = randomArray(units, 7 + seed);
      const want = denseForward(x, batch, w, b, inDim, units, act);
      const got = new Float32Array(
        await runKernel(
          device,
          pipeline,
          packDenseParams(batch, inDim, units, activationCode(act)),
          [x, w, b],
          want.byteLength,
          0,
          denseGroups(kernel, batch, units),
        ),
      );
      assertClose(got, want, 1e-5, `${kernel} ${batch}×${inDim}→${units} ${act}`);
    }
  }
}

gpuTest(
  "dense.wgsl matches the reference on random inputs (rel. L2 < 1e-5)",
  async ({ gpu, pipelines }) => {
    const cases = [[1, 16, 3136], [7, 16, 50], [33, 100, 17], [270, 16, 3136]];
    await checkDense(gpu.device, pipelines.dense, "dense", cases);
  },
);

gpuTest(
  "dense_blocked.wgsl matches the reference: partial frame and unit blocks (rel. L2 < 1e-5)",
  async ({ gpu, pipelines }) => {
    const cases = [[1, 16, 3136], [7, 32, 1568], [9, 100, 20], [270, 32, 1568]];
    for (const [, inDim, units] of cases) assert.ok(denseBlockedApplies(inDim, units));
    await checkDense(gpu.device, pipelines.dense_blocked, "dense_blocked", cases);
  },
);

gpuTest(
  "dense_walk.wgsl matches the reference: frames past one walk, a partial last walk, fewer than 32 inputs (rel. L2 < 1e-5)",
  async ({ gpu, pipelines }) => {
    // 300 frames: two whole walks of 128 and a partial one; 1 frame: a walk of one.
    const cases = [[300, 32, 1568], [1, 32, 48], [130, 20, 32], [7, 4, 16]];
    for (const [, inDim, units] of cases) assert.ok(denseWalkApplies(inDim, units));
    await checkDense(gpu.device, pipelines.dense_walk, "dense_walk", cases, 1);
    assert.equal(DENSE_WALK_FRAMES, 128);
    assert.ok(!denseWalkApplies(36, 16) && !denseWalkApplies(32, 20) && !denseWalkApplies(30, 16));
  },
);

gpuTest(
  "a layer kernel made with its activation as a constant applies that one, whatever the uniform says (rel. L2 < 1e-5)",
  async ({ gpu }) => {
    let checked = 0;
    for (const act of ACTIVATIONS) {
      const code = activationCode(act);
      // The uniform names another activation: the constant must win.
      const other = (code + 1) % 4;
      const made = await createPipelines(gpu.device, [...LAYER_KERNELS], { ACTIVATION: code });
      // 16 units, as dense_walk.wgsl takes units in sixteens.
      const x = randomArray(9 * 32, 31 + code);
      const w = randomArray(32 * 16, 32, -0.5, 0.5);
      const b = randomArray(16, 33);
      const want = denseForward(x, 9, w, b, 32, 16, act);
      for (const name of ["dense", "dense_blocked", "dense_walk"] as const) {
        const got = new Float32Array(
          await runKernel(
            gpu.device,
            made[name],
            packDenseParams(9, 32, 16, other),
            [x, w, b],
            want.byteLength,
            0,
            denseGroups(name, 9, 16),
          ),
        );
        assertClose(got, want, 1e-5, `${name} ${act}`);
        checked++;
      }
      const d = convDims(5, 6, 4, 3, [3, 3], [2, 2], "same");
      const cx = randomArray(d.batch * d.inH * d.inW * d.inC, 41 + code);
      const cw = randomArray(d.kH * d.kW * d.outC * d.inC, 42, -0.5, 0.5);
      const cb = randomArray(d.outC, 43);
      const cwant = convTransposeForward(cx, cw, cb, d, act);
      const got = new Float32Array(
        await runKernel(
          gpu.device,
          made.conv_transpose,
          packConvTransposeParams(d, other),
          [cx, cw, cb],
          cwant.byteLength,
          cwant.length,
        ),
      );
      assertClose(got, cwant, 1e-5, `conv_transpose ${act}`);
      checked++;
    }
    assert.equal(checked, 16);
  },
);

gpuTest(
  "resize.wgsl matches the reference, bilinear and area (rel. L2 < 1e-5)",
  async ({ gpu, pipelines }) => {
    const cases: [number, number, number, number, number, number, ResizeMode][] = [
      [3, 28, 28, 1, 128, 128, "bilinear"],
      [2, 28, 28, 1, 28, 28, "bilinear"],
      [2, 7, 5, 3, 20, 11, "bilinear"],
      [3, 28, 28, 1, 8, 8, "area"],
      [2, 28, 28, 1, 13, 19, "area"],
      [1, 9, 9, 2, 4, 4, "area"],
    ];
    for (const [batch, inH, inW, c, outH, outW, mode] of cases) {
      const x = randomArray(batch * inH * inW * c, inH * outH + c, 0, 1);
      const want = resizeForward(x, batch, inH, inW, c, outH, outW, mode);
      const got = new Float32Array(
        await runKernel(
          gpu.device,
          pipelines.resize,
          packResizeParams(batch, inH, inW, c, outH, outW, mode),
          [x],
          want.byteLength,
          want.length,
        ),
      );
      assertClose(got, want, 1e-5, `resize ${inH}×${inW}→${outH}×${outW} ${mode}`);
    }
  },
);

gpuTest(
  "quantize.wgsl gives the reference's grey levels, byte for byte",
  async ({ gpu, pipelines }) => {
    for (const n of [1, 4, 7, 1001, 128 * 128 * 3]) {
      // Values spill outside [0, 1] to exercise the clamp; exact .5 steps test the rounding rule.
      const x = randomArray(n, n, -0.2, 1.2);
      for (let i = 0; i < Math.min(n, 256); i += 2) x[i] = (i / 2 + 0.5) / 255;
      const want = quantizeForward(x);
      const got = new Uint8Array(
        await runKernel(
          gpu.device,
          pipelines.quantize,
          packQuantizeParams(n),
          [x],
          n,
          Math.ceil(n / 4),
        ),
      );
      let diffs = 0, maxDiff = 0;
      for (let i = 0; i < n; i++) {
        const d = Math.abs(got[i] - want[i]);
        if (d) diffs++;
        maxDiff = Math.max(maxDiff, d);
      }
      assert.equal(maxDiff, 0, `quantize n=${n}: ${diffs} bytes differ, by up to ${maxDiff}`);
    }
  },
);

gpuTest(
  "resize_quantize.wgsl gives the reference's resized grey levels (within one level)",
  async ({ gpu, pipelines }) => {
    const cases: [number, number, number, number, number, ResizeMode][] = [
      [3, 28, 28, 128, 128, "bilinear"],
      [3, 28, 28, 13, 13, "area"],
      [2, 28, 28, 8, 8, "area"],
      [1, 7, 9, 33, 31, "bilinear"],
    ];
    for (const [batch, inH, inW, outH, outW, mode] of cases) {
      const x = randomArray(batch * inH * inW, outH + inW, -0.1, 1.1);
      const want = quantizeForward(resizeForward(x, batch, inH, inW, 1, outH, outW, mode));
      const n = want.length;
      const got = new Uint8Array(
        await runKernel(
          gpu.device,
          pipelines.resize_quantize,
          packResizeQuantizeParams(batch, inH, inW, outH, outW, mode),
          [x],
          n,
          Math.ceil(n / 4),
        ),
      );
      let worst = 0, differing = 0;
      for (let i = 0; i < n; i++) {
        const d = Math.abs(got[i] - want[i]);
        worst = Math.max(worst, d);
        if (d) differing++;
      }
      // Float sums in another order can cross a rounding step: one level, rarely.
      assert.ok(worst <= 1, `${inH}×${inW}→${outH}×${outW} ${mode}: off by ${worst}`);
      assert.ok(
        differing <= n * 1e-3,
        `${inH}×${inW}→${outH}×${outW} ${mode}: ${differing} of ${n} differ`,
      );
    }
  },
);
