/**
 * The job's robots.txt cache in Redis: one fetch per origin for every
 * process of a job (a hash of origin → result; the first writer wins).
 *
 * @module
 */

import type { Redis } from "ioredis";
import { Buffer } from "node:buffer";
import type { RobotsStore, StoredRobots } from "../robots/cache.ts";

/**
 * A {@linkcode RobotsStore} over one Redis hash.
 *
 * @param client The job's command connection.
 * @param prefix The job's key prefix (`crawl:{JOB}:`).
 * @returns The store.
 *
 * @example Usage
 * Not run as a test: it needs a Redis server.
 *
 * ```ts ignore
 * const robots = new RobotsCache({ userAgent, timeoutMs, shared: redisRobotsStore(client, prefix) });
 * ```
 */
export function redisRobotsStore(client: Redis, prefix: string): RobotsStore {
  const key = `${prefix}robots`;
  return {
    async get(origin: string): Promise<StoredRobots | undefined> {
      const raw = await client.hget(key, origin);
      if (raw === null) return undefined;
      const value = JSON.parse(raw) as Omit<StoredRobots, "body"> & { body?: string };
      return {
        ...value,
        body: value.body === undefined
          ? undefined
          : new Uint8Array(Buffer.from(value.body, "base64")),
      };
    },
    async set(origin: string, value: StoredRobots): Promise<void> {
      const body = value.body === undefined
        ? undefined
        : Buffer.from(value.body).toString("base64");
      await client.hsetnx(key, origin, JSON.stringify({ ...value, body }));
    },
  };
}
