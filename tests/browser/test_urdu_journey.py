"""Urdu, right to left, in a real browser, on the demo data (docs/i18n.md).

HQ's director signs in, switches the header to اردو, opens a case, posts a message and reads
the inbox: each screen is right to left (the brand on the right, the layout mirrored), set in
the vendored Noto Nastaliq Urdu, and shows no English word of the interface (what people typed,
names, references and codes aside). Times are named in Pakistan's zone. The same journey in
English still reads left to right. Screenshots, desktop and phone width, go to
test-artifacts/i18n/ and are looked at whenever these screens change.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = ARTIFACTS / "i18n"
PHONE = {"width": 390, "height": 844}

# What may stay in Latin letters on an Urdu screen: data people typed or named (case titles,
# message bodies, people's, offices' and organisations' names, timeline lines and notification
# titles, which tests/i18n covers), and codes that are never translated.
DATA = ", ".join(
    [
        "[lang=en]",  # the switcher's "English"
        "bdi",  # names and codes, isolated inside sentences
        "[dir=ltr]",
        "time",
        "abbr",
        "code",
        ".case-head h1",
        ".prewrap",
        ".place",  # "Faisalabad, پاکستان": the place as typed, the country translated
        ".provisions li",  # statutes' citations and titles, reference data as enacted
        ".post-head strong",
        ".who",
        ".timeline li > span",
        ".n-main > a",
        ".n-main > strong",
        ".n-text",
        ".latest a",
        ".plain.rows li strong",
        ".share strong",
        ".case-meta strong",
        ".shares .share > div:first-child",
        "#requests .muted",
        "#assignment strong",
        ".flag strong",
        "dd",
        "select",
        "option",
        "textarea",
        "input",
        "script",
        "style",
        "[aria-hidden=true]",
    ]
)
CODE = re.compile(
    r"^(?:[A-Z]{2,4}|H[0-3]|[A-Z]{3}-(?:TIP|SOM)-\d{4}-\d{4}|GLO\.ACT|PKT|BST|GMT|UTC|CSV|PDF|EICAR|ClamAV|s\.\d+|V-[A-Z]{3}-\d*)$"
)

LATIN_WORDS = """
(data) => {
  const skip = (el) => el.closest(data);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const words = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || skip(el) || !el.checkVisibility()) continue;
    const found = node.textContent.match(/[A-Za-z][A-Za-z.'-]*[A-Za-z0-9]|[A-Za-z]/g);
    if (found) words.push(...found.map((w) => [w, el.tagName + "." + el.className]));
  }
  return words;
}
"""

FONT_LOADED = """
async () => {
  await document.fonts.ready;
  const nastaliq = (f) => f.family.replace(/"/g, "") === "Noto Nastaliq Urdu";
  const faces = [...document.fonts].filter(nastaliq);
  return {
    check: document.fonts.check('16px "Noto Nastaliq Urdu"', "اردو"),
    loaded: faces.filter((f) => f.status === "loaded").length,
    family: getComputedStyle(document.body).fontFamily,
  };
}
"""


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def english_left(page) -> list[str]:
    words = page.evaluate(LATIN_WORDS, DATA)
    return sorted({f"{w} ({where})" for w, where in words if not CODE.match(w)})


def assert_urdu_screen(page, name: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "ur")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    font = page.evaluate(FONT_LOADED)
    assert font["check"] and font["loaded"] >= 1, font
    assert font["family"].startswith('"Noto Nastaliq Urdu"'), font
    # Mirrored: the brand sits at the right-hand edge, the start of a right-to-left line.
    brand = page.locator(".brand").bounding_box()
    width = page.viewport_size["width"]
    assert brand["x"] + brand["width"] > width * 0.6, (brand, width)
    # Mirrored without spilling: nothing pushes the page wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    left = english_left(page)
    assert not left, f"English left on the {name} screen: {left}"
    shot(page, name)


def first_case(page) -> str:
    page.goto("/cases/?sort=reference")
    link = page.locator("table.cases tbody th a").first
    reference = link.inner_text().strip()
    link.click()
    page.wait_for_url(re.compile(r".*/cases/[A-Z]{3}-(TIP|SOM)-\d{4}-\d{4}/$"))
    return reference


def test_hq_works_a_case_in_urdu_on_a_desktop_and_a_phone(demo, sign_in):
    page = sign_in("hq.admin")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.locator(".lang-switch button[lang=ur]").click()
    page.wait_for_load_state()
    assert_urdu_screen(page, "home-desktop")
    expect(page.locator("h1")).to_contain_text("خوش آمدید")

    reference = first_case(page)
    expect(page.locator(".case-head .reference")).to_have_text(reference)
    # Times are Pakistan's, named.
    expect(page.locator(".case-meta")).to_contain_text("PKT")
    assert_urdu_screen(page, "case-desktop")

    page.fill("#id_body", "Passenger list from Dubai checked; two names match.")
    page.locator("#messages button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("پیغام بھیج دیا گیا۔")
    expect(page.locator("#messages")).to_contain_text("two names match")
    assert_urdu_screen(page, "case-message-posted-desktop")

    page.goto("/inbox/")
    expect(page.locator("h1")).to_have_text("ان باکس")
    assert_urdu_screen(page, "inbox-desktop")

    # The preference follows the person: a phone, a new browser, no cookie.
    phone = sign_in("hq.admin", **PHONE)
    phone.goto("/")
    assert_urdu_screen(phone, "home-phone")
    phone.goto(f"/cases/{reference}/")
    assert_urdu_screen(phone, "case-phone")
    phone.goto("/inbox/")
    assert_urdu_screen(phone, "inbox-phone")


def test_the_same_journey_in_english_reads_left_to_right(demo, sign_in):
    page = sign_in("ilo.gbr")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    brand = page.locator(".brand").bounding_box()
    assert brand["x"] < 100
    first_case(page)
    expect(page.locator(".case-meta")).to_contain_text(re.compile(r"\d{2}:\d{2} (GMT|BST)"))
    page.fill("#id_body", "Flight records requested from the airline.")
    page.get_by_role("button", name="Post message").click()
    expect(page.locator("main")).to_contain_text("Message posted.")
    page.goto("/inbox/")
    expect(page.locator("h1")).to_have_text("Inbox")
    shot(page, "inbox-english-desktop")
