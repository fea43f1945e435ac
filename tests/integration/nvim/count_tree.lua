-- Drives the fastest Neovim plugin headlessly: waits until the tree holds $FASTEST_NVIM_EXPECT
-- items (a big root's tree comes in chunks), writes how many it holds to $FASTEST_NVIM_OUT.
local fastest = require("fastest")
fastest.setup({ cmd = { os.getenv("FASTEST_BIN"), "lsp" }, python = os.getenv("FASTEST_PYTHON") })
vim.cmd("edit " .. os.getenv("FASTEST_NVIM_FILE"))
local expect = tonumber(os.getenv("FASTEST_NVIM_EXPECT"))
vim.wait(30000, function() return vim.tbl_count(fastest.tests) >= expect end, 50)
vim.wait(500, function() return false end, 50)  -- a chunk that replaced instead of adding would show now
local f = io.open(os.getenv("FASTEST_NVIM_OUT"), "w")
f:write(tostring(vim.tbl_count(fastest.tests)))
f:close()
vim.cmd("qall!")
