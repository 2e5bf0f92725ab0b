import { errors, values } from "./convert_cases.ts";

Deno.test("extract: number reads prices in the common formats", () => {
  values("number", [
    ["42", 42],
    ["-3.5", -3.5],
    ["1.299", 1.299],
    ["1e3", 1000],
    ["$1,299.00", 1299],
    ["1.249,50 €", 1249.5],
    ["1\u00a0299,00\u00a0€", 1299],
    ["CHF 1'299.50", 1299.5],
    ["12,50 €", 12.5],
    ["1,299", 1299],
    ["0,299", 0.299],
    ["1,2345", 1.2345],
    ["1,299,000", 1299000],
    ["1.299.000,5", 1299000.5],
    ["₹1,29,999.00", 129999],
    ["$.99", 0.99],
    ["-$5.00", -5],
    ["USD -12", -12],
    ["128 reviews", 128],
    ["20% off", 20],
    ["Price: £249", 249],
  ]);
});

Deno.test("extract: number refuses text without exactly one well-formed number", () => {
  errors("number", "expected a number", [
    "Call us",
    "4.5 out of 5",
    "$10 - $20",
    "1.2.3",
    "1,2,3",
    "1,2.3,4",
    "12,34,5678",
    "10 20",
    "1e400",
  ]);
});

Deno.test("extract: integer takes whole numbers only", () => {
  values("integer", [["7", 7], ["1,299.00", 1299], ["128 reviews", 128], ["-3", -3]]);
  errors("integer", "expected an integer", ["12.5", "1,5", "No reviews yet", "1e400"]);
});

Deno.test("extract: boolean takes true/false, yes/no and 1/0 in any case", () => {
  values("boolean", [
    ["true", true],
    ["YES", true],
    ["1", true],
    ["False", false],
    ["no", false],
    ["0", false],
  ]);
  errors("boolean", "expected a boolean (true/false, yes/no, 1/0)", ["maybe", "In stock", "2"]);
});

Deno.test("extract: date gives an ISO 8601 string", () => {
  values("date", [
    ["2024-03-01", "2024-03-01T00:00:00.000Z"],
    ["2024-03-01T10:15:00Z", "2024-03-01T10:15:00.000Z"],
    ["2021-11-02T09:30:00+01:00", "2021-11-02T08:30:00.000Z"],
    ["Fri, 01 Mar 2024 10:00:00 GMT", "2024-03-01T10:00:00.000Z"],
    // Without an offset, a non-ISO date is local time, as Date.parse reads it.
    ["March 1, 2024", new Date(2024, 2, 1).toISOString()],
  ]);
  errors("date", "expected a date", ["soon", "Item 7", "2024-13-45", "March 1"]);
});
