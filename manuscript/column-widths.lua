--[[
column-widths.lua: columns as wide as their content, in both engines' PDF and HTML.

Pandoc gives a pipe table relative column widths (from the dashes of its separator line) as soon as one of its
lines is longer than 72 characters, which all of the pipeline's tables are: equal shares of the page, so the
first column of labels collides with the numbers. Clearing the widths lets Typst and the browser size each
column to its content.
]]
function Table(tbl)
  for i, spec in ipairs(tbl.colspecs) do
    tbl.colspecs[i] = { spec[1], pandoc.ColWidthDefault }
  end
  return tbl
end
