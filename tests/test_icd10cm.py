"""The app's ICD-10-CM code file is the pinned simple-icd-10-cm package's code set, and checks codes as it does."""

import gzip

import simple_icd_10_cm as icd

from treatments import icd10cm
from treatments.validation import is_valid_icd10


def test_the_file_is_the_package_code_set():
    written = gzip.decompress(icd10cm.FILE.read_bytes()).decode().split()
    assert written == icd.get_all_codes(True), "rewrite it: python -c 'from treatments import icd10cm; icd10cm.write()'"


def test_codes_are_checked_as_the_package_checks_them():
    samples = ["G63", "E11.42", "E1142", "e11.42", " E11.42", "E1.142", "G89.0", "G890", "A00-A09", "1", "22", "23"]
    samples += ["Z99.2", "Z992", "Z99.", "X", "", "G63.0", "M79.2", "B02.29", "B0229", "E11.4", "E11.9"]
    for code in samples:
        assert is_valid_icd10(code) == icd.is_valid_item(code), code
    assert is_valid_icd10("E11.42") and not is_valid_icd10("E11.4X")
