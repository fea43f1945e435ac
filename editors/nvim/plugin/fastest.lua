-- Loaded by Neovim from the runtimepath; call require("fastest").setup({...}) to enable.
if vim.g.loaded_fastest then return end
vim.g.loaded_fastest = true
