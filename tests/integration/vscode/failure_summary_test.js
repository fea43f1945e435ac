// Plain Node checks of the extension's failure summary (out/failureSummary.js, built by tsc).
const assert = require("assert");
const { failureSummary, withSummaryFirst } = require(process.argv[2]);

const report = "def test_adds_wrong():\n>       assert add(1, 1) == 3\nE       assert 2 == 3\nE        +  where 2 = add(1, 1)\n\ntest_calc.py:11: AssertionError";
assert.strictEqual(failureSummary(report), "assert 2 == 3");
assert.strictEqual(withSummaryFirst(report), "assert 2 == 3\n\n" + report);
// A report without E lines (a plain message) is kept as it is.
assert.strictEqual(failureSummary("Timeout after 2 s"), undefined);
assert.strictEqual(withSummaryFirst("Timeout after 2 s"), "Timeout after 2 s");
assert.strictEqual(failureSummary("x\r\nE   ValueError: boom\r\n"), "ValueError: boom");
console.log("failure summary: ok");
