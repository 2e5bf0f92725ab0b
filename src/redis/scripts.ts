/**
 * Typed calls to the Lua scripts of a shared crawl job (see
 * `lua.ts` for the keys and what each script does).
 *
 * @module
 */

import type { Redis } from "ioredis";
import * as lua from "./lua.ts";
import { SYNC } from "./sync_lua.ts";
import { fingerprintKey, OLD_SEEN } from "./seen.ts";
import { jobPrefix, type JobSettings } from "./job_settings.ts";

/** One URL to add. */
export interface AddItem {
  /** The normalized URL (its fingerprint is what the seen set keeps). */
  url: string;
  /** Its host key. */
  host: string;
  /** The entry as stored in the queue (JSON). */
  entry: string;
}

/** One lease to finish (see {@linkcode JobScripts.sync}). */
export interface FinishItem {
  /** The lease. */
  token: string;
  /** The record's JSON text, or `""` for none (a skip). */
  record: string;
  /** Whether it is a successful page. */
  ok: boolean;
  /** Its error code, or `""`. */
  error: string;
  /** Its body bytes. */
  bytes: number;
}

/** What {@linkcode JobScripts.sync} sends. */
export interface SyncRequest {
  /** Leases whose request is over: their host slots are freed (idempotent). */
  releases: string[];
  /** Leases to end, each with its record. */
  finishes: FinishItem[];
  /** URLs to add unless seen. */
  adds: AddItem[];
  /** Most entries to lease, after the rest is done (0: none). */
  lease: number;
}

/** What {@linkcode JobScripts.sync} got. */
export interface SyncResult {
  /** Per finish: `true` if appended (now or by an earlier send), `false` if the lease was lost. */
  finished: boolean[];
  /** Per URL: 0 seen, 1 added, 2 over its host's limit, 3 closed. */
  outcomes: number[];
  /** The leases taken and the job's state. */
  lease: LeaseResult;
}

/** What a lease call got. */
export interface LeaseResult {
  /** Whether the job reached `maxPages`: nothing more is handed out. */
  closed: boolean;
  /** Unfinished URLs and holds in the whole job. */
  pending: number;
  /** URLs queued in the whole job (retries in backoff included). */
  queued: number;
  /** Redis' clock, in ms since the epoch. */
  now: number;
  /** The next moment time alone may make work available (Redis clock), if any. */
  wakeAt: number | undefined;
  /** The leases taken: a token and the entry's JSON. */
  leases: { token: string; entry: string }[];
}

const NAMES = {
  crawlInit: lua.INIT,
  crawlMark: lua.MARK,
  crawlRequeue: lua.REQUEUE,
  crawlSync: SYNC,
  crawlHold: lua.HOLD,
  crawlUnhold: lua.UNHOLD,
  crawlExtend: lua.EXTEND,
  crawlPoliteness: lua.POLITENESS,
  crawlHop: lua.HOP,
  crawlHopEnd: lua.HOPEND,
} as const;

type Call = (...args: (string | number)[]) => Promise<unknown>;

/**
 * The scripts of one job, bound to one client.
 *
 * @example Usage
 * Not run as a test: it needs a Redis server.
 *
 * ```ts ignore
 * const scripts = new JobScripts(client, "shop-2026", "worker-1");
 * const { lease } = await scripts.sync({ releases: [], finishes: [], adds: [], lease: 4 });
 * ```
 */
export class JobScripts {
  /** The job's key prefix. */
  readonly prefix: string;
  /** This process's name in the job (for its finish markers). */
  readonly consumer: string;
  #client: Redis;
  #name: string;
  #calls: Record<keyof typeof NAMES, Call>;
  #acked: string[] = [];
  #settings: JobSettings | undefined;

  /**
   * Registers the scripts on the client.
   *
   * @param client An ioredis client.
   * @param job The job's name.
   * @param consumer A name unique to this process.
   * @throws {TypeError} If the job name is invalid.
   */
  constructor(client: Redis, job: string, consumer: string) {
    this.prefix = jobPrefix(job);
    this.consumer = consumer;
    this.#client = client;
    this.#name = job;
    const calls = {} as Record<keyof typeof NAMES, Call>;
    for (const [name, source] of Object.entries(NAMES)) {
      if (!(name in client)) client.defineCommand(name, { numberOfKeys: 1, lua: source });
      const fn = (client as unknown as Record<string, Call>)[name]!.bind(client);
      calls[name as keyof typeof NAMES] = (...args) => fn(`${this.prefix}meta`, ...args);
    }
    this.#calls = calls;
  }

  /**
   * Stores this process's settings as the job's unless it has some.
   *
   * @param settings This process's settings.
   * @returns The job's settings.
   * @throws {Error} If the job's seen set was written by an earlier version (its fingerprints differ).
   */
  async init(settings: JobSettings): Promise<JobSettings> {
    const values = await this.#calls.crawlInit(
      settings.perHost,
      settings.delayMs,
      settings.maxPages,
      settings.maxPagesPerHost,
      settings.leaseMs,
    ).catch(this.#seenFormat) as string[];
    const [perHost, delayMs, maxPages, maxPagesPerHost, leaseMs] = values.map(Number);
    this.#settings = {
      perHost: perHost!,
      delayMs: delayMs!,
      maxPages: maxPages!,
      maxPagesPerHost: maxPagesPerHost!,
      leaseMs: leaseMs!,
    };
    return this.#settings;
  }

  /** A script's refusal of an older seen set, in words; any other error as it is. */
  #seenFormat = (error: unknown): never => {
    if (error instanceof Error && error.message.startsWith(OLD_SEEN)) {
      throw new Error(
        `Cannot continue job '${this.#name}' as its seen set was written by an earlier version of ` +
          "the crawler, whose URL fingerprints this one does not read: finish the job with that " +
          "version, or start a new --job",
      );
    }
    throw error;
  };

  /**
   * The job's settings, as `init()` read them. Every script that applies a
   * setting is given it by the caller, so the job keeps its own settings even
   * if Redis lost its data meanwhile.
   */
  get #job(): JobSettings {
    if (!this.#settings) throw new Error("Cannot call a job script before init()");
    return this.#settings;
  }

  /**
   * Takes a host's slot for a redirect hop, if free and ready now.
   *
   * @param host The host key.
   * @returns The slot's token (`undefined` when not taken), Redis' clock,
   * and when the host may be ready (`undefined`: only a release frees it).
   */
  async hop(host: string): Promise<{ token?: string; now: number; readyAt?: number }> {
    const { perHost, delayMs, leaseMs } = this.#job;
    const [token, now, readyAt] = await this.#calls.crawlHop(host, perHost, delayMs, leaseMs) as [
      string,
      number,
      number,
    ];
    return {
      token: token === "" ? undefined : String(token),
      now: Number(now),
      readyAt: Number(readyAt) < 0 ? undefined : Number(readyAt),
    };
  }

  /**
   * Gives a redirect hop's host slot back.
   *
   * @param token The slot's token.
   * @returns A promise that resolves once Redis has it.
   */
  async hopEnd(token: string): Promise<void> {
    await this.#calls.crawlHopEnd(token);
  }

  /**
   * Marks a URL seen.
   *
   * @param url The URL.
   * @returns `false` if it already was.
   */
  async mark(url: string): Promise<boolean> {
    return (await this.#calls.crawlMark(fingerprintKey(url))) === 1;
  }

  /**
   * Ends a lease by queuing its entry again.
   *
   * @param token The lease.
   * @param delayMs Backoff before it may be leased again.
   * @param entry The entry's JSON (e.g. with `attempts` counted up).
   * @param front Queue it first (an unfetched entry given back) rather than last (a retry).
   * @returns `false` if the lease was lost already.
   */
  async requeue(token: string, delayMs: number, entry: string, front: boolean): Promise<boolean> {
    return (await this.#calls.crawlRequeue(token, Math.max(0, delayMs), entry, front ? 1 : 0)) ===
      1;
  }

  /**
   * Sends one process's pending work in one call: frees host slots, finishes
   * leases (each appends its record, if any, and ends its lease,
   * atomically), adds URLs unless seen, then leases up to `lease` entries
   * (reclaiming expired leases first).
   *
   * @param request What to send.
   * @returns Per finish whether it was appended (by this call or an earlier
   * send of it; `false`: the lease was lost), per URL its outcome (0 seen,
   * 1 added, 2 over its host's limit, 3 closed), and the leases with the
   * job's state.
   */
  async sync(request: SyncRequest): Promise<SyncResult> {
    const { perHost, delayMs, maxPagesPerHost, leaseMs, maxPages } = this.#job;
    const { releases, finishes, adds, lease } = request;
    const acked = this.#acked.splice(0, 1024);
    const args: (string | number)[] = [
      this.consumer,
      perHost,
      delayMs,
      maxPagesPerHost,
      leaseMs,
      maxPages,
      lease,
      acked.length,
      ...acked,
      releases.length,
      ...releases,
      finishes.length,
    ];
    for (const f of finishes) args.push(f.token, f.record, f.ok ? 1 : 0, f.error, f.bytes);
    args.push(adds.length);
    for (const item of adds) args.push(fingerprintKey(item.url), item.host, item.entry);
    const reply = await this.#calls.crawlSync(...args) as (number | string)[];
    const [closed, pending, queued, now, wakeAt] = reply.slice(0, 5).map(Number);
    let at = 5;
    const nf = Number(reply[at++]);
    const finished = reply.slice(at, at + nf).map((r) => Number(r) !== 0);
    at += nf;
    const na = Number(reply[at++]);
    const outcomes = reply.slice(at, at + na).map(Number);
    at += na;
    finishes.forEach((f, i) => {
      if (finished[i]) this.#acked.push(f.token);
    });
    const leases = [];
    for (let i = at; i < reply.length; i += 2) {
      leases.push({ token: String(reply[i]), entry: String(reply[i + 1]) });
    }
    return {
      finished,
      outcomes,
      lease: {
        closed: closed === 1,
        pending: pending!,
        queued: queued!,
        now: now!,
        wakeAt: wakeAt! < 0 ? undefined : wakeAt,
        leases,
      },
    };
  }

  /**
   * Takes a hold that keeps the job open.
   *
   * @returns Its token.
   */
  async hold(): Promise<string> {
    return String(await this.#calls.crawlHold(this.#job.leaseMs));
  }

  /**
   * Ends a hold.
   *
   * @param token The hold.
   */
  async unhold(token: string): Promise<void> {
    await this.#calls.crawlUnhold(token);
  }

  /**
   * Extends leases and holds.
   *
   * @param tokens Their tokens.
   * @returns The tokens that were no longer leased.
   */
  async extend(tokens: string[]): Promise<string[]> {
    if (tokens.length === 0) return [];
    return await this.#calls.crawlExtend(this.#job.leaseMs, ...tokens) as string[];
  }

  /**
   * Pauses a host for everyone, or sets its start interval.
   *
   * @param host The host key.
   * @param kind `pause` or `delay`.
   * @param ms The pause's length or the interval.
   */
  async politeness(host: string, kind: "pause" | "delay", ms: number): Promise<void> {
    await this.#calls.crawlPoliteness(host, kind === "pause" ? "p" : "d", Math.max(0, ms));
  }

  /** Drops this process's finish markers (at exit). */
  async forget(): Promise<void> {
    this.#acked = [];
    await this.#client.del(`${this.prefix}fin:${this.consumer}`);
  }
}
