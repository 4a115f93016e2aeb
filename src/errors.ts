/**
 * The two kinds of failure the program reports to a person, each with its exit code.
 *
 * A user mistake (a bad flag) is a {@link UsageError} and exits 2; a problem met while
 * running (an unreadable weights file, a folder that cannot be written, a lost GPU)
 * is a {@link CountdownError} and exits 1. Anything else is a bug and keeps its stack.
 *
 * @module
 */

/** A mistake on the command line: exit status 2. */
export class UsageError extends Error {
  /** The process exit status for this error. */
  readonly exitCode = 2;
  /**
   * @param message One line naming the flag, the value and what is allowed.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A fault met while running (files, GPU, data): exit status 1. */
export class CountdownError extends Error {
  /** The process exit status for this error. */
  readonly exitCode = 1;
  /**
   * @param message One line naming the thing, the value and what to do.
   * @param options The underlying cause, shown only with `--debug`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CountdownError";
  }
}
