def test_validation_errors_speak_the_readers_language(api, world):
    url = f"/api/v1/c/{world.slugs['c1']}/members"
    body = {"login": "x", "password": "short", "name": "", "role": "king", "extra": 1}
    zh = api.as_("c1_admin").post(url, json=body)
    assert zh.status_code == 422
    assert zh.mimetype == "application/problem+json"
    assert zh.json["errors"]["extra"] == ["未知字段。"]
    assert zh.json["errors"]["password"] == ["长度须为 8 到 200 个字符。"]
    assert "须为以下之一" in zh.json["errors"]["role"][0]
    en = api.as_("c1_admin").post(url, json=body, headers={"Accept-Language": "en"})
    assert en.json["errors"]["extra"] == ["Unknown field."]
    assert en.json["errors"]["password"] == ["Must be 8 to 200 characters long."]
