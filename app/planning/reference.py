"""Planning's reference data: lecturer tiers (TT 36/2018 tiers; names are data, fees come later)."""

import csv
from pathlib import Path

from sqlalchemy import select

from app.core.text import nfc
from app.extensions import db
from app.planning.models import TrainerTier

DATA_DIR = Path(__file__).parent / "data"


def load_trainer_tiers() -> int:
    with open(DATA_DIR / "trainer_tiers.csv", encoding="utf-8") as handle:
        rows = [{k: nfc(v) for k, v in row.items()} for row in csv.DictReader(handle)]
    known = set(db.session.scalars(select(TrainerTier.code)))
    new = [
        TrainerTier(code=r["code"], name=r["name"], name_en=r["name_en"], sort_order=int(r["sort_order"]))
        for r in rows
        if r["code"] not in known
    ]
    db.session.add_all(new)
    db.session.flush()
    return len(new)
