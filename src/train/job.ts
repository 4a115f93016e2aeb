/**
 * Glue between the command line and the training loop.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import type { Options } from "../cli.ts";
import { randomSeed } from "../rng.ts";
import { DEFAULT_WEIGHTS_URL } from "../weights.ts";
import { train, type TrainReport } from "./train.ts";

/** Runs training from parsed flags; the weights go to -m, or to the shipped file by default. */
export async function runTrain(opts: Options, say: (line: string) => void): Promise<TrainReport> {
  const seed = opts.seed ?? randomSeed();
  if (opts.seed === null && !opts.resume) {
    console.log(`training seed ${seed} (pass --seed ${seed} to repeat)`);
  }
  return await train({
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    saveInterval: opts.saveInterval,
    trainSamples: opts.trainSamples,
    resume: opts.resume,
    seed,
    seedGiven: opts.seed !== null,
    backend: opts.backend,
    weightsPath: opts.modelPath ?? fileURLToPath(DEFAULT_WEIGHTS_URL),
    checkpointDir: opts.checkpointDir,
    command: `main.ts ${Deno.args.join(" ")}`,
  }, say);
}
