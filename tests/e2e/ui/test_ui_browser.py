"""The web UI in a real Chromium against a real server: what a person does, click by click."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect
from ui_support import SAMPLES, UI, create_entity, settled_preview


def test_signed_out_visitors_are_sent_to_sign_in_and_come_back(ui: UI) -> None:
    ui.page.context.clear_cookies()
    ui.go("/ui/jobs")
    expect(ui.page).to_have_url(re.compile(r"/ui/login\?next=/ui/jobs$"))
    ui.shot("login")
    ui.page.get_by_label("Access token").fill("wrong")
    ui.page.get_by_role("button", name="Sign in").click()
    expect(ui.page.get_by_role("alert")).to_have_text("That access token is not right.")
    ui.page.get_by_label("Access token").fill(ui.server.token)
    ui.page.get_by_role("button", name="Sign in").click()
    expect(ui.page).to_have_url(re.compile(r"/ui/jobs$"))
    ui.page.get_by_role("button", name="Sign out").click()
    expect(ui.page).to_have_url(re.compile(r"/ui/login$"))
    ui.go("/")
    expect(ui.page).to_have_url(re.compile(r"/ui/login\?next=/ui/entities$"))


def test_create_upload_link_download(ui: UI, tmp_path: Path) -> None:
    ui.sign_in()
    ann = create_entity(ui, "Ann <b>Lee</b>")
    ui.shot("entity-overview")
    bob = create_entity(ui, "Bob Stone")

    ui.go(f"/ui/entities/{ann}?tab=attachments")
    sample = SAMPLES / "GPS.jpg"
    ui.page.get_by_label("Choose one or more files to upload").set_input_files(
        [sample, SAMPLES / "Apple.jpg"]
    )
    rows = ui.page.locator(".uploads li")
    expect(rows).to_have_count(2)
    expect(rows.first.locator("progress")).to_have_attribute("value", "100")
    attached = ui.page.locator(".attachment")
    expect(attached).to_have_count(2, timeout=20_000)
    ui.shot("entity-attachments")

    gps = attached.filter(has_text="GPS.jpg")
    for _ in range(40):  # metadata is read in the background; the page shows it once it is there
        if gps.locator("details.metadata").count():
            break
        ui.page.wait_for_timeout(250)
        ui.page.reload()
    gps.locator("details.metadata > summary").click()
    expect(gps.locator("details.metadata")).to_contain_text("GPS")
    ui.shot("entity-metadata")
    asset_id = gps.get_by_role("link", name="GPS.jpg", exact=True).get_attribute("href").rsplit("/", 1)[1]  # type: ignore[union-attr]

    gps.get_by_role("button", name="Use as main picture: GPS.jpg").click()
    expect(ui.page.locator(".attachment").filter(has_text="GPS.jpg")).to_contain_text("Main picture")

    ui.go(f"/ui/entities/{bob}?tab=attachments")
    box = ui.page.get_by_role("combobox", name="Or link a file that is already stored")
    box.fill("no such file")
    ui.page.get_by_role("button", name="Link file").click()
    expect(ui.page.locator("[data-error-for=asset_id]")).to_have_text("No file is called “no such file”.")
    expect(ui.page.locator(".attachment")).to_have_count(0)
    box.fill("GPS")
    ui.page.get_by_role("option", name=re.compile("^GPS.jpg")).click()
    expect(ui.page.locator("input[name=asset_id]")).to_have_value(asset_id)
    ui.page.get_by_role("button", name="Link file").click()
    linked = ui.page.locator(".attachment").filter(has_text="GPS.jpg")
    expect(linked).to_have_count(1)

    with ui.page.expect_download() as download_info:
        linked.get_by_role("link", name="Download").click()
    saved = tmp_path / "downloaded.jpg"
    download_info.value.save_as(saved)
    assert saved.read_bytes() == sample.read_bytes()

    ui.page.once("dialog", lambda dialog: dialog.accept())
    linked.get_by_role("button", name="Unlink").click()
    expect(ui.page.locator(".attachment")).to_have_count(0)

    assert settled_preview(ui.server, asset_id)["status"] == "done"
    ui.go("/ui/entities?view=gallery")
    tile = ui.page.locator(".gallery .tile").filter(has_text="Ann <b>Lee</b>").locator("img")
    expect(tile).to_have_attribute("src", re.compile(rf"^/v1/assets/{asset_id}/preview\?size=small&v="))
    ui.shot("entities-gallery")
    ui.go(f"/ui/assets/{asset_id}")
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("GPS.jpg")
    linked_to = ui.page.locator("#linked-entities").get_by_role("link", name="Ann <b>Lee</b>")
    expect(linked_to).to_have_attribute("href", f"/ui/entities/{ann}")
    ui.shot("asset")
    ui.go("/ui/assets")
    ui.shot("assets")


def new_field(ui: UI, key: str, scope: str, field_type: str, **extra: str) -> None:
    ui.go("/ui/admin/fields")
    ui.page.locator("summary", has_text="New field").click()
    form = ui.page.locator("#new-field form")
    form.get_by_label("Key").fill(key)
    form.get_by_label("Used for").select_option(scope)
    form.get_by_label("Type").select_option(field_type)
    for label, value in extra.items():
        form.get_by_label(label, exact=True).fill(value)
    form.get_by_role("button", name="Create field").click()
    expect(ui.page.locator(".def").filter(has_text=key)).to_have_count(1)


def test_custom_fields_and_descriptors_show_validation_messages(ui: UI) -> None:
    ui.sign_in()
    new_field(ui, "height_cm", "entity", "int", Minimum="30", Maximum="300")
    new_field(ui, "hair", "descriptor", "enum", **{"Choices (for a Choice field)": "red, brown"})
    ui.shot("fields")
    ann = create_entity(ui, "Cora")

    height = ui.page.get_by_label("Height cm")
    height.fill("10")
    ui.page.get_by_role("button", name="Save changes").click()
    error = ui.page.locator('[data-error-for="fields/height_cm"]')
    expect(error).to_be_visible()
    expect(height).to_have_attribute("aria-invalid", "true")
    ui.shot("entity-field-error")
    height.fill("170")
    with ui.page.expect_navigation():  # a saved form reloads the page
        ui.page.get_by_role("button", name="Save changes").click()
    expect(ui.page.get_by_label("Height cm")).to_have_value("170")
    expect(ui.page.locator('[data-error-for="fields/height_cm"]')).to_be_hidden()

    ui.go(f"/ui/entities/{ann}?tab=descriptors")
    form = ui.page.locator("#add-descriptor")
    form.get_by_label("Field").fill("hair")
    form.get_by_label("Value").select_option("red")  # a Choice field's values are picked from a list
    form.get_by_label("True from (optional)").fill("2021-03-01")
    form.get_by_label("Until (optional)").fill("2020")
    form.get_by_role("button", name="Add descriptor").click()
    expect(form.locator('[data-error-for="valid_to"]')).to_be_visible()
    expect(ui.page.locator("table.list tbody tr")).to_have_count(0)
    ui.shot("descriptor-error")
    form.get_by_label("Until (optional)").fill("")
    form.get_by_role("button", name="Add descriptor").click()
    row = ui.page.locator("table.list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("red")
    expect(row).to_contain_text("2021-03-01")
    ui.shot("descriptors")


def test_relationship_with_a_suggested_type_shows_from_both_sides(ui: UI) -> None:
    ui.sign_in()
    dora = create_entity(ui, "Dora")
    eve = create_entity(ui, "Eve Winter")
    ui.go("/ui/entities?view=table")
    ui.page.get_by_label("Search names").fill("Eve Win")  # htmx swaps the results in as you type
    expect(ui.page).to_have_url(re.compile(r"q=Eve(%20|\+)Win"))
    expect(ui.page.locator("#entity-table tbody tr")).to_have_count(1)
    expect(ui.page.locator("#entity-table tbody tr")).to_contain_text("Eve Winter")
    ui.go(f"/ui/entities/{dora}?tab=relationships")
    form = ui.page.locator("#add-relationship")
    form.get_by_label("Dora is…").fill("fri")
    expect(ui.page.locator("#rel-types option[value='friend']")).to_have_count(1)
    form.get_by_label("Dora is…").fill("friend")
    form.get_by_role("combobox", name="…of whom?").fill("Eve")
    form.get_by_role("option", name=re.compile("^Eve Winter")).click()
    expect(form.locator("input[name=dst_entity_id]")).to_have_value(eve)
    form.get_by_role("button", name="Add relationship").click()
    row = ui.page.locator("table.list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("friend")
    ui.shot("relationships")
    row.get_by_role("link", name="Eve Winter").click()
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Eve Winter")
    expect(ui.page.locator("table.list tbody tr").get_by_role("link", name="Dora")).to_be_visible()


def test_bulk_import_runs_to_the_end_with_live_progress_and_log(ui: UI, tmp_path: Path) -> None:
    folder = tmp_path / "to-import"
    (folder / "sub").mkdir(parents=True)
    for name in ("GPS.jpg", "Apple.jpg"):
        (folder / name).write_bytes((SAMPLES / name).read_bytes())
    (folder / "sub" / "GIF.gif").write_bytes((SAMPLES / "GIF.gif").read_bytes())
    ui.sign_in()
    ui.go("/ui/jobs")
    drawer = ui.page.locator("#new-import")
    if drawer.get_attribute("open") is None:
        drawer.locator("summary").click()
    drawer.get_by_label("Folder on this computer").fill(str(tmp_path / "nowhere"))
    drawer.get_by_role("button", name="Start import").click()
    expect(drawer.locator('[data-error-for="path"]')).to_be_visible()
    drawer.get_by_label("Folder on this computer").fill(str(folder))
    drawer.get_by_role("button", name="Start import").click()
    ui.page.wait_for_url(re.compile(r"/ui/jobs/[0-9a-f]{64}$"))
    expect(ui.page.locator("#job-status")).to_have_text("Succeeded", timeout=60_000)
    expect(ui.page.locator("#job-progress")).to_have_attribute("value", "100")
    expect(ui.page.locator("#job-log li").first).to_be_visible()
    expect(ui.page.get_by_role("button", name="Cancel job")).to_be_hidden()
    ui.shot("job")
    ui.go("/ui/jobs")
    expect(ui.page.locator("table.list tbody tr").first).to_contain_text("Succeeded")
    ui.shot("jobs")


def test_enable_the_example_plugin_and_save_its_settings(ui: UI) -> None:
    ui.sign_in()
    ui.go("/ui/plugins")
    card = ui.page.locator("#plugin-hello")
    expect(card.locator(".status")).to_have_text("Disabled")
    expect(card.locator(".permissions")).to_contain_text("assets:write")
    card.get_by_label("I allow these permissions").check()
    card.get_by_role("button", name="Enable").click()
    token = card.locator("[data-field=token]")
    expect(token).to_have_text(re.compile(r"\S{20,}"))
    first = token.text_content()
    ui.shot("plugin-enabled")
    card.get_by_role("link", name="Close").click()
    card = ui.page.locator("#plugin-hello")
    expect(card.locator(".status")).to_have_text("Enabled")

    card.locator("summary", has_text="Settings").click()
    card.get_by_label("Repeat").fill("9")
    card.get_by_role("button", name="Save settings").click()
    expect(card.locator('[data-error-for="repeat"]')).to_be_visible()
    ui.shot("plugin-config-error")
    card.get_by_label("Repeat").fill("3")
    card.get_by_label("Greeting").fill("Hi there")
    with ui.page.expect_navigation():
        card.get_by_role("button", name="Save settings").click()
    card = ui.page.locator("#plugin-hello")
    card.locator("summary", has_text="Settings").click()
    expect(card.get_by_label("Repeat")).to_have_value("3")
    expect(card.get_by_label("Greeting")).to_have_value("Hi there")
    ui.shot("plugins")

    ui.page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="New token").click()
    renewed = card.locator("[data-field=token]")
    expect(renewed).to_have_text(re.compile(r"\S{20,}"))
    assert renewed.text_content() != first


def test_pages_fit_a_narrow_window(ui: UI) -> None:
    ui.sign_in()
    entity = create_entity(ui, "Narrow Window Person With A Rather Long Name")
    ui.page.set_viewport_size({"width": 400, "height": 800})
    for name, path in [
        ("narrow-entities", "/ui/entities"),
        ("narrow-entity", f"/ui/entities/{entity}"),
        ("narrow-attachments", f"/ui/entities/{entity}?tab=attachments"),
        ("narrow-jobs", "/ui/jobs"),
        ("narrow-plugins", "/ui/plugins"),
        ("narrow-fields", "/ui/admin/fields"),
    ]:
        ui.go(path)
        overflow = ui.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        ui.shot(name)
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"


def test_a_file_can_be_renamed_and_a_bad_kind_is_explained(ui: UI) -> None:
    ui.sign_in()
    ann = create_entity(ui, "Fay")
    ui.go(f"/ui/entities/{ann}?tab=attachments")
    ui.page.get_by_label("Choose one or more files to upload").set_input_files(SAMPLES / "GIF.gif")
    ui.page.locator(".attachment").filter(has_text="GIF.gif").get_by_role(
        "link", name="GIF.gif", exact=True
    ).click()
    ui.page.locator("summary", has_text="Edit name and kind").click()
    ui.page.get_by_label("Kind").fill("Not A Kind")
    ui.page.get_by_role("button", name="Save").click()
    expect(ui.page.locator('[data-error-for="kind"]')).to_contain_text("lowercase words joined by dots")
    ui.page.get_by_label("Kind").fill("image.reference")
    ui.page.get_by_label("File name").fill("fay-reference.gif")
    with ui.page.expect_navigation():
        ui.page.get_by_role("button", name="Save").click()
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("fay-reference.gif")
    expect(ui.page.locator(".kv").first).to_contain_text("image.reference")
    ui.shot("asset-edited")
