-- fastest for Neovim (0.7+): starts `fastest lsp` for Python buffers, keeps the test tree,
-- runs the test at the cursor, and shows results as diagnostics and virtual text.
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

local function show_result(params)
  local item = M.tests[params.id]
  if not item or not item.uri or not item.range then return end
  local bufnr = uri_to_bufnr(item.uri)
  if not bufnr or not vim.api.nvim_buf_is_loaded(bufnr) then return end
  local line = item.range.start.line
  if item.kind ~= "case" then
    vim.api.nvim_buf_clear_namespace(bufnr, ns, line, line + 1)
  end
  local text, hl = "✓ " .. params.state, "DiagnosticOk"
  if params.state == "failed" or params.state == "errored" or params.state == "crashed" or params.state == "timeout" then
    text, hl = "✗ " .. params.state, "DiagnosticError"
  elseif params.state == "skipped" or params.state == "xfailed" then
    text, hl = "○ " .. params.state, "DiagnosticWarn"
  end
  if params.durationMs then text = text .. string.format(" (%d ms)", params.durationMs) end
  pcall(vim.api.nvim_buf_set_extmark, bufnr, ns, line, 0, { virt_text = { { text, hl } }, virt_text_pos = "eol" })
end

local handlers = {
  ["fastest/discoveredTests"] = function(_, params)
    replace_scope(params.scopeUri, params.items or {})
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
  end,
  ["fastest/testStateChanged"] = function(_, params)
    if params.state == "enqueued" or params.state == "started" then return end
    M.results[params.id] = params
    show_result(params)
    if M.config.on_result then M.config.on_result(params) end
  end,
  ["fastest/runFinished"] = function(_, params)
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
        { experimental = { fastestTestsMoved = true } }),
      handlers = handlers,
    })
  end
  if client_id then vim.lsp.buf_attach_client(bufnr, client_id) end
  return client_id
end

local function run(command, args)
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
  end)
end

function M.run_nearest()
  local pos = vim.api.nvim_win_get_cursor(0)
  local line = vim.api.nvim_get_current_line()
  -- LSP positions count UTF-16 units; the cursor column is in bytes.
  local character = vim.str_utfindex(line, pos[2])
  run("fastest.runTest", { uri = vim.uri_from_bufnr(0), position = { line = pos[1] - 1, character = character } })
end

function M.run_file() run("fastest.runFile", { uri = vim.uri_from_bufnr(0) }) end
function M.run_all() run("fastest.runAll", {}) end
function M.cancel() run("fastest.cancelRun", {}) end

function M.tree()
  local ids = vim.tbl_keys(M.tests)
  table.sort(ids)
  local lines = {}
  for _, id in ipairs(ids) do
    local item = M.tests[id]
    if item.kind ~= "folder" and item.kind ~= "module" then
      local r = M.results[id]
      table.insert(lines, string.format("%-8s %s", r and r.state or "", id))
    end
  end
  vim.cmd("new")
  vim.api.nvim_buf_set_lines(0, 0, -1, false, lines)
  vim.bo.buftype = "nofile"
  vim.bo.modifiable = false
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
  vim.cmd([[command! FastestCancel lua require("fastest").cancel()]])
  vim.cmd([[command! FastestTree lua require("fastest").tree()]])
end

return M
