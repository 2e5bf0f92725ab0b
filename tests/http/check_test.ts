import assert from "node:assert/strict";
import { checkUrl } from "../../src/http/check.ts";

const OPTIONS = { timeoutMs: 10_000, maxBytes: 1024, maxRedirects: 5 };

function serve(handler: (req: Request) => Response) {
  const log: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    log.push(`${req.method} ${new URL(req.url).pathname}`);
    return handler(req);
  });
  return { server, log, origin: `http://127.0.0.1:${server.addr.port}` };
}

Deno.test("checkUrl() asks with HEAD and reads no body", async () => {
  const { server, log, origin } = serve(() =>
    new Response("x".repeat(5000), { headers: { "content-type": "image/png" } })
  );
  await using _ = server;
  const result = await checkUrl(`${origin}/logo.png`, OPTIONS);
  assert.deepEqual([result.status, result.error, result.body, result.contentType], [
    200,
    undefined,
    null,
    "image/png",
  ]);
  assert.deepEqual(log, ["HEAD /logo.png"]);
});

for (const refusal of [405, 501]) {
  Deno.test(`checkUrl() asks again with GET once when HEAD is answered ${refusal}`, async () => {
    const { server, log, origin } = serve((req) =>
      req.method === "HEAD" ? new Response(null, { status: refusal }) : new Response("video")
    );
    await using _ = server;
    const result = await checkUrl(`${origin}/clip.mp4`, OPTIONS);
    assert.equal(result.status, 200);
    assert.equal(result.error, undefined);
    assert.deepEqual(log, ["HEAD /clip.mp4", "GET /clip.mp4"]);
  });
}

Deno.test("checkUrl() marks 4xx and 5xx as errors unless accepted, and follows redirects", async () => {
  const { server, log, origin } = serve((req) => {
    const path = new URL(req.url).pathname;
    if (path === "/old") return Response.redirect(`${origin}/forbidden`, 301);
    return new Response(null, { status: path === "/forbidden" ? 403 : 503 });
  });
  await using _ = server;
  const forbidden = await checkUrl(`${origin}/old`, OPTIONS);
  assert.deepEqual([forbidden.status, forbidden.error, forbidden.url], [
    403,
    "http_4xx",
    `${origin}/forbidden`,
  ]);
  assert.deepEqual(forbidden.redirects, [{ url: `${origin}/old`, status: 301 }]);
  const accepted = await checkUrl(`${origin}/old`, {
    ...OPTIONS,
    accept: [{ from: 400, to: 403 }],
  });
  assert.deepEqual([accepted.status, accepted.error], [403, undefined]);
  const down = await checkUrl(`${origin}/down`, { ...OPTIONS, accept: [{ from: 400, to: 403 }] });
  assert.deepEqual([down.status, down.error], [503, "http_5xx"]);
  assert.equal(log.filter((l) => l.startsWith("GET")).length, 0);
});
