"""How a run writes its outputs: as one set, never over an input, leaving nothing behind.

A run's files (``analyse``'s pupils, slots and summary; a pack with its charts and PDF; a
tracking run's reports and history) are first written into a staging folder of the run's own,
``.schoolperf-staging-<pid>-…`` inside the output folder, with every temporary file of the run
(the engine's spill, Chromium's profile). Only when the whole set is there does
:meth:`OutputSet.commit` write a manifest into the staging folder and move each file into place
by a rename (the staging folder is on the output folder's file system), with SIGTERM and SIGINT
held off until the last rename is done. So an error, a full disk, SIGTERM or SIGINT leaves the
old set untouched and the staging folder removed. SIGKILL between the manifest and the last
rename is the one way to leave a mix, for the microseconds the renames take: the next run finds
the staging folder (its lock no longer held) and, since its manifest is there, finishes the
renames before doing anything else; a staging folder without a manifest is simply removed
(docs/output.md, Output sets).

Every output path, and every file of the old set a run would remove, is compared with every
file the run reads (:func:`protect_inputs`): a match is refused before anything is written.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from types import FrameType

from schoolperf.errors import InputError, Problem

STAGING_PREFIX = ".schoolperf-staging-"
MANIFEST = "COMMIT.json"
SET_FOLDER = "set"
WORK_FOLDER = "work"
STOPPING_SIGNALS = ("SIGTERM", "SIGINT")

# an input as the run names it: (the option that reads it, e.g. "--previous", or what it is,
# e.g. "the results export"; and its path), or a bare path
Input = tuple[str, "str | Path | None"] | str | Path
Content = str | bytes | Callable[[str], None]


class Interrupted(BaseException):
    """SIGTERM or SIGINT, raised in the main thread so that the run stops as an error would
    (its staging and work folders removed on the way out)."""

    def __init__(self, signum: int):
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """The shell's status for a process stopped by the signal: 143 (SIGTERM), 130 (SIGINT)."""
        return 128 + self.signum


class _Signals:
    """The state of :func:`exit_on_signals`: how deep in :func:`signals_held`, a signal held
    back, and the signal that is stopping the run."""

    held = 0
    pending: int | None = None
    fired: int | None = None


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _Signals.fired is not None:  # already stopping: let the clean-up finish
        return
    if _Signals.held:
        _Signals.pending = signum
        return
    _Signals.fired = signum
    raise Interrupted(signum)


@contextmanager
def signals_held() -> Iterator[None]:
    """SIGTERM and SIGINT wait until this block is done (a commit's renames, a clean-up)."""
    _Signals.held += 1
    try:
        yield
    finally:
        _Signals.held -= 1
        if not _Signals.held and _Signals.pending is not None and _Signals.fired is None:
            _Signals.fired, _Signals.pending = _Signals.pending, None
            raise Interrupted(_Signals.fired)


@contextmanager
def exit_on_signals(ignore_after: bool = False) -> Iterator[None]:
    """Run the block so that SIGTERM and SIGINT stop it as an error would (staging and work
    folders removed), then exit with status 143 or 130. For a program's main thread. With
    ``ignore_after``, when the block ends by exiting the program (``SystemExit``), the signals
    are ignored from then on, so a run that has done its work is not stopped while Python
    shuts down."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = [getattr(signal, name) for name in STOPPING_SIGNALS if hasattr(signal, name)]
    previous = {number: signal.signal(number, _on_signal) for number in wanted}
    _Signals.pending = _Signals.fired = None
    exiting = False
    try:
        yield
    except BaseException as error:
        exiting = True
        signum = error.signum if isinstance(error, Interrupted) else _Signals.fired
        if signum is None:
            exiting = isinstance(error, SystemExit)
            raise
        # (the engine may turn the signal into an error of its own on the way out)
        with suppress(OSError):
            print(
                f"schoolperf: stopped by {signal.Signals(signum).name}; "
                "no output was left half-written.",
                file=sys.stderr,
            )
        raise SystemExit(128 + signum) from None
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_IGN if ignore_after and exiting else handler)
        _Signals.pending = _Signals.fired = None


def cannot_write(path: Path, why: str) -> InputError:
    """The problem of an output the system would not let us write."""
    return InputError(
        [
            Problem(
                "cannot-write",
                f"cannot be written ({why}).",
                "Choose a folder you can write to, whose path is not taken by a file or a "
                "folder of that name.",
                file=str(path),
            )
        ]
    )


def check_targets(paths: Iterable[Path]) -> None:
    """Refuse, before any output is written, a set of outputs one of which could not be: a
    folder where a file is to go (so a run never leaves some outputs new and others old)."""
    blocked = [path for path in paths if path.is_dir()]
    if blocked:
        raise InputError(
            [cannot_write(path, "a folder is in the way").problems[0] for path in blocked]
        )


def named_inputs(inputs: Iterable[Input]) -> list[tuple[str, Path]]:
    """Each file a run reads, with the option that names it; a folder read (``--template``)
    stands for every file in it; a path given as ``None`` is left out."""
    named = []
    for item in inputs:
        option, path = item if isinstance(item, tuple) else ("an input file", item)
        if path is None or str(path) == "":
            continue
        path = Path(path)
        if path.is_dir():
            named += [(option, p) for p in sorted(path.rglob("*")) if p.is_file()]
        else:
            named.append((option, path))
    return named


def same_file(one: Path, other: Path) -> bool:
    """Whether two paths name one file: the same file (symbolic and hard links followed), or,
    where either does not exist yet, the same place once links are resolved."""
    try:
        return os.path.samefile(one, other)
    except OSError:
        return os.path.realpath(one) == os.path.realpath(other)


def protect_inputs(inputs: Iterable[Input], outputs: Iterable[Path]) -> None:
    """Refuse (``output-is-input``, exit status 2) any output, or file of an old set to be
    removed, that is a file the run reads, naming the option that reads it."""
    named = named_inputs(inputs)
    problems = []
    for output in outputs:
        for option, path in named:
            if same_file(output, path):
                what = f"the file read by {option}" if option[:1] in "-[" else option
                shown = "" if str(path) == str(output) else f" ({path})"
                problems.append(
                    Problem(
                        "output-is-input",
                        f"is {what}{shown}; schoolperf never writes over its input.",
                        "Choose another output (--out, or the [output] table of a tracking "
                        "configuration).",
                        file=str(output),
                    )
                )
                break
    if problems:
        raise InputError(problems)


def _write(path: Path, content: Content) -> None:
    if callable(content):
        content(str(path))
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)


def _apply(staging: Path, folder: Path, finishing: bool = False) -> None:
    """Move a committed set from ``staging`` into ``folder`` as its manifest says. ``finishing``
    the set of a killed run: files it had moved are no longer in the staging folder, and a file
    written after its manifest (by a later run) is left as it is."""
    committed = (staging / MANIFEST).stat().st_mtime
    manifest = json.loads((staging / MANIFEST).read_text(encoding="utf-8"))

    def newer(target: Path) -> bool:
        return finishing and target.exists() and target.stat().st_mtime > committed

    for relative in manifest["files"]:
        source, target = staging / SET_FOLDER / relative, folder / relative
        if source.is_file() and not newer(target):
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
    for relative in manifest["remove"]:
        if not newer(folder / relative):
            (folder / relative).unlink(missing_ok=True)


def _remove(folder: Path) -> None:
    """Remove ``folder``, trying again a few times while a helper that is ending (a browser's)
    still writes into it."""
    for attempt in range(5):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.05 * (attempt + 1))


def recover(folder: Path) -> None:
    """Deal with the staging folders killed runs left in ``folder``: a committed set (its
    manifest written) is moved into place, as the killed run would have done; the rest are
    removed."""
    from schoolperf.engine.query import stale_folders

    with signals_held():
        for staging in stale_folders(folder, STAGING_PREFIX):
            if (staging / MANIFEST).is_file():
                try:
                    _apply(staging, folder, finishing=True)
                except (OSError, ValueError, KeyError):
                    continue  # left for a later run (a disk error): never half-removed
            _remove(staging)


class OutputSet:
    """The outputs of one run into ``folder``, written into a staging folder there and moved
    into place together by :meth:`commit`; a run that stops before (an error, SIGTERM, SIGINT)
    leaves the folder as it was and no staging folder. While it is open, the engine spills into
    its staging folder. ``inputs``: every file the run reads, as ``(option, path)``;
    ``targets``: the outputs known before the run, checked on entry."""

    def __init__(
        self, folder: str | Path, inputs: Iterable[Input] = (), targets: Iterable[Path] = ()
    ):
        self.folder = Path(folder)
        self.inputs = named_inputs(inputs)
        self.planned = [Path(t) for t in targets]
        self.staging: Path | None = None
        self.committed = False
        self._staged: dict[Path, Path] = {}
        self._removed: list[Path] = []
        self._lock: int | None = None
        self._made_folder = False
        self._spilling: AbstractContextManager[None] | None = None

    def __enter__(self) -> OutputSet:
        from schoolperf.engine.query import new_folder, spilling_to

        self.check(self.planned)
        try:
            self._made_folder = not self.folder.exists()
            self.folder.mkdir(parents=True, exist_ok=True)
            recover(self.folder)
            with signals_held():
                self.staging, self._lock = new_folder(self.folder, STAGING_PREFIX, False)
        except OSError as exc:
            self._close()
            raise cannot_write(self.folder, exc.strerror or str(exc)) from None
        self._spilling = spilling_to(self.staging / WORK_FOLDER)
        self._spilling.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()

    def _close(self) -> None:
        with signals_held():
            if self._spilling is not None:
                self._spilling.__exit__(None, None, None)
                self._spilling = None
            if self.staging is not None:
                _remove(self.staging)
                self.staging = None
            if self._lock is not None:
                os.close(self._lock)
                self._lock = None
            if self._made_folder and not self.committed:
                try:
                    self.folder.rmdir()  # made for this run, which wrote nothing: as it was
                except OSError:
                    pass

    def check(self, outputs: Iterable[Path]) -> None:
        """Refuse outputs that would go over an input or where a folder is in the way."""
        outputs = list(outputs)
        protect_inputs(self.inputs, outputs)
        check_targets(outputs)

    def _relative(self, target: Path) -> str:
        relative = os.path.relpath(os.path.abspath(target), os.path.abspath(self.folder))
        if relative.startswith(os.pardir) or os.path.isabs(relative):
            raise ValueError(f"{target} is not inside the output folder {self.folder}")
        return relative

    def stage(self, target: Path) -> Path:
        """Where ``target`` (a path inside the output folder) is written until the commit."""
        if self.staging is None:
            raise RuntimeError("an OutputSet is written inside its with block")
        target = Path(target)
        self.check([target])
        staged = self.staging / SET_FOLDER / self._relative(target)
        try:
            staged.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise cannot_write(target, exc.strerror or str(exc)) from None
        self._staged[target] = staged
        return staged

    def write(self, target: Path, content: Content) -> Path:
        """Write ``target`` into the staging folder: text, bytes, or a function that writes the
        file at the path it is given (large tables are streamed to disk)."""
        staged = self.stage(target)
        try:
            _write(staged, content)
        except OSError as exc:  # a full disk: nothing in the output folder has changed
            raise cannot_write(Path(target), exc.strerror or str(exc)) from None
        return staged

    def forget(self, target: Path) -> None:
        """Leave ``target`` out of the set after all (its staged file removed)."""
        staged = self._staged.pop(Path(target), None)
        if staged is not None:
            staged.unlink(missing_ok=True)

    def remove(self, target: Path) -> None:
        """Remove ``target``, a file of the old set the new one has not, when the set is
        committed (so it is never seen beside the new set)."""
        target = Path(target)
        self.check([target])
        self._relative(target)
        self._removed.append(target)

    def work(self, name: str) -> Path:
        """A folder for the run's temporary files (e.g. a browser profile), removed with the
        staging folder."""
        if self.staging is None:
            raise RuntimeError("an OutputSet is written inside its with block")
        folder = self.staging / WORK_FOLDER / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def commit(self) -> list[Path]:
        """Move the whole set into place (SIGTERM and SIGINT held off until it is); return the
        paths written."""
        if self.staging is None:
            raise RuntimeError("an OutputSet is written inside its with block")
        targets = list(self._staged)
        removed = [p for p in self._removed if p not in self._staged and p.is_file()]
        with signals_held():
            self.check([*targets, *removed])
            manifest = {
                "files": [self._relative(t) for t in targets],
                "remove": [self._relative(p) for p in removed],
            }
            try:
                for target in targets:
                    target.parent.mkdir(parents=True, exist_ok=True)
                temporary = self.staging / f"{MANIFEST}.tmp"
                temporary.write_text(json.dumps(manifest), encoding="utf-8")
                os.replace(temporary, self.staging / MANIFEST)  # the set is committed
            except OSError as exc:  # nothing moved yet: the old set is whole
                raise cannot_write(self.folder, exc.strerror or str(exc)) from None
            try:
                _apply(self.staging, self.folder)
            except OSError as exc:
                # the staging folder is kept, with its manifest, for the next run to finish
                self.staging = None
                raise cannot_write(self.folder, exc.strerror or str(exc)) from None
            self.committed = True
            for target in targets:  # what a killed write_atomic left beside a file of the set
                for leftover in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
                    with suppress(OSError):
                        leftover.unlink()
        return targets
