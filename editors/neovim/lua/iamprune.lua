-- iamprune in Neovim: diagnostics, quick fixes (`vim.lsp.buf.code_action()`), hovers (`K`) and
-- `:IampruneFixAll` from `iamprune server`.
--
-- Add this directory (`editors/neovim`) to your 'runtimepath' (or your plugin manager's list) and call
--   require("iamprune").setup({
--     cmd = { "iamprune", "server" },            -- the default
--     settings = { severity = { IAM011 = "info" } }, -- optional: the server's settings
--   })
--
-- The server reloads `iamprune.toml`, the findings and the deployment evidence when they change. Neovim
-- does not watch files for servers on every system, so this plugin watches what the server names
-- (`iamprune/watch`): on a write in Neovim, and with `vim.uv` file events for changes made outside it
-- (a findings export written by a script), each reported as `workspace/didChangeWatchedFiles`.

local M = {}

-- Terraform, CloudFormation (JSON and YAML) and standalone policy files.
local filetypes = { "terraform", "hcl", "json", "jsonc", "yaml" }
local root_markers = { "iamprune.toml", ".git" }

-- CloudFormation templates named `*.template` are JSON or YAML: JSON when they start with `{` or `[`,
-- else YAML, so that the server gets them too.
local function add_filetypes()
  vim.filetype.add({
    extension = {
      template = function(_, bufnr)
        local first = vim.api.nvim_buf_get_lines(bufnr, 0, 1, false)[1] or ""
        return first:match("^%s*[{%[]") and "json" or "yaml"
      end,
    },
  })
end

local function clients()
  return vim.lsp.get_clients({ name = "iamprune" })
end

-- Client methods take the client as `self` from Neovim 0.11 on, and not before.
local method_style = vim.fn.has("nvim-0.11") == 1
local function call(client, method, ...)
  if method_style then
    return client[method](client, ...)
  end
  return client[method](...)
end

local function notify_changed(paths)
  local changes = {}
  for path in pairs(paths) do
    table.insert(changes, { uri = vim.uri_from_fname(path), type = 2 })
  end
  if #changes == 0 then
    return
  end
  for _, client in ipairs(clients()) do
    call(client, "notify", "workspace/didChangeWatchedFiles", { changes = changes })
  end
end

-- Changes are gathered for a moment, so that an export written in pieces is reported once.
local pending = {}
local flush_timer = nil
local function changed(path)
  pending[path] = true
  if flush_timer then
    return
  end
  flush_timer = vim.defer_fn(function()
    flush_timer = nil
    local paths = pending
    pending = {}
    notify_changed(paths)
  end, 200)
end

-- What is watched, by path: files are watched through their directory, since editors and exporters
-- often replace a file (write a new one, rename it over) rather than write into it.
local watched = {}
local handles = {}

local function under_watched(path)
  for root in pairs(watched) do
    if path == root or vim.startswith(path, root .. "/") then
      return true
    end
  end
  return false
end

local function watch_dir(dir, only)
  local key = dir .. "\0" .. (only or "")
  if handles[key] then
    return
  end
  local handle = vim.uv.new_fs_event()
  if not handle then
    return
  end
  local ok = handle:start(dir, {}, function(err, name)
    if err or not name then
      return
    end
    if only and name ~= only then
      return
    end
    vim.schedule(function()
      changed(dir .. "/" .. name)
    end)
  end)
  if ok then
    handles[key] = handle
  else
    handle:close()
  end
end

--- Watches `paths` (files or directories) for the server; called for `iamprune/watch`.
function M.watch(paths)
  for _, path in ipairs(paths or {}) do
    path = vim.fs.normalize(path)
    if not watched[path] then
      watched[path] = true
      local stat = vim.uv.fs_stat(path)
      if stat and stat.type == "directory" then
        watch_dir(path, nil)
      else
        watch_dir(vim.fs.dirname(path), vim.fs.basename(path))
      end
    end
  end
end

--- Every path watched so far.
function M.watched()
  return vim.tbl_keys(watched)
end

local function on_write(args)
  local path = vim.fs.normalize(vim.api.nvim_buf_get_name(args.buf))
  if vim.fs.basename(path) == "iamprune.toml" or under_watched(path) then
    changed(path)
  end
end

function M.setup(opts)
  opts = opts or {}
  local config = {
    cmd = opts.cmd or { "iamprune", "server" },
    filetypes = opts.filetypes or filetypes,
    root_markers = root_markers,
    init_options = opts.settings,
    settings = opts.settings and { iamprune = opts.settings } or nil,
    handlers = {
      ["iamprune/watch"] = function(_, params)
        M.watch(params and params.paths)
      end,
    },
  }
  add_filetypes()
  if vim.lsp.config ~= nil and vim.lsp.enable ~= nil then
    -- Neovim 0.11 and later: the built-in configuration.
    vim.lsp.config("iamprune", config)
    vim.lsp.enable("iamprune")
  else
    -- Older Neovim with nvim-lspconfig.
    local configs = require("lspconfig.configs")
    if not configs.iamprune then
      configs.iamprune = {
        default_config = {
          cmd = config.cmd,
          filetypes = config.filetypes,
          root_dir = require("lspconfig.util").root_pattern(unpack(root_markers)),
          single_file_support = true,
          init_options = config.init_options,
          handlers = config.handlers,
        },
        docs = {
          description = "iamprune: unused IAM actions and over-broad wildcards from IAM Access Analyzer findings",
        },
      }
    end
    require("lspconfig").iamprune.setup({})
  end

  local group = vim.api.nvim_create_augroup("iamprune", { clear = true })
  vim.api.nvim_create_autocmd("BufWritePost", { group = group, callback = on_write })

  -- Apply every safe fix of the current file.
  vim.api.nvim_create_user_command("IampruneFixAll", function()
    vim.lsp.buf.code_action({
      context = { only = { "source.fixAll.iamprune" }, diagnostics = {} },
      apply = true,
    })
  end, { desc = "Apply every safe iamprune fix of this file" })

  -- Read the configuration, findings and deployment evidence again.
  vim.api.nvim_create_user_command("IampruneReload", function()
    for _, client in ipairs(clients()) do
      call(client, "request", "workspace/executeCommand", { command = "iamprune.reloadFindings", arguments = {} })
    end
  end, { desc = "Read iamprune's configuration, findings and deployments again" })
end

return M
