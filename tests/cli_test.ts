import assert from "node:assert/strict";
import { join } from "node:path";
import { FLAGS, helpText, parseCli } from "../src/cli.ts";
import { UsageError } from "../src/errors.ts";
import { decodeGif } from "./gif_decode.ts";
import { runMain } from "./run_main.ts";
import { writeRandomWeights } from "./fixtures.ts";

Deno.test("parseCli() keeps the original script's flags and defaults", () => {
  const o = parseCli([]);
  assert.equal(o.imsize, 128);
  assert.equal(o.startNum, 9);
  assert.equal(o.endNum, 0);
  assert.equal(o.nSteps, 30);
  assert.equal(o.outPath, "./output");
  assert.equal(o.outName, "countdown.gif");
  assert.equal(o.generate, true);
  assert.equal(o.train, false);
  const short = parseCli([
    "-a",
    "5",
    "-z",
    "0",
    "-n",
    "10",
    "-i",
    "64",
    "-o",
    "x",
    "-l",
    "y.gif",
    "-m",
    "w",
  ]);
  assert.deepEqual(
    [
      short.startNum,
      short.endNum,
      short.nSteps,
      short.imsize,
      short.outPath,
      short.outName,
      short.modelPath,
    ],
    [5, 0, 10, 64, "x", "y.gif", "w"],
  );
  for (
    const f of [
      "train",
      "epochs",
      "batch-size",
      "save-interval",
      "generate",
      "imsize",
      "start-num",
      "end-num",
      "n-steps",
      "out-path",
      "out-name",
      "model-path",
    ]
  ) {
    assert.ok(FLAGS.some((x) => x.long === f), `--${f} exists`);
  }
  assert.match(helpText(), /--start-num D\s+first digit, 0–9 \(default 9\)/);
});

Deno.test("parseCli() names the flag and what is allowed for each bad value", () => {
  const bad: [string[], RegExp][] = [
    [["-a", "10"], /-a\/--start-num must be an integer 0–9: got 10/],
    [["-z", "-1"], /-z\/--end-num/],
    [["-a", "2.5"], /-a\/--start-num must be an integer/],
    [["-a", "x"], /-a\/--start-num/],
    [["-a", "3", "-z", "3"], /must differ/],
    [["-n", "0"], /-n\/--n-steps must be an integer 1–1000/],
    [["-n", "100000"], /-n\/--n-steps/],
    [["-i", "7"], /-i\/--imsize must be an integer 8–1024/],
    [["-i", "4096"], /-i\/--imsize/],
    [["-n", "1000", "-i", "1024"], /over 1 GiB/],
    [["--bogus"], /Unknown flag --bogus/],
    [["-q"], /Unknown flag -q/],
    [["extra"], /Unexpected argument/],
    [["-l", "a/b.gif"], /-l\/--out-name must be a plain file name/],
    [["--seed", "-3"], /--seed/],
    [["--interp", "cubic"], /--interp must be one of lerp, slerp/],
    [["--device", "tpu"], /--device must be one of auto, gpu, cpu/],
    [["--pace", "0"], /--pace/],
  ];
  for (const [args, re] of bad) {
    assert.throws(
      () => parseCli(args),
      (e: Error) => e instanceof UsageError && re.test(e.message) && !e.message.includes("\n"),
      args.join(" "),
    );
  }
});

/** Runs main.ts in a child process with extra environment variables. */
const run = (args: string[], env: Record<string, string> = {}) => runMain(args, { env });

Deno.test("bad input exits 2 (usage) or 1 (runtime) with one line, no trace, and no file", async () => {
  const dir = await Deno.makeTempDir();
  const weights = await writeRandomWeights();
  const readOnly = join(dir, "ro");
  await Deno.mkdir(readOnly);
  await Deno.chmod(readOnly, 0o555);
  const asFile = join(dir, "file");
  await Deno.writeTextFile(asFile, "x");
  const garbage = join(dir, "garbage.safetensors");
  await Deno.writeTextFile(garbage, "not weights");
  const out = join(dir, "out");
  const cases: [string[], number, RegExp][] = [
    [["-a", "12"], 2, /-a\/--start-num/],
    [["-z", "x"], 2, /-z\/--end-num/],
    [["-a", "4", "-z", "4"], 2, /must differ/],
    [["-n", "0"], 2, /-n\/--n-steps/],
    [["-n", "99999999"], 2, /-n\/--n-steps/],
    [["-i", "2"], 2, /-i\/--imsize/],
    [["-i", "5000"], 2, /-i\/--imsize/],
    [["--frobnicate"], 2, /Unknown flag --frobnicate/],
    [["-m", join(dir, "missing.safetensors")], 1, /missing\.safetensors not found/],
    [["-m", garbage], 1, /garbage\.safetensors is not a valid/],
    [["-m", weights, "-o", asFile], 1, /-o\/--out-path/],
  ];
  // Root ignores permission bits, so the read-only folder case only means something for others.
  if (Deno.uid() !== 0) {
    cases.push([["-m", weights, "-o", readOnly], 1, /Cannot write|cannot be created/]);
  }
  for (const [args, code, re] of cases) {
    const r = await run([...args, ...(args.includes("-o") ? [] : ["-o", out])]);
    const what = args.join(" ");
    assert.equal(r.code, code, `${what}: exit ${r.code}, stderr ${r.stderr}`);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `${what}: one line on stderr, got ${r.stderr}`);
    assert.match(lines[0], re, what);
    assert.doesNotMatch(r.stderr, /\bat .*:\d+:\d+/, `${what}: no stack trace`);
  }
  const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assert.deepEqual(left, ["file", "garbage.safetensors", "ro"], "no output was written");
  await Deno.chmod(readOnly, 0o755);
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(weights);
});

Deno.test("main.ts -a 5 -z 0 writes a 128×128 GIF of 151 frames; with --seed the bytes repeat", async () => {
  const dir = await Deno.makeTempDir();
  const r = await run(["-a", "5", "-z", "0", "-o", dir]);
  assert.equal(r.code, 0, r.stderr);
  const gif = decodeGif(await Deno.readFile(join(dir, "countdown.gif")));
  assert.equal(gif.frames.length, 5 * 30 + 1);
  assert.deepEqual([gif.width, gif.height], [128, 128]);
  assert.match(r.stdout, /seed \d+/);

  const args = [
    "-a",
    "0",
    "-z",
    "9",
    "-n",
    "10",
    "-i",
    "64",
    "-o",
    dir,
    "-l",
    "up.gif",
    "--seed",
    "7",
  ];
  assert.equal((await run(args)).code, 0);
  const first = await Deno.readFile(join(dir, "up.gif"));
  assert.equal((await run(args)).code, 0);
  const second = await Deno.readFile(join(dir, "up.gif"));
  assert.deepEqual(first, second, "same seed, same bytes");
  const up = decodeGif(first);
  assert.equal(up.frames.length, 9 * 10 + 1);
  assert.deepEqual([up.width, up.height], [64, 64]);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
    "countdown.gif",
    "up.gif",
  ], "no temporary files left");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--help prints the flag table and exits 0; --version prints the version", async () => {
  const h = await run(["--help"]);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /--model-path FILE/);
  const v = await run(["--version"]);
  assert.match(v.stdout, /^countdown \d+\.\d+\.\d+/);
});

Deno.test("without a WebGPU adapter, auto falls back to the CPU in one line and gpu fails clearly", async () => {
  const dir = await Deno.makeTempDir();
  const weights = await writeRandomWeights();
  // An empty DENO_WEBGPU_BACKEND makes requestAdapter() return null.
  const noGpu = { DENO_WEBGPU_BACKEND: "" };
  const auto = await run(
    ["-m", weights, "-a", "1", "-z", "0", "-n", "4", "-o", dir, "--seed", "5"],
    noGpu,
  );
  assert.equal(auto.code, 0, auto.stderr);
  assert.match(
    auto.stderr.trim(),
    /^countdown: No WebGPU adapter found: decoding on the CPU[^\n]*$/,
  );
  assert.match(auto.stdout, /cpu \(TypeScript reference\)/);
  assert.equal(decodeGif(await Deno.readFile(join(dir, "countdown.gif"))).frames.length, 5);
  const gpu = await run([
    "-m",
    weights,
    "-a",
    "1",
    "-z",
    "0",
    "-o",
    dir,
    "-l",
    "g.gif",
    "--device",
    "gpu",
  ], noGpu);
  assert.equal(gpu.code, 1);
  assert.match(gpu.stderr.trim(), /^countdown: --device gpu: no WebGPU adapter[^\n]*$/);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["countdown.gif"]);
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(weights);
});
