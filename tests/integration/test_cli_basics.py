import subprocess


def test_help_lists_the_three_commands(fastest_bin):
    out = subprocess.run([fastest_bin, "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("discover", "run", "lsp"):
        assert command in out


def test_unknown_subcommand_is_a_usage_error(fastest_bin):
    proc = subprocess.run([fastest_bin, "frobnicate"], capture_output=True, text=True)
    assert proc.returncode == 4


def test_run_and_discover_take_pytests_selection_options(fastest_bin, python_exe, tmp_path):
    """--ignore, --ignore-glob, --deselect (one value each, repeatable) and --doctest-modules
    select what pytest selects, in `run` as in `discover`."""
    import json
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    for folder in ("a", "b", "c"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"test_{folder}.py").write_text("def test_one():\n    pass\n\ndef test_two():\n    pass\n")
    (tmp_path / "a" / "util.py").write_text('def double(x):\n    """\n    >>> double(2)\n    4\n    """\n    return 2 * x\n')
    args = ["--ignore", "b", "--ignore-glob", "*/test_c.py", "--deselect", "a/test_a.py::test_two",
            "--doctest-modules", "a"]
    expected = subprocess.run([python_exe, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
                              cwd=tmp_path, capture_output=True, text=True).stdout.split("\n\n")[0].splitlines()
    assert expected == ["a/test_a.py::test_one", "a/util.py::util.double"]
    listed = subprocess.run([fastest_bin, "discover", "--python", python_exe, *args],
                            cwd=tmp_path, capture_output=True, text=True).stdout.split("\n\n")[0].splitlines()
    assert listed == expected
    ran = subprocess.run([fastest_bin, "run", "--python", python_exe, "--json", *args],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    results = json.loads(ran.stdout)["results"]
    assert sorted(r["id"] for r in results) == expected and {r["outcome"] for r in results} == {"passed"}


def test_more_workers_than_one_pool_holds_still_run(fastest_bin, python_exe, tmp_path):
    # The pool forks at most 30 workers (their pipes sit on fixed fds); beyond that, as on a
    # machine with many cores, each worker starts its own interpreter instead of the run failing.
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_a.py").write_text("def test_one():\n    pass\n\ndef test_two():\n    pass\n")
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe, "-n", "31"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout.splitlines()[-1]
