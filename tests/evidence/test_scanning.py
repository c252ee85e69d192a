"""The scanner: a real clamd asked over INSTREAM, and the development stand-in."""

from __future__ import annotations

import os

import pytest
from django.core.exceptions import ImproperlyConfigured

from evidence.scanning import (
    EICAR,
    ClamdScanner,
    DevelopmentScanner,
    ScannerUnavailable,
    get_scanner,
)


def test_clamd_finds_eicar_with_the_projects_signature(clamd_address):
    result = ClamdScanner(clamd_address).scan([EICAR])
    assert not result.clean
    assert result.signature.startswith("GloAct.Test.EICAR")
    assert result.scanner == "clamd"


def test_clamd_passes_a_clean_file_sent_in_many_chunks(clamd_address):
    data = os.urandom(300 * 1024)
    result = ClamdScanner(clamd_address).scan([data[:1000], data[1000:]])
    assert result.clean and result.signature == ""


def test_clamd_that_cannot_be_reached_is_unavailable_not_clean(tmp_path):
    scanner = ClamdScanner(f"unix://{tmp_path / 'nobody.sock'}")
    assert scanner.ping() is False
    with pytest.raises(ScannerUnavailable):
        scanner.scan([b"hello"])


def test_the_development_scanner_knows_eicar_only():
    scanner = DevelopmentScanner()
    assert not scanner.scan([b"prefix ", EICAR]).clean
    assert scanner.scan([b"a perfectly ordinary statement"]).clean
    assert scanner.is_real is False


def test_the_scanner_follows_the_settings(settings, clamd_address):
    settings.EVIDENCE_SCANNER, settings.CLAMD_ADDRESS = "clamd", clamd_address
    assert isinstance(get_scanner(), ClamdScanner)
    settings.CLAMD_ADDRESS = "http://clamav:3310"
    with pytest.raises(ImproperlyConfigured, match="neither unix"):
        get_scanner()
    settings.EVIDENCE_SCANNER = "none"
    with pytest.raises(ImproperlyConfigured, match="clamd or development"):
        get_scanner()
