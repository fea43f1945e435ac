Content-Length: 42

[{"jsonrpc":"2.0","id":1,"method":"echo"}]Content-Length: 41

{"jsonrpc": "2.0", "id": 9, "result": {}}Content-Length: 82

{"jsonrpc": "2.0", "id": 1, "method": "echo", "params": {"a": [1, 2, {"b": "c"}]}}