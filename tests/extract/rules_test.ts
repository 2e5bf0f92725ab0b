import assert from "node:assert/strict";
import { loadRules, parseRules, RulesError } from "../../src/extract/rules.ts";

const RULES = new URL("../../fixtures/rules/", import.meta.url).pathname;

/** The one-line message `parseRules` rejects with for `input`. */
async function messageFor(input: unknown): Promise<string> {
  try {
    await parseRules(input, "rules.json");
  } catch (error) {
    assert.ok(error instanceof RulesError, `expected a RulesError, got ${error}`);
    assert.ok(!error.message.includes("\n"), `not one line: ${error.message}`);
    return error.message;
  }
  assert.fail("expected the rules to be refused");
}

const rule = (extra: Record<string, unknown>) => ({ rules: [{ match: "/p/*", ...extra }] });
const field = (spec: unknown) => rule({ fields: { price: spec } });

Deno.test("extract rules: the shop fixture loads with defaults filled in", async () => {
  const { rules } = await loadRules(`${RULES}shop.json`);
  assert.deepEqual(rules.map((r) => r.name), ["home", "listing", "product"]);
  assert.deepEqual(rules[0]!.match, { pathname: "/{index.html}?" });
  assert.equal(rules[2]!.match, "/products/*");
  assert.equal(rules[2]!.linksFrom, ".breadcrumbs");
  assert.deepEqual(rules[2]!.fields.name, {
    selector: "h1[itemprop=name]",
    value: "text",
    all: false,
    type: "string",
    required: true,
  });
  assert.deepEqual(rules[2]!.fields.image, {
    selector: "img.product-photo",
    value: "attr:src",
    all: false,
    type: "url",
    required: false,
  });
  assert.equal(rules[2]!.fields.tags!.all, true);
});

Deno.test("extract rules: each bad fixture file gets one line naming the place", async () => {
  const cases: [string, string][] = [
    [
      "bad-type.json",
      'rules[2].fields.price.type: expected one of string, number, integer, boolean, url, date: received "float"',
    ],
    [
      "bad-selector.json",
      "rules[0].fields.price.selector: invalid CSS selector (Attribute selector didn't terminate): " +
      'received "span.price[data-currency"',
    ],
    [
      "bad-pattern.json",
      "rules[1].match: invalid URL pattern: tokenizer error: invalid regex: missing closing ) " +
      '(at char 10): received "https://shop.test/category/("',
    ],
    [
      "unknown-key.json",
      "rules[0].fields.price.selecter: unknown key, expected one of selector, value, all, type, required",
    ],
  ];
  for (const [file, detail] of cases) {
    const path = `${RULES}${file}`;
    const error = await loadRules(path).then(() => undefined, (e) => e);
    assert.ok(error instanceof RulesError, file);
    assert.equal(error.message, `${path}: ${detail}`);
    assert.equal(error.source, path);
    assert.equal(error.name, "RulesError");
  }
});

Deno.test("extract rules: invalid JSON is one line with the parser's position", async () => {
  const path = `${RULES}bad-json.json`;
  const error = await loadRules(path).then(() => undefined, (e) => e);
  assert.ok(error instanceof RulesError);
  assert.equal(error.path, "");
  assert.match(error.message, /^[^\n]+: invalid JSON: [^\n]*line 3 column 31\)$/);
  assert.ok(error.message.startsWith(`${path}: invalid JSON: `));
});

Deno.test("extract rules: an unreadable file is one line saying why", async () => {
  await assert.rejects(
    loadRules(`${RULES}no-such-file.json`),
    new RulesError(`${RULES}no-such-file.json`, "", "cannot read the file: not found"),
  );
  await assert.rejects(loadRules(RULES), (error: Error) => {
    assert.equal(error.message, `${RULES}: cannot read the file: is a directory`);
    return true;
  });
});

Deno.test("extract rules: an aborted load rejects with the signal's reason", async () => {
  const controller = new AbortController();
  const reason = new Error("stop");
  controller.abort(reason);
  await assert.rejects(
    loadRules(`${RULES}shop.json`, { signal: controller.signal }),
    (e) => e === reason,
  );
});

Deno.test("extract rules: the file shape is checked", async () => {
  assert.equal(
    await messageFor([{ match: "/p/*" }]),
    'rules.json: expected an object with a "rules" list: received an array',
  );
  assert.equal(await messageFor({}), "rules.json: rules: expected a list of rules: missing");
  assert.equal(
    await messageFor({ rules: [] }),
    "rules.json: rules: expected at least one rule: received an array",
  );
  assert.equal(
    await messageFor({ rules: [5] }),
    "rules.json: rules[0]: expected a rule object: received 5",
  );
  assert.equal(
    await messageFor({ rules: [{ match: "/p/*" }], version: 2 }),
    "rules.json: version: unknown key, expected one of rules",
  );
  assert.equal(
    await messageFor(rule({ link: "a" })),
    "rules.json: rules[0].link: unknown key, expected one of name, match, fields, linksFrom",
  );
  assert.equal(
    await messageFor(rule({ name: "" })),
    'rules.json: rules[0].name: expected a non-empty name: received ""',
  );
  assert.equal(
    await messageFor(rule({ fields: ["h1"] })),
    "rules.json: rules[0].fields: expected an object of fields: received an array",
  );
  assert.equal(
    await messageFor(rule({ linksFrom: "a[" })),
    'rules.json: rules[0].linksFrom: invalid CSS selector (Expected name, found): received "a["',
  );
});

Deno.test("extract rules: match must be a URL pattern that compiles", async () => {
  assert.equal(
    await messageFor({ rules: [{ fields: {} }] }),
    "rules.json: rules[0].match: expected a URL pattern string or URLPattern init object: missing",
  );
  assert.equal(
    await messageFor({ rules: [{ match: 5 }] }),
    "rules.json: rules[0].match: expected a URL pattern string or URLPattern init object: received 5",
  );
  assert.equal(
    await messageFor({ rules: [{ match: "/p/(" }] }),
    "rules.json: rules[0].match: invalid URL pattern: tokenizer error: invalid regex: " +
      'missing closing ) (at char 3): received "/p/("',
  );
  assert.equal(
    await messageFor({ rules: [{ match: "products/*" }] }),
    "rules.json: rules[0].match: invalid URL pattern: a relative input without a base URL " +
      'is not valid: received "products/*"',
  );
  assert.equal(
    await messageFor({ rules: [{ match: { pathnam: "/p/*" } }] }),
    "rules.json: rules[0].match.pathnam: unknown key, expected one of protocol, username, " +
      "password, hostname, port, pathname, search, hash, baseURL",
  );
  assert.equal(
    await messageFor({ rules: [{ match: { pathname: 5 } }] }),
    "rules.json: rules[0].match.pathname: expected a pattern string: received 5",
  );
  assert.equal(
    await messageFor({ rules: [{ match: { hostname: "shop.test", pathname: "/p/:" } }] }),
    "rules.json: rules[0].match: invalid URL pattern: tokenizer error: invalid name; " +
      "must be at least length 1 (at char 3): received an object",
  );
});

Deno.test("extract rules: each field key is checked with its path", async () => {
  const base = "rules.json: rules[0].fields.price";
  assert.equal(await messageFor(field(5)), `${base}: expected a field object: received 5`);
  assert.equal(
    await messageFor(field({ type: "number" })),
    `${base}.selector: expected a CSS selector string: missing`,
  );
  assert.equal(
    await messageFor(field({ selector: "" })),
    `${base}.selector: expected a non-empty CSS selector: received ""`,
  );
  assert.equal(
    await messageFor(field({ selector: "a:nope" })),
    `${base}.selector: invalid CSS selector (Unknown pseudo-class :nope): received "a:nope"`,
  );
  assert.equal(
    await messageFor(field({ selector: ".price", value: "src" })),
    `${base}.value: expected "text", "html" or "attr:NAME": received "src"`,
  );
  assert.equal(
    await messageFor(field({ selector: ".price", value: "attr:" })),
    `${base}.value: expected "text", "html" or "attr:NAME": received "attr:"`,
  );
  assert.equal(
    await messageFor(field({ selector: ".price", type: "float" })),
    `${base}.type: expected one of string, number, integer, boolean, url, date: received "float"`,
  );
  assert.equal(
    await messageFor(field({ selector: ".price", all: "yes" })),
    `${base}.all: expected true or false: received "yes"`,
  );
  assert.equal(
    await messageFor(field({ selector: ".price", required: 1 })),
    `${base}.required: expected true or false: received 1`,
  );
  assert.equal(
    await messageFor(field({ selecter: ".price" })),
    `${base}.selecter: unknown key, expected one of selector, value, all, type, required`,
  );
});

Deno.test("extract rules: field names are checked and quoted in paths when needed", async () => {
  assert.equal(
    await messageFor(rule({ fields: { "": { selector: "h1" } } })),
    'rules.json: rules[0].fields[""]: expected a non-empty field name: received ""',
  );
  assert.equal(
    await messageFor(rule({ fields: { "unit price": { selector: "h1", type: "money" } } })),
    'rules.json: rules[0].fields["unit price"].type: expected one of string, number, integer, ' +
      'boolean, url, date: received "money"',
  );
  assert.equal(
    await messageFor(
      JSON.parse('{"rules":[{"match":"/p/*","fields":{"__proto__":{"selector":"h1"}}}]}'),
    ),
    "rules.json: rules[0].fields.__proto__: reserved field name",
  );
});

Deno.test("extract rules: parseRules fills in defaults and accepts every form of match", async () => {
  const { rules } = await parseRules({
    rules: [
      { match: "/p/*" },
      { match: "https://shop.test/p/:id", name: "full" },
      { match: { hostname: "*.shop.test", pathname: "/p/*" }, linksFrom: "a.next" },
    ],
  });
  assert.deepEqual(rules[0], { match: "/p/*", fields: {} });
  assert.equal(rules[1]!.name, "full");
  assert.equal(rules[2]!.linksFrom, "a.next");
});
