"""fastest's worker: runs real pytest for the fastest engine, in the user's own interpreter.

The engine starts `python -m fastest_worker` with two private pipes (FASTEST_COMMAND_FD,
FASTEST_EVENT_FD) carrying newline-delimited JSON. The worker imports pytest once, then forks
one child per batch, so test modules are always imported fresh while start-up is paid once.
Nothing here knows about editors or LSP.
"""
