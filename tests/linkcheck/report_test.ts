/**
 * The report leads with what is broken: measured in headless chromium in a
 * 1280×800 window, on the report of a real link check.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as cheerio from "cheerio";
import { runCli } from "../support/cli_run.ts";
import { dumpDom, findChromium, INSTALL_HINT } from "../support/chromium.ts";
import { startLinkSite } from "../support/link_site.ts";

const chromium = findChromium();
const requireChromium = Deno.env.get("REQUIRE_CHROMIUM") === "1";
if (chromium === undefined && !requireChromium) {
  console.warn(
    `link check report: skipping the chromium test: chromium not found; ${INSTALL_HINT}`,
  );
}

/**
 * A script the test adds to a copy of the report (the report itself runs
 * none): it writes where the sections are into the DOM chromium dumps.
 */
const MEASURE = `<script>
addEventListener("load", () => {
  const top = (selector) => Math.round(document.querySelector(selector).getBoundingClientRect().top);
  const rows = [...document.querySelectorAll("#broken tbody tr")];
  document.body.dataset.layout = JSON.stringify({
    width: innerWidth,
    height: innerHeight,
    broken: top("#broken"),
    redirects: top("#redirects"),
    cards: top(".cards"),
    slowest: top("#slowest"),
    firstTargetBottom: Math.round(rows[0].getBoundingClientRect().bottom),
  });
});
</script>`;

Deno.test({
  name:
    "link check report: broken targets with every referrer come first, on the first screen at 1280 px",
  ignore: chromium === undefined && !requireChromium,
  async fn() {
    if (chromium === undefined) {
      throw new Error(`REQUIRE_CHROMIUM=1 but chromium was not found; ${INSTALL_HINT}`);
    }
    await using site = startLinkSite();
    const dir = await Deno.makeTempDir({ prefix: "linkcheck-report-test-" });
    try {
      const report = `${dir}/report.html`;
      const result = await runCli([
        "--seeds",
        `${site.origin}/`,
        "--check",
        "assets,external,fragments",
        "--allow-private",
        "--report",
        report,
      ]);
      assert.equal(result.code, 0, result.stderr);
      const html = await Deno.readTextFile(report);
      const measured = `${dir}/measured.html`;
      await Deno.writeTextFile(
        measured,
        html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, "")
          .replace("</body>", `${MEASURE}</body>`),
      );
      const dom = await dumpDom(measured, {
        window: { width: 1280, height: 800 },
        signal: AbortSignal.timeout(60_000),
      });
      const $ = cheerio.load(dom);
      const layout = JSON.parse($("body").attr("data-layout")!);
      assert.equal(layout.width, 1280);
      // Broken first, then redirects, then the rest.
      assert.ok(layout.broken < layout.redirects, JSON.stringify(layout));
      assert.ok(layout.redirects < layout.cards, JSON.stringify(layout));
      assert.ok(layout.cards < layout.slowest, JSON.stringify(layout));
      // The most linked broken target and its referrers fit the first screen.
      assert.ok(layout.firstTargetBottom <= layout.height, JSON.stringify(layout));
      const o = site.origin;
      const first = $("#broken tbody tr").first();
      assert.equal(first.find("td").eq(0).text(), `${o}/gone.html`);
      assert.equal(first.find(".pill").text(), "404");
      assert.deepEqual(
        first.find("li").map((_, li) => $(li).text().replace(/\s+/g, " ").trim()).get(),
        [
          `${o}/ a[href] Old page`,
          `${o}/about.html a[href] Former page`,
          `${o}/blog.html a[href] Archive`,
        ],
      );
      // Every broken target is listed once, missing fragments as targets of their own.
      const targets = $("#broken tbody tr").map((_, tr) => $(tr).find("td").first().text()).get();
      assert.deepEqual(targets.sort(), [
        `${o}/#outro`,
        `${o}/about.html#nowhere`,
        `${o}/gone.html`,
        `${o}/missing.css`,
        `${o}/missing.png`,
        `${site.external}/dead.html`,
      ]);
      // The robots.txt refusal is listed apart, with its referrer.
      assert.match($("#refused").text(), /private\/secret\.html[\s\S]*robots[\s\S]*Partner secret/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
