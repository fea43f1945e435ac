Content-Length: 170

{"jsonrpc": "2.0", "method": "workspace/didChangeWorkspaceFolders", "params": {"event": {"removed": [{"uri": "file:///tmp/fastest-fuzz-lsp", "name": "r"}], "added": []}}}Content-Length: 217

{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": "file:///tmp/fastest-fuzz-lsp/tests/test_sample.py", "languageId": "python", "version": 1, "text": "def test_a():\n    pass\n"}}}Content-Length: 153

{"jsonrpc": "2.0", "id": 11, "method": "textDocument/codeLens", "params": {"textDocument": {"uri": "file:///tmp/fastest-fuzz-lsp/tests/test_sample.py"}}}