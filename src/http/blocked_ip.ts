/**
 * Which IP addresses the crawler refuses by default: loopback, private,
 * shared (CGNAT), link-local, multicast, reserved, documentation,
 * benchmarking and unspecified ranges, for IPv4 and IPv6.
 *
 * Address parsing and range matching are `node:net`'s `isIP` and
 * `BlockList`. Hosts reach the guard through the WHATWG URL parser, which
 * already turns decimal, octal and hex IPv4 (`2130706433`, `0177.0.0.1`,
 * `0x7f.1`) into dotted decimal and compresses IPv6, so one canonical form
 * is classified.
 *
 * @module
 */

import { BlockList, isIP } from "node:net";

/** An address family, as `BlockList` names it. */
export type Family = "ipv4" | "ipv6";

/**
 * The blocked IPv4 ranges, each an address and a prefix length. The `public`
 * permission set in deno.json denies the same ranges at connect time (a
 * test keeps the two lists equal).
 */
export const BLOCKED_V4: readonly (readonly [string, number])[] = [
  ["0.0.0.0", 8], // "this network", 0.0.0.0 included
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // shared address space (CGNAT)
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata services among them
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // TEST-NET-1
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // TEST-NET-2
  ["203.0.113.0", 24], // TEST-NET-3
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, 255.255.255.255 included
];

const BLOCKED_V6: readonly (readonly [string, number])[] = [
  // Unspecified (::), loopback (::1) and the deprecated IPv4-compatible
  // ::a.b.c.d, which some stacks still route to a.b.c.d.
  ["::", 96],
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
  ["2001:db8::", 32], // documentation
];

/**
 * The blocked ranges. IPv4-mapped addresses (`::ffff:a.b.c.d`, however
 * written) need no rule of their own: `BlockList` checks them against the
 * IPv4 rules. NAT64 (`64:ff9b::/96`) is blocked only where the embedded IPv4
 * is, which the same IPv4 ranges moved into `64:ff9b::/96` express without
 * extracting the embedded address by hand. Shared by every guard: not to be
 * added to.
 */
export const BLOCKED: BlockList = new BlockList();
for (const [address, prefix] of BLOCKED_V4) {
  BLOCKED.addSubnet(address, prefix, "ipv4");
  BLOCKED.addSubnet(`64:ff9b::${address}`, 96 + prefix, "ipv6");
}
for (const [address, prefix] of BLOCKED_V6) BLOCKED.addSubnet(address, prefix, "ipv6");

/** Characters of the WHATWG numeric IPv4 forms (`0x7f.1`, `2130706433`). */
const NUMERIC_V4 = /^[0-9a-fA-FxX.]+$/;

/**
 * Canonicalizes an IP literal: strips brackets and an IPv6 zone, and turns
 * the WHATWG numeric IPv4 forms into dotted decimal.
 *
 * @param ip An IP literal, maybe bracketed, with a zone, or in a numeric IPv4 form.
 * @returns The address and its family, or `undefined` if `ip` is not an IP address.
 *
 * @example Usage
 * ```ts
 * import { parseIp } from "./blocked_ip.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseIp("0x7f.1"), { address: "127.0.0.1", family: "ipv4" });
 * assert.deepEqual(parseIp("[fe80::1%eth0]"), { address: "fe80::1", family: "ipv6" });
 * assert.equal(parseIp("example.org"), undefined);
 * ```
 */
export function parseIp(ip: string): { address: string; family: Family } | undefined {
  let address = ip;
  if (address.startsWith("[") && address.endsWith("]")) address = address.slice(1, -1);
  if (address.includes(":")) {
    const zone = address.indexOf("%");
    if (zone !== -1) address = address.slice(0, zone);
    return isIP(address) === 6 ? { address, family: "ipv6" } : undefined;
  }
  if (isIP(address) === 4) return { address, family: "ipv4" };
  if (NUMERIC_V4.test(address)) {
    const host = URL.parse(`http://${address}/`)?.hostname;
    if (host !== undefined && isIP(host) === 4) return { address: host, family: "ipv4" };
  }
  return undefined;
}

/**
 * Whether an IP address lies in a range the crawler refuses by default:
 * loopback, private, shared (CGNAT), link-local, multicast, reserved,
 * documentation, benchmarking or unspecified, for IPv4 and IPv6, with
 * IPv4-mapped, IPv4-compatible and NAT64 addresses judged by the IPv4 they
 * carry.
 *
 * @param ip An IPv4 or IPv6 address; brackets (`[::1]`), an IPv6 zone and
 * the WHATWG numeric IPv4 forms (`2130706433`, `0177.0.0.1`) are accepted.
 * @returns `true` if the address is blocked.
 * @throws {TypeError} If `ip` is not an IP address.
 *
 * @example Usage
 * ```ts
 * import { isBlockedIp } from "./blocked_ip.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isBlockedIp("10.1.2.3"), true);
 * assert.equal(isBlockedIp("[::ffff:127.0.0.1]"), true);
 * assert.equal(isBlockedIp("93.184.216.34"), false);
 * ```
 */
export function isBlockedIp(ip: string): boolean {
  const parsed = parseIp(ip);
  if (parsed === undefined) {
    throw new TypeError(
      `Cannot classify address as 'ip' must be an IPv4 or IPv6 address: received ${
        JSON.stringify(ip)
      }`,
    );
  }
  return BLOCKED.check(parsed.address, parsed.family);
}
