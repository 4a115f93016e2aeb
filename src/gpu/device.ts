/**
 * WebGPU adapter and device set-up, with faults turned into one-line errors.
 *
 * @module
 */

import { CountdownError } from "../errors.ts";

/** An open device and what we know about the adapter behind it. */
export interface Gpu {
  device: GPUDevice;
  description: string;
  isFallbackAdapter: boolean;
  hasTimestamps: boolean;
}

/**
 * Requests an adapter; `null` when WebGPU is missing or offers none.
 *
 * @returns The adapter, or null.
 */
export async function findAdapter(): Promise<GPUAdapter | null> {
  if (typeof navigator === "undefined" || !("gpu" in navigator) || !navigator.gpu) return null;
  try {
    return await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch {
    return null;
  }
}

/**
 * Opens a device on an adapter with the default limits (the decoder splits its batch to fit
 * them, so nothing depends on an adapter's larger limits), and the timestamp-query feature
 * when offered. A lost device is reported through `onLost` with its reason.
 *
 * @param adapter From {@link findAdapter}.
 * @param onLost Called once if the device is lost other than by `destroy()`.
 * @returns The device and adapter facts.
 * @throws {CountdownError} When the device cannot be created.
 */
export async function openDevice(
  adapter: GPUAdapter,
  onLost: (message: string) => void = () => {},
): Promise<Gpu> {
  const hasTimestamps = adapter.features.has("timestamp-query");
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredFeatures: hasTimestamps ? ["timestamp-query"] : [],
    });
  } catch (e) {
    throw new CountdownError(
      `WebGPU device could not be created: ${(e as Error).message} (try --device cpu)`,
    );
  }
  device.lost.then((info) => {
    if (info.reason !== "destroyed") onLost(`WebGPU device lost: ${info.message || info.reason}`);
  });
  const info = adapter.info;
  return {
    device,
    description: info.description || info.vendor || "unknown adapter",
    isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter),
    hasTimestamps,
  };
}
