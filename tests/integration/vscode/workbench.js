// Drives the real VS Code workbench (code-server in headless Chromium, through playwright-core) along
// a user's path with the fastest extension, and prints what it saw as one JSON line for
// test_editor_vscode_workbench.py to assert. Each step waits (polling) for what the user would see.
// argv: playwright-core's folder, the workbench URL, chromium's path.
const [playwrightDir, url, chromiumPath] = process.argv.slice(2);
const { chromium } = require(playwrightDir);

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

async function expandAll(page, label) {
  const row = page.locator(`.part.sidebar .monaco-list-row[aria-label^="${label}"]`).first();
  await row.waitFor({ state: "visible" });
  if ((await row.getAttribute("aria-expanded")) === "false") await row.locator(".monaco-tl-twistie").click();
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
}

main();
