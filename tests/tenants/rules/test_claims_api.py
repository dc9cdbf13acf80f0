"""The claims API: file (JSON, photo as base64), list, read, approve, reject, decide many."""

import base64

from tests.tenants.rules import photo_samples
from tests.tenants.rules.conftest import balance_of


def claims_url(urls, path=""):
    return urls("c1", "/claims" + path, api=True)


def file_claim(api, urls, who="c1_red", headers=None, **body):
    payload = {"rule": "fire", "note": "发现电线冒火花，已报告物业",
               "photo": base64.b64encode(photo_samples.webp()).decode(), **body}
    return api.as_(who).post(claims_url(urls), json=payload, headers=headers)


def test_file_then_approve_awards_once(api, world, urls, app):
    created = file_claim(api, urls)
    assert created.status_code == 201, created.json
    claim = created.json
    assert claim["status"] == "pending" and claim["has_photo"] and claim["rule"] == "fire"
    photo = api.as_("c1_grid").get(claims_url(urls, f"/{claim['id']}/photo"))
    assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/jpeg"
    url = claims_url(urls, f"/{claim['id']}/approve")
    first = api.as_("c1_grid").post(url, json={"reason": "核实无误"})
    again = api.as_("c1_grid").post(url)
    assert first.status_code == again.status_code == 200, (first.json, again.json)
    assert first.json["status"] == "approved" and first.json["points"] == 10
    assert again.json["transaction"] == first.json["transaction"]
    assert balance_of(app, world, "c1_red") == 10
    rejected = api.as_("c1_grid").post(claims_url(urls, f"/{claim['id']}/reject"), json={"reason": "x"})
    assert rejected.status_code == 409 and rejected.json["code"] == "already_decided"


def test_claim_without_approval_comes_back_approved(api, world, urls, app):
    created = file_claim(api, urls, rule="cleanup", photo=None)
    assert created.status_code == 201
    assert created.json["status"] == "approved" and created.json["points"] == 2
    assert balance_of(app, world, "c1_red") == 2


def test_idempotent_filing_makes_one_claim_and_one_award(api, world, urls, app, counts):
    headers = {"Idempotency-Key": "claim-once"}
    first = file_claim(api, urls, rule="cleanup", photo=None, headers=headers)
    before = counts()
    again = file_claim(api, urls, rule="cleanup", photo=None, headers=headers)
    assert again.json["id"] == first.json["id"]
    assert counts() == before
    assert balance_of(app, world, "c1_red") == 2


def test_reject_needs_a_reason_and_the_resident_reads_it(api, world, urls):
    claim_id = world.ids["claim:c1"]
    url = claims_url(urls, f"/{claim_id}/reject")
    missing = api.as_("c1_grid").post(url, json={})
    assert missing.status_code == 422 and "reason" in missing.json["errors"]
    assert api.as_("c1_grid").post(url, json={"reason": "不在本社区"}).status_code == 200
    own = api.as_("c1_blue").get(claims_url(urls, f"/{claim_id}"))
    assert own.json["status"] == "rejected" and own.json["reason"] == "不在本社区"


def test_lists_residents_see_their_own_staff_see_all(api, world, urls):
    file_claim(api, urls)
    mine = api.as_("c1_red").get(claims_url(urls))
    assert mine.status_code == 200
    assert {c["member"] for c in mine.json["items"]} == {str(world.member_id("c1_red"))}
    everyone = api.as_("c1_grid").get(claims_url(urls, "?status=pending&limit=1"))
    assert len(everyone.json["items"]) == 1 and everyone.json["next_cursor"]
    rest = api.as_("c1_grid").get(claims_url(urls, f"?status=pending&cursor={everyone.json['next_cursor']}"))
    assert len(rest.json["items"]) == 1 and rest.json["next_cursor"] is None
    ids = {everyone.json["items"][0]["id"], rest.json["items"][0]["id"]}
    assert str(world.ids["claim:c1"]) in ids
    assert api.as_("c1_grid").get(claims_url(urls, "?cursor=nonsense")).status_code == 422
    assert api.as_("c1_grid").get(claims_url(urls, "?status=maybe")).status_code == 422


def test_residents_cannot_decide_or_read_others(api, world, urls):
    claim_id = world.ids["claim:c1"]
    assert api.as_("c1_red").post(claims_url(urls, f"/{claim_id}/approve")).status_code == 404
    assert api.as_("c1_blue").post(claims_url(urls, f"/{claim_id}/approve")).status_code == 403
    assert api.as_("c1_red").get(claims_url(urls, f"/{claim_id}")).status_code == 404
    assert api.as_("c1_red").get(claims_url(urls, f"/{claim_id}/photo")).status_code == 404


def test_bulk_decisions_all_or_none(api, world, urls, app, counts):
    other = file_claim(api, urls).json["id"]
    before = counts()
    unknown = api.as_("c1_grid").post(claims_url(urls, "/decisions"), json={
        "claims": [other, "01900000-0000-7000-8000-000000000000"], "decision": "approve"})
    assert unknown.status_code == 404
    assert counts() == before
    done = api.as_("c1_grid").post(claims_url(urls, "/decisions"), json={
        "claims": [other, str(world.ids["claim:c1"])], "decision": "approve"})
    assert done.status_code == 200, done.json
    assert {c["status"] for c in done.json["items"]} == {"approved"}
    assert balance_of(app, world, "c1_red") == 10 and balance_of(app, world, "c1_blue") == 10


def test_bad_claim_bodies(api, world, urls, counts):
    before = counts()
    cases = [
        ({"rule": "nope"}, 422, "rule"),
        ({"rule": "service_hour"}, 422, "rule"),
        ({"photo": None}, 422, "photo"),
        ({"photo": "!!!not base64!!!"}, 422, "photo"),
        ({"photo": base64.b64encode(b"plain text").decode()}, 422, "photo"),
        ({"photo": base64.b64encode(photo_samples.gif()).decode()}, 422, "photo"),
        ({"note": "   "}, 422, "note"),
        ({"note": "x" * 501}, 422, "note"),
        ({"quantity": 0}, 422, "quantity"),
        ({"quantity": "1"}, 422, "quantity"),
        ({"member": "someone-else"}, 422, "member"),
    ]
    for body, status, field in cases:
        response = file_claim(api, urls, **body)
        assert response.status_code == status, (body, response.json)
        assert field in response.json.get("errors", {}), (body, response.json)
    assert counts() == before


def test_openapi_documents_the_paths(api):
    spec = api.get("/api/v1/openapi.json").json
    for path in ("/api/v1/c/{community}/rules", "/api/v1/c/{community}/awards",
                 "/api/v1/c/{community}/claims", "/api/v1/c/{community}/claims/{claim_id}",
                 "/api/v1/c/{community}/claims/{claim_id}/approve",
                 "/api/v1/c/{community}/claims/{claim_id}/reject",
                 "/api/v1/c/{community}/claims/decisions",
                 "/api/v1/c/{community}/claims/{claim_id}/photo"):
        assert path in spec["paths"], path
