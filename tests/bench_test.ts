import assert from "node:assert/strict";
import { join } from "node:path";
import { adapter } from "./gpu_helpers.ts";
import { runMain } from "./run_main.ts";

Deno.test({
  name: "bench --quick runs every implementation and writes bench.json with the documented fields",
  ignore: !adapter,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const r = await runMain(["--bench", "--quick", "-o", dir]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(await Deno.readTextFile(join(dir, "bench.json")));
    assert.equal(typeof j.adapter.description, "string");
    assert.equal(typeof j.adapter.isFallbackAdapter, "boolean");
    assert.equal(typeof j.host.cpu, "string");
    assert.ok(Number.isInteger(j.host.cores) && j.host.cores > 0);
    assert.ok(j.ceiling.gflops > 0 && j.ceiling.gbps > 0);
    assert.ok(j.decoder.flopsPerFrame > 1e6 && j.decoder.bytesPerFrame > 0);
    assert.deepEqual(j.wrong, [], "every implementation matched the reference");
    const impls = new Set(j.results.map((x: { impl: string }) => x.impl));
    for (
      const impl of [
        "wgsl",
        "wgsl-v5",
        "wgsl-v4",
        "wgsl-v2",
        "wgsl-v1",
        "tfjs-webgpu",
        "tfjs-wasm",
        "tfjs-cpu",
        "reference",
      ]
    ) {
      assert.ok(impls.has(impl), impl);
    }
    // The kernel race: every kernel that applies to each of the 4 layers, all correct; the
    // shipped choice is among them, once a layer.
    const layers = new Set(j.kernels.map((k: { layer: string }) => k.layer));
    assert.equal(layers.size, 4, [...layers].join(", "));
    assert.ok(j.kernels.length >= 10, `${j.kernels.length} kernels raced`);
    for (const k of j.kernels) {
      assert.ok(k.ms > 0 && k.relError < 1e-4, JSON.stringify(k));
    }
    assert.equal(j.kernels.filter((k: { chosen: boolean }) => k.chosen).length, 4);
    for (const x of j.results) {
      assert.deepEqual(Object.keys(x).sort(), [
        "batch",
        "framesPerSecond",
        "gflops",
        "gpuFramesPerSecond",
        "impl",
        "medianMs",
      ]);
      assert.ok(x.framesPerSecond > 0 && x.medianMs > 0);
    }
    assert.match(
      await Deno.readTextFile(join(dir, "bench.svg")),
      /^<svg[\s\S]*<polyline[\s\S]*<\/svg>$/,
    );
    assert.match(r.stdout, /\| wgsl \|/);
    await Deno.remove(dir, { recursive: true });
  },
});
