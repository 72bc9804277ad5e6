"""The biller's whole journey through the console, as people do it in a browser.

One journey, in English or in Bahasa Indonesia: the company admin registers a biller code,
the maker tops it up by virtual account, the approver approves, the company's treasurer
pays on the sandbox bank's page; the maker uploads a bill file with one bad row, reads the
report, fixes the row in the error file and uploads it again, submits; the approver
approves; the payer sees the bill in the sandbox Livin' app once its start has come and
pays it; the console shows it paid and the dashboard moves.

Every person has a browser context of their own (cookies, language); the pages are driven
by their visible labels, so the labels in the chosen language are checked on the way.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, BrowserContext, Page, expect

from demo import seed as demo
from tests.factories import code_for

CODE_TO_REGISTER = "89124"  # the demo's code that can be registered
TOPUP_UNITS = 100
BUDI = "+6281234567890"  # Livin' users of the demo
SITI = "+6281298765432"
BAD_PHONE = "0812-ABC-999"
START_DELAY = dt.timedelta(seconds=20)  # the fixed row's bill is shown this long after the file is made

# What each label reads in Bahasa Indonesia (locale/id/LC_MESSAGES/django.po). The English
# journey reads the keys themselves; a key missing here fails the Indonesian journey.
INDONESIAN: dict[str, str] = {
    # sign-in
    "Sign in to Bill Reminder": "Masuk ke Bill Reminder",
    "Company ID": "Company ID",  # as Kopra's Indonesian console says it
    "User ID": "User ID",
    "Password": "Kata sandi",
    "Continue": "Lanjutkan",
    "Enter your one-time code": "Masukkan kode sekali pakai Anda",
    "One-time code": "Kode sekali pakai",
    "Sign in": "Masuk",
    # menu
    "Home": "Beranda",
    "Dashboard": "Dasbor",
    "Bills": "Tagihan",
    "Uploads": "Unggahan",
    "Biller codes": "Kode biller",
    "Quota": "Kuota",
    # biller codes
    "Not registered": "Belum terdaftar",
    "Register {code}": "Daftarkan {code}",
    "Biller code {code} is registered for Bill Reminder with {units} pushes.":
        "Kode biller {code} terdaftar untuk Bill Reminder dengan {units} push.",
    "Registered · active": "Terdaftar · aktif",
    # top-up
    "Top up": "Top up",
    "Top up {code}": "Top up {code}",
    "Number of pushes": "Jumlah push",
    "Virtual account transfer": "Transfer ke virtual account",
    "See the price": "Lihat harga",
    "Check your order": "Periksa pesanan Anda",
    "Send for approval": "Kirim untuk disetujui",
    "waits for an approver": "menunggu approver",
    "Approve": "Setujui",
    "Approvals": "Persetujuan",
    "How to pay": "Cara membayar",
    "Paid": "Lunas",
    "Receipt": "Bukti pembayaran",
    "Payment receipt": "Bukti pembayaran",
    "Statement": "Mutasi",
    "Top-up #": "Top up #",
    # the sandbox bank and Livin'
    "Virtual account number": "Nomor virtual account",
    "Amount to transfer (IDR)": "Nominal transfer (IDR)",
    "Look up": "Cari",
    "Pay": "Bayar",
    "Paid. The bank has reported the payment of virtual account {va}.":
        "Lunas. Bank telah melaporkan pembayaran virtual account {va}.",
    "Virtual account {va} is already paid.": "Virtual account {va} sudah dibayar.",
    "Payment successful. The biller has been told.": "Pembayaran berhasil. Biller telah diberi tahu.",
    # uploads
    "Upload a file": "Unggah file",
    "Biller code": "Kode biller",
    "Bill file": "File tagihan",
    "Upload and check": "Unggah dan periksa",
    "Error file (.csv)": "File error (.csv)",
    "Submit": "Kirim",
    "1 bill waits for approval": "1 tagihan menunggu persetujuan",
    "Approved by approver": "Disetujui oleh approver",
    # settlement
    "credited on": "dikreditkan pada",
    "Status": "Status",
    "Apply": "Terapkan",
    "Settlement": "Settlement",
}


@dataclass
class Journey:
    browser: Browser
    base_url: str
    language: str  # "en" or "id"
    authenticators: dict[str, TOTPDevice]  # by User ID; the journey makes no database query
    shots: Path
    files: Path
    viewport: dict = field(default_factory=lambda: {"width": 1366, "height": 900})
    started: float = field(default_factory=time.monotonic)
    step: int = 0
    timings: list[str] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)

    # --- language -----------------------------------------------------------------------

    def t(self, english: str) -> str:
        """The label as the page shows it in this journey's language."""
        return english if self.language == "en" else INDONESIAN[english]

    @staticmethod
    def money(rupiah: int) -> str:
        """``Rp 38.850``: money reads the Indonesian way in both languages."""
        return "Rp " + f"{rupiah:,}".replace(",", ".")

    def number(self, value: int) -> str:
        text = f"{value:,}"
        return text.replace(",", ".") if self.language == "id" else text

    # --- people and pages ---------------------------------------------------------------

    def person(self) -> Page:
        """A new person at a new browser: no cookies, English-speaking browser."""
        context = self.browser.new_context(
            base_url=self.base_url, locale="en-US", timezone_id="Asia/Jakarta",
            viewport=self.viewport, accept_downloads=True,
        )
        context.set_default_timeout(20_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.timings.append(f"page error on {page.url}: {error}"))
        return page

    def shot(self, page: Page, name: str) -> None:
        """Saves NN-name.png of the whole page and notes the time since the start."""
        self.step += 1
        page.screenshot(path=self.shots / f"{self.step:02d}-{name}.png", full_page=True)
        self.timings.append(f"{time.monotonic() - self.started:6.1f}s  {self.step:02d}-{name}  {page.url}")

    def styled(self, page: Page) -> None:
        """The stylesheet arrived: the header bar is laid out as a flex row, not as bare text."""
        expect(page.locator("header.topbar")).to_have_css("display", "flex")

    def switch_language(self, page: Page) -> None:
        """Uses the switch in the page header, as a person would."""
        if self.language == "en":
            return
        page.locator("#lang-select").select_option(self.language)
        page.locator("form.lang button[type=submit]").click()
        expect(page.locator("html")).to_have_attribute("lang", self.language)

    def sign_in(self, page: Page, user_id: str, *, shots: bool = False) -> None:
        password = next(spec["password"] for spec in demo.COMPANY_USERS if spec["user_id"] == user_id)
        page.goto("/login/")
        self.switch_language(page)
        expect(page.get_by_role("heading", level=1)).to_have_text(self.t("Sign in to Bill Reminder"))
        page.get_by_label(self.t("Company ID")).fill(demo.DEMO_COMPANY_ID)
        page.get_by_label(self.t("User ID")).fill(user_id)
        page.get_by_label(self.t("Password")).fill(password)
        if shots:
            self.styled(page)
            self.shot(page, "sign-in")
        page.get_by_role("button", name=self.t("Continue")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(self.t("Enter your one-time code"))
        page.get_by_label(self.t("One-time code")).fill(code_for(self.authenticators[user_id]))
        if shots:
            self.shot(page, "one-time-code")
        page.get_by_role("button", name=self.t("Sign in")).click()
        expect(page.locator(".who")).to_contain_text(f"({user_id})")
        expect(page.locator("html")).to_have_attribute("lang", self.language)

    def confirm(self, page: Page, *, shot: str = "") -> None:
        """Answers yes to the question an irreversible action asks first (confirm.js's dialog)."""
        dialog = page.locator("#confirm-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.locator("#confirm-dialog-message")).not_to_be_empty()
        if shot:
            self.shot(page, shot)
        dialog.locator("[data-confirm-accept]").click()
        expect(dialog).to_be_hidden()

    def nav(self, page: Page, label: str) -> None:
        page.wait_for_load_state("domcontentloaded")  # nav.js has folded the menu or not
        toggle = page.locator(".sidenav .nav-toggle")
        if toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false":
            toggle.click()  # a phone folds the menu behind one button
        # The link's name may go on with a count ("Approvals 2").
        name = re.compile(rf"^{re.escape(self.t(label))}(\s+\d+.*)?$")
        page.get_by_role("navigation").get_by_role("link", name=name).click()

    def close(self, *, failed: bool = False) -> None:
        """Closes every browser; after a failure, first keeps what each person's page showed."""
        self.shots.mkdir(parents=True, exist_ok=True)
        for number, context in enumerate(self.contexts, start=1):
            for page in context.pages if failed else []:
                page.screenshot(path=self.shots / f"failed-person{number}.png", full_page=True)
                self.timings.append(f"failed: person {number} was at {page.url}")
            context.close()
        self.timings.append(f"{time.monotonic() - self.started:6.1f}s  {'failed' if failed else 'done'}")
        (self.shots / "timings.txt").write_text("\n".join(self.timings) + "\n")

    # --- the journey ----------------------------------------------------------------------

    def run(self) -> None:
        admin, maker, approver, bank = self.person(), self.person(), self.person(), self.person()

        # The company admin signs in with the one-time code and registers a biller code.
        self.sign_in(admin, "admin", shots=True)
        figures_before = self.dashboard_figures(admin)
        assert figures_before["figure-pushes-today"] == "0", figures_before
        assert (figures_before["figure-active"], figures_before["figure-paid-rate"]) == ("0", "—"), figures_before
        self.shot(admin, "dashboard-before")
        self.nav(admin, "Biller codes")
        expect(admin.get_by_role("heading", level=1)).to_have_text(self.t("Biller codes"))
        row = admin.get_by_role("row").filter(has_text=CODE_TO_REGISTER)
        expect(row).to_contain_text(self.t("Not registered"))
        self.shot(admin, "biller-codes")
        row.get_by_role("button", name=self.t("Register {code}").format(code=CODE_TO_REGISTER)).click()
        self.confirm(admin, shot="register-asks-first")
        expect(admin.locator(".messages")).to_contain_text(
            self.t("Biller code {code} is registered for Bill Reminder with {units} pushes.").format(
                code=CODE_TO_REGISTER, units=self.number(1000)))
        expect(row).to_contain_text(self.t("Registered · active"))
        expect(row.locator("td.num")).to_have_text(self.number(1000))
        self.shot(admin, "biller-code-registered")

        # The maker orders 100 pushes, to be paid by virtual account.
        self.sign_in(maker, "maker")
        self.nav(maker, "Quota")
        row = maker.get_by_role("row").filter(has_text=CODE_TO_REGISTER)
        row.get_by_role("link", name=self.t("Top up"), exact=True).click()
        expect(maker.get_by_role("heading", level=1)).to_have_text(
            self.t("Top up {code}").format(code=CODE_TO_REGISTER))
        maker.get_by_label(self.t("Number of pushes")).fill(str(TOPUP_UNITS))
        maker.get_by_label(self.t("Virtual account transfer")).check()
        maker.get_by_role("button", name=self.t("See the price")).click()
        expect(maker.get_by_role("heading", name=self.t("Check your order"))).to_be_visible()
        expect(maker.locator("#quote-total")).to_have_text(self.money(38_850))
        self.shot(maker, "top-up-price")
        maker.get_by_role("button", name=self.t("Send for approval")).click()
        expect(maker.locator(".messages")).to_contain_text(self.t("waits for an approver"))
        order_url = maker.url

        # The approver finds it in the approval queue, with what approving it does, and approves.
        self.sign_in(approver, "approver")
        self.nav(approver, "Approvals")
        request = approver.locator("#queue-topups article").filter(has_text=CODE_TO_REGISTER)
        expect(request).to_contain_text(self.money(38_850))
        self.shot(approver, "approval-queue-top-up")
        request.get_by_role("button", name=self.t("Approve"), exact=True).click()
        self.confirm(approver)
        expect(request).to_have_count(0)

        # The order now shows the maker its one-time virtual account.
        maker.goto(order_url)
        expect(maker.get_by_role("heading", name=self.t("How to pay"))).to_be_visible()
        va_number = maker.locator("#order-va").inner_text().strip()
        assert re.fullmatch(r"\d{10,20}", va_number), va_number
        self.shot(maker, "top-up-virtual-account")

        # The company's treasurer pays it at the bank (the sandbox payment page).
        bank.goto("/sandbox/pay/")
        self.switch_language(bank)
        bank.get_by_label(self.t("Virtual account number")).fill(va_number)
        bank.get_by_role("button", name=self.t("Look up")).click()
        expect(bank.locator("#va-amount")).to_have_text(self.money(38_850))
        self.styled(bank)
        self.shot(bank, "sandbox-bank-pay")
        bank.get_by_role("button", name=self.t("Pay"), exact=True).click()
        expect(bank.locator(".messages")).to_contain_text(
            self.t("Paid. The bank has reported the payment of virtual account {va}.").format(va=va_number))
        self.shot(bank, "sandbox-bank-paid")
        # Paying the same virtual account again is refused: the quota is credited once.
        bank.get_by_label(self.t("Amount to transfer (IDR)")).fill("38850.00")
        bank.get_by_role("button", name=self.t("Look up")).click()
        expect(bank.get_by_role("alert")).to_contain_text(
            self.t("Virtual account {va} is already paid.").format(va=va_number))
        self.shot(bank, "sandbox-bank-second-payment-refused")

        # The maker sees the order paid, its receipt, and 1,100 pushes available.
        maker.reload()
        expect(maker.locator(".badge").first).to_have_text(self.t("Paid"))
        maker.get_by_role("link", name=self.t("Receipt")).click()
        expect(maker.get_by_role("heading", level=1)).to_have_text(self.t("Payment receipt"))
        expect(maker.locator("#receipt-units")).to_have_text(str(TOPUP_UNITS))
        expect(maker.locator("#receipt-total")).to_have_text(self.money(38_850))
        self.shot(maker, "top-up-receipt")
        self.nav(maker, "Quota")
        row = maker.get_by_role("row").filter(has_text=CODE_TO_REGISTER)
        expect(row.locator("td.num").nth(2)).to_have_text(self.number(1000 + TOPUP_UNITS))
        row.get_by_role("link", name=self.t("Statement")).click()
        # Today's line of the statement: the 100 pushes topped up; the day opens its movements.
        today_line = maker.locator("#statement-table tbody tr").first
        expect(today_line.locator("td").nth(2)).to_have_text(f"+{TOPUP_UNITS}")
        self.shot(maker, "quota-statement")
        today_line.get_by_role("link").click()
        expect(maker.get_by_role("link", name=re.compile(self.t("Top-up #")))).to_have_count(1)
        self.shot(maker, "quota-movements")

        # The maker uploads a bill file with one bad row and reads the report.
        # To the second, as the file writes it: the bill starts exactly then, not up to a second later.
        start_at = (timezone.localtime() + START_DELAY).replace(microsecond=0)
        first = self.upload(maker, self.bill_file(start_at), "tagihan-november.csv", rows=2, valid=1, invalid=1,
                            shot="upload-form")
        errors = maker.locator("#upload-errors")
        expect(errors.get_by_role("row").filter(has_text=BAD_PHONE)).to_be_visible()
        self.shot(maker, "upload-report-with-error")
        with maker.expect_download() as download:
            errors.get_by_role("link", name=self.t("Error file (.csv)")).click()
        error_file = self.files / download.value.suggested_filename
        download.value.save_as(error_file)
        fixed = self.files / "tagihan-november-fixed.csv"
        fixed.write_text(self.fix_phone(error_file.read_text(encoding="utf-8-sig")), encoding="utf-8")

        # Submits the valid row of the first file, uploads the fixed file and submits it.
        maker.goto(first)
        self.submit(maker)
        second = self.upload(maker, fixed, fixed.name, rows=1, valid=1, invalid=0)
        self.shot(maker, "fixed-upload-report")
        self.submit(maker)
        self.shot(maker, "upload-submitted")

        # The approver (another person) approves both uploads from the approval queue.
        self.nav(approver, "Approvals")
        requests = approver.locator("#queue-uploads article")
        expect(requests).to_have_count(2)
        self.shot(approver, "approval-queue-uploads")
        for url, rupiah in ((first, 150_000), (second, 175_000)):
            upload_id = url.rstrip("/").rsplit("/", 1)[1]
            # The card says what the approver releases: one bill, and its Rp.
            worth = approver.locator(f"#queue-upload-{upload_id}-worth")
            expect(worth).to_have_attribute("data-bills", "1")
            expect(worth).to_have_attribute("data-total", f"{rupiah}.00")
            expect(worth).to_contain_text(self.money(rupiah))
        for url in (first, second):
            upload_id = url.rstrip("/").rsplit("/", 1)[1]
            approve = approver.locator(f"#queue-upload-{upload_id}").get_by_role(
                "button", name=self.t("Approve"), exact=True)
            approve.click()
            self.confirm(approver)
            expect(approve).to_have_count(0)  # gone, or being carried out by the worker
        for url in (first, second):
            approver.goto(url)
            expect(approver.locator("#upload-outcome")).to_contain_text(self.t("Approved by approver"),
                                                                        timeout=60_000)
        self.shot(approver, "upload-approved")

        # The payer's phone shows the bill once its start has come, and the payer pays it.
        bank.goto("/sandbox/livin/")
        bank.get_by_role("link", name=SITI).click()
        expect(bank.get_by_role("heading", level=1)).to_have_text(f"Livin' · {SITI}")
        bill_card = bank.locator("article").filter(has_text="AIR-2611-002")
        if timezone.localtime() < start_at - dt.timedelta(seconds=3):
            expect(bill_card).to_have_count(0)
            self.shot(bank, "livin-before-start")
        self.reload_until_visible(bank, bill_card, until=start_at + dt.timedelta(seconds=60))
        assert timezone.localtime() >= start_at, "shown before its start"
        expect(bill_card).to_contain_text(self.money(175_000))
        self.shot(bank, "livin-bill-displayed")
        bill_card.get_by_role("button", name=self.t("Pay"), exact=True).click()
        expect(bank.locator(".messages")).to_contain_text(self.t("Payment successful. The biller has been told."))
        expect(bill_card).to_have_count(0)
        self.shot(bank, "livin-paid")

        # The console shows the bill paid, and the dashboard has moved.
        self.nav(maker, "Bills")
        maker.get_by_role("row").filter(has_text="AIR-2611-002").get_by_role("link").first.click()
        expect(maker.locator(".page-head .badge")).to_have_text(self.t("Paid"))
        expect(maker.locator(".timeline li").last).to_contain_text(self.t("Paid"))
        self.shot(maker, "bill-paid")
        # The bank credited the payment to the code's collection account: the bill shows its
        # settlement, and the day's settlement lists it.
        settled = maker.locator("#bill-settlement", has_text=self.t("credited on"))
        self.reload_until_visible(maker, settled, until=timezone.localtime() + dt.timedelta(seconds=60))
        settled.get_by_role("link").click()
        expect(maker.locator("#settlement-payments")).to_have_text("1")
        expect(maker.locator("#settlement-amount")).to_have_text(self.money(175_000))
        expect(maker.locator("#settlement-lines")).to_contain_text("AIR-2611-002")
        self.shot(maker, "settlement")
        # The bill list counts and totals what it holds, and what a filter leaves.
        self.nav(maker, "Bills")
        totals = maker.locator("#bill-totals")
        expect(totals).to_have_attribute("data-count", "2")
        expect(totals).to_have_attribute("data-total", "325000.00")
        expect(totals).to_contain_text(self.money(325_000))
        maker.wait_for_load_state("domcontentloaded")
        if maker.locator("#bill-filters .filter-toggle").is_visible():
            maker.locator("#bill-filters .filter-toggle").click()  # folded on a phone
        maker.get_by_label(self.t("Status")).select_option("PAID")
        maker.locator("#bill-filters").get_by_role("button", name=self.t("Apply")).click()
        expect(totals).to_have_attribute("data-total", "175000.00")
        self.shot(maker, "bill-list-paid-total")
        self.nav(admin, "Home")
        # Money first: billed this month, collected, and what is still out.
        expect(admin.locator("#money-billed")).to_have_attribute("data-total", "325000.00")
        expect(admin.locator("#money-collected")).to_have_attribute("data-total", "175000.00")
        expect(admin.locator("#money-outstanding")).to_have_attribute("data-total", "150000.00")
        expect(admin.locator("#money-collected")).to_contain_text(self.money(175_000))
        expect(admin.locator("#figure-paid-rate")).to_have_text("50%")  # 1 paid of the 2 shown
        expect(admin.locator("#figure-pushes-today")).to_have_text("2")
        expect(admin.locator("#figure-active")).to_have_text("1")  # Budi's, still shown in Livin'
        self.shot(admin, "dashboard-after")

    # --- steps used twice -----------------------------------------------------------------

    def upload(self, maker: Page, path: Path, name: str, *, rows: int, valid: int, invalid: int,
               shot: str = "") -> str:
        self.nav(maker, "Uploads")
        maker.get_by_role("link", name=self.t("Upload a file")).first.click()
        expect(maker.locator("#upload-risk")).to_be_visible()
        maker.get_by_label(self.t("Biller code")).select_option(label=f"{CODE_TO_REGISTER} · Tagihan Air Industri")
        maker.get_by_label(self.t("Bill file")).set_input_files(
            {"name": name, "mimeType": "text/csv", "buffer": path.read_bytes()})
        if shot:
            self.shot(maker, shot)
        maker.get_by_role("button", name=self.t("Upload and check")).click()
        # The page follows the check in the background and turns into the report by itself.
        expect(maker.locator("#total-rows")).to_have_text(str(rows), timeout=60_000)
        expect(maker.locator("#total-valid")).to_have_text(str(valid))
        expect(maker.locator("#total-invalid")).to_have_text(str(invalid))
        return maker.url

    def submit(self, maker: Page) -> None:
        maker.locator("#upload-actions").get_by_role("button", name=re.compile(self.t("Submit"))).click()
        self.confirm(maker)
        expect(maker.locator("#upload-actions")).to_contain_text(self.t("1 bill waits for approval"), timeout=60_000)

    def reload_until_visible(self, page: Page, locator, *, until: dt.datetime) -> None:
        """The payer's app has no live updates: look again (reload) until the bill is there."""
        while True:
            try:
                expect(locator).to_be_visible(timeout=2_000)
                return
            except AssertionError:
                if timezone.localtime() > until:
                    raise
                page.reload()

    def dashboard_figures(self, page: Page) -> dict[str, str]:
        """The key figures of the dashboard (the home page), by their element id."""
        expect(page.get_by_role("heading", level=1)).to_have_text(self.t("Dashboard"))
        figures = page.locator("#dashboard-figures .stat-value")
        expect(figures.first).to_be_visible()
        return {figures.nth(i).get_attribute("id"): figures.nth(i).inner_text().strip()
                for i in range(figures.count())}

    # --- the files ------------------------------------------------------------------------

    def bill_file(self, start_at: dt.datetime) -> Path:
        """Two bills: Budi's shown from today, Siti's from ``start_at`` with a mistyped phone."""
        today = timezone.localdate()
        end = (today + dt.timedelta(days=7)).strftime("%d/%m/%Y")
        path = self.files / "tagihan-november.csv"
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["bill_key", "payer_phone", "payer_name", "amount", "description", "start_date",
                             "end_date"])
            writer.writerow(["AIR-2611-001", "0812-3456-7890", "Budi Santoso", "150000", "Tagihan air November",
                             today.strftime("%d/%m/%Y"), end])
            writer.writerow(["AIR-2611-002", BAD_PHONE, "Siti Rahma", "Rp 175.000", "Tagihan air November",
                             start_at.isoformat(timespec="seconds"), end])
        return path

    @staticmethod
    def fix_phone(text: str) -> str:
        """What the maker does in a spreadsheet: corrects the phone in the error file's row."""
        rows = list(csv.reader(io.StringIO(text)))
        header = [name.strip().lower() for name in rows[0]]
        phone = header.index("payer_phone")
        fixed = [rows[0]]
        for row in rows[1:]:
            if row and row[phone] == BAD_PHONE:
                row[phone] = "0812-9876-5432"
            fixed.append(row)
        assert len(fixed) == 2, f"the error file holds the one bad row: {rows}"
        out = io.StringIO()
        csv.writer(out).writerows(fixed)
        return out.getvalue()
