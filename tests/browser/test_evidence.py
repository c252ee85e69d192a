"""Files in a real browser: ilo.gbr attaches a PDF and a photo to a message on a UK case
shared in full with Italy (H2) and as a summary with the British High Commission; ilo.ita
downloads both and their digests match the page's; fp.gbr gets "not found" for both; iom.pk
downloads the file of the referral it received but gets "not found" for the case's file.
Screenshots of the files on the case page, wide and at phone width, go to test-artifacts/.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from cases import services as case_services
from cases.constants import CaseKind, Exploitation, HandlingCode, ShareLevel
from evidence import services
from evidence.models import Attachment
from liaison_offices.constants import Service
from liaison_offices.models import LinkOffice, PartnerOrganisation
from tests.browser.conftest import ARTIFACTS
from tests.evidence.conftest import pdf_bytes, png_bytes, upload
from victims import services as victim_services
from victims.constants import ConsentPurpose

PHONE = 390

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def shared_case(eager, evidence_root):
    users = {u.username: u for u in get_user_model().objects.all()}
    gbr, ita = LinkOffice.objects.get(code="GBR"), LinkOffice.objects.get(code="ITA")
    bhc = PartnerOrganisation.objects.get(short_name="BHC")
    case = case_services.case_create(
        acting_user=users["ilo.gbr"],
        lead_office=gbr,
        kind=CaseKind.TIP,
        title="Car wash workers held in Luton",
        forms_of_exploitation=[Exploitation.FORCED_LABOUR],
    )
    case_services.case_share(
        acting_user=users["ilo.gbr"],
        case=case,
        office=ita,
        level=ShareLevel.FULL,
        handling_code=HandlingCode.H2,
        handling_conditions="Only for the joint investigation.",
    )
    case_services.case_share(
        acting_user=users["ilo.gbr"],
        case=case,
        partner=bhc,
        level=ShareLevel.SUMMARY,
        handling_code=HandlingCode.H1,
    )
    return case, users


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_message_files_reach_the_full_share_and_nobody_else(shared_case, sign_in, tmp_path):
    case, users = shared_case
    pdf, png = tmp_path / "witness-statement.pdf", tmp_path / "site-photo.png"
    pdf.write_bytes(pdf_bytes("Statement taken at the car wash"))
    png.write_bytes(png_bytes(64, 48))

    uk = sign_in("ilo.gbr")
    uk.goto(case.get_absolute_url())
    uk.fill("#id_body", "Statement and a photograph of the site, taken today.")
    uk.set_input_files("#id_message_files", [str(pdf), str(png)])
    uk.get_by_role("button", name="Post message").click()
    thread = uk.locator("#messages .thread")
    expect(thread).to_contain_text("witness-statement.pdf")
    expect(thread).to_contain_text("site-photo.png")
    assert Attachment.objects.filter(message__case=case).count() == 2

    italy = sign_in("ilo.ita")
    italy.goto(case.get_absolute_url())
    files = italy.locator("#messages .files li")
    expect(files).to_have_count(2)
    expect(files.first).to_contain_text("H2")
    for index in range(2):
        row = files.nth(index)
        digest = row.locator(".digest code").inner_text().strip()
        with italy.expect_download() as caught:
            row.locator("a[download]").click()
        download = caught.value
        assert download.suggested_filename.startswith(f"H2_{case.reference}_")
        body = Path(download.path()).read_bytes()
        assert hashlib.sha256(body).hexdigest() == digest
        assert body in (pdf.read_bytes(), png.read_bytes())
    ARTIFACTS.mkdir(exist_ok=True)
    italy.locator("#messages").screenshot(path=str(ARTIFACTS / "evidence-message-files.png"))
    italy.set_viewport_size({"width": 390, "height": 844})
    italy.locator("#messages").screenshot(path=str(ARTIFACTS / "evidence-message-files-phone.png"))

    high_commission = sign_in("fp.gbr")
    for attachment in Attachment.objects.filter(message__case=case):
        response = high_commission.goto(attachment.download_url)
        assert response.status == 404
    high_commission.goto(case.get_absolute_url())
    expect(high_commission.locator("#files")).to_have_count(0)


def test_a_provider_downloads_its_referrals_file_but_not_the_cases(shared_case, sign_in):
    case, users = shared_case
    iom = PartnerOrganisation.objects.get(short_name="IOM")
    victim = victim_services.victim_register(
        acting_user=users["ilo.gbr"],
        case=case,
        full_name="Imaginary Person",
        consents=[
            {"purpose": ConsentPurpose.DATA_PROCESSING},
            {"purpose": ConsentPurpose.REFERRAL, "partner": iom, "service": Service.SHELTER},
        ],
    ).victim
    referral = victim_services.referral_create(
        acting_user=users["ilo.gbr"], victim=victim, partner=iom, service=Service.SHELTER
    )
    (intake,) = services.upload(
        acting_user=users["ilo.gbr"], record=referral, uploads=[upload("intake.pdf", pdf_bytes())]
    )
    (case_file,) = services.upload(
        acting_user=users["ilo.gbr"], record=case, uploads=[upload("case.pdf", pdf_bytes())]
    )
    provider = sign_in("iom.pk")
    with provider.expect_download() as caught:
        provider.evaluate(
            "url => { const a = document.createElement('a'); a.href = url; a.download = '';"
            " document.body.appendChild(a); a.click(); }",
            intake.download_url,
        )
    assert caught.value.suggested_filename == f"{victim.code}_intake.pdf"
    assert provider.goto(case_file.download_url).status == 404


def test_a_victims_documents_on_the_victim_page_fit_a_phone(demo, eager, evidence_root, sign_in):
    """ilo.gbr adds a victim's passport scan on the victim page (no JavaScript needed, here with
    it: the progress bar); the document is listed by its kind only, and the page fits a phone."""
    from victims.models import Victim

    victim = Victim.objects.filter(recorded_by_office__code="GBR").order_by("code").first()
    scan = evidence_root.parent / "passport-scan.png"
    scan.write_bytes(png_bytes(80, 60))
    uk = sign_in("ilo.gbr", width=PHONE, height=900)
    uk.goto(victim.get_absolute_url())
    files = uk.locator("#files")
    expect(files).to_contain_text("No files on this record yet.")
    assert fits(uk)
    files.locator("#id_files").set_input_files(str(scan))
    files.locator("#id_kind").select_option("identity_document")
    files.get_by_role("button", name="Upload").click()
    expect(files.locator(".files li")).to_have_count(1)
    expect(files.locator(".files li")).to_contain_text("Identity document")
    expect(files.locator(".files li")).not_to_contain_text("passport-scan")  # named by kind
    assert fits(uk)
    (document,) = Attachment.objects.filter(victim=victim)
    expect(files.locator(".digest code")).to_have_text(document.sha256)
    ARTIFACTS.mkdir(exist_ok=True)
    uk.screenshot(path=str(ARTIFACTS / "evidence-victim-files-phone.png"), full_page=True)
    uk.set_viewport_size({"width": 1280, "height": 900})
    uk.reload()
    uk.locator("#files").screenshot(path=str(ARTIFACTS / "evidence-victim-files.png"))
    uk.screenshot(path=str(ARTIFACTS / "evidence-victim-page.png"), full_page=True)


def test_eicar_and_a_26_mb_file_are_refused_in_the_page_and_nothing_is_stored(
    shared_case, sign_in, clamd, evidence_root, tmp_path
):
    """The case page's upload form, as an officer uses it (JavaScript on: the upload runs with
    its progress bar, the refusal page comes back in place): the error beside the field names
    the file and the reason, and nothing of the refused upload is stored for anyone."""
    from evidence.constants import FileStatus
    from evidence.scanning import EICAR

    case, users = shared_case
    eicar, big = tmp_path / "invoice.txt", tmp_path / "scan.pdf"
    eicar.write_bytes(EICAR)
    with big.open("wb") as out:
        out.write(b"%PDF-1.4\n")
        out.write(b"0" * (26 * 1024 * 1024))

    uk = sign_in("ilo.gbr")
    uk.goto(case.get_absolute_url())
    uk.locator("#files #id_files").set_input_files(str(eicar))
    uk.locator("#files").get_by_role("button", name="Upload").click()
    expect(uk.locator(".file-drop .error")).to_contain_text(
        "invoice.txt: malware was found (GloAct.Test.EICAR"
    )
    (quarantined,) = Attachment.objects.all()
    assert quarantined.status == FileStatus.INFECTED  # kept, encrypted, for HQ only
    assert uk.goto(quarantined.download_url).status == 404

    uk.goto(case.get_absolute_url())
    uk.locator("#files #id_files").set_input_files(str(big))
    uk.locator("#files").get_by_role("button", name="Upload").click()
    expect(uk.locator(".file-drop .error")).to_contain_text(
        "scan.pdf is 26.0 MB; files may be at most 25.0 MB. Nothing was uploaded."
    )
    assert Attachment.objects.count() == 1
    stored = [p for p in evidence_root.rglob("*") if p.is_file()]
    assert [p.name for p in stored] == [Path(quarantined.storage_name).name]


def test_an_answer_and_a_progress_report_carry_their_files(shared_case, sign_in, tmp_path):
    """ilo.ita answers the UK office's request with a PDF on the request page (at phone width);
    ilo.gbr finds it in the Answer section and downloads it. iom.pk reports progress on a
    referral with a photo, which ilo.gbr finds under that update."""
    from cases.constants import RequestKind, Urgency

    case, users = shared_case
    iom = PartnerOrganisation.objects.get(short_name="IOM")
    request = case_services.request_create(
        acting_user=users["ilo.gbr"],
        case=case,
        from_office=LinkOffice.objects.get(code="GBR"),
        to_office=LinkOffice.objects.get(code="ITA"),
        kind=RequestKind.IDENTITY_CHECK,
        urgency=Urgency.NORMAL,
        question="Is the van registered in Latina?",
    )
    records = tmp_path / "registration-records.pdf"
    records.write_bytes(pdf_bytes("Vehicle registration, Latina"))
    italy = sign_in("ilo.ita", width=PHONE, height=900)
    italy.goto(request.get_absolute_url())
    answer = italy.locator("#answer")
    answer.locator("textarea").first.fill(
        "Yes: registered to a car wash in Latina; records attached."
    )
    answer.locator("#id_answer_files").set_input_files(str(records))
    assert fits(italy)
    ARTIFACTS.mkdir(exist_ok=True)
    italy.screenshot(path=str(ARTIFACTS / "evidence-answer-form-phone.png"), full_page=True)
    answer.get_by_role("button", name="Send answer").click()
    expect(italy.locator("#answer .files li")).to_have_count(1)
    assert fits(italy)
    (attachment,) = Attachment.objects.filter(answer=request)

    uk = sign_in("ilo.gbr")
    uk.goto(request.get_absolute_url())
    row = uk.locator("#answer .files li")
    expect(row).to_contain_text("registration-records.pdf")
    with uk.expect_download() as caught:
        row.locator("a[download]").click()
    body = Path(caught.value.path()).read_bytes()
    assert (
        hashlib.sha256(body).hexdigest()
        == attachment.sha256
        == row.locator(".digest code").inner_text().strip()
    )
    uk.locator("#answer").screenshot(path=str(ARTIFACTS / "evidence-answer-files.png"))

    victim = victim_services.victim_register(
        acting_user=users["ilo.gbr"],
        case=case,
        full_name="Imaginary Person",
        consents=[
            {"purpose": ConsentPurpose.DATA_PROCESSING},
            {"purpose": ConsentPurpose.REFERRAL, "partner": iom, "service": Service.SHELTER},
        ],
    ).victim
    referral = victim_services.referral_create(
        acting_user=users["ilo.gbr"], victim=victim, partner=iom, service=Service.SHELTER
    )
    victim_services.referral_accept(acting_user=users["iom.pk"], referral=referral)
    room = tmp_path / "shelter-room.png"
    room.write_bytes(png_bytes(40, 30))
    provider = sign_in("iom.pk", width=PHONE, height=900)
    provider.goto(referral.get_absolute_url())
    provider.get_by_role("link", name="Report progress").click()
    provider.locator("textarea").first.fill("Settled in; a photo of the room is attached.")
    provider.locator("#id_update_files").set_input_files(str(room))
    assert fits(provider)
    provider.get_by_role("button", name="Report progress").click()
    provider.wait_for_url(f"**{referral.get_absolute_url()}*")
    (photo,) = Attachment.objects.filter(update__referral=referral)
    uk.goto(referral.get_absolute_url())
    entry = uk.locator(f"#update-{photo.update_id}")
    expect(entry).to_contain_text("Settled in")
    expect(entry.locator(".files li")).to_contain_text("shelter-room.png")
    entry.screenshot(path=str(ARTIFACTS / "evidence-update-files.png"))
