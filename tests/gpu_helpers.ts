/**
 * Runs one kernel by itself on small arrays, for the kernel-versus-reference tests.
 *
 * @module
 */

import { findAdapter, type Gpu, openDevice } from "../src/gpu/device.ts";
import {
  bindBuffers,
  createPipelines,
  encodeDispatch,
  groupsFor,
  type Pipelines,
} from "../src/gpu/kernels.ts";

/** The adapter, or null where there is none (GPU tests are then ignored). */
export const adapter = await findAdapter();

/** Why GPU tests are skipped, printed once. */
if (!adapter) console.error("No WebGPU adapter: GPU tests are ignored");

/** Opens a device and compiles the pipelines. */
export async function openTestGpu(): Promise<{ gpu: Gpu; pipelines: Pipelines }> {
  const gpu = await openDevice(adapter!);
  return { gpu, pipelines: await createPipelines(gpu.device) };
}

/**
 * Dispatches `pipeline` with `uniform` at binding 0, `inputs` at 1…, and an output buffer of
 * `outBytes` last; returns the output's bytes.
 */
export async function runKernel(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  uniform: Uint32Array<ArrayBuffer>,
  inputs: Float32Array<ArrayBuffer>[],
  outBytes: number,
  invocations: number,
  groups = groupsFor(invocations),
): Promise<ArrayBuffer> {
  const made: GPUBuffer[] = [];
  const buf = (bytes: number, usage: number) => {
    const b = device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 4) * 4), usage });
    made.push(b);
    return b;
  };
  const u = buf(uniform.byteLength, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  device.queue.writeBuffer(u, 0, uniform);
  const ins = inputs.map((a) => {
    // Also bindable as a uniform buffer, for kernels that read their weights from one.
    const b = buf(
      a.byteLength,
      GPUBufferUsage.STORAGE | GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    );
    device.queue.writeBuffer(b, 0, a);
    return b;
  });
  const out = buf(outBytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
  const read = buf(outBytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  const enc = device.createCommandEncoder();
  encodeDispatch(
    enc,
    pipeline,
    bindBuffers(device, pipeline, [u, ...ins, out]),
    groups,
    device.limits.maxComputeWorkgroupsPerDimension,
  );
  enc.copyBufferToBuffer(out, 0, read, 0, read.size);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const copy = read.getMappedRange().slice(0, outBytes);
  read.unmap();
  for (const b of made) b.destroy();
  return copy;
}
