/**
 * Property tests: random flag combinations and randomly damaged weights files. The program may
 * refuse them, but only with its own one-line errors: never an unhandled error, never a hang,
 * never a file left in the output folder unless it exited 0. Case counts are printed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FLAGS, parseCli } from "../src/cli.ts";
import { UsageError } from "../src/errors.ts";
import { mulberry32 } from "../src/rng.ts";
import { decodeWeights } from "../src/weights.ts";
import { randomWeights, SMALL_ARCH } from "./fixtures.ts";
import { runMain } from "./run_main.ts";

/** Values that probe each flag's edges. */
const VALUES = [
  "0",
  "1",
  "9",
  "10",
  "-1",
  "2.5",
  "x",
  "",
  "128",
  "8",
  "7",
  "1025",
  "4294967296",
  "lerp",
  "slerp",
  "cpu",
  "gpu",
  "auto",
  "a/b.gif",
  "ok.gif",
  "1e3",
  " 5",
  "0x10",
  "NaN",
];

/** A random command line; flags whose long name is in `exclude` are never drawn. */
function randomArgs(next: () => number, exclude: string[] = []): string[] {
  const flags = FLAGS.filter((f) => !exclude.includes(f.long));
  const args: string[] = [];
  const n = Math.floor(next() * 6);
  for (let i = 0; i < n; i++) {
    const r = next();
    if (r < 0.05) {
      args.push(["--nope", "-q", "stray", "--", "-"][Math.floor(next() * 5)]);
      continue;
    }
    const f = flags[Math.floor(next() * flags.length)];
    const name = f.short && next() < 0.5 ? `-${f.short}` : `--${f.long}`;
    if (f.type === "boolean") args.push(name);
    else if (next() < 0.9) args.push(name, VALUES[Math.floor(next() * VALUES.length)]);
    else args.push(name);
  }
  return args;
}

Deno.test("parseCli() on 5,000 random command lines: options or a one-line UsageError, nothing else", () => {
  const next = mulberry32(2024);
  let usage = 0, ok = 0;
  for (let i = 0; i < 5000; i++) {
    const args = randomArgs(next);
    try {
      const o = parseCli(args);
      assert.ok(o.startNum !== o.endNum || !o.generate);
      assert.ok(o.imsize >= 8 && o.imsize <= 1024 && o.nSteps >= 1);
      ok++;
    } catch (e) {
      if (!(e instanceof UsageError)) throw new Error(`${JSON.stringify(args)} threw ${e}`);
      assert.ok(!e.message.includes("\n") && e.message.length > 0, JSON.stringify(args));
      usage++;
    }
  }
  console.log(`fuzz: 5000 command lines, ${ok} accepted, ${usage} refused`);
});

/** Damages a valid file in one of several ways. */
function damage(bytes: Uint8Array, next: () => number): Uint8Array {
  const b = bytes.slice();
  const headerLen = Number(new DataView(b.buffer).getBigUint64(0, true));
  const kind = Math.floor(next() * 5);
  if (kind === 0) return b.subarray(0, Math.floor(next() * b.length)); // truncation
  if (kind === 1) {
    // flips anywhere
    for (let i = 0, n = 1 + Math.floor(next() * 8); i < n; i++) {
      b[Math.floor(next() * b.length)] ^= 1 << Math.floor(next() * 8);
    }
    return b;
  }
  if (kind === 2) {
    // flips inside the header, where they change meaning rather than values
    for (let i = 0, n = 1 + Math.floor(next() * 4); i < n; i++) {
      b[8 + Math.floor(next() * headerLen)] ^= 1 << Math.floor(next() * 7);
    }
    return b;
  }
  if (kind === 3) {
    // a header length that lies
    new DataView(b.buffer).setBigUint64(0, BigInt(Math.floor(next() * 2 ** 40)), true);
    return b;
  }
  // digits inside the header changed: shapes, offsets, sizes
  const text = new TextDecoder().decode(b.subarray(8, 8 + headerLen));
  const digits = [...text.matchAll(/\d+/g)];
  const m = digits[Math.floor(next() * digits.length)];
  const edited = text.slice(0, m.index) + String(Math.floor(next() * 100000)) +
    text.slice(m.index! + m[0].length);
  const enc = new TextEncoder().encode(edited);
  const out = new Uint8Array(8 + enc.length + b.length - 8 - headerLen);
  new DataView(out.buffer).setBigUint64(0, BigInt(enc.length), true);
  out.set(enc, 8);
  out.set(b.subarray(8 + headerLen), 8 + enc.length);
  return out;
}

Deno.test("decodeWeights() on 3,000 damaged files: valid weights or a TypeError with a reason", () => {
  const { bytes } = randomWeights(SMALL_ARCH, 8, 2);
  const next = mulberry32(77);
  let refused = 0, accepted = 0;
  const start = performance.now();
  for (let i = 0; i < 3000; i++) {
    const bad = damage(bytes, next);
    try {
      const w = decodeWeights(bad);
      assert.equal(w.anchors.shape[0], 10);
      accepted++;
    } catch (e) {
      if (!(e instanceof TypeError)) throw new Error(`case ${i} threw ${e}`);
      assert.ok(e.message.length > 0 && !e.message.includes("\n"));
      refused++;
    }
  }
  const secs = (performance.now() - start) / 1000;
  assert.ok(secs < 60, `took ${secs} s: something is slow on damaged input`);
  console.log(
    `fuzz: 3000 damaged weights files, ${refused} refused, ${accepted} still valid (flipped data bits)`,
  );
});

Deno.test("main.ts end to end on random flags and damaged weights: exit 0, 1 or 2, one line, no stray files", async () => {
  const next = mulberry32(99);
  const { bytes } = randomWeights(SMALL_ARCH, 9, 2);
  const dir = await Deno.makeTempDir();
  let cases = 0;
  const codes = [0, 0, 0];
  for (let i = 0; i < 60; i++) {
    const out = join(dir, `out${i}`);
    const weights = join(dir, `w${i}.safetensors`);
    // Even cases: a damaged weights file with valid flags. Odd cases: random flags, sound weights.
    const damaged = i % 2 === 0;
    await Deno.writeFile(weights, damaged ? damage(bytes, next) : bytes);
    const a = Math.floor(next() * 10), z = (a + 1 + Math.floor(next() * 9)) % 10;
    const args = [
      "-m",
      weights,
      "-o",
      out,
      "-n",
      "2",
      "-i",
      "16",
      ...(damaged ? ["-a", String(a), "-z", String(z)] : randomArgs(next, [
        // Jobs other than generating, sizes (a big -n or -i is legitimate work, not a fault) and
        // --debug (traces by design) stay out of the draw.
        "train",
        "help",
        "bench",
        "quick",
        "debug",
        "model-path",
        "out-path",
        "n-steps",
        "imsize",
        "version",
      ])),
    ];
    // A run that takes a minute at these sizes has hung.
    const r = await runMain(args, { signal: AbortSignal.timeout(60_000) });
    assert.ok(r.signal === null, `${JSON.stringify(args.slice(4))}: killed after 60 s (hung?)`);
    const stderr = r.stderr;
    const what = JSON.stringify(args.slice(4));
    assert.ok([0, 1, 2].includes(r.code), `${what}: exit ${r.code}`);
    codes[r.code]++;
    assert.doesNotMatch(stderr, /internal error|\bat .*:\d+:\d+/, `${what}: ${stderr}`);
    if (r.code !== 0) {
      assert.equal(stderr.trim().split("\n").length, 1, `${what}: ${stderr}`);
      let left: string[] = [];
      try {
        left = [...Deno.readDirSync(out)].map((e) => e.name);
      } catch { /* folder never made */ }
      assert.deepEqual(left, [], `${what}: left ${left}`);
    }
    cases++;
  }
  console.log(
    `fuzz: ${cases} end-to-end runs: ${codes[0]} made a GIF, ${codes[1]} runtime errors, ${
      codes[2]
    } usage errors`,
  );
  assert.ok(codes.every((c) => c > 0), "the draw reaches success and both kinds of error");
  await Deno.remove(dir, { recursive: true });
});
