"""Entry point: `python -m fastest_worker` (started by the engine, never by hand)."""
import os
import sys


def main() -> int:
    pool = os.environ.get("FASTEST_POOL_FDS")
    if pool:  # "c,e,err;c,e,err": several workers forked from one prepared process
        from .server import serve_pool
        return serve_pool([tuple(int(fd) for fd in triple.split(",")) for triple in pool.split(";")])
    try:
        command_fd = int(os.environ["FASTEST_COMMAND_FD"])
        event_fd = int(os.environ["FASTEST_EVENT_FD"])
    except (KeyError, ValueError):
        print("fastest_worker is started by the fastest engine (FASTEST_COMMAND_FD/FASTEST_EVENT_FD unset)",
              file=sys.stderr)
        return 2
    from .server import serve
    return serve(command_fd, event_fd)


if __name__ == "__main__":
    sys.exit(main())
