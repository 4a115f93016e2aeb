/**
 * The command line: the flag table (the original script's flags, same long and short names,
 * plus ours), defaults, and validation into a typed options object.
 *
 * `node:util` `parseArgs` does the splitting: `jsr:@std/cli` cannot be installed where this
 * project is built (the JSR registry is unreachable there).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "./errors.ts";
import type { Interp } from "./path.ts";
import { MAX_SEED } from "./rng.ts";

/** Largest `-i/--imsize`. */
export const MAX_IMSIZE = 1024;
/** Largest `-n/--n-steps`. */
export const MAX_STEPS = 1000;
/** Largest raw frame data a run may produce (frames × imsize²), 1 GiB. */
export const MAX_FRAME_BYTES = 1 << 30;

/** What the program was asked to do. */
export interface Options {
  help: boolean;
  version: boolean;
  bench: boolean;
  quick: boolean;
  debug: boolean;
  train: boolean;
  generate: boolean;
  epochs: number;
  batchSize: number;
  saveInterval: number;
  imsize: number;
  startNum: number;
  endNum: number;
  nSteps: number;
  outPath: string;
  outName: string;
  /** Null means the shipped weights. */
  modelPath: string | null;
  /** Null means draw one at random (and print it). */
  seed: number | null;
  interp: Interp;
  pace: number;
  hold: number;
  device: "auto" | "gpu" | "cpu";
  trainSamples: number | null;
  resume: string | null;
  checkpointDir: string;
  backend: "auto" | "wasm" | "webgpu" | "cpu";
}

interface Flag {
  long: string;
  short?: string;
  type: "boolean" | "string";
  value?: string;
  default?: string;
  seedDefault?: string;
  help: string;
}

/** The flag table; `--help` prints it and the README copies it. */
export const FLAGS: Flag[] = [
  {
    long: "train",
    short: "t",
    type: "boolean",
    help: "train the autoencoder and export the decoder",
  },
  {
    long: "epochs",
    short: "e",
    type: "string",
    value: "N",
    default: "30",
    seedDefault: "250",
    help: "training epochs",
  },
  {
    long: "batch-size",
    short: "b",
    type: "string",
    value: "N",
    default: "400",
    help: "training batch size",
  },
  {
    long: "save-interval",
    short: "s",
    type: "string",
    value: "N",
    default: "5",
    help: "checkpoint every N epochs",
  },
  {
    long: "train-samples",
    type: "string",
    value: "N",
    default: "60000",
    help: "train on the first N digits (quick runs)",
  },
  { long: "resume", type: "string", value: "FILE", help: "continue training from a checkpoint" },
  {
    long: "checkpoint-dir",
    type: "string",
    value: "DIR",
    default: "checkpoints",
    help: "where checkpoints go",
  },
  {
    long: "backend",
    type: "string",
    value: "NAME",
    default: "auto",
    help: "training backend: auto, wasm, webgpu or cpu",
  },
  {
    long: "generate",
    short: "g",
    type: "boolean",
    help: "make a GIF (the default job when -t is absent)",
  },
  {
    long: "imsize",
    short: "i",
    type: "string",
    value: "PX",
    default: "128",
    help: `frame side, 8–${MAX_IMSIZE}`,
  },
  {
    long: "start-num",
    short: "a",
    type: "string",
    value: "D",
    default: "9",
    help: "first digit, 0–9",
  },
  {
    long: "end-num",
    short: "z",
    type: "string",
    value: "D",
    default: "0",
    help: "last digit, 0–9, not the first",
  },
  {
    long: "n-steps",
    short: "n",
    type: "string",
    value: "N",
    default: "30",
    help: `frames per digit change, 1–${MAX_STEPS}`,
  },
  {
    long: "out-path",
    short: "o",
    type: "string",
    value: "DIR",
    default: "./output",
    help: "output folder (created if missing)",
  },
  {
    long: "out-name",
    short: "l",
    type: "string",
    value: "FILE",
    default: "countdown.gif",
    help: "GIF file name, no folders",
  },
  {
    long: "model-path",
    short: "m",
    type: "string",
    value: "FILE",
    default: "weights/decoder.safetensors",
    seedDefault: "a Keras model fetched by hand",
    help: "decoder weights (shipped with the program)",
  },
  {
    long: "seed",
    type: "string",
    value: "N",
    default: "random",
    help: `0–${MAX_SEED}; same seed, same GIF bytes`,
  },
  {
    long: "interp",
    type: "string",
    value: "MODE",
    default: "lerp",
    help: "lerp or slerp between digits",
  },
  { long: "pace", type: "string", value: "SEC", default: "1", help: "seconds per digit, 0.05–60" },
  {
    long: "hold",
    type: "string",
    value: "FRAC",
    default: "0.3",
    help: "share of --pace spent on each digit, 0–0.95",
  },
  {
    long: "device",
    type: "string",
    value: "KIND",
    default: "auto",
    help: "auto, gpu (WebGPU) or cpu (TypeScript)",
  },
  {
    long: "bench",
    type: "boolean",
    help: "benchmark decode throughput (writes bench.json, bench.svg to -o)",
  },
  { long: "quick", type: "boolean", help: "with --bench: a reduced set, a minute or two" },
  { long: "debug", type: "boolean", help: "show stack traces" },
  { long: "help", short: "h", type: "boolean", help: "show this table" },
  { long: "version", type: "boolean", help: "show the version" },
];

/** The `--help` text. */
export function helpText(): string {
  const rows = FLAGS.map((f) => {
    const names = `${f.short ? `-${f.short}, ` : "    "}--${f.long}${f.value ? ` ${f.value}` : ""}`;
    const def = f.default ? ` (default ${f.default})` : "";
    return `  ${names.padEnd(28)} ${f.help}${def}`;
  });
  return [
    "countdown: MNIST digits melting into each other, as a GIF",
    "",
    "Usage: deno run -A main.ts [flags]",
    "  e.g. deno run -A main.ts -a 5 -z 0",
    "",
    ...rows,
  ].join("\n");
}

function integer(name: string, raw: string, min: number, max: number): number {
  if (!/^[+-]?\d+$/.test(raw.trim())) {
    throw new UsageError(`${name} must be an integer ${min}–${max}: got "${raw}"`);
  }
  const v = Number(raw);
  if (v < min || v > max) {
    throw new UsageError(`${name} must be an integer ${min}–${max}: got ${raw}`);
  }
  return v;
}

function decimal(name: string, raw: string, min: number, max: number): number {
  const v = /^[+-]?(\d+\.?\d*|\.\d+)$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!(v >= min && v <= max)) {
    throw new UsageError(`${name} must be a number ${min}–${max}: got "${raw}"`);
  }
  return v;
}

function choice<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  if (!allowed.includes(raw as T)) {
    throw new UsageError(`${name} must be one of ${allowed.join(", ")}: got "${raw}"`);
  }
  return raw as T;
}

function flagName(long: string): string {
  const f = FLAGS.find((x) => x.long === long)!;
  return f.short ? `-${f.short}/--${f.long}` : `--${f.long}`;
}

function explainParseError(e: unknown): never {
  const err = e as { code?: string; message?: string };
  const m = /'(-[^']*)'/.exec(err.message ?? "");
  const what = m ? m[1] : "";
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      throw new UsageError(`Unknown flag ${what}: see --help for the flags`);
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      throw new UsageError(
        `Unexpected argument ${what || "(positional)"}: every value follows a flag, see --help`,
      );
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const flag = FLAGS.find((f) => (err.message ?? "").includes(`--${f.long}`));
      if (flag && flag.type === "string") {
        throw new UsageError(`${flagName(flag.long)} needs a value: ${flag.help}`);
      }
      if (flag) throw new UsageError(`${flagName(flag.long)} takes no value`);
      throw new UsageError(`${(err.message ?? "").split("\n")[0]}: see --help`);
    }
    default:
      throw new UsageError(`${(err.message ?? String(e)).split("\n")[0]}: see --help`);
  }
}

/**
 * Parses and validates the command line.
 *
 * @param args `Deno.args`.
 * @returns The options.
 * @throws {UsageError} Naming the flag and what it allows.
 */
export function parseCli(args: string[]): Options {
  const options: Record<string, { type: "boolean" | "string"; short?: string }> = {};
  for (const f of FLAGS) options[f.long] = { type: f.type, ...(f.short ? { short: f.short } : {}) };
  // parseArgs refuses a value that starts with "-", so "-z -1" would read as two flags; glue a
  // negative number to its flag so that validation can say what range is allowed.
  const glued: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const flag = FLAGS.find((f) =>
      args[i] === `--${f.long}` || (f.short && args[i] === `-${f.short}`)
    );
    if (flag?.type === "string" && i + 1 < args.length && /^-\d/.test(args[i + 1])) {
      glued.push(`--${flag.long}=${args[++i]}`);
    } else {
      glued.push(args[i]);
    }
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseArgs({ args: glued, options, strict: true, allowPositionals: false });
    values = parsed.values as Record<string, string | boolean | undefined>;
  } catch (e) {
    explainParseError(e);
  }
  const str = (long: string) => {
    const v = values[long];
    return typeof v === "string" ? v : FLAGS.find((f) => f.long === long)!.default!;
  };
  const int = (long: string, min: number, max: number) =>
    integer(flagName(long), str(long), min, max);
  const train = values.train === true;
  const opts: Options = {
    help: values.help === true,
    version: values.version === true,
    bench: values.bench === true,
    quick: values.quick === true,
    debug: values.debug === true,
    train,
    generate: values.generate === true || (!train && values.bench !== true),
    epochs: int("epochs", 1, 100000),
    batchSize: int("batch-size", 1, 60000),
    saveInterval: int("save-interval", 1, 100000),
    imsize: int("imsize", 8, MAX_IMSIZE),
    startNum: int("start-num", 0, 9),
    endNum: int("end-num", 0, 9),
    nSteps: int("n-steps", 1, MAX_STEPS),
    outPath: str("out-path"),
    outName: str("out-name"),
    modelPath: typeof values["model-path"] === "string" ? values["model-path"] : null,
    seed: values.seed === undefined ? null : integer("--seed", values.seed as string, 0, MAX_SEED),
    interp: choice("--interp", str("interp"), ["lerp", "slerp"] as const),
    pace: decimal("--pace", str("pace"), 0.05, 60),
    hold: decimal("--hold", str("hold"), 0, 0.95),
    device: choice("--device", str("device"), ["auto", "gpu", "cpu"] as const),
    trainSamples: values["train-samples"] === undefined ? null : int("train-samples", 10, 60000),
    resume: typeof values.resume === "string" ? values.resume : null,
    checkpointDir: str("checkpoint-dir"),
    backend: choice("--backend", str("backend"), ["auto", "wasm", "webgpu", "cpu"] as const),
  };
  if (opts.generate && opts.startNum === opts.endNum) {
    throw new UsageError(
      `-a/--start-num and -z/--end-num must differ: both are ${opts.startNum}, and a countdown needs two digits`,
    );
  }
  const frames = Math.abs(opts.startNum - opts.endNum) * opts.nSteps + 1;
  if (frames * opts.imsize * opts.imsize > MAX_FRAME_BYTES) {
    throw new UsageError(
      `-n/--n-steps ${opts.nSteps} with -i/--imsize ${opts.imsize} makes ${frames} frames, over 1 GiB of pixels: lower either`,
    );
  }
  if (opts.outPath.trim() === "") {
    throw new UsageError("-o/--out-path must name a folder: got an empty value");
  }
  if (
    opts.outName === "" || opts.outName === "." || opts.outName === ".." ||
    /[\/\\\0]/.test(opts.outName)
  ) {
    throw new UsageError(
      `-l/--out-name must be a plain file name without folders: got "${opts.outName}" (use -o for the folder)`,
    );
  }
  if (opts.modelPath !== null && opts.modelPath.trim() === "") {
    throw new UsageError("-m/--model-path must name a file: got an empty value");
  }
  return opts;
}
