/**
 * Picks and initialises the tfjs backend for training.
 *
 * @module
 */

import { tf } from "../tf.ts";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-webgpu";
import { CountdownError } from "../errors.ts";
import { findAdapter } from "../gpu/device.ts";
import { registerWasmConvGradients } from "./wasm_kernels.ts";

/** Backends a user may ask for. */
export type BackendChoice = "auto" | "wasm" | "webgpu" | "cpu";

/** Where tfjs-backend-wasm keeps its .wasm binaries. */
const WASM_DIR = new URL("../../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url);

/**
 * Sets the tfjs backend: `auto` takes webgpu on a real (non-fallback) adapter, wasm otherwise.
 * On wasm, the project's convolution-gradient kernels are registered unless `fastConvGradients`
 * is false (the benchmark races stock tfjs, as a user would run it).
 *
 * @returns The backend's name.
 * @throws {CountdownError} When the chosen backend cannot start.
 */
export async function useBackend(choice: BackendChoice, fastConvGradients = true): Promise<string> {
  let name: string = choice;
  if (choice === "auto") {
    const adapter = await findAdapter();
    const fallback = !adapter ||
      Boolean((adapter.info as { isFallbackAdapter?: boolean }).isFallbackAdapter);
    name = fallback ? "wasm" : "webgpu";
  }
  if (name === "wasm") {
    setWasmPaths(decodeURIComponent(WASM_DIR.pathname));
    if (fastConvGradients) registerWasmConvGradients();
  }
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    throw new CountdownError(`--backend ${name} could not start: ${(e as Error).message}`);
  }
  if (!ok) {
    throw new CountdownError(`--backend ${name} could not start (try --backend wasm or cpu)`);
  }
  await tf.ready();
  return name;
}
