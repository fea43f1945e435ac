-- Drives the fastest Neovim plugin headlessly: waits for the tree, runs the test at the
-- cursor, writes what it saw to $FASTEST_NVIM_OUT as JSON, then quits.
local out = os.getenv("FASTEST_NVIM_OUT")
local target = os.getenv("FASTEST_NVIM_FILE")
local line = tonumber(os.getenv("FASTEST_NVIM_LINE"))
local fastest = require("fastest")
local results = {}
fastest.setup({ cmd = { os.getenv("FASTEST_BIN"), "lsp" }, python = os.getenv("FASTEST_PYTHON"),
                on_result = function(p) table.insert(results, p) end })
vim.cmd("edit " .. target)
local report = { tests = 0, lenses = 0, results = {} }
local function finish()
  report.results = results
  local f = io.open(out, "w")
  f:write(vim.fn.json_encode(report))
  f:close()
  vim.cmd("qall!")
end
-- The opened file's tests may come before the whole tree (collected in the background).
local ok = vim.wait(20000, function() return vim.tbl_count(fastest.tests) > 40 end, 50)
report.tests = vim.tbl_count(fastest.tests)
if not ok then return finish() end
local client = fastest.client()
-- The plugin fetches lenses by itself once the tree is there (no refresh call from the user).
vim.wait(10000, function() return #vim.lsp.codelens.get(0) > 10 end, 50)
report.lenses = #vim.lsp.codelens.get(0)
local notices = {}
local notify = vim.notify
vim.notify = function(msg, level) table.insert(notices, msg); notify(msg, level) end
vim.api.nvim_win_set_cursor(0, { line, 4 })
fastest.run_nearest()
vim.wait(30000, function() return #results > 0 end, 50)
-- Marks never pile up: run a parametrized test twice; its line has one mark per case plus the
-- function's own summary, each naming what it is.
local function marks_on(first, last)
  local found = {}
  for _, m in ipairs(vim.api.nvim_buf_get_extmarks(0, vim.api.nvim_create_namespace("fastest"), { first, 0 },
                                                     { last, -1 }, { details = true })) do
    for _, chunk in ipairs(m[4].virt_text or {}) do table.insert(found, chunk[1]) end
  end
  return found
end
local lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
local quantity_row
for i, text in ipairs(lines) do
  if text:find("def test_add_rejects_non_positive", 1, true) then quantity_row = i end
end
for _ = 1, 2 do
  local before = #results
  vim.api.nvim_win_set_cursor(0, { quantity_row, 4 })
  fastest.run_nearest()
  vim.wait(30000, function() return #results >= before + 3 end, 50)
end
vim.wait(200)
-- From the decorator (the cases' values) to the def line.
report.param_marks = marks_on(quantity_row - 2, quantity_row - 1)
-- The tree nests tests under their module; `o` on a row shows the test's report.
local tree_buf = fastest.tree()
report.tree_lines = vim.api.nvim_buf_get_lines(tree_buf, 0, -1, false)
local out_buf = fastest.output("tests/unit/test_stock.py::test_add_counts")
report.output_lines = out_buf and vim.api.nvim_buf_get_lines(out_buf, 0, 2, false) or {}
vim.cmd("close")
vim.cmd("close")
-- Debug without nvim-dap: a clear message, and the waiting test is cancelled.
local finished_before = vim.tbl_count(fastest.runs)
vim.api.nvim_win_set_cursor(0, { line, 4 })
fastest.debug_nearest()
vim.wait(15000, function()
  for _, msg in ipairs(notices) do if msg:find("nvim%-dap") then return true end end
  return false
end, 50)
report.debug_notice = ""
for _, msg in ipairs(notices) do if msg:find("nvim%-dap") then report.debug_notice = msg end end
report.debug_cancelled = vim.wait(15000, function()
  for _, r in pairs(fastest.runs) do if r.finished and r.counts and r.counts.cancelled then return true end end
  return false
end, 50)
-- :FastestRerunFailed runs what pytest's cache records as failed (the test wrote one id there).
vim.cmd("FastestRerunFailed")
local rerun_id = "tests/unit/test_stock.py::test_take_too_many_raises"
vim.wait(30000, function()
  for _, r in ipairs(results) do if r.id == rerun_id then return true end end
  return false
end, 50)
report.rerun = {}
for _, r in ipairs(results) do if r.id == rerun_id then table.insert(report.rerun, r.state) end end
results = vim.tbl_filter(function(r) return r.id == "tests/unit/test_stock.py::test_add_counts" end, results)
-- Give the extmark a moment, then record the virtual text on the test's line.
local marks = vim.api.nvim_buf_get_extmarks(0, vim.api.nvim_create_namespace("fastest"), 0, -1, { details = true })
report.virtual_text = {}
for _, m in ipairs(marks) do
  for _, chunk in ipairs(m[4].virt_text or {}) do table.insert(report.virtual_text, chunk[1]) end
end
-- An edit that only moves tests (a blank line at the top): every test of the file moves down.
local before = {}
local uri = vim.uri_from_bufnr(0)
for id, item in pairs(fastest.tests) do
  if item.uri == uri and item.kind ~= "module" and item.range then before[id] = item.range.start.line end
end
vim.api.nvim_buf_set_lines(0, 0, 0, false, { "" })
report.moved = vim.wait(10000, function()
  for id, line_before in pairs(before) do
    local item = fastest.tests[id]
    if not item or item.range.start.line ~= line_before + 1 then return false end
  end
  return next(before) ~= nil
end, 20)
-- Typing in a test's name: fastest/testsMoved drops the old id and adds the renamed test.
local old_id = "tests/unit/test_stock.py::test_add_counts"
for i, text in ipairs(vim.api.nvim_buf_get_lines(0, 0, -1, false)) do
  local _, name_end = text:find("def test_add_counts", 1, true)
  if name_end then
    vim.api.nvim_buf_set_text(0, i - 1, name_end, i - 1, name_end, { "x" })
    break
  end
end
report.renamed = vim.wait(10000, function()
  return fastest.tests[old_id] == nil and fastest.tests[old_id .. "x"] ~= nil
end, 20)
-- :FastestWatch arms a continuous run: saving the file runs its tests (the renamed one too).
vim.cmd("FastestWatch")
vim.wait(10000, function() return fastest.watch_id ~= nil end, 20)
local seen = #results
local runs_before = {}
for id in pairs(fastest.runs) do runs_before[id] = true end
vim.cmd("write")
vim.wait(30000, function()  -- the cycle's runFinished
  for id, r in pairs(fastest.runs) do if not runs_before[id] and r.finished then return true end end
  return false
end, 50)
report.watch_ran = {}
for i = seen + 1, #results do report.watch_ran[results[i].id] = results[i].state end
for i = #results, seen + 1, -1 do table.remove(results, i) end
vim.cmd("FastestWatch")
report.watch_off = fastest.watch_id == nil
finish()
