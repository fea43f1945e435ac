Content-Length: 228

{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": "file:///tmp/fastest-fuzz-lsp/tests/test_sample.py", "languageId": "python", "version": 1, "text": "def test_é😀():\n    x = '😀'\n"}}}Content-Length: 380

{"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": "file:///tmp/fastest-fuzz-lsp/tests/test_sample.py", "version": 2}, "contentChanges": [{"range": {"start": {"line": 1, "character": 9}, "end": {"line": 1, "character": 10}}, "text": "ü"}, {"range": {"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 4}}, "text": "("}]}}Content-Length: 152

{"jsonrpc": "2.0", "id": 3, "method": "textDocument/codeLens", "params": {"textDocument": {"uri": "file:///tmp/fastest-fuzz-lsp/tests/test_sample.py"}}}Content-Length: 143

{"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": "file:///tmp/fastest-fuzz-lsp/tests/test_sample.py"}}}