"""A contact's phone number is checked where it is typed — the form, the API, an import —
with a message that says what a phone number may hold; one stored before numbers were
checked does not stop a change of something else."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from accounts.duplicates import validate_phone
from accounts.models import Contact
from accounts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

REFUSAL = (
    "“abc” is not a phone number. Enter its digits, with +, spaces, hyphens or brackets "
    "if you like, and an extension after 转 or ext."
)


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    "phone",
    [
        "138 0013 8000",
        "+86 138-0013-8000",
        "１３８００１３８０００",  # full-width, as a Chinese keyboard may type them
        "010-6552 8000 转 123",
        "(010) 65528000 ext. 12",
        "0755-8888 8888#123",
        "138 0013 8000 / 010-6552 8000",
        "400-810-8888",
    ],
)
def test_numbers_as_people_write_them_are_taken(phone):
    validate_phone(phone)


@pytest.mark.parametrize(
    "phone",
    ["abc", "138", "call after 5pm", "王经理 13800138000", "١٢٣٤٥٦٧", "1" * 31],
)
def test_text_that_is_no_number_is_refused(phone):
    with pytest.raises(ValidationError) as refused:
        validate_phone(phone)
    assert refused.value.code == "invalid_phone"


def test_the_contact_form_refuses_a_phone_that_is_no_number_and_keeps_what_was_typed(
    personas, login
):
    url = reverse("accounts:contact_create", args=[personas.account.pk])
    data = {
        "name": "王伟",
        "title": "采购经理",
        "phone": "abc",
        "buying_role": "purchaser",
        "influence": "high",
        "attitude": "neutral",
        "is_active": "on",
    }
    response = login(personas.alice).post(url, data)

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"phone": [REFUSAL]}
    assert form["title"].value() == "采购经理" and form["phone"].value() == "abc"
    assert not Contact.objects.filter(name="王伟").exists()
    # A phone shows its keyboard of digits for the box.
    assert 'type="tel"' in str(form["phone"])


def test_the_api_refuses_a_phone_that_is_no_number_in_the_readers_language(personas, api):
    client = api(personas.alice)
    body = {"account": personas.account.pk, "name": "王伟", "phone": "abc"}

    english = client.post("/api/v1/contacts/", body, format="json")
    chinese = client.post("/api/v1/contacts/", body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert english.status_code == 400
    assert english.json()["errors"]["phone"] == [REFUSAL]
    assert chinese.status_code == 400
    assert "“abc”不是电话号码" in chinese.json()["errors"]["phone"][0]
    assert not Contact.objects.filter(name="王伟").exists()


def test_a_phone_stored_before_numbers_were_checked_does_not_stop_another_change(personas, api):
    contact = ContactFactory(account=personas.account, name="王伟")
    Contact.objects.filter(pk=contact.pk).update(phone="ask the front desk")
    client = api(personas.alice)

    title = client.patch(f"/api/v1/contacts/{contact.pk}/", {"title": "总监"}, format="json")
    phone = client.patch(f"/api/v1/contacts/{contact.pk}/", {"phone": "ask him"}, format="json")

    assert title.status_code == 200, title.json()
    assert phone.status_code == 400
    contact.refresh_from_db()
    assert (contact.title, contact.phone) == ("总监", "ask the front desk")


def test_an_old_number_sent_back_untouched_passes_everywhere_a_contact_is_written(
    personas, api, login
):
    """A PUT of the record as read, by external ID, a bulk item, the page's form with
    only the title changed, a merge keeping it: none checks the number it keeps."""
    from accounts.services import contact_merge

    contact = ContactFactory(account=personas.account, name="王伟", external_id="HR-1")
    Contact.objects.filter(pk=contact.pk).update(phone="ask the front desk")
    client = api(personas.alice)
    read = client.get(f"/api/v1/contacts/{contact.pk}/").json()
    body = {k: v for k, v in read.items() if k not in ("id", "version", "updated_at", "left_on")}

    put = client.put(f"/api/v1/contacts/{contact.pk}/", {**body, "title": "A"}, format="json")
    external = client.put("/api/v1/contacts/external/HR-1/", {"title": "B"}, format="json")
    bulk = client.post(
        "/api/v1/contacts/bulk/", [{"external_id": "HR-1", "title": "C"}], format="json"
    )
    contact.refresh_from_db()
    page = login(personas.alice).post(
        reverse("accounts:contact_edit", args=[personas.account.pk, contact.pk]),
        {
            "name": "王伟",
            "title": "D",
            "phone": "ask the front desk",
            "buying_role": contact.buying_role,
            "influence": contact.influence,
            "attitude": contact.attitude,
            "is_active": "on",
            "external_id": "HR-1",
            "version": contact.version,
        },
    )
    other = ContactFactory(account=personas.account, name="Wang Wei", phone="")
    contact.refresh_from_db()
    contact_merge(
        survivor=other, merged=contact, by=personas.manager, values={"phone": contact.phone}
    )

    assert (put.status_code, external.status_code) == (200, 200), (put.json(), external.json())
    assert bulk.json()["results"][0]["status"] == "updated", bulk.json()
    assert page.status_code == 302, page.context["form"].errors
    other.refresh_from_db()
    assert other.phone == "ask the front desk"
