import { tf } from "../src/tf.ts";
import { useBackend } from "../src/train/backend.ts";
import { assertClose, randomArray } from "./fixtures.ts";

/** Runs `f` on a backend and returns the result's values. */
async function on(backend: string, f: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => f().dataSync() as Float32Array);
}

await useBackend("wasm");

interface Case {
  x: [number, number, number, number];
  k: number;
  oc: number;
  s: number;
  pad: "same" | "valid";
}

// Random shapes, including the layers the autoencoder trains: odd sizes, strides 1–2, kernels 1–5.
function cases(): Case[] {
  const out: Case[] = [
    { x: [4, 28, 28, 1], k: 3, oc: 16, s: 2, pad: "same" },
    { x: [3, 14, 14, 16], k: 3, oc: 32, s: 2, pad: "same" },
    { x: [2, 28, 28, 16], k: 3, oc: 1, s: 1, pad: "same" },
  ];
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 12; i++) {
    const k = 1 + Math.floor(next() * 5);
    out.push({
      x: [
        1 + Math.floor(next() * 3),
        k + Math.floor(next() * 9),
        k + Math.floor(next() * 9),
        1 + Math.floor(next() * 9),
      ],
      k,
      oc: 1 + Math.floor(next() * 9),
      s: 1 + Math.floor(next() * 2),
      pad: next() < 0.5 ? "same" : "valid",
    });
  }
  return out;
}

Deno.test("the wasm Conv2DBackpropFilter matches tfjs-cpu on random shapes (rel. L2 < 1e-5)", async () => {
  let seed = 1;
  for (const c of cases()) {
    const y = tf.tidy(() =>
      tf.conv2d(
        tf.zeros(c.x) as tf.Tensor4D,
        tf.zeros([c.k, c.k, c.x[3], c.oc]) as tf.Tensor4D,
        c.s,
        c.pad,
      ).shape
    );
    const x = randomArray(c.x.reduce((a, b) => a * b), seed++);
    const dy = randomArray(y.reduce((a, b) => a * b), seed++);
    const f = () =>
      tf.engine().runKernel("Conv2DBackpropFilter", {
        x: tf.tensor4d(x, c.x),
        dy: tf.tensor4d(dy, y as [number, number, number, number]),
      }, {
        strides: c.s,
        pad: c.pad,
        dataFormat: "NHWC",
        filterShape: [c.k, c.k, c.x[3], c.oc],
      }) as tf.Tensor;
    const want = await on("cpu", f);
    const got = await on("wasm", f);
    assertClose(got, want, 1e-5, JSON.stringify(c));
  }
});

Deno.test("the wasm Conv2DBackpropInput and conv2dTranspose match tfjs-cpu on random shapes (rel. L2 < 1e-5)", async () => {
  let seed = 1000;
  for (const c of cases()) {
    const y = tf.tidy(() =>
      tf.conv2d(
        tf.zeros(c.x) as tf.Tensor4D,
        tf.zeros([c.k, c.k, c.x[3], c.oc]) as tf.Tensor4D,
        c.s,
        c.pad,
      ).shape
    );
    const w = randomArray(c.k * c.k * c.x[3] * c.oc, seed++);
    const dy = randomArray(y.reduce((a, b) => a * b), seed++);
    const f = () =>
      tf.conv2dTranspose(
        tf.tensor4d(dy, y as [number, number, number, number]),
        tf.tensor4d(w, [c.k, c.k, c.x[3], c.oc]),
        c.x,
        c.s,
        c.pad,
      );
    const want = await on("cpu", f);
    const got = await on("wasm", f);
    assertClose(got, want, 1e-5, JSON.stringify(c));
  }
});

Deno.test("gradients through conv2d and conv2dTranspose agree between wasm and cpu", async () => {
  const x = randomArray(2 * 14 * 14 * 8, 7);
  const w1 = randomArray(3 * 3 * 8 * 12, 8), w2 = randomArray(3 * 3 * 4 * 12, 9);
  const loss = (...t: tf.Tensor[]) =>
    tf.conv2dTranspose(
      tf.relu(tf.conv2d(t[0] as tf.Tensor4D, t[1] as tf.Tensor4D, 2, "same")),
      t[2] as tf.Tensor4D,
      [2, 14, 14, 4],
      2,
      "same",
    ).square().mean();
  const grads = async (backend: string) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const g = tf.grads(loss)([
        tf.tensor4d(x, [2, 14, 14, 8]),
        tf.tensor4d(w1, [3, 3, 8, 12]),
        tf.tensor4d(w2, [3, 3, 4, 12]),
      ]);
      return g.map((t) => t.dataSync() as Float32Array);
    });
  };
  const want = await grads("cpu");
  const got = await grads("wasm");
  want.forEach((wv, i) => assertClose(got[i], wv, 1e-5, `gradient ${i}`));
});
