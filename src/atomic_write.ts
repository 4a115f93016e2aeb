/**
 * Writes a file so that it is either whole or absent: the bytes go to a temporary name in
 * the same folder, then one rename puts them in place.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";

/** Temporary names start with this, so a crashed run's leftovers are recognisable. */
export const TEMP_PREFIX = ".countdown-";

/**
 * Writes `bytes` to `path` atomically.
 *
 * @param path Destination file.
 * @param bytes Contents.
 * @throws {Deno.errors.*} The file system's error; the temporary file is removed first.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const suffix = crypto.getRandomValues(new Uint32Array(1))[0].toString(16);
  const temp = join(dirname(path), `${TEMP_PREFIX}${basename(path)}.${suffix}.tmp`);
  try {
    await Deno.writeFile(temp, bytes);
    await Deno.rename(temp, path);
  } catch (e) {
    await Deno.remove(temp).catch(() => {});
    throw e;
  }
}
