// Routes a run's notifications to its TestRun. The server may send a run's first notifications
// (its `enqueued` states, even its `runFinished`) before the client has read the runTests reply
// that names the run: they wait here, in order, until the run is opened, instead of being lost.
// Pure (no vscode import), so it is tested under plain Node.
export class RunRouter<Run> {
  private readonly open = new Map<string, Run>();
  private readonly waiting = new Map<string, Array<(run: Run) => void>>();
  // Runs that ended: what still arrives for them (an armed continuous run's runFinished after the
  // client disarmed it) is dropped, not kept waiting for an open that never comes.
  private readonly closed = new Set<string>();

  // Calls `handle` with the run now if it is open, else once it is.
  dispatch(runId: string, handle: (run: Run) => void): void {
    if (this.closed.has(runId)) return;
    const run = this.open.get(runId);
    if (run !== undefined) {
      handle(run);
      return;
    }
    const queue = this.waiting.get(runId) ?? [];
    queue.push(handle);
    this.waiting.set(runId, queue);
  }

  // The reply named the run: what arrived for it before is handled now, in arrival order.
  openRun(runId: string, run: Run): void {
    this.open.set(runId, run);
    const queue = this.waiting.get(runId) ?? [];
    this.waiting.delete(runId);
    for (const handle of queue) {
      if (!this.open.has(runId)) break;  // a queued runFinished closed it
      handle(run);
    }
  }

  close(runId: string): void {
    this.closed.add(runId);
    this.open.delete(runId);
    this.waiting.delete(runId);
  }

  isOpen(runId: string): boolean {
    return this.open.has(runId);
  }

  // How many runs have notifications waiting for their open.
  waitingRuns(): number {
    return this.waiting.size;
  }
}
