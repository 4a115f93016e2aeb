/**
 * Runs main.ts in a child process, as a person would, for the end-to-end tests.
 *
 * @module
 */

import { join } from "node:path";

/** The repository root. */
export const ROOT = new URL("..", import.meta.url).pathname;

/** How to start the child. */
export interface RunOptions {
  /** Permission flags (all by default). */
  flags?: string[];
  env?: Record<string, string>;
  signal?: AbortSignal;
}

/** What a finished child printed and how it ended. */
export interface RunResult {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

function command(args: string[], o: RunOptions): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...(o.flags ?? ["-A"]), join(ROOT, "main.ts"), ...args],
    cwd: ROOT,
    env: o.env,
    signal: o.signal,
    stdout: "piped",
    stderr: "piped",
  });
}

/** Starts main.ts and returns the child (for tests that signal it). */
export function spawnMain(args: string[], o: RunOptions = {}): Deno.ChildProcess {
  return command(args, o).spawn();
}

/** Waits for a child and decodes its output. */
export async function finish(child: Deno.ChildProcess): Promise<RunResult> {
  return decoded(await child.output());
}

/** Runs main.ts to the end. */
export async function runMain(args: string[], o: RunOptions = {}): Promise<RunResult> {
  return decoded(await command(args, o).output());
}

function decoded(out: Deno.CommandOutput): RunResult {
  const dec = new TextDecoder();
  return {
    code: out.code,
    signal: out.signal,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}
