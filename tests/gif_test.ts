import assert from "node:assert/strict";
import { decodeGif } from "./gif_decode.ts";
import { encodeGif } from "../src/gif.ts";
import { mulberry32 } from "../src/rng.ts";

Deno.test("encodeGif() round-trips every grey level exactly, with delays and endless looping", () => {
  const w = 37, h = 23, count = 5;
  const next = mulberry32(3);
  const pixels = new Uint8Array(w * h * count).map(() => Math.floor(next() * 256));
  pixels.subarray(0, 256).forEach((_, i, a) => a[i] = i); // every level appears
  const delays = [100, 3, 2, 7, 40];
  const gif = encodeGif(pixels, w, h, delays);
  const back = decodeGif(gif);
  assert.equal(back.width, w);
  assert.equal(back.height, h);
  assert.equal(back.frames.length, count);
  back.frames.forEach((f, i) =>
    assert.deepEqual(f, pixels.subarray(i * w * h, (i + 1) * w * h), `frame ${i}`)
  );
  assert.deepEqual(back.delays, delays);
  assert.equal(back.loop, 0, "loops forever");
});

Deno.test("encodeGif() refuses a delay list that does not match the frames", () => {
  assert.throws(() => encodeGif(new Uint8Array(8 * 8 * 2), 8, 8, [10]), RangeError);
});
