/**
 * The state file's write path alone (`deno task bench:commits`): replays
 * what a `--state` crawl of the bench site asks of {@linkcode SqliteStore}
 * (per page: a URL marked seen and queued, taken, finished with a record of
 * about 2.7 KB, as the bench pages' records are; a commit every 16 pages, as
 * the 5 ms batch window gives at the crawl's pace) and prints, per run, the
 * time per page of the thread that writes (wall: commits, checkpoints and
 * their fsyncs included) and the process's CPU per page. No network and no
 * parsing, so the store's changes show above this machine's noise.
 *
 * ```sh
 * deno task bench:commits                      # 20,000 pages, 3 runs
 * deno task bench:commits --pages 5001 --runs 5
 * ```
 *
 * Flags: `--pages N` (20000), `--runs R` (3). Permissions: read and write in the temp directory.
 *
 * @module
 */

import { parseArgs } from "node:util";
import process from "node:process";
import { positiveInt } from "./args.ts";
import { hostKey } from "../src/frontier/host_slot.ts";
import type { CrawlRecord } from "../src/output/record.ts";
import { SqliteStore } from "../src/sqlite/store.ts";

let pages: number;
let runs: number;
try {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      pages: { type: "string", default: "20000" },
      runs: { type: "string", default: "3" },
    },
  });
  pages = positiveInt("pages", values.pages);
  runs = positiveInt("runs", values.runs);
} catch (error) {
  console.error(`bench: ${error instanceof Error ? error.message : error}`);
  Deno.exit(2);
}
const ORIGIN = "http://127.0.0.1:18090";
// The bench pages' records: some 60 links each.
const links = Array.from({ length: 60 }, (_, i) => ({
  url: `${ORIGIN}/p/${i}/page-${i * 7}.html`,
  text: `Link number ${i}`,
}));
const deliver = () => Promise.resolve();

const dir = await Deno.makeTempDir({ prefix: "state-commits-" });
try {
  console.log(`# state file writes: ${pages} pages a run, a commit every 16 pages`);
  console.log("| run | writing thread µs/page (wall) | process CPU µs/page |");
  console.log("|---:|---:|---:|");
  for (let run = 1; run <= runs; run++) {
    const store = SqliteStore.open(`${dir}/run-${run}.db`, { identity: {}, batchSize: 100_000 });
    const started = performance.now();
    const cpu = process.cpuUsage();
    for (let page = 0; page < pages; page++) {
      const url = `${ORIGIN}/p/${page}/page-${page}.html`;
      store.seen.add(url);
      store.push({
        url,
        depth: 1,
        parent: `${ORIGIN}/index.html`,
        attempts: 0,
        host: hostKey(url),
      });
      const [entry] = store.take(1);
      const record = { url, status: 200, title: `Page ${page}`, links, bytes: 32_000 };
      await store.finish(entry!, record as unknown as CrawlRecord, deliver);
      if (page % 16 === 15) await store.flush();
    }
    await store.flush();
    const { user, system } = process.cpuUsage(cpu);
    const wall = performance.now() - started;
    await store.close();
    const perPage = (ms: number) => (ms * 1000 / pages).toFixed(1);
    console.log(`| ${run} | ${perPage(wall)} | ${perPage((user + system) / 1000)} |`);
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
