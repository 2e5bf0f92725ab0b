/**
 * Opening the store a CLI crawl is kept in, as its flags choose: in memory
 * (the default), a SQLite state file (`--state`), or a job shared through
 * Redis (`--redis`). After this the CLI sees the store's interface only.
 *
 * @module
 */

import { identityOf, shownOptions } from "../pipeline/options.ts";
import { MemoryStore } from "../store/memory.ts";
import type { CrawlStore } from "../store/types.ts";
import type { CliConfig } from "./args.ts";
import { UsageError } from "./usage_error.ts";

/**
 * Opens the store of one CLI run.
 *
 * @param config The parsed command line.
 * @param recrawl Start a recrawl run (from `--recrawl`, or each scheduled tick after the first).
 * @param onNote Told what the user should know (a Redis job keeping its own limits).
 * @returns The open store; the caller closes it.
 * @throws {UsageError} For a state file that does not match or cannot be opened.
 * @throws {StateInUseError} When another process has the state file open (exit 1).
 * @throws {RedisUnreachableError} When Redis cannot be reached (exit 1).
 *
 * @example Usage
 * ```ts
 * import { openStore } from "./store.ts";
 * import { parseCli } from "./args.ts";
 * import { MemoryStore } from "../store/memory.ts";
 * import assert from "node:assert/strict";
 *
 * const onNote = (note: string) => console.error(`note: ${note}`);
 * const memory = await openStore(await parseCli(["--seeds", "https://a.test/"]), false, onNote);
 * assert.ok(memory instanceof MemoryStore);
 * const dir = await Deno.makeTempDir();
 * const state = ["--state", `${dir}/crawl.db`, "--out", `${dir}/out.jsonl`];
 * const store = await openStore(await parseCli(["--seeds", "https://a.test/", ...state]), false, onNote);
 * assert.equal(store.durable, true); // a SQLite state file
 * await store.close();
 * const other = await parseCli(["--seeds", "https://b.test/", ...state]);
 * await assert.rejects(openStore(other, false, onNote), /--state: .* different options \(seeds\)/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openStore(
  config: CliConfig,
  recrawl: boolean,
  onNote: (note: string) => void,
): Promise<CrawlStore> {
  const { state, redis, options } = config;
  if (state) {
    // Loaded only for a durable crawl, as the Redis code below is for a shared one.
    const [{ SqliteStore, StateInUseError }, { StateMismatchError }] = await Promise.all([
      import("../sqlite/store.ts"),
      import("../sqlite/schema.ts"),
    ]);
    try {
      return SqliteStore.open(state.path, {
        identity: identityOf(options),
        restart: state.restart,
        recrawl: recrawl ? { maxAgeMs: state.maxAgeMs } : undefined,
        options: shownOptions(options),
        output: state.changedOnly ? (record) => !record.unchanged : undefined,
      });
    } catch (error) {
      if (error instanceof StateMismatchError) throw new UsageError(`--state: ${error.message}`);
      // Busy is not bad input: the command is right, it cannot run now (exit 1).
      if (error instanceof StateInUseError) throw error;
      throw new UsageError(`--state: cannot open '${state.path}': ${(error as Error).message}`);
    }
  }
  if (redis) {
    // Loaded only for a shared crawl: the Redis client reads the environment when it loads.
    const { connectJob } = await import("../redis/job.ts");
    return await connectJob(redis.url, redis.job, { leaseMs: redis.leaseMs, onNote });
  }
  return new MemoryStore();
}
