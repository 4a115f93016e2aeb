import assert from "node:assert/strict";
import { frameDelays, MIN_DELAY_CS } from "../src/pacing.ts";
import { blend, chooseAnchors, frameCount, keyframeDigits, latentPath } from "../src/path.ts";
import { randomArray } from "./fixtures.ts";

const K = 5, DIM = 16;
const anchors = { shape: [10, K, DIM], data: randomArray(10 * K * DIM, 9, -2, 2) };

Deno.test("keyframeDigits() counts down and up, inclusive", () => {
  assert.deepEqual(keyframeDigits(5, 0), [5, 4, 3, 2, 1, 0]);
  assert.deepEqual(keyframeDigits(0, 9), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(keyframeDigits(9, 5), [9, 8, 7, 6, 5]);
});

Deno.test("frameCount() is |a − z|·n + 1", () => {
  assert.equal(frameCount(9, 0, 30), 271);
  assert.equal(frameCount(0, 9, 10), 91);
  assert.equal(frameCount(5, 4, 1), 2);
});

Deno.test("latentPath() puts each keyframe exactly on its digit's chosen anchor", () => {
  for (const [a, z, n] of [[9, 0, 30], [0, 9, 10], [5, 0, 1], [3, 7, 4]]) {
    for (const interp of ["lerp", "slerp"] as const) {
      const seed = 11 * a + z;
      const path = latentPath(anchors, a, z, n, interp, seed);
      assert.equal(path.length, frameCount(a, z, n) * DIM);
      const pick = chooseAnchors(K, seed);
      keyframeDigits(a, z).forEach((digit, k) => {
        const want = anchors.data.subarray(
          (digit * K + pick[digit]) * DIM,
          (digit * K + pick[digit] + 1) * DIM,
        );
        assert.deepEqual(
          [...path.subarray(k * n * DIM, (k * n + 1) * DIM)],
          [...want],
          `digit ${digit} at frame ${k * n}`,
        );
      });
    }
  }
});

Deno.test("latentPath() is fixed by the seed, and different seeds pick different anchors", () => {
  const a = latentPath(anchors, 9, 0, 5, "lerp", 7), b = latentPath(anchors, 9, 0, 5, "lerp", 7);
  assert.deepEqual(a, b);
  const picks = new Set([1, 2, 3, 4, 5, 6].map((s) => chooseAnchors(K, s).join(",")));
  assert.ok(picks.size > 1, "seeds all choose the same anchors");
});

Deno.test("blend() lerp is linear and slerp keeps endpoints and stays between the norms", () => {
  const a = randomArray(DIM, 1), b = randomArray(DIM, 2);
  const mid = blend(a, b, 0.5, "lerp");
  for (let i = 0; i < DIM; i++) assert.ok(Math.abs(mid[i] - (a[i] + b[i]) / 2) < 1e-6);
  const s1 = blend(a, b, 1, "slerp");
  for (let i = 0; i < DIM; i++) assert.ok(Math.abs(s1[i] - b[i]) < 1e-5);
  const norm = (v: Float32Array) => Math.hypot(...v);
  const sm = blend(a, b, 0.5, "slerp");
  assert.ok(norm(sm) >= Math.min(norm(a), norm(b)) * 0.999, "slerp midpoint keeps its length");
  assert.ok(norm(sm) > norm(mid), "slerp bulges out where lerp cuts the chord");
});

Deno.test("frameDelays() gives each digit about one second by default", () => {
  for (const n of [1, 2, 10, 30, 60]) {
    const d = frameDelays(9, n, 1, 0.3);
    assert.equal(d.length, frameCount(9, 0, n));
    assert.ok(d.every((x) => Number.isInteger(x) && x >= MIN_DELAY_CS));
    const perDigit = d.slice(0, n).reduce((a, b) => a + b, 0);
    if (n <= 30) assert.equal(perDigit, 100, `n=${n}: a digit lasts ${perDigit} cs`);
    else {assert.equal(
        perDigit,
        Math.round(100 * 0.3) + (n - 1) * MIN_DELAY_CS,
        `n=${n}: the floor applies`,
      );}
    assert.equal(d[d.length - 1], 100, "the last digit is held for a whole second");
  }
  assert.equal(frameDelays(2, 30, 2, 0.5).slice(0, 30).reduce((a, b) => a + b, 0), 200);
});
