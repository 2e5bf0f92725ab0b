/**
 * Helpers for the SQLite store tests (`store_test.ts`,
 * `schema_test.ts`, `output_test.ts`): a temp dir, a store
 * opened in it, URLs admitted the way the frontier does, and records.
 *
 * @module
 */

import type { FrontierEntry } from "../../src/frontier/types.ts";
import { hostKey } from "../../src/frontier/host_slot.ts";
import type { CrawlRecord } from "../../src/output/record.ts";
import { SqliteStore, type SqliteStoreOptions } from "../../src/sqlite/store.ts";

/** The identity options of the stores the tests open. */
export const IDENTITY = { seeds: ["http://a.test/"], scope: "host", include: [] };

/** A temp dir holding `crawl.db`, removed at the end. */
export async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sqlite_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Opens (or creates) `dir`/crawl.db with {@linkcode IDENTITY} and `options`. */
export function open(dir: string, options: Partial<SqliteStoreOptions> = {}): SqliteStore {
  return SqliteStore.open(`${dir}/crawl.db`, { identity: IDENTITY, ...options });
}

/** Admits a URL the way LocalFrontier.add() does: mark seen, then push. */
export function admit(
  store: SqliteStore,
  url: string,
  depth = 0,
  parent: string | null = null,
  extra?: Record<string, string>,
): void {
  store.seen.add(url);
  const entry: FrontierEntry = { url, depth, parent, attempts: 0, host: hostKey(url) };
  if (extra) entry.extra = extra;
  store.push(entry);
}

/** A 200 record of `url`; `fields` override. */
export function record(url: string, fields: Record<string, unknown> = {}): CrawlRecord {
  return {
    url,
    requestedUrl: url,
    status: 200,
    depth: 0,
    parent: null,
    fetchedAt: "2024-01-01T00:00:00.000Z",
    contentType: "text/html",
    bytes: 10,
    durationMs: 1,
    attempts: 1,
    title: `title of ${url}`,
    description: null,
    canonical: null,
    h1: [],
    links: [],
    ...fields,
  } as CrawlRecord;
}
