import assert from "node:assert/strict";
import { parseSafeTensors, serializeSafeTensors } from "../src/safetensors.ts";
import { decodeWeights, loadWeights } from "../src/weights.ts";
import { CountdownError } from "../src/errors.ts";
import { randomWeights, SMALL_ARCH } from "./fixtures.ts";

Deno.test("serializeSafeTensors() and parseSafeTensors() round-trip tensors and metadata", () => {
  const tensors = new Map([
    ["a", { shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) }],
    ["b", { shape: [1], data: Float32Array.of(-0.5) }],
  ]);
  const bytes = serializeSafeTensors(tensors, { note: "hi" });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(n % 8, 0, "header padded to 8 bytes");
  const back = parseSafeTensors(bytes);
  assert.equal(back.metadata.note, "hi");
  assert.deepEqual(back.tensors.get("a"), tensors.get("a"));
  assert.deepEqual(back.tensors.get("b"), tensors.get("b"));
});

Deno.test("decodeWeights() reads a random decoder and keeps its architecture", () => {
  const { bytes, weights } = randomWeights(SMALL_ARCH, 5);
  assert.deepEqual(decodeWeights(bytes).arch, SMALL_ARCH);
  assert.deepEqual(weights.anchors.shape, [10, 4, 16]);
});

function header(bytes: Uint8Array): Record<string, unknown> {
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}

// deno-lint-ignore no-explicit-any -- the tests edit arbitrary header fields
function withHeader(bytes: Uint8Array, edit: (h: Record<string, any>) => void): Uint8Array {
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const h = header(bytes);
  edit(h);
  const json = new TextEncoder().encode(JSON.stringify(h));
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + n), 8 + json.length);
  return out;
}

Deno.test("decodeWeights() rejects damaged files with a reason", () => {
  const { bytes } = randomWeights(SMALL_ARCH, 6);
  const bad: [string, Uint8Array, RegExp][] = [
    ["truncated", bytes.subarray(0, bytes.length - 10), /past the|stray|ends at/],
    ["tiny", bytes.subarray(0, 5), /shorter than/],
    [
      "huge header",
      (() => {
        const b = bytes.slice();
        new DataView(b.buffer).setBigUint64(0, 1n << 40n, true);
        return b;
      })(),
      /runs past/,
    ],
    [
      "not JSON",
      (() => {
        const b = bytes.slice();
        b[8] = 0x7a;
        return b;
      })(),
      /not UTF-8 JSON/,
    ],
    ["F16", withHeader(bytes, (h) => h["layers.0.bias"].dtype = "F16"), /dtype/],
    ["wrong shape", withHeader(bytes, (h) => h["layers.0.bias"].shape = [3135]), /shape|bytes/],
    [
      "overlap",
      withHeader(bytes, (h) => h["layers.0.bias"].data_offsets = h["layers.0.kernel"].data_offsets),
      /overlaps|shape|gap/,
    ],
    ["missing", withHeader(bytes, (h) => delete h["layers.4.bias"]), /gap|stray|missing/],
    ["wrong format", withHeader(bytes, (h) => h.__metadata__.format = "other"), /format/],
    ["few anchors", withHeader(bytes, (h) => h.anchors.shape = [8, 5, 16]), /anchors/],
    // Anchors for nine digits: shape and byte range agree, so only the format check catches it.
    [
      "nine digits",
      (() => {
        const b = withHeader(bytes, (h) => {
          h.anchors.shape = [9, 4, 16];
          h.anchors.data_offsets[1] -= 4 * 16 * 4;
        });
        return b.subarray(0, b.length - 4 * 16 * 4);
      })(),
      /anchors.*needs \[10/,
    ],
    [
      "gap",
      withHeader(bytes, (h) => {
        h["layers.0.kernel"].data_offsets = h["layers.0.kernel"].data_offsets.map((o: number) =>
          o + 4
        );
      }),
      /gap|overlaps|past/,
    ],
    ["past the end", withHeader(bytes, (h) => h.anchors.data_offsets[1] += 4), /shape|past/],
    [
      "missing tensor, tiling intact",
      (() => {
        // Rename a tensor so the data still tiles but the architecture's name is absent.
        return withHeader(bytes, (h) => {
          h["renamed"] = h["layers.2.bias"];
          delete h["layers.2.bias"];
        });
      })(),
      /missing tensor "layers.2.bias"/,
    ],
    [
      "shape disagrees with architecture",
      withHeader(bytes, (h) => {
        const [a, b] = h["layers.0.kernel"].shape;
        h["layers.0.kernel"].shape = [b, a];
      }),
      /architecture needs/,
    ],
  ];
  for (const [what, b, re] of bad) {
    assert.throws(
      () => decodeWeights(b),
      (e: Error) => e instanceof TypeError && re.test(e.message),
      what,
    );
  }
  const nan = bytes.slice();
  new DataView(nan.buffer).setFloat32(nan.length - 4, NaN, true);
  assert.throws(() => decodeWeights(nan), /non-finite/);
});

Deno.test("loadWeights() names the file when it is missing or invalid", async () => {
  await assert.rejects(
    loadWeights("/nonexistent/x.safetensors"),
    (e: Error) =>
      e instanceof CountdownError && e.message.includes("/nonexistent/x.safetensors") &&
      e.message.includes("-m"),
  );
  const path = await Deno.makeTempFile();
  await Deno.writeTextFile(path, "hello");
  await assert.rejects(
    loadWeights(path),
    (e: Error) => e instanceof CountdownError && e.message.includes(path),
  );
  await Deno.remove(path);
});
