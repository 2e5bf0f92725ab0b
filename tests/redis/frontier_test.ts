import assert from "node:assert/strict";
import { type Command, Redis } from "ioredis";
import type { FrontierEntry } from "../../src/frontier/types.ts";
import type { CrawlRecord } from "../../src/output/record.ts";
import { openRedis, RedisLostError, RedisUnreachableError } from "../../src/redis/connect.ts";
import { connectJob, exportJob, jobTotals, type RedisJob } from "../../src/redis/job.ts";
import { openSink } from "../../src/output/sink.ts";
import { redactRedisUrl } from "../../src/redis/url.ts";
import { RedisFrontier } from "../../src/redis/frontier.ts";
import { JobScripts } from "../../src/redis/scripts.ts";
import type { JobSettings } from "../../src/redis/job_settings.ts";
import { fingerprintKey } from "../../src/redis/seen.ts";
import { freePort, redisTest, startRedis } from "../support/redis_server.ts";

const SETTINGS: JobSettings = {
  perHost: 2,
  delayMs: 0,
  maxPages: 0,
  maxPagesPerHost: 0,
  leaseMs: 30_000,
};

/** Joins a job and opens its frontier with `settings` (the first process sets the job's). */
async function join(
  url: string,
  name: string,
  settings: Partial<JobSettings> = {},
): Promise<RedisJob> {
  const s = { ...SETTINGS, ...settings };
  const job = await connectJob(url, name, { leaseMs: s.leaseMs });
  await job.openFrontier({
    perHost: s.perHost,
    delayMs: s.delayMs,
    maxPages: s.maxPages || undefined,
    maxPagesPerHost: s.maxPagesPerHost || undefined,
  });
  return job;
}

function record(entry: FrontierEntry): CrawlRecord {
  return {
    url: entry.url,
    requestedUrl: entry.url,
    status: 200,
    depth: entry.depth,
    parent: entry.parent,
    fetchedAt: new Date(0).toISOString(),
    contentType: "text/html",
    bytes: 10,
    durationMs: 1,
    attempts: entry.attempts + 1,
    title: null,
    description: null,
    canonical: null,
    h1: [],
    links: [],
  };
}

/** Fails a wait that pub/sub (or a lease timer) should have ended long before. */
function guard<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A process that stopped extending its leases (frozen, or cut off from Redis). */
class FrozenScripts extends JobScripts {
  override extend(): Promise<string[]> {
    return Promise.resolve([]);
  }
}

async function openFrozen(url: string, name: string, settings: JobSettings) {
  const command = await openRedis(url);
  const subscriber = await openRedis(url);
  const scripts = new FrozenScripts(command.client, name, "frozen");
  await subscriber.client.subscribe(`${scripts.prefix}ev`);
  const frontier = new RedisFrontier({
    scripts,
    settings: await scripts.init(settings),
    client: command.client,
    subscriber: subscriber.client,
  });
  return {
    frontier,
    async close() {
      frontier.close();
      await frontier.settled();
      await frontier.dispose();
      command.client.disconnect();
      subscriber.client.disconnect();
    },
  };
}

redisTest(
  "redis frontier: add dedupes, a lease is finished once into the job's results",
  async () => {
    await using redis = await startRedis();
    const job = await join(redis.url, "basic");
    try {
      const { frontier } = job;
      assert.equal(await frontier.add({ url: "http://a.test/", depth: 0, parent: null }), "added");
      assert.equal(await frontier.add({ url: "http://a.test/", depth: 1, parent: null }), "seen");
      assert.ok(frontier.has("http://a.test/"));
      const entry = await frontier.next();
      assert.equal(entry?.url, "http://a.test/");
      assert.equal(entry?.host, "a.test");
      frontier.release(entry!);
      const delivered: string[] = [];
      await job.finish(entry!, record(entry!), (r) => (delivered.push(r.url), Promise.resolve()));
      assert.deepEqual(delivered, ["http://a.test/"]);
      assert.equal(await frontier.next(), undefined);
      const totals = await job.totals();
      assert.equal(totals.records, 1);
      assert.equal(totals.pagesOk, 1);
      assert.equal(totals.pending, 0);
    } finally {
      await job.close();
    }
    const out = `${redis.dir}/all.jsonl`;
    assert.equal(await exportJob(redis.url, "basic", out, "jsonl"), 1);
    assert.equal(JSON.parse(await Deno.readTextFile(out)).url, "http://a.test/");
  },
);

redisTest(
  "redis frontier: a finished record goes to the job and the output from one JSON.stringify",
  async () => {
    await using redis = await startRedis();
    const job = await join(redis.url, "once");
    const out = `${redis.dir}/out.jsonl`;
    const sink = await openSink("jsonl", out);
    let made = 0;
    try {
      await job.frontier.add({ url: "http://a.test/", depth: 0, parent: null });
      const entry = await job.frontier.next();
      const fields = { ...record(entry!), title: "Ünïcode ✓" };
      const counted = { ...fields, toJSON: () => (made++, fields) } as unknown as CrawlRecord;
      await job.finish(entry!, counted, (r) => sink.write(r));
    } finally {
      await sink.close();
      await job.close();
    }
    assert.equal(made, 1);
    const line = await Deno.readTextFile(out);
    assert.equal(JSON.parse(line).title, "Ünïcode ✓");
    const exported = `${redis.dir}/all.jsonl`;
    assert.equal(await exportJob(redis.url, "once", exported, "jsonl"), 1);
    assert.equal(await Deno.readTextFile(exported), line, "the job holds the same line");
  },
);

redisTest(
  "redis frontier: adds, leases and a finish with its record go to Redis as text, no binary argument",
  async () => {
    await using redis = await startRedis();
    // Every command ioredis sends: one binary argument sends the whole command down Deno's slower
    // buffer path. A spy on the real client, with a real Redis answering.
    const sent: unknown[][] = [];
    const send = Redis.prototype.sendCommand;
    Redis.prototype.sendCommand = function (this: Redis, command: Command, stream?: unknown) {
      sent.push(command.args);
      return send.call(this, command, stream as Parameters<typeof send>[1]);
    };
    try {
      const job = await join(redis.url, "text");
      try {
        await job.frontier.add({ url: "http://a.test/", depth: 0, parent: null });
        const entry = (await job.frontier.next())!;
        await job.frontier.add({ url: "http://a.test/ü", depth: 1, parent: entry.url });
        assert.equal(await job.frontier.markSeen("http://b.test/"), true);
        const fields = { ...record(entry), title: "Ünïcode ✓" };
        await job.finish(entry, fields as CrawlRecord, () => Promise.resolve());
      } finally {
        await job.close();
      }
    } finally {
      Redis.prototype.sendCommand = send;
    }
    const args = sent.flat();
    assert.deepEqual(args.filter((a) => typeof a !== "string" && typeof a !== "number"), []);
    assert.ok(args.some((a) => typeof a === "string" && a.includes('"title":"Ünïcode ✓"')));
  },
);

redisTest(
  "redis frontier: an expired lease is taken over; the late finish appends nothing",
  async () => {
    await using redis = await startRedis();
    const settings = { ...SETTINGS, leaseMs: 300 };
    const frozen = await openFrozen(redis.url, "expiry", settings);
    const other = await join(redis.url, "expiry", settings);
    try {
      await frozen.frontier.add({ url: "http://a.test/x", depth: 0, parent: null });
      const mine = (await frozen.frontier.next())!;
      const started = performance.now();
      // Woken by its timer at the lease's expiry, not by polling.
      const theirs = (await guard(other.frontier.next(), 5000, "re-lease"))!;
      assert.equal(theirs.url, "http://a.test/x");
      assert.ok(performance.now() - started >= 250, "re-leased only after the lease expired");
      other.frontier.release(theirs);
      const delivered: string[] = [];
      const deliver = (r: CrawlRecord) => (delivered.push(r.url), Promise.resolve());
      frozen.frontier.release(mine);
      await frozen.frontier.settled();
      assert.equal(await frozen.frontier.finish(mine, record(mine)), false);
      await other.finish(theirs, record(theirs), deliver);
      assert.deepEqual(delivered, ["http://a.test/x"]);
      const totals = await other.totals();
      assert.equal(totals.records, 1);
      assert.equal(totals.reclaimed, 1);
      assert.equal(totals.lost, 1);
      assert.equal(totals.pending, 0);
      assert.deepEqual(frozen.frontier.stats, { leased: 1, finished: 0, lost: 1 });
    } finally {
      await frozen.close();
      await other.close();
    }
  },
);

/** Two "processes" with three fetch workers each, holding each request open `holdMs`. */
async function crawlTogether(jobs: RedisJob[], holdMs: number) {
  let inFlight = 0, maxInFlight = 0;
  const starts: number[] = [];
  const fetched: string[] = [];
  const worker = async (job: RedisJob) => {
    for (;;) {
      const entry = await job.frontier.next();
      if (!entry) return;
      starts.push(performance.now());
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, holdMs)); // the request's duration
      inFlight--;
      job.frontier.release(entry);
      fetched.push(entry.url);
      await job.finish(entry, record(entry), () => Promise.resolve());
    }
  };
  await Promise.all(jobs.flatMap((job) => [worker(job), worker(job), worker(job)]));
  return { maxInFlight, starts, fetched };
}

redisTest("redis frontier: per-host concurrency holds across instances", async () => {
  await using redis = await startRedis();
  const a = await join(redis.url, "per-host", { perHost: 2 });
  const b = await join(redis.url, "per-host", { perHost: 2 });
  try {
    for (let i = 0; i < 12; i++) {
      await a.frontier.add({ url: `http://h.test/${i}`, depth: 0, parent: null });
    }
    const { maxInFlight, fetched } = await crawlTogether([a, b], 20);
    assert.equal(maxInFlight, 2);
    assert.equal(fetched.length, 12);
    assert.equal(new Set(fetched).size, 12);
  } finally {
    await a.close();
    await b.close();
  }
});

redisTest("redis frontier: per-host start spacing holds across instances", async () => {
  await using redis = await startRedis();
  const a = await join(redis.url, "delay", { perHost: 4, delayMs: 60 });
  const b = await join(redis.url, "delay", { perHost: 4, delayMs: 60 });
  try {
    for (let i = 0; i < 5; i++) {
      await a.frontier.add({ url: `http://h.test/${i}`, depth: 0, parent: null });
    }
    const { starts } = await crawlTogether([a, b], 1);
    starts.sort((x, y) => x - y);
    for (let i = 1; i < starts.length; i++) {
      // Leases are 60 ms apart on Redis' clock; the replies' latency may differ by a little.
      assert.ok(starts[i]! - starts[i - 1]! >= 50, `starts ${i - 1} and ${i} too close`);
    }
  } finally {
    await a.close();
    await b.close();
  }
});

redisTest("redis frontier: every instance learns the end of the job", async () => {
  await using redis = await startRedis();
  const a = await join(redis.url, "end", { leaseMs: 60_000 });
  const b = await join(redis.url, "end", { leaseMs: 60_000 });
  try {
    await a.frontier.add({ url: "http://a.test/", depth: 0, parent: null });
    const entry = (await a.frontier.next())!;
    const waitingA = a.frontier.next();
    let ended = false;
    const waitingB = b.frontier.next().then((e) => (ended = true, e));
    // Let B's lease call be answered (one URL pending) before A finishes it.
    await null;
    await b.totals();
    assert.equal((await b.totals()).pending, 1);
    assert.equal(ended, false);
    a.frontier.release(entry);
    await a.finish(entry, record(entry), () => Promise.resolve());
    // The safety re-check would take 30 s: pub/sub's "end" must wake both.
    assert.equal(await guard(waitingA, 10_000, "a"), undefined);
    assert.equal(await guard(waitingB, 10_000, "b"), undefined);
  } finally {
    await a.close();
    await b.close();
  }
});

redisTest("redis frontier: a hold keeps the job open for every instance", async () => {
  await using redis = await startRedis();
  const a = await join(redis.url, "hold", { leaseMs: 60_000 });
  const b = await join(redis.url, "hold", { leaseMs: 60_000 });
  try {
    const hold = a.frontier.hold();
    await a.frontier.settled();
    let ended = false;
    const after = b.frontier.next().then((entry) => (ended = true, entry));
    // B's lease call goes out in a microtask; two round trips on its connection later, its
    // answer (nothing to lease, one hold pending) has been handled.
    await null;
    await b.totals();
    assert.equal((await b.totals()).pending, 1);
    assert.equal(ended, false);
    hold[Symbol.dispose]();
    assert.equal(await guard(after, 10_000, "end"), undefined);
  } finally {
    await a.close();
    await b.close();
  }
});

redisTest("redis frontier: a retry waits its backoff and goes to any instance", async () => {
  await using redis = await startRedis();
  const a = await join(redis.url, "retry");
  const b = await join(redis.url, "retry");
  try {
    await a.frontier.add({ url: "http://a.test/", depth: 0, parent: null });
    const entry = (await a.frontier.next())!;
    a.frontier.release(entry);
    const started = performance.now();
    assert.equal(a.frontier.retry({ ...entry, attempts: 1 }, 150), true);
    a.frontier.close();
    const again = (await guard(b.frontier.next(), 10_000, "retry"))!;
    assert.ok(performance.now() - started >= 140);
    assert.equal(again.attempts, 1);
    b.frontier.release(again);
    await b.finish(again, record(again), () => Promise.resolve());
    assert.equal((await b.totals()).retries, 1);
  } finally {
    await a.close();
    await b.close();
  }
});

redisTest("redis frontier: maxPages counts first fetches job-wide", async () => {
  await using redis = await startRedis();
  const a = await join(redis.url, "max", { maxPages: 3, perHost: 10 });
  const b = await join(redis.url, "max", { maxPages: 3, perHost: 10 });
  try {
    for (let i = 0; i < 10; i++) {
      await a.frontier.add({ url: `http://h.test/${i}`, depth: 0, parent: null });
    }
    const { fetched } = await crawlTogether([a, b], 1);
    assert.equal(fetched.length, 3);
    assert.ok(a.frontier.limitReached || b.frontier.limitReached);
    assert.equal((await a.totals()).records, 3);
  } finally {
    await a.close();
    await b.close();
  }
});

redisTest(
  "redis frontier: a lease reclaimed from a stopped process counts once against maxPages",
  async () => {
    await using redis = await startRedis();
    // One request per host: the stopped process holds the slot until its lease expires.
    const settings = { ...SETTINGS, maxPages: 2, perHost: 1, leaseMs: 300 };
    const frozen = await openFrozen(redis.url, "max-reclaim", settings);
    const other = await join(redis.url, "max-reclaim", settings);
    try {
      for (let i = 0; i < 3; i++) {
        await frozen.frontier.add({ url: `http://h.test/${i}`, depth: 0, parent: null });
      }
      const lost = (await frozen.frontier.next())!; // counted once here, then never finished
      const taken: string[] = [];
      for (;;) {
        const entry = await guard(other.frontier.next(), 5000, "lease");
        if (!entry) break;
        taken.push(entry.url);
        other.frontier.release(entry);
        await other.finish(entry, record(entry), () => Promise.resolve());
      }
      // The reclaimed URL and one more: two first fetches in all, not one.
      assert.deepEqual(taken, [lost.url, "http://h.test/1"]);
      assert.equal(other.frontier.limitReached, "max_pages");
    } finally {
      await frozen.close();
      await other.close();
    }
  },
);

redisTest(
  "redis frontier: a redirect hop waits for its host's slot job-wide, woken by the release",
  async () => {
    await using redis = await startRedis();
    const a = await join(redis.url, "hop", { perHost: 1, leaseMs: 60_000 });
    const b = await join(redis.url, "hop", { perHost: 1, leaseMs: 60_000 });
    try {
      await a.frontier.add({ url: "http://h.test/1", depth: 0, parent: null });
      const entry = (await a.frontier.next())!; // a holds h.test's only slot
      let granted = false;
      const hop = b.frontier.acquireHost("h.test").then((slot) => (granted = true, slot));
      await b.totals(); // a round trip after b's first ask, on the same connection
      assert.equal(granted, false, "no slot while another process holds the host's only one");
      a.frontier.release(entry);
      // Woken by the release's event, long before a timer (half a 60 s lease) would.
      const slot = await guard(hop, 5000, "hop slot");
      assert.equal(granted, true);
      // While b's hop holds it, a URL of that host waits in turn.
      await a.finish(entry, record(entry), () => Promise.resolve());
      await a.frontier.add({ url: "http://h.test/2", depth: 0, parent: null });
      let leased = false;
      const next = a.frontier.next().then((e) => (leased = true, e));
      // Two round trips: the lease call goes out a microtask later, its answer before the second.
      await a.totals();
      await a.totals();
      assert.equal(leased, false);
      slot[Symbol.dispose]();
      const second = (await guard(next, 5000, "lease after the hop"))!;
      assert.equal(second.url, "http://h.test/2");
      a.frontier.release(second);
      await a.finish(second, record(second), () => Promise.resolve());
    } finally {
      await a.close();
      await b.close();
    }
  },
);

redisTest("redis frontier: closing gives unfinished leases back at once", async () => {
  await using redis = await startRedis();
  const a = await join(redis.url, "give-back", { leaseMs: 60_000 });
  const b = await join(redis.url, "give-back", { leaseMs: 60_000 });
  try {
    await a.frontier.add({ url: "http://a.test/", depth: 0, parent: null });
    await a.frontier.next();
    const waiting = b.frontier.next();
    await a.close();
    const entry = await guard(waiting, 10_000, "given back");
    assert.equal(entry?.url, "http://a.test/");
  } finally {
    await b.close();
  }
});

redisTest("redis frontier: the seen set keeps ASCII fingerprints in compact buckets", async () => {
  await using redis = await startRedis();
  const job = await join(redis.url, "seen");
  const urls = Array.from({ length: 3000 }, (_, i) => `http://h${i % 7}.test/page/${i}`);
  try {
    const outcomes = await Promise.all(
      urls.map((url) => job.frontier.add({ url, depth: 0, parent: null })),
    );
    assert.ok(outcomes.every((o) => o === "added"));
    // A second instance has no local cache: Redis answers.
    const other = await join(redis.url, "seen");
    try {
      const again = await Promise.all(
        urls.map((url) => other.frontier.add({ url, depth: 0, parent: null })),
      );
      assert.ok(again.every((o) => o === "seen"));
      assert.equal(await other.frontier.markSeen(urls[0]!), false);
      assert.equal(await other.frontier.markSeen("http://new.test/"), true);
    } finally {
      await other.close();
    }
  } finally {
    await job.close();
  }
  const { client } = await openRedis(redis.url);
  try {
    const buckets = await client.keys("crawl:{seen}:s:*");
    assert.ok(buckets.length > 30, `only ${buckets.length} buckets: no splits`);
    const expected = new Set(urls.map((url) => fingerprintKey(url)));
    expected.add(fingerprintKey("http://new.test/"));
    let members = 0;
    for (const key of buckets) {
      assert.equal(await client.object("ENCODING", key), "listpack");
      for (const field of await client.hkeysBuffer(key)) {
        assert.equal(field.length, 10);
        assert.ok(expected.has(field.toString("latin1")));
        members++;
      }
    }
    assert.equal(members, expected.size);
  } finally {
    client.disconnect();
  }
});

redisTest(
  "redis job: joining a job whose seen set holds 8-byte fingerprints fails in words and writes nothing",
  async () => {
    await using redis = await startRedis();
    const { client } = await openRedis(redis.url);
    try {
      // What an earlier version left: a seen set without a format, holding a binary fingerprint.
      await client.hset("crawl:{old}:smeta", "L", "0", "s", "0", "n", "1");
      await client.hset("crawl:{old}:s:0", "\x01\x02\x03\x04\x05\x06\x07\x08", "");
      const keys = (await client.keys("*")).sort();
      const old = await connectJob(redis.url, "old", { leaseMs: 30_000 });
      await assert.rejects(
        old.openFrontier({ perHost: 2, delayMs: 0 }).finally(() => old.close()),
        (error: Error) => {
          assert.equal(
            error.message,
            "Cannot continue job 'old' as its seen set was written by an earlier version of the " +
              "crawler, whose URL fingerprints this one does not read: finish the job with that " +
              "version, or start a new --job",
          );
          return true;
        },
      );
      assert.deepEqual((await client.keys("*")).sort(), keys, "nothing written");
      // A job of this version joins as before.
      const job = await join(redis.url, "new");
      await job.frontier.add({ url: "http://a.test/", depth: 0, parent: null });
      await job.close();
      const again = await join(redis.url, "new");
      await again.close();
    } finally {
      client.disconnect();
    }
  },
);

redisTest("redis connect: passwords work and never show in errors", async () => {
  await using redis = await startRedis({ password: "s3cret-pw" });
  const job = await join(redis.url, "auth");
  await job.close();
  assert.equal((await jobTotals(redis.url, "auth")).pending, 0);
  const wrong = redis.url.replace("s3cret-pw", "wrong-pw");
  const error = await connectJob(wrong, "auth").catch((e) => e);
  assert.ok(error instanceof RedisUnreachableError);
  assert.match(
    error.message,
    /^cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0: WRONGPASS/,
  );
  assert.doesNotMatch(error.message, /wrong-pw|s3cret/);
});

Deno.test("redis connect: an unreachable server is one clear error", async () => {
  const port = freePort();
  const error = await connectJob(`redis://:pw@127.0.0.1:${port}/0`, "x").catch((e) => e);
  assert.ok(error instanceof RedisUnreachableError);
  assert.equal(
    error.message,
    `cannot reach Redis at redis://:***@127.0.0.1:${port}/0: connect ECONNREFUSED 127.0.0.1:${port}`,
  );
});

Deno.test("redis connect: redactRedisUrl hides the password", () => {
  assert.equal(redactRedisUrl("redis://:pw@h:6379/0"), "redis://:***@h:6379/0");
  assert.equal(redactRedisUrl("rediss://user:pw@h/1"), "rediss://user:***@h/1");
  assert.equal(redactRedisUrl("redis://token@h"), "redis://***@h");
  assert.equal(redactRedisUrl("redis://h:6379"), "redis://h:6379");
  assert.equal(redactRedisUrl("not a url"), "(invalid Redis URL)");
});

Deno.test("redis connect: job names and URLs are checked", async () => {
  await assert.rejects(connectJob("redis://h/0", "a b"), TypeError);
  await assert.rejects(connectJob("http://h/0", "a"), TypeError);
  await assert.rejects(connectJob("redis://h/0", "a", { leaseMs: 0 }), RangeError);
});

redisTest("redis connect: a server gone for good fails the crawl with a clear error", async () => {
  const redis = await startRedis();
  const job = await connectJob(redis.url, "gone", { reconnectTimeoutMs: 300 });
  await job.openFrontier({ perHost: 2, delayMs: 0 });
  try {
    await redis.stop();
    const error = await job.frontier.add({ url: "http://a.test/", depth: 0, parent: null })
      .catch((e) => e);
    assert.ok(error instanceof RedisLostError, String(error));
    assert.match(
      error.message,
      /^lost Redis at redis:\/\/127\.0\.0\.1:\d+\/0: no connection for 300 ms/,
    );
    await assert.rejects(job.frontier.next(), RedisLostError);
  } finally {
    await job.close();
  }
});

function hasOpenssl(): boolean {
  try {
    return new Deno.Command("openssl", { args: ["version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

redisTest("redis connect: rediss:// with a password works over TLS", async () => {
  if (!hasOpenssl()) return console.warn("skipped: no openssl to make a test certificate");
  const dir = await Deno.makeTempDir();
  try {
    const made = await new Deno.Command("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        `${dir}/key.pem`,
        "-out",
        `${dir}/cert.pem`,
      ],
      stdout: "null",
      stderr: "null",
    }).output();
    assert.ok(made.success);
    await using redis = await startRedis({
      password: "tls-pw",
      tls: { cert: `${dir}/cert.pem`, key: `${dir}/key.pem` },
    });
    assert.match(redis.url, /^rediss:\/\/:tls-pw@/);
    const ca = await Deno.readTextFile(`${dir}/cert.pem`);
    const job = await connectJob(redis.url, "tls", { tls: { ca } });
    await job.openFrontier({ perHost: 2, delayMs: 0 });
    try {
      assert.equal(
        await job.frontier.add({ url: "http://a.test/", depth: 0, parent: null }),
        "added",
      );
      assert.equal(job.url, redis.url.replace("tls-pw", "***"));
    } finally {
      await job.close();
    }
    // Without the CA the certificate is refused, and the password still does not show.
    const error = await connectJob(redis.url, "tls").catch((e) => e);
    assert.ok(error instanceof RedisUnreachableError);
    assert.doesNotMatch(error.message, /tls-pw/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

redisTest("redis frontier: maxPagesPerHost counts admissions job-wide", async () => {
  await using redis = await startRedis();
  const a = await join(redis.url, "per-host-max", { maxPagesPerHost: 2 });
  const b = await join(redis.url, "per-host-max", { maxPagesPerHost: 2 });
  try {
    assert.equal(await a.frontier.add({ url: "http://h.test/1", depth: 0, parent: null }), "added");
    assert.equal(await b.frontier.add({ url: "http://h.test/2", depth: 0, parent: null }), "added");
    assert.equal(await a.frontier.add({ url: "http://h.test/1", depth: 0, parent: null }), "seen");
    assert.equal(
      await b.frontier.add({ url: "http://h.test/3", depth: 0, parent: null }),
      "max_pages_per_host",
    );
    assert.equal(await a.frontier.add({ url: "http://g.test/1", depth: 0, parent: null }), "added");
  } finally {
    await a.close();
    await b.close();
  }
});

/** The job's keys, read straight from Redis. */
async function peek(url: string, job: string) {
  const { client } = await openRedis(url);
  try {
    const prefix = `crawl:{${job}}:`;
    return {
      inFlight: Number(await client.hget(`${prefix}h:h.test`, "a") ?? 0),
      fly: await client.scard(`${prefix}fly`),
      leases: await client.hlen(`${prefix}leases`),
      queue: await client.lrange(`${prefix}q:h.test`, 0, -1),
    };
  } finally {
    client.disconnect();
  }
}

redisTest(
  "redis frontier: next() calls of one tick share one lease batch; two processes' batches split the queue",
  async () => {
    await using redis = await startRedis();
    const a = await join(redis.url, "batch", { perHost: 6 });
    const b = await join(redis.url, "batch", { perHost: 6 });
    try {
      for (let i = 0; i < 10; i++) {
        await a.frontier.add({ url: `http://h.test/${i}`, depth: 0, parent: null });
      }
      // Three waiters in each process, in one tick each: the host's six slots job-wide.
      const gotA = await Promise.all([1, 2, 3].map(() => a.frontier.next()));
      const gotB = await Promise.all([1, 2, 3].map(() => b.frontier.next()));
      const urls = [...gotA, ...gotB].map((e) => e!.url);
      assert.equal(new Set(urls).size, 6, "no URL leased twice");
      assert.deepEqual(await peek(redis.url, "batch"), {
        inFlight: 6,
        fly: 6,
        leases: 6,
        queue: [6, 7, 8, 9].map((i) =>
          JSON.stringify({
            attempts: 0,
            url: `http://h.test/${i}`,
            depth: 0,
            parent: null,
          })
        ),
      });
      // No slot is free: a seventh waits, and B's finish (release and record in one call) frees one.
      let granted = false;
      const waiting = a.frontier.next().then((e) => (granted = true, e));
      await a.totals();
      await a.totals();
      assert.equal(granted, false);
      const first = gotB[0]!;
      b.frontier.release(first);
      await b.finish(first, record(first), () => Promise.resolve());
      const seventh = await guard(waiting, 10_000, "the freed slot");
      assert.equal(seventh?.url, "http://h.test/6");
      assert.equal((await peek(redis.url, "batch")).inFlight, 6);
      // The rest, each URL once, the slots all given back in the end.
      const rest = [...gotA, ...gotB.slice(1), seventh!].map(async (entry) => {
        const job = gotA.includes(entry) || entry === seventh ? a : b;
        job.frontier.release(entry!);
        await job.finish(entry!, record(entry!), () => Promise.resolve());
      });
      await Promise.all(rest);
      const { fetched } = await crawlTogether([a, b], 1);
      assert.deepEqual(fetched.sort(), [7, 8, 9].map((i) => `http://h.test/${i}`));
      assert.equal((await a.totals()).records, 10);
      assert.deepEqual(await peek(redis.url, "batch"), {
        inFlight: 0,
        fly: 0,
        leases: 0,
        queue: [],
      });
    } finally {
      await a.close();
      await b.close();
    }
  },
);

redisTest(
  "redis frontier: a batch leased by a process that stops is taken over whole, each URL once",
  async () => {
    await using redis = await startRedis();
    const settings = { ...SETTINGS, perHost: 10, leaseMs: 300 };
    const frozen = await openFrozen(redis.url, "batch-expiry", settings);
    const other = await join(redis.url, "batch-expiry", settings);
    try {
      for (let i = 0; i < 5; i++) {
        await frozen.frontier.add({ url: `http://h.test/${i}`, depth: 0, parent: null });
      }
      // One lease call for four URLs, one of them fetched (released) before the process froze.
      const mine = await Promise.all([1, 2, 3, 4].map(() => frozen.frontier.next()));
      assert.equal(frozen.frontier.stats.leased, 4);
      frozen.frontier.release(mine[0]!);
      await frozen.frontier.settled();
      const taken: string[] = [];
      for (;;) {
        const entry = await guard(other.frontier.next(), 5000, "lease");
        if (!entry) break;
        taken.push(entry.url);
        other.frontier.release(entry);
        await other.finish(entry, record(entry), () => Promise.resolve());
      }
      assert.deepEqual(taken.toSorted(), [0, 1, 2, 3, 4].map((i) => `http://h.test/${i}`));
      // The frozen process' late finishes append nothing.
      for (const entry of mine) {
        assert.equal(await frozen.frontier.finish(entry!, record(entry!)), false);
      }
      const totals = await other.totals();
      assert.equal(totals.records, 5);
      assert.equal(totals.reclaimed, 4);
      assert.equal(totals.lost, 4);
      assert.equal(totals.pending, 0);
      assert.deepEqual(await peek(redis.url, "batch-expiry"), {
        inFlight: 0,
        fly: 0,
        leases: 0,
        queue: [],
      });
    } finally {
      await frozen.close();
      await other.close();
    }
  },
);

redisTest(
  "redis frontier: a lease batch that reaches maxPages stops there and keeps the queue's order",
  async () => {
    await using redis = await startRedis();
    const job = await join(redis.url, "batch-max", { maxPages: 3, perHost: 10 });
    try {
      for (let i = 0; i < 6; i++) {
        await job.frontier.add({ url: `http://h.test/${i}`, depth: 0, parent: null });
      }
      const got = await Promise.all([1, 2, 3, 4, 5].map(() => job.frontier.next()));
      assert.deepEqual(
        got.map((e) => e?.url),
        ["http://h.test/0", "http://h.test/1", "http://h.test/2", undefined, undefined],
      );
      assert.equal(job.frontier.limitReached, "max_pages");
      const { queue } = await peek(redis.url, "batch-max");
      assert.deepEqual(
        queue.map((e) => JSON.parse(e).url),
        [3, 4, 5].map((i) => `http://h.test/${i}`),
      );
      for (const entry of got.slice(0, 3)) {
        job.frontier.release(entry!);
        await job.finish(entry!, record(entry!), () => Promise.resolve());
      }
      assert.equal((await job.totals()).records, 3);
    } finally {
      await job.close();
    }
  },
);

redisTest(
  "redis frontier: a process whose own budget is spent still queues the links of the pages it finishes",
  async () => {
    await using redis = await startRedis();
    const a = await connectJob(redis.url, "budget");
    const b = await join(redis.url, "budget");
    try {
      const frontier = await a.openFrontier({ perHost: 2, delayMs: 0, maxPagesPerRun: 1 });
      await frontier.add({ url: "https://a.test/", depth: 0, parent: null });
      const entry = (await frontier.next())!;
      assert.equal(await frontier.next(), undefined, "this process's one page is spent");
      // The job goes on without this process: the page's link is the job's.
      const link = { url: "https://a.test/b", depth: 1, parent: entry.url };
      assert.equal(await frontier.add(link), "added");
      await a.finish(entry, record(entry), () => Promise.resolve());
      const next = await guard(b.frontier.next(), 10_000, "the other process's next()");
      assert.equal(next?.url, link.url);
    } finally {
      await a.close();
      await b.close();
    }
  },
);
