-- iamprune in Neovim: diagnostics, quick fixes (`vim.lsp.buf.code_action()`) and hovers (`K`) from
-- `iamprune server`. Put this file in your config (for example `lua/iamprune.lua`) and
-- `require("iamprune")`.

local cmd = { "iamprune", "server" }
-- Terraform, CloudFormation (JSON and YAML) and standalone policy files.
local filetypes = { "terraform", "hcl", "json", "jsonc", "yaml" }
local root_markers = { "iamprune.toml", ".git" }

-- CloudFormation templates named `*.template` are JSON or YAML: JSON when they start with `{` or `[`,
-- else YAML, so that the server gets them too.
vim.filetype.add({
  extension = {
    template = function(_, bufnr)
      local first = vim.api.nvim_buf_get_lines(bufnr, 0, 1, false)[1] or ""
      return first:match("^%s*[{%[]") and "json" or "yaml"
    end,
  },
})

if vim.lsp.config ~= nil and vim.lsp.enable ~= nil then
  -- Neovim 0.11 and later: the built-in configuration.
  vim.lsp.config("iamprune", {
    cmd = cmd,
    filetypes = filetypes,
    root_markers = root_markers,
  })
  vim.lsp.enable("iamprune")
else
  -- Older Neovim with nvim-lspconfig.
  local configs = require("lspconfig.configs")
  if not configs.iamprune then
    configs.iamprune = {
      default_config = {
        cmd = cmd,
        filetypes = filetypes,
        root_dir = require("lspconfig.util").root_pattern(unpack(root_markers)),
        single_file_support = true,
      },
      docs = {
        description = "iamprune: unused IAM actions and over-broad wildcards from IAM Access Analyzer findings",
      },
    }
  end
  require("lspconfig").iamprune.setup({})
end

-- The server reloads `iamprune.toml` and the findings when the client reports them changed; not every
-- Neovim watches files for it, so saving the configuration in Neovim reports it too.
vim.api.nvim_create_autocmd("BufWritePost", {
  pattern = "iamprune.toml",
  callback = function(args)
    local params = { changes = { { uri = vim.uri_from_bufnr(args.buf), type = 2 } } }
    for _, client in ipairs(vim.lsp.get_clients({ name = "iamprune" })) do
      if vim.fn.has("nvim-0.11") == 1 then
        client:notify("workspace/didChangeWatchedFiles", params)
      else
        client.notify("workspace/didChangeWatchedFiles", params)
      end
    end
  end,
})

-- Apply every safe fix of the current file: `:IampruneFixAll`.
vim.api.nvim_create_user_command("IampruneFixAll", function()
  vim.lsp.buf.code_action({
    context = { only = { "source.fixAll.iamprune" }, diagnostics = {} },
    apply = true,
  })
end, { desc = "Apply every safe iamprune fix of this file" })
