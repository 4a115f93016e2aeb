import assert from "node:assert/strict";
import { BAKE_MIN_FRAMES, GpuDecoder } from "../src/gpu/decoder.ts";
import { latentPath } from "../src/path.ts";
import { decodeReference } from "../src/reference.ts";
import { randomArray, randomWeights, SMALL_ARCH } from "./fixtures.ts";
import { adapter, openTestGpu } from "./gpu_helpers.ts";

/** Largest per-pixel difference between two frame sets, and how many pixels differ. */
function compareFrames(got: Uint8Array, want: Uint8Array): { maxDiff: number; differing: number } {
  assert.equal(got.length, want.length, "frame byte counts");
  let maxDiff = 0, differing = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (d) differing++;
    maxDiff = Math.max(maxDiff, d);
  }
  return { maxDiff, differing };
}

const gpuTest = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore: !adapter, sanitizeResources: false, sanitizeOps: false, fn });

gpuTest(
  "the GPU decoder matches the reference at batch 1, 7, 270, shrinking, and across chunks, baked and not",
  async () => {
    const { gpu } = await openTestGpu();
    const { weights } = randomWeights(SMALL_ARCH, 3);
    try {
      for (
        const [batch, imsize, maxChunkFrames, bake] of [
          [1, 128, undefined, undefined], // enlarge: fused bilinear resize + quantise
          [7, 64, undefined, false], // the fixed shaders, as a small run gets them
          [270, 32, undefined, undefined],
          [5, 13, undefined, undefined], // shrink: area resize, frames not a multiple of 4 bytes
          [150, 28, 64, undefined], // the decoder's own size (no resize), across three chunks
          [150, 28, 64, true], // baked, across three chunks
        ] as [number, number, number | undefined, boolean | undefined][]
      ) {
        const decoder = await GpuDecoder.create(gpu, weights, imsize, { maxChunkFrames, bake });
        const baked = decoder.stepNames.filter((n) => n.startsWith("conv_transpose_baked")).length;
        // Unless told, a decoder bakes its layers only when made for large batches.
        const wantBaked = bake ?? (maxChunkFrames ?? Infinity) >= BAKE_MIN_FRAMES;
        assert.equal(baked > 0, wantBaked, `batch ${batch}: baked steps ${decoder.stepNames}`);
        // A baked decoder folds its last layer into the one before (an overlap-add finishes it).
        const folds = decoder.stepNames.filter((n) => n.startsWith("overlap_add")).length;
        assert.equal(folds, wantBaked ? 1 : 0, `batch ${batch}: steps ${decoder.stepNames}`);
        // And walks the dense layer's frames (16 latents here: fewer than the kernel's 32).
        const dense = decoder.stepNames[0].split(" ")[0];
        assert.equal(dense, wantBaked ? "dense_walk" : "dense_blocked", `batch ${batch}`);
        if (maxChunkFrames) {
          assert.ok(batch > decoder.chunkFrames, "the batch must span several chunks");
        }
        const latents = randomArray(batch * SMALL_ARCH.latentDim, batch, -2, 2);
        const got = await decoder.decode(latents, batch);
        decoder.destroy();
        const want = decodeReference(weights, latents, batch, imsize);
        const { maxDiff, differing } = compareFrames(got, want);
        // Float sums in another order may land a value on the other side of a rounding step.
        assert.ok(maxDiff <= 1, `batch ${batch}: a pixel differs by ${maxDiff} grey levels`);
        assert.ok(
          differing <= got.length * 1e-3,
          `batch ${batch}: ${differing} of ${got.length} pixels differ`,
        );
        // The frames are not trivially flat: the test would otherwise pass on a blank decoder.
        const distinct = new Set(want).size;
        assert.ok(distinct > 20, `batch ${batch}: only ${distinct} grey levels in the reference`);
      }
    } finally {
      gpu.device.destroy();
    }
  },
);

gpuTest(
  "a chunk limit from the device's buffer limits splits large batches; a second call decodes the same",
  async () => {
    const { gpu } = await openTestGpu();
    const { weights } = randomWeights(SMALL_ARCH, 4);
    try {
      const decoder = await GpuDecoder.create(gpu, weights, 128);
      // A byte a pixel in the frames buffer, and the largest activation (14×14×32 floats, as the
      // default decoder folds the last layer into the one before) in the others.
      const limit = gpu.device.limits.maxStorageBufferBindingSize;
      assert.ok(decoder.chunkFrames * 128 * 128 <= limit);
      assert.ok(decoder.chunkFrames * 14 * 14 * 32 * 4 <= limit);
      // One frame more than a chunk: the last frame comes from a second submit.
      const batch = decoder.chunkFrames + 1;
      const anchors = weights.anchors;
      const latents = latentPath(anchors, 9, 0, Math.ceil(batch / 9), "lerp", 1).subarray(
        0,
        batch * 16,
      );
      const got = await decoder.decode(latents.slice(), batch);
      // The two chunks come back through the two readback buffers in turn: both are free again.
      const again = await decoder.decode(latents.slice(), batch);
      assert.deepEqual(again, got, "a second call gives the same frames");
      decoder.destroy();
      const lastLatent = latents.slice((batch - 1) * 16, batch * 16);
      const want = decodeReference(weights, lastLatent, 1, 128);
      const last = got.subarray((batch - 1) * 128 * 128);
      assert.ok(
        compareFrames(last, want).maxDiff <= 1,
        "the frame past the first chunk is decoded",
      );
    } finally {
      gpu.device.destroy();
    }
  },
);

gpuTest("a decoder that folds sizes its chunks by the buffers its passes write", async () => {
  const { gpu } = await openTestGpu();
  const { weights } = randomWeights(SMALL_ARCH, 7);
  try {
    const limits = gpu.device.limits;
    const limit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    const make = (fold: boolean) =>
      GpuDecoder.create(gpu, weights, 28, { floatOutput: true, bake: true, fold });
    const folding = await make(true), plain = await make(false);
    assert.ok(folding.stepNames.some((n) => n.includes("+fold")), folding.stepNames.join(", "));
    assert.ok(!plain.stepNames.some((n) => n.includes("+fold")), plain.stepNames.join(", "));
    // Unfolded, the largest activation is the second upsampling's output (28×28×16 floats);
    // folded, that output is never written, and the largest is the first's (14×14×32).
    assert.equal(plain.chunkFrames, Math.floor(limit / (28 * 28 * 16 * 4)));
    assert.equal(folding.chunkFrames, Math.floor(limit / (14 * 14 * 32 * 4)));
    folding.destroy();
    plain.destroy();
  } finally {
    gpu.device.destroy();
  }
});

gpuTest(
  "65,536 frames decode in one call on the default limits, chunk borders included",
  async () => {
    const { gpu } = await openTestGpu();
    const { weights } = randomWeights(SMALL_ARCH, 5);
    try {
      const frames = 65536;
      const decoder = await GpuDecoder.create(gpu, weights, 28);
      assert.equal(gpu.device.limits.maxStorageBufferBindingSize, 134217728, "default limits");
      assert.ok(decoder.chunkFrames < frames, "the call spans several chunks");
      const latents = randomArray(frames * SMALL_ARCH.latentDim, 6, -2, 2);
      const got = await decoder.decode(latents, frames);
      decoder.destroy();
      assert.equal(got.length, frames * 28 * 28);
      // The first and last frame of every chunk, against the reference.
      const dim = SMALL_ARCH.latentDim;
      const picks = new Set<number>();
      for (let f = 0; f < frames; f += decoder.chunkFrames) {
        picks.add(f).add(Math.min(f + decoder.chunkFrames, frames) - 1);
      }
      for (const f of picks) {
        const want = decodeReference(weights, latents.slice(f * dim, (f + 1) * dim), 1, 28);
        const { maxDiff } = compareFrames(got.subarray(f * 784, (f + 1) * 784), want);
        assert.ok(maxDiff <= 1, `frame ${f}: a pixel differs by ${maxDiff} grey levels`);
      }
    } finally {
      gpu.device.destroy();
    }
  },
);
