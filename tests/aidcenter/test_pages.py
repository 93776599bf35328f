"""The staff shell: login in Chinese, the home page says who you are."""

from tests.conftest import PASSWORD


def test_login_page_speaks_chinese_by_default(client, db):
    response = client.get("/accounts/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans"' in html
    assert "工作人员登录" in html and "用户名" in html and "密码" in html


def test_english_is_switchable(client, db):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    html = client.get("/accounts/login/").content.decode()
    assert "Staff login" in html


def test_front_desk_logs_in_and_home_shows_role_and_unit(client, staff):
    response = client.post("/accounts/login/", {"username": "desk_a", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    html = client.get("/").content.decode()
    assert "窗口接待" in html and "甲街道" in html and "PT-A" in html
    assert "系统管理" in html  # link to the admin
    assert "API 密钥与单位" not in html  # administrators only


def test_admin_home_links_to_keys(client, staff):
    client.force_login(staff.admin)
    assert "API 密钥与单位" in client.get("/").content.decode()


def test_sync_client_cannot_log_in_to_the_pages(client, staff):
    response = client.post("/accounts/login/", {"username": "sync_a", "password": PASSWORD})
    assert response.status_code == 200
    assert "只能通过接口使用" in response.content.decode()


def test_home_requires_login(client, db):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_wrong_password_says_so_in_chinese(client, staff):
    response = client.post("/accounts/login/", {"username": "desk_a", "password": "nope"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_pages_load_nothing_from_the_internet(client, staff):
    client.force_login(staff.desk_a)
    for url in ["/", "/admin/", "/accounts/login/"]:
        html = client.get(url).content.decode()
        assert 'src="http' not in html and 'href="http' not in html, url


def test_an_english_browser_still_gets_chinese_until_english_is_chosen(client, db):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "工作人员登录" in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert "Staff login" in client.get("/accounts/login/").content.decode()
