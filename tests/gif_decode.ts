/**
 * A GIF decoder for tests only (omggif), so written frames can be compared with what was meant.
 *
 * @module
 */

import assert from "node:assert/strict";
import omggif from "omggif";

/** Decodes every frame of a GIF to grey levels (R of RGBA), with delays and loop count. */
export function decodeGif(
  bytes: Uint8Array,
): { width: number; height: number; frames: Uint8Array[]; delays: number[]; loop: number | null } {
  const reader = new omggif.GifReader(bytes);
  const frames: Uint8Array[] = [];
  const delays: number[] = [];
  const rgba = new Uint8Array(reader.width * reader.height * 4);
  for (let i = 0; i < reader.numFrames(); i++) {
    reader.decodeAndBlitFrameRGBA(i, rgba);
    const grey = new Uint8Array(reader.width * reader.height);
    for (let p = 0; p < grey.length; p++) {
      assert.ok(
        rgba[4 * p] === rgba[4 * p + 1] && rgba[4 * p] === rgba[4 * p + 2],
        "pixels are grey",
      );
      grey[p] = rgba[4 * p];
    }
    frames.push(grey);
    delays.push(reader.frameInfo(i).delay);
  }
  return { width: reader.width, height: reader.height, frames, delays, loop: reader.loopCount() };
}
