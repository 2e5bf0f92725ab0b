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
 * import { CrawlStats } from "../output/stats.ts";
 * formatStatus({ stats: new CrawlStats(), queued: 1, fetching: 0, parsing: 0 });
 * ```
 */
export function formatStatus(progress: CrawlProgress): string {
  const { stats } = progress;
  const rate = stats.elapsedMs > 0 ? (stats.pagesOk / stats.elapsedMs) * 1000 : 0;
  return `pages ${stats.pagesOk} | queued ${progress.queued} | in flight ${progress.fetching}` +
    ` | parsing ${progress.parsing} | ${rate.toFixed(1)} pages/s | errors ${stats.errorCount}`;
}

/**
 * Redraws a status line on a terminal at a fixed interval.
 *
 * @example Usage
 * ```ts ignore
 * import { StatusLine } from "./status_line.ts";
 * const line = new StatusLine(Deno.stderr, () => "working", 250);
 * // ...
 * line.stop();
 * ```
 */
export class StatusLine {
  #timer: ReturnType<typeof setInterval>;
  #out: { writeSync(p: Uint8Array): number };
  #encoder = new TextEncoder();

  /**
   * Starts redrawing the line.
   *
   * @param out The terminal to draw on.
   * @param render Produces the line's text.
   * @param intervalMs How often to redraw, in ms (a few times a second at most).
   */
  constructor(out: { writeSync(p: Uint8Array): number }, render: () => string, intervalMs = 250) {
    this.#out = out;
    this.#timer = setInterval(() => this.#draw(render()), intervalMs);
  }

  #draw(text: string): void {
    const width = Deno.stderr.isTerminal() ? Deno.consoleSize().columns - 1 : 200;
    this.#out.writeSync(this.#encoder.encode(`\r\x1b[2K${text.slice(0, Math.max(20, width))}`));
  }

  /** Stops redrawing and clears the line. */
  stop(): void {
    clearInterval(this.#timer);
    this.#out.writeSync(this.#encoder.encode("\r\x1b[2K"));
  }
}
