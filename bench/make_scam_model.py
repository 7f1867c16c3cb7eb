"""Fit the scorer on the training split and write the shipped model file
(``src/shieldwall/contact/scam/data/scorer_model.json``).

    python bench/make_scam_model.py            # refit and rewrite the shipped model
    python bench/make_scam_model.py --check    # exit 1 if the shipped model is not the refit

Only ``split == "train"`` rows are read (see ``shieldwall.contact.scam.training``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from shieldwall.contact.scam.training import load_dataset, model_json, train

OUT = Path(__file__).resolve().parent.parent / "src/shieldwall/contact/scam/data/scorer_model.json"


def main(argv: list[str]) -> int:
    body = model_json(train(load_dataset()))
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != body:
            print(f"{OUT} is not the model fitted on the current dataset; rerun without --check")
            return 1
        return 0
    OUT.write_text(body, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
