Content-Length: 849

{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": "file:///tmp/fastest-fuzz-lsp/tests/test_new.py", "languageId": "python", "version": 1, "text": "import pytest\n\npytestmark = [pytest.mark.slow]\n\n\n@pytest.mark.parametrize(\"a,b\", [(1, 2), (3.5, -4), (\"x y\", b\"\\x00\\n\"), (None, True), ([1], {\"k\": (2,)})])\n@pytest.mark.parametrize(\"c\", [pytest.param(1, id=\"one\"), pytest.param(2, marks=pytest.mark.xfail), 1e300, 0x10])\ndef test_stacked(a, b, c):\n    pass\n\n\n@pytest.mark.parametrize(\"n\", range(3), ids=[\"z\", \"z\", None])\ndef test_ids(n):\n    pass\n\n\n@pytest.mark.parametrize((\"s\",), [(\"é\\t\\u2603\",), (\"\\\\\",), (r\"\\n\",), (\"a\" * 120,)])\ndef test_strings(s):\n    pass\n\n\n@pytest.mark.parametrize(\"x\", [], ids=lambda v: str(v))\ndef test_empty(x):\n    pass\n"}}}Content-Length: 276

{"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": "file:///tmp/fastest-fuzz-lsp/tests/test_new.py", "version": 2}, "contentChanges": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "\n"}]}}Content-Length: 291

{"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": "file:///tmp/fastest-fuzz-lsp/tests/test_new.py", "version": 3}, "contentChanges": [{"range": {"start": {"line": 3, "character": 4}, "end": {"line": 3, "character": 8}}, "text": "def test_renamed("}]}}Content-Length: 149

{"jsonrpc": "2.0", "id": 1, "method": "textDocument/codeLens", "params": {"textDocument": {"uri": "file:///tmp/fastest-fuzz-lsp/tests/test_new.py"}}}Content-Length: 218

{"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": "file:///tmp/fastest-fuzz-lsp/tests/test_new.py", "version": 4}, "contentChanges": [{"text": "def test_whole():\n    pass\n"}]}}Content-Length: 139

{"jsonrpc": "2.0", "method": "textDocument/didSave", "params": {"textDocument": {"uri": "file:///tmp/fastest-fuzz-lsp/tests/test_new.py"}}}Content-Length: 140

{"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": "file:///tmp/fastest-fuzz-lsp/tests/test_new.py"}}}Content-Length: 49

{"jsonrpc": "2.0", "id": 2, "method": "shutdown"}Content-Length: 36

{"jsonrpc": "2.0", "method": "exit"}