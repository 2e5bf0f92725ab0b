import assert from "node:assert/strict";
import { Channel } from "../../src/async/channel.ts";
import type { CrawlFrontier } from "../../src/frontier/types.ts";
import { CrawlStats } from "../../src/output/stats.ts";
import { LinkAdmission } from "../../src/pipeline/admission.ts";
import { Finisher } from "../../src/pipeline/finisher.ts";
import { parseCrawlOptions } from "../../src/pipeline/options.ts";
import { type PageChannel, ParseStage } from "../../src/pipeline/parse_stage.ts";
import { MemoryStore } from "../../src/store/memory.ts";
import { unfetchedPage } from "../../src/http/request.ts";
import type { CrawlRecord } from "../../src/output/record.ts";

/**
 * A parse stage over a memory store's frontier as `wrap` gives it, parsing in this isolate
 * unless `parsers` asks for workers; its page channel holds `capacity` pages.
 */
async function stageOver(
  wrap: (frontier: CrawlFrontier) => CrawlFrontier,
  extract?: () => void,
  onRecord: (record: CrawlRecord) => void = () => {},
  { parsers, capacity = 8 }: { parsers?: number; capacity?: number } = {},
): Promise<{ stage: ParseStage; pages: PageChannel; frontier: CrawlFrontier }> {
  const settings = await parseCrawlOptions({ seeds: ["https://a.test/"], parsers });
  const stats = new CrawlStats();
  const store = new MemoryStore();
  const frontier = wrap(await store.openFrontier(settings));
  const pages: PageChannel = new Channel({ capacity });
  const stage = await ParseStage.create(settings, {
    pages,
    admission: new LinkAdmission({ settings, frontier, stats, inScope: () => true }),
    finisher: new Finisher({ stats, store, frontier, onRecord }),
    frontier,
    stats,
    extract,
  });
  return { stage, pages, frontier };
}

/**
 * The frontier, saying its answers are round trips (as the Redis one does);
 * `add()` takes the URL at the call and answers a microtask later.
 */
function remote(local: CrawlFrontier, onAnswer: () => void = () => {}): CrawlFrontier {
  return new Proxy(local, {
    get: (target, key) => {
      if (key === "roundTrips") return true;
      if (key === "add") {
        return (entry: Parameters<CrawlFrontier["add"]>[0]) => {
          const outcome = target.add(entry);
          return Promise.resolve().then(() => {
            onAnswer();
            return outcome;
          });
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

Deno.test("ParseStage parsing in this isolate runs one consumer over a frontier in this process", async () => {
  const { stage } = await stageOver((frontier) => frontier);
  assert.equal(stage.consumers, 1);
});

Deno.test("ParseStage runs several consumers over a frontier answering over the network, one with a hook", async () => {
  assert.ok((await stageOver((local) => remote(local))).stage.consumers > 1);
  assert.equal((await stageOver((local) => remote(local), () => {})).stage.consumers, 1);
});

Deno.test("ParseStage runs as many consumers per parser worker as the page channel holds", async () => {
  // While a worker parses one batch, the others' pages gather as the next: 8 a worker made
  // batches of 1 and 7 pages, and each thread waited for the other's wake-up.
  const { stage } = await stageOver((frontier) => frontier, undefined, undefined, {
    parsers: 2,
    capacity: 24,
  });
  try {
    assert.equal(stage.consumers, 48);
  } finally {
    stage.close();
  }
});

Deno.test("ParseStage hands a page to the store before its links' answers come, its links queued first", async () => {
  let answers = 0;
  const finishes: { answers: number; queued: number }[] = [];
  let frontier: CrawlFrontier | undefined;
  const over = await stageOver(
    (local) => (frontier = remote(local, () => answers++)),
    undefined,
    () => finishes.push({ answers, queued: frontier!.queued }),
  );
  const { stage, pages } = over;
  frontier!.add({ url: "https://a.test/", depth: 0, parent: null });
  const entry = (await frontier!.next())!;
  answers = 0;
  const body = new TextEncoder().encode(`<a href="/b">b</a><a href="/c">c</a>`);
  await pages.send({ entry, page: { ...unfetchedPage(entry.url), status: 200, body } });
  pages.close();
  await stage.run(new AbortController().signal);
  // One round trip for the page over the network: the finish did not wait for the adds'
  // answers, and the links were queued before it, so the crawl could not end in between.
  assert.deepEqual(finishes, [{ answers: 0, queued: 2 }]);
  assert.equal(answers, 2, "the answers were awaited before the page was done");
});

Deno.test("ParseStage sends nothing for a page when the crawl is aborted during its parse", async () => {
  let adds = 0;
  let frontier: CrawlFrontier | undefined;
  const { stage, pages } = await stageOver((local) =>
    frontier = new Proxy(remote(local), {
      get: (target, key) => {
        if (key === "add") {
          return (entry: Parameters<CrawlFrontier["add"]>[0]) => {
            adds++;
            return target.add(entry);
          };
        }
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    })
  );
  frontier!.add({ url: "https://a.test/", depth: 0, parent: null });
  const entry = (await frontier!.next())!;
  adds = 0;
  const body = new TextEncoder().encode(`<a href="/b">b</a>`);
  await pages.send({ entry, page: { ...unfetchedPage(entry.url), status: 200, body } });
  pages.close();
  const controller = new AbortController();
  controller.abort(new Error("crawl aborted"));
  await assert.rejects(stage.run(controller.signal), /crawl aborted/);
  // Were its links sent, their answers would be left unawaited (unhandled, if they failed).
  assert.equal(adds, 0);
});
