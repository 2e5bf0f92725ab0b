/**
 * The live status line a crawl shows on a terminal.
 *
 * @module
 */

import type { CrawlProgress } from "../pipeline/run.ts";

/**
 * Formats one status line.
 *
 * @param progress The live counters.
 * @returns e.g. `pages 120 | queued 40 | in flight 8 | parsing 2 | 95.1 pages/s | errors 3`.
 *
 * @example Usage
 * ```ts
 * import { formatStatus } from "./status_line.ts";
 * import assert from "node:assert/strict";
 *
 * const line = formatStatus({
 *   pagesOk: 120,
 *   errors: 3,
 *   elapsedMs: 2000,
 *   queued: 40,
 *   fetching: 8,
 *   parsing: 2,
 * });
 * assert.equal(line, "pages 120 | queued 40 | in flight 8 | parsing 2 | 60.0 pages/s | errors 3");
 * ```
 */
export function formatStatus(progress: CrawlProgress): string {
  const { pagesOk, elapsedMs } = progress;
  const rate = elapsedMs > 0 ? (pagesOk / elapsedMs) * 1000 : 0;
  return `pages ${pagesOk} | queued ${progress.queued} | in flight ${progress.fetching}` +
    ` | parsing ${progress.parsing} | ${rate.toFixed(1)} pages/s | errors ${progress.errors}`;
}

/**
 * Redraws a status line on a terminal at a fixed interval.
 *
 * @example Usage
 * ```ts
 * import { StatusLine } from "./status_line.ts";
 * import assert from "node:assert/strict";
 *
 * // A stand-in terminal that keeps what is drawn (the CLI passes Deno.stderr).
 * const drawn: string[] = [];
 * const terminal = {
 *   writeSync(bytes: Uint8Array) {
 *     drawn.push(new TextDecoder().decode(bytes));
 *     return bytes.length;
 *   },
 * };
 * const line = new StatusLine(terminal, () => "pages 3 | queued 1", 10);
 * await new Promise((resolve) => setTimeout(resolve, 50));
 * line.stop();
 * assert.equal(drawn[0], "\r\x1b[2Kpages 3 | queued 1"); // back to column 0, erase, draw
 * assert.equal(drawn.at(-1), "\r\x1b[2K"); // stop() clears the line
 * ```
 */
export class StatusLine {
  #timer: ReturnType<typeof setInterval>;
  #out: { writeSync(p: Uint8Array): number };
  #encoder = new TextEncoder();
  #render: () => string;

  /**
   * Starts redrawing the line.
   *
   * @param out The terminal to draw on.
   * @param render Produces the line's text.
   * @param intervalMs How often to redraw, in ms (a few times a second at most).
   */
  constructor(out: { writeSync(p: Uint8Array): number }, render: () => string, intervalMs = 250) {
    this.#out = out;
    this.#render = render;
    this.#timer = setInterval(() => this.#draw(render()), intervalMs);
  }

  /**
   * Prints a line of its own above the status line, which is drawn again below it.
   *
   * @param text The line, without a line end.
   */
  print(text: string): void {
    this.#out.writeSync(this.#encoder.encode(`\r\x1b[2K${text}\n`));
    this.#draw(this.#render());
  }

  #draw(text: string): void {
    // A terminal that reports no size (0 columns, e.g. a pseudo-terminal nobody sized) gets 200.
    const columns = Deno.stderr.isTerminal() ? Deno.consoleSize().columns : 0;
    const width = columns > 0 ? columns - 1 : 200;
    this.#out.writeSync(this.#encoder.encode(`\r\x1b[2K${text.slice(0, Math.max(20, width))}`));
  }

  /** Stops redrawing and clears the line. */
  stop(): void {
    clearInterval(this.#timer);
    this.#out.writeSync(this.#encoder.encode("\r\x1b[2K"));
  }
}
