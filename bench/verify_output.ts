/**
 * The benchmark's check of a crawl's output (`bench/run.ts`): every page of
 * the generated site (`bench/gen_site.ts`) exactly once, with status 200,
 * and no other URL; and the latency percentiles of its records, read on the
 * way (the output is streamed: a large crawl's can be hundreds of MB), with
 * when the crawl's requests started: its first, and its pace over the
 * second half of the site.
 *
 * @module
 */

/** The verdict on a crawl's output. */
export interface CrawlCheck {
  /** Records read. */
  records: number;
  /** What is wrong; empty when the crawl is right. */
  failures: string[];
  /** Median of the records' `durationMs`. */
  p50Ms: number;
  /** 99th percentile of the records' `durationMs`. */
  p99Ms: number;
  /** The earliest record's `fetchedAt` (when its request started), in ms since the epoch. */
  firstFetchedAt: number;
  /**
   * Pages/s over the second half of the records by `fetchedAt`: a crawl going
   * at full speed, its start-up and V8's tiering behind it.
   */
  secondHalfPagesPerSecond: number;
}

/** The lines of a file, streamed: a large crawl's output can be hundreds of MB. */
async function* lines(path: string): AsyncGenerator<string> {
  const file = await Deno.open(path);
  const decoder = new TextDecoder();
  let rest = "";
  // `readable` closes the file when it ends.
  for await (const chunk of file.readable) {
    rest += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let end = rest.indexOf("\n"); end >= 0; end = rest.indexOf("\n", start)) {
      yield rest.slice(start, end);
      start = end + 1;
    }
    rest = rest.slice(start);
  }
  rest += decoder.decode();
  if (rest) yield rest;
}

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted: Float64Array, p: number) =>
  sorted.length ? sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]! : NaN;

/**
 * Checks the output holds every page of the site exactly once, with status
 * 200, and nothing else; collects the latencies on the way.
 *
 * @param path The crawl's JSON Lines output.
 * @param origin The benchmark server's origin.
 * @param pages The site's pages besides `/index.html` (`/p/0.html` ... `/p/<pages - 1>.html`).
 * @returns The records read, what is wrong, and the latency percentiles.
 *
 * @example Usage
 * ```ts ignore
 * import { verifyOutput } from "./verify_output.ts";
 * const check = await verifyOutput("run-1.jsonl", server.origin, 5000);
 * for (const failure of check.failures) console.log(`FAIL ${failure}`);
 * ```
 */
export async function verifyOutput(
  path: string,
  origin: string,
  pages: number,
): Promise<CrawlCheck> {
  // Slot 0 is /index.html, slot i + 1 is /p/<i>.html.
  const seen = new Uint32Array(pages + 1);
  const durations: number[] = [];
  const startedAt: number[] = [];
  const outside: string[] = [];
  const notOk: string[] = [];
  const slotOf = (url: string) => {
    if (!url.startsWith(origin + "/")) return -1;
    const pathname = url.slice(origin.length);
    if (pathname === "/index.html") return 0;
    const match = /^\/p\/(0|[1-9]\d*)\.html$/.exec(pathname);
    const i = match ? Number(match[1]) : pages;
    return i < pages ? i + 1 : -1;
  };
  let records = 0;
  for await (const line of lines(path)) {
    if (!line) continue;
    records++;
    const record = JSON.parse(line);
    durations.push(record.durationMs);
    startedAt.push(Date.parse(record.fetchedAt));
    const slot = slotOf(record.url);
    if (slot < 0) outside.push(record.url);
    else seen[slot]!++;
    if (record.status !== 200 || record.error) {
      notOk.push(`${record.url} ${record.status} ${record.error ?? ""}`.trim());
    }
  }
  const missing: number[] = [], repeated: number[] = [];
  seen.forEach((count, slot) => {
    if (count === 0) missing.push(slot);
    if (count > 1) repeated.push(slot);
  });
  const name = (slot: number) => slot === 0 ? "/index.html" : `/p/${slot - 1}.html`;
  const sample = (items: unknown[]) => items.slice(0, 5).join(", ");
  const failures: string[] = [];
  if (records !== pages + 1) failures.push(`output: ${records} records, expected ${pages + 1}`);
  if (missing.length) {
    failures.push(`output: ${missing.length} pages missing, e.g. ${sample(missing.map(name))}`);
  }
  if (repeated.length) {
    failures.push(`output: ${repeated.length} pages repeated, e.g. ${sample(repeated.map(name))}`);
  }
  if (outside.length) {
    failures.push(`output: ${outside.length} URLs outside the site, e.g. ${sample(outside)}`);
  }
  if (notOk.length) failures.push(`output: ${notOk.length} records not 200, e.g. ${sample(notOk)}`);
  const sorted = Float64Array.from(durations).sort();
  const starts = Float64Array.from(startedAt).sort();
  const half = starts.length >> 1;
  return {
    records,
    failures,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    firstFetchedAt: starts[0] ?? NaN,
    // The requests started after the middle one, over the time they took to start (ms resolution).
    secondHalfPagesPerSecond: (starts.length - 1 - half) /
      ((starts[starts.length - 1]! - starts[half]!) / 1000),
  };
}
