import assert from "node:assert/strict";
import { convTransposeLength } from "../src/architecture.ts";
import { activationCode, type ConvTransposeDims, convTransposeForward } from "../src/reference.ts";
import {
  convKernelFor,
  convKernelsFor,
  narrowGroups,
  packBlockedWeights,
  packConvTransposeBlockedParams,
  packConvTransposeParams,
  planBlocked,
  planPairs,
  planRows,
  ROWS_WEIGHT_VEC4S,
} from "../src/gpu/kernels.ts";
import { assertClose, convDims, randomArray } from "./fixtures.ts";
import { adapter, openTestGpu, runKernel } from "./gpu_helpers.ts";

/**
 * Transposed convolution straight from its definition, by scattering: every input pixel adds
 * its value times the kernel into the full (uncropped) output, then `pad` rows and columns are
 * cut from the top and left. Deliberately a different formulation from the gather in reference.ts.
 */
function convTransposeNaive(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array,
  d: ConvTransposeDims,
): Float32Array {
  const fullH = (d.inH - 1) * d.strideH + d.kH + d.strideH,
    fullW = (d.inW - 1) * d.strideW + d.kW + d.strideW;
  const full = new Float64Array(d.batch * fullH * fullW * d.outC);
  for (let b = 0; b < d.batch; b++) {
    for (let iy = 0; iy < d.inH; iy++) {
      for (let ix = 0; ix < d.inW; ix++) {
        for (let ci = 0; ci < d.inC; ci++) {
          const v = x[((b * d.inH + iy) * d.inW + ix) * d.inC + ci];
          for (let ky = 0; ky < d.kH; ky++) {
            for (let kx = 0; kx < d.kW; kx++) {
              for (let co = 0; co < d.outC; co++) {
                const fy = iy * d.strideH + ky, fx = ix * d.strideW + kx;
                full[((b * fullH + fy) * fullW + fx) * d.outC + co] += v *
                  w[((ky * d.kW + kx) * d.outC + co) * d.inC + ci];
              }
            }
          }
        }
      }
    }
  }
  const out = new Float32Array(d.batch * d.outH * d.outW * d.outC);
  for (let b = 0; b < d.batch; b++) {
    for (let oy = 0; oy < d.outH; oy++) {
      for (let ox = 0; ox < d.outW; ox++) {
        for (let co = 0; co < d.outC; co++) {
          out[((b * d.outH + oy) * d.outW + ox) * d.outC + co] = bias[co] +
            full[((b * fullH + oy + d.padTop) * fullW + ox + d.padLeft) * d.outC + co];
        }
      }
    }
  }
  return out;
}

/** Every stride 1–2, kernel 2–5 and padding, on small odd-sized inputs. */
function cases(inC = 3, outCs = [2]): { d: ConvTransposeDims; seed: number }[] {
  const out: { d: ConvTransposeDims; seed: number }[] = [];
  let seed = 100;
  for (const s of [1, 2]) {
    for (const k of [2, 3, 4, 5]) {
      for (const padding of ["same", "valid"] as const) {
        const outC = outCs[seed % outCs.length];
        out.push({ d: convDims(5, 11, inC, outC, [k, k], [s, s], padding), seed: seed++ });
      }
    }
  }
  // Non-square kernel and mixed strides.
  out.push({
    d: convDims(6, 7, inC === 3 ? 5 : inC, 4, [3, 4], [2, 1], "same", 3),
    seed: seed++,
  });
  return out;
}

function inputs(d: ConvTransposeDims, seed: number) {
  return {
    x: randomArray(d.batch * d.inH * d.inW * d.inC, seed),
    w: randomArray(d.kH * d.kW * d.outC * d.inC, seed + 1000),
    bias: randomArray(d.outC, seed + 2000),
  };
}

const label = (d: ConvTransposeDims) =>
  `k${d.kH}×${d.kW} s${d.strideH}×${d.strideW} pad ${d.padTop},${d.padLeft}`;

Deno.test("convTransposeForward() matches the scatter definition for strides 1–2, kernels 2–5, same and valid", () => {
  for (const { d, seed } of cases()) {
    const { x, w, bias } = inputs(d, seed);
    const want = convTransposeNaive(x, w, bias, d);
    const got = convTransposeForward(x, w, bias, d, "linear");
    assertClose(got, want, 1e-6, label(d));
  }
});

Deno.test("convTransposeLength() gives tfjs output sizes", () => {
  assert.deepEqual(convTransposeLength(7, 3, 2, "same"), [14, 0]);
  assert.deepEqual(convTransposeLength(7, 3, 2, "valid"), [15, 0]);
  assert.deepEqual(convTransposeLength(7, 4, 2, "same"), [14, 1]);
  assert.deepEqual(convTransposeLength(7, 5, 1, "same"), [7, 2]);
  assert.deepEqual(convTransposeLength(7, 2, 2, "valid"), [14, 0]);
});

Deno.test({
  name: "conv_transpose.wgsl matches the reference on random inputs (rel. L2 < 1e-5)",
  ignore: !adapter,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { gpu, pipelines } = await openTestGpu();
    try {
      for (const act of ["linear", "relu", "sigmoid", "tanh"] as const) {
        for (const { d, seed } of cases()) {
          const { x, w, bias } = inputs(d, seed);
          const want = convTransposeForward(x, w, bias, d, act);
          const got = new Float32Array(
            await runKernel(
              gpu.device,
              pipelines.conv_transpose,
              packConvTransposeParams(d, activationCode(act)),
              [x, w, bias],
              want.byteLength,
              want.length,
            ),
          );
          assertClose(got, want, 1e-5, `${label(d)} ${act}`);
          if (act === "linear") {
            assertClose(got, convTransposeNaive(x, w, bias, d), 1e-5, `${label(d)} vs definition`);
          }
        }
      }
    } finally {
      gpu.device.destroy();
    }
  },
});

Deno.test({
  name:
    "conv_transpose_blocked.wgsl matches the reference for 1–12 output channels (rel. L2 < 1e-5)",
  ignore: !adapter,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { gpu, pipelines } = await openTestGpu();
    try {
      for (const act of ["linear", "relu", "sigmoid"] as const) {
        for (const { d, seed } of [...cases(8, [1, 3, 6, 8, 12]), ...cases(4, [5, 16])]) {
          const { x, w, bias } = inputs(d, seed);
          const want = convTransposeForward(x, w, bias, d, act);
          const plan = planBlocked(d);
          const packed = packBlockedWeights(w, bias, d, plan);
          const pipeline = plan.cov === 2
            ? pipelines.conv_transpose_blocked_cov2
            : pipelines.conv_transpose_blocked_cov1;
          const got = new Float32Array(
            await runKernel(
              gpu.device,
              pipeline,
              packConvTransposeBlockedParams(d, activationCode(act), plan),
              [x, packed.kernel, packed.bias],
              want.byteLength,
              0,
              plan.groups,
            ),
          );
          assertClose(got, want, 1e-5, `${label(d)} outC ${d.outC} ${act}`);
          if (act === "linear") {
            assertClose(
              got,
              convTransposeNaive(x, w, bias, d),
              1e-5,
              `${label(d)} outC ${d.outC} vs definition`,
            );
          }
        }
      }
    } finally {
      gpu.device.destroy();
    }
  },
});

/** `a` followed by zeros up to `length` values (a kernel for a fixed-size uniform array). */
function padTo(a: Float32Array, length: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(length);
  out.set(a);
  return out;
}

/** The ROWS variants of conv_transpose_rows.wgsl the rows test ran. */
const rowsSeen = new Set<number>();

/** Runs one of the fixed-shader kernels on every case it applies to; returns how many. */
async function checkChosenKernel(
  kind: "rows" | "pairs" | "narrow",
  all: { d: ConvTransposeDims; seed: number }[],
): Promise<number> {
  const { gpu, pipelines } = await openTestGpu();
  let checked = 0;
  try {
    for (const act of ["linear", "relu", "sigmoid"] as const) {
      for (const { d, seed } of all) {
        // Where it applies, not only where it is the first choice: the baked kernel precedes
        // pairs and rows, which still run where baking is off or does not fit.
        if (!convKernelsFor(d).includes(kind)) continue;
        const { x, w, bias } = inputs(d, seed);
        const want = convTransposeForward(x, w, bias, d, act);
        let got: Float32Array;
        if (kind === "rows" || kind === "pairs") {
          const plan = kind === "rows" ? planRows(d) : planPairs(d);
          const packed = packBlockedWeights(w, bias, d, plan);
          if (kind === "rows") rowsSeen.add(planRows(d).rows);
          // Both read their weights from a 64 KiB uniform array.
          const kernel = new Float32Array(ROWS_WEIGHT_VEC4S * 4);
          kernel.set(packed.kernel);
          const pipeline = kind === "pairs"
            ? pipelines.conv_transpose_pairs
            : planRows(d).rows === 1
            ? pipelines.conv_transpose_rows1
            : pipelines.conv_transpose_rows2;
          got = new Float32Array(
            await runKernel(
              gpu.device,
              pipeline,
              packConvTransposeBlockedParams(d, activationCode(act), plan),
              [x, kernel, packed.bias],
              want.byteLength,
              0,
              plan.groups,
            ),
          );
        } else {
          got = new Float32Array(
            await runKernel(
              gpu.device,
              pipelines.conv_transpose_narrow,
              packConvTransposeParams(d, activationCode(act)),
              [x, padTo(w, ROWS_WEIGHT_VEC4S * 4), bias],
              want.byteLength,
              0,
              narrowGroups(d),
            ),
          );
        }
        assertClose(got, want, 1e-5, `${kind} ${label(d)} outC ${d.outC} ${act}`);
        if (act === "linear") {
          assertClose(
            got,
            convTransposeNaive(x, w, bias, d),
            1e-5,
            `${kind} ${label(d)} vs definition`,
          );
        }
        checked++;
      }
    }
  } finally {
    gpu.device.destroy();
  }
  return checked;
}

Deno.test({
  name:
    "conv_transpose_rows.wgsl matches the reference where it applies: 8–40 output channels, one and several runs a row (rel. L2 < 1e-5)",
  ignore: !adapter,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    // Phase rows of 14 or more take ROWS = 1: a 3-row, 16- or 31-column input, kernel 4, stride 2.
    const wide = [16, 31].flatMap((inW, i) =>
      (["same", "valid"] as const).map((padding, j) => {
        const d = convDims(3, inW, 8, [16, 20][j], [4, 4], [2, 2], padding);
        return { d, seed: 300 + 2 * i + j };
      })
    );
    const checked = await checkChosenKernel("rows", [
      ...cases(8, [8, 16, 20, 40]),
      ...cases(4, [32]),
      ...wide,
    ]);
    // stride 2 with kernels 2 and 4 and stride 1 with kernel 2, both paddings, three activations.
    assert.ok(checked >= 24, `only ${checked} cases ran the rows kernel`);
    assert.deepEqual([...rowsSeen].sort(), [1, 2], "both ROWS variants ran");
  },
});

Deno.test({
  name:
    "conv_transpose_pairs.wgsl matches the reference where it applies: kernel 3, stride 2, 8–40 channels, 1–3 runs a row (rel. L2 < 1e-5)",
  ignore: !adapter,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    // Odd and even phase-row counts, widths of one to three runs of 7 input columns, y-stride 1
    // and 2, both paddings.
    const extra: { d: ConvTransposeDims; seed: number }[] = [];
    let seed = 400;
    for (const [inH, inW, strideH] of [[3, 7, 2], [4, 16, 2], [5, 9, 1], [2, 20, 2]]) {
      for (const padding of ["same", "valid"] as const) {
        const outC = [16, 24, 32, 12][seed % 4];
        const d = convDims(inH, inW, 8, outC, [3, 3], [strideH, 2], padding, 3);
        extra.push({ d, seed: seed++ });
      }
    }
    const checked = await checkChosenKernel("pairs", [...cases(8, [8, 16, 20, 40]), ...extra]);
    assert.ok(checked >= 30, `only ${checked} cases ran the pairs kernel`);
  },
});

Deno.test({
  name:
    "conv_transpose_narrow.wgsl matches the reference where it applies: 1–4 output channels at stride 1 (rel. L2 < 1e-5)",
  ignore: !adapter,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    // Also a 3×2 kernel and an image of 9 rows: two passes of 4 rows and a partial one.
    const tall = (["same", "valid"] as const).map((padding, i) => {
      const d = convDims(9, 10, 8, 1 + i, [3, 2], [1, 1], padding);
      return { d, seed: 500 + i };
    });
    const checked = await checkChosenKernel("narrow", [
      ...cases(16, [1, 3, 4]),
      ...cases(4, [1, 2]),
      ...tall,
    ]);
    assert.ok(checked >= 12, `only ${checked} cases ran the narrow kernel`);
  },
});

Deno.test("convKernelFor() picks the shipped decoder's kernels: baked, baked, narrow", () => {
  const base = { batch: 1, kH: 3, kW: 3, padTop: 0, padLeft: 0 };
  const l1 = {
    ...base,
    inH: 7,
    inW: 7,
    inC: 32,
    outH: 14,
    outW: 14,
    outC: 32,
    strideH: 2,
    strideW: 2,
  };
  const l2 = { ...l1, inH: 14, inW: 14, outH: 28, outW: 28, outC: 16 };
  const l3 = {
    ...l2,
    inH: 28,
    inW: 28,
    inC: 16,
    outC: 1,
    strideH: 1,
    strideW: 1,
    padTop: 1,
    padLeft: 1,
  };
  assert.deepEqual([l1, l2, l3].map(convKernelFor), ["baked", "baked", "narrow"]);
  // Without baking (small runs), the fixed shaders.
  assert.deepEqual(convKernelsFor(l1), ["baked", "pairs", "rows", "blocked", "straight"]);
  assert.deepEqual(convKernelsFor(l3), ["narrow", "baked", "blocked", "straight"]);
  assert.deepEqual(convKernelsFor({ ...l1, kW: 4, kH: 4 }), [
    "baked",
    "rows",
    "blocked",
    "straight",
  ]);
  assert.equal(convKernelFor({ ...l1, inC: 3 }), "straight");
  assert.equal(convKernelFor({ ...l3, outC: 8 }), "baked");
  // A layer too large to unroll is not baked.
  assert.equal(convKernelFor({ ...l1, inC: 256, outC: 256 }), "blocked");
});
