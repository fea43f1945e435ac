"""The structured LSP fuzzer (lsp_fuzz.py) as a test: a fixed seed, 8,000 mutated
messages of every method, about a minute; fails on a crash, a hang or a desync."""
from lsp_fuzz import Fuzzer, make_workspace


def test_structured_lsp_fuzzer(fastest_bin, test_project, python_exe, tmp_path):
    ws = make_workspace(test_project, tmp_path / "ws")
    result = Fuzzer(fastest_bin, ws, python_exe, seed=20261206, batches=320, batch_size=25, failure_dir=tmp_path).run()
    print(f"\nfuzzer: {result['messages']} messages in {result['seconds']} s")
    assert result["messages"] == 8000
