/**
 * The error for bad command-line input, shared by everything that reads the
 * command line and the `--config` file.
 *
 * @module
 */

/**
 * Bad command-line input: the CLI prints the message and exits 2.
 *
 * @example Usage
 * ```ts
 * import { UsageError } from "./usage_error.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new UsageError("--max-pages must be a positive integer: received 0");
 * assert.equal(error.name, "UsageError");
 * ```
 */
export class UsageError extends Error {
  /**
   * Creates the error for one bad input.
   *
   * @param message One line naming the flag and what is wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
