--[[
column-widths.lua: columns as wide as their content, in both engines' PDF and HTML.

Pandoc gives a pipe table relative column widths (from the dashes of its separator line) as soon as one of its
lines is longer than 72 characters, which all of the pipeline's tables are: equal shares of the page, so the
first column of labels collides with the numbers. Clearing the widths lets Typst and the browser size each
column to its content.

A table of WIDE_COLUMNS or more columns is wider than the text column of Quarto's HTML page, which then hides
its last columns behind a scroll bar: its float gets Quarto's `column-page` class, so it spreads over the page
width (the fallback's HTML already lets a wide table spread beyond the text).
]]
local WIDE_COLUMNS = 7

function Table(tbl)
  for i, spec in ipairs(tbl.colspecs) do
    tbl.colspecs[i] = { spec[1], pandoc.ColWidthDefault }
  end
  return tbl
end

local function widest(content)
  if pandoc.utils.type(content) ~= "Blocks" then content = pandoc.Blocks({ content }) end
  local n = 0
  pandoc.Div(content):walk({
    Table = function(t) if #t.colspecs > n then n = #t.colspecs end end,
  })
  return n
end

local function spread(el, blocks)
  if el.identifier and el.identifier:match("^tbl%-") and widest(blocks) >= WIDE_COLUMNS then
    if not el.classes:includes("column-page") then el.classes:insert("column-page") end
    return el
  end
  return nil
end

return {
  { Table = Table },
  { Div = function(d) return spread(d, d.content) end,
    FloatRefTarget = function(f) return spread(f, f.content) end },
}
