/**
 * Renders the `--report` HTML page from a {@linkcode ReportSnapshot}: one
 * self-contained file (inline CSS, charts as inline SVG, no scripts, no
 * external resources) whose every value from the web is escaped.
 *
 * @module
 */

import type { CrawlSummary } from "../output/stats.ts";
import { hbars, vbars } from "./charts.ts";
import { CSS } from "./css.ts";
import { fmtBytes, fmtDate, fmtMs, Html, markup, num } from "./markup.ts";
import {
  type BrokenTarget,
  DEPTH_BUCKETS,
  type LinkSummary,
  type ReportMeta,
  type ReportSnapshot,
  RESPONSE_TIME_BUCKETS,
} from "./snapshot.ts";

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
  render_crash: "browser crashed",
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

/** The broken URLs from the records alone (no link check): the first referrer of each. */
function brokenRecords(d: ReportSnapshot): Html {
  return tablePanel(
    "broken",
    "Broken links",
    d.brokenTotal,
    ["URL", "Status / error", "Linked from"],
    d.broken.map((b) =>
      markup`<tr><td>${link(b.url)}</td><td>${pill(b.status, b.error)}${sub(b.errorMessage)}</td>
<td>${link(b.parent)}</td></tr>`
    ),
    "“Linked from” is the first page the link was found on; other pages may link to it too.",
  );
}

/** One target's row: the target, what is wrong, and every referrer kept with its link text. */
function targetRow(t: BrokenTarget): Html {
  const more = t.count > t.referrers.length &&
    markup`<li class="muted">…and ${num(t.count - t.referrers.length)} more</li>`;
  return markup`<tr><td>${link(t.url)}</td><td>${pill(t.status, t.error)}${sub(t.errorMessage)}</td>
<td class="num">${num(t.count)}</td><td><ul class="refs">${
    t.referrers.map((r) =>
      markup`<li>${link(r.source)} <code>${r.tag}</code>${
        r.text === null ? markup`` : markup` <q>${r.text}</q>`
      }</li>`
    )
  }${more}</ul></td></tr>`;
}

/** The link check's broken targets, grouped by target, every referrer named. */
function brokenTargets(links: LinkSummary): Html {
  return tablePanel(
    "broken",
    "Broken links",
    links.brokenTotal,
    ["Target", "Status / error", "Links", "Linked from (page, element, link text)"],
    links.broken.map(targetRow),
    `${num(links.brokenLinks)} broken links to ${num(links.brokenTotal)} targets, of ${
      num(links.links)
    } links on the crawled pages.`,
  );
}

/** Targets a policy kept from being checked (robots.txt, the address guard...). */
function refusedTargets(links: LinkSummary): Html {
  return tablePanel(
    "refused",
    "Links not checked (refused by policy)",
    links.refusedTotal,
    ["Target", "Refused by", "Links", "Linked from (page, element, link text)"],
    links.refused.map(targetRow),
  );
}

function sub(text: string | null): Html | null {
  return text ? markup`<div class="sub">${text}</div>` : null;
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

/**
 * Renders the report page.
 *
 * @param d What the builder accumulated.
 * @param s The crawl's summary.
 * @param meta Seeds, start time and options.
 * @returns One self-contained HTML document.
 *
 * @example Usage
 * ```ts
 * import { renderReport } from "./html.ts";
 * import { ReportBuilder } from "./builder.ts";
 * import { CrawlStats } from "../output/stats.ts";
 * import assert from "node:assert/strict";
 *
 * const html = renderReport(new ReportBuilder().snapshot(), new CrawlStats().summary(), {
 *   seeds: ["https://example.org/"],
 *   startedAt: new Date().toISOString(),
 * });
 * assert.ok(html.includes("<title>Crawl report · example.org</title>"));
 * ```
 */
export function renderReport(d: ReportSnapshot, s: CrawlSummary, meta: ReportMeta): string {
  // robots.txt refusals are counted as skips, not errors (see CrawlStats).
  const robots = s.skipped.robots ?? 0;
  const errors = Object.values(s.errors).reduce((a, b) => a + b, 0);
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
  // `--changed-only` keeps unchanged pages out of the records: the summary still counts them.
  const unwritten = Math.max(0, s.unchanged - d.unchanged);
  if (unwritten > 0) {
    statusBars.push({ label: "unchanged, not written", value: unwritten, color: SKIP });
  }
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
${d.links ? brokenTargets(d.links) : brokenRecords(d)}
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
<section class="cards">
${card("Pages OK", num(s.pagesOk), `of ${num(s.pagesOk + errors)} fetched`, COLORS.c2)}
${
    s.unchanged > 0
      ? card(
        "Unchanged",
        num(s.unchanged),
        unwritten > 0
          ? `304 or same content · ${num(unwritten)} not written`
          : "304 or same content",
        COLORS.c3,
      )
      : markup``
  }
${
    d.rendered > 0
      ? card(
        "Rendered",
        num(d.rendered),
        d.blockedRequests > 0
          ? `in headless Chromium · ${num(d.blockedRequests)} requests blocked`
          : "in headless Chromium",
        COLORS.c3,
      )
      : markup``
  }
${card("Errors", num(errors), robots ? `+ ${num(robots)} blocked by robots` : "failed", COLORS.c5)}
${
    d.links
      ? card(
        "Broken links",
        num(d.links.brokenLinks),
        `to ${num(d.links.brokenTotal)} targets · ${num(d.links.links)} links checked`,
        COLORS.c4,
      )
      : card("Broken links", num(d.brokenTotal), "4xx, 5xx, unreachable", COLORS.c4)
  }
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
    d.records || unwritten
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
        markup`<tr><td class="num muted">${i + 1}</td><td>${link(p.url)}${
          p.rendered ? markup` <span class="tag">rendered</span>` : markup``
        }${sub(p.title)}</td>
<td>${pill(p.status)}</td><td class="num strong">${fmtMs(p.durationMs)}</td>
<td class="num">${fmtBytes(p.bytes)}</td></tr>`
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
${d.links && refusedTargets(d.links)}
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
