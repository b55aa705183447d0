--[[
notebook-links.lua: each figure and table links to the executed notebook that made it, and the Notebooks
section lists them. `fedlocal render` (both engines) passes the map as metadata, one key per float:
fedlocal-notebook-<label> = page of the notebook (from pipeline.yaml's stage -> outputs map). Without that
metadata (a plain `quarto render`) the captions are left as written.
]]
local links = {}
local pages = {}

local function read_meta(meta)
  for key, value in pairs(meta) do
    local label = key:match("^fedlocal%-notebook%-(.+)$")
    if label then
      local href = pandoc.utils.stringify(value)
      links[label] = href
      pages[href] = true
    end
  end
end

local function link_inlines(href)
  local name = href:match("([^/]+)%.html$") or href
  return { pandoc.Space(), pandoc.Str("Notebook:"), pandoc.Space(), pandoc.Link({ pandoc.Code(name) }, href) }
end

local function append(blocks, inlines)
  -- the last Plain/Para of a caption or of a table div (whose last paragraph is its caption)
  if blocks == nil then return false end
  if blocks.content and (blocks.t == "Plain" or blocks.t == "Para") then
    blocks.content:extend(inlines)
    return true
  end
  for i = #blocks, 1, -1 do
    local b = blocks[i]
    if b.t == "Plain" or b.t == "Para" then
      b.content:extend(inlines)
      return true
    end
  end
  return false
end

local function float(el)
  local href = links[el.identifier]
  if not href then return nil end
  local inlines = link_inlines(href)
  if el.t == "Figure" then
    append(el.caption.long, inlines)
  elseif el.t == "Div" then
    append(el.content, inlines)
  else -- Quarto's FloatRefTarget
    append(el.caption_long, inlines)
  end
  return el
end

local function listing(div)
  if div.identifier ~= "notebooks" or next(pages) == nil then return nil end
  local hrefs = {}
  for href in pairs(pages) do table.insert(hrefs, href) end
  table.sort(hrefs)
  local items = {}
  for _, href in ipairs(hrefs) do
    local name = href:match("([^/]+)%.html$") or href
    table.insert(items, { pandoc.Plain({ pandoc.Link({ pandoc.Code(name) }, href) }) })
  end
  div.content = { pandoc.Para({ pandoc.Str("The executed notebooks that made this run's figures and tables:") }),
                  pandoc.BulletList(items) }
  return div
end

return {
  { Meta = read_meta },
  { Figure = float, Div = function(d) return float(d) or listing(d) end, FloatRefTarget = float },
}
