/**
 * Quality bars of the shipped weights, judged by a k-nearest-neighbours digit oracle (k = 3)
 * over the 60,000 MNIST training images: decoded anchors and keyframes must look like their digit.
 */
import assert from "node:assert/strict";
import { KnnClassifier } from "../src/knn.ts";
import { loadMnist } from "../src/mnist.ts";
import { keyframeDigits, latentPath } from "../src/path.ts";
import { decodeToFloat } from "../src/reference.ts";
import { DEFAULT_WEIGHTS_URL, loadWeights } from "../src/weights.ts";

const weights = await loadWeights(DEFAULT_WEIGHTS_URL);
const train = await loadMnist("train");
const oracle = new KnnClassifier(train, 3);

Deno.test("the kNN oracle reads held-out test digits correctly (it is a fair judge)", async () => {
  const test = await loadMnist("test");
  let right = 0;
  const n = 200;
  for (let i = 0; i < n; i++) {
    if (oracle.classify(test.images.subarray(i * 784, (i + 1) * 784)) === test.labels[i]) right++;
  }
  assert.ok(right / n >= 0.95, `oracle accuracy on test digits ${right}/${n}`);
});

Deno.test("the shipped weights record a test MSE of at most 0.012", () => {
  const mse = Number(weights.metadata.testMse);
  assert.ok(mse > 0 && mse <= 0.012, `testMse ${weights.metadata.testMse}`);
});

Deno.test("at least 97% of the decoded anchors are read as their own digit", () => {
  const [, k, dim] = weights.anchors.shape;
  const images = decodeToFloat(weights, weights.anchors.data, 10 * k);
  let right = 0;
  const wrong: string[] = [];
  for (let i = 0; i < 10 * k; i++) {
    const digit = Math.floor(i / k);
    const got = oracle.classify(images.subarray(i * 784, (i + 1) * 784));
    if (got === digit) right++;
    else wrong.push(`${digit}#${i % k}→${got}`);
  }
  assert.equal(dim, weights.arch.latentDim);
  assert.ok(
    right / (10 * k) >= 0.97,
    `${right}/${10 * k} anchors read correctly; wrong: ${wrong.join(", ")}`,
  );
});

Deno.test("every keyframe of -a 9 -z 0 is read as the digit it should be, for several seeds", () => {
  for (const seed of [1, 2, 3, 7, 42]) {
    const path = latentPath(weights.anchors, 9, 0, 30, "lerp", seed);
    const digits = keyframeDigits(9, 0);
    const dim = weights.arch.latentDim;
    const keyLatents = new Float32Array(digits.length * dim);
    digits.forEach((_, k) =>
      keyLatents.set(path.subarray(k * 30 * dim, (k * 30 + 1) * dim), k * dim)
    );
    const images = decodeToFloat(weights, keyLatents, digits.length);
    digits.forEach((digit, k) => {
      assert.equal(
        oracle.classify(images.subarray(k * 784, (k + 1) * 784)),
        digit,
        `seed ${seed}, keyframe ${digit}`,
      );
    });
  }
});
