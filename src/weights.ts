/**
 * The decoder weights file: a safetensors file whose metadata describes the architecture
 * and whose tensors are the decoder's parameters plus the per-digit anchor latents.
 * The format is written down in `weights/README.md`.
 *
 * @module
 */

import {
  type Architecture,
  parameterShapes,
  planLayers,
  type PlannedLayer,
} from "./architecture.ts";
import { CountdownError } from "./errors.ts";
import { parseSafeTensors, serializeSafeTensors, type Tensor } from "./safetensors.ts";

/** Value of the `format` metadata key. */
export const WEIGHTS_FORMAT = "countdown-decoder";
/** Value of the `version` metadata key this build reads and writes. */
export const WEIGHTS_VERSION = "1";
/** Tensor holding anchors, `[10, K, latentDim]`. */
export const ANCHORS = "anchors";

/** A decoder ready to run: architecture, planned shapes, parameters and anchors. */
export interface DecoderWeights {
  arch: Architecture;
  planned: PlannedLayer[];
  /** `layers.<i>.kernel` and `layers.<i>.bias`, tfjs layouts. */
  params: Map<string, Tensor>;
  /** `[10, K, latentDim]`: K latents of real training digits for each digit 0–9. */
  anchors: Tensor;
  /** The file's metadata (how it was trained, its test MSE…). */
  metadata: Record<string, string>;
}

/** The default weights shipped with the program. */
export const DEFAULT_WEIGHTS_URL = new URL("../weights/decoder.safetensors", import.meta.url);

/**
 * Checks parsed safetensors contents against the countdown decoder format.
 *
 * @param bytes The file's bytes.
 * @returns The decoder weights.
 * @throws {TypeError} With the reason, when anything is missing or inconsistent.
 */
export function decodeWeights(bytes: Uint8Array): DecoderWeights {
  const { metadata, tensors } = parseSafeTensors(bytes);
  if (metadata.format !== WEIGHTS_FORMAT) {
    throw new TypeError(
      `metadata format is ${JSON.stringify(metadata.format)}, not "${WEIGHTS_FORMAT}"`,
    );
  }
  if (metadata.version !== WEIGHTS_VERSION) {
    throw new TypeError(
      `format version ${JSON.stringify(metadata.version)} is not ${WEIGHTS_VERSION}`,
    );
  }
  let arch: Architecture;
  try {
    arch = JSON.parse(metadata.architecture ?? "");
  } catch {
    throw new TypeError("metadata architecture is not JSON");
  }
  const planned = planLayers(arch);
  const params = new Map<string, Tensor>();
  for (const [name, shape] of parameterShapes(planned)) {
    const t = tensors.get(name);
    if (!t) throw new TypeError(`missing tensor "${name}"`);
    if (t.shape.join(",") !== shape.join(",")) {
      throw new TypeError(
        `tensor "${name}" has shape [${t.shape}], the architecture needs [${shape}]`,
      );
    }
    params.set(name, t);
  }
  const anchors = tensors.get(ANCHORS);
  if (!anchors) throw new TypeError(`missing tensor "${ANCHORS}"`);
  const [digits, k, dim] = anchors.shape;
  if (anchors.shape.length !== 3 || digits !== 10 || k < 1 || dim !== arch.latentDim) {
    throw new TypeError(
      `tensor "${ANCHORS}" has shape [${anchors.shape}], needs [10, K ≥ 1, ${arch.latentDim}]`,
    );
  }
  for (const name of tensors.keys()) {
    if (name !== ANCHORS && !params.has(name)) throw new TypeError(`unexpected tensor "${name}"`);
  }
  return { arch, planned, params, anchors, metadata };
}

/**
 * Serialises a decoder to the weights format.
 *
 * @param arch The architecture (stored as metadata).
 * @param params Parameters by name, in tfjs layouts.
 * @param anchors `[10, K, latentDim]`.
 * @param extra Additional metadata (training command, loss…).
 * @returns The file's bytes.
 */
export function encodeWeights(
  arch: Architecture,
  params: Map<string, Tensor>,
  anchors: Tensor,
  extra: Record<string, string> = {},
): Uint8Array<ArrayBuffer> {
  const planned = planLayers(arch);
  const tensors = new Map<string, Tensor>();
  for (const name of parameterShapes(planned).keys()) {
    const t = params.get(name);
    if (!t) throw new RangeError(`Missing parameter "${name}"`);
    tensors.set(name, t);
  }
  tensors.set(ANCHORS, anchors);
  return serializeSafeTensors(tensors, {
    ...extra,
    format: WEIGHTS_FORMAT,
    version: WEIGHTS_VERSION,
    architecture: JSON.stringify(arch),
  });
}

/**
 * Reads and checks a weights file.
 *
 * @param path File path or URL.
 * @returns The decoder weights.
 * @throws {CountdownError} Naming the file and the fix, when it is missing, unreadable or invalid.
 */
export async function loadWeights(path: string | URL): Promise<DecoderWeights> {
  const shown = path instanceof URL ? decodeURIComponent(path.pathname) : path;
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new CountdownError(
        `Weights file ${shown} not found: pass an existing file with -m/--model-path`,
      );
    }
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      throw new CountdownError(`Weights file ${shown} cannot be read: ${(e as Error).message}`);
    }
    throw new CountdownError(`Weights file ${shown} cannot be read: ${(e as Error).message}`, {
      cause: e,
    });
  }
  try {
    return decodeWeights(bytes);
  } catch (e) {
    if (e instanceof TypeError) {
      throw new CountdownError(
        `Weights file ${shown} is not a valid countdown decoder: ${e.message} (retrain with -t or pass another -m)`,
        { cause: e },
      );
    }
    throw e;
  }
}
