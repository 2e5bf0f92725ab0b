/**
 * What the command line needs for a crawl shared through Redis: joining a
 * job (`--redis URL --job NAME`), exporting its records (`export`), its
 * totals, and deleting it.
 *
 * @module
 */

import type { Redis } from "ioredis";
import { openSink, type OutputFormat } from "../output/sink.ts";
import {
  openRedis,
  type OpenRedisOptions,
  redactRedisUrl,
  RedisLostError,
  type RedisTlsOptions,
  RedisUnreachableError,
} from "./connect.ts";
import { RedisFrontier, type RedisFrontierStats } from "./frontier.ts";
import { jobPrefix, JobScripts, type JobSettings } from "./scripts.ts";
import { redisRobotsStore } from "./robots.ts";
import type { RobotsStore } from "../robots/cache.ts";
import { RedisStore } from "./store.ts";

export { redactRedisUrl, RedisFrontier, RedisLostError, RedisStore, RedisUnreachableError };
export type { JobSettings, OpenRedisOptions, OutputFormat, RedisFrontierStats, RedisTlsOptions };

/** The default lease length, in ms. */
export const DEFAULT_LEASE_MS = 30_000;

/** Options for {@linkcode connectJob}. */
export interface ConnectJobOptions extends OpenRedisOptions {
  /** This process's limits; the first process of a job sets the job's. */
  crawl?: { perHost?: number; delayMs?: number; maxPages?: number; maxPagesPerHost?: number };
  /** How long a lease lives unless extended, in ms. Default 30 000. */
  leaseMs?: number;
}

/** The job's totals, kept in Redis. */
export interface JobTotals {
  /** URLs queued, leased or held open. */
  pending: number;
  /** URLs waiting to be leased. */
  queued: number;
  /** URLs admitted. */
  added: number;
  /** Leases taken (a URL taken over after a crash counts twice). */
  leased: number;
  /** Records in the job's results. */
  records: number;
  /** Records of 2xx pages without error. */
  pagesOk: number;
  /** Body bytes of the records. */
  bytes: number;
  /** URLs finished without a record (policy skips). */
  skipped: number;
  /** Retries queued. */
  retries: number;
  /** Expired leases put back in the queue. */
  reclaimed: number;
  /** Finishes refused because their lease had expired and moved on. */
  lost: number;
  /** Records by error code. */
  errors: Record<string, number>;
}

/** One process's membership of a job. */
export interface RedisJob {
  /** The job's name. */
  readonly name: string;
  /** The Redis URL, password redacted. */
  readonly url: string;
  /** The job's settings (those of the process that started it). */
  readonly settings: JobSettings;
  /** One line per setting of this process that the job overrides. */
  readonly notes: string[];
  /** The frontier to pass to `runCrawl` (`frontier: () => job.frontier`). */
  readonly frontier: RedisFrontier;
  /** The store to pass to `runCrawl`. */
  readonly store: RedisStore;
  /** The job's shared robots.txt results, to pass to `runCrawl` as `robots`. */
  readonly robots: RobotsStore;
  /** Reads the job's totals. */
  totals(): Promise<JobTotals>;
  /** Gives back unfinished leases and closes the connections. */
  close(): Promise<void>;
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot connect job as '${name}' must be a positive integer: received ${value}`,
    );
  }
  return value;
}

async function quit(client: Redis): Promise<void> {
  if (client.status === "ready") await client.quit().catch(() => client.disconnect());
  else client.disconnect();
}

/**
 * Joins (or starts) a job: opens a command connection and a subscriber,
 * loads the scripts and settles the job's settings.
 *
 * @param url `redis://[:password@]host[:port][/db]` or `rediss://...`.
 * @param name The job's name (letters, digits, `.`, `_`, `-`).
 * @param options Limits, lease length, time limits and TLS.
 * @returns The job.
 * @throws {TypeError} If the URL or the name is malformed.
 * @throws {RangeError} If `leaseMs` is not a positive integer.
 * @throws {RedisUnreachableError} If Redis cannot be reached: print its message, exit 1.
 *
 * @example Usage
 * ```ts ignore
 * import { connectJob } from "./job.ts";
 * const job = await connectJob("redis://127.0.0.1:6379/0", "shop-2026", { crawl: options });
 * try {
 *   await runCrawl(options, { frontier: () => job.frontier, store: job.store, onRecord });
 * } finally {
 *   await job.close();
 * }
 * ```
 */
export async function connectJob(
  url: string,
  name: string,
  options: ConnectJobOptions = {},
): Promise<RedisJob> {
  const prefix = jobPrefix(name);
  const leaseMs = positive("leaseMs", options.leaseMs ?? DEFAULT_LEASE_MS);
  const consumer = `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const connectionName = `crawl-${name}-${consumer}`;
  const command = await openRedis(url, { ...options, connectionName });
  let subscriber;
  try {
    subscriber = await openRedis(url, { ...options, connectionName: `${connectionName}-sub` });
  } catch (error) {
    command.client.disconnect();
    throw error;
  }
  try {
    await subscriber.client.subscribe(`${prefix}ev`);
    const scripts = new JobScripts(command.client, name, consumer);
    const crawl = options.crawl ?? {};
    const mine: JobSettings = {
      perHost: crawl.perHost ?? 2,
      delayMs: crawl.delayMs ?? 0,
      maxPages: crawl.maxPages ?? 0,
      maxPagesPerHost: crawl.maxPagesPerHost ?? 0,
      leaseMs,
    };
    const settings = await scripts.init(mine);
    const notes = (Object.keys(mine) as (keyof JobSettings)[])
      .filter((key) => mine[key] !== settings[key])
      .map((key) => `job ${name} keeps ${key}=${settings[key]} (this process asked ${mine[key]})`);
    const frontier = new RedisFrontier({
      scripts,
      settings,
      client: command.client,
      subscriber: subscriber.client,
      explain: command.explain,
    });
    return {
      name,
      url: command.url,
      settings,
      notes,
      frontier,
      store: new RedisStore(frontier),
      robots: redisRobotsStore(command.client, prefix),
      totals: () => readTotals(command.client, prefix),
      async close() {
        await frontier.dispose();
        await Promise.all([quit(subscriber.client), quit(command.client)]);
      },
    };
  } catch (error) {
    command.client.disconnect();
    subscriber.client.disconnect();
    throw command.explain(error);
  }
}

async function readTotals(client: Redis, prefix: string): Promise<JobTotals> {
  const [stats, meta] = await Promise.all([
    client.hgetall(`${prefix}stats`),
    client.hmget(`${prefix}meta`, "pending", "queued"),
  ]);
  const n = (value: string | null | undefined) => Number(value ?? 0);
  const errors: Record<string, number> = {};
  for (const [key, value] of Object.entries(stats)) {
    if (key.startsWith("error:")) errors[key.slice(6)] = Number(value);
  }
  return {
    pending: n(meta[0]),
    queued: n(meta[1]),
    added: n(stats.added),
    leased: n(stats.leased),
    records: n(stats.records),
    pagesOk: n(stats.pagesOk),
    bytes: n(stats.bytes),
    skipped: n(stats.skipped),
    retries: n(stats.retries),
    reclaimed: n(stats.reclaimed),
    lost: n(stats.lost),
    errors,
  };
}

/**
 * Reads a job's totals.
 *
 * @param url The Redis URL.
 * @param name The job's name.
 * @param options Time limits and TLS.
 * @returns The totals.
 * @throws {RedisUnreachableError} If Redis cannot be reached.
 */
export async function jobTotals(
  url: string,
  name: string,
  options: OpenRedisOptions = {},
): Promise<JobTotals> {
  const prefix = jobPrefix(name);
  const { client } = await openRedis(url, options);
  try {
    return await readTotals(client, prefix);
  } finally {
    await quit(client);
  }
}

/**
 * Writes a job's records (those appended when the export starts) to a file
 * or stdout, in batches of 1000.
 *
 * @param url The Redis URL.
 * @param name The job's name.
 * @param out The output file; `undefined` for stdout.
 * @param format `jsonl`, `json` or `csv`.
 * @param options Time limits and TLS.
 * @returns How many records were written.
 * @throws {RedisUnreachableError} If Redis cannot be reached.
 *
 * @example Usage
 * ```ts ignore
 * import { exportJob } from "./job.ts";
 * const n = await exportJob("redis://127.0.0.1:6379/0", "shop-2026", "all.jsonl", "jsonl");
 * ```
 */
export async function exportJob(
  url: string,
  name: string,
  out: string | undefined,
  format: OutputFormat,
  options: OpenRedisOptions = {},
): Promise<number> {
  const key = `${jobPrefix(name)}results`;
  const { client, explain } = await openRedis(url, options);
  try {
    const sink = await openSink(format, out);
    try {
      const total = await client.llen(key);
      for (let start = 0; start < total; start += 1000) {
        const batch = await client.lrange(key, start, Math.min(start + 999, total - 1));
        for (const line of batch) await sink.write(JSON.parse(line));
      }
      await sink.close();
      return total;
    } catch (error) {
      await sink.close().catch(() => {});
      throw explain(error);
    }
  } finally {
    await quit(client);
  }
}

/**
 * Deletes every key of a job (its queue, seen set, results and totals).
 *
 * @param url The Redis URL.
 * @param name The job's name.
 * @param options Time limits and TLS.
 * @returns How many keys were deleted.
 * @throws {RedisUnreachableError} If Redis cannot be reached.
 */
export async function deleteJob(
  url: string,
  name: string,
  options: OpenRedisOptions = {},
): Promise<number> {
  const prefix = jobPrefix(name);
  const { client } = await openRedis(url, options);
  let deleted = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== "0");
    return deleted;
  } finally {
    await quit(client);
  }
}
