"""The parts of an Excel workbook's zip, read by the expat XML parser as a stream: the
workbook's sheets, its shared texts and the styles that show numbers as dates.

Before a part is read, its size in the zip's directory is checked: :data:`MAX_PART` bytes at most,
and a part of more than a megabyte compressed no more than :data:`MAX_RATIO` to 1. The shared
texts' number and length are checked as they come. An XML part that declares a DTD is refused:
no spreadsheet program writes one, and its entities could expand without end or name other files.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from xml.parsers import expat

from schoolperf.errors import InputError
from schoolperf.ingest.checks import problem

MAX_TEXT = 32_767  # characters: Excel's own limit on a cell
MAX_SHARED_STRINGS = 1_000_000  # distinct texts of a workbook; a pupil export has a few a pupil
MAX_PART = 256 << 20  # bytes of one XML part, uncompressed
MAX_RATIO = 100  # real sheets compress about 5 to 20 to 1
MAX_TOTAL = 1 << 30  # bytes of all the XML parts read, uncompressed
MAX_SHEETS = 1_000
RESAVE = "Open it in Excel and save it again as .xlsx, or save it as CSV."
_MAIN = "officeDocument"


def refuse(path: Path, code: str, message: str, fix: str = RESAVE) -> InputError:
    """The problem with a workbook as a whole, as an input error."""
    return problem(path, code, message, fix)


class Stop(Exception):
    """Raised by a handler to stop reading a part early."""


class Parts:
    """A workbook's zip, whose XML parts are read with their sizes checked first."""

    def __init__(self, path: Path):
        self.path = path
        self.zip = zipfile.ZipFile(path)
        self.names = {info.filename.lower(): info for info in self.zip.infolist()}
        self.read = self.read_compressed = 0  # bytes of the parts read, and in the zip
        self.filled: dict[str, bool] = {}  # whether each sheet's part read so far has data

    def has(self, name: str) -> bool:
        """Whether the zip holds the part ``name`` (case aside, as Excel reads it)."""
        return name.lower() in self.names

    def compressed_size(self, name: str) -> int:
        """The bytes the part ``name`` takes in the zip (0 if there is none)."""
        info = self.names.get(name.lower())
        return 0 if info is None else info.compress_size

    def main(self) -> str:
        """The workbook's main part, as the package's relationships name it."""
        found = (target for kind, target in self.relations("").values() if kind == _MAIN)
        return next(found, "xl/workbook.xml")

    def parse(self, name: str, handlers: dict[str, Callable], sheet: bool = False) -> None:
        """Read the part ``name`` with expat, ``handlers`` by their expat names."""
        info = self.names.get(name.lower())
        if info is None:
            raise refuse(self.path, "unreadable-excel", f"has no part {name}, which it names.")
        self._check_size(info, sheet)
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.buffer_size = 1 << 16
        parser.StartDoctypeDeclHandler = self._no_dtd
        for event, handler in handlers.items():
            setattr(parser, event, handler)
        try:
            with self.zip.open(info) as stream:
                while chunk := stream.read(1 << 20):
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
        except Stop:
            pass
        except expat.ExpatError as exc:
            raise refuse(
                self.path,
                "unreadable-excel",
                f"has a part ({name}) that is cut short or broken: not well-formed XML ({exc}).",
            ) from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as exc:
            raise refuse(
                self.path, "unreadable-excel", f"has a damaged part ({name}): {exc}."
            ) from None

    def _check_size(self, info: zipfile.ZipInfo, sheet: bool) -> None:
        """Refuse a part, from its sizes in the zip's directory, that is larger or compressed
        more than any real sheet, or that takes the parts read beyond :data:`MAX_TOTAL`."""
        code, kind = ("sheet-too-large", "sheet") if sheet else ("workbook-too-large", "part")
        name = info.filename
        if info.file_size > MAX_PART:
            raise refuse(
                self.path,
                code,
                f"has a {kind} ({name}) of {info.file_size >> 20:,} MiB of XML, more than the "
                f"{MAX_PART >> 20} MiB of any pupil export.",
                "Delete the rows, columns and sheets that are not the pupils' results, and save "
                "it again (or save the results sheet as CSV).",
            )
        self.read += info.file_size
        self.read_compressed += info.compress_size
        for size, compressed, what in (
            (info.file_size, info.compress_size, f"a {kind} ({name})"),
            (self.read, self.read_compressed, "parts that together are"),
        ):
            if size > 1 << 20 and size > MAX_RATIO * compressed:
                raise refuse(
                    self.path,
                    code,
                    f"has {what} compressed {size / max(compressed, 1):,.0f} to 1, which no "
                    "real sheet is: the same text repeated.",
                )
        if self.read > MAX_TOTAL:
            raise refuse(
                self.path,
                "workbook-too-large",
                f"has more than {MAX_TOTAL >> 20:,} MiB of XML in its sheets and texts, more "
                "than any pupil export.",
                "Delete the sheets that are not the pupils' results, and save it again (or save "
                "the results sheet as CSV).",
            )

    def _no_dtd(self, *_: object) -> None:
        raise refuse(
            self.path,
            "unreadable-excel",
            "has XML that declares a DTD (<!DOCTYPE>), which no spreadsheet program writes: its "
            "entities could expand without end or read other files.",
        )

    def relations(self, part: str) -> dict[str, tuple[str, str]]:
        """The relationships of ``part``: id → (type, the part it names)."""
        folder, name = posixpath.split(part)
        rels = posixpath.join(folder, "_rels", name + ".rels")
        found: dict[str, tuple[str, str]] = {}

        def start(tag: str, attrs: dict[str, str]) -> None:
            if local_name(tag) == "Relationship" and "Target" in attrs:
                target = attrs["Target"]
                target = target[1:] if target.startswith("/") else posixpath.join(folder, target)
                kind = attrs.get("Type", "").rpartition("/")[2]
                found[attrs.get("Id", "")] = (kind, posixpath.normpath(target))

        if self.has(rels):
            self.parse(rels, {"StartElementHandler": start})
        return found


def local_name(tag: str) -> str:
    """An XML name without its namespace prefix."""
    return tag.rpartition(":")[2]


def column_number(letters: str) -> int:
    """The number of a column from its letters: A → 1, AB → 28."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def cell_position(ref: str) -> tuple[int, int]:
    """(row, column) of a reference such as ``AB12``; ValueError if it is not one."""
    letters = ref.rstrip("0123456789")
    if not 0 < len(letters) <= 3 or not letters.isascii() or not letters.isalpha():
        raise ValueError(ref)
    return int(ref[len(letters) :]), column_number(letters.upper())


def sheets_of(book: Parts, main: str) -> tuple[dict[str, str], bool]:
    """Each sheet's name and its part (``""`` for a sheet with none), in the workbook's order;
    and whether its dates count from 1904."""
    targets = book.relations(main)
    sheets: dict[str, str] = {}
    date1904 = [False]

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = local_name(tag)
        if local == "sheet" and "name" in attrs:
            rid = next((v for k, v in attrs.items() if local_name(k) == "id"), "")
            kind, target = targets.get(rid, ("", ""))
            sheets[attrs["name"]] = target if kind == "worksheet" else ""
            if len(sheets) > MAX_SHEETS:
                raise refuse(
                    book.path,
                    "workbook-too-large",
                    f"has more than {MAX_SHEETS:,} sheets, more than any pupil export.",
                    "Save the sheet of the pupils' results on its own, as .xlsx or CSV.",
                )
        elif local == "workbookPr":
            date1904[0] = attrs.get("date1904", "").lower() in ("1", "true")

    book.parse(main, {"StartElementHandler": start})
    return sheets, date1904[0]


def has_data(book: Parts, part: str) -> bool:
    """Whether a sheet holds a cell with a value or a formula (read up to the first)."""
    found = []

    def start(tag: str, _attrs: dict[str, str]) -> None:
        if local_name(tag) in ("v", "f", "is"):
            found.append(tag)
            raise Stop

    if part and part not in book.filled:
        book.parse(part, {"StartElementHandler": start}, sheet=True)
        book.filled[part] = bool(found)
    return book.filled.get(part, False)


def shared_strings(book: Parts, parts: list[str]) -> list[str]:
    """The workbook's shared texts, their number and length checked as they come."""
    strings: list[str] = []
    if not parts:
        return strings
    pieces: list[str] = []
    state = {"in": 0, "phonetic": 0, "length": 0}

    def too_many(count: int) -> None:
        if count > MAX_SHARED_STRINGS:
            raise refuse(
                book.path,
                "workbook-too-large",
                f"holds {count:,} distinct texts, more than the {MAX_SHARED_STRINGS:,} of any "
                "pupil export.",
                "Delete the sheets and cells that are not the pupils' results, and save it again "
                "(or save the results sheet as CSV).",
            )

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = local_name(tag)
        if local == "t" and not state["phonetic"]:
            state["in"] = 1
        elif local == "rPh":
            state["phonetic"] = 1
        elif local == "sst":
            claimed = attrs.get("uniqueCount", "")
            too_many(int(claimed) if claimed.isdecimal() else 0)

    def end(tag: str) -> None:
        local = local_name(tag)
        if local == "t":
            state["in"] = 0
        elif local == "rPh":
            state["phonetic"] = 0
        elif local == "si":
            text = "".join(pieces)
            pieces.clear()
            state["length"] = 0
            strings.append(text.replace("x005F_", "") if "x005F_" in text else text)
            too_many(len(strings))

    def characters(data: str) -> None:
        if state["in"]:
            pieces.append(data)
            state["length"] += len(data)
            if state["length"] > MAX_TEXT:
                raise refuse(
                    book.path,
                    "workbook-too-large",
                    f"holds a text of more than {MAX_TEXT:,} characters, more than Excel "
                    "allows in a cell.",
                )

    handlers = {"StartElementHandler": start, "EndElementHandler": end}
    book.parse(parts[0], {**handlers, "CharacterDataHandler": characters})
    return strings


def date_styles(book: Parts, parts: list[str]) -> tuple[set[int], set[int]]:
    """The cell styles (by number) that show a number as a date or time, and those of them that
    show a duration."""
    from openpyxl.styles.numbers import (
        BUILTIN_FORMATS,
        is_date_format,
        is_timedelta_format,
    )

    custom: dict[int, str] = {}
    formats: list[int] = []
    where = {"in": 0}

    def number(attrs: dict[str, str], key: str) -> int:
        text = attrs.get(key, "0")
        if not text.isdecimal():
            raise refuse(
                book.path,
                "unreadable-excel",
                f"has styles ({parts[0]}) that are not valid: {key} {text!r} is not a number.",
            )
        return int(text)

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = local_name(tag)
        if local == "cellXfs":
            where["in"] = 1
        elif local == "numFmt":
            custom[number(attrs, "numFmtId")] = attrs.get("formatCode", "")
        elif local == "xf" and where["in"]:
            formats.append(number(attrs, "numFmtId"))

    def end(tag: str) -> None:
        if local_name(tag) == "cellXfs":
            where["in"] = 0

    if parts:
        book.parse(parts[0], {"StartElementHandler": start, "EndElementHandler": end})
    kinds = {}  # each number format read once, however many styles use it
    for number_format in set(formats):
        code = custom.get(number_format, BUILTIN_FORMATS.get(number_format))
        kinds[number_format] = (is_date_format(code), is_timedelta_format(code))
    dates = {style for style, number_format in enumerate(formats) if kinds[number_format][0]}
    durations = {style for style, number_format in enumerate(formats) if kinds[number_format][1]}
    return dates, durations
