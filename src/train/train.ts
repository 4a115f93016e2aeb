/**
 * The train job: MNIST → tfjs autoencoder → checkpoints → exported decoder + anchors.
 *
 * @module
 */

import { tf } from "../tf.ts";
import { join } from "node:path";
import { writeFileAtomic } from "../atomic_write.ts";
import { CountdownError } from "../errors.ts";
import { KnnClassifier } from "../knn.ts";
import { loadMnist, type MnistSet } from "../mnist.ts";
import {
  buildDecoder,
  buildEncoder,
  DECODER_ARCH,
  ENCODER_FILTERS,
  getDecoderWeights,
} from "../model.ts";
import type { Architecture } from "../architecture.ts";
import { mulberry32 } from "../rng.ts";
import { encodeWeights } from "../weights.ts";
import { chooseAnchorLatents, encodeAll } from "./anchors.ts";
import { type BackendChoice, useBackend } from "./backend.ts";
import { captureState, loadCheckpoint, restoreState, saveCheckpoint } from "./checkpoint.ts";
import { formatSeconds, Progress } from "./progress.ts";

/** Adam's learning rate. */
export const LEARNING_RATE = 2e-3;
/** Anchors kept per digit. */
export const ANCHORS_PER_DIGIT = 32;
/** Checkpoint file name inside the checkpoint folder. */
export const CHECKPOINT_NAME = "countdown-checkpoint.safetensors";

/** Options of the train job. */
export interface TrainOptions {
  epochs: number;
  batchSize: number;
  saveInterval: number;
  /** Train on the first N digits only; null for all 60,000. */
  trainSamples: number | null;
  resume: string | null;
  seed: number;
  /** False when the seed was drawn at random: a resumed run then keeps the checkpoint's. */
  seedGiven: boolean;
  backend: BackendChoice;
  /** Where the exported decoder goes. */
  weightsPath: string;
  checkpointDir: string;
  /** The command line, stored in the weights' metadata. */
  command: string;
  /** Another decoder architecture (for width and latent-size sweeps); the shipped one by default. */
  arch?: Architecture;
  /** Another pair of encoder widths; the shipped ones by default. */
  encoderFilters?: [number, number];
}

/** What a training run measured. */
export interface TrainReport {
  backend: string;
  epochSeconds: number[];
  trainLoss: number[];
  testLoss: number[];
  oracleAccuracy: number;
  weightsPath: string;
  checkpointPath: string;
  stopped: boolean;
}

/** Identifies the model so that --resume refuses another model's checkpoint. */
export function modelKey(arch: Architecture, encoderFilters: [number, number]): string {
  return JSON.stringify({ encoder: encoderFilters, decoder: arch });
}

/** The shipped model's key. */
export const MODEL_KEY = modelKey(DECODER_ARCH, ENCODER_FILTERS);

function subset(set: MnistSet, n: number | null): MnistSet {
  if (n === null || n >= set.count) return set;
  return { ...set, count: n, images: set.images.slice(0, n * 784), labels: set.labels.slice(0, n) };
}

/** Mean per-pixel squared error of the autoencoder over a set. */
export async function evaluate(
  set: MnistSet,
  encoder: tf.LayersModel,
  decoder: tf.LayersModel,
  chunk = 1000,
): Promise<number> {
  let sum = 0;
  for (let start = 0; start < set.count; start += chunk) {
    const n = Math.min(chunk, set.count - start);
    const t = tf.tidy(() => {
      const x = tf.tensor4d(set.images.subarray(start * 784, (start + n) * 784), [n, 28, 28, 1]);
      const y = decoder.predict(encoder.predict(x) as tf.Tensor) as tf.Tensor;
      return tf.sub(y, x).square().sum();
    });
    sum += (await t.data())[0];
    t.dispose();
  }
  return sum / (set.count * 784);
}

/**
 * Trains, checkpoints and exports.
 *
 * @param o Options (already validated as flags).
 * @param say One-line notices.
 * @returns The measurements.
 * @throws {CountdownError} For bad data, an unusable checkpoint, or a batch size larger than the set.
 */
export async function train(o: TrainOptions, say: (line: string) => void): Promise<TrainReport> {
  const full = await loadMnist("train");
  const data = subset(full, o.trainSamples);
  const test = await loadMnist("test");
  if (o.batchSize > data.count) {
    throw new CountdownError(
      `-b/--batch-size ${o.batchSize} is larger than the ${data.count} training digits`,
    );
  }
  const checkpointPath = join(o.checkpointDir, CHECKPOINT_NAME);
  const backend = await useBackend(o.backend);
  const arch = o.arch ?? DECODER_ARCH;
  const encoderFilters = o.encoderFilters ?? ENCODER_FILTERS;
  const key = modelKey(arch, encoderFilters);
  const encoder = buildEncoder(arch.latentDim, encoderFilters);
  const decoder = buildDecoder(arch);
  const optimizer = tf.train.adam(LEARNING_RATE);
  let startEpoch = 0;
  let history: number[] = [];
  if (o.resume) {
    const state = await loadCheckpoint(o.resume, key);
    // Adam's moments only exist after a first step; make them, then overwrite them.
    optimizer.minimize(() =>
      tf.tidy(() =>
        tf.add(
          tf.mul(encoder.apply(tf.zeros([1, 28, 28, 1])) as tf.Tensor, 0).sum(),
          tf.mul(decoder.apply(tf.zeros([1, arch.latentDim])) as tf.Tensor, 0).sum(),
        ) as tf.Scalar
      )
    );
    await restoreState(state, encoder, decoder, optimizer, o.resume);
    startEpoch = state.epoch;
    history = state.history;
    if (!o.seedGiven && Number.isInteger(state.seed)) o = { ...o, seed: state.seed };
    say(`resuming from ${o.resume} after epoch ${startEpoch}`);
  }
  try {
    await Deno.mkdir(o.checkpointDir, { recursive: true });
  } catch (e) {
    throw new CountdownError(
      `Checkpoint folder ${o.checkpointDir} cannot be created: ${(e as Error).message}`,
    );
  }
  let stop = false;
  const onSigint = () => {
    if (stop) Deno.exit(130);
    stop = true;
    say("stopping after this batch (Ctrl-C again to quit at once); the last checkpoint is kept");
  };
  Deno.addSignalListener("SIGINT", onSigint);
  const report: TrainReport = {
    backend,
    epochSeconds: [],
    trainLoss: [],
    testLoss: [],
    oracleAccuracy: 0,
    weightsPath: o.weightsPath,
    checkpointPath,
    stopped: false,
  };
  console.log(
    `training on ${data.count} digits (test ${test.count}), backend ${backend}, batch ${o.batchSize}, epochs ${
      startEpoch + 1
    }–${o.epochs}`,
  );
  const batch = new Float32Array(o.batchSize * 784);
  try {
    for (let epoch = startEpoch; epoch < o.epochs && !stop; epoch++) {
      const order = Array.from({ length: data.count }, (_, i) => i);
      const next = mulberry32((o.seed + epoch * 0x9e3779b1) >>> 0);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      const batches = Math.ceil(data.count / o.batchSize);
      const progress = new Progress(`epoch ${epoch + 1}/${o.epochs}`, batches);
      let lossSum = 0, seen = 0;
      for (let b = 0; b < batches; b++) {
        const ids = order.slice(b * o.batchSize, (b + 1) * o.batchSize);
        ids.forEach((id, j) => batch.set(data.images.subarray(id * 784, (id + 1) * 784), j * 784));
        const n = ids.length;
        const x = tf.tensor4d(batch.subarray(0, n * 784), [n, 28, 28, 1]);
        const lossTensor = optimizer.minimize(
          () =>
            tf.losses.meanSquaredError(
              x,
              decoder.apply(encoder.apply(x)) as tf.Tensor,
            ) as tf.Scalar,
          true,
        )!;
        // An asynchronous read: the webgpu backend cannot read synchronously under Deno.
        const loss = (await lossTensor.data())[0];
        tf.dispose([x, lossTensor]);
        if (!Number.isFinite(loss)) {
          throw new CountdownError(`Training diverged at epoch ${epoch + 1} (loss ${loss})`);
        }
        lossSum += loss * n;
        seen += n;
        progress.update(b + 1, lossSum / seen, seen);
        // The loop is synchronous tfjs work: let the event loop run so a Ctrl-C is noticed.
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (stop) break;
      }
      progress.finish();
      if (stop && seen < data.count) {
        report.stopped = true;
        say(`stopped during epoch ${epoch + 1}; resume with --resume ${checkpointPath}`);
        break;
      }
      const secs = progress.elapsed();
      const testLoss = await evaluate(test, encoder, decoder);
      history.push(testLoss);
      report.epochSeconds.push(secs);
      report.trainLoss.push(lossSum / seen);
      report.testLoss.push(testLoss);
      console.log(
        `epoch ${epoch + 1}/${o.epochs}: train loss ${(lossSum / seen).toFixed(5)}, test loss ${
          testLoss.toFixed(5)
        }, ${formatSeconds(secs)} (${(seen / secs).toFixed(0)} samples/s)`,
      );
      if ((epoch + 1) % o.saveInterval === 0 || epoch + 1 === o.epochs) {
        const state = await captureState(
          epoch + 1,
          key,
          o.seed,
          encoder,
          decoder,
          optimizer,
          history,
        );
        try {
          await saveCheckpoint(checkpointPath, state);
        } catch (e) {
          throw new CountdownError(
            `Cannot write checkpoint ${checkpointPath}: ${
              (e as Error).message
            } (check --checkpoint-dir)`,
          );
        }
        console.log(`checkpoint ${checkpointPath} (epoch ${epoch + 1})`);
      }
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
  }
  if (report.stopped) return report;

  const t = performance.now();
  const encoded = await encodeAll(data, encoder, decoder);
  const oracle = new KnnClassifier(data, 3);
  const k = Math.min(ANCHORS_PER_DIGIT, Math.floor(data.count / 10));
  const chosen = await chooseAnchorLatents(data, encoded, decoder, oracle, Math.max(1, k), o.seed);
  report.oracleAccuracy = chosen.oracleAccuracy;
  const finalTest = history[history.length - 1] ?? await evaluate(test, encoder, decoder);
  const bytes = encodeWeights(
    arch,
    await getDecoderWeights(decoder, arch),
    chosen.anchors,
    {
      command: o.command,
      epochs: String(history.length),
      trainSamples: String(data.count),
      testMse: finalTest.toFixed(6),
      anchorOracleAccuracy: chosen.oracleAccuracy.toFixed(4),
      encoder: JSON.stringify({ filters: encoderFilters }),
    },
  );
  try {
    await writeFileAtomic(o.weightsPath, bytes);
  } catch (e) {
    throw new CountdownError(`Cannot write weights ${o.weightsPath}: ${(e as Error).message}`);
  }
  console.log(
    `exported ${o.weightsPath}: test MSE ${
      finalTest.toFixed(5)
    }, ${k} anchors per digit, oracle reads ${
      (100 * chosen.oracleAccuracy).toFixed(1)
    }% as their digit (${formatSeconds((performance.now() - t) / 1000)})`,
  );
  return report;
}
