"""Run localstripe (a fake but stateful Stripe server, PyPI ``localstripe``) for the billing
tests, with three shims for what it predates; each mirrors Stripe's documented behaviour:

- state stays in memory (localstripe pickles it to /tmp on every write, shared by every run
  on the machine);
- subscription items name a ``price`` (Stripe: a price id is accepted wherever a plan id is;
  localstripe only knows plans);
- ``collection_method=send_invoice`` with ``days_until_due``: Stripe activates such a
  subscription at once and leaves its first invoice open for the customer to pay (localstripe
  only charges a card on file).

``python -m tests.payments.localstripe_server PORT``
"""

import sys


def patch() -> None:
    from localstripe import resources as r

    r.Store.dump_to_disk = lambda self: None
    r.Store.try_load_from_disk = lambda self: None

    original_init = r.Subscription.__init__
    original_invoice = r.Subscription._create_invoice

    def init(self, *args, items=None, collection_method="charge_automatically",
             days_until_due=None, **kwargs):
        if items is not None:
            items = [{**{k: v for k, v in item.items() if k != "price"}, "plan": item["price"]}
                     if "price" in item else item for item in items]
        self.collection_method = collection_method
        self.days_until_due = r.try_convert_to_int(days_until_due)
        original_init(self, *args, items=items, **kwargs)

    def create_invoice(self):
        if getattr(self, "collection_method", None) != "send_invoice":
            return original_invoice(self)
        invoice = r.Invoice(customer=self.customer, subscription=self.id,
                            items=list(self.items._list), date=self.current_period_start)
        invoice._finalize()
        self.latest_invoice = invoice.id
        self.status = "active"
        return None

    r.Subscription.__init__ = init
    r.Subscription._create_invoice = create_invoice


def main() -> None:
    patch()
    from localstripe.server import start

    sys.argv = ["localstripe", "--port", sys.argv[1], "--from-scratch"]
    start()


if __name__ == "__main__":
    main()
