/**
 * The probe behind the kernel log (README, "Performance"): what one operation costs on this
 * adapter, per group of invocations the adapter runs together (8 lanes on llvmpipe's 256-bit
 * build), in nanoseconds of the whole adapter (both cores of this project's machine at once).
 * Each probe is a WGSL loop of 64 operations of one kind a trip into 8 accumulators; its GPU time
 * per pass (the difference of a 5-pass and a 1-pass submit) over the operations done. An FMA is
 * counted per float (a vec4 FMA is 4); a load or store per vec4. Run: `deno task probe`.
 *
 * @module
 */

import { findAdapter, openDevice } from "../gpu/device.ts";

/** One probe: the WGSL statement of operation j (0…63) in loop trip k, over lane i. */
interface Probe {
  name: string;
  /** Updates accumulator a(j mod 8). */
  op: (j: number) => string;
  /** Scalar FMAs, loads or stores that one `op` does per lane. */
  ops: number;
}

const PROBES: Probe[] = [
  {
    name: "scalar FMA, operands in registers",
    op: (j) => `a${j % 8} = fma(a${j % 8}, m, c);`,
    ops: 4,
  },
  {
    name: "scalar FMA, weight a literal",
    // Multiplies the next accumulator, so the product cannot be hoisted out of the loop.
    op: (j) => `a${j % 8} = fma(a${(j + 1) % 8}, vec4f(0.${j + 1}, 0.2, 0.3, 0.4), a${j % 8});`,
    ops: 4,
  },
  {
    // The scalar FMA above with its weight read from the uniform buffer at a constant index, as
    // a baked kernel would read weights kept in memory instead of written in as literals.
    name: "scalar FMA, weight a uniform at a constant index",
    op: (j) => `a${j % 8} = fma(a${(j + 1) % 8}, u[${j}], a${j % 8});`,
    ops: 4,
  },
  {
    name: "vec4 load, uniform buffer, loop-varying index",
    op: (j) => `a${j % 8} += u[(k + ${j}u) & 1023u];`,
    ops: 1,
  },
  {
    name: "vec4 load, storage buffer, per-lane index",
    op: (j) => `a${j % 8} += s[(i * 64u + k + ${j}u) & 262143u];`,
    ops: 1,
  },
  {
    name: "vec4 load, storage buffer, same index in every lane",
    op: (j) => `a${j % 8} += s[(k + ${j}u) & 262143u];`,
    ops: 1,
  },
  {
    name: "vec4 textureLoad, rgba32float texture, per-lane coordinates",
    op: (j) =>
      `a${j % 8} += textureLoad(t, vec2u((i * 64u + k + ${j}u) & 1023u, (i >> 4u) & 255u), 0);`,
    ops: 1,
  },
  {
    name: "vec4 store, storage buffer, per-lane index",
    // The pass's own output buffer, an element per invocation: stores from neighbours overlap,
    // which costs nothing here (the values are never read).
    op: (j) => `out[(i * 64u + k + ${j}u) & (arrayLength(&out) - 1u)] = a${j % 8};`,
    ops: 1,
  },
  {
    name: "vec4 load, workgroup memory, per-lane index",
    op: (j) => `a${j % 8} += w[(lid * 64u + k + ${j}u) & 1023u];`,
    ops: 1,
  },
];

/** Operations a loop trip: enough that the loop's own cost is a small part of each figure. */
const OPS_PER_TRIP = 64;

function shader(p: Probe): string {
  const decl = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => `var a${j} = vec4f(f32(i & 7u) + ${j}.0);`).join(
    "\n  ",
  );
  const body = Array.from({ length: OPS_PER_TRIP }, (_, j) => p.op(j)).join(" ");
  // A barrier turns every invocation into a coroutine on llvmpipe, its locals kept in memory:
  // only the workgroup-memory probe has one, and its figure includes that.
  const shared = body.includes("w[");
  return `
@group(0) @binding(0) var<uniform> u: array<vec4f, 1024>;
@group(0) @binding(1) var<storage, read> s: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(3) var t: texture_2d<f32>;
var<workgroup> w: array<vec4f, 1024>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = g.x;
  let m = vec4f(0.999);
  let c = vec4f(1e-3);
  ${shared ? "w[lid] = vec4f(f32(lid));\n  workgroupBarrier();" : ""}
  let uses = u[0] + s[0] + textureLoad(t, vec2u(0u), 0)${shared ? " + w[0]" : ""};
  ${decl}
  for (var k = 0u; k < 32u; k += 1u) { ${body} }
  out[i] = uses + a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}`;
}

/**
 * Times each probe; returns nanoseconds per operation per lane group of 8.
 *
 * @param invocations Invocations a pass (a multiple of 64).
 */
export async function probeLoadCosts(
  invocations = 1 << 16,
): Promise<{ name: string; ns: number }[]> {
  const adapter = await findAdapter();
  if (!adapter) throw new Error("No WebGPU adapter");
  const gpu = await openDevice(adapter);
  const device = gpu.device;
  const buf = (size: number, usage: number) =>
    device.createBuffer({ size, usage: usage | GPUBufferUsage.COPY_DST });
  const u = buf(16384, GPUBufferUsage.UNIFORM);
  const s = buf(4 << 20, GPUBufferUsage.STORAGE);
  const data = new Float32Array(1 << 20).map((_, k) => (k % 97) / 97);
  device.queue.writeBuffer(u, 0, data, 0, 4096);
  device.queue.writeBuffer(s, 0, data);
  const out = buf(invocations * 16, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
  const read = device.createBuffer({
    size: 16,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const tex = device.createTexture({
    size: [1024, 256],
    format: "rgba32float",
    usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST,
  });
  device.queue.writeTexture({ texture: tex }, data, { bytesPerRow: 1024 * 16 }, [1024, 256]);
  const view = tex.createView();
  const results: { name: string; ns: number }[] = [];
  for (const p of PROBES) {
    const pipeline = device.createComputePipeline({
      layout: "auto",
      compute: { module: device.createShaderModule({ code: shader(p) }), entryPoint: "main" },
    });
    const bg = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        ...[u, s, out].map((buffer, binding) => ({ binding, resource: { buffer } })),
        { binding: 3, resource: view },
      ],
    });
    const run = async (passes: number) => {
      const t = performance.now();
      const enc = device.createCommandEncoder();
      for (let r = 0; r < passes; r++) {
        const pass = enc.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bg);
        pass.dispatchWorkgroups(invocations / 64);
        pass.end();
      }
      enc.copyBufferToBuffer(out, 0, read, 0, 16);
      device.queue.submit([enc.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      read.unmap();
      return performance.now() - t;
    };
    await run(1);
    const ms: number[] = [];
    for (let r = 0; r < 5; r++) {
      const one = await run(1), five = await run(5);
      ms.push((five - one) / 4);
    }
    ms.sort((a, b) => a - b);
    const opsPerPass = (invocations / 8) * 32 * OPS_PER_TRIP * p.ops;
    results.push({ name: p.name, ns: (ms[2] * 1e6) / opsPerPass });
  }
  device.destroy();
  return results;
}

if (import.meta.main) {
  for (const r of await probeLoadCosts()) {
    console.log(`${r.ns.toFixed(2).padStart(7)} ns  ${r.name}`);
  }
}
