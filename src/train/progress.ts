/**
 * Training progress: a bar redrawn in place on a terminal, plain lines (every tenth of an epoch)
 * when stdout is a file or a pipe.
 *
 * @module
 */

const enc = new TextEncoder();

/** Formats seconds as `1m05s` or `42s`. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${Math.round(s)}s`;
}

/** One epoch's progress display. */
export class Progress {
  readonly #total: number;
  readonly #epochLabel: string;
  readonly #tty: boolean;
  readonly #start = performance.now();
  #lastTenth = -1;

  /**
   * @param epochLabel e.g. "epoch 3/20".
   * @param totalBatches Batches in the epoch.
   * @param tty Whether to redraw a bar in place.
   */
  constructor(epochLabel: string, totalBatches: number, tty = Deno.stdout.isTerminal()) {
    this.#epochLabel = epochLabel;
    this.#total = totalBatches;
    this.#tty = tty;
  }

  /** Shows batch `done` of the epoch with the running loss and the samples seen so far. */
  update(done: number, loss: number, samples: number): void {
    const secs = (performance.now() - this.#start) / 1000;
    const rate = samples / Math.max(secs, 1e-9);
    const eta = (secs / done) * (this.#total - done);
    const text = `batch ${done}/${this.#total}  loss ${loss.toFixed(4)}  ${
      rate.toFixed(0)
    } samples/s  ETA ${formatSeconds(eta)}`;
    if (this.#tty) {
      const width = 24, fill = Math.round((done / this.#total) * width);
      const bar = "█".repeat(fill) + "░".repeat(width - fill);
      Deno.stdout.writeSync(enc.encode(`\r\x1b[K${this.#epochLabel} ${bar} ${text}`));
    } else {
      const tenth = Math.floor((done / this.#total) * 10);
      if (tenth !== this.#lastTenth && (tenth > this.#lastTenth)) {
        this.#lastTenth = tenth;
        console.log(`${this.#epochLabel} ${text}`);
      }
    }
  }

  /** Clears the bar so the epoch summary line can take its place. */
  finish(): void {
    if (this.#tty) Deno.stdout.writeSync(enc.encode("\r\x1b[K"));
  }

  /** Seconds since the epoch began. */
  elapsed(): number {
    return (performance.now() - this.#start) / 1000;
  }
}
