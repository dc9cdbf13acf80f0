def test_login_page_is_chinese_by_default(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'lang="zh-Hans"' in response.get_data(as_text=True)


def test_world_member_logs_in_and_sees_community_home(web, world):
    web.login("c1_red")
    response = web.get(f"/c/{world.slugs['c1']}/")
    assert response.status_code == 200
    assert "Community c1" in response.get_data(as_text=True)


def test_member_of_another_community_gets_404(web, world):
    web.login("c2_red")
    assert web.get(f"/c/{world.slugs['c1']}/").status_code == 404


def test_api_member_detail(api, world):
    response = api.as_("c1_admin").get(f"/api/v1/c/{world.slugs['c1']}/members/{world.member_id('c1_red')}")
    assert response.status_code == 200, response.json
    assert response.json["account_kind"] == "red"
