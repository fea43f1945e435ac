Content-Length: 83

{"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"capabilities": {}}}Content-Length: 57

{"jsonrpc": "2.0", "method": "initialized", "params": {}}Content-Length: 152

{"jsonrpc": "2.0", "id": 1, "method": "textDocument/codeLens", "params": {"textDocument": {"uri": "file:///tmp/fastest-fuzz-lsp/tests/test_sample.py"}}}Content-Length: 68

{"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 2}}Content-Length: 60

{"jsonrpc": "2.0", "id": 2, "method": "echo", "params": [1]}Content-Length: 65

{"jsonrpc": "2.0", "id": 3, "method": "fail", "params": {"x": 1}}Content-Length: 49

{"jsonrpc": "2.0", "id": 4, "method": "shutdown"}Content-Length: 36

{"jsonrpc": "2.0", "method": "exit"}