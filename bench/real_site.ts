/**
 * The real-site benchmark (issue 14, point 3), optional: Debian's `rust-doc`
 * HTML (the Rust books and standard library documentation, ~21,600 pages)
 * served by a private nginx on loopback (`bench/nginx.ts`), crawled from its
 * `index.html` by our CLI and by wget2, side by side in each run.
 *
 * ```sh
 * apt-get install -y rust-doc nginx wget2 time   # once; without them it says so and exits 0
 * deno run -A bench/real_site.ts                            # 3 runs, about 3 minutes
 * deno run -A bench/real_site.ts --runs 1                   # a quick look
 * deno run -A bench/real_site.ts --flags "--parsers 0"      # extra flags for our CLI
 * deno run -A bench/real_site.ts --root DIR                 # another static site
 * ```
 *
 * `-A` because Deno asks for all permissions to read `/proc` (nginx's and
 * the machine's CPU); without it those two figures are left out. It runs
 * `/usr/bin/time`, `nginx`, `wget2` and `deno`, and talks to 127.0.0.1.
 *
 * Flags: `--runs R` (3), `--concurrency C` (32), `--flags "..."` (extra CLI
 * flags), `--root DIR` (default: the first of `/usr/share/doc/rust-doc/html`,
 * `/usr/share/doc/rust/html` with an `index.html`), `--port P` (a free one).
 *
 * Each run crawls with both, one after the other, each under `/usr/bin/time`
 * (wall, user + system CPU, max RSS) in a fresh scratch directory:
 * - ours: `main.ts --seeds ORIGIN/index.html --concurrency C --per-host C
 *   --allow-private --ignore-robots --out FILE`, in memory, otherwise default
 *   options (the one host is the doc tree: nginx serves it as `/`, so the
 *   default host scope is the tree);
 * - wget2: `--recursive --level=0 --delete-after --no-robots --max-threads=C
 *   --no-host-directories` (wget2 exits 8 because the docs have broken links:
 *   that counts as done).
 *
 * Pages are what nginx's access log shows: 200 responses with a `text/html`
 * type, per crawler. The runs' medians go in a Markdown table (pages,
 * pages/s on process wall time, start-up included, CPU ms per page, peak
 * RSS, and our/wget2 ratios). Checks, each run: our set of HTML pages equals
 * wget2's (the differences are printed, with what else each fetched); our
 * CLI asked for no URL twice and recorded as many pages as nginx served it.
 * `other_cpu` is the machine's busy CPU over a crawl minus the crawler's and
 * nginx's: other work sharing the cores (the numbers are then contended).
 *
 * Exits 0 when every check passes (or when rust-doc, nginx, wget2 or
 * `/usr/bin/time` is missing: the run is optional), 1 otherwise.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { crawlTaskFlags, findSummary, positiveInt, runMain, splitFlags } from "./args.ts";
import { freePort } from "../tests/support/redis_server.ts";
import { machineBusyMs, median } from "./measure.ts";
import { joinFlagsValue } from "./results.ts";
import { type Access, type Nginx, startNginx } from "./nginx.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const ROOTS = ["/usr/share/doc/rust-doc/html", "/usr/share/doc/rust/html"];
const INSTALL = "apt-get install -y rust-doc nginx wget2 time";
const MiB = 1024 * 1024;

/** What one crawler did in one run. */
interface Measured {
  crawler: "ours" | "wget2";
  wallMs: number;
  cpuMs: number;
  peakRssBytes: number;
  /** HTML pages served with 200, by URI. */
  pages: Set<string>;
  /** Requests by URI, to find repeats. */
  requests: Map<string, number>;
  accesses: Access[];
  nginxCpuMs?: number;
  otherCpuMs?: number;
  /** Ours only: the CLI's summary line. */
  summary?: Record<string, number>;
  failures: string[];
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** The binary's path if it is on `$PATH` (or in an sbin directory, where Debian puts nginx). */
async function which(name: string): Promise<string | undefined> {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter(Boolean);
  for (const dir of [...dirs, "/usr/sbin", "/sbin"]) {
    if (await isFile(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}

interface Timed {
  code: number;
  stderr: string;
  wallMs: number;
  cpuMs: number;
  peakRssBytes: number;
}

/** Runs a command under `/usr/bin/time -f '%e %U %S %M'`; its figures come from a file. */
async function timed(argv: string[], cwd: string, signal: AbortSignal): Promise<Timed> {
  const timeFile = `${cwd}/.time`;
  const { code, stderr } = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%e %U %S %M", "-o", timeFile, ...argv],
    cwd,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    signal,
  }).output();
  signal.throwIfAborted();
  // A non-zero exit adds a "Command exited with non-zero status" line first.
  const figures = (await Deno.readTextFile(timeFile)).trim().split("\n").at(-1)!.split(" ");
  const [wall, user, system, rssKiB] = figures.map(Number);
  return {
    code,
    stderr: new TextDecoder().decode(stderr),
    wallMs: wall! * 1000,
    cpuMs: (user! + system!) * 1000,
    peakRssBytes: rssKiB! * 1024,
  };
}

function tally(accesses: Access[]): Pick<Measured, "pages" | "requests"> {
  const pages = new Set<string>();
  const requests = new Map<string, number>();
  for (const { status, contentType, uri } of accesses) {
    requests.set(uri, (requests.get(uri) ?? 0) + 1);
    if (status === 200 && contentType.startsWith("text/html")) pages.add(uri);
  }
  return { pages, requests };
}

async function crawl(
  crawler: "ours" | "wget2",
  nginx: Nginx,
  argv: string[],
  cwd: string,
  signal: AbortSignal,
): Promise<Measured> {
  await nginx.clearLog();
  const nginxBefore = await nginx.workerCpuMs();
  const busyBefore = await machineBusyMs();
  const run = await timed(argv, cwd, signal);
  const busyAfter = await machineBusyMs();
  const nginxAfter = await nginx.workerCpuMs();
  const accesses = await nginx.accesses();
  const nginxCpuMs = nginxBefore !== undefined && nginxAfter !== undefined
    ? nginxAfter - nginxBefore
    : undefined;
  const otherCpuMs = busyBefore !== undefined && busyAfter !== undefined && nginxCpuMs !== undefined
    ? Math.max(0, busyAfter - busyBefore - nginxCpuMs - run.cpuMs)
    : undefined;
  const failures: string[] = [];
  const summary = crawler === "ours" ? findSummary(run.stderr) : undefined;
  // wget2 exits 8 when a server answered an error, as the docs' broken links get.
  const done = crawler === "ours" ? run.code === 0 && summary !== undefined : run.code <= 8;
  if (!done) failures.push(`${crawler} exited ${run.code}: ${run.stderr.slice(-1000)}`);
  const measured: Measured = {
    crawler,
    wallMs: run.wallMs,
    cpuMs: run.cpuMs,
    peakRssBytes: run.peakRssBytes,
    ...tally(accesses),
    accesses,
    nginxCpuMs,
    otherCpuMs,
    summary,
    failures,
  };
  if (crawler === "ours") {
    const repeated = [...measured.requests].filter(([, count]) => count > 1);
    if (repeated.length) {
      failures.push(
        `ours asked for ${repeated.length} URLs more than once, e.g. ${
          repeated.slice(0, 5).map(([uri, count]) => `${uri} x${count}`).join(", ")
        }`,
      );
    }
    if (summary && summary.pagesOk !== measured.pages.size) {
      failures.push(`ours: pagesOk ${summary.pagesOk}, nginx served ${measured.pages.size} pages`);
    }
  }
  return measured;
}

/** What one crawler fetched that is not an HTML page, by content type and status. */
function others(m: Measured): string {
  const counts = new Map<string, number>();
  for (const { status, contentType } of m.accesses) {
    if (status === 200 && contentType.startsWith("text/html")) continue;
    const key = `${status} ${contentType}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  return sorted.length ? sorted.map(([key, n]) => `${n} × ${key}`).join(", ") : "none";
}

/** The check that both crawled the same pages; the differences and the extras as lines. */
function compare(ours: Measured, wget2: Measured): { same: boolean; lines: string[] } {
  const onlyOurs = [...ours.pages].filter((uri) => !wget2.pages.has(uri));
  const onlyWget2 = [...wget2.pages].filter((uri) => !ours.pages.has(uri));
  const lines = [
    `pages: ours ${ours.pages.size}, wget2 ${wget2.pages.size}, ` +
    `only ours ${onlyOurs.length}, only wget2 ${onlyWget2.length}`,
    `not pages, ours: ${others(ours)}`,
    `not pages, wget2: ${others(wget2)}`,
  ];
  if (wget2.accesses.length > wget2.pages.size) {
    lines.push(
      "(wget2 also fetches what pages embed: scripts, stylesheets, images, fonts, and the " +
        "404s among them; these are not pages and our CLI follows links to pages only)",
    );
  }
  if (onlyOurs.length) lines.push(`only ours, e.g. ${onlyOurs.slice(0, 20).join(" ")}`);
  if (onlyWget2.length) lines.push(`only wget2, e.g. ${onlyWget2.slice(0, 20).join(" ")}`);
  return { same: onlyOurs.length === 0 && onlyWget2.length === 0, lines };
}

const fixed = (value: number, digits = 1) => value.toFixed(digits);

/** HTML pages per second of process wall time. */
const rate = (m: Measured) => m.pages.size / (m.wallMs / 1000);

function runLine(m: Measured): string {
  const crawl = m.summary
    ? ` (in-process crawl ${fixed(m.summary.durationMs! / 1000, 2)}s, ${
      fixed(m.pages.size / (m.summary.durationMs! / 1000))
    } pages/s)`
    : "";
  const nginx = m.nginxCpuMs === undefined ? "" : ` nginx_cpu=${fixed(m.nginxCpuMs / 1000, 2)}s`;
  const other = m.otherCpuMs === undefined ? "" : ` other_cpu=${fixed(m.otherCpuMs / 1000, 2)}s`;
  return `  ${m.crawler.padEnd(5)} pages=${m.pages.size} requests=${m.accesses.length} ` +
    `wall=${fixed(m.wallMs / 1000, 2)}s ${
      fixed(m.pages.size / (m.wallMs / 1000))
    } pages/s${crawl} ` +
    `cpu=${fixed(m.cpuMs / m.pages.size, 3)} ms/page rss=${fixed(m.peakRssBytes / MiB)}MiB` +
    `${nginx}${other} ${m.failures.length ? "FAILED" : "ok"}`;
}

interface Row {
  pages: number;
  pagesPerSecond: number;
  cpuMsPerPage: number;
  rssMiB: number;
}

function medians(runs: Measured[]): Row {
  return {
    pages: median(runs.map((m) => m.pages.size)),
    pagesPerSecond: median(runs.map(rate)),
    cpuMsPerPage: median(runs.map((m) => m.cpuMs / m.pages.size)),
    rssMiB: median(runs.map((m) => m.peakRssBytes / MiB)),
  };
}

function table(ours: Row, wget2: Row, runs: number): string {
  const row = (name: string, r: Row) =>
    `| ${name} | ${r.pages} | ${fixed(r.pagesPerSecond)} | ${fixed(r.cpuMsPerPage, 3)} | ${
      fixed(r.rssMiB)
    } |`;
  const ratio = (a: number, b: number) => `${fixed(a / b, 2)}×`;
  return [
    `Medians of ${runs} run(s); pages/s on process wall time (start-up included).`,
    "",
    "| crawler | HTML pages | pages/s | CPU ms/page | peak RSS MiB |",
    "|---|---:|---:|---:|---:|",
    row("wget2", wget2),
    row("this project", ours),
    `| ours / wget2 | ${ratio(ours.pages, wget2.pages)} | ${
      ratio(ours.pagesPerSecond, wget2.pagesPerSecond)
    } | ${ratio(ours.cpuMsPerPage, wget2.cpuMsPerPage)} | ${ratio(ours.rssMiB, wget2.rssMiB)} |`,
    "",
    `Issue 14 point 3 targets: pages/s >= 0.5× wget2's (${
      ours.pagesPerSecond >= 0.5 * wget2.pagesPerSecond ? "met" : "missed"
    }), peak RSS <= 200 MiB (${ours.rssMiB <= 200 ? "met" : "missed"}).`,
  ].join("\n");
}

async function main(signal: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args: joinFlagsValue(Deno.args),
    strict: true,
    options: {
      runs: { type: "string", default: "3" },
      concurrency: { type: "string", default: "32" },
      flags: { type: "string", default: "" },
      root: { type: "string" },
      port: { type: "string" },
    },
  });
  const runs = positiveInt("runs", values.runs);
  const concurrency = positiveInt("concurrency", values.concurrency);
  const extra = splitFlags(values.flags);
  const roots = values.root ? [values.root] : ROOTS;
  let root: string | undefined;
  for (const dir of roots) if (await isFile(`${dir}/index.html`)) root ??= dir;
  const nginxBinary = await which("nginx");
  const wget2 = await which("wget2");
  const missing = [
    root ? "" : `an HTML tree (${roots.join(" or ")}, with index.html)`,
    nginxBinary ? "" : "nginx",
    wget2 ? "" : "wget2",
    (await isFile("/usr/bin/time")) ? "" : "/usr/bin/time",
  ].filter(Boolean);
  if (missing.length) {
    console.log(`# real-site benchmark skipped (optional): missing ${missing.join(", ")}`);
    console.log(`# install with: ${INSTALL}`);
    return 0;
  }
  const port = values.port ? positiveInt("port", values.port) : freePort();
  await using nginx = await startNginx({ root: root!, port, binary: nginxBinary });
  const seed = `${nginx.origin}/index.html`;
  const dir = await Deno.makeTempDir({ prefix: "crawler-real-site-" });
  const ourArgv = [
    "deno",
    "run",
    ...await crawlTaskFlags(),
    "--config",
    `${ROOT}deno.json`,
    `${ROOT}main.ts`,
    "--seeds",
    seed,
    "--concurrency",
    String(concurrency),
    // One host serves the whole tree: its politeness cap is lifted to the global cap, as
    // wget2 runs (C threads against one host).
    "--per-host",
    String(concurrency),
    "--allow-private",
    "--ignore-robots",
    "--out",
    `${dir}/ours.jsonl`,
    ...extra,
  ];
  const wgetArgv = [
    wget2!,
    "--recursive",
    "--level=0",
    "--delete-after",
    "--no-robots",
    `--max-threads=${concurrency}`,
    "--no-host-directories",
    "--progress=none",
    "--quiet",
    seed,
  ];
  const version = async (argv: string[]) => {
    const { stdout, stderr } = await new Deno.Command(argv[0]!, { args: argv.slice(1) }).output();
    const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    return text.trim().split("\n")[0]!;
  };
  console.log(
    `# real site: ${root} on ${nginx.origin} (${await version([nginxBinary!, "-v"])}), ` +
      `concurrency ${concurrency}, ${runs} run(s); Deno ${Deno.version.deno}, ` +
      `${await version([wget2!, "--version"])}, ${navigator.hardwareConcurrency} CPUs`,
  );
  console.log(`$ ${ourArgv.join(" ")}`);
  console.log(`$ ${wgetArgv.join(" ")}`);
  const ours: Measured[] = [];
  const theirs: Measured[] = [];
  let failed = false;
  try {
    for (let k = 1; k <= runs; k++) {
      // A fresh, empty scratch directory per crawl: wget2 writes (then deletes) its files there.
      const scratch = async (name: string) => {
        const path = `${dir}/${name}-${k}`;
        await Deno.mkdir(path);
        return path;
      };
      const a = await crawl("ours", nginx, ourArgv, await scratch("ours"), signal);
      const b = await crawl("wget2", nginx, wgetArgv, await scratch("wget2"), signal);
      ours.push(a);
      theirs.push(b);
      await Deno.remove(`${dir}/ours.jsonl`).catch(() => {});
      console.log(`run ${k}/${runs}:`);
      console.log(runLine(a));
      console.log(runLine(b));
      const { same, lines } = compare(a, b);
      for (const line of lines) console.log(`  ${line}`);
      console.log(`  same HTML pages as wget2: ${same ? "yes" : "NO"}`);
      console.log(`  ours/wget2 this run: pages/s ${fixed(rate(a) / rate(b), 2)}×`);
      for (const failure of [...a.failures, ...b.failures]) console.log(`  FAIL ${failure}`);
      failed ||= !same || a.failures.length > 0 || b.failures.length > 0;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  console.log("");
  console.log(table(medians(ours), medians(theirs), runs));
  const ratios = ours.map((a, k) => rate(a) / rate(theirs[k]!));
  console.log(
    `Per-run pages/s ratios (each run's two crawls back to back, so under like load): ${
      ratios.map((r) => fixed(r, 2)).join(", ")
    }; median ${fixed(median(ratios), 2)}×.`,
  );
  return failed ? 1 : 0;
}

if (import.meta.main) {
  // A signal unwinds the run through its `finally`s and `await using`s: servers stop, temp
  // directories go.
  await runMain("real_site", main);
}
