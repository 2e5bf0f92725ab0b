/**
 * The `--report` HTML report: one self-contained file (inline CSS, charts as
 * inline SVG, no scripts, no external resources) built from a stream of
 * records with bounded memory, so a crawl of millions of pages can have one.
 *
 * @module
 */

import type { CrawlRecord } from "./record.ts";
import type { CrawlSummary } from "./stats.ts";

/** Upper bounds (exclusive, ms) and labels of the response-time histogram's buckets. */
export const RESPONSE_TIME_BUCKETS: readonly { readonly maxMs: number; readonly label: string }[] =
  [
    { maxMs: 50, label: "<50ms" },
    { maxMs: 100, label: "50–100" },
    { maxMs: 250, label: "100–250" },
    { maxMs: 500, label: "250–500" },
    { maxMs: 1000, label: "0.5–1s" },
    { maxMs: 2000, label: "1–2s" },
    { maxMs: 5000, label: "2–5s" },
    { maxMs: Infinity, label: ">5s" },
  ];

/** Depths from this one up share the last bucket of the depth histogram. */
export const DEPTH_BUCKETS = 30;

/** Options for {@linkcode ReportBuilder}: how much of each list is kept. */
export interface ReportBuilderOptions {
  /** Slowest pages kept. Default 20. */
  slowest?: number;
  /** Broken links kept (the rest are counted). Default 1,000. */
  maxBroken?: number;
  /** Redirect chains kept (the rest are counted). Default 500. */
  maxRedirects?: number;
  /** Robots-blocked URLs kept (the rest are counted). Default 1,000. */
  maxRobots?: number;
}

/** A page in the slowest-pages table. */
export interface SlowPage {
  /** The final URL. */
  url: string;
  /** `<title>` text, or `null`. */
  title: string | null;
  /** The HTTP status. */
  status: number;
  /** Request time, ms. */
  durationMs: number;
  /** Body bytes. */
  bytes: number;
}

/** A failed URL and where it was found. */
export interface BrokenLink {
  /** The URL as queued. */
  url: string;
  /** The HTTP status, or `null` when no response came. */
  status: number | null;
  /** The record's error code. */
  error: string;
  /** The record's error detail, if any. */
  errorMessage: string | null;
  /** The first page the URL was found on (`null` for a seed). */
  parent: string | null;
}

/** A redirect chain: the hops, then the final URL and its outcome. */
export interface RedirectChain {
  /** Each redirecting URL and its status, first hop first (at most 20 kept). */
  hops: { url: string; status: number }[];
  /** The final URL. */
  url: string;
  /** The final status, or `null`. */
  status: number | null;
  /** The error code when the chain failed (loop, too many, ...). */
  error: string | null;
}

/** What {@linkcode ReportBuilder} has accumulated. */
export interface ReportSnapshot {
  /** Records added. */
  records: number;
  /** Records by outcome: the status code, or the error code when it is not an HTTP one. */
  outcomes: Record<string, number>;
  /** Records by depth; the last bucket holds depths ≥ {@linkcode DEPTH_BUCKETS} - 1. */
  depths: number[];
  /** Requests by {@linkcode RESPONSE_TIME_BUCKETS} bucket. */
  responseTimes: number[];
  /** Sum of the request times counted in `responseTimes`, ms. */
  totalResponseMs: number;
  /** The slowest pages that got a response, slowest first. */
  slowest: SlowPage[];
  /** Broken links kept, in the order seen. */
  broken: BrokenLink[];
  /** Broken links seen. */
  brokenTotal: number;
  /** Redirect chains kept, in the order seen. */
  redirects: RedirectChain[];
  /** Redirect chains seen. */
  redirectTotal: number;
  /** Robots-blocked URLs kept, with the page each was found on. */
  robots: { url: string; parent: string | null }[];
  /** Robots-blocked URLs seen. */
  robotsTotal: number;
}

/** What the report says about the crawl besides its records. */
export interface ReportMeta {
  /** The seed URLs. */
  seeds: string[];
  /** When the crawl started, ISO 8601. */
  startedAt: string;
  /** The crawl's options, shown as a table. */
  options?: Record<string, unknown>;
}

/** Error codes of URLs that never got a request: no response time to count. */
const NOT_FETCHED = new Set([
  "robots",
  "out_of_scope",
  "duplicate",
  "blocked_address",
  "permission",
]);
/** Error codes that make a link broken: nothing usable at the other end. */
const BROKEN = new Set([
  "http_4xx",
  "http_5xx",
  "timeout",
  "dns",
  "refused",
  "reset",
  "tls",
  "network",
  "redirect_loop",
  "too_many_redirects",
  "bad_redirect",
]);
/** URLs come from the web: bound what one kept string can cost. */
const MAX_URL = 2048;
const MAX_HOPS = 20;

function clip(text: string): string {
  return text.length > MAX_URL ? `${text.slice(0, MAX_URL)}…` : text;
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create report builder as '${name}' must be a positive integer: received ${value}`,
    );
  }
  return value;
}

/**
 * Accumulates records into bounded state and renders the HTML report.
 *
 * @example Usage
 * ```ts
 * import { ReportBuilder } from "./report.ts";
 * import { CrawlStats } from "./stats.ts";
 * import assert from "node:assert/strict";
 *
 * const builder = new ReportBuilder();
 * const stats = new CrawlStats();
 * const record = {
 *   url: "https://example.org/", requestedUrl: "https://example.org/", status: 200, depth: 0,
 *   parent: null, fetchedAt: new Date().toISOString(), contentType: "text/html", bytes: 512,
 *   durationMs: 42, attempts: 1, title: "Home", description: null, canonical: null, h1: [],
 *   links: [],
 * };
 * builder.add(record);
 * stats.record(record);
 * const html = builder.render(stats.summary(), {
 *   seeds: ["https://example.org/"],
 *   startedAt: new Date().toISOString(),
 * });
 * assert.ok(html.startsWith("<!doctype html>"));
 * ```
 */
export class ReportBuilder {
  #slowestMax: number;
  #brokenMax: number;
  #redirectMax: number;
  #robotsMax: number;
  #data: ReportSnapshot = {
    records: 0,
    outcomes: {},
    depths: [],
    responseTimes: RESPONSE_TIME_BUCKETS.map(() => 0),
    totalResponseMs: 0,
    slowest: [],
    broken: [],
    brokenTotal: 0,
    redirects: [],
    redirectTotal: 0,
    robots: [],
    robotsTotal: 0,
  };

  /**
   * Creates an empty report.
   *
   * @param options How many slowest pages, broken links, redirect chains and robots-blocked URLs to keep.
   * @throws {RangeError} If a limit is not a positive integer.
   */
  constructor(options: ReportBuilderOptions = {}) {
    this.#slowestMax = positive("slowest", options.slowest ?? 20);
    this.#brokenMax = positive("maxBroken", options.maxBroken ?? 1000);
    this.#redirectMax = positive("maxRedirects", options.maxRedirects ?? 500);
    this.#robotsMax = positive("maxRobots", options.maxRobots ?? 1000);
  }

  /**
   * Counts one record; keeps it only while a capped list has room.
   *
   * @param record A crawl record.
   */
  add(record: CrawlRecord): void {
    const d = this.#data;
    d.records++;
    const error = record.error;
    const outcome = error && !error.startsWith("http_") ? error : String(record.status ?? "none");
    d.outcomes[outcome] = (d.outcomes[outcome] ?? 0) + 1;
    const depth = Math.min(record.depth, DEPTH_BUCKETS - 1);
    while (d.depths.length <= depth) d.depths.push(0);
    d.depths[depth]!++;
    if (!error || !NOT_FETCHED.has(error)) {
      const i = RESPONSE_TIME_BUCKETS.findIndex((b) => record.durationMs < b.maxMs);
      // -1 only for a NaN or infinite time from a hand-made record: count it as slowest.
      d.responseTimes[i === -1 ? RESPONSE_TIME_BUCKETS.length - 1 : i]!++;
      d.totalResponseMs += record.durationMs || 0;
    }
    this.#addSlow(record);
    if (error && BROKEN.has(error)) {
      if (d.brokenTotal++ < this.#brokenMax) {
        d.broken.push({
          url: clip(record.requestedUrl),
          status: record.status,
          error,
          errorMessage: record.errorMessage ? clip(record.errorMessage) : null,
          parent: record.parent === null ? null : clip(record.parent),
        });
      }
    }
    if (record.redirects?.length && d.redirectTotal++ < this.#redirectMax) {
      d.redirects.push({
        hops: record.redirects.slice(0, MAX_HOPS).map((h) => ({
          url: clip(h.url),
          status: h.status,
        })),
        url: clip(record.url),
        status: record.status,
        error: error ?? null,
      });
    }
    if (error === "robots" && d.robotsTotal++ < this.#robotsMax) {
      d.robots.push({
        url: clip(record.requestedUrl),
        parent: record.parent === null ? null : clip(record.parent),
      });
    }
  }

  /**
   * Keeps the top N of records that got a response (a timeout is not a slow
   * page), as a sorted array: N is small, so a binary insert beats a heap.
   */
  #addSlow(record: CrawlRecord): void {
    const list = this.#data.slowest;
    if (record.status === null) return;
    if (list.length === this.#slowestMax && record.durationMs <= list.at(-1)!.durationMs) return;
    let lo = 0, hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.durationMs >= record.durationMs) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, {
      url: clip(record.url),
      title: record.title === null ? null : clip(record.title),
      status: record.status,
      durationMs: record.durationMs,
      bytes: record.bytes,
    });
    if (list.length > this.#slowestMax) list.pop();
  }

  /**
   * The accumulated state (a copy).
   *
   * @returns Counts, histograms and the kept lists.
   */
  snapshot(): ReportSnapshot {
    return structuredClone(this.#data);
  }

  /**
   * Renders the report.
   *
   * @param summary The crawl's summary.
   * @param meta Seeds, start time and options.
   * @returns One self-contained HTML document.
   */
  render(summary: CrawlSummary, meta: ReportMeta): string {
    return renderReport(this.snapshot(), summary, meta);
  }
}

// --- rendering -----------------------------------------------------------

/** Markup that is already safe; everything else interpolated into {@linkcode markup} is escaped. */
class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Everything shown comes from the web or the command line, so escaping is the default. */
function part(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(part).join("");
  if (value === null || value === undefined || value === false) return "";
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function markup(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += part(values[i]) + strings[i + 1]!;
  return new Html(out);
}

const nf = new Intl.NumberFormat("en-US");
const num = (n: number): string => nf.format(n);

function fmtMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor(s / 60) % 60} min`;
}

/** `2025-01-01 10:00:00 UTC` from an ISO date; anything else as given. */
function fmtDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

function fmtBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  for (; n >= 1024 && i < units.length - 1; i++) n /= 1024;
  return `${i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

/** Only http(s) URLs become links; anything else (`javascript:`...) stays text. */
function link(url: string | null): Html {
  if (url === null) return markup`<span class="muted">(seed)</span>`;
  const shown = url.length > 140 ? `${url.slice(0, 140)}…` : url;
  if (!/^https?:\/\//i.test(url)) return markup`<span class="url">${shown}</span>`;
  return markup`<a class="url" href="${url}" title="${url}" rel="noopener noreferrer">${shown}</a>`;
}

const REASONS: Record<string, string> = {
  200: "OK",
  204: "No Content",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  410: "Gone",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

const ERROR_LABELS: Record<string, string> = {
  robots: "blocked by robots.txt",
  refused: "connection refused",
  reset: "connection reset",
  dns: "DNS lookup failed",
  tls: "TLS error",
  network: "network error",
  too_large: "body too large",
  redirect_loop: "redirect loop",
  too_many_redirects: "too many redirects",
  bad_redirect: "bad redirect",
  blocked_address: "blocked address",
  out_of_scope: "out of scope",
  parse: "parse error",
  decode: "decode error",
  permission: "not permitted",
};

/** Literal colours: SVG presentation attributes do not take `var()`. */
const COLORS = { c2: "#2e9e5b", c3: "#3b7dd8", c4: "#e8912d", c5: "#d64545", err: "#8d5cc4" };
const SKIP = "#98a2b3";

function outcomeColor(key: string): string {
  const code = Number(key);
  if (!Number.isInteger(code)) return key === "robots" ? SKIP : COLORS.err;
  if (code >= 500) return COLORS.c5;
  if (code >= 400) return COLORS.c4;
  if (code >= 300) return COLORS.c3;
  return code >= 200 ? COLORS.c2 : SKIP;
}

function pill(status: number | null, error?: string | null): Html {
  const key = error && !error.startsWith("http_") ? error : String(status ?? error ?? "none");
  return markup`<span class="pill" style="background:${outcomeColor(key)}">${key}</span>`;
}

interface Bar {
  label: string;
  value: number;
  color: string;
}

/** The `<svg>` opening: an image role named by its `<title>` and described by its data. */
function svgOpen(id: string, title: string, bars: Bar[], w: number, h: number): Html {
  const desc = bars.map((b) => `${b.label}: ${num(b.value)}`).join("; ");
  return markup`<svg id="${id}" class="chart" role="img" aria-labelledby="${id}-t ${id}-d"
viewBox="0 0 ${w} ${h}" width="100%"><title id="${id}-t">${title}</title>
<desc id="${id}-d">${desc}</desc>`;
}

/** Horizontal bars, a label left and the count and share right of each. */
function hbars(id: string, title: string, bars: Bar[]): Html {
  const w = 1080, labelW = 230, rowH = 30, valueW = 130;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const total = bars.reduce((s, b) => s + b.value, 0) || 1;
  const rows = bars.map((b, i) => {
    const y = 4 + i * rowH, ty = y + 15;
    const bw = Math.max(2, (b.value / max) * (w - labelW - valueW));
    const pct = ((b.value / total) * 100).toFixed(1);
    return markup`<text x="${labelW - 10}" y="${ty}" text-anchor="end" class="lbl">${b.label}</text>
<rect x="${labelW}" y="${y}" width="${bw.toFixed(1)}" height="20" rx="4" fill="${b.color}">
<title>${b.label}: ${num(b.value)}</title></rect>
<text x="${(labelW + bw + 8).toFixed(1)}" y="${ty}" class="val">${num(b.value)}
<tspan class="pct">(${pct}%)</tspan></text>`;
  });
  return markup`${svgOpen(id, title, bars, w, bars.length * rowH + 8)}${rows}</svg>`;
}

/** A histogram: vertical bars over category labels, gridlines, counts on top. */
function vbars(id: string, title: string, bars: Bar[], xTitle: string): Html {
  const w = 540, h = 280, l = 48, r = 10, t = 22, b = 52;
  const raw = Math.max(1, ...bars.map((x) => x.value));
  const step = niceStep(raw / 4);
  const max = Math.ceil(raw / step) * step;
  const slot = (w - l - r) / Math.max(1, bars.length);
  const gap = Math.min(8, slot * 0.15);
  const y = (v: number) => (t + (h - t - b) * (1 - v / max)).toFixed(1);
  const grid: Html[] = [];
  for (let v = 0; v <= max; v += step) {
    grid.push(markup`<line x1="${l}" x2="${w - r}" y1="${y(v)}" y2="${y(v)}" class="grid"/>
<text x="${l - 6}" y="${Number(y(v)) + 4}" text-anchor="end" class="tick">${num(v)}</text>`);
  }
  const cols = bars.map((bar, i) => {
    const x = (l + i * slot + gap).toFixed(1), cx = (l + i * slot + slot / 2).toFixed(1);
    const top = y(bar.value), height = (h - b - Number(top)).toFixed(1);
    const label = bar.value > 0 && slot >= 18 &&
      markup`<text x="${cx}" y="${Number(top) - 5}" text-anchor="middle" class="val">${
        num(bar.value)
      }</text>`;
    return markup`<rect x="${x}" y="${top}" width="${
      (slot - 2 * gap).toFixed(1)
    }" height="${height}"
rx="3" fill="${bar.color}"><title>${bar.label}: ${num(bar.value)}</title></rect>
<text x="${cx}" y="${h - b + 16}" text-anchor="middle" class="tick">${bar.label}</text>${label}`;
  });
  return markup`${svgOpen(id, title, bars, w, h)}${grid}${cols}
<text x="${(l + w - r) / 2}" y="${
    h - 10
  }" text-anchor="middle" class="axis">${xTitle}</text></svg>`;
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(1, raw)));
  const m = raw / p;
  return Math.max(1, (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p);
}

const NUMERIC = new Set(["#", "Hops", "Time", "Size"]);

/** A table panel with its count in the heading, and "…and N more" under a capped list. */
function tablePanel(
  id: string,
  title: string,
  total: number,
  head: string[],
  rows: Html[],
  note?: string,
): Html {
  const more = total > rows.length &&
    markup`<p class="more">…and ${num(total - rows.length)} more not listed.</p>`;
  const body = total === 0
    ? markup`<p class="empty">None.</p>`
    : markup`<table><thead><tr>${
      head.map((h) => markup`<th class="${NUMERIC.has(h) && "num"}">${h}</th>`)
    }</tr></thead><tbody>${rows}</tbody></table>${more}`;
  return markup`<section class="panel" id="${id}"><h2>${title}
<span class="count">${num(total)}</span></h2>${note && markup`<p class="note">${note}</p>`}${body}
</section>`;
}

function card(label: string, value: string, sub: string, accent: string): Html {
  return markup`<div class="card" style="--accent:${accent}"><div class="k">${label}</div>
<div class="v">${value}</div><div class="sub">${sub}</div></div>`;
}

function show(value: unknown): string {
  if (typeof value === "number") return num(value);
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function renderReport(d: ReportSnapshot, s: CrawlSummary, meta: ReportMeta): string {
  const robots = s.errors.robots ?? 0;
  const errors = Object.values(s.errors).reduce((a, b) => a + b, 0) - robots;
  const timed = d.responseTimes.reduce((a, b) => a + b, 0);
  const isCode = (k: string) => /^\d+$/.test(k);
  const keys = Object.keys(d.outcomes).sort((a, b) =>
    isCode(a) !== isCode(b)
      ? (isCode(a) ? -1 : 1)
      : isCode(a)
      ? Number(a) - Number(b)
      : d.outcomes[b]! - d.outcomes[a]!
  );
  const statusBars = keys.map((k) => ({
    label: REASONS[k] ? `${k} ${REASONS[k]}` : ERROR_LABELS[k] ?? k,
    value: d.outcomes[k]!,
    color: outcomeColor(k),
  }));
  const depthBars = d.depths.map((value, i) => ({
    label: i === DEPTH_BUCKETS - 1 ? `${i}+` : String(i),
    value,
    color: COLORS.c3,
  }));
  const ramp = [
    "#2e9e5b",
    "#5fae4f",
    "#95bd45",
    "#c9b93f",
    "#e6a93a",
    "#e08a1e",
    "#d9622e",
    "#d64545",
  ];
  const timeBars = RESPONSE_TIME_BUCKETS.map((b, i) => ({
    label: b.label,
    value: d.responseTimes[i]!,
    color: ramp[i]!,
  }));
  const host = meta.seeds.map((u) => URL.parse(u)?.host).find(Boolean) ?? "crawl";
  const details: [string, unknown][] = [
    ["Stopped by", s.stoppedBy],
    ["Max queue depth", s.maxQueueDepth],
    ["Retries", s.retries],
    ["CPU time", Number.isFinite(s.cpuMs) ? fmtMs(s.cpuMs) : undefined],
    ["Peak memory (RSS)", Number.isFinite(s.peakRssBytes) ? fmtBytes(s.peakRssBytes) : undefined],
    ...Object.entries(s.skipped).map(([k, v]): [string, unknown] => [`Not queued: ${k}`, v]),
    ...Object.entries(meta.options ?? {}).map(([k, v]): [string, unknown] => [`Option ${k}`, v]),
  ];
  const sub = (text: string | null) => text && markup`<div class="sub">${text}</div>`;
  const legend = [
    ["2xx", COLORS.c2],
    ["3xx", COLORS.c3],
    ["4xx", COLORS.c4],
    ["5xx", COLORS.c5],
    ["no response / failed", COLORS.err],
    ["blocked by robots", SKIP],
  ].map(([label, color]) => markup`<span><i style="background:${color}"></i>${label}</span>`);

  return markup`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Crawl report · ${host}</title>
<style>${new Html(CSS)}</style></head><body>
<header class="top"><div class="wrap"><h1>Crawl report</h1>
<p class="seeds">${meta.seeds.map(link)}</p>
<p class="meta">Started ${fmtDate(meta.startedAt)} · ran ${fmtMs(s.durationMs)} · ${
    num(s.records)
  } records ·
stopped: ${s.stoppedBy}</p></div></header>
<main class="wrap">
<section class="cards">
${card("Pages OK", num(s.pagesOk), `of ${num(s.records)} records`, COLORS.c2)}
${card("Errors", num(errors), robots ? `+ ${num(robots)} blocked by robots` : "failed", COLORS.c5)}
${card("Broken links", num(d.brokenTotal), "4xx, 5xx, unreachable", COLORS.c4)}
${card("Redirected", num(d.redirectTotal), "URLs behind redirects", COLORS.c3)}
${card("Pages / s", num(s.pagesPerSecond), `over ${fmtMs(s.durationMs)}`, "#1d2433")}
${card("Downloaded", fmtBytes(s.bytes), "body bytes", "#1d2433")}
${
    card(
      "Avg response",
      timed ? fmtMs(d.totalResponseMs / timed) : "–",
      `${num(timed)} requests`,
      "#1d2433",
    )
  }
</section>
<section class="panel" id="status"><h2>Status codes &amp; errors</h2>
${
    d.records
      ? markup`<div class="scroll">${
        hbars("status-chart", "Records by status code or error", statusBars)
      }</div>`
      : markup`<p class="empty">No records.</p>`
  }
<p class="legend">${legend}</p></section>
<div class="charts">
<section class="panel" id="depth"><h2>Depth</h2>
${
    vbars("depth-chart", "Records by depth (links from a seed)", depthBars, "links from a seed")
  }</section>
<section class="panel" id="timing"><h2>Response time</h2>
${
    vbars(
      "time-chart",
      "Requests by response time",
      timeBars,
      "ms unless marked s · request start to last body byte",
    )
  }</section>
</div>
${
    tablePanel(
      "slowest",
      "Slowest pages",
      d.slowest.length,
      ["#", "Page", "Status", "Time", "Size"],
      d.slowest.map((p, i) =>
        markup`<tr><td class="num muted">${i + 1}</td><td>${link(p.url)}${sub(p.title)}</td>
<td>${pill(p.status)}</td><td class="num strong">${fmtMs(p.durationMs)}</td>
<td class="num">${fmtBytes(p.bytes)}</td></tr>`
      ),
    )
  }
${
    tablePanel(
      "broken",
      "Broken links",
      d.brokenTotal,
      ["URL", "Status / error", "Linked from"],
      d.broken.map((b) =>
        markup`<tr><td>${link(b.url)}</td><td>${pill(b.status, b.error)}${sub(b.errorMessage)}</td>
<td>${link(b.parent)}</td></tr>`
      ),
      "“Linked from” is the first page the link was found on; other pages may link to it too.",
    )
  }
${
    tablePanel(
      "redirects",
      "Redirect chains",
      d.redirectTotal,
      ["Hops", "Chain"],
      d.redirects.map((c) =>
        markup`<tr><td class="num">${c.hops.length}</td><td><ol class="chain">
${c.hops.map((h) => markup`<li>${pill(h.status)} ${link(h.url)}</li>`)}
<li>${pill(c.status, c.error)} ${link(c.url)}</li></ol></td></tr>`
      ),
    )
  }
${
    tablePanel(
      "robots",
      "Blocked by robots.txt",
      d.robotsTotal,
      ["URL", "Linked from"],
      d.robots.map((r) => markup`<tr><td>${link(r.url)}</td><td>${link(r.parent)}</td></tr>`),
    )
  }
<section class="panel" id="details"><h2>Crawl details</h2><table class="kv"><tbody>
${
    details.filter(([, v]) => v !== undefined)
      .map(([k, v]) => markup`<tr><th>${k}</th><td>${show(v)}</td></tr>`)
  }
</tbody></table></section>
</main><footer class="wrap">Self-contained report: no scripts, no external resources.</footer>
</body></html>
`.text;
}

const CSS = `
:root{--bg:#f3f5f9;--panel:#fff;--ink:#1d2433;--muted:#667085;--line:#e6e9ef;}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;background:var(--bg);color:var(--ink)}
.wrap{max-width:1180px;margin:0 auto;padding:0 28px}
header.top{background:linear-gradient(135deg,#1d2a48,#2c4270);color:#fff;padding:28px 0 64px}
header h1{margin:0 0 6px;font-size:26px;font-weight:700;letter-spacing:-.01em}
header a.url{color:#cfe0ff}
.seeds{margin:0 0 4px;display:flex;flex-wrap:wrap;gap:6px 16px;font-size:15px}
.meta{margin:0;color:#b8c4dc;font-size:13px}
main.wrap{margin-top:-40px;padding-bottom:24px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px}
.card{background:var(--panel);border-radius:10px;padding:12px 16px;box-shadow:0 1px 3px rgba(16,24,40,.08);border-top:4px solid var(--accent)}
.card .k{color:var(--muted);font-size:11.5px;text-transform:uppercase;letter-spacing:.06em;font-weight:600}
.card .v{font-size:26px;font-weight:700;line-height:1.25;font-variant-numeric:tabular-nums}
.panel{background:var(--panel);border-radius:10px;padding:16px 20px;margin-top:16px;box-shadow:0 1px 3px rgba(16,24,40,.08)}
.panel h2{margin:0 0 10px;font-size:16px}
.count{display:inline-block;background:var(--bg);color:var(--muted);border-radius:999px;padding:0 9px;font-size:12.5px;margin-left:4px;vertical-align:2px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:16px;margin-top:16px}
.charts .panel{margin-top:0}
.scroll{overflow-x:auto}
#status-chart{min-width:640px}
svg.chart{display:block;height:auto;font-family:inherit}
svg .lbl{font-size:14px;fill:var(--ink)}
svg .val{font-size:13px;fill:var(--ink);font-weight:600}
svg .pct{fill:var(--muted);font-weight:400}
svg .tick{font-size:12px;fill:var(--muted)}
svg .axis{font-size:12px;fill:var(--muted);font-style:italic}
svg .grid{stroke:var(--line);stroke-width:1}
.legend{margin:10px 0 0;color:var(--muted);font-size:12.5px;display:flex;flex-wrap:wrap;gap:4px 18px}
.legend i{display:inline-block;width:11px;height:11px;border-radius:3px;margin-right:6px;vertical-align:-1px}
table{width:100%;border-collapse:collapse;font-size:13px}
th{text-align:left;color:var(--muted);font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.04em;border-bottom:2px solid var(--line);padding:6px 8px}
td{border-bottom:1px solid var(--line);padding:6px 8px;vertical-align:top}
tbody tr:nth-child(even)>*{background:#fafbfd}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.strong{font-weight:600}
a.url,span.url{color:#2457b5;text-decoration:none;word-break:break-all}
a.url:hover{text-decoration:underline}
.sub{color:var(--muted);font-size:12px}
.muted{color:var(--muted)}
.pill{display:inline-block;min-width:34px;text-align:center;border-radius:999px;padding:0 8px;font-size:11.5px;font-weight:700;color:#fff;line-height:18px;white-space:nowrap}
ol.chain{margin:0;padding:0;list-style:none}
ol.chain li{margin:1px 0}
ol.chain li+li::before{content:"↳";color:var(--muted);margin:0 6px 0 4px}
th.num,td.num{width:1%}
.note,.more{color:var(--muted);font-size:12.5px;margin:0 0 8px}
.more{margin:8px 0 0;font-style:italic}
.empty{color:var(--muted);margin:0}
table.kv th{width:240px;text-transform:none;letter-spacing:0;border-bottom:1px solid var(--line);font-size:13px}
table.kv td{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px;word-break:break-all}
footer{color:var(--muted);font-size:12px;padding-bottom:24px}
`;
