/**
 * The single binary: `deno task compile` embeds the weights and shaders, so the program runs
 * from any folder with no other files. `deno compile` downloads Deno's runtime (denort) from
 * Deno's own servers; where that download cannot be made, the build is impossible and the test
 * is skipped with the reason printed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { decodeGif } from "./gif_decode.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const dir = await Deno.makeTempDir();
const binary = join(dir, Deno.build.os === "windows" ? "countdown.exe" : "countdown");

const task = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json"))).tasks.compile as string;
const args = task.split(" ").slice(1).map((a) => (a === "dist/countdown" ? binary : a));
const build = await new Deno.Command(Deno.execPath(), {
  args,
  cwd: ROOT,
  stdout: "piped",
  stderr: "piped",
})
  .output();
const buildLog = new TextDecoder().decode(build.stderr);
// Only an unreachable runtime download skips the test; any other build failure fails it.
const downloadFailed = !build.success &&
  /Download .*denort|dl\.deno\.land|lookup address|error sending request|dns error|Connection refused/i
    .test(buildLog);
const skip = downloadFailed
  ? `deno compile cannot download its runtime (denort) here: ${
    buildLog.trim().split("\n").filter((l) => /error|lookup|Download/i.test(l)).slice(0, 3).join(
      " | ",
    )
  }`
  : null;
if (skip) console.error(`compile_test skipped: ${skip}`);
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

Deno.test("deno task compile builds, or fails only for want of its runtime download", () => {
  assert.ok(build.success || downloadFailed, `deno compile failed: ${buildLog}`);
});

Deno.test({
  name: "the compiled binary makes a GIF from an empty folder, with the weights embedded",
  ignore: skip !== null,
  fn: async () => {
    const work = await Deno.makeTempDir();
    const r = await new Deno.Command(binary, {
      args: ["-a", "3", "-z", "0", "-n", "4", "--seed", "1"],
      cwd: work,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    const gif = decodeGif(await Deno.readFile(join(work, "output", "countdown.gif")));
    assert.equal(gif.frames.length, 13);
    const bad = await new Deno.Command(binary, { args: ["-a", "11"], cwd: work, stderr: "piped" })
      .output();
    assert.equal(bad.code, 2);
    await Deno.remove(work, { recursive: true });
  },
});
