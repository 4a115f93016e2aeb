/**
 * The benchmark: decode throughput of every implementation on the same weights, latents and
 * adapter in one process, next to the adapter's own ceiling. Writes a table to stdout,
 * `bench.json` and `bench.svg`.
 *
 * A timed run is submit → frames read back on the CPU. Each implementation is first checked
 * against the reference (rel. L2 < 1e-4) and is reported, not timed, if wrong. Set-up (pipeline
 * creation, shader compilation, backend start) is timed on its own; each batch size gets a
 * warm-up run, then the median of at least 5 timed runs.
 *
 * @module
 */

import { join } from "node:path";
import { flopsPerFrame, size } from "../architecture.ts";
import { writeFileAtomic } from "../atomic_write.ts";
import { CountdownError } from "../errors.ts";
import { findAdapter, type Gpu, openDevice } from "../gpu/device.ts";
import { latentPath } from "../path.ts";
import { decodeToFloat } from "../reference.ts";
import type { DecoderWeights } from "../weights.ts";
import { measureCopyGbps, measureFmaGflops } from "./ceiling.ts";
import { type Impl, passMs, referenceImpl, tfjsImpl, wgslImpl } from "./impls.ts";
import { type KernelRaceResult, raceKernels } from "./kernel_race.ts";
import { chartSvg } from "./svg.ts";

/** Batch sizes of a full run and of `--quick`. */
export const FULL_BATCHES = [1, 30, 270, 1024, 4096, 16384];
export const QUICK_BATCHES = [1, 30, 270];

/** One measured (implementation, batch) pair, as bench.json stores it. */
export interface BenchResult {
  impl: string;
  batch: number;
  framesPerSecond: number;
  gpuFramesPerSecond: number | null;
  gflops: number;
  medianMs: number;
}

/** The whole of bench.json. */
export interface BenchReport {
  adapter: { description: string; isFallbackAdapter: boolean };
  /**
   * The machine the process ran on: on a software adapter such as llvmpipe the CPU is the
   * hardware, and this project's machines are not all the same CPU.
   */
  host: { cpu: string; cores: number };
  ceiling: { gflops: number; gbps: number };
  decoder: { flopsPerFrame: number; bytesPerFrame: number };
  setupMs: Record<string, number>;
  /** Every kernel that can run each layer, timed on that layer (src/bench/kernel_race.ts). */
  kernels: KernelRaceResult[];
  skipped: { impl: string; batch: number; reason: string }[];
  wrong: { impl: string; relError: number }[];
  results: BenchResult[];
  command: string;
  date: string;
}

/** The CPU's model name (Linux: /proc/cpuinfo), or "unknown", and the logical cores. */
export function hostFacts(): { cpu: string; cores: number } {
  let cpu = "unknown";
  try {
    const m = Deno.readTextFileSync("/proc/cpuinfo").match(/^model name\s*:\s*(.+)$/m);
    if (m) cpu = m[1].trim();
  } catch {
    // Not Linux, or not allowed to read it: the report says so rather than failing.
  }
  return { cpu, cores: navigator.hardwareConcurrency };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Activation bytes one frame moves: every layer's input read and output written once. */
export function bytesPerFrame(w: DecoderWeights): number {
  let bytes = 0;
  for (const p of w.planned) {
    if (p.layer.kind !== "reshape") bytes += 4 * (size(p.inShape) + size(p.outShape));
  }
  return bytes;
}

function relError(got: Float32Array, want: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < want.length; i++) {
    num += (got[i] - want[i]) ** 2;
    den += want[i] ** 2;
  }
  return got.length === want.length ? Math.sqrt(num / (den || 1)) : Infinity;
}

/** Latents along countdown paths, repeated to fill a batch. */
function latentsFor(w: DecoderWeights, batch: number): Float32Array<ArrayBuffer> {
  const dim = w.arch.latentDim;
  const path = latentPath(w.anchors, 9, 0, 30, "slerp", 1);
  const out = new Float32Array(batch * dim);
  for (let i = 0; i < out.length; i += path.length) {
    out.set(path.subarray(0, Math.min(path.length, out.length - i)), i);
  }
  return out;
}

/** Options of a benchmark run. */
export interface BenchOptions {
  quick: boolean;
  outDir: string;
  command: string;
  log: (line: string) => void;
}

/**
 * Runs the benchmark.
 *
 * @throws {CountdownError} When there is no WebGPU adapter (the benchmark is about one).
 */
export async function runBench(w: DecoderWeights, o: BenchOptions): Promise<BenchReport> {
  // Refuse an unusable output folder before minutes of measuring, not after.
  try {
    await Deno.mkdir(o.outDir, { recursive: true });
  } catch (e) {
    throw new CountdownError(
      `-o/--out-path ${o.outDir} cannot be created: ${(e as Error).message}`,
    );
  }
  const adapter = await findAdapter();
  if (!adapter) {
    throw new CountdownError("--bench needs a WebGPU adapter and none is available here");
  }
  const gpu: Gpu = await openDevice(adapter);
  const batches = o.quick ? QUICK_BATCHES : FULL_BATCHES;
  // A measurement whose warm-up shows it would pass this budget is skipped, and says so.
  // (Long enough for tfjs-webgpu's five runs at 16,384 frames on llvmpipe, 36–55 s each.)
  const budgetMs = o.quick ? 4000 : 330000;
  const gpuRepeats = o.quick ? 1 : 3;
  const report: BenchReport = {
    adapter: { description: gpu.description, isFallbackAdapter: gpu.isFallbackAdapter },
    host: hostFacts(),
    ceiling: { gflops: 0, gbps: 0 },
    decoder: { flopsPerFrame: flopsPerFrame(w.planned), bytesPerFrame: bytesPerFrame(w) },
    setupMs: {},
    kernels: [],
    skipped: [],
    wrong: [],
    results: [],
    command: o.command,
    date: new Date().toISOString(),
  };
  o.log(`adapter: ${gpu.description}${gpu.isFallbackAdapter ? " (fallback adapter)" : ""}`);
  o.log(`host: ${report.host.cpu}, ${report.host.cores} logical cores`);
  report.ceiling.gflops = await measureFmaGflops(gpu.device);
  report.ceiling.gbps = await measureCopyGbps(gpu.device);
  o.log(
    `ceiling: ${report.ceiling.gflops.toFixed(1)} GFLOP/s (WGSL FMA loop, unrolled), ${
      report.ceiling.gbps.toFixed(1)
    } GB/s (buffer copy)`,
  );
  o.log(
    `decoder: ${(report.decoder.flopsPerFrame / 1e6).toFixed(2)} MFLOP and ${
      (report.decoder.bytesPerFrame / 1e3).toFixed(0)
    } kB of activations a frame`,
  );
  const check = 30;
  const want = decodeToFloat(w, latentsFor(w, check), check);
  const makers: [string, () => Promise<Impl>][] = [
    ["wgsl", () => wgslImpl(gpu, w)],
    // The earlier kernel versions, for the kernel log (README, "Performance").
    ["wgsl-v5", () => wgslImpl(gpu, w, "fastest", o.quick ? 30 : 4096, true, false)],
    ["wgsl-v4", () => wgslImpl(gpu, w, "fastest", Infinity, false)],
    ["wgsl-v2", () => wgslImpl(gpu, w, "blocked", o.quick ? 30 : 4096)],
    ["wgsl-v1", () => wgslImpl(gpu, w, "straight", o.quick ? 30 : 1024)],
    ["tfjs-webgpu", () => tfjsImpl("webgpu", w, o.quick ? 30 : 16384)],
    ["tfjs-wasm", () => tfjsImpl("wasm", w, o.quick ? 270 : 16384)],
    ["tfjs-cpu", () => tfjsImpl("cpu", w, o.quick ? 30 : 1024)],
    ["reference", () => Promise.resolve(referenceImpl(w, o.quick ? 30 : 1024))],
  ];
  for (const [name, make] of makers) {
    let t = performance.now();
    let impl: Impl;
    try {
      impl = await make();
      await impl.run(latentsFor(w, 1), 1);
    } catch (e) {
      report.skipped.push({
        impl: name,
        batch: 0,
        reason: `could not start: ${(e as Error).message}`,
      });
      o.log(`${name}: could not start: ${(e as Error).message}`);
      continue;
    }
    report.setupMs[name] = performance.now() - t;
    const err = relError(await impl.run(latentsFor(w, check), check), want);
    if (!(err < 1e-4)) {
      report.wrong.push({ impl: name, relError: err });
      o.log(`${name}: WRONG, rel. error ${err.toExponential(2)} against the reference: not timed`);
      await impl.dispose();
      continue;
    }
    o.log(
      `${name}: set-up ${report.setupMs[name].toFixed(0)} ms, rel. error ${err.toExponential(2)}`,
    );
    for (const batch of batches) {
      if (batch > impl.maxBatch) {
        report.skipped.push({ impl: name, batch, reason: "over this implementation's batch cap" });
        continue;
      }
      const latents = latentsFor(w, batch);
      t = performance.now();
      await impl.run(latents, batch);
      const warm = performance.now() - t;
      const runs = Math.max(5, Math.min(15, Math.floor(budgetMs / 3 / Math.max(warm, 1))));
      if (warm * 5 > budgetMs) {
        const reason = `one run took ${(warm / 1000).toFixed(1)} s: 5 runs would pass the ${
          budgetMs / 1000
        } s budget`;
        report.skipped.push({ impl: name, batch, reason });
        o.log(`${name} @ ${batch}: skipped, ${reason}`);
        continue;
      }
      const times: number[] = [];
      for (let r = 0; r < runs; r++) {
        t = performance.now();
        await impl.run(latents, batch);
        times.push(performance.now() - t);
      }
      const ms = median(times);
      let gpuFps: number | null = null;
      if (impl.gpuMs) {
        // Each gpuMs() is already a median of 5 pass pairs; a full run takes the median of 3 of
        // them, --quick one (on a slow host, wgsl-v1's three at 30 frames took 44 s of a 160-s
        // quick run).
        const g: number[] = [];
        for (let r = 0; r < gpuRepeats; r++) {
          const v = await impl.gpuMs(batch);
          if (v !== null) g.push(v);
        }
        gpuFps = g.length ? batch / (median(g) / 1000) : null;
      }
      const fps = batch / (ms / 1000);
      const result: BenchResult = {
        impl: name,
        batch,
        framesPerSecond: fps,
        gpuFramesPerSecond: gpuFps,
        gflops: ((gpuFps ?? fps) * report.decoder.flopsPerFrame) / 1e9,
        medianMs: ms,
      };
      report.results.push(result);
      o.log(
        `${name.padEnd(12)} batch ${String(batch).padStart(5)}: ${
          fps.toFixed(0).padStart(7)
        } frames/s wall` +
          (gpuFps ? `, ${gpuFps.toFixed(0)} frames/s GPU` : "") +
          `, median ${ms.toFixed(1)} ms of ${runs}`,
      );
    }
    await impl.dispose();
  }
  // The kernel race, at a batch within one chunk on any adapter's default limits.
  const raceBatch = o.quick ? 30 : 1024;
  report.kernels = await raceKernels(
    gpu,
    w,
    raceBatch,
    latentsFor(w, raceBatch),
    (out) => relError(out, decodeToFloat(w, latentsFor(w, raceBatch), raceBatch)),
    (decoder, batch, step) => passMs(decoder, batch, step),
  );
  for (const k of report.kernels) {
    o.log(
      `kernel race at ${k.batch}: ${k.layer.padEnd(20)} ${k.kernel.padEnd(13)} ${
        k.ms.toFixed(1).padStart(8)
      } ms ${(k.batch / k.ms * 1000).toFixed(0).padStart(7)} frames/s${
        k.chosen ? "  (shipped)" : ""
      }${k.relError < 1e-4 ? "" : `  WRONG: rel. error ${k.relError.toExponential(2)}`}`,
    );
  }
  gpu.device.destroy();
  await writeOutputs(report, o.outDir);
  return report;
}

/** Writes bench.json and bench.svg (atomically) into a folder. */
async function writeOutputs(report: BenchReport, dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true });
    await writeFileAtomic(
      join(dir, "bench.json"),
      new TextEncoder().encode(JSON.stringify(report, null, 2) + "\n"),
    );
    const names = [...new Set(report.results.map((r) => r.impl))];
    const svg = chartSvg(
      names.map((name) => ({
        name,
        points: report.results.filter((r) => r.impl === name).map((r) =>
          [r.batch, r.framesPerSecond] as [number, number]
        ),
      })),
      `decode throughput, ${report.adapter.description}`,
    );
    await writeFileAtomic(join(dir, "bench.svg"), new TextEncoder().encode(svg));
  } catch (e) {
    throw new CountdownError(
      `Cannot write the benchmark results to ${dir}: ${(e as Error).message} (check -o/--out-path)`,
    );
  }
}

/** The summary table and the ratios the project's targets are judged on. */
export function summary(r: BenchReport): string {
  const lines: string[] = [];
  const batches = [...new Set(r.results.map((x) => x.batch))].sort((a, b) => a - b);
  const impls = [...new Set(r.results.map((x) => x.impl))];
  lines.push(`| impl | ${batches.map((b) => `batch ${b}`).join(" | ")} |`);
  lines.push(`| --- | ${batches.map(() => "---").join(" | ")} |`);
  for (const impl of impls) {
    const cells = batches.map((b) => {
      const x = r.results.find((y) => y.impl === impl && y.batch === b);
      if (!x) return "—";
      return x.gpuFramesPerSecond
        ? `${x.framesPerSecond.toFixed(0)} (GPU ${x.gpuFramesPerSecond.toFixed(0)})`
        : x.framesPerSecond.toFixed(0);
    });
    lines.push(`| ${impl} | ${cells.join(" | ")} |`);
  }
  const fps = (impl: string, b: number) =>
    r.results.find((x) => x.impl === impl && x.batch === b)?.framesPerSecond;
  const ratio = (a: string, b: string, batch: number) => {
    const x = fps(a, batch), y = fps(b, batch);
    return x && y ? `${(x / y).toFixed(1)}×` : "n/a";
  };
  for (const b of batches) {
    lines.push(
      `wgsl / tfjs-webgpu at ${b}: ${ratio("wgsl", "tfjs-webgpu", b)}; wgsl / tfjs-wasm at ${b}: ${
        ratio("wgsl", "tfjs-wasm", b)
      }`,
    );
  }
  const top = r.results.filter((x) => x.impl === "wgsl").sort((a, b) => b.batch - a.batch)[0];
  if (top) {
    lines.push(
      `wgsl at ${top.batch}: ${top.gflops.toFixed(2)} GFLOP/s useful = ${
        (100 * top.gflops / r.ceiling.gflops).toFixed(1)
      }% of the ${r.ceiling.gflops.toFixed(1)} GFLOP/s FMA ceiling`,
    );
  }
  return lines.join("\n");
}
