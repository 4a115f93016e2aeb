import { tf } from "../src/tf.ts";
import { buildDecoder, setDecoderWeights } from "../src/model.ts";
import { convTransposeForward, decodeToFloat } from "../src/reference.ts";
import { assertClose, convDims, randomArray, randomWeights, SMALL_ARCH } from "./fixtures.ts";

await tf.setBackend("cpu");

Deno.test("convTransposeForward() matches tf.conv2dTranspose for strides 1–2, kernels 2–5, same and valid", () => {
  let seed = 500;
  for (const s of [1, 2]) {
    for (const k of [2, 3, 4, 5]) {
      for (const padding of ["same", "valid"] as const) {
        const d = convDims(5, 6, 3, 4, [k, k], [s, s], padding, 2);
        const { batch: b, inH, inW, inC, outH, outW, outC } = d;
        const x = randomArray(b * inH * inW * inC, seed++);
        const w = randomArray(k * k * outC * inC, seed++);
        const bias = new Float32Array(outC);
        const want = tf.tidy(() =>
          tf.conv2dTranspose(
            tf.tensor4d(x, [b, inH, inW, inC]),
            tf.tensor4d(w, [k, k, outC, inC]),
            [b, outH, outW, outC],
            s,
            padding,
          ).dataSync() as Float32Array
        );
        const got = convTransposeForward(x, w, bias, d, "linear");
        assertClose(got, want, 1e-5, `k${k} s${s} ${padding}`);
      }
    }
  }
});

Deno.test("the reference decoder matches tfjs predict() on the same weights", () => {
  for (
    const arch of [SMALL_ARCH, {
      latentDim: 5,
      layers: [
        { kind: "dense" as const, units: 4 * 3 * 8, activation: "tanh" as const },
        { kind: "reshape" as const, shape: [4, 3, 8] as [number, number, number] },
        {
          kind: "conv2dTranspose" as const,
          filters: 6,
          kernelSize: [4, 5] as [number, number],
          strides: [2, 1] as [number, number],
          padding: "valid" as const,
          activation: "relu" as const,
        },
        {
          kind: "conv2dTranspose" as const,
          filters: 1,
          kernelSize: [2, 2] as [number, number],
          strides: [2, 2] as [number, number],
          padding: "same" as const,
          activation: "sigmoid" as const,
        },
      ],
    }]
  ) {
    const { weights } = randomWeights(arch, 21);
    const model = buildDecoder(arch);
    setDecoderWeights(model, arch, weights.params);
    const batch = 7;
    const latents = randomArray(batch * arch.latentDim, 3, -2, 2);
    const want = tf.tidy(() =>
      (model.predict(tf.tensor2d(latents, [batch, arch.latentDim])) as tf.Tensor)
        .dataSync() as Float32Array
    );
    const got = decodeToFloat(weights, latents, batch);
    assertClose(got, want, 1e-5, `decoder ${arch.latentDim}`);
    model.dispose();
  }
});
