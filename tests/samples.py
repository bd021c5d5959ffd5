"""Sample files that tests write (imported as `samples`: tests/ is on the path through its conftest)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa import QA

# Four documents of four owners, for the permission tests of the engine, the HTTP API and the chat
ALICE_MEMO = (
    "The Zephyr merger memo says the company will buy Quillon Ltd for 412 million euros in March. "
    "The Zephyr deal team meets every Tuesday in room 7 to review the merger schedule."
)
BOB_NOTE = (
    "Bob's hiring note says the Zephyr plant will hire 35 welders in June. "
    "The welders will train for six weeks at the Zephyr plant before they start."
)
HR_POLICY = "The hr policy grants every employee 28 days of paid leave a year, plus public holidays."
PUBLIC_FACT = "The canteen opens at 11:30 and closes at 14:00 on weekdays."


def write_pdf(path: Path, text: str) -> Path:
    """A one-page PDF of `text` (fpdf2), for loader and ingest tests."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def write(folder: Path, name: str, text: str) -> Path:
    """`folder` with a file `name` holding `text`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def ingest_four_owners(qa: QA, root: Path) -> QA:
    """The public canteen fact, alice's and bob's private collections, and an hr collection shared with hr."""
    from access.permissions import ADMIN, User

    alice, bob = User("alice"), User("bob", frozenset({"hr"}))
    qa.ingest(write(root / "public", "canteen.txt", PUBLIC_FACT))
    qa.library.create("alice-private", ADMIN, owner="alice")
    qa.library.create("bob-private", ADMIN, owner="bob")
    qa.library.create("hr", ADMIN, owner="", visibility="groups", groups=["hr"])
    qa.ingest(write(root / "alice", "memo.txt", ALICE_MEMO), collection="alice-private", user=alice)
    qa.ingest(write(root / "bob", "note.txt", BOB_NOTE), collection="bob-private", user=bob)
    qa.ingest(write(root / "hr", "policy.txt", HR_POLICY), collection="hr")
    return qa
