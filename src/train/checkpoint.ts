/**
 * Training checkpoints: encoder, decoder and Adam state plus the epoch reached, in a
 * safetensors file (the same strict reader as the weights), written atomically.
 *
 * @module
 */

import { tf } from "../tf.ts";
import { writeFileAtomic } from "../atomic_write.ts";
import { CountdownError } from "../errors.ts";
import { parseSafeTensors, serializeSafeTensors, type Tensor } from "../safetensors.ts";

/** Value of the `format` metadata key of a checkpoint. */
export const CHECKPOINT_FORMAT = "countdown-checkpoint";

/** What a checkpoint holds. */
export interface CheckpointState {
  /** Epochs completed. */
  epoch: number;
  /** Identifies the model; a checkpoint of another model is refused. */
  modelKey: string;
  seed: number;
  encoder: Tensor[];
  decoder: Tensor[];
  optimizer: { name: string; tensor: Tensor }[];
  /** Test loss after each completed epoch. */
  history: number[];
}

async function tensorOf(t: tf.Tensor): Promise<Tensor> {
  return { shape: [...t.shape], data: new Float32Array(await t.data() as Float32Array) };
}

/** Reads the live state of a training run. */
export async function captureState(
  epoch: number,
  modelKey: string,
  seed: number,
  encoder: tf.LayersModel,
  decoder: tf.LayersModel,
  optimizer: tf.Optimizer,
  history: number[],
): Promise<CheckpointState> {
  const opt = await optimizer.getWeights();
  return {
    epoch,
    modelKey,
    seed,
    encoder: await Promise.all(encoder.getWeights().map(tensorOf)),
    decoder: await Promise.all(decoder.getWeights().map(tensorOf)),
    optimizer: await Promise.all(
      opt.map(async (w) => ({ name: w.name, tensor: await tensorOf(w.tensor) })),
    ),
    history,
  };
}

/** Writes a checkpoint atomically. */
export async function saveCheckpoint(path: string, s: CheckpointState): Promise<void> {
  const tensors = new Map<string, Tensor>();
  s.encoder.forEach((t, i) => tensors.set(`encoder.${i}`, t));
  s.decoder.forEach((t, i) => tensors.set(`decoder.${i}`, t));
  s.optimizer.forEach((o, i) => tensors.set(`optimizer.${i}`, o.tensor));
  const bytes = serializeSafeTensors(tensors, {
    format: CHECKPOINT_FORMAT,
    epoch: String(s.epoch),
    model: s.modelKey,
    seed: String(s.seed),
    optimizerNames: JSON.stringify(s.optimizer.map((o) => o.name)),
    history: JSON.stringify(s.history),
  });
  await writeFileAtomic(path, bytes);
}

/**
 * Reads a checkpoint and checks that it belongs to this model.
 *
 * @throws {CountdownError} Naming the file, when it is unreadable, damaged or of another model.
 */
export async function loadCheckpoint(path: string, modelKey: string): Promise<CheckpointState> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new CountdownError(`--resume ${path} cannot be read: ${(e as Error).message}`);
  }
  try {
    const { metadata, tensors } = parseSafeTensors(bytes);
    if (metadata.format !== CHECKPOINT_FORMAT) {
      throw new TypeError("it is not a countdown checkpoint");
    }
    if (metadata.model !== modelKey) throw new TypeError("it is a checkpoint of a different model");
    const epoch = Number(metadata.epoch);
    if (!Number.isInteger(epoch) || epoch < 1) throw new TypeError("its epoch count is invalid");
    const list = (prefix: string) => {
      const out: Tensor[] = [];
      for (let i = 0; tensors.has(`${prefix}.${i}`); i++) out.push(tensors.get(`${prefix}.${i}`)!);
      return out;
    };
    const names = JSON.parse(metadata.optimizerNames ?? "[]") as string[];
    const opt = list("optimizer");
    if (!Array.isArray(names) || names.length !== opt.length) {
      throw new TypeError("its optimiser state is incomplete");
    }
    const history = JSON.parse(metadata.history ?? "[]");
    return {
      epoch,
      modelKey,
      seed: Number(metadata.seed),
      encoder: list("encoder"),
      decoder: list("decoder"),
      optimizer: opt.map((tensor, i) => ({ name: names[i], tensor })),
      history: Array.isArray(history) ? history : [],
    };
  } catch (e) {
    throw new CountdownError(
      `--resume ${path} is not a checkpoint of this model: ${(e as Error).message}`,
    );
  }
}

/** Puts a checkpoint's weights and optimiser state back into live models. */
export async function restoreState(
  s: CheckpointState,
  encoder: tf.LayersModel,
  decoder: tf.LayersModel,
  optimizer: tf.Optimizer,
  path: string,
): Promise<void> {
  const apply = (model: tf.LayersModel, saved: Tensor[], what: string) => {
    const live = model.getWeights();
    if (
      live.length !== saved.length ||
      live.some((t, i) => t.shape.join(",") !== saved[i].shape.join(","))
    ) {
      throw new CountdownError(
        `--resume ${path} is not a checkpoint of this model: its ${what} weights differ in shape`,
      );
    }
    model.setWeights(saved.map((t) => tf.tensor(t.data, t.shape)));
  };
  apply(encoder, s.encoder, "encoder");
  apply(decoder, s.decoder, "decoder");
  await optimizer.setWeights(
    s.optimizer.map((o) => ({ name: o.name, tensor: tf.tensor(o.tensor.data, o.tensor.shape) })),
  );
}
