-- A real Neovim, headless, drives `iamprune server` over a copy of the demo: the diagnostics arrive,
-- a findings export rewritten outside Neovim is picked up by the plugin's watch, a quick fix and then
-- fix-all are applied, and the buffers are written for `scripts/test-neovim` to compare with
-- `iamprune fix`. Run by that script: `nvim --headless --clean -l demo.lua`.

local bin = assert(os.getenv("IAMPRUNE_BIN"), "IAMPRUNE_BIN")
local demo = assert(os.getenv("DEMO"), "DEMO")
local plugin = assert(os.getenv("PLUGIN"), "PLUGIN")

local function fail(message)
  io.stderr:write("neovim test: " .. message .. "\n")
  os.exit(1)
end

local function wait_for(what, condition)
  if not vim.wait(30000, condition, 20) then
    fail("timed out waiting for " .. what)
  end
end

vim.opt.runtimepath:prepend(plugin)
vim.cmd("filetype on")
require("iamprune").setup({ cmd = { bin, "server" } })

local files = { demo .. "/cloudformation/web.yaml", demo .. "/terraform/main.tf" }
local buffers = {}
for _, file in ipairs(files) do
  vim.cmd.edit(vim.fn.fnameescape(file))
  buffers[file] = vim.api.nvim_get_current_buf()
end

local function coded(buf)
  return vim.tbl_filter(function(d)
    return d.source == "iamprune" and d.code ~= nil
  end, vim.diagnostic.get(buf))
end

for file, buf in pairs(buffers) do
  wait_for("the diagnostics of " .. file, function()
    return #coded(buf) > 0
  end)
end
local client = vim.lsp.get_clients({ name = "iamprune" })[1] or fail("no iamprune client")

-- The plugin watches what the server names: the configuration and the findings directory.
local findings = demo .. "/findings/unused-access.jsonl"
wait_for("the findings to be watched", function()
  return vim.tbl_contains(require("iamprune").watched(), vim.fs.normalize(demo .. "/findings"))
end)

-- The export rewritten outside Neovim with no findings: the diagnostics that came from it go; written
-- back, they return.
local terraform = buffers[files[2]]
local before = #coded(terraform)
local original = assert(io.open(findings)):read("a")
local function write(path, text)
  local handle = assert(io.open(path, "w"))
  handle:write(text)
  handle:close()
end
write(findings, "")
wait_for("the emptied findings to be picked up", function()
  return #coded(terraform) < before
end)
write(findings, original)
wait_for("the findings to come back", function()
  return #coded(terraform) == before
end)

local function request(method, params, buf)
  local response = client:request_sync(method, params, 20000, buf)
  if not response or response.err then
    fail(method .. " failed: " .. vim.inspect(response))
  end
  return response.result
end

local function apply(action, buf)
  if not action.edit then
    action = request("codeAction/resolve", action, buf)
  end
  if not action.edit then
    fail("no edit for " .. action.title)
  end
  vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
end

-- One quick fix: the first wildcard of the template.
local template = buffers[files[1]]
local wildcard = vim.tbl_filter(function(d)
  return d.code == "IAM002"
end, coded(template))[1] or fail("no IAM002 in the template")
local lsp_diagnostic = wildcard.user_data.lsp
local actions = request("textDocument/codeAction", {
  textDocument = { uri = vim.uri_from_bufnr(template) },
  range = lsp_diagnostic.range,
  context = { diagnostics = { lsp_diagnostic }, only = { "quickfix" } },
}, template)
local fix = vim.tbl_filter(function(a)
  return a.isPreferred
end, actions or {})[1] or fail("no quick fix for IAM002: " .. vim.inspect(actions))
apply(fix, template)

-- Then every remaining safe fix, in each file.
for _, file in ipairs(files) do
  local buf = buffers[file]
  local all = request("textDocument/codeAction", {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = { start = { line = 0, character = 0 }, ["end"] = { line = 0, character = 0 } },
    context = { diagnostics = {}, only = { "source.fixAll.iamprune" } },
  }, buf)
  if all and all[1] then
    apply(all[1], buf)
  end
end

vim.cmd("silent wall")
io.stdout:write("neovim test: diagnostics, watch, quick fix and fix-all done\n")
os.exit(0)
