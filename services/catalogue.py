"""The twelve high-frequency services (办事) as data: what each is for, what to bring, how long it takes, the
steps, who can do it, and where it is done.

An entry is done online here when it names a URL (`url_name`); otherwise its own page says where and how to do
it at a window (the help points of her region, the hours, the hotline). A service that comes online later
gets a `url_name` and nothing else changes. The national item codes are data to check against the bureau's own
list before production (docs/decisions.md, "Service catalogue").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from elder_mode.help_points import DEFAULT_POINT, HELP_POINTS
from insurance.models import InsuredPerson
from insurance.regions import region_name


class Channel(StrEnum):
    """Who can do it: she herself online, a family proxy, a community helper, or she at a window."""

    ONLINE = "online"
    FAMILY = "family"
    HELPER = "helper"
    WINDOW = "window"

    @property
    def label(self) -> str:
        return str(CHANNEL_LABELS[self])


CHANNEL_LABELS: dict[Channel, Promise] = {
    Channel.ONLINE: _("自己在网上办"),
    Channel.FAMILY: _("家人帮办"),
    Channel.HELPER: _("帮办员"),
    Channel.WINDOW: _("窗口"),
}


class Topic(StrEnum):
    ENROLMENT = "enrolment"
    PAYMENT = "payment"
    CARE = "care"
    CODE = "code"

    @property
    def label(self) -> str:
        return str(TOPIC_LABELS[self])


TOPIC_LABELS: dict[Topic, Promise] = {
    Topic.ENROLMENT: _("参保"),
    Topic.PAYMENT: _("缴费"),
    Topic.CARE: _("看病和报销"),
    Topic.CODE: _("医保码和家人"),
}

# When the bureau's windows are open (the help points of elder_mode/help_points.py keep these hours).
WINDOW_HOURS = _("周一至周五 上午8:30—12:00，下午1:30—5:00（法定节假日休息）")


@dataclass(frozen=True)
class Service:
    slug: str
    national_code: str
    name: Promise
    purpose: Promise
    topic: Topic
    materials: tuple[Promise, ...]
    time_limit: Promise
    steps: tuple[Promise, ...]
    channels: tuple[Channel, ...]
    # Set when the service is done online here; None means "at a window", told on its own page.
    url_name: str | None = None
    # One of the six shown first, big, in elder mode (the most used: docs/decisions.md, "Service catalogue").
    elder_first: bool = False

    @property
    def online(self) -> bool:
        return self.url_name is not None

    def href(self, person: InsuredPerson | None) -> str:
        """Where the entry leads: the flow when it is online here, otherwise its own "how to do it" page.
        Names are resolved only when a page asks, so a flow's URL may be added after this module loads."""
        if self.url_name is None:
            return reverse("services:service", kwargs={"slug": self.slug})
        if self.url_name == "vouchers:activate" and _has_active_code(person):
            return reverse("vouchers:code")  # already active: "激活" means showing it
        return reverse(self.url_name)

    def guide_href(self) -> str:
        return reverse("services:service", kwargs={"slug": self.slug})


def _has_active_code(person: InsuredPerson | None) -> bool:
    if person is None:
        return False
    try:
        return bool(person.voucher.is_active)
    except ObjectDoesNotExist:
        return False


SERVICES: tuple[Service, ...] = (
    Service(
        slug="cross-region-filing", national_code="000600", name=_("异地就医备案"),
        purpose=_("要去外地住一段时间或看病，先备案，看病时按备案后的比例报销。"),
        topic=Topic.CARE,
        materials=(_("身份证（网上办只要填号码）"), _("有的类型要居住证明或转诊单，开始前会告诉您")),
        time_limit=_("大多数类型提交后马上生效；异地转诊3个工作日内审核"),
        steps=(_("选备案类型和去哪个城市"), _("填开始和结束日期"), _("拍照上传要的材料，提交")),
        channels=(Channel.ONLINE, Channel.FAMILY, Channel.HELPER, Channel.WINDOW),
        url_name="services:filing_start", elder_first=True,
    ),
    Service(
        slug="benefit-query", national_code="000302", name=_("待遇查询"),
        purpose=_("看看今年医保已经报了多少、起付线够没够、还能报多少。"),
        topic=Topic.CARE,
        materials=(_("不用准备材料，开通医保码后直接查"),),
        time_limit=_("马上能查"),
        steps=(_("点进去"), _("看今年医保付了多少、还剩多少")),
        channels=(Channel.ONLINE, Channel.FAMILY, Channel.HELPER, Channel.WINDOW),
        url_name="services:benefits", elder_first=True,
    ),
    Service(
        slug="code-activation", national_code="000901", name=_("医保码激活"),
        purpose=_("开通医保电子凭证，看病买药出示手机上的码就行。"),
        topic=Topic.CODE,
        materials=(_("身份证号码"), _("在医保局登记的手机，用来收验证码")),
        time_limit=_("马上开通"),
        steps=(_("填姓名、身份证号和手机号"), _("填短信验证码"), _("看一眼参保信息，同意后就开通了")),
        channels=(Channel.ONLINE, Channel.FAMILY, Channel.HELPER, Channel.WINDOW),
        url_name="vouchers:activate", elder_first=True,
    ),
    Service(
        slug="family-account", national_code="000902", name=_("亲情账户"),
        purpose=_("让子女在他们的手机上帮您出示医保码、看记录、办事。"),
        topic=Topic.CODE,
        materials=(_("家人的手机号"), _("您的手机，用来收同意的验证码")),
        time_limit=_("您同意后马上生效，一年后可以续"),
        steps=(_("家人在他的手机上申请，或您邀请他"), _("您看清他能帮您做什么，点同意")),
        channels=(Channel.ONLINE, Channel.HELPER),
        url_name="family:hub", elder_first=True,
    ),
    Service(
        slug="payment-records", national_code="000202", name=_("缴费记录查询"),
        purpose=_("看看每年交了多少医保费，有没有断交。"),
        topic=Topic.PAYMENT,
        materials=(_("不用准备材料，开通医保码后直接查"),),
        time_limit=_("马上能查"),
        steps=(_("点进去"), _("往下看缴费记录")),
        channels=(Channel.ONLINE, Channel.FAMILY, Channel.HELPER, Channel.WINDOW),
        url_name="insurance:enrollment", elder_first=True,
    ),
    Service(
        slug="chronic-care", national_code="000700", name=_("门诊慢特病待遇认定"),
        purpose=_("高血压、糖尿病等长期看门诊的病，认定后门诊报得更多。"),
        topic=Topic.CARE,
        materials=(_("二级以上医院的诊断证明（盖章），拍照上传"),),
        time_limit=_("5个工作日内审核"),
        steps=(_("选病种"), _("拍照上传医院的诊断证明"), _("等审核，结果会发短信告诉您")),
        channels=(Channel.ONLINE, Channel.FAMILY, Channel.HELPER, Channel.WINDOW),
        url_name="services:chronic", elder_first=True,
    ),
    Service(
        slug="enrolment-info", national_code="000301", name=_("参保信息查询"),
        purpose=_("看看您参的是哪种医保、在哪里参保、现在是否正常。"),
        topic=Topic.ENROLMENT,
        materials=(_("不用准备材料，开通医保码后直接查"),),
        time_limit=_("马上能查"),
        steps=(_("点进去"), _("看参保信息")),
        channels=(Channel.ONLINE, Channel.FAMILY, Channel.HELPER, Channel.WINDOW),
        url_name="insurance:enrollment",
    ),
    Service(
        slug="enrol", national_code="000101", name=_("参保登记"),
        purpose=_("还没有医保的人，第一次参加医保。"),
        topic=Topic.ENROLMENT,
        materials=(_("身份证原件"), _("户口簿或居住证（参加居民医保）"), _("有工作单位的，由单位统一办理")),
        time_limit=_("材料齐全当场办好"),
        steps=(_("带上材料到医保窗口"), _("填一张参保登记表"), _("工作人员当场办好，告诉您怎么缴费")),
        channels=(Channel.HELPER, Channel.WINDOW),
    ),
    Service(
        slug="transfer", national_code="000401", name=_("转移接续"),
        purpose=_("换了城市工作或生活，把医保从原来的地方转过来，缴费年限接着算。"),
        topic=Topic.ENROLMENT,
        materials=(_("身份证原件"), _("原参保地开的《参保凭证》（可请原参保地窗口开具）")),
        time_limit=_("15个工作日内办好"),
        steps=(_("先在新的地方参保"), _("带材料到医保窗口申请转入"), _("办好后会发短信告诉您")),
        channels=(Channel.HELPER, Channel.WINDOW),
    ),
    Service(
        slug="pay", national_code="000201", name=_("缴费"),
        purpose=_("交今年的医保费，交了才能报销。家人也可以替您交。"),
        topic=Topic.PAYMENT,
        materials=(_("不用准备材料，开通医保码后直接交（居民医保）"),),
        time_limit=_("交了当场到账"),
        steps=(_("点进去，看今年要交多少"), _("点“去支付”，付款"), _("交好后会发短信，可以打印收据")),
        channels=(Channel.ONLINE, Channel.FAMILY, Channel.HELPER, Channel.WINDOW),
        url_name="payments:contribution",
    ),
    Service(
        slug="reimbursement", national_code="000800", name=_("手工报销"),
        purpose=_("看病时没能直接用医保结算的，先自己付钱，再拿发票回来报销。"),
        topic=Topic.CARE,
        materials=(_("身份证原件"), _("医院的发票原件"), _("费用明细清单"), _("门诊病历或出院小结"),
                   _("本人的银行卡（钱打到这张卡上）")),
        time_limit=_("5个工作日内审核完，通过后钱打到您的银行卡或个人账户"),
        steps=(_("结算没成功的那笔点“申请手工报销”，或在“我的报销”里新填一笔"), _("拍发票和付款凭证，选钱打到哪里"),
               _("审核后钱打给您，在“我的报销”里看进度")),
        channels=(Channel.ONLINE, Channel.FAMILY, Channel.HELPER, Channel.WINDOW),
        url_name="services:claims",
    ),
    Service(
        slug="tax-deduction", national_code="000303", name=_("个税扣除查询"),
        purpose=_("查一年里医保范围内自己付了多少，大病医疗可以从个人所得税里扣除。"),
        topic=Topic.PAYMENT,
        materials=(_("不用准备材料，开通医保码后直接查"),),
        time_limit=_("马上能查，当场打印"),
        steps=(_("选年份，看医保范围内自己付了多少、能扣除多少"), _("点打印证明，单子上有核验二维码"),
               _("在个税App里填大病医疗，留好这张证明")),
        channels=(Channel.ONLINE, Channel.FAMILY, Channel.WINDOW),
        url_name="services:tax_statement",
    ),
)

SERVICES_BY_SLUG: dict[str, Service] = {service.slug: service for service in SERVICES}
SLUG_PATTERN = "|".join(SERVICES_BY_SLUG)


def service(slug: str) -> Service | None:
    return SERVICES_BY_SLUG.get(slug)


def by_topic() -> list[tuple[Topic, list[Service]]]:
    return [(topic, [s for s in SERVICES if s.topic == topic]) for topic in Topic]


def elder_split() -> tuple[list[Service], list[Service]]:
    """The six shown first, big, and the other six under "更多服务"."""
    return [s for s in SERVICES if s.elder_first], [s for s in SERVICES if not s.elder_first]


@dataclass(frozen=True)
class Window:
    """Where to go in person: a help point of her region with the window hours and the hotline."""

    region: str
    place: str


def windows_for(person: InsuredPerson | None) -> list[Window]:
    """The help points of her region, or, for a visitor (or a region without a listed point), every listed
    point by city, so the page always names a real place."""
    region_code = getattr(person, "region_code", None)
    if region_code and region_code in HELP_POINTS:
        return [Window(region_name(region_code), str(place)) for place in HELP_POINTS[region_code]]
    found = [Window(region_name(code), str(place)) for code, places in HELP_POINTS.items() for place in places]
    return found or [Window("", str(DEFAULT_POINT))]


class ServiceSlugConverter:
    """Matches only the catalogue's own slugs, so `/services/<slug>/` never hides another page of the app
    (`/services/filing/`, `/services/travel/`, ...) whatever order the URL lines are in."""

    regex = f"(?:{SLUG_PATTERN})"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
