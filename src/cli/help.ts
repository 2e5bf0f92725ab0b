/**
 * The CLI's `--help` text. The defaults it shows are read from where they are
 * set (the options schema, the Redis job, the CLI's own flags), never written
 * here again.
 *
 * @module
 */

import { DEFAULT_FORMAT, OUTPUT_FORMATS } from "../output/sink.ts";
import { OPTION_DEFAULTS as D } from "../pipeline/options.ts";
import { DEFAULT_LEASE_MS } from "../redis/job_settings.ts";

/** How long a stopped crawl may finish its in-flight work before it is aborted, in ms. */
export const DEFAULT_GRACE_MS = 10_000;

/** Between progress lines when stderr is not a terminal, in ms, unless `--progress-interval`. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 5_000;

/** The `--help` text. */
export const HELP = `Usage: deno run -P main.ts --seeds URL[,URL...] [options]
       deno run -P main.ts export (--state FILE [--run N|latest|all] | --redis URL --job NAME)
                           [--out FILE] [--format F] [--links-out FILE] [--fail-on-broken]
                           [--warc-files]

Crawls from the seeds and writes one JSON record per URL (JSON Lines).

Input and output
  --seeds LIST|FILE|-      comma-separated URLs, a file of URLs (one a line, # comments), or - for stdin
  --config FILE            options as JSON, keyed by option name ("timeoutMs" for --timeout; every
                           key is listed in docs/options.md); flags override it
  --out FILE               write records here (default: stdout)
  --format ${
  OUTPUT_FORMATS.join("|")
}  output format (default: from --out's extension .jsonl/.ndjson, .json, .csv,
                           else ${DEFAULT_FORMAT}; json and csv are renamed into place at the end)
  --report FILE            also write a self-contained HTML report of the crawl
  --warc FILE.warc.gz      also archive every request and response as WARC/1.1, in files
                           FILE-TIMESTAMP-SERIAL.warc.gz (see docs/warc.md)
  --warc-max-size BYTES    start a new WARC file past this size (default ${D.warcMaxSize})
  --warc-cdx               write a CDXJ index (for pywb) beside each WARC file

Link checking
  --links-out FILE         write every link of the crawled pages with its target's status, one row
                           each (page, target, tag, link text, result): .csv, .jsonl or .json
  --check LIST             also check, never crawl: assets (images, scripts, stylesheets, icons,
                           frames, media), external (links out of scope), fragments (#ids exist)
  --accept LIST            4xx/5xx statuses that count as fine, e.g. 403 or 400..403
  --fail-on-broken         exit 3 when a link on the crawled pages is broken
  --link-refs              keep each link's tag and text in the records (refs); on with --check

What it says (on stderr)
  -q, --quiet              errors and hints only
  -v, --verbose            also a line per URL fetched
  --progress-interval MS   when stderr is not a terminal, a progress line this often
                           (default ${DEFAULT_PROGRESS_INTERVAL_MS}; 0 for none); on a terminal a live status line
  --stats-json             print the JSON stats line on stdout (needs --out FILE); without it the
                           line ends stderr when stderr is not a terminal
  -V, --version            print the name and version
  -h, --help               print this help

Durable crawls and scheduled jobs
  --state FILE             keep the crawl in SQLite: a rerun resumes it; output stays exactly-once
  --restart                start the state over (needed when seeds or scope changed)
  --recrawl                new run over the known URLs, sending If-None-Match/If-Modified-Since
  --changed-only           write records only for new or changed pages (304s are left out)
  --max-age MS             with --recrawl, skip URLs fetched less than this long ago
  --schedule CRON          keep running; start an incremental run on each tick (needs --state);
                           "{run}" in --out becomes the run id
  --fail-on-errors N       exit 3 when a run ends with more than N errors

Several processes or machines (one crawl shared through Redis)
  --redis URL              redis:// or rediss:// (password allowed; never printed)
  --job NAME               the shared crawl's name (required with --redis)
  --lease-ms MS            how long a URL stays leased to a process that stops answering (default ${DEFAULT_LEASE_MS})
  export --redis URL --job NAME [--out FILE] [--format F] [--links-out FILE] [--fail-on-broken]
                           write all of the job's records (export --state FILE: a state's), and
                           the link table of all of them; --fail-on-broken judges the whole job
  export ... --warc-files  list the WARC files the crawl wrote instead of its records

Extraction
  --extract FILE           declarative extraction rules (JSON): CSS selectors per URL pattern
  --extract-module MODULE  a module whose extract($, page) export fills each record's data
  --links-from SELECTOR    follow only links inside (or matching) this selector

Scope and limits
  --scope host|domain|any  how far from the seeds' hosts to go (default ${D.scope})
  --include REGEX          follow only URLs matching one of these (repeatable)
  --exclude REGEX          never follow URLs matching one of these (repeatable)
  --max-pages N            stop after taking this many URLs for fetching (seeds included), in the
                           whole crawl: with --state every run counts
  --max-pages-per-run N    stop after this many URLs in this invocation, whatever earlier runs did
  --max-depth N            most links followed from a seed
  --max-duration MS        stop taking new URLs after this long
  --follow-nofollow        follow rel=nofollow links too
  --strip-params LIST      drop these query parameters for dedupe (utm_*,fbclid)
  --sort-query             sort query parameters for dedupe
  --dedupe-canonical       treat rel=canonical targets as seen; skip pages whose canonical was seen
  --max-url-length N       longest URL queued (default ${D.maxUrlLength})
  --max-pages-per-host N   most URLs queued per host
  --sitemaps               also seed from robots.txt Sitemap: lines and /sitemap.xml
  --max-sitemap-urls N     most URLs taken from sitemaps (default ${D.maxSitemapUrls})

Politeness and safety
  --user-agent TEXT        User-Agent header; its product token selects the robots.txt group
  --ignore-robots          do not fetch or obey robots.txt
  --log-skipped            write records (error "robots") for URLs robots.txt disallows
  --per-host N             most requests in flight per host (default ${D.perHost})
  --delay MS               least interval between requests to one host (default ${D.delayMs})
  --retries N              extra attempts after a transient failure (default ${D.retries})
  --retry-delay MS         first retry backoff, doubling per attempt, with jitter (default ${D.retryDelayMs})
  --max-retry-delay MS     longest retry backoff (default ${D.maxRetryDelayMs})
  --max-retry-after MS     longest Retry-After pause honoured (default ${D.maxRetryAfterMs})
  --allow-private          allow private, loopback and link-local addresses
  --allow-address CIDR     allow this range despite the private-address guard (repeatable)
  --cookies                keep cookies across requests
  --header "NAME: VALUE"   send this header with page requests (repeatable); Authorization and
                           Cookie go to the seeds' origins only, never across a redirect
  --proxy URL              send every request through this proxy (http://, https://, socks5://);
                           without it Deno honours HTTP_PROXY, HTTPS_PROXY and NO_PROXY

Pipeline
  --concurrency N          most requests in flight (default ${D.concurrency})
  --fetchers N             fetcher workers (default: concurrency)
  --parsers N              parser Web Workers (default: 0, parse in the main isolate; one per
                           core when pages are loaded into a DOM: --extract rules, --parser parse5)
  --parse-timeout MS       longest a page may take to parse in a worker (default ${D.parseTimeoutMs}); past it
                           the worker is replaced and the page recorded parse_timeout (workers only)
  --queue-size N           pages buffered between fetchers and parsers, and pages each parser worker
                           may hold (default ${D.queueSize})
  --shutdown count|sentinel  how parsers learn the crawl is over (default ${D.shutdown})
  --parser htmlparser2|parse5  HTML parser (default ${D.parser})

Requests
  --timeout MS             whole-request deadline (default ${D.timeoutMs})
  --max-bytes N            most body bytes read (default ${D.maxBytes})
  --max-redirects N        most redirects followed (default ${D.maxRedirects})
  --grace MS               after SIGINT/SIGTERM, how long in-flight work may finish (default ${DEFAULT_GRACE_MS})

Exit status: 0 crawl finished, 1 could not run, 2 bad input, 3 more errors than --fail-on-errors
or a broken link with --fail-on-broken, 4 not a single page could be fetched, 130 SIGINT, 143 SIGTERM.
`;
