/**
 * What the adapter can do at all: its FMA rate (shaders/fma_peak.wgsl) and its buffer copy
 * bandwidth, each the best of several timed submits.
 *
 * @module
 */

import { CountdownError } from "../errors.ts";
import { bindBuffers, dispatchGrid, WORKGROUP_SIZE } from "../gpu/kernels.ts";

/** Mirrors `Params` in shaders/fma_peak.wgsl. */
export function packFmaParams(iterations: number): Uint32Array<ArrayBuffer> {
  return Uint32Array.of(iterations, 0, 0, 0);
}

/** FLOPs one invocation of fma_peak.wgsl does per loop trip (64 vec4 FMAs, 2 FLOPs a lane). */
export const FMA_FLOPS_PER_TRIP = 64 * 4 * 2;

async function timeSubmit(
  device: GPUDevice,
  encode: (e: GPUCommandEncoder) => void,
  probe: GPUBuffer,
): Promise<number> {
  const read = device.createBuffer({
    size: 16,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const start = performance.now();
  const enc = device.createCommandEncoder();
  encode(enc);
  enc.copyBufferToBuffer(probe, 0, read, 0, 16);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  read.destroy();
  return performance.now() - start;
}

/**
 * Measures the adapter's FMA throughput in GFLOP/s: two submits of different lengths, so the
 * fixed cost of a submit and readback cancels out.
 */
export async function measureFmaGflops(device: GPUDevice, invocations = 1 << 18): Promise<number> {
  const code = await Deno.readTextFile(new URL("../../shaders/fma_peak.wgsl", import.meta.url));
  device.pushErrorScope("validation");
  const pipeline = device.createComputePipeline({
    layout: "auto",
    compute: {
      module: device.createShaderModule({ code }),
      entryPoint: "main",
      constants: { WG: WORKGROUP_SIZE },
    },
  });
  const err = await device.popErrorScope();
  if (err) throw new CountdownError(`fma_peak.wgsl failed to compile: ${err.message}`);
  const out = device.createBuffer({
    size: invocations * 16,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
  });
  const uniform = (iterations: number) => {
    const u = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(u, 0, packFmaParams(iterations));
    return u;
  };
  const run = (iterations: number) => {
    const u = uniform(iterations);
    const bg = bindBuffers(device, pipeline, [u, out]);
    const [x, y] = dispatchGrid(
      Math.ceil(invocations / WORKGROUP_SIZE),
      device.limits.maxComputeWorkgroupsPerDimension,
    );
    return timeSubmit(device, (e) => {
      const pass = e.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bg);
      pass.dispatchWorkgroups(x, y);
      pass.end();
    }, out);
  };
  await run(4);
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const short = await run(16), long = await run(256);
    const flops = invocations * (256 - 16) * FMA_FLOPS_PER_TRIP;
    best = Math.max(best, flops / Math.max(long - short, 1e-3) / 1e6);
  }
  out.destroy();
  return best;
}

/** Measures copyBufferToBuffer bandwidth in GB/s (bytes read + bytes written). */
export async function measureCopyGbps(device: GPUDevice, bytes = 64 << 20): Promise<number> {
  const size = Math.min(bytes, device.limits.maxBufferSize);
  const a = device.createBuffer({ size, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  const b = device.createBuffer({ size, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  const copies = (n: number) => (e: GPUCommandEncoder) => {
    for (let i = 0; i < n; i++) e.copyBufferToBuffer(i % 2 ? b : a, 0, i % 2 ? a : b, 0, size);
  };
  await timeSubmit(device, copies(1), a);
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const one = await timeSubmit(device, copies(1), a),
      many = await timeSubmit(device, copies(9), a);
    best = Math.max(best, (8 * 2 * size) / Math.max(many - one, 1e-3) / 1e6);
  }
  a.destroy();
  b.destroy();
  return best;
}
