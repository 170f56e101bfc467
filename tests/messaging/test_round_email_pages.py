"""The round's email page through HTTP: Fran (facilitator of Northbrook) writes the
invitation and reminder, previews them and invites Amara, Ben and Chloe by email; Vic (a
viewer) and Olu (facilitator of another system) cannot. Reminders reach only those who
have not answered, and nothing on the page says who, or how many, that is."""

from __future__ import annotations

import datetime as dt
import html
import re
import smtplib

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tracelead.core.models import AuditEvent
from tracelead.diagnostics.models import Invitation
from tracelead.messaging import outbox, services
from tracelead.messaging.models import Invitee, OutboxMessage, RoundEmail

AMARA, BEN, CHLOE = "amara.okafor@example.nhs.uk", "ben.hughes@example.nhs.uk", (
    "chloe.park@example.nhs.uk"
)
LINK = re.compile(r"https?://[^/\s]+(/r/[^/\s]+/)")
UNSUBSCRIBE = re.compile(r"https?://[^/\s]+(/email/unsubscribe/[^/\s]+/)")
# What differs on every request whatever the data: the CSRF token and the CSP nonce.
PER_REQUEST = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|nonce="[^"]*"')


def text(response) -> str:
    return html.unescape(response.content.decode())


def page_url(assessment) -> str:
    return reverse("round_email", args=[assessment.pk])


def messages_data(**overrides: str) -> dict[str, str]:
    data = {
        "action": "save",
        "organiser": "Fran Adeyemi, Ward 7 matron",
        "contact": "ward7.leads@example.nhs.uk",
        "invitation_subject": "Ward 7: how do we lead together? (closes {close_date})",
        "invitation_body": "Dear colleague,\n\n{organiser} asks {group} ten minutes of your "
        "time.\n\nYour link: {link}\n\nAsk {contact} if anything is unclear.",
        "reminder_subject": "Still time to answer for {group}",
        "reminder_body": "If you have not answered yet: {link}\n\nNo more reminders: "
        "{unsubscribe_link}",
        "reminder_days": "2, 1",
    }
    data.update(overrides)
    return data


def invite(client, assessment, emails: str, rater_kind: str = "member"):
    return client.post(
        page_url(assessment), {"action": "invite", "emails": emails, "rater_kind": rater_kind}
    )


def link_in(message) -> str:
    return LINK.search(message.body).group(1)


def page_as_data(client, assessment) -> str:
    response = client.get(page_url(assessment))
    assert response.status_code == 200
    return PER_REQUEST.sub("", response.content.decode())


def answer_everything(token: str, trace) -> None:
    """A respondent on their own device answers all six pages and submits."""
    respondent = Client()
    assert respondent.post(f"/r/{token}/").status_code == 302
    for page, scale in enumerate(trace.scales, start=1):
        data = {item.key: "4" for item in scale.items}
        assert respondent.post(f"/r/{token}/{page}/", {**data, "action": "next"}).status_code == 302
    submitted = respondent.post(
        f"/r/{token}/6/", {"task_statement": "", "one_change": "", "action": "submit"}
    )
    assert submitted["Location"] == "/r/done/"


@pytest.fixture
def invited(facilitator_client, assessment):
    """Fran saved her messages and invited Amara, Ben and Chloe; the worker has run."""
    assert facilitator_client.post(page_url(assessment), messages_data()).status_code == 302
    assert invite(facilitator_client, assessment, f"{AMARA}\n{BEN}, {CHLOE}").status_code == 302
    facilitator_client.get(page_url(assessment))  # shows (and so clears) the confirmations
    outbox.deliver_due()
    return {m.to[0]: m for m in mail.outbox}


# --- Writing, previewing and inviting -----------------------------------------------------


def test_fran_saves_previews_and_invites_and_each_person_gets_their_own_working_link(
    facilitator_client, assessment
):
    saved = facilitator_client.post(page_url(assessment), messages_data())
    assert saved.status_code == 302
    confirmation = text(facilitator_client.get(saved["Location"]))
    assert "Saved the invitation and the reminder" in confirmation
    stored = RoundEmail.objects.get(assessment=assessment)
    assert stored.reminder_days == "2,1" and stored.organiser == "Fran Adeyemi, Ward 7 matron"

    preview = facilitator_client.post(
        page_url(assessment),
        messages_data(action="preview", invitation_subject="Draft for {group}"),
    )
    content = text(preview)
    assert preview.status_code == 200
    assert "Preview (not saved)" in content
    assert "<strong>Subject:</strong> Draft for Ward 7 team" in content
    assert "/r/your-personal-link/" in content
    assert "Fran Adeyemi, Ward 7 matron asks Ward 7 team ten minutes" in content
    assert "/email/unsubscribe/" in content  # the reminder's sample unsubscribe link
    stored.refresh_from_db()
    assert stored.invitation_subject.startswith("Ward 7: how do we lead together?")

    first = invite(facilitator_client, assessment, f"{AMARA}\n{BEN}")
    assert first.status_code == 302
    assert "2 invitations are on their way." in text(facilitator_client.get(first["Location"]))
    again = invite(facilitator_client, assessment, f"{CHLOE}; {AMARA.upper()}")
    assert "1 invitation is on its way. 1 was already invited, so not invited again." in text(
        facilitator_client.get(again["Location"])
    )
    assert Invitee.objects.filter(invitation__assessment=assessment).count() == 3
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CHANGED, assessment_id=assessment.pk,
        what__startswith="email invitations",
    ).count() == 2

    report = outbox.deliver_due()

    assert report.sent == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted([AMARA, BEN, CHLOE])
    close = f"{assessment.closes_on:%-d %B %Y}"
    assert {m.subject for m in mail.outbox} == {
        f"Ward 7: how do we lead together? (closes {close})"
    }
    links = [link_in(m) for m in mail.outbox]
    assert len(set(links)) == 3
    for link in links:
        intro = Client().get(link)
        assert intro.status_code == 200
        assert "Start now" in text(intro)


def test_a_placeholder_typo_is_named_in_the_error_summary_and_nothing_changes(
    facilitator_client, assessment
):
    response = facilitator_client.post(
        page_url(assessment), messages_data(invitation_subject="News for {grop}")
    )

    content = text(response)
    assert response.status_code == 400
    assert "There is a problem" in content and "nhsuk-error-summary" in content
    assert "{grop} is not a placeholder" in content
    assert 'href="#id_invitation_subject"' in content
    assert content.count("Error: ") >= 1
    assert not RoundEmail.objects.filter(assessment=assessment).exists()

    preview = facilitator_client.post(
        page_url(assessment), messages_data(action="preview", reminder_body="{link} {grop}")
    )
    assert preview.status_code == 400
    assert "{grop} is not a placeholder" in text(preview)
    assert "Preview (not saved)" not in text(preview)
    assert not RoundEmail.objects.filter(assessment=assessment).exists()


def test_an_invitation_without_its_link_or_with_a_two_line_subject_is_refused(
    facilitator_client, assessment
):
    no_link = facilitator_client.post(
        page_url(assessment), messages_data(invitation_body="Please answer, {group}.")
    )
    two_lines = facilitator_client.post(
        page_url(assessment), messages_data(reminder_subject="Reminder\nBcc: everyone")
    )

    assert no_link.status_code == two_lines.status_code == 400
    assert "Include {link}: it is how people answer" in text(no_link)
    assert "Write the subject on one line" in text(two_lines)
    assert not RoundEmail.objects.filter(assessment=assessment).exists()


def test_addresses_that_are_not_addresses_are_named_and_nobody_is_invited(
    facilitator_client, assessment
):
    response = invite(facilitator_client, assessment, f"{AMARA}\nben at ward seven")

    assert response.status_code == 400
    assert "These are not email addresses: ben, at, ward, seven" in text(response)
    assert not Invitee.objects.exists() and not OutboxMessage.objects.exists()


def test_a_closed_round_offers_no_invitations_and_refuses_them(
    facilitator_client, facilitator, team, make_assessment
):
    today = timezone.localdate()
    closed = make_assessment(team, created_by=facilitator,
                             opens_on=today - dt.timedelta(days=30),
                             closes_on=today - dt.timedelta(days=2))

    page = facilitator_client.get(page_url(closed))
    refused = invite(facilitator_client, closed, AMARA)

    assert "This round has closed, so nobody can be invited now." in text(page)
    assert 'id="invite-form"' not in text(page)
    assert refused.status_code == 400
    assert "This round has closed: nobody can be invited now" in text(refused)
    assert 'href="#invite-heading"' in text(refused)  # the form is not there to point at
    assert not Invitee.objects.exists()


def test_a_round_not_yet_open_sends_its_invitations_on_its_opening_day(
    facilitator_client, facilitator, team, make_assessment
):
    today = timezone.localdate()
    later = make_assessment(team, created_by=facilitator,
                            opens_on=today + dt.timedelta(days=5),
                            closes_on=today + dt.timedelta(days=26))

    response = invite(facilitator_client, later, AMARA)
    outbox.deliver_due()

    opens = f"{later.opens_on:%-d %B %Y}"
    assert (f"1 invitation is on its way: it will be sent on {opens}, when the round opens."
            in text(facilitator_client.get(response["Location"])))
    assert mail.outbox == []
    counts = services.round_email_counts(later)
    assert (counts.invited, counts.waiting, counts.sent) == (1, 1, 0)


def test_the_self_kind_is_never_offered_for_email_invitations(
    facilitator_client, facilitator, team, make_assessment
):
    both = make_assessment(team, created_by=facilitator, rater_kinds=("self", "member"))

    content = text(facilitator_client.get(page_url(both)))
    refused = invite(facilitator_client, both, AMARA, rater_kind="self")

    assert 'value="member"' in content and 'value="self"' not in content
    assert refused.status_code == 400
    assert "Choose one of the kinds of rater listed" in text(refused)
    assert not Invitation.objects.filter(assessment=both).exists()


# --- Who may use it -------------------------------------------------------------------------


def test_the_rounds_page_links_to_email_for_facilitators_only(
    facilitator_client, viewer, assessment
):
    round_page = f"/assessments/{assessment.pk}/"
    assert page_url(assessment) in text(facilitator_client.get(round_page))
    facilitator_client.force_login(viewer)
    assert page_url(assessment) not in text(facilitator_client.get(round_page))


@pytest.mark.parametrize("data", [{}, {"action": "invite", "emails": AMARA,
                                       "rater_kind": "member"}, messages_data()])
def test_a_viewer_and_another_systems_facilitator_get_what_the_links_page_gives_them(
    viewer_client, other_facilitator, assessment, data
):
    links = reverse("assessment_invitations", args=[assessment.pk])
    method = viewer_client.post if data else viewer_client.get
    assert method(links, data).status_code == method(page_url(assessment), data).status_code == 403

    viewer_client.force_login(other_facilitator)
    assert method(links, data).status_code == method(page_url(assessment), data).status_code == 404
    assert not Invitee.objects.exists() and not RoundEmail.objects.exists()
    assert not OutboxMessage.objects.exists()


# --- Counts, never people ---------------------------------------------------------------------


def test_the_page_shows_counts_and_never_an_address(facilitator_client, assessment, invited):
    content = text(facilitator_client.get(page_url(assessment)))

    counts = content.split('id="counts"', 1)[1].split("</dl>", 1)[0]
    figures = dict(re.findall(r"<dt[^>]*>\s*([\w ]+?)\s*</dt>\s*<dd[^>]*>\s*([^<]+?)\s*</dd>",
                              counts))
    assert figures["Invited"] == "3" and figures["Sent"] == "3"
    assert figures["Waiting to send"] == "0" and figures["Failed"] == "0"
    for address in (AMARA, BEN, CHLOE):
        assert address not in content
        assert address.split("@")[0] not in content
    assert "example.nhs.uk" in content  # only Fran's own contact, in her message
    assert content.count("example.nhs.uk") == content.count("ward7.leads@example.nhs.uk")


def test_an_address_refused_for_good_is_counted_as_failed_and_never_reminded(
    facilitator_client, assessment, monkeypatch
):
    from django.core.mail.backends.locmem import EmailBackend

    send = EmailBackend.send_messages

    def refuse_ben(self, messages):
        if any(BEN in m.to for m in messages):
            raise smtplib.SMTPRecipientsRefused({BEN: (550, b"5.1.1 no such user")})
        return send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_ben)
    facilitator_client.post(page_url(assessment), messages_data())
    invite(facilitator_client, assessment, f"{AMARA}\n{BEN}\n{CHLOE}")

    report = outbox.deliver_due()

    assert (report.sent, report.failed) == (2, 1)
    content = text(facilitator_client.get(page_url(assessment)))
    counts = content.split('id="counts"', 1)[1].split("</dl>", 1)[0]
    assert re.search(r"Failed\s*</dt>\s*<dd[^>]*>\s*1 \(the address bounced", counts)
    assert re.search(r"Sent\s*</dt>\s*<dd[^>]*>\s*2\s*<", counts)
    assert BEN not in content
    mail.outbox.clear()
    services.reminders_due(today=assessment.closes_on - dt.timedelta(days=2))
    outbox.deliver_due()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([AMARA, CHLOE])


def test_reminders_reach_only_those_who_have_not_answered_and_stop_when_asked(
    facilitator_client, assessment, invited, trace
):
    before = page_as_data(facilitator_client, assessment)
    answer_everything(link_in(invited[AMARA]).split("/")[2], trace)
    mail.outbox.clear()
    close = assessment.closes_on

    assert services.reminders_due(today=close - dt.timedelta(days=2)) == 2
    outbox.deliver_due()

    reminders = {m.to[0]: m for m in mail.outbox}
    assert sorted(reminders) == sorted([BEN, CHLOE])
    for address, reminder in reminders.items():
        assert reminder.subject == "Still time to answer for Ward 7 team"
        assert link_in(reminder) == link_in(invited[address])  # their own link, again
        assert reminder.extra_headers["List-Unsubscribe"].startswith("<http")

    # Ben stops reminders: the link first asks (mail scanners follow links), then stops.
    stop = UNSUBSCRIBE.search(reminders[BEN].body).group(1)
    asked = Client().get(stop)
    assert asked.status_code == 200 and "Stop reminder emails" in text(asked)
    assert Invitee.objects.get(email=BEN).unsubscribed_at is None
    done = Client().post(stop)
    assert done.status_code == 200 and "You will get no more reminders" in text(done)
    assert Invitee.objects.get(email=BEN).unsubscribed_at is not None

    mail.outbox.clear()
    assert services.reminders_due(today=close - dt.timedelta(days=1)) == 1
    outbox.deliver_due()
    assert [m.to[0] for m in mail.outbox] == [CHLOE]

    # The page is the same, to the byte, as before anyone answered or was reminded.
    after = page_as_data(facilitator_client, assessment)
    assert after == before
    content = html.unescape(after)
    schedule = content.split('id="reminder-schedule"', 1)[1].split("</ul>", 1)[0]
    assert "2 days before the close" in schedule and "1 day before the close" in schedule
    assert "How many reminders went is not shown" in content


def test_a_forged_unsubscribe_link_is_not_found(client, invited):
    response = client.get("/email/unsubscribe/1.forged/")

    assert response.status_code == 404
    assert "We could not find this link" in text(response)
    assert not Invitee.objects.filter(unsubscribed_at__isnull=False).exists()


# --- Whether email leaves the site, and the demo ----------------------------------------------


def test_the_page_says_plainly_when_messages_are_written_to_files(
    facilitator_client, assessment, settings, tmp_path
):
    settings.TRACELEAD_EMAIL, settings.EMAIL_FILE_PATH = "file", tmp_path / "mail"
    demo = text(facilitator_client.get(page_url(assessment)))
    settings.TRACELEAD_EMAIL = "smtp"
    real = text(facilitator_client.get(page_url(assessment)))

    assert "This site does not send email" in demo and str(tmp_path / "mail") in demo
    assert "This site does not send email" not in real and str(tmp_path) not in real


def test_the_demo_invites_its_pulse_round_by_email_and_says_where_the_messages_are(
    db, settings
):
    from tracelead.demo import demo_load

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TRACELEAD_EMAIL = "file"  # the demo's setting (pytest-django sends to memory)
    summary = demo_load()

    pulse = RoundEmail.objects.get()
    assert pulse.assessment.status == "open" and pulse.reminder_days == "7,2"
    assert Invitee.objects.filter(invitation__assessment=pulse.assessment).count() == 12
    assert sorted(m.to[0] for m in mail.outbox) == [
        f"person{n:02d}@example.nhs.uk" for n in range(1, 13)
    ]
    assert services.round_email_counts(pulse.assessment).sent == 12
    assert f"written to files in {settings.EMAIL_FILE_PATH}" in summary.describe()
