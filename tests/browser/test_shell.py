"""A front-desk clerk logs in, in Chinese, and sees who they are."""

import pytest

from tests.browser.conftest import shot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_clerk_logs_in_by_keyboard_and_sees_role_and_unit(page, staff):
    page.goto(page.base + "/")
    assert page.locator("h1").inner_text() == "工作人员登录"
    shot(page, "login")
    page.keyboard.type("desk_a")  # the username field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(page.base + "/")
    text = page.locator("#content").inner_text()
    assert "窗口接待" in text and "甲街道" in text
    assert page.locator("#user-tools").inner_text().count("退出") == 1
    shot(page, "home")


def test_wrong_password_is_explained_in_chinese(page, staff):
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_username", "desk_a")
    page.fill("#id_password", "wrong")
    page.press("#id_password", "Enter")
    assert "请输入一个正确的" in page.locator(".errornote").inner_text()
