/**
 * The package: deno.json names it, versions it and exports the library and
 * the CLI, and `deno publish --dry-run` (which runs offline: it checks the
 * files, the types and the public API's explicit types, and uploads
 * nothing) passes; and the CLI's start-up loads no optional feature's code
 * (`deno info --json main.ts`, static imports only).
 *
 * @module
 */

import assert from "node:assert/strict";
import { ROOT } from "./support/cli_run.ts";

Deno.test("package: deno.json has a name, a version and exports for the library and the CLI", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  assert.match(config.name, /^@[a-z0-9-]+\/[a-z0-9-]+$/);
  assert.match(config.version, /^\d+\.\d+\.\d+$/);
  assert.deepEqual(config.exports, {
    ".": "./src/mod.ts",
    "./async": "./src/async/mod.ts",
    "./cli": "./main.ts",
  });
  for (const file of Object.values(config.exports) as string[]) {
    assert.ok((await Deno.stat(`${ROOT}${file}`)).isFile, file);
  }
});

Deno.test("package: deno publish --dry-run passes", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    // --allow-dirty: the check runs on a working tree, committed or not.
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stderr);
  assert.equal(code, 0, text);
  assert.match(text, /Success Dry run complete/);
  // Only the package's own files are published: no tests, fixtures or benchmarks.
  assert.doesNotMatch(text, /\/(tests|fixtures|bench)\//);
});

Deno.test("package: the CLI loads no optional feature's code until a run uses it", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const graph = JSON.parse(new TextDecoder().decode(stdout)) as {
    roots: string[];
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
    }[];
  };
  const modules = new Map(graph.modules.map((module) => [module.specifier, module]));
  // What start-up loads: the modules reached from main.ts by static imports only.
  const loaded = new Set<string>(graph.roots);
  const queue = [...graph.roots];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    for (const dependency of modules.get(next)?.dependencies ?? []) {
      const target = dependency.code?.specifier;
      if (dependency.isDynamic || target === undefined || loaded.has(target)) continue;
      loaded.add(target);
      queue.push(target);
    }
  }
  const root = new URL(`file://${ROOT}`).href;
  const own = [...loaded].filter((s) => s.startsWith(root)).map((s) => s.slice(root.length));
  assert.ok(own.includes("src/pipeline/run.ts"), "the walk reaches the pipeline");
  // Each of these is imported by the run that uses it (--warc, --state, --report, link checks,
  // --redis, --render); the Redis job's name check and the render match rules are small.
  const optional = own.filter((path) =>
    /^src\/(warc|sqlite|report|linkcheck|redis|render)\//.test(path) &&
    !["src/redis/job_settings.ts", "src/redis/url.ts", "src/render/match.ts"].includes(path)
  );
  assert.deepEqual(optional, []);
  // The record's zod schema is for reading records back; a crawl only writes them.
  assert.ok(!own.includes("src/output/record_schema.ts"), "the record schema is not loaded");
  // The selector engine (cheerio-select, and css-select under it) checks a CSS selector when an
  // option or rule names one: about 25 ms of start-up that a plain crawl does not pay.
  const packages = [...loaded].filter((s) =>
    /^npm:\/?(ioredis|warcio|cheerio@|cheerio-select|css-select|tough-cookie|croner|csv-)/.test(s)
  );
  assert.deepEqual(packages, []);
});
