"""The shop's part of the test world: the demo shelf in c1, c2 and c3 (no windows: always
open). The browser test commits its orders in c3, so c1 and c2 stay as built.

Residents get no points here: other suites assert exact balances of the world's people.
Tests that need points award them inside their own (rolled back) transaction.
"""

from tests.world import world_step

# (key, name, points, stock)
ITEMS = [("soy sauce", "酱油", 3, 40), ("detergent", "洗衣液", 6, 25), ("rice", "大米", 15, 20),
         ("cooking oil", "食用油", 40, 8)]


@world_step
def shop_items(w) -> None:
    from core.tenancy.context import use_community
    from tenants.shop.actions import do_create_item

    for name in ("c1", "c2", "c3"):
        community = w.community(name)
        with use_community(community.id):
            for key, item, points, stock in ITEMS:
                row = do_create_item(community, name=item, points=points, stock=stock, category="demo",
                                     actor=w.ids[f"user:{name}_admin"])
                w.ids[f"item:{name}:{key}"] = row.id
