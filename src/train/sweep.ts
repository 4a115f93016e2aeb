/**
 * A small architecture sweep: trains a few decoder shapes briefly on the same digits and
 * reports reconstruction (test MSE), interpolation smoothness and decode cost, the figures
 * behind the shipped architecture's choice (weights/README.md).
 *
 * Usage: deno run -A src/train/sweep.ts [samples] [epochs] [batch]
 *
 * @module
 */

import { type Architecture, flopsPerFrame, planLayers } from "../architecture.ts";
import { decoderArch } from "../decoder_arch.ts";
import { latentPath } from "../path.ts";
import { decodeToFloat } from "../reference.ts";
import { loadWeights } from "../weights.ts";
import { train } from "./train.ts";

/**
 * Unevenness of interpolation: over 9 → 0 paths of 30 steps, the largest frame-to-frame change
 * divided by the mean change (1 means every step moves the image equally).
 */
async function unevenness(path: string): Promise<number> {
  const w = await loadWeights(path);
  let worst = 0, total = 0, n = 0;
  for (const seed of [1, 2, 3]) {
    const lat = latentPath(w.anchors, 9, 0, 30, "lerp", seed);
    const frames = lat.length / w.arch.latentDim;
    const img = decodeToFloat(w, lat, frames);
    for (let f = 1; f < frames; f++) {
      let d = 0;
      for (let p = 0; p < 784; p++) d += Math.abs(img[f * 784 + p] - img[(f - 1) * 784 + p]);
      worst = Math.max(worst, d / 784);
      total += d / 784;
      n++;
    }
  }
  return worst / (total / n);
}

const samples = Number(Deno.args[0] ?? 20000);
const epochs = Number(Deno.args[1] ?? 3);
const batchSize = Number(Deno.args[2] ?? 100);
const configs: [string, Architecture, [number, number]][] = [
  ["latent 8, dense 7·7·32, enc 16/32", decoderArch(8, 32), [16, 32]],
  ["latent 16, dense 7·7·32, enc 16/32", decoderArch(16, 32), [16, 32]],
  ["latent 32, dense 7·7·32, enc 16/32", decoderArch(32, 32), [16, 32]],
  ["latent 16, dense 7·7·64, enc 32/64", decoderArch(16, 64), [32, 64]],
];
const rows: string[] = [];
for (const [name, arch, enc] of configs) {
  const dir = await Deno.makeTempDir();
  const weightsPath = `${dir}/w.safetensors`;
  const r = await train({
    epochs,
    batchSize,
    saveInterval: 1000,
    trainSamples: samples,
    resume: null,
    seed: 1,
    seedGiven: true,
    backend: "wasm",
    weightsPath,
    checkpointDir: dir,
    command: "sweep",
    arch,
    encoderFilters: enc,
  }, console.error);
  const sec = r.epochSeconds.reduce((a, b) => a + b, 0) / r.epochSeconds.length * (60000 / samples);
  rows.push(
    `| ${name} | ${r.testLoss[r.testLoss.length - 1].toFixed(4)} | ${
      (await unevenness(weightsPath)).toFixed(2)
    } | ${(flopsPerFrame(planLayers(arch)) / 1e6).toFixed(2)} | ${sec.toFixed(0)} |`,
  );
  await Deno.remove(dir, { recursive: true });
}
console.log(`${samples} digits, ${epochs} epochs of batch ${batchSize} each, seed 1`);
console.log(
  "| configuration | test MSE | step unevenness (max/mean) | decode MFLOP/frame | s per 60k epoch |",
);
console.log("| --- | --- | --- | --- | --- |");
for (const r of rows) console.log(r);
