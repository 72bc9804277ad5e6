"""Bahasa Indonesia everywhere: a complete catalogue, pages without English left over, the choice remembered.

The catalogue is read with a few lines of Python (no polib, no gettext tools), so these
tests run on a machine that has neither.
"""

import ast
import gettext
import io
import re
import tokenize
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import engines
from django.test import Client
from django.urls import reverse
from django.utils.translation.template import templatize

from billers.models import User
from fileformat.headers import COLUMNS
from reminders.models import Upload
from tests.conftest import sign_in
from tests.factories import PASSWORD, AgreementFactory, UserFactory, authenticator, code_for, registered_code

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "id" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
APPS = ("billers", "console", "core", "demo", "fileformat", "kopra", "livin", "notifications", "quota", "reminders",
        "snap")
PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[-+ #0]*\d*(?:\.\d+)?[sdifr%]")
TAG = re.compile(r"<[^>]+>")


# --- The catalogue ----------------------------------------------------------------------


def read_po(path: Path) -> list[dict]:
    """Entries of a PO file: flags, msgctxt, msgid, msgid_plural, msgstr (or msgstr[n])."""
    entries, entry, key = [], None, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if entry and "msgid" in entry:
                entries.append(entry)
            entry, key = None, None
            continue
        entry = entry if entry is not None else {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            target = entry["msgstr"] if isinstance(key, int) else entry
            target[key] += ast.literal_eval(line)
        else:
            word, _, value = line.partition(" ")
            found = re.fullmatch(r"msgstr\[(\d+)\]", word)
            key = int(found.group(1)) if found else (0 if word == "msgstr" else word)
            (entry["msgstr"] if isinstance(key, int) else entry)[key] = ast.literal_eval(value)
    return entries


ENTRIES = [entry for entry in read_po(PO) if entry["msgid"]]


def catalogue_key(entry) -> str:
    return f"{entry['msgctxt']}\x04{entry['msgid']}" if "msgctxt" in entry else entry["msgid"]


def test_the_catalogue_is_bahasa_indonesia_with_one_plural_form():
    header = next(entry for entry in read_po(PO) if entry["msgid"] == "")
    assert "fuzzy" not in header["flags"]
    assert "Language: id\n" in header["msgstr"][0] and "Plural-Forms: nplurals=1; plural=0;" in header["msgstr"][0]
    assert len(ENTRIES) > 500


def test_every_message_is_translated_and_none_is_fuzzy():
    fuzzy = [entry["msgid"] for entry in ENTRIES if "fuzzy" in entry["flags"]]
    empty = [entry["msgid"] for entry in ENTRIES if not all(entry["msgstr"].values())]
    assert fuzzy == [] and empty == []


def test_translations_keep_every_placeholder_and_html_tag():
    broken = []
    for entry in ENTRIES:
        for translation in entry["msgstr"].values():
            sources = [entry["msgid"]] + ([entry["msgid_plural"]] if "msgid_plural" in entry else [])
            if not any(sorted(PLACEHOLDER.findall(s)) == sorted(PLACEHOLDER.findall(translation)) for s in sources):
                broken.append((entry["msgid"], translation))
            if sorted(TAG.findall(entry["msgid"])) != sorted(TAG.findall(translation)):
                broken.append((entry["msgid"], translation))
    assert broken == []


def test_the_committed_mo_file_is_compiled_from_the_po_file():
    """CI machines may lack msgfmt: the .mo is committed, so it must not lag behind the .po."""
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in ENTRIES:
        if "msgid_plural" in entry:
            shown = compiled.ngettext(entry["msgid"], entry["msgid_plural"], 1)
            context = entry.get("msgctxt")
            if context:
                shown = compiled.npgettext(context, entry["msgid"], entry["msgid_plural"], 1)
        elif "msgctxt" in entry:
            shown = compiled.pgettext(entry["msgctxt"], entry["msgid"])
        else:
            shown = compiled.gettext(entry["msgid"])
        if shown != entry["msgstr"][0]:
            stale.append(entry["msgid"])
    assert stale == [], "run: python manage.py compilemessages -l id --ignore=.venv"


def _template_messages(path: Path) -> set[str]:
    """What makemessages extracts from a template, found the way it does: templatize, then the calls."""
    # Each call's strings are written with repr(), one line each: dropping the indentation is safe.
    code = "\n".join(line.strip() for line in templatize(path.read_text(encoding="utf-8"), origin=str(path))
                      .splitlines())
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(code).readline)
              if t.type in (tokenize.NAME, tokenize.OP, tokenize.STRING)]
    found = set()
    for at, token in enumerate(tokens[:-1]):
        if token.string not in ("_", "gettext", "ngettext", "pgettext", "npgettext") or tokens[at + 1].string != "(":
            continue
        strings = []
        for argument in tokens[at + 2:]:
            if argument.type == tokenize.STRING:
                strings.append(ast.literal_eval(argument.string))
            elif argument.string != ",":
                break
        if token.string.startswith(("pgettext", "npgettext")) and len(strings) >= 2:
            found.add(f"{strings[0]}\x04{strings[1]}")
        elif strings:
            found.add(strings[0])
    return found


TRANSLATING_CALLS = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy",
                     "pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}


def _python_messages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in TRANSLATING_CALLS):
            continue
        strings = [arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
        if node.func.id.startswith(("pgettext", "npgettext")) and len(strings) >= 2:
            found.add(f"{strings[0]}\x04{strings[1]}")
        elif strings and len(strings) == len(node.args[: len(strings)]):
            found.add(strings[0])
    return found


def _sources(pattern: str):
    roots = [ROOT / "templates", *(ROOT / app for app in APPS)]
    for root in roots:
        for path in sorted(root.rglob(pattern)):
            if "migrations" not in path.parts:
                yield path


def test_every_message_of_every_template_and_module_is_in_the_catalogue():
    """A new English string fails here until it has its Indonesian: makemessages, translate, compilemessages."""
    translated = {catalogue_key(entry) for entry in ENTRIES if all(entry["msgstr"].values())}
    missing = []
    for path in [*_sources("*.html"), *_sources("*.txt")]:
        missing += [(str(path.relative_to(ROOT)), m) for m in _template_messages(path) - translated]
    for path in _sources("*.py"):
        missing += [(str(path.relative_to(ROOT)), m) for m in _python_messages(path) - translated]
    assert missing == [], (
        "untranslated: run python manage.py makemessages -l id --ignore=.venv --ignore=var --ignore=tests "
        "--ignore=bench, fill the new msgstr, then compilemessages -l id --ignore=.venv"
    )


# --- Pages in Indonesian --------------------------------------------------------------------

# English msgids whose Indonesian differs, shown in a page as a whole piece of text: if
# one of them appears in an Indonesian page, that piece was not translated.
ENGLISH = {
    entry["msgid"] for entry in ENTRIES
    if "msgid_plural" not in entry and "%" not in entry["msgid"] and entry["msgstr"][0] != entry["msgid"]
} - {column.name for column in COLUMNS}  # bill_key, amount...: the file's column names, the same in both


class _Text(HTMLParser):
    """Visible text pieces and labelling attributes, outside <script>, <style> and <code> (names, values)."""

    LABELS = ("aria-label", "placeholder", "alt", "title")

    def __init__(self):
        super().__init__()
        self.pieces, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "code"):
            self._skip += 1
        self.pieces += [value for name, value in attrs if name in self.LABELS and value]

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.pieces.append(" ".join(data.split()))


def english_left_in(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return sorted({piece for piece in parser.pieces if piece in ENGLISH})


@pytest.fixture
def indonesian_maker(db, company):
    company.approval_for_upload = False
    company.save()
    user = UserFactory(company=company, user_id="budi", is_maker=True, is_approver=True, is_admin=True,
                       language="id")
    return user


@pytest.fixture
def id_client(client, indonesian_maker):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    return sign_in(client, indonesian_maker)


def test_the_sign_in_page_reads_in_indonesian(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="id">' in html
    assert "Masuk ke Bill Reminder" in html and "Kata sandi" in html and "Lanjutkan" in html and "Bantuan" in html
    assert "Sign in to Bill Reminder" not in html and "Password" not in html
    assert english_left_in(html) == []


# (page, Indonesian it must show, English it must not)
KEY_PAGES = [
    ("home", ["Beranda", "Tagihan", "Keluar"], ["Sign out", "Home"]),
    ("bill_list", ["Tagihan", "Nominal", "Status"], ["Amount", "No bills yet."]),
    ("bill_entry", ["Kirim pengingat tagihan", "Nomor HP pembayar", "Nominal (IDR)", "Mulai (tampil sejak)",
                    "Kirim pengingat"], ["Send reminder", "Payer phone number", "Amount (IDR)"]),
    ("upload_new", ["Unggah file tagihan", "File tagihan", "Unggah dan periksa", "Baca tentang risikonya"],
     ["Upload and check", "Columns", "Read about the risks"]),
    ("upload_list", ["Unggahan", "Belum ada file yang diunggah."], ["No files uploaded yet."]),
    ("quota_overview", ["Kuota", "Saldo", "Dicadangkan", "Tersedia", "Top up"], ["Balance", "Reserved"]),
    ("biller_codes", ["Kode biller", "Rekening penampungan", "Hentikan layanan"],
     ["Stop service", "Collection account"]),
    ("help", ["Apa itu Kopra Bill Reminder?", "kuota awal", "Hentikan layanan", "pengguna Livin'", "14000"],
     ["Who can use it?", "What are the risks?"]),
]


@pytest.mark.parametrize(("name", "indonesian", "english"), KEY_PAGES, ids=[p[0] for p in KEY_PAGES])
def test_key_pages_read_in_indonesian_with_no_english_left(id_client, company, name, indonesian, english):
    registered_code(company, code="89123")
    response = id_client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="id">' in html
    for word in indonesian:
        assert word in html, word
    for word in english:
        assert word not in html, word
    assert english_left_in(html) == []


def test_the_quota_statement_reads_in_indonesian(id_client, company):
    registration = registered_code(company, code="89123")
    html = id_client.get(reverse("quota_detail", args=[registration.pk])).content.decode()
    assert "Mutasi" in html and "Diberikan" in html  # the initial grant, in the statement's column
    day = id_client.get(reverse("quota_movements", args=[registration.pk])).content.decode()
    assert "Pemberian" in day and english_left_in(day) == []  # the initial grant, as a ledger kind
    assert english_left_in(html) == []


@pytest.mark.sandbox  # the top-up page
def test_money_reads_the_indonesian_way_in_both_languages(client, company):
    AgreementFactory(company=company, unit_price=Decimal("1350.50"))
    registration = registered_code(company, code="89123")
    sign_in(client, UserFactory(company=company, is_maker=True))
    for language in ("en", "id"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        html = client.get(reverse("topup_new", args=[registration.pk])).content.decode()
        assert "Rp\u00a01.350,50 " in html, language  # the price per push, in the tariff sentence
        assert not re.search(r"Rp\s\d{1,3}(,\d{3})+\.\d{2}", html), language


def test_an_upload_row_error_reads_in_indonesian_on_the_report(id_client, company, settings, tmp_path,
                                                               django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    registration = registered_code(company, code="89123")
    data = (b"bill_key,payer_phone,payer_name,amount,start_date,end_date\n"
            b"K1,12345,Ani,150000,01/12/2030,31/12/2030\n"
            b"K2,081234567890,Budi,0,01/12/2030,31/12/2030\n")
    with django_capture_on_commit_callbacks(execute=True):
        id_client.post(reverse("upload_new"), {"registration": registration.pk,
                                               "file": SimpleUploadedFile("tagihan.csv", data)})
    upload = Upload.objects.get()
    html = id_client.get(reverse("upload_detail", args=[upload.pk])).content.decode()
    assert "12345 bukan nomor HP Indonesia; tulis seperti" in html
    assert "Nominal harus lebih dari 0 (tertulis 0)." in html
    assert "Baris yang tidak dapat dikirim" in html
    assert "is not an Indonesian mobile number" not in html and "The amount must be more than 0" not in html
    assert english_left_in(html) == []


def test_every_console_template_compiles():
    """A template that does not parse (a broken {% blocktranslate %}) fails here, not in front of a user."""
    engine = engines["django"]
    for path in _sources("*.html"):
        relative = path.relative_to(ROOT / "templates") if (ROOT / "templates") in path.parents else None
        if relative is not None:
            engine.get_template(str(relative))


# --- The language is remembered per user ------------------------------------------------


def sign_in_for_real(client, user, device, *, again: int = 0):
    """The sign-in a person does; ``again`` takes the next code, as the same code is never accepted twice."""
    client.post(reverse("login"), {"company_id": user.company.company_id, "user_id": user.user_id,
                                   "password": PASSWORD})
    response = client.post(reverse("login_otp"), {"code": code_for(device, steps_ahead=again)})
    assert response.status_code == 302
    return client


@pytest.mark.django_db
def test_the_language_chosen_is_remembered_for_the_next_sign_in_and_only_for_that_user(company):
    siti = UserFactory(company=company, user_id="siti", is_maker=True)
    andi = UserFactory(company=company, user_id="andi", is_maker=True)
    siti_device, andi_device = authenticator(siti), authenticator(andi)

    browser = sign_in_for_real(Client(), siti, siti_device)
    assert "Sign out" in browser.get(reverse("home")).content.decode()
    response = browser.post(reverse("set_language"), {"language": "id", "next": reverse("bill_list")})
    assert response.status_code == 302 and response["Location"] == reverse("bill_list")
    assert User.objects.get(pk=siti.pk).language == "id"
    assert "Keluar" in browser.get(reverse("bill_list")).content.decode()

    browser.post(reverse("logout"))
    elsewhere = sign_in_for_real(Client(), siti, siti_device, again=1)  # another browser, no cookie yet
    html = elsewhere.get(reverse("home")).content.decode()
    assert '<html lang="id">' in html and "Keluar" in html and "Sign out" not in html

    colleague = sign_in_for_real(Client(), andi, andi_device)
    html = colleague.get(reverse("home")).content.decode()
    assert '<html lang="en">' in html and "Sign out" in html and "Keluar" not in html
    assert User.objects.get(pk=andi.pk).language == ""


@pytest.mark.django_db
def test_switching_back_to_english_is_remembered_too(company):
    siti = UserFactory(company=company, user_id="siti", is_maker=True, language="id")
    device = authenticator(siti)
    browser = sign_in_for_real(Client(), siti, device)
    assert "Keluar" in browser.get(reverse("home")).content.decode()
    browser.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    browser.post(reverse("logout"))
    html = sign_in_for_real(Client(), siti, device, again=1).get(reverse("home")).content.decode()
    assert "Sign out" in html and User.objects.get(pk=siti.pk).language == "en"


@pytest.mark.django_db
def test_a_visitor_may_switch_language_before_signing_in(client):
    client.post(reverse("set_language"), {"language": "id", "next": reverse("login")})
    assert "Masuk ke Bill Reminder" in client.get(reverse("login")).content.decode()


@pytest.mark.django_db
def test_an_unknown_language_changes_nothing(company):
    siti = UserFactory(company=company, user_id="siti", is_maker=True)
    browser = sign_in_for_real(Client(), siti, authenticator(siti))
    browser.post(reverse("set_language"), {"language": "xx", "next": reverse("home")})
    assert User.objects.get(pk=siti.pk).language == ""
    assert "Sign out" in browser.get(reverse("home")).content.decode()


# --- The bank's admin ------------------------------------------------------------------

# Django's admin writes this one alt text untranslated (admin/search_form.html).
DJANGO_ADMIN_ENGLISH = {"Search"}


@pytest.mark.sandbox  # the sandbox's models are in the admin
def test_the_admin_reads_in_indonesian_for_every_model_of_the_project(client):
    from django.contrib import admin

    from tests.factories import StaffFactory

    sign_in(client, StaffFactory(user_id="banker"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    index = client.get("/admin/").content.decode()
    assert "Kuota" in index and "Tagihan" in index and english_left_in(index) == []
    left = {}
    for model in admin.site._registry:
        if model._meta.app_label not in APPS:
            continue
        path = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        response = client.get(path)
        assert response.status_code == 200, path
        english = set(english_left_in(response.content.decode())) - DJANGO_ADMIN_ENGLISH
        if english:
            left[path] = sorted(english)
    assert left == {}
