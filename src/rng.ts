/**
 * A small seeded random generator (mulberry32): the same seed gives the same anchors and so
 * the same GIF, on every platform.
 *
 * @module
 */

/** Largest accepted `--seed`. */
export const MAX_SEED = 0xffffffff;

/**
 * Makes a generator of floats in [0, 1) from a 32-bit seed.
 *
 * @param seed Integer 0 – 2³²−1.
 * @returns A function returning the next value.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fresh random seed from the system's generator. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}
