import { runCli } from "./src/cli/main.ts";
let peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0 };
let maxUsed = 0;
const t = setInterval(() => { const m = Deno.memoryUsage(); if (m.heapUsed > maxUsed) maxUsed = m.heapUsed; if (m.rss > peak.rss) peak = m; }, 20);
await runCli(["--seeds", Deno.args[0], "--allow-private", "--ignore-robots", "--per-host", "32", "--concurrency", "32", "--out", "/tmp/o3.jsonl", "--quiet", ...Deno.args.slice(1)], { stop: new AbortController(), abort: new AbortController() });
clearInterval(t);
const f = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Math.round(v / 1e6)]));
console.log("peak", f(peak), "maxHeapUsed", Math.round(maxUsed / 1e6), "end", f(Deno.memoryUsage() as never));
