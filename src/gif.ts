/**
 * Grey frames to GIF bytes with gifenc: a fixed 256-level grey palette, so a frame's bytes are
 * its palette indices and no quantisation pass runs; the GIF loops forever.
 *
 * @module
 */

import gifenc from "gifenc";

/** The palette: index v is the grey (v, v, v). */
export const GREY_PALETTE: number[][] = Array.from({ length: 256 }, (_, v) => [v, v, v]);

/**
 * Encodes frames as a looping GIF.
 *
 * @param frames (count, height, width) grey levels, frames back to back.
 * @param width Frame width.
 * @param height Frame height.
 * @param delaysCs One delay per frame, in centiseconds.
 * @returns The GIF file's bytes.
 */
export function encodeGif(
  frames: Uint8Array,
  width: number,
  height: number,
  delaysCs: number[],
): Uint8Array<ArrayBuffer> {
  const frameSize = width * height;
  const count = frames.length / frameSize;
  if (!Number.isInteger(count) || count !== delaysCs.length) {
    throw new RangeError(
      `GIF needs one delay per ${width}×${height} frame: ${frames.length} bytes, ${delaysCs.length} delays`,
    );
  }
  const enc = gifenc.GIFEncoder();
  for (let f = 0; f < count; f++) {
    enc.writeFrame(frames.subarray(f * frameSize, (f + 1) * frameSize), width, height, {
      // The palette goes on the first frame only, where gifenc makes it the global table.
      palette: f === 0 ? GREY_PALETTE : undefined,
      delay: delaysCs[f] * 10,
      repeat: 0,
    });
  }
  enc.finish();
  return enc.bytes();
}
