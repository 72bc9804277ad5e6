"""Every console page, as each role sees it, on a 1366 px laptop and a 390 px phone, in both languages.

On each page: nothing wider than the window, every irreversible action asks first (and the
question opens and can be declined), no serious or critical accessibility violation
(axe-core, from the axe-playwright-python package, injected into the page: nothing is
fetched from outside), and the Rp totals of the dashboard and the bill list equal the
database's. Screenshots land in artifacts/screenshots/console-pages-<language>/.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

# A POST to one of these cannot be taken back: the form must ask first (data-confirm).
IRREVERSIBLE = re.compile(
    r"/(cancel|cancel-selected|revoke|active|two-factor|password|stop|approve|reject|refuse|rotate|discard|debit)/$"
    r"|/approvals/.+/(approve|reject)/$")
NOT_IRREVERSIBLE = re.compile(r"^/(logout|language|account/password)/$")

# What reaches past the window's right edge while its parent does not, or placed out of its
# parent's flow (an absolutely placed element escapes the scrolling box it sits in).
WIDEST = """() => {
  const past = el => el.getBoundingClientRect().right > window.innerWidth + 1;
  const placed = el => ["absolute", "fixed"].includes(getComputedStyle(el).position);
  const name = el => el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ").join(".") : "");
  return Array.from(document.querySelectorAll("body *"))
    .filter(el => past(el) && (!past(el.parentElement) || placed(el))).slice(0, 6)
    .map(el => name(el) + " in " + name(el.parentElement) + " to " + Math.round(el.getBoundingClientRect().right));
}"""

# What each role opens; {bill}, {upload}, {account}, ... are filled from the data below.
PAGES = {
    "admin": ["home", "bill_list", "bill_detail {bill}", "upload_list", "report", "settlement_list",
              "biller_codes", "quota_overview", "quota_detail {account}", "topup_list", "users_list",
              "user_edit {maker}", "credential_list", "credential_create", "callback_settings",
              "company_settings", "audit_log", "mail_preferences", "password_change", "help"],
    "maker": ["home", "bill_list", "bill_detail {bill}", "bill_entry", "upload_new", "topup_new {account}",
              "quota_movements {account}"],
    "approver": ["home", "approval_queue"],
    "viewer": ["home", "bill_list"],
}


@pytest.fixture
def console_data(demo):
    """Bills in several states and a bill waiting for approval, on the demo's registered code."""
    from billers.models import Registration, User
    from quota.models import QuotaAccount
    from reminders.models import Bill, BillStatus
    from tests.console_data import bills
    from tests.factories import make_bill

    registration = Registration.objects.get(biller_code__code="89123")
    maker = User.objects.get(company=registration.company, user_id="maker")
    made = [make_bill(registration, number, actor=maker, amount=Decimal(125_000 + 1_000 * number),
                      payer_name=f"Pelanggan Nomor {number} dengan Nama yang Cukup Panjang")
            for number in range(1, 4)]
    now = timezone.now()
    bills(registration, 2, status=BillStatus.PAID, paid_at=now, paid_amount=Decimal("99000.00"),
          amount=Decimal("99000.00"), payment_channel="MBP", payment_reference=lambda i: f"PAYREF{i}")
    company_bills = Bill.objects.filter(company=registration.company)
    return {
        "company_id": registration.company_id,
        "bill": made[0].reference_no,
        "account": QuotaAccount.objects.get(registration=registration).pk,
        "maker": maker.pk,
        "bill_count": company_bills.count(),
        "bill_total": company_bills.aggregate(rp=Sum("amount"))["rp"],
        "authenticators": demo["authenticators"],
    }


def _url(spec: str, data: dict) -> str:
    name, _, arg = spec.partition(" ")
    if not arg:
        return reverse(name)
    return reverse(name, args=[data[arg.strip("{}")]])


@pytest.mark.parametrize("language", ["en", "id"])
def test_every_console_page_fits_asks_first_and_is_accessible(
        language, browser_installed, console_data, static_files_served, live_server_fresh_connections,
        screenshots, chromium):
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    from tests.browser.journey import Journey

    shots = screenshots(f"console-pages-{language}")
    journey = Journey(chromium, live_server_fresh_connections.url, language, console_data["authenticators"],
                      shots=shots, files=shots)
    axe = Axe()
    problems: list[str] = []
    failed = True
    try:
        for role, pages in PAGES.items():
            page = journey.person()
            page.set_viewport_size(LAPTOP)
            journey.sign_in(page, role)
            for spec in pages:
                url = _url(spec, console_data)
                for viewport, width_name in ((LAPTOP, "laptop"), (PHONE, "phone")):
                    page.set_viewport_size(viewport)
                    page.goto(url)
                    journey.styled(page)
                    name = f"{role}-{spec.split()[0]}-{width_name}"
                    wide = page.evaluate("document.documentElement.scrollWidth")
                    if wide > viewport["width"] + 1:
                        problems.append(f"{name}: the page is {wide} px wide in a {viewport['width']} px window, "
                                        f"because of {page.evaluate(WIDEST)}")
                    menu_folds = page.locator(".sidenav .nav-toggle").is_visible()
                    if menu_folds != (width_name == "phone"):
                        problems.append(f"{name}: the menu's fold button is {'shown' if menu_folds else 'hidden'}")
                    if width_name == "phone":
                        journey.shot(page, name)
                        continue
                    problems += [f"{name}: {problem}" for problem in _unasked(page)]
                    found = axe.run(page, options={"resultTypes": ["violations"]})
                    for violation in found.response["violations"]:
                        if violation["impact"] in ("serious", "critical"):
                            targets = [node["target"] for node in violation["nodes"]][:3]
                            problems.append(f"{name}: axe {violation['impact']} {violation['id']} at {targets}")
                    journey.shot(page, name)
            if role == "maker":
                _cancel_asks_and_can_be_declined(page, journey, console_data, expect)
            if role == "viewer":
                page.set_viewport_size(LAPTOP)
                page.goto(reverse("bill_list"))
                totals = page.locator("#bill-totals")
                assert int(totals.get_attribute("data-count")) == console_data["bill_count"]
                assert Decimal(totals.get_attribute("data-total")) == console_data["bill_total"]
                expect(totals).to_contain_text(Journey.money(int(console_data["bill_total"])))
        assert not problems, "\n".join(problems)
        failed = False
    finally:
        journey.close(failed=failed)


def _unasked(page) -> list[str]:
    """The irreversible forms of the page that would go without asking first."""
    forms = page.eval_on_selector_all(
        "form", "forms => forms.map(f => [f.method, new URL(f.action, location).pathname, "
                "f.getAttribute('data-confirm') || ''])")
    return [f"{action} goes without asking first" for method, action, question in forms
            if method == "post" and IRREVERSIBLE.search(action) and not NOT_IRREVERSIBLE.match(action)
            and not question.strip()]


def _cancel_asks_and_can_be_declined(page, journey, data, expect) -> None:
    """Cancelling a bill asks in the page's language; declining leaves the bill as it was."""
    page.set_viewport_size(LAPTOP)
    page.goto(reverse("bill_detail", args=[data["bill"]]))
    form = page.locator(f"form[action$='/bills/{data['bill']}/cancel/']")
    form.locator("button[type=submit]").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(form.get_attribute("data-confirm").split("?")[0])
    journey.shot(page, "maker-cancel-asks-first")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.url.endswith(f"/bills/{data['bill']}/"), page.url
    expect(page.locator(f"form[action$='/bills/{data['bill']}/cancel/']")).to_have_count(1)


def test_the_sweep_covers_every_console_menu_page():
    """A page added to the menu is added to the sweep too."""
    from pathlib import Path

    base = (Path(__file__).resolve().parents[2] / "templates" / "base.html").read_text()
    in_menu = set(re.findall(r"<li><a href=\"\{% url '([a-z_]+)' %\}", base))
    swept = {spec.split()[0] for pages in PAGES.values() for spec in pages}
    assert in_menu <= swept, in_menu - swept

