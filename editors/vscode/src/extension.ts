// fastest for VS Code: the server's test tree on a TestController, runs through fastest/runTests.
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions, StaticFeature } from "vscode-languageclient/node";
import { RunRouter } from "./runRouter";
import { withSummaryFirst } from "./failureSummary";

interface Position { line: number; character: number }
interface Range { start: Position; end: Position }
interface ServerTestItem {
  id: string; label: string; kind: "folder" | "module" | "class" | "function" | "case";
  parentId?: string; uri: string; range?: Range; tags: string[]; dynamic: boolean; dynamicReason?: string;
}
// `append`: one more chunk of the scope's tree (fastestTreeChunks), added to what is there.
interface DiscoveredTests { scopeUri?: string; rootUri?: string; items: ServerTestItem[]; append?: boolean; more?: boolean }
interface TestsMoved {
  uri: string; rootUri?: string; afterLine: number; lineDelta: number; removed?: string[]; items: ServerTestItem[];
}
interface TestMessage { message: string; expected?: string; actual?: string; location?: { uri: string; range: Range } }
interface TestStateChanged {
  runId: string; id: string; rootUri?: string; state: string; durationMs?: number; messages?: TestMessage[]; output?: { text: string };
}
interface RunFinished {
  runId: string; counts: Record<string, number>; durationMs: number; error?: string;
  coverage?: { uri: string; linesCovered: number[]; linesMissed: number[] }[];
}
interface RunReply { runId: string; enqueued: string[]; debug?: vscode.DebugConfiguration }

let client: LanguageClient | undefined;
const OWN_DEBUG_TYPE = "fastest-debugpy";
const PYTHON_DEBUGGERS = ["ms-python.debugpy", "ms-python.python"];
// debugListening: a debug run's test waits in debugpy, which now accepts the debugger.
interface OpenRun { run: vscode.TestRun; done: () => void; kind: string; debugListening?: () => void }
const runs = new RunRouter<OpenRun>();

// Node ids are unique within one workspace folder only (a monorepo's packages may each have
// tests/test_api.py): items are keyed by the folder and the id, and runs name both. The two are
// joined by a space, which an encoded URI never holds; not by NUL: the workbench joins the ids of an
// item's path with NUL, and an id holding one left the Testing view empty.
interface TestRef { id: string; rootUri?: string }
const keyOf = (rootUri: string | undefined, id: string) => `${rootUri ?? ""} ${id}`;

function toRange(r?: Range): vscode.Range | undefined {
  return r ? new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character) : undefined;
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const config = vscode.workspace.getConfiguration("fastest");
  const serverOptions: ServerOptions = { command: config.get<string>("path", "fastest"), args: ["lsp"] };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "python" }],
    initializationOptions: {
      pythonPath: config.get<string>("pythonPath") || undefined,
      workers: config.get<number>("workers", 0),
      timeout: config.get<number>("timeout", 0),
      extraArgs: config.get<string[]>("extraArgs", []),
      env: config.get<Record<string, string>>("env", {}),
    },
  };
  // Settings changed later reach the server (workspace/didChangeConfiguration).
  clientOptions.synchronize = { configurationSection: "fastest" };
  client = new LanguageClient("fastest", "fastest", serverOptions, clientOptions);
  const testsMovedFeature: StaticFeature = {
    fillClientCapabilities: (capabilities) => {
      // fastestTestExplorer: the Testing view has the run controls, so the server offers no lenses.
      capabilities.experimental = {
        ...(capabilities.experimental as object | undefined), fastestTestsMoved: true, fastestTestExplorer: true, fastestTreeChunks: true,
      };
    },
    initialize: () => undefined,
    getState: () => ({ kind: "static" }),
    clear: () => undefined,
  };
  client.registerFeature(testsMovedFeature);
  const controller = vscode.tests.createTestController("fastest", "Python (fastest)");
  context.subscriptions.push(controller);
  const items = new Map<string, vscode.TestItem>();  // keyOf(rootUri, id) -> item (its id is that key)
  const refs = new WeakMap<vscode.TestItem, TestRef>();
  const tags = new Map<string, vscode.TestTag>();

  const replaceScope = (message: DiscoveredTests) => {
    // Remove what lived under the scope, then rebuild it from the message (parents first); a
    // chunk that continues the scope's tree (`append`) only adds.
    if (!message.append) for (const [id, item] of items) {
      const uri = item.uri?.toString();
      if (!message.scopeUri || (uri && (uri === message.scopeUri || uri.startsWith(message.scopeUri + "/")))) {
        (item.parent?.children ?? controller.items).delete(id);
        items.delete(id);
      }
    }
    for (const t of message.items) addItem(t, message.rootUri);
  };
  const describe = (item: vscode.TestItem, t: ServerTestItem) => {
    item.label = t.label;
    item.range = toRange(t.range);
    item.tags = t.tags.map((name) => {
      if (!tags.has(name)) tags.set(name, new vscode.TestTag(name));
      return tags.get(name)!;
    });
    item.description = t.dynamic ? "dynamic" : undefined;
  };
  // Parents come before their children in every message.
  const addItem = (t: ServerTestItem, rootUri?: string) => {
    const key = keyOf(rootUri, t.id);
    const item = controller.createTestItem(key, t.label, vscode.Uri.parse(t.uri));
    refs.set(item, { id: t.id, rootUri });
    describe(item, t);
    const parent = t.parentId ? items.get(keyOf(rootUri, t.parentId)) : undefined;
    (parent?.children ?? controller.items).add(item);
    items.set(key, item);
  };
  const removeItem = (key: string) => {
    const item = items.get(key);
    if (!item) return;
    (item.parent?.children ?? controller.items).delete(key);
    items.delete(key);
  };

  client.onNotification("fastest/discoveredTests", replaceScope);
  // An edit in one place: shift the file's items below the edit, drop the removed ids (a renamed
  // test), take the listed items whole (new, changed, or moved otherwise).
  client.onNotification("fastest/testsMoved", (m: TestsMoved) => {
    const fileUri = vscode.Uri.parse(m.uri).toString();
    const shift = (p: vscode.Position) => (p.line > m.afterLine ? p.translate(m.lineDelta) : p);
    for (const item of items.values()) {
      if (item.range && item.uri?.toString() === fileUri) item.range = new vscode.Range(shift(item.range.start), shift(item.range.end));
    }
    for (const id of m.removed ?? []) removeItem(keyOf(m.rootUri, id));
    for (const t of m.items) {
      const key = keyOf(m.rootUri, t.id);
      const item = items.get(key);
      const parentKey = t.parentId && items.has(keyOf(m.rootUri, t.parentId)) ? keyOf(m.rootUri, t.parentId) : undefined;
      if (item && item.parent?.id === parentKey) describe(item, t);
      else {
        removeItem(key);
        addItem(t, m.rootUri);
      }
    }
  });
  client.onNotification("fastest/testStateChanged", (p: TestStateChanged) =>
    runs.dispatch(p.runId, (entry) => showState(entry, p)));
  const showState = ({ run }: OpenRun, p: TestStateChanged) => {
    const item = items.get(keyOf(p.rootUri, p.id)) ?? items.get(keyOf(p.rootUri, p.id.split("[")[0]));
    if (!item) return;
    const messages = (p.messages ?? []).map((m) => {
      const text = withSummaryFirst(m.message);
      const message = m.expected !== undefined && m.actual !== undefined
        ? vscode.TestMessage.diff(text, m.expected, m.actual)
        : new vscode.TestMessage(text);
      if (m.location) message.location = new vscode.Location(vscode.Uri.parse(m.location.uri), toRange(m.location.range)!);
      return message;
    });
    // The Test Results pane: pytest's report of the failure, then what the test printed. Without a
    // location: output given one is drawn after that editor line in place of the failure's message.
    const report = (p.messages ?? []).map((m) => m.message).join("\n");
    if (report) run.appendOutput(report.replace(/\r?\n/g, "\r\n") + "\r\n", undefined, item);
    if (p.output?.text) run.appendOutput(p.output.text.replace(/\r?\n/g, "\r\n"), undefined, item);
    switch (p.state) {
      case "enqueued": run.enqueued(item); break;
      case "started": run.started(item); break;
      case "passed": case "xpassed": run.passed(item, p.durationMs); break;
      case "failed": run.failed(item, messages, p.durationMs); break;
      case "skipped": case "xfailed": run.skipped(item); break;
      default: run.errored(item, messages.length ? messages : [new vscode.TestMessage(p.state)], p.durationMs);
    }
  };
  // Coverage runs: each file's line counts on the run; the lines themselves when the editor asks.
  const lineDetails = new WeakMap<vscode.FileCoverage, vscode.StatementCoverage[]>();
  const addCoverage = (run: vscode.TestRun, files: NonNullable<RunFinished["coverage"]>) => {
    for (const f of files) {
      const details = [
        ...f.linesCovered.map((l) => new vscode.StatementCoverage(true, new vscode.Position(l - 1, 0))),
        ...f.linesMissed.map((l) => new vscode.StatementCoverage(false, new vscode.Position(l - 1, 0))),
      ];
      const coverage = vscode.FileCoverage.fromDetails(vscode.Uri.parse(f.uri), details);
      lineDetails.set(coverage, details);
      run.addCoverage(coverage);
    }
  };
  client.onNotification("fastest/debugListening", (p: { runId: string }) =>
    runs.dispatch(p.runId, (entry) => entry.debugListening?.()));
  client.onNotification("fastest/runFinished", (p: RunFinished) =>
    runs.dispatch(p.runId, (entry) => {
      if (p.error) void vscode.window.showErrorMessage(`fastest: ${p.error}`);
      if (p.coverage) addCoverage(entry.run, p.coverage);
      entry.run.end();
      entry.done();
      runs.close(p.runId);
    }));
  // A module pytest cannot collect: its error on the item (cleared with message null).
  client.onNotification("fastest/collectionError", (p: { rootUri: string; id: string; message: string | null }) => {
    const item = items.get(keyOf(p.rootUri, p.id));
    if (item) item.error = p.message ? new vscode.MarkdownString().appendCodeblock(p.message, "text") : undefined;
  });
  // The tree is pytest's once settled: the Testing view shows it busy meanwhile.
  client.onNotification("fastest/settleState", (p: { rootUri: string; state: string }) => {
    for (const [, item] of controller.items)
      if (refs.get(item)?.rootUri === p.rootUri) item.busy = p.state === "settling";
  });
  controller.refreshHandler = async () => {
    await client!.sendRequest("fastest/discoverTests", {});
  };

  // Continuous runs: the server arms the selection and starts a cycle on each save, announced by
  // fastest/runStarted; each cycle is a TestRun of the armed request until the user stops it.
  const armed = new Map<string, vscode.TestRunRequest>();
  client.onNotification("fastest/runStarted", (p: { runId: string; continuousRunId?: string }) => {
    const request = p.continuousRunId ? armed.get(p.continuousRunId) : undefined;
    if (!request) return;
    const run = controller.createTestRun(request, undefined, true);
    runs.openRun(p.runId, { run, done: () => undefined, kind: "run" });
  });
  const runContinuously = async (request: vscode.TestRunRequest, token: vscode.CancellationToken,
                                 include: (TestRef | string)[], exclude: (TestRef | string)[]) => {
    let reply: RunReply;
    try {
      reply = await client!.sendRequest<RunReply>("fastest/runTests", { include, exclude, kind: "run", continuous: true });
    } catch (error) {
      void vscode.window.showErrorMessage(`fastest: ${(error as Error).message}`);
      return;
    }
    armed.set(reply.runId, request);
    await new Promise<void>((resolve) => token.onCancellationRequested(() => resolve()));
    armed.delete(reply.runId);
    await client!.sendRequest("fastest/cancelRun", { runId: reply.runId });
    runs.close(reply.runId);  // the armed id's runFinished (disarmed) opens no TestRun
  };

  const runHandler = (kind: "run" | "debug" | "coverage") =>
    async (request: vscode.TestRunRequest, token: vscode.CancellationToken) => {
      const ref = (i: vscode.TestItem): TestRef | string => refs.get(i) ?? i.id;
      const include = request.include?.map(ref) ?? [""];
      const exclude = request.exclude?.map(ref) ?? [];
      if (request.continuous && kind === "run") return runContinuously(request, token, include, exclude);
      const run = controller.createTestRun(request);
      let reply: RunReply;
      try {
        reply = await client!.sendRequest<RunReply>("fastest/runTests", { include, exclude, kind });
      } catch (error) {
        run.end();
        void vscode.window.showErrorMessage(`fastest: ${(error as Error).message}`);
        return;
      }
      let debugListening: () => void = () => undefined;
      const listening = new Promise<boolean>((resolve) => (debugListening = () => resolve(true)));
      const finished = new Promise<void>((resolve) => runs.openRun(reply.runId, { run, done: resolve, kind, debugListening }));
      token.onCancellationRequested(() => void client!.sendRequest("fastest/cancelRun", { runId: reply.runId }));
      // The reply comes before the test's process listens: attach once debugpy does (a debugger
      // connecting at once was refused), not at all if the run ended first.
      if (kind === "debug" && reply.debug && await Promise.race([listening, finished.then(() => false)]) &&
          !(await attachDebugger(reply.debug))) {
        // Never a silent wait for a debugger that does not come: say where the test waited, end the run.
        const { host, port } = reply.debug.connect ?? {};
        void vscode.window.showErrorMessage(`fastest: the debugger did not start; the test waited in debugpy on ${host}:${port} and was cancelled`);
        await client!.sendRequest("fastest/cancelRun", { runId: reply.runId });
      }
      await finished;
    };

  // pytest's last failures (.pytest_cache lastfailed, shared with pytest), as `pytest --lf`. The
  // language client registers the server's own "fastest.rerunFailed" (executeCommandProvider),
  // which would run them unseen: this command shows the run in the Testing view.
  context.subscriptions.push(vscode.commands.registerCommand("fastest.rerunFailedTests", async () => {
    let reply: RunReply;
    try {
      reply = await client!.sendRequest<RunReply>("workspace/executeCommand", { command: "fastest.rerunFailed", arguments: [{}] });
    } catch (error) {
      void vscode.window.showInformationMessage(`fastest: ${(error as Error).message}`);
      return;
    }
    const run = controller.createTestRun(new vscode.TestRunRequest(), "Rerun failed tests");
    await new Promise<void>((resolve) => runs.openRun(reply.runId, { run, done: resolve, kind: "run" }));
  }));

  // The debug profile's test waits in debugpy, which speaks DAP on the port the server names. The
  // Python debugger extension attaches to it (type `python`); without it (code-server and VSCodium
  // install from Open VSX, which may not have it), this extension's own type connects to that port.
  context.subscriptions.push(vscode.debug.registerDebugAdapterDescriptorFactory(OWN_DEBUG_TYPE, {
    createDebugAdapterDescriptor: (session) =>
      new vscode.DebugAdapterServer(session.configuration.connect.port, session.configuration.connect.host),
  }));
  const attachDebugger = (configuration: vscode.DebugConfiguration) => {
    const hasPythonDebugger = PYTHON_DEBUGGERS.some((id) => vscode.extensions.getExtension(id) !== undefined);
    return vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0],
                                       hasPythonDebugger ? configuration : { ...configuration, type: OWN_DEBUG_TYPE });
  };

  controller.createRunProfile("Run", vscode.TestRunProfileKind.Run, runHandler("run"), true, undefined, true);
  controller.createRunProfile("Debug", vscode.TestRunProfileKind.Debug, runHandler("debug"), true);
  const coverageProfile = controller.createRunProfile("Coverage", vscode.TestRunProfileKind.Coverage, runHandler("coverage"), true);
  coverageProfile.loadDetailedCoverage = async (_run, coverage) => lineDetails.get(coverage) ?? [];
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
