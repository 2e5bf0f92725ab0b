/**
 * The SSRF guard: refuses URLs whose host is, or resolves to, a loopback,
 * private, link-local, multicast, reserved or unspecified address
 * (`blocked_ip.ts` has the ranges), unless the crawl allows private
 * addresses or the address lies in an allowed CIDR.
 *
 * Known gap, DNS rebinding: `fetch` resolves the name again when it
 * connects, so a name that answers with a public address here and a private
 * one a moment later gets through. Closing it would mean connecting to the
 * vetted address ourselves, which `fetch` cannot do.
 *
 * @module
 */

import { abortable } from "../async/abortable.ts";
import { BlockList, isIP } from "node:net";
import { BLOCKED, type Family, parseIp } from "./blocked_ip.ts";

/** `localhost` resolves to both loopbacks (RFC 6761), and is vetted as such. */
const LOCALHOST_ADDRESSES: readonly string[] = ["127.0.0.1", "::1"];

/** What {@linkcode AddressGuard.verdict} decides. */
export type Verdict = "allowed" | "blocked" | "unresolved";

/** Options for {@linkcode AddressGuard.check}. */
export interface AddressCheckOptions {
  /** Aborting it stops the wait; `check()` rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** Resolves a hostname to its IPv4 and IPv6 addresses. */
export type HostResolver = (
  hostname: string,
  options: { signal: AbortSignal },
) => Promise<string[]>;

/** Options for {@linkcode AddressGuard}. */
export interface AddressGuardOptions {
  /** Lift the guard entirely (`--allow-private`). Default `false`. */
  allowPrivate?: boolean;
  /**
   * Ranges let through even though blocked, e.g. `["127.0.0.2/32", "::1/128"]`.
   * A bare address means that one address; host bits past the prefix are ignored.
   */
  allowCidrs?: readonly string[];
  /** Resolves A and AAAA; default: `Deno.resolveDns`. */
  resolve?: HostResolver;
  /** Deadline of one hostname's resolution, in ms. Default 2000. */
  dnsTimeoutMs?: number;
  /** Most hostnames whose verdict is remembered (least recently used go first). Default 4096. */
  dnsCacheSize?: number;
}

/**
 * Resolves A and AAAA with `Deno.resolveDns`. A family that fails (no such
 * records, most often) counts as empty; only both failing is a failure.
 */
async function resolveWithDeno(
  hostname: string,
  options: { signal: AbortSignal },
): Promise<string[]> {
  const { signal } = options;
  const [a, aaaa] = await Promise.allSettled([
    Deno.resolveDns(hostname, "A", { signal }),
    Deno.resolveDns(hostname, "AAAA", { signal }),
  ]);
  if (a.status === "rejected" && aaaa.status === "rejected") throw a.reason;
  return [
    ...(a.status === "fulfilled" ? a.value : []),
    ...(aaaa.status === "fulfilled" ? aaaa.value : []),
  ];
}

/**
 * Vets URLs before they are queued, fetched or followed through a redirect.
 *
 * A host that is an IP literal or a `localhost` name is judged at once
 * ({@linkcode AddressGuard.checkLiteral}); any other name is resolved and
 * refused if ANY of its addresses is blocked ({@linkcode AddressGuard.check}).
 * A name that does not resolve (failure, timeout, or Deno's permissions
 * forbidding the lookup) is let through: the fetch itself then fails with
 * `dns` or `permission`, which is the more useful record.
 *
 * @example Usage
 * ```ts
 * import { AddressGuard } from "./address_guard.ts";
 * import assert from "node:assert/strict";
 *
 * const guard = new AddressGuard({ allowCidrs: ["127.0.0.2/32"] });
 * assert.equal(guard.checkLiteral("http://127.0.0.2:8000/"), true);
 * assert.equal(guard.checkLiteral("http://127.0.0.1:8000/"), false);
 * assert.equal(guard.checkLiteral("http://example.org/"), undefined); // needs DNS
 * assert.equal(await guard.check("http://0x7f.1/"), false);
 * ```
 */
export class AddressGuard {
  #allowPrivate: boolean;
  #allow: BlockList | undefined;
  #resolve: HostResolver;
  #dnsTimeoutMs: number;
  #cacheSize: number;
  /** Hostname → verdict, in least-recently-used order. */
  #cache = new Map<string, boolean>();
  /** Hostname → the first address its lookup gave, for as long as its verdict is cached. */
  #addresses = new Map<string, string>();
  /** Lookups under way, shared by concurrent checks of one hostname. */
  #lookups = new Map<string, Promise<boolean | undefined | "unvettable">>();

  /**
   * Creates a guard with the given allow-lists and resolver.
   *
   * @param options The allow-lists, resolver and DNS limits.
   * @throws {TypeError} If `allowCidrs` is not an array of CIDR ranges.
   * @throws {RangeError} If `dnsTimeoutMs` is not a positive number or
   * `dnsCacheSize` not a positive integer.
   */
  constructor(options: AddressGuardOptions = {}) {
    this.#allowPrivate = options.allowPrivate ?? false;
    const allowCidrs = options.allowCidrs ?? [];
    if (!Array.isArray(allowCidrs)) {
      throw new TypeError(
        `Cannot create address guard as 'allowCidrs' must be an array of CIDR ranges: received ${allowCidrs}`,
      );
    }
    if (allowCidrs.length > 0) {
      this.#allow = new BlockList();
      allowCidrs.forEach((cidr, i) => addCidr(this.#allow!, cidr, i));
    }
    const dnsTimeoutMs = options.dnsTimeoutMs ?? 2_000;
    if (!(dnsTimeoutMs > 0 && dnsTimeoutMs < Infinity)) {
      throw new RangeError(
        `Cannot create address guard as 'dnsTimeoutMs' must be a positive number: received ${dnsTimeoutMs}`,
      );
    }
    this.#dnsTimeoutMs = dnsTimeoutMs;
    const dnsCacheSize = options.dnsCacheSize ?? 4096;
    if (!Number.isInteger(dnsCacheSize) || dnsCacheSize < 1) {
      throw new RangeError(
        `Cannot create address guard as 'dnsCacheSize' must be a positive integer: received ${dnsCacheSize}`,
      );
    }
    this.#cacheSize = dnsCacheSize;
    this.#resolve = options.resolve ?? resolveWithDeno;
  }

  /**
   * Judges a URL without DNS: cheap and synchronous, for every link found.
   *
   * @param url An absolute URL.
   * @returns `true` if allowed, `false` if refused (an unparsable or hostless
   * URL included), `undefined` if only a DNS lookup can tell.
   */
  checkLiteral(url: string | URL): boolean | undefined {
    if (this.#allowPrivate) return true;
    const host = typeof url === "string" ? URL.parse(url)?.hostname : url.hostname;
    if (!host) return false;
    return this.#judgeLiteral(host) ?? this.#recall(host);
  }

  /**
   * Judges a URL, resolving its hostname if it is not an IP literal: for
   * the seed, before each fetch and at each redirect hop.
   *
   * @param url An absolute URL.
   * @param options An optional signal that aborts the wait.
   * @returns `true` if allowed, `false` if refused.
   * @throws The signal's reason, if it aborts; nothing else.
   */
  async check(url: string | URL, options: AddressCheckOptions = {}): Promise<boolean> {
    return (await this.verdict(url, options)) !== "blocked";
  }

  /**
   * Like {@linkcode AddressGuard.check}, but tells a refused address from a
   * name that did not resolve: the crawler refuses those too (as `dns`
   * failures), since `fetch` resolves names its own way and could reach a
   * private address the guard never saw. A name the guard may not look up
   * (Deno's `--allow-net` narrowed past the resolver) is allowed: Deno's
   * permissions then hold the fetch to the named hosts anyway.
   *
   * @param url An absolute URL.
   * @param options An optional signal that aborts the wait.
   * @returns `allowed`, `blocked`, or `unresolved`.
   * @throws The signal's reason, if it aborts; nothing else.
   */
  async verdict(url: string | URL, options: AddressCheckOptions = {}): Promise<Verdict> {
    const { signal } = options;
    signal?.throwIfAborted();
    if (this.#allowPrivate) return "allowed";
    const host = typeof url === "string" ? URL.parse(url)?.hostname : url.hostname;
    if (!host) return "blocked";
    const known = this.#judgeLiteral(host) ?? this.#recall(host);
    if (known !== undefined) return known ? "allowed" : "blocked";
    let lookup = this.#lookups.get(host);
    if (lookup === undefined) {
      lookup = this.#lookup(host).finally(() => this.#lookups.delete(host));
      this.#lookups.set(host, lookup);
    }
    const found = await (signal ? abortable(lookup, signal) : lookup);
    return found === true || found === "unvettable"
      ? "allowed"
      : found === false
      ? "blocked"
      : "unresolved";
  }

  /**
   * The address the guard vetted for a URL's host, for an archive's
   * `WARC-IP-Address`: an IP literal itself, or the first address a
   * resolved name gave (while its verdict is remembered).
   *
   * @param url An absolute URL.
   * @returns The address, or `undefined` when the guard did not resolve the
   * host (`localhost`, names let through by `allowPrivate`, or forgotten).
   *
   * @example Usage
   * ```ts
   * import { AddressGuard } from "./address_guard.ts";
   * import assert from "node:assert/strict";
   *
   * const guard = new AddressGuard({ resolve: () => Promise.resolve(["93.184.215.14"]) });
   * assert.equal(guard.addressOf("http://[::1]:8000/"), "::1");
   * await guard.check("https://example.org/");
   * assert.equal(guard.addressOf("https://example.org/a"), "93.184.215.14");
   * ```
   */
  addressOf(url: string): string | undefined {
    const host = URL.parse(url)?.hostname;
    if (!host) return undefined;
    if (host.startsWith("[")) return parseIp(host)?.address;
    if (isIP(host) === 4) return host;
    return this.#addresses.get(host);
  }

  /** The verdict for an IP literal or a `localhost` name; `undefined` for other names. */
  #judgeLiteral(host: string): boolean | undefined {
    const first = host.charCodeAt(0);
    const last = host.charCodeAt(host.length - 1);
    // The URL parser brackets IPv6 and writes IPv4 in dotted decimal, so a
    // name that neither starts with "[" nor ends in a digit skips parsing.
    if (first === 0x5b /* [ */) {
      const parsed = parseIp(host);
      if (parsed !== undefined) return this.#allowed(parsed.address, parsed.family);
    } else if (last >= 0x30 && last <= 0x39 && isIP(host) === 4) {
      return this.#allowed(host, "ipv4");
    }
    const name = last === 0x2e /* . */ ? host.slice(0, -1) : host;
    if (name === "localhost" || name.endsWith(".localhost")) {
      return LOCALHOST_ADDRESSES.every((ip) => this.#allowedIp(ip));
    }
    return undefined;
  }

  #allowed(address: string, family: Family): boolean {
    return !BLOCKED.check(address, family) || this.#allow?.check(address, family) === true;
  }

  /** A resolved address; anything that is not an IP cannot be vetted and is refused. */
  #allowedIp(ip: string): boolean {
    const parsed = parseIp(ip);
    return parsed !== undefined && this.#allowed(parsed.address, parsed.family);
  }

  /**
   * Resolves within the deadline; `undefined` when resolution fails (not
   * cached), `"unvettable"` when Deno's permissions forbid the lookup.
   */
  async #lookup(host: string): Promise<boolean | undefined | "unvettable"> {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException("DNS lookup timed out", "TimeoutError")),
      this.#dnsTimeoutMs,
    );
    let addresses: string[];
    try {
      // Raced as well as passed, so a resolver ignoring the signal still ends on time.
      addresses = await abortable(
        this.#resolve(host, { signal: controller.signal }),
        controller.signal,
      );
    } catch (error) {
      return error instanceof Deno.errors.NotCapable ? "unvettable" : undefined;
    } finally {
      clearTimeout(timer);
    }
    if (addresses.length === 0) return undefined;
    const verdict = addresses.every((ip) => this.#allowedIp(ip));
    this.#remember(host, verdict);
    this.#addresses.set(host, addresses[0]!);
    return verdict;
  }

  #recall(host: string): boolean | undefined {
    const verdict = this.#cache.get(host);
    if (verdict !== undefined) {
      // Move to the most recently used end.
      this.#cache.delete(host);
      this.#cache.set(host, verdict);
    }
    return verdict;
  }

  #remember(host: string, verdict: boolean): void {
    if (this.#cache.size >= this.#cacheSize) {
      const oldest = this.#cache.keys().next().value!;
      this.#cache.delete(oldest);
      this.#addresses.delete(oldest);
    }
    this.#cache.set(host, verdict);
  }
}

/** Validates one `allowCidrs` entry and adds it to the allow-list. */
function addCidr(list: BlockList, cidr: unknown, index: number): void {
  const fail = () =>
    new TypeError(
      `Cannot create address guard as 'allowCidrs[${index}]' must be a CIDR range: received ${
        JSON.stringify(cidr)
      }`,
    );
  if (typeof cidr !== "string") throw fail();
  const slash = cidr.indexOf("/");
  const address = slash === -1 ? cidr : cidr.slice(0, slash);
  const version = isIP(address);
  if (version === 0 || address.includes("%")) throw fail();
  const bits = version === 4 ? 32 : 128;
  let prefix = bits;
  if (slash !== -1) {
    const text = cidr.slice(slash + 1);
    if (!/^\d{1,3}$/.test(text) || Number(text) > bits) throw fail();
    prefix = Number(text);
  }
  list.addSubnet(address, prefix, version === 4 ? "ipv4" : "ipv6");
}
