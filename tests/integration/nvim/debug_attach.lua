-- Debugs the test at the cursor with a stand-in for nvim-dap that records when it is called and
-- tries the attach configuration's port (as nvim-dap's connect would), then cancels the run;
-- writes what it saw to $FASTEST_NVIM_OUT as JSON and quits.
local out = os.getenv("FASTEST_NVIM_OUT")
local fastest = require("fastest")
fastest.setup({ cmd = { os.getenv("FASTEST_BIN"), "lsp" }, python = os.getenv("FASTEST_PYTHON") })
vim.cmd("edit " .. os.getenv("FASTEST_NVIM_FILE"))
local report = { calls = 0 }
local function finish()
  local f = io.open(out, "w")
  f:write(vim.fn.json_encode(report))
  f:close()
  vim.cmd("qall!")
end
if not vim.wait(20000, function() return vim.tbl_count(fastest.tests) > 10 end, 50) then return finish() end
report.notices = {}
local notify = vim.notify
vim.notify = function(msg, level) table.insert(report.notices, msg); notify(msg, level) end
local clock = vim.loop.hrtime
package.loaded["dap"] = {
  adapters = { python = { type = "server" } },
  run = function(config)
    report.calls = report.calls + 1
    report.called_at = clock()
    report.port = config.connect.port
    local tcp = vim.loop.new_tcp()
    tcp:connect(config.connect.host, config.connect.port, function(err)
      report.connect_error = err or false
      tcp:close()
    end)
  end,
}
-- When the server said debugpy listens (the plugin's own handler runs after).
local handlers = fastest.client().handlers
local on_listening = handlers["fastest/debugListening"]
handlers["fastest/debugListening"] = function(err, params, ctx, config)
  report.listening_at = clock()
  report.listening_port = params.port
  report.run = params.runId
  if on_listening then on_listening(err, params, ctx, config) end
end
vim.api.nvim_win_set_cursor(0, { tonumber(os.getenv("FASTEST_NVIM_LINE")), 4 })
fastest.debug_nearest()
vim.wait(30000, function() return report.connect_error ~= nil end, 20)
vim.wait(300)  -- no second attach
if report.run then
  fastest.run_command("fastest.cancelRun", { runId = report.run })
  report.finished = vim.wait(30000, function()
    local r = fastest.runs[report.run]
    return r ~= nil and r.finished
  end, 50)
end
finish()
