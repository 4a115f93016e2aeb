/**
 * countdown: the door. Parses flags, runs the job, and turns failures into one line.
 *
 * @module
 */

import { helpText, parseCli } from "./src/cli.ts";
import { removePendingTemps } from "./src/atomic_write.ts";
import { CountdownError, UsageError } from "./src/errors.ts";
import { generate } from "./src/generate.ts";
import denoJson from "./deno.json" with { type: "json" };

const start = performance.now();
const debug = Deno.args.includes("--debug");
const say = (line: string) => console.error(`countdown: ${line}`);

try {
  const opts = parseCli(Deno.args);
  if (opts.help) {
    console.log(helpText());
  } else if (opts.version) {
    console.log(`countdown ${denoJson.version}`);
  } else {
    if (opts.train) {
      // Loaded only for training, so that generating never pulls in tfjs.
      const { runTrain } = await import("./src/train/job.ts");
      const r = await runTrain(opts, say);
      if (r.stopped) Deno.exit(130);
      if (opts.modelPath === null) opts.modelPath = r.weightsPath;
    }
    if (opts.bench) {
      const { runBench, summary } = await import("./src/bench/bench.ts");
      const { DEFAULT_WEIGHTS_URL, loadWeights } = await import("./src/weights.ts");
      const weights = await loadWeights(opts.modelPath ?? DEFAULT_WEIGHTS_URL);
      const report = await runBench(weights, {
        quick: opts.quick,
        outDir: opts.outPath,
        command: `main.ts ${Deno.args.join(" ")}`,
        log: (line) => console.log(line),
      });
      console.log(summary(report));
      console.log(`wrote ${opts.outPath}/bench.json and ${opts.outPath}/bench.svg`);
    }
    if (opts.generate) {
      // Ctrl-C while generating: drop any half-written temporary file, then stop.
      const interrupted = () => {
        removePendingTemps();
        say("interrupted: no GIF written");
        Deno.exit(130);
      };
      Deno.addSignalListener("SIGINT", interrupted);
      const r = await generate(opts, say);
      Deno.removeSignalListener("SIGINT", interrupted);
      console.log(
        `wrote ${r.file}: ${r.frames} frames, ${opts.imsize}×${opts.imsize}, seed ${r.seed}, ${r.backend}`,
      );
      if (debug) {
        const parts = Object.entries(r.timings).map(([k, v]) => `${k} ${v.toFixed(3)}s`);
        say(
          `timings: ${parts.join(", ")}, total since start ${
            ((performance.now() - start) / 1000).toFixed(3)
          }s`,
        );
      }
    }
  }
} catch (e) {
  if (debug) console.error(e);
  if (e instanceof UsageError || e instanceof CountdownError) {
    say(e.message);
    Deno.exit(e.exitCode);
  }
  say(`internal error: ${(e as Error)?.message ?? e} (rerun with --debug for the trace)`);
  Deno.exit(1);
}
