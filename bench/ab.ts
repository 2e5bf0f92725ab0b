/**
 * Two checkouts of the crawler, crawl for crawl, in one process
 * (`deno task bench:ab`): the way to see a difference of a few per cent on
 * this machine, whose speed drifts by a third within minutes. Crawls in
 * separate processes, even alternated, differ by more than that from one
 * run to the next; here each round crawls once with each checkout, back to
 * back, and the ratio of their CPU per page is taken round by round.
 *
 * ```sh
 * git worktree add /tmp/before HEAD~1                  # or: git archive REV | tar -x -C DIR
 * deno task bench:ab --before /tmp/before              # against this checkout, 10 rounds
 * deno task bench:ab --before /tmp/before --seed http://127.0.0.1:8080/index.html --flags="--parsers 1"
 * ```
 *
 * Each checkout's CLI (`src/cli/main.ts`, `runCli`) is imported as its own
 * module graph, so the two share nothing but V8 and the machine; one crawl
 * each first warms both up (start-up and V8's tiering are then left out:
 * this compares steady crawling, not a fresh process). The site is the bench
 * site served by a Deno process (`bench/serve.ts`), or `--seed URL` (e.g.
 * `rust-doc` behind `bench/nginx.ts`). CLI options: concurrency and
 * `--per-host` 32, `--allow-private --ignore-robots --quiet`, the output
 * to a scratch file; `--flags` adds more.
 *
 * Prints, per checkout, the median CPU ms per page and pages/s, then the
 * per-round ratios of CPU per page (this checkout over `--before`), their
 * median (below 1 is less CPU) and their middle half. Ten rounds of the same
 * code against itself (`--before` and `--after` two copies of one commit)
 * gave a median of 0.95, middle half 0.88–1.04: on this machine a median
 * within about 8 % of 1 is not a difference.
 *
 * Flags: `--before DIR` (required), `--after DIR` (default: this checkout),
 * `--rounds N` (10), `--pages N` (5000, the bench site), `--seed URL`,
 * `--flags="..."`.
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { positiveInt, runMain, splitFlags } from "./args.ts";
import { median } from "./measure.ts";
import { startBenchServer } from "./serve.ts";

/** The CLI's entry point as both checkouts export it. */
type RunCli = (
  args: string[],
  control: { stop: AbortController; abort: AbortController },
) => Promise<number>;

/** One checkout's crawls: CPU ms per page and pages/s, a value per round. */
interface Side {
  name: string;
  run: RunCli;
  cpu: number[];
  rate: number[];
}

/**
 * The comparison; see the module docs for its flags.
 *
 * @param signal Aborted on SIGINT or SIGTERM: the crawls stop and the run throws.
 * @returns The exit code.
 */
async function main(signal: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      before: { type: "string" },
      after: { type: "string", default: new URL("..", import.meta.url).pathname },
      rounds: { type: "string", default: "10" },
      pages: { type: "string", default: "5000" },
      seed: { type: "string" },
      flags: { type: "string", default: "" },
    },
  });
  if (values.before === undefined) {
    throw new TypeError(
      "Cannot run benchmark as '--before' is missing: give a checkout's directory",
    );
  }
  const rounds = positiveInt("rounds", values.rounds);
  const side = async (dir: string): Promise<Side> => {
    const url = new URL("src/cli/main.ts", `file://${dir.endsWith("/") ? dir : `${dir}/`}`);
    try {
      const { runCli } = await import(url.href) as { runCli: RunCli };
      return { name: dir, run: runCli, cpu: [], rate: [] };
    } catch (error) {
      throw new Error(
        `Cannot load the crawler of '${dir}': ${(error as Error).message.split("\n")[0]}`,
      );
    }
  };
  const sides = [await side(values.before), await side(values.after)];
  await using server = values.seed === undefined
    ? await startBenchServer({ pages: positiveInt("pages", values.pages) })
    : undefined;
  const seed = server ? `${server.origin}/index.html` : values.seed!;
  const out = await Deno.makeTempFile({ prefix: "crawler-ab-", suffix: ".jsonl" });
  try {
    const args = [
      ...["--seeds", seed, "--concurrency", "32", "--per-host", "32"],
      ...["--allow-private", "--ignore-robots", "--quiet", "--out", out],
      ...splitFlags(values.flags),
    ];
    let pages = 0;
    const crawl = async (which: Side, record: boolean) => {
      const stop = new AbortController();
      const abort = new AbortController();
      const onSignal = () => abort.abort(signal.reason);
      signal.addEventListener("abort", onSignal, { once: true });
      const cpu = process.cpuUsage();
      const start = performance.now();
      const code = await which.run(args, { stop, abort }).finally(() =>
        signal.removeEventListener("abort", onSignal)
      );
      const wallMs = performance.now() - start;
      const { user, system } = process.cpuUsage(cpu);
      signal.throwIfAborted();
      if (code !== 0) throw new Error(`The crawl of ${which.name} exited with ${code}`);
      pages = (await Deno.readTextFile(out)).split("\n").length - 1;
      if (!record) return;
      which.cpu.push((user + system) / 1000 / pages);
      which.rate.push(pages / wallMs * 1000);
    };
    for (const which of sides) await crawl(which, false);
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first, so neither always follows the other's garbage.
      for (const which of round % 2 === 0 ? sides : [...sides].reverse()) await crawl(which, true);
    }
    console.log(`# ${pages} pages a crawl, ${rounds} rounds; flags: ${values.flags || "(none)"}`);
    for (const { name, cpu, rate } of sides) {
      console.log(
        `${name}: CPU ${median(cpu).toFixed(3)} ms/page (${
          cpu.map((c) => c.toFixed(3)).join(" ")
        }), ${median(rate).toFixed(0)} pages/s`,
      );
    }
    const ratios = sides[1].cpu.map((cpu, i) => cpu / sides[0].cpu[i]);
    const sorted = [...ratios].sort((a, b) => a - b);
    const quartile = (q: number) => sorted[Math.round(q * (sorted.length - 1))];
    console.log(
      `CPU per page, after/before, by round: ${ratios.map((r) => r.toFixed(3)).join(" ")}; ` +
        `median ${median(ratios).toFixed(3)}, middle half ${quartile(0.25).toFixed(3)}–` +
        `${quartile(0.75).toFixed(3)}`,
    );
    return 0;
  } finally {
    await Deno.remove(out);
  }
}

if (import.meta.main) await runMain("ab", main);
