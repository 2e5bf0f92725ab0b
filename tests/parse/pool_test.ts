/**
 * The parser pool when a stopped worker cannot be replaced: the slot goes
 * out of service and, with no worker left, `parse()` refuses at once instead
 * of queueing pages no worker will take.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import type { ParserConfig } from "../../src/parse/job.ts";
import { ParserPool, ParseTimeoutError, WorkerLostError } from "../../src/parse/pool.ts";
import { ROOT } from "../support/cli_run.ts";

const CONFIG: ParserConfig = {
  parser: "htmlparser2",
  followNofollow: false,
  stripParams: [],
  sortQuery: false,
};

function page(path: string) {
  return {
    url: `http://a.test${path}`,
    contentType: "text/html",
    body: new TextEncoder().encode(`<title>${path}</title>`),
  };
}

Deno.test("ParserPool.parse() refuses at once when no stopped worker could be replaced", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pool_test_" });
  const hook = new URL("fixtures/extract/hang_then_refuse_hook.ts", `file://${ROOT}`);
  hook.searchParams.set("marker", join(dir, "loaded"));
  const pool = await ParserPool.create(1, { ...CONFIG, extractModule: hook.href }, {
    timeoutMs: 200,
  });
  try {
    assert.deepEqual((await pool.parse(page("/ok"))).data, { ok: true });
    await assert.rejects(pool.parse(page("/hang")), ParseTimeoutError);
    // The replacement fails to load: a page waiting for it is lost with it...
    await assert.rejects(pool.parse(page("/waiting")), WorkerLostError);
    // ...and later pages are refused, not queued for a worker that will never come. (The
    // signal only bounds the damage if they were queued: it is not what ends a passing run.)
    const later = pool.parse(page("/later"), { signal: AbortSignal.timeout(10_000) });
    await assert.rejects(later, (error: Error) => {
      assert.ok(!(error instanceof WorkerLostError), "not fetched again for a worker: refused");
      assert.match(error.message, /no parser worker could be started: .*this hook loads only once/);
      return true;
    });
  } finally {
    pool.close();
    await Deno.remove(dir, { recursive: true });
  }
});
