"""The Stripe sandbox, over real HTTP on 127.0.0.1: spec validity, determinism, realism,
pagination and filters, errors (401/400/404/405/429/500), and the official SDK as a client."""

import itertools
import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from connectors.sandbox.stripe import (
    DEFAULT_API_KEY,
    REFERENCE_NOW,
    create_app,
    generate,
    running_stripe_sandbox,
)
from connectors.sandbox.stripe.dataset import (
    RESOURCES,
    SUBSCRIPTION_STATUSES,
    StripeDataset,
)
from tests.vendor_specs import stripe_spec

SEED = 42
CUSTOMERS = 300
DAY = 86400
LIST_RESOURCES = tuple(RESOURCES)
# Spec path of each resource's retrieve endpoint (the path parameter names vary).
RETRIEVE_PATHS = {
    "customers": "/v1/customers/{customer}",
    "subscriptions": "/v1/subscriptions/{subscription_exposed_id}",
    "invoices": "/v1/invoices/{invoice}",
    "invoiceitems": "/v1/invoiceitems/{invoiceitem}",
    "charges": "/v1/charges/{charge}",
    "refunds": "/v1/refunds/{refund}",
    "prices": "/v1/prices/{price}",
    "products": "/v1/products/{id}",
    "balance_transactions": "/v1/balance_transactions/{id}",
    "disputes": "/v1/disputes/{dispute}",
    "payouts": "/v1/payouts/{payout}",
}


# ---- fixtures ----------------------------------------------------------------------------------


def _nullable_as_json_schema(node: Any) -> Any:
    """Stripe's spec marks nullable fields with OAS 3.0 ``nullable: true``, also next to
    ``anyOf``/``enum`` (where strict OAS 3.0.3 validators ignore it). Rewrite each such schema
    as ``anyOf: [schema, {type: null}]`` so a plain JSON Schema validator enforces exactly the
    spec's intent: null allowed there, and nowhere else."""
    if isinstance(node, dict):
        out = {key: _nullable_as_json_schema(value) for key, value in node.items()}
        if out.pop("nullable", False) is True:
            return {"anyOf": [out, {"type": "null"}]}
        return out
    if isinstance(node, list):
        return [_nullable_as_json_schema(value) for value in node]
    return node


class SpecValidators:
    """JSON Schema validators for the vendor spec's response schemas (parsed once a session)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        resource = Resource.from_contents(spec, default_specification=DRAFT4)
        self._registry = Registry().with_resource("urn:stripe-spec", resource)
        self._paths = spec["paths"]

    def _validator(self, pointer: str) -> Draft4Validator:
        return Draft4Validator({"$ref": f"urn:stripe-spec#{pointer}"}, registry=self._registry)

    @staticmethod
    def _escape(path: str) -> str:
        return path.replace("~", "~0").replace("/", "~1")

    def response(self, path: str, status: str = "200") -> Draft4Validator:
        assert "get" in self._paths[path], path
        pointer = (
            f"/paths/{self._escape(path)}/get/responses/{status}/content/application~1json/schema"
        )
        return self._validator(pointer)

    def component(self, name: str) -> Draft4Validator:
        return self._validator(f"/components/schemas/{name}")


def _errors(validator: Draft4Validator, instance: Any) -> list[str]:
    return [
        f"{error.json_path}: {error.message[:300]}"
        for error in sorted(validator.iter_errors(instance), key=str)
    ][:10]


@pytest.fixture(scope="session")
def spec_validators() -> SpecValidators:
    """Stripe's description (API version 2023-08-16), the part carried in tests/vendor_specs."""
    return SpecValidators(_nullable_as_json_schema(stripe_spec()))


@pytest.fixture(scope="module")
def dataset() -> StripeDataset:
    return generate(SEED, CUSTOMERS)


@pytest.fixture(scope="module")
def base_url(dataset: StripeDataset) -> Iterator[str]:
    with running_stripe_sandbox(dataset=dataset, rate_limit_every=None) as url:
        yield url


@pytest.fixture(scope="module")
def api(base_url: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        yield client


def _get(api: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def _walk(api: httpx.Client, resource: str, **params: Any) -> list[dict[str, Any]]:
    """Every object of a list endpoint, following ``starting_after`` cursors."""
    objects: list[dict[str, Any]] = []
    cursor: dict[str, str] = {}
    while True:
        page = _get(api, f"/v1/{resource}", limit=100, **params, **cursor)
        objects.extend(page["data"])
        if not page["has_more"]:
            return objects
        assert page["data"], "has_more with an empty page"
        cursor = {"starting_after": page["data"][-1]["id"]}


# ---- the vendor spec ---------------------------------------------------------------------------


@pytest.mark.parametrize("resource", LIST_RESOURCES)
def test_list_pages_and_retrieves_validate_against_the_vendor_spec(
    api: httpx.Client, spec_validators: SpecValidators, resource: str
) -> None:
    validator = spec_validators.response(f"/v1/{resource}")
    first = _get(api, f"/v1/{resource}", limit=100)
    assert first["object"] == "list" and first["url"] == f"/v1/{resource}"
    assert len(first["data"]) >= 4
    assert _errors(validator, first) == []
    later = _get(api, f"/v1/{resource}", limit=100, starting_after=first["data"][2]["id"])
    assert later["data"] and later["data"][0]["id"] == first["data"][3]["id"]
    assert _errors(validator, later) == []
    if first["has_more"]:
        deep = _get(api, f"/v1/{resource}", limit=100, starting_after=first["data"][-1]["id"])
        assert deep["data"]
        assert _errors(validator, deep) == []
    retrieve = spec_validators.response(RETRIEVE_PATHS[resource])
    for obj in (first["data"][0], later["data"][-1]):
        fetched = _get(api, f"/v1/{resource}/{obj['id']}")
        assert fetched == obj
        assert _errors(retrieve, fetched) == []


def test_the_spec_validation_is_not_vacuous(
    api: httpx.Client, spec_validators: SpecValidators
) -> None:
    page = _get(api, "/v1/charges", limit=3)
    validator = spec_validators.response("/v1/charges")
    assert _errors(validator, page) == []
    broken = json.loads(json.dumps(page))
    broken["data"][0]["amount"] = "12.00"
    del broken["data"][1]["paid"]
    broken["data"][2]["status"] = "settled"
    broken["has_more"] = None
    errors = _errors(validator, broken)
    assert len(errors) >= 4, errors


def test_error_responses_validate_against_the_vendor_spec(
    api: httpx.Client, base_url: str, spec_validators: SpecValidators
) -> None:
    validator = spec_validators.component("error")
    responses = [
        httpx.get(f"{base_url}/v1/customers"),
        api.get("/v1/customers/cus_doesnotexist"),
        api.get("/v1/customers", params={"limit": 1000}),
        api.get("/v1/nothing_here"),
    ]
    assert [response.status_code for response in responses] == [401, 404, 400, 404]
    for response in responses:
        body = response.json()
        assert _errors(validator, body) == []
        assert body["error"]["type"] == "invalid_request_error"


# ---- determinism -------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_other_seeds_differ() -> None:
    first, second, other = generate(7, 40), generate(7, 40), generate(8, 40)
    for resource in LIST_RESOURCES:
        assert list(first.table(resource)) == list(second.table(resource)), resource
    for resource in ("customers", "subscriptions", "invoices", "charges", "balance_transactions"):
        assert list(first.table(resource)) != list(other.table(resource)), resource
        assert not set(first.table(resource).ids) & set(other.table(resource).ids)
    # Served bytes too, from two independently generated and served copies.
    bodies = []
    for data in (first, second):
        with running_stripe_sandbox(dataset=data, rate_limit_every=None) as url:
            headers = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
            response = httpx.get(f"{url}/v1/charges?limit=100", headers=headers)
            bodies.append(response.content)
    assert bodies[0] == bodies[1]


def test_the_dataset_ignores_the_wall_clock(dataset: StripeDataset) -> None:
    assert dataset.now == REFERENCE_NOW
    assert time.time() != REFERENCE_NOW  # (the machine's clock is not what the data uses)
    for resource in LIST_RESOURCES:
        assert max(dataset.table(resource).created) <= REFERENCE_NOW, resource


def test_bytes_do_not_depend_on_the_json_encoder(dataset: StripeDataset) -> None:
    """orjson is used when present; the stdlib fallback must produce the very same bytes."""
    for resource in LIST_RESOURCES:
        for blob in list(dataset.table(resource))[:50]:
            fallback = json.dumps(json.loads(blob), separators=(",", ":"), ensure_ascii=False)
            assert fallback.encode() == blob


def test_ids_are_unique_and_stripe_shaped(dataset: StripeDataset) -> None:
    prefixes = {
        "customers": "cus_",
        "products": "prod_",
        "prices": "price_",
        "subscriptions": "sub_",
        "invoices": "in_",
        "invoiceitems": "ii_",
        "charges": "ch_",
        "refunds": "re_",
        "disputes": "dp_",
        "balance_transactions": "txn_",
        "payouts": "po_",
    }
    for resource, prefix in prefixes.items():
        table = dataset.table(resource)
        assert len(set(table.ids)) == len(table.ids), resource
        assert all(object_id.startswith(prefix) for object_id in table.ids), resource
    for obj in dataset.objects("charges"):
        assert obj["object"] == "charge" and obj["livemode"] is False and obj["metadata"] == {}
        assert obj["refunds"]["object"] == "list"
        assert obj["refunds"]["url"] == f"/v1/charges/{obj['id']}/refunds"
    for sub in dataset.objects("subscriptions"):
        (item,) = sub["items"]["data"]
        assert item["id"].startswith("si_") and item["subscription"] == sub["id"]
        assert item["price"]["object"] == "price" and item["plan"]["object"] == "plan"


# ---- realism -----------------------------------------------------------------------------------


def _by(objects: list[dict[str, Any]], key: str) -> dict[Any, list[dict[str, Any]]]:
    grouped: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for obj in objects:
        grouped[obj[key]].append(obj)
    return grouped


@pytest.mark.parametrize(("seed", "customers"), [(SEED, CUSTOMERS), (1234, 40)])
def test_the_history_is_realistic(seed: int, customers: int) -> None:
    data = generate(seed, customers)
    subs = list(data.objects("subscriptions"))
    invoices = list(data.objects("invoices"))
    charges = list(data.objects("charges"))
    prices = list(data.objects("prices"))

    # Two years of history, up to the reference now.
    signups = [c["created"] for c in data.objects("customers")]
    assert min(signups) - data.start < 45 * DAY and data.now - max(signups) < 45 * DAY
    assert data.now - data.start >= 730 * DAY
    assert max(c["created"] for c in charges) - min(c["created"] for c in charges) > 700 * DAY

    # A catalog of tiers on monthly and annual plans.
    recurring = [p for p in prices if p["type"] == "recurring"]
    assert {p["recurring"]["interval"] for p in recurring} == {"month", "year"}
    assert len({p["product"] for p in recurring}) >= 4
    assert any(p["type"] == "one_time" for p in prices)
    assert any(not p["active"] for p in prices)  # a retired price still referenced

    # Every subscription status.
    assert set(SUBSCRIPTION_STATUSES) <= {s["status"] for s in subs}

    # Upgrades: a prorated update invoice crediting a cheaper plan and charging a dearer one.
    def prorations(invoice: dict[str, Any]) -> tuple[int, int]:
        lines = [line for line in invoice["lines"]["data"] if line["proration"]]
        credit = next(line for line in lines if line["amount"] < 0)
        debit = next(line for line in lines if line["amount"] > 0)
        return credit["price"]["unit_amount"], debit["price"]["unit_amount"]

    updates = [i for i in invoices if i["billing_reason"] == "subscription_update"]
    assert updates and all(old < new for old, new in map(prorations, updates))
    items = {i["id"]: i for i in data.objects("invoiceitems")}
    for invoice in updates:
        for line in invoice["lines"]["data"]:
            assert items[line["invoice_item"]]["invoice"] == invoice["id"]

    # Downgrades: a renewal billing a cheaper plan than the previous renewal did.
    def plan_amounts(sub_invoices: list[dict[str, Any]]) -> list[int]:
        cycle = sorted(
            (i for i in sub_invoices if i["billing_reason"] != "subscription_update"),
            key=lambda i: i["created"],
        )
        return [
            next(line for line in i["lines"]["data"] if line["type"] == "subscription")["price"][
                "unit_amount"
            ]
            for i in cycle
        ]

    by_subscription = _by([i for i in invoices if i["subscription"]], "subscription")
    assert any(
        later < earlier
        for sub_invoices in by_subscription.values()
        for earlier, later in itertools.pairwise(plan_amounts(sub_invoices))
    )

    # Renewals bill consecutive periods.
    for sub in subs:
        periods = [
            next(line for line in i["lines"]["data"] if line["type"] == "subscription")["period"]
            for i in sorted(by_subscription[sub["id"]], key=lambda i: i["created"])
            if i["billing_reason"] in ("subscription_create", "subscription_cycle")
        ]
        for earlier, later in itertools.pairwise(periods):
            assert later["start"] == earlier["end"], sub["id"]

    # Cancellations (now and at period end), failed-payment churn, and reactivations.
    canceled = [s for s in subs if s["status"] == "canceled"]
    reasons = Counter(s["cancellation_details"]["reason"] for s in canceled)
    assert reasons["cancellation_requested"] and reasons["payment_failed"]
    assert any(s["cancel_at_period_end"] and s["status"] == "active" for s in subs)
    reactivated = [
        customer
        for customer, own in _by(subs, "customer").items()
        if any(
            later["created"] > earlier["ended_at"]
            for earlier in own
            if earlier["status"] == "canceled"
            for later in own
        )
    ]
    assert reactivated

    # Paid, failed and refunded charges; disputes; refunds consistent with their charges.
    statuses = Counter(c["status"] for c in charges)
    assert statuses["succeeded"] > statuses["failed"] > 0
    assert any(c["refunded"] for c in charges)
    assert any(0 < c["amount_refunded"] < c["amount"] for c in charges)
    refunds = _by(list(data.objects("refunds")), "charge")
    for charge in charges:
        own = refunds.get(charge["id"], [])
        assert sum(r["amount"] for r in own) == charge["amount_refunded"]
        assert [r["id"] for r in charge["refunds"]["data"]] == [r["id"] for r in own]
    disputes = list(data.objects("disputes"))
    assert disputes
    disputed = {c["id"] for c in charges if c["disputed"]}
    assert {d["charge"] for d in disputes} == disputed

    # Invoices and their charges agree.
    by_id = {c["id"]: c for c in charges}
    for invoice in invoices:
        assert invoice["total"] == sum(line["amount"] for line in invoice["lines"]["data"])
        if invoice["status"] == "paid" and invoice["total"] > 0:
            charge = by_id[invoice["charge"]]
            assert charge["status"] == "succeeded" and charge["amount"] == invoice["total"]
    assert {"paid", "open", "void", "uncollectible"} <= {i["status"] for i in invoices}

    # Payouts and balance transactions for charges, refunds, disputes and payouts.
    assert list(data.objects("payouts"))
    kinds = Counter(t["reporting_category"] for t in data.objects("balance_transactions"))
    assert {"charge", "refund", "dispute", "payout"} <= set(kinds)
    assert kinds["charge"] == statuses["succeeded"]


def test_payouts_pay_out_the_balance_transactions_they_list(
    api: httpx.Client, dataset: StripeDataset
) -> None:
    payouts = _walk(api, "payouts")
    assert payouts and {p["status"] for p in payouts} <= {"paid", "in_transit"}
    for payout in payouts[:: max(1, len(payouts) // 15)]:
        transactions = _walk(api, "balance_transactions", payout=payout["id"])
        own = [t for t in transactions if t["type"] == "payout"]
        assert [t["id"] for t in own] == [payout["balance_transaction"]]
        assert own[0]["amount"] == -payout["amount"]
        paid_out = [t for t in transactions if t["type"] != "payout"]
        assert sum(t["net"] for t in paid_out) == payout["amount"]
        assert all(t["available_on"] <= payout["created"] for t in paid_out)


# ---- pagination and filters ---------------------------------------------------------------------


def test_walking_starting_after_visits_every_object_once_newest_first(
    api: httpx.Client, dataset: StripeDataset
) -> None:
    charges = _walk(api, "charges")
    ids = [c["id"] for c in charges]
    assert ids == dataset.table("charges").ids
    assert len(set(ids)) == len(ids) == len(dataset.table("charges"))
    created = [c["created"] for c in charges]
    assert created == sorted(created, reverse=True)


def test_walking_ending_before_goes_back_toward_the_newest(
    api: httpx.Client, dataset: StripeDataset
) -> None:
    ids = dataset.table("customers").ids
    seen: list[str] = []
    page = _get(api, "/v1/customers", limit=100, starting_after=ids[-2])
    assert [c["id"] for c in page["data"]] == [ids[-1]] and page["has_more"] is False
    cursor = ids[-1]
    while True:
        page = _get(api, "/v1/customers", limit=100, ending_before=cursor)
        seen = [c["id"] for c in page["data"]] + seen
        if not page["has_more"]:
            break
        cursor = page["data"][0]["id"]
    assert seen == ids[:-1]


def test_created_filters(api: httpx.Client, dataset: StripeDataset) -> None:
    created = dataset.table("invoices").created
    pivot, end = created[len(created) // 3], created[len(created) // 6]
    gte = _walk(api, "invoices", **{"created[gte]": pivot})
    assert len(gte) == sum(1 for c in created if c >= pivot)
    assert gte and min(i["created"] for i in gte) == pivot
    gt = _walk(api, "invoices", **{"created[gt]": pivot})
    assert len(gt) == sum(1 for c in created if c > pivot)
    window = _walk(api, "invoices", **{"created[gte]": pivot, "created[lt]": end})
    assert [i["id"] for i in window] == [
        object_id
        for object_id, c in zip(dataset.table("invoices").ids, created, strict=True)
        if pivot <= c < end
    ]
    lte = _get(api, "/v1/invoices", limit=100, **{"created[lte]": pivot})
    assert lte["data"][0]["created"] <= pivot
    exact = _walk(api, "invoices", created=pivot)
    assert exact and {i["created"] for i in exact} == {pivot}
    assert _get(api, "/v1/invoices", **{"created[gt]": REFERENCE_NOW})["data"] == []


def test_limit_bounds(api: httpx.Client) -> None:
    assert len(_get(api, "/v1/charges")["data"]) == 10
    assert len(_get(api, "/v1/charges", limit=1)["data"]) == 1
    assert len(_get(api, "/v1/charges", limit=100)["data"]) == 100
    for bad in ("0", "101", "-1", "ten", "1.5"):
        response = api.get("/v1/charges", params={"limit": bad})
        assert response.status_code == 400, bad
        assert response.json()["error"]["param"] == "limit"


def test_bad_parameters_are_400(api: httpx.Client) -> None:
    charges = _get(api, "/v1/charges", limit=3)["data"]
    cases = [
        ({"starting_after": "ch_nope"}, "starting_after", "resource_missing"),
        (
            {"starting_after": charges[0]["id"], "ending_before": charges[2]["id"]},
            "ending_before",
            None,
        ),
        ({"created[gte]": "yesterday"}, "created[gte]", "parameter_invalid_integer"),
        ({"created[after]": "1"}, "created[after]", "parameter_unknown"),
        ({"colour": "blue"}, "colour", "parameter_unknown"),
        ({"expand[]": "data.customer"}, "expand[]", None),
    ]
    for params, param, code in cases:
        response = api.get("/v1/charges", params=params)
        assert response.status_code == 400, params
        error = response.json()["error"]
        assert error["type"] == "invalid_request_error" and error["param"] == param
        if code:
            assert error["code"] == code
    assert api.get("/v1/subscriptions", params={"status": "sleeping"}).status_code == 400
    assert api.get("/v1/invoiceitems", params={"pending": "maybe"}).status_code == 400


def test_equality_filters(api: httpx.Client, dataset: StripeDataset) -> None:
    charges = list(dataset.objects("charges"))
    customer = Counter(c["customer"] for c in charges).most_common(1)[0][0]
    own = _walk(api, "charges", customer=customer)
    assert [c["id"] for c in own] == [c["id"] for c in charges if c["customer"] == customer]
    assert _walk(api, "charges", customer="cus_nobody") == []

    subs = list(dataset.objects("subscriptions"))
    default = _walk(api, "subscriptions")
    assert [s["id"] for s in default] == [s["id"] for s in subs if s["status"] != "canceled"]
    assert len(_walk(api, "subscriptions", status="all")) == len(subs)
    canceled = _walk(api, "subscriptions", status="canceled")
    assert canceled and {s["status"] for s in canceled} == {"canceled"}
    ended = _walk(api, "subscriptions", status="ended")
    assert {s["status"] for s in ended} == {"canceled", "incomplete_expired"}
    mine = _walk(api, "subscriptions", status="all", customer=subs[0]["customer"])
    assert subs[0]["id"] in {s["id"] for s in mine}
    assert {s["customer"] for s in mine} == {subs[0]["customer"]}

    open_invoices = _walk(api, "invoices", status="open")
    assert open_invoices and {i["status"] for i in open_invoices} == {"open"}
    attached = _walk(api, "invoiceitems", pending="false")
    assert attached and all(item["invoice"] for item in attached)
    first_charge = charges[-1]
    assert [r["charge"] for r in _walk(api, "refunds", charge=first_charge["id"])] == [
        first_charge["id"]
    ] * len(first_charge["refunds"]["data"])
    email = next(dataset.objects("customers"))["email"]
    assert {c["email"] for c in _walk(api, "customers", email=email)} == {email}
    assert {p["type"] for p in _walk(api, "prices", type="one_time")} == {"one_time"}
    assert {p["active"] for p in _walk(api, "prices", active="false")} == {False}
    assert _walk(api, "balance_transactions", type="refund")
    assert {t["type"] for t in _walk(api, "balance_transactions", type="refund")} == {"refund"}


def test_retrieve_and_unknown_ids(api: httpx.Client, dataset: StripeDataset) -> None:
    invoice_id = dataset.table("invoices").ids[5]
    assert _get(api, f"/v1/invoices/{invoice_id}")["id"] == invoice_id
    response = api.get("/v1/invoices/in_missing")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "resource_missing" and "in_missing" in error["message"]
    assert api.get("/v1/customers/cus_x/sources").status_code == 404
    assert api.post("/v1/customers", data={"email": "a@b.c"}).status_code == 405


# ---- auth and throttling -----------------------------------------------------------------------


def test_authentication(base_url: str) -> None:
    url = f"{base_url}/v1/customers?limit=1"
    missing = httpx.get(url)
    assert missing.status_code == 401
    assert "did not provide an API key" in missing.json()["error"]["message"]
    wrong = httpx.get(url, headers={"Authorization": "Bearer sk_test_wrongkey12345"})
    assert wrong.status_code == 401
    message = wrong.json()["error"]["message"]
    assert message.startswith("Invalid API Key provided") and "wrongkey12345" not in message
    assert httpx.get(url, headers={"Authorization": "Bearer"}).status_code == 401
    assert httpx.get(url, auth=("sk_test_nope", "")).status_code == 401
    assert httpx.get(url, auth=(DEFAULT_API_KEY, "")).status_code == 200  # Basic, key as user
    bearer = httpx.get(url, headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"})
    assert bearer.status_code == 200


def test_rate_limits_and_injected_errors_are_deterministic(dataset: StripeDataset) -> None:
    headers = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
    with running_stripe_sandbox(
        dataset=dataset, rate_limit_every=3, error_every=5, retry_after=2
    ) as url:
        statuses = []
        for _ in range(15):
            response = httpx.get(f"{url}/v1/payouts", headers=headers)
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert response.headers["retry-after"] == "2"
                error = response.json()["error"]
                assert error["code"] == "rate_limit"
                assert error["type"] == "invalid_request_error"
            elif response.status_code == 500:
                assert response.json()["error"]["type"] == "api_error"
        # 429 on every 3rd authenticated request, 500 on every 5th (the 429 wins on the 15th).
        expected = [200, 200, 429, 200, 500, 429, 200, 200, 429, 500, 200, 429, 200, 200, 429]
        assert statuses == expected
        # Unauthenticated requests do not advance the cadence.
        assert httpx.get(f"{url}/v1/payouts").status_code == 401
        assert httpx.get(f"{url}/v1/payouts", headers=headers).status_code == 200


def test_default_app_rate_limits_every_fiftieth_request(dataset: StripeDataset) -> None:
    app = create_app(dataset, prerender=False)
    assert app.state.sandbox.rate_limit_every == 50
    assert (
        create_app(dataset, rate_limit_every=0, prerender=False).state.sandbox.rate_limit_every == 0
    )


# ---- the official SDK --------------------------------------------------------------------------


def test_stripe_sdk_auto_paginates_customers(base_url: str, dataset: StripeDataset) -> None:
    client = stripe.StripeClient(
        DEFAULT_API_KEY, base_addresses={"api": base_url}, max_network_retries=0
    )
    customers = list(client.v1.customers.list({"limit": 100}).auto_paging_iter())
    assert [c.id for c in customers] == dataset.table("customers").ids
    assert isinstance(customers[0], stripe.Customer)
    charge = client.v1.charges.retrieve(dataset.table("charges").ids[0])
    assert charge.object == "charge" and charge.refunds.object == "list"
    table = dataset.table("charges")
    after = table.created[50]
    newer = [object_id for object_id, c in zip(table.ids, table.created, strict=True) if c > after]
    recent = client.v1.charges.list({"limit": 20, "created": {"gt": after}})
    assert [c.id for c in recent.auto_paging_iter()] == newer
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.retrieve("cus_missing")
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient(
            "sk_test_wrong", base_addresses={"api": base_url}, max_network_retries=0
        ).v1.customers.list()


def test_stripe_sdk_pagination_survives_429s(dataset: StripeDataset) -> None:
    """With rate limiting on, a client retrying on 429 (after Retry-After) still sees it all."""
    with running_stripe_sandbox(dataset=dataset, rate_limit_every=4, retry_after=0) as url:
        client = stripe.StripeClient(
            DEFAULT_API_KEY, base_addresses={"api": url}, max_network_retries=0
        )
        ids: list[str] = []
        params: dict[str, Any] = {"limit": 25}
        throttled = 0
        while True:
            try:
                page = client.v1.customers.list(params)
            except stripe.RateLimitError as error:
                throttled += 1
                assert error.http_status == 429 and error.headers is not None
                time.sleep(float(error.headers["Retry-After"]))
                continue
            ids.extend(c.id for c in page.data)
            if not page.has_more:
                break
            params = {"limit": 25, "starting_after": page.data[-1].id}
        assert throttled >= 3
        assert ids == dataset.table("customers").ids
