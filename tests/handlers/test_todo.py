"""/viec (việc cần làm) is the admins' command: in their /trogiup and menu, refused to others with
the roles it is for; with nothing waiting it says so."""

from __future__ import annotations

from handlers.registry import build_catalogue
from storage.models import Role


async def test_admins_see_viec_in_help_and_an_empty_list_says_so(admin, officer):
    await admin.send("/trogiup")
    assert "/viec" in admin.text
    assert "Hiện không có việc nào chờ bạn xử lý." in (await admin.send("việc cần làm"))[0].text
    assert "Hiện không có việc nào chờ bạn xử lý." in (await admin.send("/viec"))[0].text

    await officer.send("/trogiup")
    assert "/viec" not in officer.text
    refused = (await officer.send("/viec"))[0].text
    assert "Quản trị viên" in refused


def test_viec_is_in_the_menu_of_the_roles_that_have_such_work():
    todo = build_catalogue().find("viec")
    assert todo is not None and todo.roles == frozenset({Role.PROVINCE_ADMIN, Role.UNIT_ADMIN})
