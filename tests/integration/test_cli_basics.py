import subprocess


def test_help_lists_the_three_commands(fastest_bin):
    out = subprocess.run([fastest_bin, "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("discover", "run", "lsp"):
        assert command in out


def test_unknown_subcommand_is_a_usage_error(fastest_bin):
    proc = subprocess.run([fastest_bin, "frobnicate"], capture_output=True, text=True)
    assert proc.returncode == 4
