"""A port of Go's `text/tabwriter` for the two configurations `oc` uses.

`oc describe` writes through `tabwriter.Writer.Init(buf, 0, 8, 1, '\\t', 0)`:
cells are padded with real TAB characters so that each column starts at the
next multiple of 8 after its widest cell (+1). `oc get` (kubectl's table
printer) pads with spaces: minimum width 6, padding 3.

Text is split into lines and cells; a cell is text terminated by a TAB. The
last cell of a line is not TAB-terminated, is never padded and belongs to no
column. A column block is a run of consecutive lines that all have a cell in
that column; its width is computed over the block only, so a line without a
TAB (a section heading, an empty line) starts fresh blocks below it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TabWriter:
    minwidth: int = 0
    tabwidth: int = 8
    padding: int = 1
    padchar: str = "\t"

    def format(self, text: str) -> str:
        lines = [line.split("\t") for line in text.split("\n")]
        out: list[str] = []
        self._format(lines, 0, len(lines), [], out)
        return "".join(out)

    def _format(
        self, lines: list[list[str]], line0: int, line1: int, widths: list[int], out: list[str]
    ) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            # This line has a cell in `column`: flush the lines above, then
            # find the block of lines that share the column.
            self._write_lines(lines, line0, this, widths, out)
            line0 = this
            width = self.minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + self.padding)
                this += 1
            self._format(lines, line0, this, [*widths, width], out)
            line0 = this
        self._write_lines(lines, line0, line1, widths, out)

    def _write_lines(
        self, lines: list[list[str]], line0: int, line1: int, widths: list[int], out: list[str]
    ) -> None:
        for index in range(line0, line1):
            cells = lines[index]
            for j, cell in enumerate(cells):
                out.append(cell)
                if j < len(widths):
                    out.append(self._padding(len(cell), widths[j]))
            # The text after the last newline has no newline of its own.
            if index + 1 < len(lines):
                out.append("\n")

    def _padding(self, text_width: int, cell_width: int) -> str:
        if self.padchar == "\t":
            # Tabs: round the cell up to a tab stop; as many tabs as it takes.
            cell_width = -(-cell_width // self.tabwidth) * self.tabwidth
            return "\t" * -(-(cell_width - text_width) // self.tabwidth)
        return self.padchar * (cell_width - text_width)


DESCRIBE = TabWriter(minwidth=0, tabwidth=8, padding=1, padchar="\t")
TABLE = TabWriter(minwidth=6, tabwidth=4, padding=3, padchar=" ")


def describe_layout(text: str) -> str:
    return DESCRIBE.format(text)


def table_layout(rows: list[list[str]]) -> str:
    """kubectl's table: cells joined by TABs, one line per row."""
    return TABLE.format("".join("\t".join(row) + "\n" for row in rows))
