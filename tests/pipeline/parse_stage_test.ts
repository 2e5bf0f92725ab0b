import assert from "node:assert/strict";
import { Channel } from "../../src/async/channel.ts";
import type { CrawlFrontier } from "../../src/frontier/types.ts";
import { CrawlStats } from "../../src/output/stats.ts";
import { LinkAdmission } from "../../src/pipeline/admission.ts";
import { Finisher } from "../../src/pipeline/finisher.ts";
import { parseCrawlOptions } from "../../src/pipeline/options.ts";
import { type PageChannel, ParseStage } from "../../src/pipeline/parse_stage.ts";
import { MemoryStore } from "../../src/store/memory.ts";

/** A parse stage parsing in this isolate, over a memory store's frontier as `wrap` gives it. */
async function stageOver(
  wrap: (frontier: CrawlFrontier) => CrawlFrontier,
  extract?: () => void,
): Promise<ParseStage> {
  const settings = parseCrawlOptions({ seeds: ["https://a.test/"] });
  const stats = new CrawlStats();
  const store = new MemoryStore();
  const frontier = wrap(await store.openFrontier(settings));
  const pages: PageChannel = new Channel({ capacity: 8 });
  return await ParseStage.create(settings, {
    pages,
    admission: new LinkAdmission({ settings, frontier, stats, inScope: () => true }),
    finisher: new Finisher({ stats, store, frontier, onRecord: () => {} }),
    frontier,
    stats,
    extract,
  });
}

Deno.test("ParseStage parsing in this isolate runs one consumer over a frontier in this process", async () => {
  const stage = await stageOver((frontier) => frontier);
  assert.equal(stage.consumers, 1);
});

Deno.test("ParseStage runs several consumers over a frontier answering over the network, one with a hook", async () => {
  // The frontier, saying its answers are round trips (as the Redis one does).
  const remote = (local: CrawlFrontier) =>
    new Proxy(local, {
      get: (target, key) => {
        if (key === "roundTrips") return true;
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  assert.ok((await stageOver(remote)).consumers > 1);
  assert.equal((await stageOver(remote, () => {})).consumers, 1);
});
