/**
 * The tab pool in Debian's headless chromium: bounded, a crashed tab
 * replaced, a killed browser replaced, everything closed at the end.
 * Ignored without chromium unless `REQUIRE_CHROMIUM=1`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { TabPool } from "../../src/render/tab_pool.ts";
import { chromiumTest, descendants, renderBrowsers } from "../support/chromium.ts";

const identity = { userAgent: "pool-test/1", headers: {} };

async function browsersLeft(): Promise<number> {
  return (await descendants()).filter(({ cmdline }) => /chromium/.test(cmdline)).length;
}

chromiumTest(
  "TabPool.acquire() lends at most size tabs; a released tab goes to the next waiter",
  async () => {
    await using pool = new TabPool({ size: 1, identity });
    const first = await pool.acquire();
    assert.equal(pool.busy, 1);
    let second: Awaited<ReturnType<TabPool["acquire"]>> | undefined;
    const waiting = pool.acquire().then((lease) => second = lease);
    await Promise.resolve();
    assert.equal(second, undefined);
    const { targetId } = first.tab;
    first.release();
    await waiting;
    // The same tab, reused.
    assert.equal(second!.tab.targetId, targetId);
    second!.release();
  },
);

chromiumTest(
  "TabPool: a crashed tab is gone, closed on release and replaced by a new one",
  async () => {
    await using pool = new TabPool({ size: 1, identity });
    const lease = await pool.acquire();
    const crashed = lease.tab.gone.catch((error) => error);
    lease.tab.send("Page.crash").catch(() => {});
    assert.match(String(await crashed), /the tab crashed/);
    assert.equal(lease.tab.lost, true);
    lease.release(false);
    using next = await pool.acquire();
    assert.notEqual(next.tab.targetId, lease.tab.targetId);
    const { result } = await next.tab.send("Runtime.evaluate", { expression: "1 + 1" });
    assert.equal(result.value, 2);
    assert.equal(pool.restarts, 0);
  },
);

chromiumTest(
  "TabPool: a killed browser is replaced by a new one when a tab is next needed",
  async () => {
    await using pool = new TabPool({ size: 2, identity });
    await pool.start();
    const lease = await pool.acquire();
    const [browser] = renderBrowsers(await descendants());
    Deno.kill(browser!.pid, "SIGKILL");
    await assert.rejects(lease.tab.gone, /the browser went away/);
    lease.release(false);
    using next = await pool.acquire();
    const { result } = await next.tab.send("Runtime.evaluate", { expression: "2 + 2" });
    assert.equal(result.value, 4);
    assert.equal(pool.restarts, 1);
    const [replacement] = renderBrowsers(await descendants());
    assert.notEqual(replacement!.pid, browser!.pid);
  },
);

chromiumTest("TabPool.close() closes every tab and browser; acquire() then fails", async () => {
  const pool = new TabPool({ size: 2, identity });
  const a = await pool.acquire();
  const b = await pool.acquire();
  a.release();
  await pool.close();
  b.release();
  assert.equal(await browsersLeft(), 0);
  await assert.rejects(pool.acquire(), /the tab pool is closed/);
});
