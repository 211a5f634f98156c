"""教程专区: the tutorials as typed data (no table: they change with the code, so they live with it).

Each step names the real page it shows (URL name and its path, which takes no arguments) and the text of the
button or label on that page it points at. `manage.py build_tutorial_screens` photographs the page with that
button outlined (static/learn/screens/<slug>-<n>.png); `--check` and tests/test_learn_tutorials.py fail when
the text is no longer on its page, so a tutorial cannot quietly go stale.

A step's sentence is its spoken guide (`tutorial_<slug>_<n>`): `register_tutorial_guides` (called from
`LearnConfig.ready`) adds them to elder_mode's guides, so the words live here only once and
`{% voice_guide %}` reads them like any other page's guide.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from elder_mode.voice import guides as voice_guides
from elder_mode.voice.guides_learn import LEARN_GUIDES

# Who is signed in when the step's page is photographed or checked.
MOTHER = "mother"  # 王秀英, 82, voucher activated, elder mode
SON = "son"  # 李建国, her son

# What must have happened before the step's page looks as the step says (applied in this order).
ACTIVATED = "activated"  # her voucher is active
FAMILY = "family"  # she has added her son as family (an active grant)
SCANNED = "scanned"  # her code page is open while the cashier scans it (the result pops up on it)
SETTLED = "settled"  # one bill was settled with her code
STATES = (ACTIVATED, FAMILY, SCANNED, SETTLED)


@dataclass(frozen=True)
class Step:
    page: str  # URL name of the real page, e.g. "vouchers:code"
    path: str  # its path (no arguments), e.g. "/code/"
    button: str  # the button or label text on that page (as the Chinese page shows it)
    page_title: Promise  # how the step names the page to her
    cmn: str  # the sentence shown and spoken in Mandarin
    yue: str  # spoken in Cantonese
    en: str  # shown on English pages
    alt: Promise  # what the screenshot shows, for people who cannot see it
    persona: str = MOTHER
    state: str = ACTIVATED


@dataclass(frozen=True)
class Tutorial:
    slug: str
    title: Promise
    summary: Promise
    steps: tuple[Step, ...]

    def guide_key(self, number: int) -> str:
        return f"tutorial_{self.slug}_{number}"

    def screen_name(self, number: int) -> str:
        """The screenshot's file name under static/learn/screens/."""
        return f"{self.slug}-{number}.png"


_HOME = _("首页")
_CODE = _("我的医保码")
_SERVICES = _("办事")

TUTORIALS: tuple[Tutorial, ...] = (
    Tutorial(
        slug="show_code", title=_("出示医保码"), summary=_("看病买药时，把医保码给收费员扫。"),
        steps=(
            Step("home", "/", "出示医保码", _HOME,
                 cmn="打开医保通，点最上面的大按钮「出示医保码」。",
                 yue="打开医保通，按最上面嘅大按钮「出示医保码」。",
                 en="Open Yibaotong and tap the big button Show insurance code at the top.",
                 alt=_("长辈版首页，「出示医保码」按钮用框标出来了。")),
            Step("vouchers:code", "/code/", "放大", _CODE,
                 cmn="这就是您的医保码。看不清的话，点「放大」。",
                 yue="呢个就係你嘅医保码。睇唔清嘅话，按「放大」。",
                 en="This is your insurance code. If it is hard to see, tap Enlarge.",
                 alt=_("我的医保码页面：二维码下面的「放大」按钮用框标出来了。")),
            Step("vouchers:code_large", "/code/large/", "秒后自动换新码", _("放大的医保码"),
                 cmn="把手机递给收费员扫一下。码会自己换新的，不用着急。",
                 yue="将手机递俾收费员扫一下。个码会自己换新，唔使急。",
                 en="Hand your phone to the cashier to scan. The code renews by itself, so there is no hurry.",
                 alt=_("放大的医保码，下面写着几秒后自动换新码。")),
            Step("vouchers:code", "/code/", "我的手机丢了", _CODE,
                 cmn="手机丢了，马上点「我的手机丢了」，别人就用不了您的码。",
                 yue="部手机唔见咗，即刻按「我的手机丢了」，其他人就用唔到你个码。",
                 en="If you lose your phone, tap My phone is lost at once, so nobody else can use your code.",
                 alt=_("我的医保码页面：「我的手机丢了」按钮用框标出来了。")),
        ),
    ),
    Tutorial(
        slug="at_counter", title=_("在柜台结算"), summary=_("收费员扫码以后会怎样，钱怎么算。"),
        steps=(
            Step("vouchers:code_large", "/code/large/", "请收费员扫码", _("放大的医保码"),
                 cmn="到了收费窗口，打开医保码，点「放大」，把手机递给收费员。",
                 yue="到咗收费窗口，打开医保码，按「放大」，将手机递俾收费员。",
                 en="At the payment window, open your code, tap Enlarge and hand your phone to the cashier.",
                 alt=_("放大的医保码，标题是「请收费员扫码」。")),
            Step("vouchers:code", "/code/", "看病、买药时，把这个码给收费员扫一下。", _CODE,
                 cmn="收费员扫码以后，手机上会告诉您医保付了多少，您自己付多少。",
                 yue="收费员扫码之后，手机会话你知医保俾咗几多，你自己俾几多。",
                 en="After the cashier scans it, your phone tells you how much insurance paid and how much you pay.",
                 alt=_("我的医保码页面：收费员扫码后，下面弹出医保付了多少、自己付多少。"), state=SCANNED),
            Step("home", "/", "查记录", _HOME,
                 cmn="回到家想看看花了多少钱，在首页点「查记录」。",
                 yue="返到屋企想睇下用咗几多钱，喺首页按「查记录」。",
                 en="At home, to see what you spent, tap Records on the home page.",
                 alt=_("长辈版首页，「查记录」按钮用框标出来了。")),
            Step("settlement:records", "/records/", "看收据", _("消费记录"),
                 cmn="每次看病买药都记在这里。点「看收据」，能看到每一样药的钱。",
                 yue="每次睇病买药都记喺度。按「看收据」，可以睇到每样药几多钱。",
                 en="Every visit is listed here. Tap View receipt to see what each item cost.",
                 alt=_("消费记录页面，一笔结算完成的记录，「看收据」按钮用框标出来了。"), state=SETTLED),
        ),
    ),
    Tutorial(
        slug="add_family", title=_("添加家人"), summary=_("让子女用他们的手机帮您办事，随时可以解除。"),
        steps=(
            Step("home", "/", "家人帮我", _HOME,
                 cmn="想让子女帮您办事，在首页点「家人帮我」。",
                 yue="想仔女帮你办事，喺首页按「家人帮我」。",
                 en="To let your son or daughter help you, tap Family help on the home page.",
                 alt=_("长辈版首页，「家人帮我」按钮用框标出来了。")),
            Step("family:hub", "/family/", "让家人帮我", _("亲情账户"),
                 cmn="点「让家人帮我」。",
                 yue="按「让家人帮我」。",
                 en="Tap Let my family help me.",
                 alt=_("亲情账户页面，「让家人帮我」按钮用框标出来了。")),
            Step("family:invite", "/family/invite/", "添加", _("让家人帮我"),
                 cmn="填上子女的手机号，选好他能帮您做的事，点「添加」。",
                 yue="填上仔女嘅手机号码，拣好佢可以帮你做嘅事，按「添加」。",
                 en="Enter your child's mobile number, choose what they may do, and tap Add.",
                 alt=_("让家人帮我页面：手机号、关系和能帮做的事，下面的「添加」按钮用框标出来了。")),
            Step("family:hub", "/family/", "马上解除", _("亲情账户"),
                 cmn="谁在帮您，这里都看得到。不想让他帮了，点「马上解除」。",
                 yue="边个帮紧你，呢度都睇得到。唔想佢再帮，按「马上解除」。",
                 en="You can see here who helps you. To stop it, tap Remove now.",
                 alt=_("亲情账户页面，列着帮她的儿子，「马上解除」按钮用框标出来了。"), state=FAMILY),
            Step("family:add", "/family/add/", "发短信请她同意", _("添加家人"),
                 cmn="子女也可以在自己的手机上添加您。您收到短信后，把验证码念给他。",
                 yue="仔女都可以喺自己部手机加你。你收到短信之后，将验证码读俾佢听。",
                 en="Your child can also add you from their own phone. When the text arrives, read the code to them.",
                 alt=_("儿子手机上的添加家人页面，「发短信请她同意」按钮用框标出来了。"), persona=SON),
        ),
    ),
    Tutorial(
        slug="cross_region", title=_("异地就医备案"), summary=_("要去外地看病，先备案，到了外地也能直接用医保。"),
        steps=(
            Step("home", "/", "办事（备案、报销、查询）", _HOME,
                 cmn="要去外地看病，先在首页点「办事」。",
                 yue="要去外地睇病，先喺首页按「办事」。",
                 en="Before getting treatment in another city, tap Services on the home page.",
                 alt=_("长辈版首页，「办事」按钮用框标出来了。")),
            Step("services:catalogue", "/services/", "异地就医备案", _SERVICES,
                 cmn="点「异地就医备案」。备案以后，在外地看病也能直接用医保。",
                 yue="按「异地就医备案」。备咗案，喺外地睇病都可以直接用医保。",
                 en="Tap Cross-region medical filing. Once filed, your insurance works in the other city too.",
                 alt=_("办事页面，「异地就医备案」按钮用框标出来了。")),
            Step("services:filing_start", "/services/filing/", "下一步：拍材料", _("异地就医备案"),
                 cmn="选好为什么去、去哪个城市、什么时候去，再点「下一步：拍材料」。",
                 yue="拣好点解去、去边个城市、几时去，再按「下一步：拍材料」。",
                 en="Choose why you go, which city and when, then tap Next: photograph documents.",
                 alt=_("异地就医备案页面，「下一步：拍材料」按钮用框标出来了。")),
            Step("services:filing_start", "/services/filing/", "我的备案", _("异地就医备案"),
                 cmn="办好以后，点「我的备案」，看看办到哪一步了。",
                 yue="办好之后，按「我的备案」，睇下办到边一步。",
                 en="Afterwards, tap My filings to see how far it has got.",
                 alt=_("异地就医备案页面，「我的备案」按钮用框标出来了。")),
        ),
    ),
    Tutorial(
        slug="claim_back", title=_("手工报销"), summary=_("没能刷医保、自己先付了钱，回来再报销。"),
        steps=(
            Step("services:catalogue", "/services/", "手工报销", _SERVICES,
                 cmn="看病时自己先付了钱，可以回来报销。在「办事」里点「手工报销」。",
                 yue="睇病时自己俾咗钱，可以返嚟报销。喺「办事」入面按「手工报销」。",
                 en="If you paid yourself at the hospital, you can claim it back. In Services, tap Claim back.",
                 alt=_("办事页面的更多服务里，「手工报销」按钮用框标出来了。")),
            Step("services:claims", "/services/claims/", "申请一笔新的报销", _("我的报销"),
                 cmn="点「申请一笔新的报销」。",
                 yue="按「申请一笔新的报销」。",
                 en="Tap Apply for a new claim.",
                 alt=_("我的报销页面，「申请一笔新的报销」按钮用框标出来了。")),
            Step("services:claim_new", "/services/claims/new/", "下一步：拍发票", _("申请手工报销"),
                 cmn="填好看病的日子、医院和花了多少钱，点「下一步：拍发票」，给发票拍张照。",
                 yue="填好睇病嘅日子、医院同用咗几多钱，按「下一步：拍发票」，同发票影张相。",
                 en="Fill in the day, the hospital and the amount, tap Next: photograph the invoice, and take a photo.",
                 alt=_("申请手工报销页面，「下一步：拍发票」按钮用框标出来了。")),
            Step("services:claims", "/services/claims/", "我的报销", _("我的报销"),
                 cmn="交了以后，在「我的报销」里看办到哪一步。一般5个工作日审好。",
                 yue="交咗之后，喺「我的报销」睇办到边一步。一般5个工作日审好。",
                 en="After you send it, My claims shows how far it has got. It is usually checked within 5 working days.",
                 alt=_("我的报销页面，标题「我的报销」用框标出来了。")),
        ),
    ),
    Tutorial(
        slug="ask_help", title=_("找人帮忙"), summary=_("不会用、办不了，别着急：打电话、叫家人、请帮办员。"),
        steps=(
            Step("home", "/", "求助", _HOME,
                 cmn="有不会的，别着急。在首页点「求助」。",
                 yue="有唔识嘅，唔使急。喺首页按「求助」。",
                 en="If you are stuck, do not worry. Tap Get help on the home page.",
                 alt=_("长辈版首页，「求助」按钮用框标出来了。")),
            Step("home", "/", "拨打 12393", _HOME,
                 cmn="每一页最下面都有「需要帮助？」。点「拨打 12393」，给医保热线打电话。",
                 yue="每一页最底都有「需要帮助？」。按「拨打 12393」，打医保热线。",
                 en="Every page ends with Need help?. Tap Call 12393 to phone the insurance hotline.",
                 alt=_("页面下方的需要帮助，「拨打 12393」按钮用框标出来了。")),
            Step("home", "/", "请家人帮我", _HOME,
                 cmn="点「请家人帮我」，您的家人会收到短信，他们会联系您。",
                 yue="按「请家人帮我」，你屋企人会收到短信，佢哋会搵你。",
                 en="Tap Ask my family. Your family get a text message and will contact you.",
                 alt=_("页面下方的需要帮助，「请家人帮我」按钮用框标出来了。")),
            Step("rescue:call_me", "/rescue/call-me/", "请打电话给我", _("请帮办员打电话给我"),
                 cmn="也可以请社区帮办员打电话来，一步一步教您。点「请打电话给我」。",
                 yue="都可以叫社区帮办员打电话嚟，一步一步教你。按「请打电话给我」。",
                 en="You can also ask a community helper to call and guide you step by step. Tap Please call me.",
                 alt=_("请帮办员打电话给我页面，「请打电话给我」按钮用框标出来了。")),
        ),
    ),
)

BY_SLUG: dict[str, Tutorial] = {t.slug: t for t in TUTORIALS}


def tutorial_guides(tutorials: tuple[Tutorial, ...] = TUTORIALS) -> dict[str, dict[str, str]]:
    """Every step's spoken guide, keyed `tutorial_<slug>_<n>` (numbered from 1)."""
    return {
        tutorial.guide_key(number): {"cmn": step.cmn, "yue": step.yue, "en": step.en}
        for tutorial in tutorials
        for number, step in enumerate(tutorial.steps, start=1)
    }


def register_tutorial_guides() -> None:
    """Add the step guides to elder_mode's guides (its GUIDES was built at import, so both dicts are filled)."""
    generated = tutorial_guides()
    LEARN_GUIDES.update(generated)
    voice_guides.GUIDES.update(generated)


def shows_text(html: str, text: str) -> bool:
    """Whether the page has an element whose own text is exactly `text` (a button, a link, a heading, a line).

    A whole text node, not a substring: the page's spoken guide often repeats a button's name ("点放大"), and
    that must not hide a button that is gone."""
    return re.search(r">\s*" + re.escape(escape(text)) + r"\s*<", html) is not None


def numbered_steps(tutorials: Iterable[Tutorial]) -> list[tuple[Tutorial, int, Step]]:
    """(tutorial, step number from 1, step), in the order their states can be reached (activated first)."""
    steps = [(t, n, s) for t in tutorials for n, s in enumerate(t.steps, start=1)]
    return sorted(steps, key=lambda item: STATES.index(item[2].state))


def missing_buttons(steps: Iterable[tuple[Tutorial, int, Step]],
                    page_html: Callable[[Tutorial, int, Step], str]) -> list[str]:
    """One plain message per step whose button text is not on its real page.

    `page_html(tutorial, number, step)` gives the page as the step's persona sees it, so the same check runs in
    the test client (tests/test_learn_tutorials.py) and in the browser (`build_tutorial_screens --check`)."""
    problems = []
    for tutorial, number, step in steps:
        if not shows_text(page_html(tutorial, number, step), step.button):
            problems.append(f"tutorial {tutorial.slug} step {number}: the text 「{step.button}」 is not on "
                            f"{step.page} ({step.path})")
    return problems


class TutorialSlugConverter:
    """Only the tutorials' own slugs, so /learn/practice/ and the rest of `learn` are never taken for one."""

    regex = "|".join(sorted(BY_SLUG, key=len, reverse=True))

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
