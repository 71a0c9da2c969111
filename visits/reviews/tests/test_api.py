"""The reviews API: the sync contract basics (ETag/If-Match, Idempotency-Key, external
ids, the changes feed, delete and restore, history) and the minutes through status."""

import datetime

import pytest
from django.utils import timezone

from accounts.tests.factories import ContactFactory
from visits.reviews.models import ReviewFollowUp, ReviewMeeting, ReviewStatus

from .factories import ReviewMeetingFactory

pytestmark = pytest.mark.django_db


def test_schedule_hold_and_follow_up_through_the_api(personas, api):
    client = api(personas.alice)
    contact = ContactFactory(account=personas.account)
    when = timezone.now() - datetime.timedelta(hours=1)
    body = {"account": personas.account.pk, "scheduled_for": when.isoformat(), "place": "HQ"}
    created = client.post("/api/v1/reviews/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert created.status_code == 201, created.json()
    again = client.post("/api/v1/reviews/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201 and again.json()["id"] == created.json()["id"]
    assert ReviewMeeting.objects.count() == 1
    review = created.json()
    assert created["ETag"] == f'"{review["version"]}"'
    assert review["status"] == "scheduled" and review["period_label"]
    # A second one in the same period: 409.
    second = client.post("/api/v1/reviews/", body, format="json")
    assert second.status_code == 409 and second.json()["code"] == "duplicate_period"
    # Minutes: status held, with a stale If-Match first.
    minutes = {
        "status": "held",
        "held_on": timezone.localdate().isoformat(),
        "contacts": [contact.pk],
        "attendees": [personas.alice.pk, personas.bob.pk],
        "said_about_us": "Fine.",
        "said_about_our_people": "Bob: quick.",
        "satisfaction": 5,
    }
    url = f"/api/v1/reviews/{review['id']}/"
    stale = client.patch(url, minutes, format="json", HTTP_IF_MATCH='"99"')
    assert stale.status_code == 412
    held = client.patch(url, minutes, format="json", HTTP_IF_MATCH=created["ETag"])
    assert held.status_code == 200, held.json()
    assert held.json()["status"] == "held"
    assert sorted(held.json()["attendees"]) == sorted([personas.alice.pk, personas.bob.pk])
    # Our attendee must see the account; their attendee must be the account's.
    outsider = client.patch(url, {"attendees": [personas.charlie.pk]}, format="json")
    assert outsider.status_code == 400
    follow_up = client.post(
        "/api/v1/review-follow-ups/",
        {
            "review": review["id"],
            "what": "Send the plan",
            "owner": personas.bob.pk,
            "due_on": (timezone.localdate() + datetime.timedelta(days=7)).isoformat(),
            "external_id": "fu-1",
        },
        format="json",
    )
    assert follow_up.status_code == 201, follow_up.json()
    assert follow_up.json()["account"] == personas.account.pk
    by_external = client.get("/api/v1/review-follow-ups/external/fu-1/")
    assert by_external.status_code == 200
    history = client.get(f"{url}history/")
    assert history.status_code == 200 and history.json()["results"]


def test_others_get_404_and_the_feed_carries_deletions(personas, api):
    review = ReviewMeetingFactory(account=personas.account, external_id="r-1")
    outsider = api(personas.charlie)
    assert outsider.get(f"/api/v1/reviews/{review.pk}/").status_code == 404
    assert outsider.get("/api/v1/reviews/").json()["results"] == []
    assert outsider.delete(f"/api/v1/reviews/{review.pk}/").status_code == 404
    client = api(personas.alice)
    feed = client.get("/api/v1/reviews/changes/").json()
    assert [r["id"] for r in feed["results"]] == [review.pk]
    assert client.delete(f"/api/v1/reviews/{review.pk}/").status_code == 204
    later = client.get(f"/api/v1/reviews/changes/?since={feed['next_cursor']}").json()
    assert [d["id"] for d in later["deleted"]] == [review.pk]
    restored = client.post(f"/api/v1/reviews/{review.pk}/restore/")
    assert restored.status_code == 200
    assert ReviewMeeting.objects.filter(pk=review.pk).exists()


def test_cancel_through_status_and_no_way_back(personas, api):
    review = ReviewMeetingFactory(account=personas.account)
    client = api(personas.alice)
    url = f"/api/v1/reviews/{review.pk}/"
    answer = client.patch(url, {"status": "cancelled", "cancelled_reason": "moved"}, format="json")
    assert answer.status_code == 200 and answer.json()["status"] == "cancelled"
    back = client.patch(url, {"status": "scheduled"}, format="json")
    assert back.status_code == 409
    assert ReviewMeeting.objects.get().status == ReviewStatus.CANCELLED
    assert not ReviewFollowUp.objects.exists()


def test_sending_a_review_back_unchanged_writes_nothing(personas, api):
    review = ReviewMeetingFactory(account=personas.account)
    client = api(personas.alice)
    url = f"/api/v1/reviews/{review.pk}/"
    body = client.get(url).json()
    again = client.put(url, body, format="json")
    assert again.status_code == 200, again.json()
    assert again.json()["version"] == body["version"]
    assert review.history.count() == 1


def test_bulk_upsert_creates_refuses_and_keeps_unchanged(personas, api):
    client = api(personas.alice)
    now = timezone.now()
    items = [
        {"external_id": "B-1", "account": personas.account.pk, "scheduled_for": now.isoformat()},
        # The same period again: refused, as alone.
        {"external_id": "B-2", "account": personas.account.pk, "scheduled_for": now.isoformat()},
    ]
    answer = client.post("/api/v1/reviews/bulk/", items, format="json")
    assert answer.status_code == 200, answer.json()
    statuses = [r["status"] for r in answer.json()["results"]]
    assert statuses == ["created", "error"], answer.json()
    again = client.post("/api/v1/reviews/bulk/", items[:1], format="json")
    assert [r["status"] for r in again.json()["results"]] == ["unchanged"], again.json()
    assert ReviewMeeting.objects.count() == 1
