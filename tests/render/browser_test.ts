/**
 * Launching and closing Debian's headless chromium: a process group of its
 * own, nothing of it left after close (or after it was killed), its profile
 * removed; a missing binary is one clear error. Ignored without chromium
 * unless `REQUIRE_CHROMIUM=1`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Browser, BrowserLaunchError } from "../../src/render/browser.ts";
import { chromiumTest, descendants } from "../support/chromium.ts";

function profileOf(cmdline: string): string {
  return /--user-data-dir=(\S+)/.exec(cmdline)![1]!;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

chromiumTest(
  "Browser.launch() starts chromium with a fresh profile; close() leaves no process and no profile",
  async () => {
    const browser = await Browser.launch();
    const { product } = await browser.connection.send("Browser.getVersion");
    assert.match(product, /Chrome/);
    const running = await descendants();
    const main = running.find((process) => process.pid === browser.pid)!;
    assert.ok(main, "the browser is a child of this process");
    const profile = profileOf(main.cmdline);
    assert.ok(await exists(profile));
    await browser.close();
    await browser.close(); // twice is fine
    assert.deepEqual((await descendants()).filter(({ cmdline }) => /chromium/.test(cmdline)), []);
    assert.equal(await exists(profile), false);
  },
);

chromiumTest(
  "Browser: a killed browser closes its connection; close() still cleans up",
  async () => {
    const browser = await Browser.launch();
    Deno.kill(browser.pid, "SIGKILL");
    await browser.exited;
    await browser.connection.closed;
    assert.equal(browser.connection.isClosed, true);
    await browser.close();
    assert.deepEqual((await descendants()).filter(({ cmdline }) => /chromium/.test(cmdline)), []);
  },
);

Deno.test("Browser.launch() names a missing binary and how to install chromium", async () => {
  await assert.rejects(
    Browser.launch({ binary: "/nonexistent/chromium" }),
    BrowserLaunchError,
    "Cannot render pages as chromium was not found at /nonexistent/chromium: install it with " +
      "`apt-get install -y chromium` (or set CHROMIUM=/path/to/chromium)",
  );
});
