import assert from "node:assert/strict";
import { join } from "node:path";
import { DECODER_ARCH } from "../src/model.ts";
import { loadWeights } from "../src/weights.ts";
import { decodeGif } from "./gif_decode.ts";
import { runMain } from "./run_main.ts";

const run = (args: string[]) => runMain(args);

Deno.test("a tiny training run lowers the loss and exports weights the generator loads", async () => {
  const dir = await Deno.makeTempDir();
  const weights = join(dir, "tiny.safetensors");
  const common = [
    "--train-samples",
    "400",
    "-b",
    "50",
    "-s",
    "1",
    "-m",
    weights,
    "--checkpoint-dir",
    dir,
    "--seed",
    "3",
  ];
  const r = await run(["-t", "-e", "2", ...common]);
  assert.equal(r.code, 0, r.stderr);
  const losses = [
    ...r.stdout.matchAll(/^epoch \d+\/\d+: train loss ([\d.]+), test loss ([\d.]+)/gm),
  ].map((m) => [Number(m[1]), Number(m[2])]);
  assert.equal(losses.length, 2, r.stdout);
  assert.ok(losses[1][1] < losses[0][1], `test loss went down: ${JSON.stringify(losses)}`);
  const w = await loadWeights(weights);
  assert.equal(w.anchors.shape[0], 10);
  assert.deepEqual(w.arch, DECODER_ARCH, "the exported architecture is the shipped one");

  // --resume continues from the checkpoint to the third epoch.
  const resumed = await run([
    "-t",
    "-e",
    "3",
    ...common,
    "--resume",
    join(dir, "countdown-checkpoint.safetensors"),
  ]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming .* after epoch 2/);
  assert.match(resumed.stdout, /^epoch 3\/3:/m);
  assert.doesNotMatch(resumed.stdout, /^epoch [12]\/3:/m);

  const g = await run(["-m", weights, "-a", "2", "-z", "0", "-n", "3", "-o", dir, "-l", "t.gif"]);
  assert.equal(g.code, 0, g.stderr);
  assert.equal(decodeGif(await Deno.readFile(join(dir, "t.gif"))).frames.length, 7);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bad training input is refused before any weights are written", async () => {
  const dir = await Deno.makeTempDir();
  const weights = join(dir, "w.safetensors");
  const notCkpt = join(dir, "not.safetensors");
  await Deno.writeTextFile(notCkpt, "nope");
  const cases: [string[], number, RegExp][] = [
    [["-e", "0"], 2, /-e\/--epochs/],
    [["-b", "0"], 2, /-b\/--batch-size/],
    [["-b", "500", "--train-samples", "100"], 1, /-b\/--batch-size 500 is larger than the 100/],
    [
      ["--resume", notCkpt, "--train-samples", "100", "-b", "10"],
      1,
      /--resume .* not a checkpoint/,
    ],
    [["--backend", "tpu"], 2, /--backend/],
  ];
  for (const [args, code, re] of cases) {
    const r = await run(["-t", "-m", weights, "--checkpoint-dir", dir, ...args]);
    assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(
      r.stderr.trim().split("\n").filter((l) => !l.startsWith("Hi,")).length,
      1,
      r.stderr,
    );
  }
  assert.deepEqual(
    [...Deno.readDirSync(dir)].map((e) => e.name),
    ["not.safetensors"],
    "nothing written",
  );
  await Deno.remove(dir, { recursive: true });
});
