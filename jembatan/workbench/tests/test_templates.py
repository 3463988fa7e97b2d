"""Response templates: managed per agency by its admins, with placeholders checked on save."""

import pytest
from django.core.exceptions import PermissionDenied

from jembatan.workbench.actions import save_response_template
from jembatan.workbench.models import ResponseTemplate, TemplatePurpose

pytestmark = pytest.mark.django_db

BODY = "Terima kasih. Laporan #{nomor} sudah kami tindak lanjuti pada {tanggal}."


def test_an_agency_admin_creates_and_edits_a_template_for_their_agency(w, as_user):
    client = as_user(w.coordinator_pupr)
    response = client.post(
        "/kerja/templat/",
        {
            "name": "Sudah ditambal",
            "purpose": TemplatePurpose.FOLLOW_UP,
            "agency": w.pupr.pk,
            "body": BODY,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    template = ResponseTemplate.objects.get()
    assert (template.agency, template.created_by, template.is_active) == (w.pupr, w.coordinator_pupr, True)
    client.post(
        f"/kerja/templat/{template.pk}/",
        {
            "name": "Sudah ditambal (baru)",
            "purpose": TemplatePurpose.FOLLOW_UP,
            "agency": w.pupr.pk,
            "body": BODY,
        },
    )
    template.refresh_from_db()
    assert template.name == "Sudah ditambal (baru)" and not template.is_active


def test_an_unknown_placeholder_is_refused(w, as_user):
    response = as_user(w.verifier).post(
        "/kerja/templat/",
        {
            "name": "Salah ketik",
            "purpose": TemplatePurpose.FOLLOW_UP,
            "agency": w.padang.pk,
            "body": "Laporan {nomer} selesai.",
        },
    )
    assert response.status_code == 400
    assert "Penanda tidak dikenal: {nomer}" in response.content.decode()
    assert not ResponseTemplate.objects.exists()


def test_an_admin_cannot_write_templates_for_another_agency(w, as_user):
    response = as_user(w.coordinator_pupr).post(
        "/kerja/templat/",
        {
            "name": "Bukan punya saya",
            "purpose": TemplatePurpose.FOLLOW_UP,
            "agency": w.dinkes.pk,
            "body": BODY,
        },
    )
    assert response.status_code == 400  # Dinkes is not among the agencies offered to PUPR's admin
    with pytest.raises(PermissionDenied):  # and the action refuses it whatever the form says
        save_response_template(
            actor=w.coordinator_pupr,
            agency=w.dinkes,
            name="Bukan punya saya",
            purpose=TemplatePurpose.FOLLOW_UP,
            body=BODY,
        )
    assert not ResponseTemplate.objects.exists()


def test_others_templates_are_neither_listed_nor_editable(w, as_user):
    theirs = ResponseTemplate.objects.create(
        agency=w.dinkes, name="Templat Dinkes", purpose=TemplatePurpose.FOLLOW_UP, body=BODY
    )
    client = as_user(w.coordinator_pupr)
    assert "Templat Dinkes" not in client.get("/kerja/templat/").content.decode()
    assert client.get(f"/kerja/templat/{theirs.pk}/").status_code == 404


@pytest.mark.parametrize("role", ["liaison_pupr", "auditor"])
def test_liaisons_and_auditors_do_not_manage_templates(w, as_user, role):
    assert as_user(getattr(w, role)).get("/kerja/templat/").status_code == 403


def test_a_national_admin_may_write_a_template_for_everyone(w, as_user):
    as_user(w.admin_nasional).post(
        "/kerja/templat/",
        {
            "name": "Umum",
            "purpose": TemplatePurpose.REQUEST_INFORMATION,
            "agency": "",
            "body": BODY,
            "is_active": "on",
        },
    )
    assert ResponseTemplate.objects.get().agency is None
