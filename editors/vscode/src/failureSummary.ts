// The line a failure is known by: pytest's first "E" line (the assertion as evaluated, or the
// exception). The workbench draws a message's first line after the failing line, so the message
// starts with it; the whole report follows (the peek view, the Test Results pane).
// Pure (no vscode import), so it is tested under plain Node.
export function failureSummary(report: string): string | undefined {
  const line = report.split(/\r?\n/).find((l) => /^E\s/.test(l));
  return line?.slice(1).trim() || undefined;
}

export function withSummaryFirst(report: string): string {
  const summary = failureSummary(report);
  return summary && !report.startsWith(summary) ? `${summary}\n\n${report}` : report;
}
