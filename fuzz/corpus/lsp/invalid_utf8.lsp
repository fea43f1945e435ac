Content-Length: 53

{"jsonrpc":"2.0","id":1,"method":"echo","params":"ÿ"}Content-Length: 82

{"jsonrpc": "2.0", "id": 1, "method": "echo", "params": {"a": [1, 2, {"b": "c"}]}}