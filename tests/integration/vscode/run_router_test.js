// Plain Node checks of the extension's RunRouter (out/runRouter.js, built by tsc).
const assert = require("assert");
const { RunRouter } = require(process.argv[2]);

// Notifications that arrive before the runTests reply wait for it, in order.
const router = new RunRouter();
const seen = [];
router.dispatch("run-1", (run) => seen.push(`${run}: enqueued a`));
router.dispatch("run-1", (run) => seen.push(`${run}: enqueued b`));
assert.deepStrictEqual(seen, []);
router.openRun("run-1", "R1");
assert.deepStrictEqual(seen, ["R1: enqueued a", "R1: enqueued b"]);
router.dispatch("run-1", (run) => seen.push(`${run}: passed a`));
assert.strictEqual(seen[2], "R1: passed a");

// A runFinished before the reply closes the run once it opens; nothing after it is handled.
const early = new RunRouter();
const events = [];
early.dispatch("run-2", () => events.push("enqueued"));
early.dispatch("run-2", () => { events.push("finished"); early.close("run-2"); });
early.dispatch("run-2", () => events.push("late"));
early.openRun("run-2", {});
assert.deepStrictEqual(events, ["enqueued", "finished"]);
assert.strictEqual(early.isOpen("run-2"), false);

// Another run's notifications never reach this one.
const two = new RunRouter();
const got = [];
two.openRun("a", "A");
two.dispatch("b", (run) => got.push(run));
assert.deepStrictEqual(got, []);
// A closed run's later notifications are dropped, not kept waiting (a disarmed continuous run's
// runFinished, whose id no TestRun ever opened).
const armed = new RunRouter();
armed.close("watch-5");
armed.dispatch("watch-5", () => { throw new Error("handled after close"); });
assert.strictEqual(armed.waitingRuns(), 0);
console.log("run router: ok");
