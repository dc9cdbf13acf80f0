"""A small HTTP fake of the parts of Stripe that localstripe lacks: Connect accounts, account
links and transfers, built on Stripe's documented object shapes
(docs.stripe.com/api/accounts/object, /api/account_links/object, /api/transfers/object) and
its documented idempotency: a key replays the first response (header ``Idempotent-Replayed``);
the same key with other parameters is a 400 ``idempotency_error``.

It runs as a real server on a free loopback port, so the app's real ``StripeGateway`` (the
``stripe`` library's ``StripeClient``, form-encoded requests, retries) is what is tested.
Knobs for tests: ``balance`` (the platform's available balance per currency: a transfer over
it is ``balance_insufficient``), ``lose_next_response`` (the transfer is made, then the answer
is a 500 that asks to be retried: a lost answer), and ``complete_onboarding(account_id)``.
"""

import itertools
import json
import secrets
import threading
import time

from flask import Flask, Response, request
from werkzeug.serving import make_server


def _error(status, kind, message, code=None, param=None):
    body = {"error": {"type": kind, "message": message}}
    if code:
        body["error"]["code"] = code
    if param:
        body["error"]["param"] = param
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _form_to_nested(form) -> dict:
    """Stripe's form encoding (``capabilities[transfers][requested]=true``) back to a dict."""
    out: dict = {}
    for key, value in form.items(multi=True):
        parts = key.replace("]", "").split("[")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


class FakeStripe:
    def __init__(self):
        self.accounts: dict[str, dict] = {}
        self.transfers: dict[str, dict] = {}
        self.links: list[dict] = []
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, idempotency key)
        self.balance = {"cny": 10_000_000}
        self.lose_next_response = False
        self._replays: dict[str, tuple[str, dict, Response]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.app = self._build()

    # test helpers --------------------------------------------------------------------
    def complete_onboarding(self, account_id):
        self.accounts[account_id].update(
            details_submitted=True, charges_enabled=True, payouts_enabled=True,
            capabilities={"transfers": "active"})
        return dict(self.accounts[account_id])

    def transfers_to(self, account_id):
        return [t for t in self.transfers.values() if t["destination"] == account_id]

    # the API ---------------------------------------------------------------------------
    def _new_id(self, prefix):
        return f"{prefix}_fake{next(self._ids):06d}{secrets.token_hex(4)}"

    def _build(self):
        app = Flask("fake_stripe")

        @app.before_request
        def _auth():
            self.requests.append((request.method, request.path, request.headers.get("Idempotency-Key")))
            if not request.headers.get("Authorization", "").startswith("Bearer sk_test_"):
                return _error(401, "invalid_request_error", "Invalid API Key provided")
            return None

        def idempotent(handler):
            """Stripe's idempotency, for POSTs with an Idempotency-Key."""
            def wrapped(*args, **kwargs):
                key = request.headers.get("Idempotency-Key")
                params = _form_to_nested(request.form)
                with self._lock:
                    if key and key in self._replays:
                        path, first_params, response = self._replays[key]
                        if path != request.path or first_params != params:
                            return _error(400, "idempotency_error",
                                          "Keys for idempotent requests can only be used with the "
                                          "same parameters they were first used with.")
                        replay = Response(response.get_data(), status=response.status_code,
                                          mimetype="application/json")
                        replay.headers["Idempotent-Replayed"] = "true"
                        return replay
                    response = handler(params, *args, **kwargs)
                    if key and response.status_code < 500:
                        self._replays[key] = (request.path, params, response)
                    if self.lose_next_response and response.status_code == 200:
                        self.lose_next_response = False
                        lost = _error(500, "api_error", "connection reset (simulated)")
                        lost.headers["Stripe-Should-Retry"] = "true"
                        return lost
                    return response
            wrapped.__name__ = handler.__name__
            return wrapped

        def ok(obj):
            return Response(json.dumps(obj), mimetype="application/json")

        @app.post("/v1/accounts")
        @idempotent
        def create_account(params):
            if params.get("type") not in ("express", "standard", "custom") and "controller" not in params:
                return _error(400, "invalid_request_error", "Missing required param: type.",
                              code="parameter_missing", param="type")
            requested = params.get("capabilities") or {}
            account = {
                "id": self._new_id("acct"), "object": "account", "type": params.get("type", "express"),
                "email": params.get("email"), "country": params.get("country", "US"),
                "default_currency": "usd", "created": int(time.time()),
                "charges_enabled": False, "payouts_enabled": False, "details_submitted": False,
                "capabilities": {name: "inactive" for name in requested},
                "metadata": params.get("metadata") or {},
                "requirements": {"currently_due": ["business_profile.url", "external_account"],
                                 "disabled_reason": "requirements.past_due"},
            }
            self.accounts[account["id"]] = account
            return ok(account)

        @app.get("/v1/accounts/<account_id>")
        def get_account(account_id):
            if account_id not in self.accounts:
                return _error(404, "invalid_request_error", f"No such account: '{account_id}'",
                              code="resource_missing", param="account")
            return ok(self.accounts[account_id])

        @app.post("/v1/account_links")
        @idempotent
        def create_link(params):
            account = params.get("account")
            if account not in self.accounts:
                return _error(400, "invalid_request_error", f"No such account: '{account}'",
                              code="resource_missing", param="account")
            for name in ("refresh_url", "return_url", "type"):
                if not params.get(name):
                    return _error(400, "invalid_request_error", f"Missing required param: {name}.",
                                  code="parameter_missing", param=name)
            now = int(time.time())
            link = {"object": "account_link", "created": now, "expires_at": now + 300,
                    "url": f"https://connect.stripe.com/setup/e/{account}/{secrets.token_hex(6)}"}
            self.links.append({**link, **params})
            return ok(link)

        @app.post("/v1/transfers")
        @idempotent
        def create_transfer(params):
            destination = params.get("destination")
            account = self.accounts.get(destination)
            if account is None:
                return _error(400, "invalid_request_error", f"No such destination: '{destination}'",
                              code="resource_missing", param="destination")
            if (account.get("capabilities") or {}).get("transfers") != "active":
                return _error(400, "invalid_request_error",
                              "Your destination account needs to have at least one of the "
                              "following capabilities enabled: transfers, crypto_transfers, "
                              "legacy_payments", code="insufficient_capabilities_for_transfer")
            amount, currency = int(params["amount"]), params["currency"]
            if amount > self.balance.get(currency, 0):
                return _error(400, "invalid_request_error",
                              "You have insufficient funds in your Stripe account.",
                              code="balance_insufficient")
            self.balance[currency] -= amount
            transfer = {
                "id": self._new_id("tr"), "object": "transfer", "amount": amount,
                "amount_reversed": 0, "balance_transaction": self._new_id("txn"),
                "created": int(time.time()), "currency": currency,
                "description": params.get("description"), "destination": destination,
                "destination_payment": self._new_id("py"), "livemode": False,
                "metadata": params.get("metadata") or {},
                "reversals": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                              "url": "/v1/transfers/x/reversals"},
                "reversed": False, "source_transaction": None, "source_type": "card",
                "transfer_group": params.get("transfer_group"),
            }
            self.transfers[transfer["id"]] = transfer
            return ok(transfer)

        @app.get("/v1/transfers")
        def list_transfers():
            found = [t for t in reversed(list(self.transfers.values()))
                     if all(t.get(f) == request.args[f] for f in ("transfer_group", "destination")
                            if f in request.args)]
            limit = int(request.args.get("limit", 10))
            return ok({"object": "list", "url": "/v1/transfers", "has_more": len(found) > limit,
                       "data": found[:limit]})

        return app

    # a real server ------------------------------------------------------------------
    def start(self) -> str:
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return f"http://127.0.0.1:{self._server.server_port}"

    def stop(self):
        self._server.shutdown()
