"""A newcomer's week in a real browser: the sandbox's chat and the dashboard, as a person sees them."""

from __future__ import annotations

from playwright.async_api import expect
from sqlalchemy import update

from storage.db import transaction
from storage.models import KeyResult
from tests.browser.conftest import shot, sign_in_as

ENGINEER = "Zhou Qiang · engineer@example.com"
LEAD = "Zhao Lei · director.rd@example.com"  # leads R&D Efficiency: may run its rituals now


async def send(page, channel_label: str, text: str) -> None:
    box = page.get_by_label(channel_label)
    await box.fill(text)
    await box.press("Enter")  # the keyboard is enough


async def test_check_in_typed_in_the_sandbox_shows_on_the_dashboard(server, browser_page):
    _ctx, base = server
    page = browser_page
    await sign_in_as(page, base, ENGINEER)
    await send(page, "Message #rd-efficiency", "/okr confidence 1 9 vendor signed")
    await expect(page.get_by_text("Only visible to you").last).to_be_visible()
    await expect(page.locator(".card").last).to_contain_text("Confidence 5 → 9/10")
    await shot(page, "checkin-sandbox")
    await page.get_by_role("link", name="Dashboard").click()
    await page.get_by_label("Team key").fill("rd-efficiency")
    await page.get_by_role("button", name="Show").click()
    row = page.locator("li.kr", has_text="Average delivery time for requests")
    await expect(row).to_contain_text("9/10")
    await expect(row).to_contain_text("on track")  # the colour is never the only signal
    await shot(page, "checkin-dashboard")


async def test_eleven_in_the_check_in_form_gets_a_field_error(server, browser_page):
    _ctx, base = server
    page = browser_page
    await sign_in_as(page, base, ENGINEER)
    await send(page, "Message #rd-efficiency", "/okr checkin")
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await dialog.get_by_label("rd-o1-kr3 · Average delivery time for requests").fill("11")
    await dialog.get_by_role("button", name="Save check-in").click()
    field = page.get_by_label("rd-o1-kr3 · Average delivery time for requests")
    await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(field).to_have_value("11")
    await expect(page.locator(".field-error")).to_contain_text("11 is not a confidence")
    await expect(page.get_by_role("alert").first).to_contain_text("Nothing was saved")
    await shot(page, "checkin-form-error")


async def test_monday_ritual_shows_the_four_square(server, browser_page):
    _ctx, base = server
    page = browser_page
    await sign_in_as(page, base, LEAD)
    await page.goto(f"{base}/sandbox/c/rd-efficiency")
    await page.get_by_role("button", name="Monday four-square").click()
    card = page.locator(".card", has_text="four-square of 2026-W47")
    await expect(card).to_be_visible()
    for quadrant in ("This week's priorities", "Next four weeks", "OKR status", "Health"):
        await expect(card).to_contain_text(quadrant)
    await expect(page.get_by_role("status")).to_contain_text("posted monday")
    await shot(page, "monday-four-square")


async def test_reply_in_the_wins_thread_counts(server, browser_page):
    _ctx, base = server
    page = browser_page
    await sign_in_as(page, base, LEAD)
    await page.goto(f"{base}/sandbox/c/rd-efficiency")
    await page.get_by_role("button", name="Friday wins", exact=True).click()
    reply = page.get_by_label("Reply in thread").first
    await reply.fill("win: Cut request delivery time to 38 days")
    await reply.press("Enter")
    await expect(page.locator(".thread")).to_contain_text("Cut request delivery time to 38 days")
    await expect(page.get_by_text("(1 reply)")).to_be_visible()
    await shot(page, "wins-thread")
    await page.goto(f"{base}/?team=rd-efficiency")
    await expect(page.locator("#wins-count")).to_have_text("(1)")
    await expect(page.locator("#wins-h").locator("..")).to_contain_text("Cut request delivery time to 38 days")
    await shot(page, "wins-dashboard")


async def test_key_result_title_with_script_shows_as_text(server, browser_page):
    ctx, base = server
    page = browser_page
    title = "<script>document.title='pwned'</script>Faster <b>releases</b>"
    with transaction(ctx.sessions) as session:
        session.execute(update(KeyResult).where(KeyResult.key == "rd-o1-kr4").values(title=title))
    await page.goto(f"{base}/?team=rd-efficiency")
    await expect(page.locator("li.kr", has_text="rd-o1-kr4")).to_contain_text(title)
    assert await page.title() != "pwned"
    assert await page.locator("b", has_text="releases").count() == 0
    await shot(page, "script-title")
