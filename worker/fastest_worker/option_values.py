"""`python -m fastest_worker.option_values [pytest args]`: prints, as a JSON list, every
command-line option pytest, its plugins and the initial conftests register that takes a
value, so that `fastest run --cov src` can hand `--cov src` on as pytest would read it
(argparse gives a value-taking option the next word) instead of taking `src` for a path."""
import json
import sys

from _pytest.config import _prepareconfig

FLAG_ACTIONS = {"store_true", "store_false", "store_const", "append_const", "count", "help", "version"}


def value_options(parser) -> list:
    names = []
    for group in [parser._anonymous, *parser._groups]:
        for option in group.options:
            attrs = option.attrs()
            if attrs.get("action", "store") in FLAG_ACTIONS or attrs.get("nargs") == 0:
                continue
            names.extend(option.names())
    return sorted(set(names))


def main() -> int:
    config = _prepareconfig(sys.argv[1:])
    try:
        print(json.dumps(value_options(config._parser)))
    finally:
        config._ensure_unconfigure()
    return 0


if __name__ == "__main__":
    sys.exit(main())
