"""The ICD-10-CM code set, for checking that a code exists (the loader, the admin, a record system's conditions).

The codes are read from ``data/icd10cm_codes.txt.gz``, written from the pinned ``simple-icd-10-cm`` package
(its chapters, blocks, categories and subcategories, dotted), once per process on first use: about 10 MB in
memory, where importing that package costs each web worker about 180 MB. ``tests/test_icd10cm.py`` checks
that the file is exactly that package's code set; ``write()`` rewrites it after the package is upgraded.
"""

import gzip
import threading
from pathlib import Path

FILE = Path(__file__).resolve().parent / "data" / "icd10cm_codes.txt.gz"
_codes = None
_lock = threading.Lock()


def codes():
    """Every valid item, as the package spells it (dotted) and without its dot, as a frozenset."""
    global _codes
    if _codes is None:
        with _lock:
            if _codes is None:
                dotted = gzip.decompress(FILE.read_bytes()).decode().split()
                _codes = frozenset(dotted) | frozenset(code.replace(".", "") for code in dotted)
    return _codes


def is_valid(code):
    """Whether ``code`` is an ICD-10-CM chapter, block, category or subcategory, dotted or not (case matters,
    as in ``simple_icd_10_cm.is_valid_item``)."""
    return code in codes()


def write():
    """Rewrite the file from the installed ``simple_icd_10_cm`` (a development dependency)."""
    import simple_icd_10_cm as icd

    text = "\n".join(icd.get_all_codes(True)) + "\n"
    FILE.write_bytes(gzip.compress(text.encode(), 9, mtime=0))
