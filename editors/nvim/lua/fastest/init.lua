-- fastest for Neovim (0.7+): starts `fastest lsp` for Python buffers, keeps the test tree,
-- runs the test at the cursor, and shows results as diagnostics and virtual text (one mark per
-- test, a parametrized function's sums up its cases). Lenses refresh by themselves; :FastestTree
-- is a nested tree (<CR> visit, r run, d debug, o output); :FastestOutput shows a test's report;
-- :FastestDebugNearest attaches nvim-dap; require("fastest").status() is for a statusline.
local M = {}

M.config = {
  cmd = { "fastest", "lsp" },
  python = nil,        -- interpreter for the tests (default: fastest's own resolution)
  workers = 0,
  timeout = 0,
  root_markers = { "pyproject.toml", "pytest.ini", "setup.cfg", "tox.ini", ".git" },
  on_result = nil,     -- function(state) called for every final test state
}

M.tests = {}         -- id -> item (from fastest/discoveredTests)
M.results = {}       -- id -> last state params
M.runs = {}          -- runId -> { finished = bool, counts = {} }
M.marks = {}         -- id -> { bufnr, extmark id }: one result mark per item, replaced by each run
M.running = {}       -- runId -> number of tests not finished yet
local debug_waiting = {}    -- runId -> the reply's attach configuration (debugpy not listening yet)
local debug_listening = {}  -- runId -> true: debugpy listens, the reply not handled yet
local ns = vim.api.nvim_create_namespace("fastest")
local client_id = nil

local function uri_to_bufnr(uri)
  local ok, bufnr = pcall(vim.uri_to_bufnr, uri)
  if ok then return bufnr end
  return nil
end

local function replace_scope(scope, items)
  if scope then
    for id, item in pairs(M.tests) do
      if item.uri == scope or (item.uri and vim.startswith(item.uri, scope .. "/")) then M.tests[id] = nil end
    end
  else
    M.tests = {}
  end
  for _, item in ipairs(items) do M.tests[item.id] = item end
end

local FAILED = { failed = true, errored = true, crashed = true, timeout = true }

local function badge(state)
  if FAILED[state] then return "✗ " .. state, "DiagnosticError" end
  if state == "skipped" or state == "xfailed" then return "○ " .. state, "DiagnosticWarn" end
  return "✓ " .. state, "DiagnosticOk"
end

-- The item's mark, replacing its previous one (a run never piles marks on a line).
local function set_mark(id, line_text, hl)
  local item = M.tests[id]
  if not item or not item.uri or not item.range then return end
  local bufnr = uri_to_bufnr(item.uri)
  if not bufnr or not vim.api.nvim_buf_is_loaded(bufnr) then return end
  local old = M.marks[id]
  if old and vim.api.nvim_buf_is_valid(old[1]) then pcall(vim.api.nvim_buf_del_extmark, old[1], ns, old[2]) end
  local ok, mark = pcall(vim.api.nvim_buf_set_extmark, bufnr, ns, item.range.start.line, 0,
    { virt_text = { { line_text, hl } }, virt_text_pos = "eol" })
  if ok then M.marks[id] = { bufnr, mark } end
end

-- A parametrized function's own mark sums up its cases: failed if one failed, else the last state.
local function mark_parent(parent_id)
  local parent = M.tests[parent_id]
  if not parent or parent.kind ~= "function" then return end
  local total, failed, state = 0, 0, nil
  for id, result in pairs(M.results) do
    local item = M.tests[id]
    if item and item.parentId == parent_id then
      total = total + 1
      if FAILED[result.state] then failed = failed + 1 end
      state = state or result.state
    end
  end
  if total == 0 then return end
  local text, hl = badge(failed > 0 and "failed" or state)
  set_mark(parent_id, string.format("%s (%d/%d cases)", text, total - failed, total), hl)
end

local function show_result(params)
  local item = M.tests[params.id]
  if not item then return end
  local text, hl = badge(params.state)
  if item.kind == "case" then text = item.label:match("%[.*$") .. " " .. text end
  if params.durationMs then text = text .. string.format(" (%d ms)", params.durationMs) end
  set_mark(params.id, text, hl)
  if item.kind == "case" and item.parentId then mark_parent(item.parentId) end
end

-- Lenses of every attached buffer, fetched again once the tree changed (0.7 refreshes only the
-- current buffer, and a refresh before the server answered `initialize` would never complete).
local refresh_pending = false
local function refresh_lenses()
  if refresh_pending then return end
  refresh_pending = true
  vim.defer_fn(function()
    refresh_pending = false
    local client = M.client()
    if not client or client.is_stopped() then return end
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr) and vim.lsp.buf_is_attached(bufnr, client.id) then
        vim.api.nvim_buf_call(bufnr, function() pcall(vim.lsp.codelens.refresh) end)
      end
    end
  end, 50)
end

local handlers = {
  ["fastest/discoveredTests"] = function(_, params)
    -- A chunk that continues the scope's tree (fastestTreeChunks) only adds to it.
    if params.append then
      for _, item in ipairs(params.items or {}) do M.tests[item.id] = item end
    else
      replace_scope(params.scopeUri, params.items or {})
    end
    refresh_lenses()
  end,
  -- An edit in one place: shift the file's items below the edit, drop the removed ids (a
  -- renamed test), take the listed items whole (new, changed, or moved otherwise).
  ["fastest/testsMoved"] = function(_, params)
    local function shift(p)
      if p.line > params.afterLine then return { line = p.line + params.lineDelta, character = p.character } end
      return p
    end
    for _, item in pairs(M.tests) do
      if item.uri == params.uri and item.range then
        item.range = { start = shift(item.range.start), ["end"] = shift(item.range["end"]) }
      end
    end
    for _, id in ipairs(params.removed or {}) do M.tests[id] = nil end
    for _, item in ipairs(params.items or {}) do M.tests[item.id] = item end
    refresh_lenses()
  end,
  ["fastest/testStateChanged"] = function(_, params)
    if params.state == "enqueued" then
      M.running[params.runId] = (M.running[params.runId] or 0) + 1
      return
    end
    if params.state == "started" then return end
    M.running[params.runId] = math.max(0, (M.running[params.runId] or 1) - 1)
    M.results[params.id] = params
    show_result(params)
    if M.config.on_result then M.config.on_result(params) end
  end,
  ["fastest/runStarted"] = function(_, params)
    M.runs[params.runId] = { finished = false }
    vim.notify(string.format("fastest: running %d tests after the change", #(params.enqueued or {})))
  end,
  ["fastest/runFinished"] = function(_, params)
    M.running[params.runId] = nil
    debug_waiting[params.runId], debug_listening[params.runId] = nil, nil
    M.runs[params.runId] = { finished = true, counts = params.counts }
    local parts = {}
    for state, n in pairs(params.counts or {}) do table.insert(parts, n .. " " .. state) end
    table.sort(parts)
    vim.notify("fastest: " .. table.concat(parts, ", ") .. string.format(" in %.2fs", (params.durationMs or 0) / 1000))
  end,
}

function M.client()
  if client_id then return vim.lsp.get_client_by_id(client_id) end
  return nil
end

local function find_root(path)
  local dir = vim.fn.fnamemodify(path, ":p:h")
  while dir and dir ~= "/" do
    for _, marker in ipairs(M.config.root_markers) do
      if vim.loop.fs_stat(dir .. "/" .. marker) then return dir end
    end
    dir = vim.fn.fnamemodify(dir, ":h")
  end
  return vim.fn.getcwd()
end

function M.start(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  if not client_id then
    local root = find_root(vim.api.nvim_buf_get_name(bufnr))
    client_id = vim.lsp.start_client({
      name = "fastest",
      cmd = M.config.cmd,
      root_dir = root,
      workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ":t") } },
      init_options = { pythonPath = M.config.python, workers = M.config.workers, timeout = M.config.timeout },
      capabilities = vim.tbl_deep_extend("force", vim.lsp.protocol.make_client_capabilities(),
        { experimental = { fastestTestsMoved = true, fastestTreeChunks = true } }),
      handlers = handlers,
    })
  end
  if client_id then vim.lsp.buf_attach_client(bufnr, client_id) end
  return client_id
end

-- A debug run's test waits in debugpy, which listens only a little after the reply (attaching at
-- once is refused): the reply's configuration waits here for its run's fastest/debugListening,
-- which may also come first. Without nvim-dap, say what is missing and cancel the run at once
-- (never a silent wait for a debugger that does not come).
local function debugger()
  local ok, dap = pcall(require, "dap")
  if ok and dap.adapters and dap.adapters.python then return dap end
  return nil
end

local function debug_reply(result)
  if not debugger() then
    local where = string.format("%s:%d", result.debug.connect.host, result.debug.connect.port)
    vim.notify("fastest: debugging needs nvim-dap with a `python` adapter (e.g. nvim-dap-python); the test "
      .. "waited for a debugger on " .. where .. " and was cancelled", vim.log.levels.ERROR)
    M.run_command("fastest.cancelRun", { runId = result.runId })
  elseif debug_listening[result.runId] then
    debug_listening[result.runId] = nil
    debugger().run(result.debug)
  else
    debug_waiting[result.runId] = result.debug
  end
end

handlers["fastest/debugListening"] = function(_, params)
  local config = debug_waiting[params.runId]
  debug_waiting[params.runId] = nil
  if not config then
    debug_listening[params.runId] = true
  elseif debugger() then
    debugger().run(config)
  end
end

function M.run_command(command, args)
  local client = M.client()
  if not client then
    vim.notify("fastest: the server is not running", vim.log.levels.ERROR)
    return
  end
  client.request("workspace/executeCommand", { command = command, arguments = { args } }, function(err, result)
    if err then
      vim.notify("fastest: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    if result and result.runId then M.runs[result.runId] = { finished = false } end
    if result and result.debug then debug_reply(result) end
  end)
end
local run = M.run_command

function M.run_nearest()
  local pos = vim.api.nvim_win_get_cursor(0)
  local line = vim.api.nvim_get_current_line()
  -- LSP positions count UTF-16 units; the cursor column is in bytes.
  local character = vim.str_utfindex(line, pos[2])
  run("fastest.runTest", { uri = vim.uri_from_bufnr(0), position = { line = pos[1] - 1, character = character } })
end

function M.debug_nearest()
  local pos = vim.api.nvim_win_get_cursor(0)
  local character = vim.str_utfindex(vim.api.nvim_get_current_line(), pos[2])
  run("fastest.debugTest", { uri = vim.uri_from_bufnr(0), position = { line = pos[1] - 1, character = character } })
end

function M.run_file() run("fastest.runFile", { uri = vim.uri_from_bufnr(0) }) end
function M.run_all() run("fastest.runAll", {}) end
-- The tests pytest's cache records as failed (.pytest_cache lastfailed), as `pytest --lf`.
function M.rerun_failed() run("fastest.rerunFailed", {}) end
function M.cancel() run("fastest.cancelRun", {}) end

-- Continuous run: armed, the server re-runs on each save the tests whose imports reach the saved
-- file (failures first); toggled off, it stops. `scope` "file" arms the current file only.
function M.toggle_watch(scope)
  local client = M.client()
  if not client then
    vim.notify("fastest: the server is not running", vim.log.levels.ERROR)
    return
  end
  if M.watch_id then
    client.request("fastest/cancelRun", { runId = M.watch_id }, function() end)
    M.watch_id = nil
    vim.notify("fastest: watch off")
    return
  end
  local include = { "" }
  if scope == "file" then
    local uri = vim.uri_from_bufnr(0)
    include = {}
    for id, item in pairs(M.tests) do
      if item.kind == "module" and item.uri == uri then include = { { id = id, uri = uri } } end
    end
    if #include == 0 then
      vim.notify("fastest: no tests in this file", vim.log.levels.WARN)
      return
    end
  end
  client.request("fastest/runTests", { include = include, continuous = true }, function(err, result)
    if err then
      vim.notify("fastest: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    M.watch_id = result.runId
    vim.notify("fastest: watching (tests re-run on save)")
  end)
end

-- The innermost test (case, function, class) at the cursor, as the tree last said.
local function item_at_cursor()
  local uri = vim.uri_from_bufnr(0)
  local line = vim.api.nvim_win_get_cursor(0)[1] - 1
  local best, best_size = nil, math.huge
  for _, item in pairs(M.tests) do
    if item.uri == uri and item.range and item.kind ~= "module" and item.kind ~= "folder"
        and item.range.start.line <= line and line <= item.range["end"].line then
      local size = item.range["end"].line - item.range.start.line
      if size < best_size or (size == best_size and #item.id > #best.id) then best, best_size = item, size end
    end
  end
  return best
end

-- A floating window with a test's last result: pytest's report, then what it printed.
function M.output(id)
  if not id then
    local item = item_at_cursor()
    id = item and item.id
  end
  local result = id and M.results[id]
  if not result then
    vim.notify("fastest: " .. (id or "no test here") .. " has no result yet", vim.log.levels.WARN)
    return
  end
  local lines = { result.state .. "  " .. id, "" }
  for _, m in ipairs(result.messages or {}) do vim.list_extend(lines, vim.split(m.message or "", "\n", true)) end
  if result.output and result.output.text and result.output.text ~= "" then
    table.insert(lines, "")
    table.insert(lines, "--- output ---")
    vim.list_extend(lines, vim.split(result.output.text, "\n", true))
  end
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  local width = math.min(vim.o.columns - 4, 120)
  local height = math.min(vim.o.lines - 4, #lines)
  local win = vim.api.nvim_open_win(buf, true, { relative = "editor", row = 2, col = 2, width = width,
    height = math.max(height, 1), style = "minimal", border = "rounded" })
  vim.keymap.set("n", "q", function() vim.api.nvim_win_close(win, true) end, { buffer = buf })
  return buf
end

-- The tree: nested as the server nests it (ids sort parents first), one test per line, with its
-- last state; <CR> visits, r runs, d debugs, o shows the output; folds follow the nesting.
M.tree_rows = {}     -- tree buffer -> { line number -> id }

local function depth_of(item)
  local depth, parent = 0, item.parentId
  while parent and M.tests[parent] and depth < 64 do
    depth, parent = depth + 1, M.tests[parent].parentId
  end
  return depth
end

function M.tree()
  local ids = vim.tbl_keys(M.tests)
  table.sort(ids)
  local lines, rows = {}, {}
  for _, id in ipairs(ids) do
    local item = M.tests[id]
    local r = M.results[id]
    local mark = r and (FAILED[r.state] and "✗" or (r.state == "skipped" or r.state == "xfailed") and "○" or "✓") or " "
    table.insert(lines, string.rep("  ", depth_of(item)) .. mark .. " " .. (item.label or id))
    rows[#lines] = id
  end
  vim.cmd("botright new")
  local buf = vim.api.nvim_get_current_buf()
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].buftype = "nofile"
  vim.bo[buf].modifiable = false
  vim.bo[buf].shiftwidth = 2
  vim.wo.foldmethod = "indent"
  vim.wo.foldenable = false
  M.tree_rows[buf] = rows
  local function row_id() return M.tree_rows[buf][vim.api.nvim_win_get_cursor(0)[1]] end
  local function visit()
    local item = M.tests[row_id() or ""]
    if not item or not item.uri then return end
    vim.cmd("wincmd p")
    vim.cmd("edit " .. vim.fn.fnameescape(vim.uri_to_fname(item.uri)))
    if item.range then vim.api.nvim_win_set_cursor(0, { item.range.start.line + 1, item.range.start.character }) end
  end
  local function with_item(command)
    return function()
      local item = M.tests[row_id() or ""]
      if item then M.run_command(command, { id = item.id, uri = item.uri }) end
    end
  end
  vim.keymap.set("n", "<CR>", visit, { buffer = buf })
  vim.keymap.set("n", "r", with_item("fastest.runTest"), { buffer = buf })
  vim.keymap.set("n", "d", with_item("fastest.debugTest"), { buffer = buf })
  vim.keymap.set("n", "o", function() M.output(row_id()) end, { buffer = buf })
  return buf
end

-- For a statusline: "fastest: 3 running" while a run is in progress, else "".
function M.status()
  local n = 0
  for _, left in pairs(M.running) do n = n + left end
  if n == 0 then return "" end
  return string.format("fastest: %d running", n)
end

function M.setup(opts)
  M.config = vim.tbl_extend("force", M.config, opts or {})
  vim.cmd([[
    augroup fastest
      autocmd!
      autocmd FileType python lua require("fastest").start()
    augroup END
  ]])
  vim.cmd([[command! FastestRunNearest lua require("fastest").run_nearest()]])
  vim.cmd([[command! FastestRunFile lua require("fastest").run_file()]])
  vim.cmd([[command! FastestRunAll lua require("fastest").run_all()]])
  vim.cmd([[command! FastestRerunFailed lua require("fastest").rerun_failed()]])
  vim.cmd([[command! FastestCancel lua require("fastest").cancel()]])
  vim.cmd([[command! -nargs=? FastestWatch lua require("fastest").toggle_watch(<q-args>)]])
  vim.cmd([[command! FastestTree lua require("fastest").tree()]])
  vim.cmd([[command! FastestOutput lua require("fastest").output()]])
  vim.cmd([[command! FastestDebugNearest lua require("fastest").debug_nearest()]])
end

return M
