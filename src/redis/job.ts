/**
 * A crawl job shared through Redis (`--redis URL --job NAME`): joining it
 * as a {@linkcode CrawlStore} (its frontier, seen set, robots.txt results
 * and records live in Redis), exporting its records (`export`), and its
 * totals.
 *
 * @module
 */

import type { Redis } from "ioredis";
import { hostname } from "node:os";
import { resolve } from "node:path";
import type { CrawlFrontier, FrontierEntry, FrontierLimits } from "../frontier/types.ts";
import type { CrawlRecord } from "../output/record.ts";
import { openSink, type OutputFormat } from "../output/sink.ts";
import type { RobotsStore } from "../robots/cache.ts";
import type { ArchiveLedger, CrawlStore, Deliver } from "../store/types.ts";
import { checkInteger } from "../validate/integer.ts";
import { openRedis, type OpenRedisOptions, type RedisConnection } from "./connect.ts";
import { RedisFrontier } from "./frontier.ts";
import { redisRobotsStore } from "./robots.ts";
import { JobScripts } from "./scripts.ts";
import { DEFAULT_LEASE_MS, jobPrefix, type JobSettings } from "./job_settings.ts";

/** Options for {@linkcode connectJob}. */
export interface ConnectJobOptions extends OpenRedisOptions {
  /** How long a lease lives unless extended, in ms. Default 30 000. */
  leaseMs?: number;
  /** Told each setting of this process that the job overrides (the first process sets them). */
  onNote?: (note: string) => void;
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

async function quit(client: Redis): Promise<void> {
  if (client.status === "ready") await client.quit().catch(() => client.disconnect());
  else client.disconnect();
}

/**
 * One process's membership of a job: a {@linkcode CrawlStore} whose
 * frontier, seen set, robots.txt results and records are the job's, in
 * Redis. Durable: what this process leaves unfinished goes back to the job
 * for its other processes (or the next one to join).
 *
 * @example Usage
 * Not run as a test: it needs a Redis server.
 *
 * ```ts ignore
 * import { connectJob } from "./job.ts";
 * const job = await connectJob("redis://127.0.0.1:6379/0", "shop-2026");
 * const frontier = await job.openFrontier({ perHost: 2, delayMs: 0 });
 * frontier.add({ url: "https://shop.example/", depth: 0, parent: null });
 * await job.close();
 * ```
 */
export class RedisJob implements CrawlStore {
  /** Always true: unfinished leases go back to the job. */
  readonly durable = true;
  /** The job's name. */
  readonly name: string;
  /** The Redis URL, password redacted. */
  readonly url: string;
  /** The job's shared robots.txt results. */
  readonly robots: RobotsStore;
  #command: RedisConnection;
  #subscriber: RedisConnection;
  #scripts: JobScripts;
  #leaseMs: number;
  #onNote: ((note: string) => void) | undefined;
  #frontier: RedisFrontier | undefined;
  #settings: JobSettings | undefined;

  /**
   * Wraps a connected job; {@linkcode connectJob} builds it.
   *
   * @param name The job's name.
   * @param command The command connection.
   * @param subscriber A connection subscribed to the job's channel.
   * @param scripts The job's scripts on the command connection.
   * @param options The lease length and the note hook.
   */
  constructor(
    name: string,
    command: RedisConnection,
    subscriber: RedisConnection,
    scripts: JobScripts,
    options: { leaseMs: number; onNote?: (note: string) => void },
  ) {
    this.name = name;
    this.url = command.url;
    this.robots = redisRobotsStore(command.client, scripts.prefix);
    this.#command = command;
    this.#subscriber = subscriber;
    this.#scripts = scripts;
    this.#leaseMs = options.leaseMs;
    this.#onNote = options.onNote;
  }

  /**
   * Each process writes WARC files of its own (named after its host and
   * pid); their paths are listed in the job (`host:path`) for `export`.
   */
  get archive(): ArchiveLedger {
    const client = this.#command.client;
    const key = `${this.#scripts.prefix}warc`;
    return {
      perProcess: true,
      mark: undefined,
      follow: () => {},
      noteFile: async (path) => {
        await client.rpush(key, `${hostname()}:${resolve(path)}`);
      },
    };
  }

  /** The job's frontier in this process, once {@linkcode RedisJob.openFrontier} opened it. */
  get frontier(): RedisFrontier {
    if (!this.#frontier) throw new Error(`Cannot use job ${this.name} as its frontier is not open`);
    return this.#frontier;
  }

  /** The job's settings (those of the process that started it), once the frontier is open. */
  get settings(): JobSettings {
    if (!this.#settings) throw new Error(`Cannot use job ${this.name} as its frontier is not open`);
    return this.#settings;
  }

  /**
   * Opens the job's frontier. The first process of a job sets the job's
   * limits; a later one keeps them and is told (`onNote`) where its own differ.
   *
   * @param limits This process's limits and politeness.
   * @returns The job's frontier.
   * @throws {RedisUnreachableError} Or another Redis failure, explained.
   */
  async openFrontier(limits: FrontierLimits): Promise<CrawlFrontier> {
    if (this.#frontier) throw new Error(`Cannot open job ${this.name}'s frontier twice`);
    // Redis keeps "unlimited" as 0.
    const mine: JobSettings = {
      perHost: limits.perHost,
      delayMs: limits.delayMs,
      maxPages: limits.maxPages ?? 0,
      maxPagesPerHost: limits.maxPagesPerHost ?? 0,
      leaseMs: this.#leaseMs,
    };
    let settings: JobSettings;
    try {
      settings = await this.#scripts.init(mine);
    } catch (error) {
      throw this.#command.explain(error);
    }
    for (const key of Object.keys(mine) as (keyof JobSettings)[]) {
      if (mine[key] !== settings[key]) {
        this.#onNote?.(
          `job ${this.name} keeps ${key}=${settings[key]} (this process asked ${mine[key]})`,
        );
      }
    }
    this.#settings = settings;
    this.#frontier = new RedisFrontier({
      scripts: this.#scripts,
      settings,
      client: this.#command.client,
      subscriber: this.#subscriber.client,
      explain: this.#command.explain,
      maxPagesPerRun: limits.maxPagesPerRun,
    });
    return this.#frontier;
  }

  /**
   * Appends the record to the job and ends the entry's lease in one step,
   * then hands the record to `deliver`, exactly once. When the lease had
   * expired and another process took the URL over, nothing is appended or
   * delivered here (that process does both).
   *
   * @param entry The finished entry (from `next()`).
   * @param record Its record, or `undefined` for a skip.
   * @param deliver This process's output.
   */
  async finish(
    entry: FrontierEntry,
    record: CrawlRecord | undefined,
    deliver: Deliver,
  ): Promise<void> {
    const kept = await this.frontier.finish(entry, record);
    if (kept && record) await deliver(record);
  }

  /**
   * Waits until every release, retry and hold sent in the background is
   * answered by Redis.
   *
   * @returns A promise that resolves when they are.
   * @throws The first Redis failure, if any.
   */
  flush(): Promise<void> {
    return this.#frontier?.settled() ?? Promise.resolve();
  }

  /**
   * This process's share of the job, for the summary line.
   *
   * @returns `{ redis: { job, leased, finished, lost } }`.
   */
  describe(): Record<string, unknown> {
    return { redis: { job: this.name, ...this.#frontier?.stats } };
  }

  /**
   * Reads the job's totals.
   *
   * @returns The totals.
   */
  totals(): Promise<JobTotals> {
    return readTotals(this.#command.client, this.#scripts.prefix);
  }

  /**
   * Gives back unfinished leases and closes the connections.
   *
   * @returns A promise that resolves once closed.
   */
  async close(): Promise<void> {
    await this.#frontier?.dispose();
    await Promise.all([quit(this.#subscriber.client), quit(this.#command.client)]);
  }
}

/**
 * Joins (or starts) a job: opens a command connection and a subscriber and
 * loads the scripts. The job's limits are settled when its frontier opens.
 *
 * @param url `redis://[:password@]host[:port][/db]` or `rediss://...`.
 * @param name The job's name (letters, digits, `.`, `_`, `-`).
 * @param options Lease length, time limits, TLS and the note hook.
 * @returns The job.
 * @throws {TypeError} If the URL or the name is malformed.
 * @throws {RangeError} If `leaseMs` is not a positive integer.
 * @throws {RedisUnreachableError} If Redis cannot be reached: print its message, exit 1.
 * @throws {Error} If the server is older than Redis 6.2.
 *
 * @example Usage
 * Not run as a test: it needs a Redis server.
 *
 * ```ts ignore
 * import { connectJob } from "./job.ts";
 * const job = await connectJob("redis://127.0.0.1:6379/0", "shop-2026", { leaseMs: 30_000 });
 * await job.close();
 * ```
 */
export async function connectJob(
  url: string,
  name: string,
  options: ConnectJobOptions = {},
): Promise<RedisJob> {
  jobPrefix(name);
  const leaseMs = checkInteger("connect job", "leaseMs", options.leaseMs ?? DEFAULT_LEASE_MS);
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
    // The scripts use commands of Redis 6.2 (LMOVE, SMISMEMBER, ZMSCORE, LPOP with a count).
    const version = /^redis_version:(\d+)\.(\d+)/m.exec(await command.client.info("server"));
    if (version && Number(version[1]) * 100 + Number(version[2]) < 602) {
      throw new Error(
        `Cannot join job ${name} as shared crawls need Redis 6.2 or later: received ${version[1]}.${
          version[2]
        }`,
      );
    }
    const scripts = new JobScripts(command.client, name, consumer);
    await subscriber.client.subscribe(`${scripts.prefix}ev`);
    return new RedisJob(name, command, subscriber, scripts, { leaseMs, onNote: options.onNote });
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
 * The WARC files a job's processes wrote, as `host:path`, in the order they
 * were started.
 *
 * @param url The Redis URL.
 * @param name The job's name.
 * @param options Time limits and TLS.
 * @returns The files.
 * @throws {RedisUnreachableError} If Redis cannot be reached.
 *
 * @example Usage
 * Not run as a test: it needs a Redis server.
 *
 * ```ts ignore
 * import { jobWarcFiles } from "./job.ts";
 * const files = await jobWarcFiles("redis://127.0.0.1:6379/0", "shop-2026");
 * ```
 */
export async function jobWarcFiles(
  url: string,
  name: string,
  options: OpenRedisOptions = {},
): Promise<string[]> {
  const { client, explain } = await openRedis(url, options);
  try {
    return await client.lrange(`${jobPrefix(name)}warc`, 0, -1);
  } catch (error) {
    throw explain(error);
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
 * @param then Given the job's records (re-readable), once they are written: for
 * outputs built from them (the link table).
 * @returns How many records were written.
 * @throws {RedisUnreachableError} If Redis cannot be reached.
 *
 * @example Usage
 * Not run as a test: it needs a Redis server.
 *
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
  then?: (records: () => AsyncIterable<CrawlRecord>) => Promise<unknown>,
): Promise<number> {
  const key = `${jobPrefix(name)}results`;
  const { client, explain } = await openRedis(url, options);
  // The job's results, read in batches; each call reads them again (for outputs read in passes).
  async function* records(): AsyncIterable<CrawlRecord> {
    const total = await client.llen(key);
    for (let start = 0; start < total; start += 1000) {
      const batch = await client.lrange(key, start, Math.min(start + 999, total - 1));
      for (const line of batch) yield JSON.parse(line);
    }
  }
  try {
    const sink = await openSink(format, out);
    let total = 0;
    try {
      for await (const record of records()) {
        await sink.write(record);
        total++;
      }
      await sink.close();
    } catch (error) {
      await sink.close().catch(() => {});
      throw explain(error);
    }
    await then?.(records);
    return total;
  } finally {
    await quit(client);
  }
}
