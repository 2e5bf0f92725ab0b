/**
 * The DevTools connection against a WebSocket server of the test's own that
 * plays the browser: answers matched by id, errors, events per session, and
 * every waiting command failing when the browser or a tab goes away.
 *
 * @module
 */

import assert from "node:assert/strict";
import { CdpClosedError, CdpCommandError, CdpConnection } from "../../src/render/cdp.ts";

/** A fake browser: answers each command with `reply(message)`; `null` leaves it unanswered. */
function fakeBrowser(reply: (message: Record<string, unknown>, socket: WebSocket) => unknown) {
  const sockets: WebSocket[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request);
    sockets.push(socket);
    socket.onmessage = (event) => {
      const message = JSON.parse(String(event.data));
      const answer = reply(message, socket);
      if (answer !== null) socket.send(JSON.stringify(answer));
    };
    return response;
  });
  return {
    url: `ws://127.0.0.1:${server.addr.port}/devtools/browser/x`,
    sockets,
    async [Symbol.asyncDispose]() {
      for (const socket of sockets) socket.close();
      await server.shutdown();
    },
  };
}

Deno.test("CdpConnection.send() matches answers to commands by id, sessions included", async () => {
  await using browser = fakeBrowser((m) => ({
    id: m.id,
    sessionId: m.sessionId,
    result: { echo: m.method, session: m.sessionId ?? null },
  }));
  const cdp = await CdpConnection.connect(browser.url);
  try {
    const [a, b] = await Promise.all([
      cdp.send("Browser.getVersion"),
      cdp.send("Page.navigate", { url: "about:blank" }, "S1"),
    ]);
    assert.deepEqual(a, { echo: "Browser.getVersion", session: null });
    assert.deepEqual(b, { echo: "Page.navigate", session: "S1" });
  } finally {
    cdp.close();
  }
});

Deno.test("CdpConnection.send() rejects with CdpCommandError when the browser answers an error", async () => {
  await using browser = fakeBrowser((m) => ({ id: m.id, error: { code: -32000, message: "no" } }));
  const cdp = await CdpConnection.connect(browser.url);
  try {
    await assert.rejects(cdp.send("Page.crash"), CdpCommandError, "Page.crash: no");
  } finally {
    cdp.close();
  }
});

Deno.test("CdpConnection.on() hands events to the listeners of their session only", async () => {
  await using browser = fakeBrowser((m, socket) => {
    socket.send(
      JSON.stringify({ method: "Page.loadEventFired", params: { n: 1 }, sessionId: "S1" }),
    );
    socket.send(
      JSON.stringify({ method: "Page.loadEventFired", params: { n: 2 }, sessionId: "S2" }),
    );
    return { id: m.id, result: {} };
  });
  const cdp = await CdpConnection.connect(browser.url);
  try {
    const seen: unknown[] = [];
    using _listener = cdp.on("Page.loadEventFired", (params) => seen.push(params.n), "S1");
    await cdp.send("Runtime.enable");
    assert.deepEqual(seen, [1]);
  } finally {
    cdp.close();
  }
});

Deno.test("CdpConnection: waiting commands reject with CdpClosedError when the browser goes away", async () => {
  await using browser = fakeBrowser(() => null);
  const cdp = await CdpConnection.connect(browser.url);
  const waiting = cdp.send("Page.navigate", { url: "https://a.test/" });
  const closed = cdp.closed;
  // The browser's side of the socket closes: a crash, a kill.
  await Promise.resolve();
  browser.sockets[0]!.close();
  await assert.rejects(waiting, CdpClosedError);
  await closed;
  assert.equal(cdp.isClosed, true);
  await assert.rejects(cdp.send("Browser.getVersion"), CdpClosedError);
});

Deno.test("CdpConnection.dropSession() fails only that session's waiting commands", async () => {
  await using browser = fakeBrowser((
    m,
  ) => (m.sessionId === "S1" ? null : { id: m.id, result: {} }));
  const cdp = await CdpConnection.connect(browser.url);
  try {
    const tab = cdp.send("Page.navigate", {}, "S1");
    cdp.dropSession("S1", "the tab crashed");
    await assert.rejects(tab, CdpClosedError, "the tab crashed");
    assert.deepEqual(await cdp.send("Browser.getVersion"), {});
  } finally {
    cdp.close();
  }
});
