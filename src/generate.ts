/**
 * The generate job: weights → latent path → frames (GPU or reference) → GIF → file.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { writeFileAtomic } from "./atomic_write.ts";
import type { Options } from "./cli.ts";
import { CountdownError } from "./errors.ts";
import { encodeGif } from "./gif.ts";
import { findAdapter, openDevice } from "./gpu/device.ts";
import { GpuDecoder } from "./gpu/decoder.ts";
import { frameDelays } from "./pacing.ts";
import { frameCount, latentPath } from "./path.ts";
import { decodeReference } from "./reference.ts";
import { randomSeed } from "./rng.ts";
import { type DecoderWeights, DEFAULT_WEIGHTS_URL, loadWeights } from "./weights.ts";

/** What a run produced, and where its time went (seconds). */
export interface GenerateReport {
  file: string;
  frames: number;
  seed: number;
  backend: string;
  timings: Record<string, number>;
}

/**
 * Decodes a batch of latents on the chosen device.
 *
 * @returns The frames and a description of the backend used.
 */
export async function decodeFrames(
  weights: DecoderWeights,
  latents: Float32Array<ArrayBuffer>,
  frames: number,
  imsize: number,
  device: Options["device"],
  warn: (line: string) => void,
  timings: Record<string, number> = {},
  profile = false,
): Promise<{ pixels: Uint8Array; backend: string }> {
  if (device !== "cpu") {
    let t = performance.now();
    const adapter = await findAdapter();
    if (adapter) {
      let lost: string | null = null;
      const gpu = await openDevice(adapter, (m) => lost = m);
      timings.adapter = (performance.now() - t) / 1000;
      t = performance.now();
      try {
        // Buffers sized for this run's frames, not the largest chunk the limits allow: creating
        // (and zeroing) 2 × 128 MiB of activations cost more than the decode of a short run.
        const decoder = await GpuDecoder.create(gpu, weights, imsize, {
          profile,
          maxChunkFrames: frames,
        });
        timings.pipelines = (performance.now() - t) / 1000;
        t = performance.now();
        const pixels = await decoder.decode(latents, frames);
        timings.decode = (performance.now() - t) / 1000;
        if (profile) {
          // llvmpipe's GL path accepts timestamp queries but writes zeros into them.
          if (decoder.stepTimes.some((st) => st.ms > 0)) {
            for (const st of decoder.stepTimes) warn(`gpu ${st.name}: ${st.ms.toFixed(1)} ms`);
          } else {
            warn("per-kernel GPU times unavailable: this adapter's timestamp queries read zero");
          }
        }
        decoder.destroy();
        if (lost) throw new CountdownError(lost);
        return { pixels, backend: `gpu (${gpu.description})` };
      } catch (e) {
        if (lost) throw new CountdownError(`${lost} (try --device cpu)`);
        throw e;
      } finally {
        gpu.device.destroy();
      }
    }
    if (device === "gpu") {
      throw new CountdownError(
        "--device gpu: no WebGPU adapter is available here (use --device auto or cpu)",
      );
    }
    warn("No WebGPU adapter found: decoding on the CPU with the TypeScript reference (slower)");
  }
  const t = performance.now();
  const pixels = decodeReference(weights, latents, frames, imsize);
  timings.decode = (performance.now() - t) / 1000;
  return { pixels, backend: "cpu (TypeScript reference)" };
}

async function ensureFolder(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new CountdownError(`-o/--out-path ${dir} cannot be created: ${(e as Error).message}`);
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch {
    // Without read permission on the folder (a narrow --allow-write run) there is nothing to
    // check here; a folder that is really a file still fails, with its reason, at write time.
    return;
  }
  if (!info.isDirectory) throw new CountdownError(`-o/--out-path ${dir} is a file, not a folder`);
}

/**
 * Runs the generate job.
 *
 * @param opts Parsed options.
 * @param warn Where one-line notices go (stderr).
 * @returns What was written and the timings.
 * @throws {CountdownError} For missing weights, unwritable folders or GPU faults.
 */
export async function generate(
  opts: Options,
  warn: (line: string) => void,
): Promise<GenerateReport> {
  const timings: Record<string, number> = {};
  let t = performance.now();
  const weights = await loadWeights(opts.modelPath ?? DEFAULT_WEIGHTS_URL);
  timings.weights = (performance.now() - t) / 1000;
  const dir = resolve(opts.outPath);
  await ensureFolder(dir);
  const seed = opts.seed ?? randomSeed();
  const frames = frameCount(opts.startNum, opts.endNum, opts.nSteps);
  const latents = latentPath(
    weights.anchors,
    opts.startNum,
    opts.endNum,
    opts.nSteps,
    opts.interp,
    seed,
  );
  const { pixels, backend } = await decodeFrames(
    weights,
    latents,
    frames,
    opts.imsize,
    opts.device,
    warn,
    timings,
    opts.debug,
  );
  t = performance.now();
  const delays = frameDelays(
    Math.abs(opts.startNum - opts.endNum),
    opts.nSteps,
    opts.pace,
    opts.hold,
  );
  const gif = encodeGif(pixels, opts.imsize, opts.imsize, delays);
  timings.gif = (performance.now() - t) / 1000;
  t = performance.now();
  const file = join(dir, opts.outName);
  try {
    await writeFileAtomic(file, gif);
  } catch (e) {
    throw new CountdownError(`Cannot write ${file}: ${(e as Error).message} (check -o/--out-path)`);
  }
  timings.write = (performance.now() - t) / 1000;
  return { file, frames, seed, backend, timings };
}
