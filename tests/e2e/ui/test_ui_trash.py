"""Signing in from the printed link, deleting with Undo, and the Trash page, in a real Chromium against
``faceforge serve`` started as a user starts it. The screenshots marked for the docs illustrate
``docs/ui.md``."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect
from ui_support import UI, create_entity, upload

LINK = re.compile(r"Sign in: (http://\S+/ui/login\?code=\S+)")


def printed_link(ui: UI) -> str:
    output = (ui.server.home.parent / f"server-{ui.server.port}.log").read_text()
    found = LINK.search(output)
    assert found, output
    return found.group(1)


def status_of(ui: UI, path: str) -> int:
    request = urllib.request.Request(  # noqa: S310
        ui.server.base + path, headers={"Authorization": f"Bearer {ui.server.token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_the_printed_link_signs_in_once_and_leaves_a_clean_address(ui: UI) -> None:
    ui.page.context.clear_cookies()
    link = printed_link(ui)
    ui.page.goto(link)
    ui.page.wait_for_url("**/ui/entities")
    assert "code=" not in ui.page.url
    expect(ui.page.get_by_role("button", name="Sign out")).to_be_visible()
    ui.page.context.clear_cookies()
    ui.page.goto(link)
    expect(ui.page.locator("#link-error")).to_contain_text("already been used")
    expect(ui.page.get_by_label("Access token")).to_be_visible()
    ui.shot("sign-in-link-used", for_docs=True)
    ui.sign_in()


def test_delete_then_undo_brings_the_entity_back(ui: UI) -> None:
    ui.sign_in()
    entity_id = create_entity(ui, "Undo <i>Me</i>")
    ui.page.get_by_role("button", name="Delete entity").click()
    ui.page.wait_for_url(f"**/ui/entities?deleted={entity_id}")
    notice = ui.page.locator("#undo")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("“Undo <i>Me</i>” is in the trash.")
    expect(ui.page.locator("#entity-table, .gallery").get_by_text("Undo <i>Me</i>")).to_have_count(0)
    ui.shot("undo-notice", for_docs=True)
    notice.get_by_role("button", name="Undo").click()
    ui.page.wait_for_url(f"**/ui/entities/{entity_id}")
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Undo <i>Me</i>")
    ui.go(f"/ui/entities?deleted={entity_id}")
    expect(ui.page.locator("#undo")).to_have_count(0)  # offered only while it is in the trash


def test_delete_then_restore_from_the_trash(ui: UI) -> None:
    ui.sign_in()
    entity_id = create_entity(ui, "Trash Then Back")
    ui.page.get_by_role("button", name="Delete entity").click()
    ui.page.wait_for_url(re.compile(r"/ui/entities\?deleted="))
    asset_id = upload(ui, "Canon1DmkIII.jpg")
    ui.go(f"/ui/assets/{asset_id}")
    ui.page.get_by_role("button", name="Delete").click()
    ui.page.wait_for_url(re.compile(r"/ui/assets\?deleted="))
    expect(ui.page.locator("#undo")).to_contain_text("“Canon1DmkIII.jpg” is in the trash.")

    ui.page.get_by_role("navigation", name="Main").get_by_role("link", name="Trash").click()
    row = ui.page.locator("#trash-table tr").filter(has_text="Trash Then Back")
    expect(row).to_have_count(1)
    ui.shot("trash", for_docs=True)
    row.get_by_role("button", name="Restore Trash Then Back").click()
    ui.page.wait_for_url(f"**/ui/entities/{entity_id}")
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Trash Then Back")

    ui.go("/ui/trash")
    ui.page.get_by_role("navigation", name="What was deleted").get_by_role("link", name="Files").click()
    files = ui.page.locator("#trash-table tr").filter(has_text="Canon1DmkIII.jpg")
    ui.shot("trash-files")
    files.get_by_role("button", name="Restore Canon1DmkIII.jpg").click()
    ui.page.wait_for_url(f"**/ui/assets/{asset_id}")
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Canon1DmkIII.jpg")


@pytest.mark.parametrize("tab", ["entities", "files"])
def test_delete_forever_from_the_trash(ui: UI, tab: str) -> None:
    ui.sign_in()
    if tab == "entities":
        record_id = create_entity(ui, "Gone For Good")
        ui.page.get_by_role("button", name="Delete entity").click()
        ui.page.wait_for_url(re.compile(r"/ui/entities\?deleted="))
        name, api = "Gone For Good", f"/v1/entities/{record_id}?include_deleted=true"
    else:
        record_id = upload(ui, "Apple.jpg")
        ui.go(f"/ui/assets/{record_id}")
        ui.page.get_by_role("button", name="Delete").click()
        ui.page.wait_for_url(re.compile(r"/ui/assets\?deleted="))
        name, api = "Apple.jpg", f"/v1/assets/{record_id}?include_deleted=true"
    ui.go(f"/ui/trash?tab={tab}")
    questions: list[str] = []
    ui.page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    ui.page.get_by_role("button", name=f"Delete forever: {name}").click()
    expect(ui.page.locator("#trash-table tr").filter(has_text=name)).to_have_count(0)
    assert questions == [f"Delete “{name}” forever? This cannot be undone."]
    assert status_of(ui, api) == 404


def test_a_removed_descriptor_comes_back_from_the_trash(ui: UI) -> None:
    ui.sign_in()
    entity_id = create_entity(ui, "Has Facts")
    ui.server.call("POST", "/v1/admin/field-defs", {"field_key": "eye_colour", "field_type": "string"})
    ui.server.call(
        "POST", f"/v1/entities/{entity_id}/descriptors", {"field_key": "eye_colour", "value": "grey"}
    )
    ui.go(f"/ui/entities/{entity_id}?tab=descriptors")
    ui.page.once("dialog", lambda dialog: dialog.accept())
    ui.page.locator("table.list tbody tr").filter(has_text="grey").get_by_role(
        "button", name="Delete"
    ).click()
    expect(ui.page.locator("table.list tbody tr").filter(has_text="grey")).to_have_count(0)
    ui.go("/ui/trash?tab=descriptors")
    row = ui.page.locator("#trash-table tr").filter(has_text="eye_colour: grey")
    expect(row).to_contain_text("of Has Facts")
    ui.shot("trash-descriptors")
    row.get_by_role("button", name="Restore").click()
    ui.page.wait_for_url(f"**/ui/entities/{entity_id}?tab=descriptors")
    expect(ui.page.locator("table.list tbody tr").filter(has_text="grey")).to_have_count(1)
