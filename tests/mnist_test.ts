import assert from "node:assert/strict";
import { join } from "node:path";
import { CountdownError } from "../src/errors.ts";
import { loadMnist, MNIST_DIR, parseIdx } from "../src/mnist.ts";

Deno.test("loadMnist() reads the 60,000 training and 10,000 test digits with labels", async () => {
  const train = await loadMnist("train");
  const test = await loadMnist("test");
  assert.equal(train.count, 60000);
  assert.equal(test.count, 10000);
  assert.equal(train.images.length, 60000 * 784);
  const counts = new Array(10).fill(0);
  for (const l of train.labels) counts[l]++;
  assert.ok(counts.every((c) => c > 5000), `every digit is well represented: ${counts}`);
  assert.deepEqual([...train.labels.subarray(0, 5)], [5, 0, 4, 1, 9]);
  assert.ok(train.images.every((v) => v >= 0 && v <= 1));
});

Deno.test("parseIdx() refuses wrong magic numbers, sizes and truncation, naming the problem", async () => {
  const images = await Deno.readFile(new URL("t10k-images-idx3-ubyte", MNIST_DIR));
  const labels = await Deno.readFile(new URL("t10k-labels-idx1-ubyte", MNIST_DIR));
  const swapped = () => parseIdx(labels, images, "x");
  assert.throws(swapped, /magic/);
  assert.throws(
    () => parseIdx(images.subarray(0, images.length - 1), labels, "x"),
    /bytes, expected/,
  );
  assert.throws(() => parseIdx(images, labels.subarray(0, 100), "x"), /labels|bytes/);
  assert.throws(() => parseIdx(images.subarray(0, 10), labels, "x"), /shorter than the IDX header/);
  const badLabel = labels.slice();
  badLabel[20] = 11;
  assert.throws(() => parseIdx(images, badLabel, "x"), /label 11/);
  const small = images.slice();
  new DataView(small.buffer).setUint32(8, 27);
  assert.throws(() => parseIdx(small, labels, "x"), /27×28/);
});

Deno.test("loadMnist() names the missing file and the fix", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(
    loadMnist("test", dir),
    (e: Error) =>
      e instanceof CountdownError && e.message.includes(join(dir, "t10k-images-idx3-ubyte")),
  );
  await Deno.writeFile(join(dir, "t10k-images-idx3-ubyte"), new Uint8Array(100));
  await Deno.writeFile(join(dir, "t10k-labels-idx1-ubyte"), new Uint8Array(100));
  await assert.rejects(
    loadMnist("test", dir),
    (e: Error) => e instanceof CountdownError && /damaged/.test(e.message),
  );
  await Deno.remove(dir, { recursive: true });
});
