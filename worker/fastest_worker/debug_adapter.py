"""debugpy in a debug batch, and the adapter process it leaves behind.

debugpy.listen starts its debug adapter as a daemon: the adapter leaves the batch child's
process group and session (setsid, then a second fork), so the engine's kill of that group
(cancel, timeout) does not reach it. It ends by itself once its debuggee disconnects, but a
child killed while debugpy.listen runs, before it connects to its adapter, leaves the adapter
waiting for that connection for ever: it holds the debug port and the worker's stderr pipe.
So the child marks what debugpy starts with an environment variable, and the worker ends every
process that carries the mark once the child is reaped, before the batch is reported done."""
import os
import signal

MARK = "FASTEST_DEBUG_BATCH"


def mark(worker_pid: int, batch: int) -> str:
    return f"{worker_pid}:{batch}"


def listen(port: int, batch: int) -> None:
    """debugpy.listen on 127.0.0.1:`port`, in the batch child of the worker that forked it."""
    import debugpy
    os.environ[MARK] = mark(os.getppid(), batch)  # inherited by the adapter debugpy starts
    try:
        debugpy.listen(("127.0.0.1", port))
    finally:
        del os.environ[MARK]  # the tests do not see it


def end_adapters(batch: int) -> None:
    """In the worker, once the batch's child is reaped: kills what its debugpy left running.
    Again until none is found: one killed while forking may have started another."""
    needle = f"{MARK}={mark(os.getpid(), batch)}".encode()
    for _ in range(10):
        marked = _processes_with(needle)
        if not marked:
            return
        for pid in marked:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def _processes_with(needle: bytes) -> list:
    """The processes whose environment holds `needle` (a killed one reads as empty)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            pass  # gone, or another user's
    return found
