/**
 * Faults a person meets: Ctrl-C mid-run, folders that cannot be written, narrow permissions,
 * no GPU or a lost one. None may cost a stack trace, a half-written file or a damaged checkpoint.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CountdownError } from "../src/errors.ts";
import { GpuDecoder } from "../src/gpu/decoder.ts";
import { latentPath } from "../src/path.ts";
import { decodeReference } from "../src/reference.ts";
import { loadCheckpoint } from "../src/train/checkpoint.ts";
import { MODEL_KEY } from "../src/train/train.ts";
import { DEFAULT_WEIGHTS_URL, loadWeights } from "../src/weights.ts";
import { writeRandomWeights } from "./fixtures.ts";
import { adapter, openTestGpu } from "./gpu_helpers.ts";
import { finish, ROOT, spawnMain } from "./run_main.ts";

const spawn = (args: string[], flags = ["-A"]) => spawnMain(args, { flags });

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("Ctrl-C during generation leaves no file, partial or whole", async () => {
  const dir = await Deno.makeTempDir();
  const weights = await writeRandomWeights();
  // 2,701 frames of 256×256: seconds of work, so the signal lands mid-run.
  const child = spawn(["-m", weights, "-a", "9", "-z", "0", "-n", "300", "-i", "256", "-o", dir]);
  await new Promise((r) => setTimeout(r, 1500));
  child.kill("SIGINT");
  const r = await finish(child);
  assert.notEqual(r.code, 0, "the run was interrupted");
  assert.deepEqual(names(dir), [], `left behind: ${names(dir)}`);
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(weights);
});

Deno.test("Ctrl-C during training keeps the last checkpoint, and --resume continues from it", async () => {
  const dir = await Deno.makeTempDir();
  const weights = join(dir, "w.safetensors");
  const args = [
    "-t",
    "--train-samples",
    "2000",
    "-b",
    "100",
    "-s",
    "1",
    "-m",
    weights,
    "--checkpoint-dir",
    dir,
    "--seed",
    "4",
  ];
  const child = spawn([...args, "-e", "5"]);
  // Read stdout until the first checkpoint is announced, then interrupt epoch 2.
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!/checkpoint .*\(epoch 1\)/.test(seen)) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  child.kill("SIGINT");
  while (!(await reader.read()).done) { /* drain */ }
  const status = await child.status;
  await child.stderr.cancel();
  assert.equal(status.code, 130, "stopped with the interrupt status");
  const ckpt = join(dir, "countdown-checkpoint.safetensors");
  const state = await loadCheckpoint(ckpt, MODEL_KEY);
  assert.equal(state.epoch, 1, "the checkpoint of epoch 1 is intact");
  assert.ok(!names(dir).includes("w.safetensors"), "no weights exported from an interrupted run");
  assert.ok(!names(dir).some((n) => n.endsWith(".tmp")), "no temporary files");

  const resumed = await finish(spawn([...args, "-e", "2", "--resume", ckpt]));
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming from .* after epoch 1/);
  assert.match(resumed.stdout, /^epoch 2\/2:/m);
  assert.equal((await loadCheckpoint(ckpt, MODEL_KEY)).epoch, 2);
  await loadWeights(weights);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an output folder that cannot be created is a one-line error and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "plain-file");
  await Deno.writeTextFile(file, "x");
  const weights = await writeRandomWeights();
  const r = await finish(spawn(["-m", weights, "-a", "1", "-z", "0", "-o", join(file, "sub")]));
  assert.equal(r.code, 1);
  assert.match(
    r.stderr.trim(),
    /^countdown: -o\/--out-path .*plain-file\/sub cannot be created: [^\n]*$/,
  );
  assert.deepEqual(names(dir), ["plain-file"]);
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(weights);
});

Deno.test("a run with narrow permissions works, and a missing one names the flag to add", async () => {
  const dir = await Deno.makeTempDir();
  const ok = await finish(
    spawn(["-a", "2", "-z", "0", "-n", "3", "-o", dir, "--seed", "1"], [
      `--allow-read=${ROOT},${dir}`,
      `--allow-write=${dir}`,
    ]),
  );
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(names(dir), ["countdown.gif"]);
  const noWrite = await finish(
    spawn(["-a", "2", "-z", "0", "-o", join(dir, "x")], [`--allow-read=${ROOT}`]),
  );
  assert.equal(noWrite.code, 1);
  assert.match(noWrite.stderr.trim(), /^countdown: .*--allow-write[^\n]*$/);
  const noRead = await finish(spawn(["-a", "2", "-z", "0", "-o", dir], []));
  assert.equal(noRead.code, 1);
  assert.match(
    noRead.stderr.trim(),
    /^countdown: Weights file .* cannot be read: .*--allow-read[^\n]*$/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "the CPU reference gives the GPU's frames within one grey level on the shipped weights",
  ignore: !adapter,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const weights = await loadWeights(DEFAULT_WEIGHTS_URL);
    const latents = latentPath(weights.anchors, 9, 0, 6, "slerp", 11);
    const frames = 9 * 6 + 1;
    const { gpu } = await openTestGpu();
    try {
      const decoder = await GpuDecoder.create(gpu, weights, 128);
      const got = await decoder.decode(latents, frames);
      decoder.destroy();
      const want = decodeReference(weights, latents, frames, 128);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      assert.ok(worst <= 1, `a pixel differs by ${worst} grey levels`);
    } finally {
      gpu.device.destroy();
    }
  },
});

Deno.test({
  name: "a device lost mid-run is reported as a CountdownError, not a crash",
  ignore: !adapter,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const weights = await loadWeights(DEFAULT_WEIGHTS_URL);
    const { gpu } = await openTestGpu();
    const decoder = await GpuDecoder.create(gpu, weights, 64);
    gpu.device.destroy();
    await assert.rejects(
      decoder.decode(latentPath(weights.anchors, 3, 0, 4, "lerp", 1), 13),
      (e: Error) => e instanceof CountdownError && /GPU/.test(e.message),
    );
  },
});

Deno.test("--debug adds the stack trace; a missing nested output folder is created", async () => {
  const dir = await Deno.makeTempDir();
  const plain = await finish(spawn(["-m", join(dir, "missing.safetensors")]));
  assert.equal(plain.code, 1);
  assert.doesNotMatch(plain.stderr, /\n\s+at /);
  const debug = await finish(spawn(["-m", join(dir, "missing.safetensors"), "--debug"]));
  assert.equal(debug.code, 1);
  assert.match(debug.stderr, /\n\s+at .*weights\.ts/, "the trace names the source");
  const nested = join(dir, "a", "b", "c");
  const ok = await finish(spawn(["-a", "1", "-z", "0", "-n", "2", "-o", nested]));
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(names(nested), ["countdown.gif"]);
  await Deno.remove(dir, { recursive: true });
});
