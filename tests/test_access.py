"""The access rules: who a sign-in lets in, and what one session may upload or hold."""

from __future__ import annotations

import pytest

from calibrate.access import (
    MB,
    AllowList,
    UploadBudget,
    UploadUse,
    allow_list,
    budget_refusal,
    email_allowed,
    held_refusal,
)


def test_an_empty_allow_list_lets_every_signed_in_user_in():
    assert allow_list().is_open and allow_list([], []).is_open
    assert email_allowed("anyone@anywhere.org", AllowList())
    assert email_allowed(None, AllowList())  # the provider decided; no e-mail needed


def test_addresses_and_domains_are_matched_exactly_ignoring_case():
    allowed = allow_list(["Ada@Example.com"], ["@Partner.org", "lab.example.net"])
    assert allowed.emails == {"ada@example.com"}
    assert allowed.domains == {"partner.org", "lab.example.net"}
    assert email_allowed(" ADA@example.COM ", allowed)
    assert email_allowed("bob@partner.org", allowed)
    assert email_allowed("eve@LAB.example.net", allowed)
    assert not email_allowed("bob@example.com", allowed)  # the address, not its domain
    assert not email_allowed("bob@sub.partner.org", allowed)  # a subdomain is not its parent
    assert not email_allowed("bob@partner.org.evil.com", allowed)
    assert not email_allowed("partner.org", allowed)
    assert not email_allowed("@partner.org", allowed)
    assert not email_allowed("bob@", allowed)
    assert not email_allowed(None, allowed) and not email_allowed(42, allowed)
    # the last @ separates the domain: a quoted local part cannot smuggle one in
    assert not email_allowed('"x@partner.org"@evil.com', allowed)


def test_an_unverified_address_is_refused():
    allowed = allow_list(domains=["partner.org"])
    assert email_allowed("bob@partner.org", allowed, verified=True)
    assert email_allowed("bob@partner.org", allowed, verified=None)  # claim not sent
    assert not email_allowed("bob@partner.org", allowed, verified=False)
    assert not email_allowed("bob@partner.org", allowed, verified="false")


def test_one_string_is_a_list_of_one_and_other_types_are_named():
    assert allow_list("ada@example.com").emails == {"ada@example.com"}
    for bad in (42, {"a": "b"}, ["ok@x.org", 3]):
        with pytest.raises(ValueError, match="allowed_emails .* must be a list of strings"):
            allow_list(bad)
    with pytest.raises(ValueError, match="allowed_domains"):
        allow_list(domains=True)


def test_the_upload_budget_counts_files_and_megabytes():
    budget = UploadBudget(files=2, megabytes=10)
    used = UploadUse()
    assert budget_refusal(used, 6 * MB, budget) is None
    used = used.plus(6 * MB)
    assert used == UploadUse(1, 6 * MB)
    too_big = budget_refusal(used, 5 * MB, budget)
    assert too_big is not None and "over the 10 MB allowed per session" in too_big
    assert budget_refusal(used, 4 * MB, budget) is None  # exactly the budget fits
    used = used.plus(4 * MB)
    refused = budget_refusal(used, 1, budget)
    assert refused is not None
    assert refused.startswith("This session has already uploaded 2 files, the limit")
    assert "calibrate ingest" in refused and "uploads_per_session" in refused
    one = budget_refusal(UploadUse(1, 0), 1, UploadBudget(files=1))
    assert one is not None and "uploaded 1 file," in one


def test_the_upload_store_holds_nothing_for_a_session_that_has_not_passed_the_gate():
    status, reason = held_refusal(False, 0, 0, 1, 200)
    assert status == 403 and "Sign in" in reason
    assert held_refusal(True, 0, 0, 200 * MB, 200) is None
    assert held_refusal(True, 1, 200 * MB, 200 * MB, 200) is None  # a replacement in flight
    assert held_refusal(True, 1, 200 * MB, 200 * MB + 1, 200)[0] == 413
    assert held_refusal(True, 2, 0, 1, 200) is None
    assert held_refusal(True, 3, 0, 1, 200)[0] == 413  # at most three files at once
