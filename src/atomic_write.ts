/**
 * Writes a file so that it is either whole or absent: the bytes go to a temporary name in
 * the same folder, then one rename puts them in place.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";

/** Temporary names start with this, so a crashed run's leftovers are recognisable. */
export const TEMP_PREFIX = ".countdown-";

/** Temporary files being written now, removed by {@link removePendingTemps} on an interrupt. */
const pending = new Set<string>();

/**
 * Deletes the temporary files of writes still in progress; for a signal handler that is about
 * to exit, so that Ctrl-C never leaves a partial file behind.
 */
export function removePendingTemps(): void {
  for (const path of pending) {
    try {
      Deno.removeSync(path);
    } catch {
      // Already renamed or never created: nothing to clean.
    }
  }
  pending.clear();
}

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
  pending.add(temp);
  try {
    await Deno.writeFile(temp, bytes);
    await Deno.rename(temp, path);
  } catch (e) {
    await Deno.remove(temp).catch(() => {});
    throw e;
  } finally {
    pending.delete(temp);
  }
}
