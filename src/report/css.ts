/**
 * The `--report` page's style sheet, inlined into the page: the report is one
 * self-contained file, with a Content-Security-Policy that allows inline
 * styles only.
 *
 * @module
 */

/** The report's CSS, written into its `<style>` element. */
export const CSS = `
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
.tag{display:inline-block;margin-left:6px;padding:0 6px;border-radius:8px;background:#e8eefc;color:#2f5fd0;font-size:11px}
.muted{color:var(--muted)}
.pill{display:inline-block;min-width:34px;text-align:center;border-radius:999px;padding:0 8px;font-size:11.5px;font-weight:700;color:#fff;line-height:18px;white-space:nowrap}
ol.chain{margin:0;padding:0;list-style:none}
ul.refs{margin:0;padding-left:14px}
ul.refs li{margin:1px 0;overflow-wrap:anywhere}
ul.refs code{font-size:11px;color:var(--muted)}
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
