Content-Length: 68

{"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 7}}Content-Length: 152

{"jsonrpc": "2.0", "id": 7, "method": "textDocument/codeLens", "params": {"textDocument": {"uri": "file:///tmp/fastest-fuzz-lsp/tests/test_sample.py"}}}Content-Length: 133

{"jsonrpc": "2.0", "method": "workspace/didChangeConfiguration", "params": {"settings": {"fastest": {"workers": 2, "timeout": 1.5}}}}Content-Length: 161

{"jsonrpc": "2.0", "method": "workspace/didChangeWatchedFiles", "params": {"changes": [{"uri": "file:///tmp/fastest-fuzz-lsp/tests/test_sample.py", "type": 2}]}}Content-Length: 76

{"jsonrpc": "2.0", "id": 8, "method": "fastest/discoverTests", "params": {}}Content-Length: 87

{"jsonrpc": "2.0", "id": 9, "method": "fastest/cancelRun", "params": {"runId": "nope"}}Content-Length: 53

{"jsonrpc": "2.0", "id": "fastest-1", "result": null}Content-Length: 70

{"jsonrpc": "2.0", "id": 10, "method": "no/such/method", "params": {}}