"""`python manage.py build_tutorial_screens [--only SLUG] [--out DIR] [--check]`: the tutorials' screenshots,
taken from the running portal, so they never go stale.

It migrates a throwaway SQLite database, seeds the demo data (`seed_demo`), serves the portal on a loopback port
(uvicorn, in a child process of this command, with the in-memory channel layer and eager Celery of the embedded
default), and drives Debian's Chromium (Playwright) at 360×640 in elder mode: 王秀英 activates her code through
the real pages (SMS codes read from /dev/outbox/), adds her son as family, and a bill is settled with her code
through the signed institution API while her code page is open. Each step's page is then opened as its persona,
the button the step names is outlined, and the screen is saved as static/learn/screens/<slug>-<n>.png
(palette PNG, well under 60 KB). `--check` takes no pictures: it fails naming each tutorial, step and text that
is no longer on its page.

Playwright and zxing-cpp are test dependencies (pyproject.toml [test]): this is a developer's tool, so they are
imported only when it runs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from PIL import Image

from learn.tutorials import (
    BY_SLUG,
    FAMILY,
    SCANNED,
    SETTLED,
    SON,
    TUTORIALS,
    Step,
    Tutorial,
    missing_buttons,
    numbered_steps,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 360, "height": 640}
MAX_BYTES = 60 * 1024
STARTUP_SECONDS = 30
TIMEOUT_MS = 15_000

# The demo people (insurance/demo.py, README.md) and the demo institution's API key.
MOTHER = {"name": "王秀英", "id_number": "330100194403121123", "phone": "13800138001"}
SON_PHONE = "13900139002"
API_KEY_ID = "demo-zy1"
API_SECRET = "demo-secret-zy1-7f3c9a52d1e84b6f"  # the published demo secret (README.md)
BILL = {"visit_type": "outpatient", "items": [
    {"code": "X01", "name": "阿莫西林胶囊", "category": "A", "quantity": "2", "unit_price": "25.00"}]}

# Outline the step's button the way a teacher circles it with a red pen (CSSOM, so the strict CSP allows it).
OUTLINE_JS = """el => { el.scrollIntoView({block: 'center'});
  el.style.outline = '5px solid #c00000'; el.style.outlineOffset = '3px'; el.style.borderRadius = '6px'; }"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback only
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def optimise_png(raw: bytes) -> bytes:
    """A screenshot as a small palette PNG (screens are flat colours and text: 64 colours read well)."""
    image = Image.open(io.BytesIO(raw)).convert("RGB")
    for colours in (64, 32, 16):
        out = io.BytesIO()
        image.quantize(colors=colours, dither=Image.Dither.NONE).save(out, format="PNG", optimize=True)
        if out.tell() <= MAX_BYTES:
            break
    return out.getvalue()


class Command(BaseCommand):
    help = "Photograph every tutorial step from the running portal (or with --check, only check the buttons)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--only", action="append", choices=sorted(BY_SLUG), metavar="SLUG",
                            help="only this tutorial (may be given more than once)")
        parser.add_argument("--out", type=Path, default=None,
                            help="folder for the PNGs (default: static/learn/screens/)")
        parser.add_argument("--check", action="store_true",
                            help="take no pictures; fail if a step's button text is not on its page")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        tutorials = tuple(BY_SLUG[s] for s in options["only"]) if options["only"] else TUTORIALS
        out: Path = options["out"] or Path(settings.BASE_DIR) / "static" / "learn" / "screens"
        workdir = Path(tempfile.mkdtemp(prefix="tutorial-screens-"))
        server: subprocess.Popen | None = None
        try:
            env = self._child_env(workdir)
            self._manage(env, "migrate", "--noinput", "-v0")
            self._manage(env, "seed_demo")
            port = _free_port()
            # uvicorn, the one ASGI server; in DEBUG WhiteNoise serves the static files straight from the folders.
            server = subprocess.Popen(  # noqa: S603 - the project's own ASGI app on loopback
                [sys.executable, "-m", "uvicorn", "portal.asgi:application", "--host", "127.0.0.1", "--port",
                 str(port), "--log-level", "warning", "--lifespan", "off"],
                env=env, cwd=settings.BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            base_url = f"http://127.0.0.1:{port}"
            self._wait_for(base_url, server)
            self.stdout.write(f"[{time.monotonic() - started:4.0f} s] portal on {base_url}")
            problems = Photographer(self, base_url, out, check_only=options["check"]).run(tutorials)
        finally:
            if server is not None:
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
            shutil.rmtree(workdir, ignore_errors=True)
        if problems:
            raise CommandError("Tutorial buttons no longer on their pages:\n" + "\n".join(problems))
        done = "checked" if options["check"] else f"written to {out}"
        self.stdout.write(self.style.SUCCESS(
            f"{sum(len(t.steps) for t in tutorials)} steps {done} in {time.monotonic() - started:.0f} s"))

    def _child_env(self, workdir: Path) -> dict[str, str]:
        """The embedded default on a throwaway database: DEBUG (for /dev/outbox/), no Redis, offline voice."""
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
        env.update({
            "DJANGO_SETTINGS_MODULE": "portal.settings.dev", "DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{workdir / 'screens.sqlite3'}",
            "VOICE_CACHE_DIR": str(workdir / "voice"), "PYTHONUNBUFFERED": "1",
        })
        return env

    def _manage(self, env: dict[str, str], *args: str) -> None:
        result = subprocess.run(  # noqa: S603 - this project's own manage.py
            [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args], env=env, cwd=settings.BASE_DIR,
            capture_output=True, text=True, check=False)
        if result.returncode:
            raise CommandError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-2000:]}")

    def _wait_for(self, base_url: str, server: subprocess.Popen) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(f"{base_url}/healthz"):
            if server.poll() is not None or time.monotonic() > deadline:
                error = server.stderr.read().decode()[-2000:] if server.poll() is not None and server.stderr else ""
                raise CommandError(f"The portal did not start on {base_url}. {error}")
            time.sleep(0.2)


class Photographer:
    """The browser side: the personas, the states the steps need, one screenshot (or check) per step."""

    def __init__(self, command: Command, base_url: str, out: Path, *, check_only: bool) -> None:
        self.command, self.base_url, self.out, self.check_only = command, base_url, out, check_only
        self.pages: dict[str, Any] = {}
        self.started = time.monotonic()
        self.html: dict[tuple[str, int], str] = {}

    def say(self, text: str) -> None:
        self.command.stdout.write(f"[{time.monotonic() - self.started:4.0f} s] {text}")
        self.command.stdout.flush()

    def run(self, tutorials: tuple[Tutorial, ...]) -> list[str]:
        from playwright.sync_api import sync_playwright  # test dependency: this is a developer's tool

        steps = numbered_steps(tutorials)
        if not self.check_only:
            self.out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                self.pages["mother"] = self._phone(browser)
                self._activate_mother(self.pages["mother"])
                if any(s.persona == SON for _t, _n, s in steps):
                    self.pages[SON] = self._phone(browser)
                    self._sign_in_son(self.pages[SON])
                reached: set[str] = set()
                for tutorial, number, step in steps:  # in the order their states are reached
                    if step.state == FAMILY and FAMILY not in reached:
                        self._add_son_as_family(self.pages["mother"])
                    if step.state in (SCANNED, SETTLED) and not reached & {SCANNED, SETTLED}:
                        self._settle_while_her_code_is_open(self.pages["mother"])
                    reached.add(step.state)
                    self._take(tutorial, number, step, reload=step.state != SCANNED)
            finally:
                browser.close()
        return missing_buttons(steps, lambda t, n, s: self.html[(t.slug, n)])

    def _phone(self, browser: Any) -> Any:
        context = browser.new_context(base_url=self.base_url, viewport=VIEWPORT, device_scale_factor=1,
                                      has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(TIMEOUT_MS)
        context.add_cookies([{"name": "elder_mode", "value": "1", "url": self.base_url}])
        context.add_init_script("document.addEventListener('htmx:wsOpen', () => { window.__wsOpen = true; });")
        return context.new_page()

    def _latest_code(self, page: Any) -> str:
        """The newest SMS in the development outbox, read as she reads her phone."""
        html = page.context.request.get("/dev/outbox/").text()
        bodies = re.findall(r'data-testid="outbox-body">([^<]*)<', html)
        for body in bodies:
            found = re.search(r"(?<!\d)\d{6}(?!\d)", body)
            if found:
                return found.group(0)
        raise CommandError("No one-time code in /dev/outbox/")

    def _activate_mother(self, page: Any) -> None:
        self.say("王秀英 activates her code (identity, SMS code, confirm, agree)")
        page.goto("/activate/")
        page.get_by_label("姓名", exact=True).fill(MOTHER["name"])
        page.get_by_label("身份证号", exact=True).fill(MOTHER["id_number"])
        page.get_by_label("在医保局登记的手机号", exact=True).fill(MOTHER["phone"])
        page.get_by_test_id("send-code").click()
        page.wait_for_load_state("load")
        page.get_by_label("短信验证码", exact=True).fill(self._latest_code(page))
        page.get_by_test_id("next").click()
        page.wait_for_url("**/activate/confirm/")
        page.get_by_test_id("next").click()
        page.wait_for_url("**/activate/agree/")
        page.get_by_label("我已了解以上内容，同意开通医保码").check()
        page.get_by_role("button", name="同意并开通").click()
        page.wait_for_url("**/code/")

    def _sign_in_son(self, page: Any) -> None:
        self.say("李建国 signs in on his own phone")
        page.goto("/accounts/login/")
        page.get_by_label("手机号", exact=True).fill(SON_PHONE)
        page.get_by_role("button", name="获取验证码").click()
        page.wait_for_load_state("load")
        page.get_by_label("短信验证码", exact=True).fill(self._latest_code(page))
        page.get_by_role("button", name="登录", exact=True).click()
        page.wait_for_load_state("load")

    def _add_son_as_family(self, page: Any) -> None:
        self.say("王秀英 adds her son as family")
        page.goto("/family/invite/")
        page.get_by_label("家人的手机号", exact=True).fill(SON_PHONE)
        page.get_by_label("他（她）是您的", exact=True).select_option(value="child")
        page.get_by_role("button", name="添加", exact=True).click()
        page.wait_for_url("**/family/")

    def _settle_while_her_code_is_open(self, page: Any) -> None:
        """The cashier scans her code: the signed institution API, with the token read off the QR on her screen."""
        from zxingcpp import read_barcodes  # test dependency: the scanner's eye

        self.say("The cashier scans her code and settles a bill")
        page.goto("/code/")
        page.wait_for_function("() => window.__wsOpen === true")
        src = page.get_by_test_id("qr").get_attribute("src") or ""
        found = read_barcodes(Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))))
        if not found:
            raise CommandError("Could not read the QR code on her code page")
        body = json.dumps({**BILL, "code": found[0].text}).encode()
        path, now = "/api/v1/settlements", str(int(time.time()))
        message = "\n".join(["POST", path, now, hashlib.sha256(body).hexdigest()]).encode()
        request = urllib.request.Request(self.base_url + path, data=body, method="POST", headers={  # noqa: S310
            "Content-Type": "application/json", "X-Institution": API_KEY_ID, "X-Timestamp": now,
            "X-Signature": hmac.new(API_SECRET.encode(), message, hashlib.sha256).hexdigest(),
            "Idempotency-Key": f"tutorial-{now}"})
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - loopback only
            if response.status != 202:
                raise CommandError(f"The settlement was not accepted: {response.status}")
        card = page.locator("[data-testid=settlement-status][data-status=settled]")
        card.wait_for()
        self.say(f"  her phone shows: {card.locator('.settlement-headline').inner_text()}")

    def _take(self, tutorial: Tutorial, number: int, step: Step, *, reload: bool) -> None:
        page = self.pages[SON if step.persona == SON else "mother"]
        if reload:
            page.goto(step.path)
            page.wait_for_load_state("load")
        self.html[(tutorial.slug, number)] = page.content()
        name = tutorial.screen_name(number)
        if self.check_only:
            self.say(f"  checked {name}")
            return
        target = self._find(page, step.button)
        if target is None:
            self.say(f"  {name}: 「{step.button}」 not found; photographed without an outline")
            page.evaluate("window.scrollTo(0, 0)")
        else:
            target.evaluate(OUTLINE_JS)
            if step.state == SCANNED:  # her result card is what she should see at the counter
                page.locator("#settlement-status").scroll_into_view_if_needed()
        page.wait_for_timeout(150)
        data = optimise_png(page.screenshot())
        (self.out / name).write_bytes(data)
        self.say(f"  {name}  {len(data) // 1024} KB  ({step.page}: 「{step.button}」)")

    @staticmethod
    def _find(page: Any, text: str) -> Any:
        """The button, link, heading or line whose text is the step's words: the first one she can see."""
        candidates = [page.get_by_role("link", name=text, exact=True), page.get_by_role("button", name=text, exact=True),
                      page.get_by_role("heading", name=text, exact=True), page.get_by_text(text, exact=True),
                      page.locator("p", has_text=text)]
        for locator in candidates:
            for index in range(locator.count()):
                item = locator.nth(index)
                if item.is_visible():
                    return item
        return None
