import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { openRedis } from "../../src/redis/connect.ts";
import { TcpSocket } from "../../src/redis/tcp_socket.ts";
import { freePort, redisTest, startRedis } from "../support/redis_server.ts";

/** The next `bytes` bytes the socket reads, as text. */
function readText(socket: TcpSocket, bytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (data: Buffer) => {
      chunks.push(data);
      length += data.length;
      if (length < bytes) return;
      socket.off("data", onData);
      socket.off("error", reject);
      resolve(Buffer.concat(chunks).toString("utf8"));
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}

/** Waits for an event of the socket. */
function once(socket: TcpSocket, event: string): Promise<unknown[]> {
  return new Promise((resolve) => socket.once(event, (...args) => resolve(args)));
}

redisTest("TcpSocket carries a Redis exchange written as text and as bytes", async () => {
  await using redis = await startRedis();
  const socket = new TcpSocket("127.0.0.1", Number(new URL(redis.url).port));
  try {
    assert.equal(socket.connecting, true);
    await once(socket, "connect");
    assert.equal(socket.connecting, false);
    assert.equal(socket.remoteAddress, "127.0.0.1");
    // 80 KB of UTF-8 (the write buffer grows), then 800 KB (past its 1 MiB bound for 3 bytes a unit).
    const echoed = ["ü".repeat(40_000), "ü".repeat(400_000)];
    const bulk = (text: string) => `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
    const expected = `${bulk(echoed[0]!)}+PONG\r\n${bulk(echoed[1]!)}`;
    const replies = readText(socket, Buffer.byteLength(expected));
    socket.write(`*2\r\n$4\r\nECHO\r\n${bulk(echoed[0]!)}`);
    socket.write(new TextEncoder().encode("*1\r\n$4\r\nPING\r\n"));
    socket.write(`*2\r\n$4\r\nECHO\r\n${bulk(echoed[1]!)}`);
    assert.equal(await replies, expected);
  } finally {
    socket.destroy();
  }
});

Deno.test("TcpSocket connects by host name to the address that accepts", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const socket = new TcpSocket("localhost", listener.addr.port);
  using _conn = await listener.accept();
  await once(socket, "connect");
  assert.equal(socket.remoteAddress, "127.0.0.1");
  socket.destroy();
});

Deno.test("TcpSocket reports a refused connection in Node's wording, then closes", async () => {
  const port = freePort();
  const socket = new TcpSocket("127.0.0.1", port);
  const closed = once(socket, "close");
  const [error] = await once(socket, "error") as [Error & { code?: string }];
  assert.equal(error.message, `connect ECONNREFUSED 127.0.0.1:${port}`);
  assert.equal(error.code, "ECONNREFUSED");
  await closed;
});

Deno.test("TcpSocket ends when the server closes the connection", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const socket = new TcpSocket("127.0.0.1", listener.addr.port);
  const conn = await listener.accept();
  await once(socket, "connect");
  const ended = once(socket, "end");
  const closed = once(socket, "close");
  socket.resume();
  conn.close();
  await ended;
  await closed;
  assert.equal(socket.destroyed, true);
});

Deno.test("TcpSocket.setTimeout() emits timeout and calls its callback", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const socket = new TcpSocket("127.0.0.1", listener.addr.port);
  using _conn = await listener.accept();
  await once(socket, "connect");
  const called = new Promise((resolve) => socket.setTimeout(1, () => resolve(true)));
  await once(socket, "timeout");
  assert.equal(await called, true);
  socket.destroy();
});

redisTest(
  "openRedis() speaks plain redis:// over TcpSocket and reconnects after the server drops it",
  async () => {
    await using redis = await startRedis();
    const { client } = await openRedis(redis.url);
    const { client: other } = await openRedis(redis.url);
    try {
      assert.ok(client.stream instanceof TcpSocket);
      await client.client("SETNAME", "dropped");
      const reconnected = new Promise((resolve) => client.once("ready", resolve));
      await other.client("KILL", "TYPE", "normal", "SKIPME", "yes");
      await reconnected;
      assert.equal(await client.ping(), "PONG");
      assert.ok(client.stream instanceof TcpSocket, "the new connection too");
    } finally {
      client.disconnect();
      other.disconnect();
    }
  },
);
