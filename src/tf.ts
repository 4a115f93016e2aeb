/**
 * tfjs, imported once for the training side of the program, without its console notice.
 *
 * The cpu backend prints a multi-line "install tfjs-node" notice on first use whenever it
 * thinks it runs in Node.js, as it does under Deno; tfjs-node cannot run here, so the notice
 * is only noise on stderr (and would break the one-line error rule).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

const cpu = tf.findBackend("cpu") as unknown as { firstUse?: boolean } | undefined;
if (cpu) cpu.firstUse = false;

export { tf };
