from core.demo import demo_step


def init_app(app):
    from core.api.framework import api
    from core.web.community import register_action
    from merchants.demo import load_demo_market
    from merchants.offers import api as offers_api
    from merchants.offers import views

    if load_demo_market not in _registered:
        demo_step(load_demo_market)
        _registered.append(load_demo_market)
    app.register_blueprint(views.merchant_bp)
    app.register_blueprint(views.resident_bp)
    register_action(views.offer_tiles)
    api.register_blueprint(offers_api.merchant_offers)
    api.register_blueprint(offers_api.community_offers)


_registered = []
