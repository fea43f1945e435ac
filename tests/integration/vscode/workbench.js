// Drives the real VS Code workbench (code-server in headless Chromium, through playwright-core) along
// a user's path with the fastest extension, and prints what it saw as one JSON line for
// test_editor_vscode_workbench.py to assert. Each step waits (polling) for what the user would see.
// argv: playwright-core's folder, the workbench URL, chromium's path.
const [playwrightDir, url, chromiumPath] = process.argv.slice(2);
const { chromium } = require(playwrightDir);
const fs = require("fs");
const path = require("path");
const projectDir = new URL(url).searchParams.get("folder");

const report = { steps: [] };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, probe, timeoutMs = 30000) {
  const start = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function main() {
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    await drive(page);
  } catch (error) {
    report.error = String(error && error.stack || error);
    report.testRows = await testRows(page).catch(() => []);
    // FASTEST_WB_SHOT=<png>: what the page showed when a step failed, for a person to look at.
    if (process.env.FASTEST_WB_SHOT) await page.screenshot({ path: process.env.FASTEST_WB_SHOT }).catch(() => undefined);
  } finally {
    await browser.close();
    console.log(JSON.stringify(report));
  }
}

// The command palette: run a command by its title, as a user types it. An extension's command
// appears once it has activated: the palette is opened again until it lists the title.
async function command(page, title, timeoutMs = 15000) {
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
  const input = page.locator(".quick-input-widget input");
  await waitFor(`"${title}" in the command palette`, async () => {
    await page.keyboard.press("F1");
    await input.waitFor({ state: "visible" });
    await input.fill(">" + title);
    if (await row.waitFor({ state: "visible", timeout: 3000 }).then(() => true, () => false)) return true;
    report.palette = await page.$$eval(".quick-input-list .monaco-list-row", (rows) => rows.map((r) => r.getAttribute("aria-label")));
    await page.keyboard.press("Escape");
    return false;
  }, timeoutMs);
  await row.click();
  await page.locator(".quick-input-widget").waitFor({ state: "hidden" }).catch(() => undefined);
}

// Quick open: a file by name, or `:N` to go to line N of the active editor.
async function quickOpen(page, text, pickFirst = true) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  await input.fill(text);
  if (pickFirst) await page.locator(".quick-input-list .monaco-list-row").first().waitFor({ state: "visible", timeout: 15000 });
  else await sleep(300);
  await page.keyboard.press("Enter");
  await page.locator(".quick-input-widget").waitFor({ state: "hidden" }).catch(() => undefined);
}

// The Testing view's tree rows as the screen reader reads them: "label, State[, in Nms]".
const testRows = (page) => page.$$eval(".part.sidebar .monaco-list-row", (rows) => rows.map((r) => r.getAttribute("aria-label")));
const rowOf = async (page, label) => (await testRows(page)).find((r) => r && (r === label || r.startsWith(label + " (")));

const rowWithText = (page, text) => page.$$eval(".part.sidebar .monaco-list-row", (rows, text) =>
  rows.map((r) => r.textContent).find((t) => t.includes(text)), text);

async function expandAll(page, label) {
  // By its text: a row whose item has a description ("dynamic") is read by that, not its label.
  const row = page.locator(".part.sidebar .monaco-list-row", { hasText: label }).first();
  await row.waitFor({ state: "visible" });
  await waitFor(`${label} expanded`, async () => {
    if ((await row.getAttribute("aria-expanded")) === "true") return true;
    await row.locator(".monaco-tl-twistie").click();
    await sleep(300);
    return (await row.getAttribute("aria-expanded")) === "true";
  }, 10000);
}

async function step(name, body) {
  const start = Date.now();
  const result = await body();
  report.steps.push({ name, ms: Date.now() - start, ...(result || {}) });
}

async function drive(page) {
  await step("open workbench", async () => {
    await page.goto(url);
    await page.locator(".monaco-workbench").waitFor({ timeout: 60000 });
  });
  await step("open file", async () => {
    await waitFor("quick open to find files", async () => {
      await quickOpen(page, "test_calc.py");
      return (await page.locator(".tabs-container .tab.active").getAttribute("aria-label").catch(() => "") || "").includes("test_calc.py");
    }, 60000);
    report.activeTab = await page.locator(".tabs-container .tab.active").getAttribute("aria-label");
  });
  await step("tree", async () => {
    await command(page, "Testing: Focus on Test Explorer View", 60000);
    await waitFor("the module in the Testing view", () => rowOf(page, "test_calc.py"), 60000);
    await expandAll(page, "test_calc.py");
    await waitFor("the tests in the Testing view", () => rowOf(page, "test_slow"));
    report.tree = await testRows(page);
  });
  await step("refresh", async () => {
    // A tool writes a test where the editor does not watch (files.watcherExclude): the tree shows
    // it once the user presses the Testing view's Refresh button, not before.
    fs.mkdirSync(path.join(projectDir, "later"));
    fs.writeFileSync(path.join(projectDir, "later", "test_later.py"), "def test_later():\n    pass\n");
    await sleep(3000);
    report.beforeRefresh = (await testRows(page)).filter((r) => r && r.startsWith("later"));
    const start = Date.now();
    await page.locator(`.part.sidebar .action-label[aria-label^="Refresh Tests"]`).first().click();
    report.afterRefresh = await waitFor("the new folder in the Testing view", () => rowOf(page, "later"), 20000);
    report.refreshMs = Date.now() - start;
  });
  await step("run a failing test at the cursor", async () => {
    await runAtCursor(page, 11);
    report.failed = await waitFor("test_adds_wrong to fail", () => stateIs(page, "test_adds_wrong", "Failed"));
    report.inlineMessages = await waitFor("the failure's message in the editor", () => inlineMessages(page));
    // The raw report is not drawn after the line instead (output given a location is).
    report.reportInline = await page.$$eval(".view-line [class*='test-message-inline-content']", (els) => els.map((e) => e.textContent));
  });
  await step("output", async () => {
    await command(page, "Test: Show Output");
    report.output = await waitFor("the failing run's report in the Test Results pane", async () => {
      const text = await page.$$eval(".xterm-rows > div, .xterm-accessibility-tree > div", (els) => els.map((e) => e.textContent).join("\n"));
      return text.includes("AssertionError") && text;
    }, 20000);
    report.resultRows = await waitFor("the failure in the Test Results tree", async () => {
      const rows = await page.$$eval(".part.panel .monaco-list-row", (rs) => rs.map((r) => r.textContent.replace(/\u00a0/g, " ")));
      const short = rows.filter((r) => r.length < 300);
      return short.some((r) => r.includes("test_adds_wrong")) && short;
    }, 10000);
  });
  await step("run a passing test at the cursor", async () => {
    await runAtCursor(page, 7);
    report.passed = await waitFor("test_adds to pass", () => stateIs(page, "test_adds", "Passed"));
  });
  await step("edit without saving, run again", async () => {
    await quickOpen(page, ":15", false);
    await page.keyboard.press("End");
    await page.keyboard.type(" + 1");
    report.dirty = await waitFor("the editor to be dirty", () => page.locator(".tabs-container .tab.active.dirty").count(), 5000);
    // The editor draws typed text a moment after the keys (later on a loaded machine).
    report.editedLine = await waitFor("the typed text on screen", async () => {
      const lines = await page.$$eval(".view-line", (ls) => ls.map((l) => l.textContent.replace(/\u00a0/g, " ")).filter((t) => t.includes("add(2, 2)")));
      return lines.some((t) => t.endsWith("4 + 1")) && lines;
    }, 5000);
    await command(page, "Test: Run Test at Cursor");
    report.edited = await waitFor("test_edited to fail on the unsaved text", () => stateIs(page, "test_edited", "Failed"));
    report.dirtyAfterRun = await page.locator(".tabs-container .tab.active.dirty").count() === 1;
    report.diskAfterEditedRun = fs.readFileSync(path.join(projectDir, "test_calc.py"), "utf8");
  });
  await step("cancel a long run", async () => {
    await runAtCursor(page, 19);
    report.running = await waitFor("test_slow to be running (a spinning icon on its row)", () => isRunning(page, "test_slow"));
    const start = Date.now();
    await command(page, "Test: Cancel Test Run");
    report.cancelled = await waitFor("the run to stop", async () => {
      const row = await rowOf(page, "test_slow");
      return row && !row.includes("Running") && !row.includes("Queued") && row;
    }, 20000);
    report.cancelMs = Date.now() - start;
  });
  await step("coverage", async () => {
    await quickOpen(page, ":7", false);
    await command(page, "Test: Run Test at Cursor with Coverage");
    report.coverage = await waitFor("calc.py's coverage in the Test Coverage view", async () => {
      const rows = await page.$$eval(".monaco-list-row", (rs) => rs.map((r) => r.textContent));
      const found = rows.filter((r) => r && r.includes("calc.py") && r.includes("%"));
      return found.length && found;
    }, 30000);
  });
  await step("continuous run", async () => {
    await command(page, "Testing: Focus on Test Explorer View");
    await rowAction(page, "test_adds", "Turn on Continuous Run");
    // A change that makes test_adds fail, saved: the failure arrives without pressing run.
    await quickOpen(page, ":7", false);
    await page.keyboard.press("End");
    await page.keyboard.type("0");
    await page.keyboard.press("Control+s");
    const saved = Date.now();
    await waitFor("the editor to be saved", async () => (await page.locator(".tabs-container .tab.active.dirty").count()) === 0, 5000);
    report.continuousFailed = await waitFor("test_adds to fail by itself", () => stateIs(page, "test_adds", "Failed"), 20000);
    report.continuousMs = Date.now() - saved;
    await rowAction(page, "test_adds", "Turn off Continuous Run");
    // Turned off: the next save (which fixes it) runs nothing.
    await quickOpen(page, ":7", false);
    await page.keyboard.press("End");
    await page.keyboard.press("Backspace");
    await page.keyboard.press("Control+s");
    report.savedAfterOff = await waitFor("the fix to be saved", async () =>
      (await page.locator(".tabs-container .tab.active.dirty").count()) === 0 &&
      fs.readFileSync(path.join(projectDir, "test_calc.py"), "utf8").includes("assert add(1, 1) == 2\n"), 5000);
    await sleep(3000);
    report.afterContinuousOff = await rowOf(page, "test_adds");
  });
  await step("debug", async () => {
    // A breakpoint in test_adds, "Debug Test at Cursor": the test waits in debugpy, the workbench
    // attaches, stops on the line; Continue lets it pass.
    await quickOpen(page, ":7", false);
    await command(page, "Debug: Toggle Breakpoint");
    const start = Date.now();
    await command(page, "Test: Debug Test at Cursor");
    report.pausedAt = await waitFor("the debugger to stop at the breakpoint", async () => {
      const rows = await page.$$eval(".monaco-list-row", (rs) => rs.map((r) => r.getAttribute("aria-label") || ""));
      return rows.find((r) => r.startsWith("Stack Frame test_adds"));
    }, 30000);
    report.pausedMs = Date.now() - start;
    await command(page, "Debug: Continue");
    await command(page, "Testing: Focus on Test Explorer View");
    report.debugged = await waitFor("test_adds to pass once continued", () => stateIs(page, "test_adds", "Passed"), 20000);
    // Disconnecting the debugger at the breakpoint ends the test's run too (no test left waiting).
    await quickOpen(page, "test_calc.py");
    await quickOpen(page, ":7", false);
    await command(page, "Test: Debug Test at Cursor");
    await waitFor("the debugger to stop again", async () => {
      const rows = await page.$$eval(".monaco-list-row", (rs) => rs.map((r) => r.getAttribute("aria-label") || ""));
      return rows.some((r) => r.startsWith("Stack Frame test_adds"));
    }, 30000);
    await command(page, "Testing: Focus on Test Explorer View");
    report.runningWhilePaused = await waitFor("test_adds running while paused", () => isRunning(page, "test_adds"), 5000);
    const stopped = Date.now();
    await command(page, "Debug: Disconnect");  // an attach session is disconnected, not stopped
    report.afterDebugStop = await waitFor("the debug run to end", async () => {
      const row = await rowOf(page, "test_adds");
      return row && !(await isRunning(page, "test_adds")) && !row.includes("Running") && row;
    }, 20000);
    report.debugStopMs = Date.now() - stopped;
  });
  await step("busy while settling", async () => {
    // test_dyn.py's cases are a function's result: pytest settles them (2 s: its import sleeps).
    // An unsaved edit of the function: the module is busy until pytest's cases are in.
    await quickOpen(page, "test_dyn.py");
    await expandAll(page, "test_dyn.py");
    await expandAll(page, "test_case");
    await waitFor("test_dyn.py's settled cases", () => rowWithText(page, "test_case[2]"), 30000);
    await quickOpen(page, ":9", false);
    await page.keyboard.press("End");
    await page.keyboard.press("ArrowLeft");
    await page.keyboard.type(", 3");
    const typed = Date.now();
    report.busySeen = await waitFor("test_dyn.py busy", () => isRunning(page, "test_dyn.py"), 10000);
    report.busyAfterMs = Date.now() - typed;
    // Still typing while it settles: busy until the last edit's cases are in.
    await page.keyboard.type(", 4");
    report.busyGaps = 0;
    report.settledCase = await waitFor("the new case, settled", async () => {
      const found = await rowWithText(page, "test_case[4]");
      if (!found && !(await isRunning(page, "test_dyn.py"))) report.busyGaps++;
      return found;
    }, 30000);
    report.busyEnd = await waitFor("test_dyn.py no longer busy", async () => !(await isRunning(page, "test_dyn.py")), 10000);
    report.settleMs = Date.now() - typed;
  });
}

// Hovers over a row of the Testing view and clicks one of its inline actions.
async function rowAction(page, label, action) {
  const row = page.locator(`.part.sidebar .monaco-list-row[aria-label^="${label} ("], .part.sidebar .monaco-list-row[aria-label="${label}"]`).first();
  await row.hover();
  await row.locator(`.action-label[aria-label^="${action}"]`).click();
}

async function isRunning(page, label) {
  return page.$$eval(".part.sidebar .monaco-list-row", (rows, label) => rows.some((r) =>
    ((r.getAttribute("aria-label") || "") === label || (r.getAttribute("aria-label") || "").startsWith(label + " (")) && r.querySelector("[class*='spin'], [class*='loading']")), label);
}

// A test row's state as the tree reads it ("test_adds (Passed)"), once it is `state`.
async function stateIs(page, label, state) {
  const row = await rowOf(page, label);
  return row && row.includes(state) ? row : undefined;
}

async function runAtCursor(page, line) {
  await quickOpen(page, `:${line}`, false);
  await command(page, "Test: Run Test at Cursor");
}

// The failure widgets the workbench draws after an editor line, with the text of that line.
const inlineMessages = (page) => page.$$eval(".monaco-editor .test-error-content-widget", (widgets) =>
  widgets.map((w) => {
    const box = w.getBoundingClientRect();
    const mid = box.top + box.height / 2;
    const line = [...document.querySelectorAll(".monaco-editor .view-lines .view-line")].find((l) => {
      const r = l.getBoundingClientRect();
      return r.top <= mid && mid < r.bottom;
    });
    return { line: line ? line.textContent.replace(/\u00a0/g, " ") : "", message: (w.querySelector(".content") || w).textContent };
  })).then((found) => found.length && found);

main();
