import assert from "node:assert/strict";
import { join } from "node:path";
import { adapter } from "./gpu_helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test({
  name: "bench --quick runs every implementation and writes bench.json with the documented fields",
  ignore: !adapter,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(ROOT, "main.ts"), "--bench", "--quick", "-o", dir],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(r.stdout);
    assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    const j = JSON.parse(await Deno.readTextFile(join(dir, "bench.json")));
    assert.equal(typeof j.adapter.description, "string");
    assert.equal(typeof j.adapter.isFallbackAdapter, "boolean");
    assert.ok(j.ceiling.gflops > 0 && j.ceiling.gbps > 0);
    assert.ok(j.decoder.flopsPerFrame > 1e6 && j.decoder.bytesPerFrame > 0);
    assert.deepEqual(j.wrong, [], "every implementation matched the reference");
    const impls = new Set(j.results.map((x: { impl: string }) => x.impl));
    for (const impl of ["wgsl", "tfjs-webgpu", "tfjs-wasm", "tfjs-cpu", "reference"]) {
      assert.ok(impls.has(impl), impl);
    }
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
    assert.match(out, /\| wgsl \|/);
    await Deno.remove(dir, { recursive: true });
  },
});
