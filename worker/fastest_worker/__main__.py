"""Entry point: `python -m fastest_worker` (started by the engine, never by hand)."""
import os
import sys


def main() -> int:
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
