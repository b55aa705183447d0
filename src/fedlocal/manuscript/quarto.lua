--[[
quarto.lua: the part of Quarto's manuscript syntax that fedlocal's fallback renderer (pandoc + typst)
implements when Quarto itself is not installed. Text-level shortcodes ({{< include >}}, {{< var >}})
are resolved before pandoc parses the file (fedlocal.manuscript.fallback does that in Python); this filter handles
what needs the document tree:

  * root-relative paths: ![..](/figures/x.png) -> figures/x.png (pandoc runs in a build folder that
    mirrors the project root, as Quarto resolves "/" to the project root);
  * numbered floats: a figure with id fig-* gets "Figure N: " before its caption; a div with id tbl-*
    whose last paragraph is the caption becomes a table captioned "Table N: ..." (Quarto's rule);
  * cross-references: @fig-x / @tbl-x become links reading "Figure N" / "Table N" (with a non-breaking
    space), before citeproc sees them; an unknown label or a label defined twice is an error.

Numbering follows document order, separately for figures and tables, as Quarto's does. It must run
before --citeproc (filters and citeproc run in command-line order).
]]

local NBSP = "\u{00A0}"
local KINDS = { fig = "Figure", tbl = "Table" }

local WIDE_TABLE_COLUMNS = 8   -- tables with this many columns or more are set smaller in the PDF
local WIDE_TABLE_SCALE = "0.86em"

local numbers = {}   -- label -> number
local counters = { fig = 0, tbl = 0 }

local function kind_of(id)
  local prefix = id and id:match("^(%a+)%-")
  if prefix and KINDS[prefix] then return prefix end
  return nil
end

local function define(id)
  local kind = kind_of(id)
  if numbers[id] then
    error("cross-reference label '" .. id .. "' is defined more than once in the manuscript")
  end
  counters[kind] = counters[kind] + 1
  numbers[id] = counters[kind]
  return KINDS[kind] .. " " .. counters[kind] .. ": "
end

local function prefixed(prefix, blocks)
  -- Prepend the "Figure N: " label to the first block of a caption (Plain or Para).
  blocks = blocks or pandoc.Blocks({})
  if #blocks == 0 then
    return pandoc.Blocks({ pandoc.Plain({ pandoc.Str(prefix) }) })
  end
  local first = blocks[1]
  if first.content then
    first.content:insert(1, pandoc.Str(prefix))
  end
  return blocks
end

local function root_relative(src)
  if src:sub(1, 1) == "/" and src:sub(2, 2) ~= "/" then
    return src:sub(2)
  end
  return src
end

-- Pass 1: number the floats (document order) and fix paths.
local function number_figure(fig)
  local id = fig.identifier
  if kind_of(id) ~= "fig" then return nil end
  local prefix = define(id)
  fig.caption.long = prefixed(prefix, fig.caption.long)
  return fig
end

local function number_div(div)
  local id = div.identifier
  local kind = kind_of(id)
  if not kind then return nil end
  local content = div.content
  local last = content[#content]
  if not last or (last.t ~= "Para" and last.t ~= "Plain") then
    error("float '" .. id .. "': its last paragraph must be the caption (Quarto's rule), found "
      .. (last and last.t or "nothing"))
  end
  local prefix = define(id)
  local caption = { pandoc.Plain({ pandoc.Str(prefix) }) }
  caption[1].content:extend(last.content)
  local body = pandoc.Blocks({})
  for i = 1, #content - 1 do body:insert(content[i]) end
  if kind == "tbl" then
    -- The caption goes on the table itself: above it in HTML (<caption>) and as the Typst figure caption.
    local tables = 0
    for _, b in ipairs(body) do
      if b.t == "Table" then
        tables = tables + 1
        b.caption = { long = pandoc.Blocks(caption), short = nil }
      end
    end
    if tables ~= 1 then
      error("table float '" .. id .. "' must contain exactly one table (the included .md), found " .. tables)
    end
    local out = pandoc.Div(body, pandoc.Attr(id, { "fedlocal-table" }))
    local columns = 0
    for _, b in ipairs(body) do
      if b.t == "Table" then columns = #b.colspecs end
    end
    if FORMAT:match("typst") and columns >= WIDE_TABLE_COLUMNS then
      -- A wide table gets a smaller face in the PDF, so that its cells wrap less (HTML scrolls instead).
      return pandoc.Blocks({ pandoc.RawBlock("typst", "#[#show table: set text(size: " .. WIDE_TABLE_SCALE .. ")"), out,
                             pandoc.RawBlock("typst", "]") })
    end
    return out
  end
  return pandoc.Figure(body, { long = pandoc.Blocks(caption) }, pandoc.Attr(id))
end

local function fix_image(img)
  img.src = root_relative(img.src)
  return img
end

-- Pass 2: cross-references (before citeproc).
local function xref(id)
  local n = numbers[id]
  if not n then
    error("cross-reference @" .. id .. " points to no figure or table in the manuscript")
  end
  return pandoc.Link({ pandoc.Str(KINDS[kind_of(id)] .. NBSP .. n) }, "#" .. id)
end

local function resolve_cite(cite)
  local refs, others = {}, {}
  for _, c in ipairs(cite.citations) do
    if kind_of(c.id) then table.insert(refs, c) else table.insert(others, c) end
  end
  if #refs == 0 then return nil end
  local out = pandoc.Inlines({})
  for i, c in ipairs(refs) do
    if i > 1 then out:insert(pandoc.Str(i == #refs and " and " or ", ")) end
    out:extend(c.prefix)
    if #c.prefix > 0 then out:insert(pandoc.Space()) end
    out:insert(xref(c.id))
    out:extend(c.suffix)
  end
  if #others > 0 then
    -- e.g. "@tbl-x [@key]": pandoc merges them into one Cite; keep the bibliographic part for citeproc.
    out:insert(pandoc.Space())
    out:insert(pandoc.Cite(pandoc.Inlines({ pandoc.Str("") }), others))
  end
  return out
end

-- Quarto's author schema (`- name: ...`) as plain names for pandoc's HTML template (Typst's reads .name).
local function authors(meta)
  if not FORMAT:match("html") or meta.author == nil or pandoc.utils.type(meta.author) ~= "List" then return nil end
  local names = pandoc.List({})
  for _, a in ipairs(meta.author) do
    if pandoc.utils.type(a) == "table" and a.name then names:insert(a.name) else names:insert(a) end
  end
  meta.author = names
  return meta
end

return {
  { Meta = authors },
  { Figure = number_figure, Div = number_div, Image = fix_image },
  { Cite = resolve_cite },
}
