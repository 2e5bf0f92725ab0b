import assert from "node:assert/strict";
import { isBlockedIp } from "../../src/http/blocked_ip.ts";

function assertBlocked(ips: string[], expected: boolean): void {
  for (const ip of ips) assert.equal(isBlockedIp(ip), expected, ip);
}

Deno.test("isBlockedIp: IPv4 ranges are blocked at both ends, their neighbours are not", () => {
  assertBlocked([
    ...["0.0.0.0", "0.255.255.255", "10.0.0.0", "10.255.255.255"],
    ...["100.64.0.0", "100.127.255.255", "127.0.0.1", "127.255.255.255"],
    ...["169.254.0.0", "169.254.169.254", "169.254.255.255", "172.16.0.0", "172.31.255.255"],
    ...["192.0.0.0", "192.0.0.255", "192.0.2.0", "192.0.2.255", "192.168.0.0", "192.168.255.255"],
    ...["198.18.0.0", "198.19.255.255", "198.51.100.0", "198.51.100.255"],
    ...["203.0.113.0", "203.0.113.255", "224.0.0.0", "239.255.255.255"],
    ...["240.0.0.0", "255.255.255.255"],
  ], true);
  assertBlocked([
    ...["1.0.0.0", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0"],
    ...["126.255.255.255", "128.0.0.0", "169.253.255.255", "169.255.0.0"],
    ...["172.15.255.255", "172.32.0.0", "191.255.255.255", "192.0.1.0", "192.0.3.0"],
    ...["192.167.255.255", "192.169.0.0", "198.17.255.255", "198.20.0.0"],
    ...["198.51.99.255", "198.51.101.0", "203.0.112.255", "203.0.114.0", "223.255.255.255"],
    ...["8.8.8.8", "93.184.216.34"],
  ], false);
});

Deno.test("isBlockedIp: IPv6 ranges are blocked, global unicast is not", () => {
  assertBlocked([
    ...["::", "::1", "[::1]", "0:0:0:0:0:0:0:1", "::2", "::127.0.0.1", "::8.8.8.8"],
    ...["fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe80::1", "FE80::1", "fe80::1%eth0"],
    ...["febf:ffff::", "fec0::1", "feff:ffff::", "ff02::1", "ffff:ffff::"],
    ...["2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"],
  ], true);
  assertBlocked([
    ...["2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::", "2001:4860:4860::8888"],
    ...["2606:4700:4700::1111", "[2606:4700:4700::1111]", "::1:0:0"],
  ], false);
});

Deno.test("isBlockedIp: IPv4-mapped and NAT64 addresses are judged by their IPv4", () => {
  assertBlocked([
    ...["::ffff:127.0.0.1", "[::ffff:127.0.0.1]", "::ffff:7f00:1", "[::ffff:7f00:1]"],
    ...["0:0:0:0:0:ffff:a9fe:a9fe", "::FFFF:192.168.1.1", "::ffff:10.0.0.1", "::ffff:0.0.0.0"],
    ...["64:ff9b::127.0.0.1", "64:ff9b::7f00:1", "64:ff9b::a00:1", "64:ff9b::c0a8:101"],
    ...["64:ff9b::", "64:ff9b::ffff:ffff"],
  ], true);
  assertBlocked(
    ["::ffff:8.8.8.8", "::ffff:808:808", "64:ff9b::8.8.8.8", "64:ff9b::808:808"],
    false,
  );
});

Deno.test("isBlockedIp: decimal, octal and hex IPv4 forms are canonicalized", () => {
  assertBlocked(["2130706433", "0177.0.0.1", "0x7f.1", "0x7f000001", "127.1", "0", "012.1"], true);
  assertBlocked(["134744072", "0x08.0x08.0x08.0x08"], false);
});

Deno.test("isBlockedIp: a non-address throws a TypeError", () => {
  for (
    const input of ["example.org", "", "1.2.3.4.5", "256.0.0.1", "[::1", "1::2::3", "1.2.3.4:80"]
  ) {
    assert.throws(() => isBlockedIp(input), {
      name: "TypeError",
      message: `Cannot classify address as 'ip' must be an IPv4 or IPv6 address: received ${
        JSON.stringify(input)
      }`,
    });
  }
});
