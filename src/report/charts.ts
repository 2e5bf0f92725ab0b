/**
 * The report's charts, as inline SVG (no scripts): horizontal bars for the
 * outcomes, vertical histograms for depth and response time. Each chart is
 * an image named by its title and described by its data, for screen readers.
 *
 * @module
 */

import { type Html, markup, num } from "./markup.ts";

/** One bar of a chart. */
export interface Bar {
  /** The category, shown by the bar. */
  label: string;
  /** The count, the bar's length. */
  value: number;
  /** A literal colour: SVG presentation attributes do not take `var()`. */
  color: string;
}

/** The `<svg>` opening: an image role named by its `<title>` and described by its data. */
function svgOpen(id: string, title: string, bars: Bar[], w: number, h: number): Html {
  const desc = bars.map((b) => `${b.label}: ${num(b.value)}`).join("; ");
  return markup`<svg id="${id}" class="chart" role="img" aria-labelledby="${id}-t ${id}-d"
viewBox="0 0 ${w} ${h}" width="100%"><title id="${id}-t">${title}</title>
<desc id="${id}-d">${desc}</desc>`;
}

/**
 * Horizontal bars, a label left and the count and share right of each.
 *
 * @param id The `<svg>` element's id (its title and description get `-t` and `-d`).
 * @param title The chart's accessible name.
 * @param bars The bars, top first.
 * @returns The `<svg>` element.
 *
 * @example Usage
 * ```ts
 * import { hbars } from "./charts.ts";
 * import assert from "node:assert/strict";
 *
 * const svg = hbars("status-chart", "Records by status", [
 *   { label: "200 OK", value: 90, color: "#2e9e5b" },
 *   { label: "404 Not Found", value: 10, color: "#e8912d" },
 * ]);
 * assert.match(svg.text, /<title id="status-chart-t">Records by status<\/title>/);
 * assert.match(svg.text, /\(10\.0%\)/);
 * ```
 */
export function hbars(id: string, title: string, bars: Bar[]): Html {
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

/**
 * A histogram: vertical bars over category labels, gridlines, counts on top.
 *
 * @param id The `<svg>` element's id (its title and description get `-t` and `-d`).
 * @param title The chart's accessible name.
 * @param bars The bars, left first.
 * @param xTitle The caption under the x axis.
 * @returns The `<svg>` element.
 *
 * @example Usage
 * ```ts
 * import { vbars } from "./charts.ts";
 * import assert from "node:assert/strict";
 *
 * const svg = vbars("depth-chart", "Records by depth", [
 *   { label: "0", value: 1, color: "#3b7dd8" },
 *   { label: "1", value: 25, color: "#3b7dd8" },
 * ], "links from a seed");
 * assert.equal((svg.text.match(/<rect /g) ?? []).length, 2);
 * ```
 */
export function vbars(id: string, title: string, bars: Bar[], xTitle: string): Html {
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
